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

    /// Counts the calling task as waiting in `wait_all_tasks_blocked` (if `counted`: a native
    /// task is not among the runnable tasks to begin with) until it is released.
    pub(crate) fn wait_for_blocked(self: &Arc<Self>, counted: bool) -> WaitingGuard {
        let mut waiting = self.waiting();
        waiting.count += usize::from(counted);
        WaitingGuard {
            instruments: Arc::clone(self),
            round: waiting.round,
            counted,
        }
    }

    /// Whether the waiter of `guard` may return: every tracked task that can run is a waiter
    /// (then every waiter is released at once), or another waiter already saw that.
    pub(crate) fn all_others_blocked(&self, guard: &WaitingGuard) -> bool {
        let mut waiting = self.waiting();
        if waiting.round != guard.round {
            return true;
        }
        if self.runnable.load(Ordering::SeqCst) <= waiting.count {
            // The waiters are runnable tasks like any other from now on, even before they
            // return: a task that waits again must wait for them.
            waiting.round += 1;
            waiting.count = 0;
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
            clock.jump_if(|| {
                self.runnable.load(Ordering::SeqCst) == 0 && self.holds.load(Ordering::SeqCst) == 0
            });
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
    /// How many tracked tasks wait in this round.
    count: usize,
    /// Goes up when the waiters of a round are released.
    round: u64,
}

/// A task's place among the waiters of `wait_all_tasks_blocked`; dropping it leaves.
#[derive(Debug)]
pub(crate) struct WaitingGuard {
    instruments: Arc<Instruments>,
    round: u64,
    counted: bool,
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        let mut waiting = self.instruments.waiting();
        if self.counted && waiting.round == self.round {
            waiting.count -= 1;
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
        if self.instruments.holds.fetch_sub(1, Ordering::SeqCst) == 1
            && self.instruments.runnable.load(Ordering::SeqCst) == 0
        {
            self.instruments.idle();
        }
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

/// The instruments of the runtime that `target` spawns on, if it has any.
pub(crate) fn of_target(target: &SpawnTarget) -> Option<Arc<Instruments>> {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let key = RuntimeKey::of(target);
    if let Some(instruments) = tracked::current_instruments() {
        if instruments.runtime.get() == Some(&key) {
            return Some(instruments);
        }
    }
    INSTALLED.get_in(target)
}

/// Whether a tracked task of `instruments`' runtime is being polled on this thread.
pub(crate) fn in_tracked_task(instruments: &Arc<Instruments>) -> bool {
    tracked::current_instruments().is_some_and(|current| Arc::ptr_eq(&current, instruments))
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
