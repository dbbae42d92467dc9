//! Instruments of a runtime run for testing: which of anyio's tasks can run, and a virtual
//! clock.
//!
//! A runtime started with [`Runner::track_blocking`](crate::Runner::track_blocking) or
//! [`Runner::virtual_time`](crate::Runner::virtual_time) (as every `#[anyio::test]` is) gets an
//! [`Instruments`]. Every task anyio spawns on it, and the runner's main future, is then polled
//! through a [`TaskTrack`] that wraps the task's waker, so that the runtime knows at any moment
//! how many of its tasks are *runnable*: being polled, or woken and not yet polled again.
//!
//! - [`wait_all_tasks_blocked`](crate::testing::wait_all_tasks_blocked) waits until the only
//!   runnable tasks are those waiting in it.
//! - A [`VirtualClock`] moves its time forward to the next timer's deadline the moment no task
//!   can run and no blocking call is in flight (Trio's `MockClock` with an autojump threshold
//!   of zero).
//!
//! A runtime without instruments pays one relaxed atomic load per spawn, per timer and per
//! clock reading: [`ACTIVE`] counts the instruments alive in the process, and at zero nothing
//! else is looked at.

mod clock;
mod tracked;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub(crate) use clock::{VirtualClock, VirtualTimer};
pub(crate) use tracked::{TaskTrack, Tracked};

use super::SpawnTarget;
use super::runtime_local::{RuntimeKey, RuntimeLocal};

/// Instruments alive in the process; see the [module docs](self).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// The instruments of each runtime that has them.
static INSTALLED: RuntimeLocal<Arc<Instruments>> = RuntimeLocal::new();

/// What a runtime run for testing keeps track of.
#[derive(Debug)]
pub(crate) struct Instruments {
    /// Tracked tasks being polled or woken and waiting for their poll.
    runnable: AtomicUsize,
    /// Tracked tasks waiting in `wait_all_tasks_blocked` (they are runnable all along).
    waiting: Mutex<Waiting>,
    /// Blocking calls in flight (threads, processes) that hold a virtual clock still.
    holds: AtomicUsize,
    /// Calls into the loop from threads that hold the clock (`from_thread::run`), in flight:
    /// while a thread waits for the loop it lends its hold back, since time may pass for the
    /// task it waits on. The clock is held while `holds > lent`.
    lent: AtomicUsize,
    /// The virtual clock, when the runtime runs on virtual time.
    clock: Option<VirtualClock>,
    /// The runtime, once the instruments are installed in it.
    runtime: std::sync::OnceLock<RuntimeKey>,
}

impl Instruments {
    /// Instruments for a runtime about to start; `virtual_time` gives it a virtual clock.
    pub(crate) fn new(virtual_time: bool) -> Arc<Instruments> {
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        Arc::new(Instruments {
            runnable: AtomicUsize::new(0),
            waiting: Mutex::new(Waiting::default()),
            holds: AtomicUsize::new(0),
            lent: AtomicUsize::new(0),
            clock: virtual_time.then(VirtualClock::new),
            runtime: std::sync::OnceLock::new(),
        })
    }

    /// Makes these the instruments of the runtime that runs the calling code (the runner's main
    /// future calls this on its first poll). Does nothing the second time.
    pub(crate) fn install(self: &Arc<Self>) {
        if self.runtime.get().is_some() {
            return;
        }
        if let Ok(target) = SpawnTarget::current() {
            let _ = self.runtime.set(RuntimeKey::of(&target));
            INSTALLED.get_or_init_in(target, || Arc::clone(self));
        }
    }

