//! A virtual clock: time stands still while tasks run, and jumps to the next timer's deadline
//! when none can (see [`Instruments::idle`](super::Instruments)).
//!
//! The clock reads as the real `Instant` at which the runtime started plus the virtual time
//! that has passed, so deadlines stay `Instant`s and mix with the rest of the crate. Timers are
//! kept in a heap by deadline, then by the order in which they were armed: timers due at the
//! same moment fire in that order, on every backend.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A runtime's virtual clock.
pub(crate) struct VirtualClock {
    /// When the runtime started, in real time: virtual time zero.
    start: Instant,
    /// Virtual nanoseconds since `start`.
    elapsed: AtomicU64,
    timers: Mutex<Timers>,
}

/// The armed timers.
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Armed>,
    /// Gives each arming its place among timers due at the same moment.
    next_order: u64,
    /// A jump's fired wakers are running (outside the lock).
    waking: bool,
    /// A jump was asked for while `waking`: it is made once the wakers have run.
    missed: bool,
    /// About how many heap items are stale (their timer dropped, or armed again for another
    /// deadline): once they are half the heap, it is rebuilt without them, so that a loop of
    /// timers dropped before they fire (`fail_after` around a body that suspends) does not
    /// grow it without bound.
    stale: usize,
}

impl Timers {
    /// Counts one more stale item, and drops the stale items once they are many.
    fn one_stale(&mut self) {
        self.stale += 1;
        if self.stale > 64 && self.stale * 2 > self.heap.len() {
            self.heap.retain(Armed::is_live);
            self.stale = 0;
        }
    }
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field(
                "elapsed",
                &Duration::from_nanos(self.elapsed.load(Ordering::SeqCst)),
            )
            .finish_non_exhaustive()
    }
}

impl VirtualClock {
    pub(super) fn new() -> VirtualClock {
        VirtualClock {
            start: Instant::now(),
            elapsed: AtomicU64::new(0),
            timers: Mutex::new(Timers::default()),
        }
    }

    /// The virtual time now.
    pub(crate) fn now(&self) -> Instant {
        self.start + Duration::from_nanos(self.elapsed.load(Ordering::SeqCst))
    }

    /// Moves the clock to the earliest armed deadline and fires every timer due by then, if
    /// `still_idle` holds once the timers are locked (a task woken meanwhile cancels the jump).
    ///
    /// The fired timers' wakers run after the lock is let go, and until they have run the
    /// tasks they wake do not count as runnable yet: another jump then would skip past the
    /// deadline just reached before its tasks ran. So a jump asked for meanwhile is put off
    /// until the wakers have run, then made (if the runtime is still idle).
    pub(super) fn jump_if(&self, still_idle: impl Fn() -> bool) {
        loop {
            let mut due = Vec::new();
            {
                let mut timers = self.timers.lock().unwrap_or_else(PoisonError::into_inner);
                if timers.waking {
                    timers.missed = true;
                    return;
                }
                if !still_idle() {
                    return;
                }
                let now = self.now();
                while let Some(top) = timers.heap.peek() {
                    let next = if top.deadline <= now {
                        now
                    } else if top.is_live() {
                        top.deadline
                    } else {
                        timers.heap.pop();
                        timers.stale = timers.stale.saturating_sub(1);
                        continue;
                    };
                    self.advance_to(next);
                    break;
                }
                let now = self.now();
                while timers.heap.peek().is_some_and(|top| top.deadline <= now) {
                    if let Some(armed) = timers.heap.pop() {
                        if let Some(waker) = armed.take_waker() {
                            due.push(waker);
                        }
                    }
                }
                if due.is_empty() {
                    return;
                }
                timers.waking = true;
            }
            // Outside the lock: a waker may run code that arms a timer.
            for waker in due {
                waker.wake();
            }
            let mut timers = self.timers.lock().unwrap_or_else(PoisonError::into_inner);
            timers.waking = false;
            if !std::mem::take(&mut timers.missed) {
                return;
            }
        }
    }

    fn advance_to(&self, moment: Instant) {
        let elapsed = moment.saturating_duration_since(self.start);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed.fetch_max(nanos, Ordering::SeqCst);
    }

    /// Arms `entry` for `deadline` (unless it is armed for it already).
    fn arm(&self, entry: &Arc<Entry>, deadline: Instant) {
        let mut timers = self.timers.lock().unwrap_or_else(PoisonError::into_inner);
        let order = timers.next_order;
        timers.next_order += 1;
        let moved = {
            let mut state = entry.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.armed == Some(deadline) {
                return;
            }
            state.order = order;
            state.armed.replace(deadline).is_some()
        };
        timers.heap.push(Armed {
            deadline,
            order,
            entry: Arc::downgrade(entry),
        });
        if moved {
            // The item for the former deadline is stale.
            timers.one_stale();
        }
    }
}

/// A timer on a virtual clock.
pub(crate) struct VirtualTimer {
    clock: Arc<super::Instruments>,
    deadline: Instant,
    entry: Arc<Entry>,
}

impl fmt::Debug for VirtualTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualTimer")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// The state a timer shares with its place in the heap.
#[derive(Default)]
struct Entry {
    state: Mutex<EntryState>,
}

#[derive(Default)]
struct EntryState {
    /// The deadline the heap holds this timer for; a heap item for any other is stale.
    armed: Option<Instant>,
    order: u64,
    waker: Option<Waker>,
}

impl VirtualTimer {
    /// A timer for `deadline` on the virtual clock of `instruments` (which must have one).
    pub(crate) fn new(instruments: Arc<super::Instruments>, deadline: Instant) -> VirtualTimer {
        VirtualTimer {
            clock: instruments,
            deadline,
            entry: Arc::default(),
        }
    }

    fn clock(&self) -> &VirtualClock {
        match self.clock.clock() {
            Some(clock) => clock,
            None => unreachable!("a virtual timer is made only for a runtime with a clock"),
        }
    }

    /// Moves the deadline.
    pub(crate) fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    /// Ready once the virtual clock has reached the deadline.
    pub(crate) fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.clock().now() >= self.deadline {
            return Poll::Ready(());
        }
        {
            let mut state = self
                .entry
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !state
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                state.waker = Some(cx.waker().clone());
            }
        }
        self.clock().arm(&self.entry, self.deadline);
        // Armed where no tracked task runs (a native task, when every tracked task is
        // blocked): no tracked task going idle will jump the clock to it, so look now.
        self.clock.idle_if_nothing_runs();
        // The clock may have jumped between the check and the arming, past this deadline.
        if self.clock().now() >= self.deadline {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for VirtualTimer {
    fn drop(&mut self) {
        let armed = self
            .entry
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .armed
            .take()
            .is_some();
        if armed {
            // Its heap item is stale from now on. (`try_lock`: never wait in a drop; a stale
            // item not counted is still dropped by the next rebuild, or when it comes up.)
            if let Some(clock) = self.clock.clock() {
                if let Ok(mut timers) = clock.timers.try_lock() {
                    timers.one_stale();
                }
            }
        }
    }
}

/// A heap item: a timer armed for a deadline.
struct Armed {
    deadline: Instant,
    order: u64,
    entry: Weak<Entry>,
}

impl Armed {
    /// Whether the timer is still alive and still armed for this deadline.
    fn is_live(&self) -> bool {
        self.entry.upgrade().is_some_and(|entry| {
            let state = entry.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.armed == Some(self.deadline) && state.order == self.order
        })
    }

    /// The waker of a live timer, disarming it.
    fn take_waker(&self) -> Option<Waker> {
        let entry = self.entry.upgrade()?;
        let mut state = entry.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.armed != Some(self.deadline) || state.order != self.order {
            return None;
        }
        state.armed = None;
        state.waker.take()
    }
}

impl PartialEq for Armed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Armed {}

impl PartialOrd for Armed {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Armed {
    /// Reversed, so that the max-heap's top is the earliest deadline, then the earliest armed.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.deadline, other.order).cmp(&(self.deadline, self.order))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, Weak};
    use std::task::{Context, Wake, Waker};
    use std::time::{Duration, Instant};

    use super::super::Instruments;
    use super::VirtualTimer;

    /// A waker that, when called, first lets the runtime go idle again (as a task on another
    /// thread finishing its poll would, right then), then notes the virtual time.
    struct IdleOnWake {
        instruments: Weak<Instruments>,
        seen: Mutex<Option<Instant>>,
    }

    impl Wake for IdleOnWake {
        fn wake(self: Arc<Self>) {
            if let Some(instruments) = self.instruments.upgrade() {
                instruments.idle();
                let now = instruments.clock().map(super::VirtualClock::now);
                *self.seen.lock().unwrap() = now;
            }
        }
    }

    #[test]
    fn dropped_and_moved_timers_do_not_pile_up_in_the_heap() {
        let instruments = Instruments::new(true);
        let clock = instruments.clock().unwrap();
        let start = clock.now();
        let far = start + Duration::from_secs(3600);
        // A task runs (the clock stands still) and, as a loop of `fail_after(1 hour, ...)`
        // whose body suspends does, arms timers it drops before they fire.
        instruments.runnable_up();
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..10_000 {
            let mut timer = VirtualTimer::new(Arc::clone(&instruments), far);
            assert!(timer.poll_fire(&mut cx).is_pending());
        }
        // And one timer moved again and again (a deadline moved at run time).
        let mut moved = VirtualTimer::new(Arc::clone(&instruments), far);
        for step in 0..10_000 {
            moved.reset(far + Duration::from_secs(step));
            assert!(moved.poll_fire(&mut cx).is_pending());
        }
        let held = clock.timers.lock().unwrap().heap.len();
        assert!(held < 1_000, "{held} timers in the heap");
        instruments.runnable_down();
    }

    #[test]
    fn no_second_jump_before_the_fired_timers_wakers_have_run() {
        let instruments = Instruments::new(true);
        let start = instruments.clock().unwrap().now();
        let first = Arc::new(IdleOnWake {
            instruments: Arc::downgrade(&instruments),
            seen: Mutex::new(None),
        });
        let first_waker = Waker::from(Arc::clone(&first));
        let mut one = VirtualTimer::new(Arc::clone(&instruments), start + Duration::from_secs(1));
        let mut two = VirtualTimer::new(Arc::clone(&instruments), start + Duration::from_secs(2));
        // A task runs, arms both timers, and goes idle.
        instruments.runnable_up();
        let mut cx = Context::from_waker(&first_waker);
        assert!(one.poll_fire(&mut cx).is_pending());
        assert!(
            two.poll_fire(&mut Context::from_waker(Waker::noop()))
                .is_pending()
        );
        instruments.runnable_down();
        // The first timer's task was woken at 1 s; had the idle moment in its wake jumped again,
        // it would see 2 s (the second timer's deadline) before it ran.
        assert_eq!(
            *first.seen.lock().unwrap(),
            Some(start + Duration::from_secs(1))
        );
    }
}