    /// The virtual clock, if the runtime has one.
    pub(crate) fn clock(&self) -> Option<&VirtualClock> {
        self.clock.as_ref()
    }

    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the calling task as waiting in `wait_all_tasks_blocked` until it is released: the
    /// tracked task `task` (see [`current_task`]), or nothing for a native task, which is not
    /// among the runnable tasks to begin with. A task that waits twice at once (two waits
    /// joined) is one runnable task, counted once.
    pub(crate) fn wait_for_blocked(self: &Arc<Self>, task: Option<usize>) -> WaitingGuard {
        let mut waiting = self.waiting();
        if let Some(task) = task {
            match waiting.tasks.iter_mut().find(|(waiter, _)| *waiter == task) {
                Some((_, waits)) => *waits += 1,
                None => waiting.tasks.push((task, 1)),
            }
        }
        WaitingGuard {
            instruments: Arc::clone(self),
            round: waiting.round,
            task,
        }
    }

    /// Whether the waiter of `guard` may return: every tracked task that can run is a waiter
    /// (then every waiter is released at once), or another waiter already saw that.
    pub(crate) fn all_others_blocked(&self, guard: &WaitingGuard) -> bool {
        let mut waiting = self.waiting();
        if waiting.round != guard.round {
            return true;
        }
        if self.runnable.load(Ordering::SeqCst) <= waiting.tasks.len() {
            // The waiters are runnable tasks like any other from now on, even before they
            // return: a task that waits again must wait for them.
            waiting.round += 1;
            waiting.tasks.clear();
            return true;
        }
        false
    }

    /// One more task can run.
    fn runnable_up(&self) {
        self.runnable.fetch_add(1, Ordering::SeqCst);
    }

    /// One task less can run; when none can, the virtual clock may move on.
    fn runnable_down(&self) {
        if self.runnable.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle();
        }
    }

    /// Nothing can run: the virtual clock jumps to its next deadline, unless a blocking call
    /// holds it.
    fn idle(&self) {
        if let Some(clock) = &self.clock {
            clock.jump_if(|| self.runnable.load(Ordering::SeqCst) == 0 && !self.clock_held());
        }
    }

    /// [`idle`](Self::idle), if no tracked task can run and no blocking call holds the clock.
    pub(super) fn idle_if_nothing_runs(&self) {
        if self.runnable.load(Ordering::SeqCst) == 0 && !self.clock_held() {
            self.idle();
        }
    }

    /// Whether a blocking call holds the clock (and has not lent its hold to a call into the
    /// loop).
    fn clock_held(&self) -> bool {
        self.holds.load(Ordering::SeqCst) > self.lent.load(Ordering::SeqCst)
    }

    /// Lends the hold of a thread that calls into the loop, until the guard drops. Called by
    /// the task that runs the call, while it runs (so the clock does not jump before it has
    /// suspended); the guard drops before the thread gets its reply.
    pub(crate) fn lend_hold(self: &Arc<Self>) -> Lend {
        self.lent.fetch_add(1, Ordering::SeqCst);
        Lend {
            instruments: Arc::clone(self),
        }
    }
}

impl Drop for Instruments {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The tasks waiting in `wait_all_tasks_blocked`.
#[derive(Debug, Default)]
struct Waiting {
    /// The tracked tasks that wait in this round, each with its number of waits.
    tasks: Vec<(usize, usize)>,
    /// Goes up when the waiters of a round are released.
    round: u64,
}

/// A task's place among the waiters of `wait_all_tasks_blocked`; dropping it leaves.
#[derive(Debug)]
pub(crate) struct WaitingGuard {
    instruments: Arc<Instruments>,
    round: u64,
    /// The waiting tracked task, if it is one.
    task: Option<usize>,
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        let mut waiting = self.instruments.waiting();
        let Some(task) = self.task else { return };
        if waiting.round != self.round {
            return;
        }
        if let Some(index) = waiting.tasks.iter().position(|(waiter, _)| *waiter == task) {
            waiting.tasks[index].1 -= 1;
            if waiting.tasks[index].1 == 0 {
                waiting.tasks.swap_remove(index);
            }
        }
    }
}

/// Keeps a virtual clock from jumping while a blocking call (a thread, a process) is in flight:
/// its caller waits for real work, not for time to pass.
#[derive(Debug)]
pub(crate) struct Hold {
    instruments: Arc<Instruments>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.instruments.holds.fetch_sub(1, Ordering::SeqCst);
        self.instruments.idle_if_nothing_runs();
    }
}

impl Hold {
    /// The instruments whose clock this holds.
    pub(crate) fn instruments(&self) -> &Arc<Instruments> {
        &self.instruments
    }
}

/// A hold lent back by a thread waiting for a call into the loop; see
/// [`Instruments::lend_hold`].
#[derive(Debug)]
pub(crate) struct Lend {
    instruments: Arc<Instruments>,
}

impl Drop for Lend {
    fn drop(&mut self) {
        self.instruments.lent.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Holds the virtual clock of the calling code's runtime, if it has one, until the guard drops.
pub(crate) fn hold() -> Option<Hold> {
    let instruments = current()?;
    instruments.clock.as_ref()?;
    instruments.holds.fetch_add(1, Ordering::SeqCst);
    Some(Hold { instruments })
}

/// The instruments of the runtime that runs the calling code, if it has any.
pub(crate) fn current() -> Option<Arc<Instruments>> {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    if let Some(instruments) = tracked::current_instruments() {
        return Some(instruments);
    }
    INSTALLED.get().ok().flatten()
}

/// The instruments of the runtime that `target` spawns on, if it has any: inlined down to one
/// relaxed load when no runtime has instruments, as at every spawn of a program not under test.
#[inline]
pub(crate) fn of_target(target: &SpawnTarget) -> Option<Arc<Instruments>> {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    installed_for(target)
}

/// [`of_target`] when some runtime has instruments.
#[inline(never)]
fn installed_for(target: &SpawnTarget) -> Option<Arc<Instruments>> {
    let key = RuntimeKey::of(target);
    if let Some(instruments) = tracked::current_instruments() {
        if instruments.runtime.get() == Some(&key) {
            return Some(instruments);
        }
    }
    INSTALLED.get_in(target)
}

/// The tracked task of `instruments`' runtime being polled on this thread, if any, as a key
/// (its address) for [`Instruments::wait_for_blocked`].
pub(crate) fn current_task(instruments: &Arc<Instruments>) -> Option<usize> {
    tracked::current_task(instruments)
}

/// The virtual clock of the calling code's runtime, if it runs on virtual time.
#[inline]
pub(crate) fn virtual_clock() -> Option<Arc<Instruments>> {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    current().filter(|instruments| instruments.clock.is_some())
}

/// Notes that the task being polled on this thread has arranged its own wake-up (a yield whose
/// wake tokio defers): it stays runnable, although its waker is called only later.
#[inline]
pub(crate) fn note_yield() {
    if ACTIVE.load(Ordering::Relaxed) != 0 {
        tracked::note_yield();
    }
}

#[cfg(all(test, feature = "tokio", feature = "smol"))]
mod tests {
    use std::sync::{Arc, Mutex, Weak};
    use std::time::Duration;

    use crate::{Backend, Runner};

    /// The instruments of a runtime are let go once it ends (they hold no reference to
    /// themselves through timers, wakers or the runtime's table), so that runtimes without
    /// instruments go back to paying a single relaxed load.
    #[test]
    fn the_instruments_go_away_with_their_runtime() {
        for backend in [Backend::Tokio, Backend::Smol] {
            let seen: Arc<Mutex<Weak<super::Instruments>>> = Arc::default();
            let slot = Arc::clone(&seen);
            Runner::new(backend)
                .virtual_time()
                .run(async move {
                    *slot.lock().unwrap() = Arc::downgrade(&super::current().unwrap());
                    crate::task_group(|tg| async move {
                        tg.spawn(crate::sleep(Duration::from_secs(10)));
                        tg.spawn(crate::sleep_forever());
                        let _ =
                            crate::fail_after(Duration::from_secs(5), crate::sleep_forever()).await;
                        crate::testing::wait_all_tasks_blocked().await;
                        crate::to_thread::run_sync(|| ()).await;
                        tg.cancel();
                    })
                    .await
                    .unwrap();
                })
                .unwrap();
            assert!(
                seen.lock().unwrap().upgrade().is_none(),
                "the instruments of a {backend} runtime outlived it"
            );
        }
    }
}
