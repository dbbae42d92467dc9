//! The counting core under [`Semaphore`](super::Semaphore), [`Mutex`](super::Mutex),
//! [`Lock`](super::Lock), [`RwLock`](super::RwLock) and
//! [`CapacityLimiter`](super::CapacityLimiter): a number of permits, and a FIFO line of
//! waiters that are handed permits directly.
//!
//! # The protocol
//! The permit count lives in an atomic word together with a `QUEUED` bit, so that the
//! uncontended paths are a single compare-and-swap with no lock:
//!
//! - `QUEUED` is set exactly while the line is not empty, and then the count is 0: released
//!   permits go to the waiters first (the first in line may collect them over several
//!   releases, if it asked for more than one). Both the bit and any increase of the count
//!   change only under the line's lock, which keeps this invariant.
//! - A try-acquire takes permits only when `QUEUED` is clear. So nobody overtakes a waiter,
//!   and a permit handed to a woken waiter cannot be stolen before it runs (AnyIO 4.14.2).
//! - A release adds to the count with one compare-and-swap when `QUEUED` is clear, and
//!   otherwise takes the lock and serves the line.
//! - An acquire that finds too few permits takes the lock, looks again, and joins the line,
//!   taking whatever permits are left as a first instalment.
//!
//! - Serving the line passes over waiters whose cancellation is pending (they are evicted, and
//!   an instalment they had goes on to the next waiter), so the invariant holds with them gone.
//!
//! # Cancel safety
//! A dropped [`Acquire`] leaves the line; what it was given (all of it, or an instalment) is
//! released again, to the next waiter. An acquire polled in a cancelled scope does the same
//! and suspends (see `cancel::gate`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::shim::{AtomicUsize, Mutex, MutexGuard, lock};
use super::waiters::{Key, Removed, Standing, WaiterList, WakeList};
use crate::backend::coop::Unit;
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};
use crate::task::TaskId;
use crate::task::info::current_task_id;

/// Set while the line of waiters is not empty.
const QUEUED: usize = 1;
/// The count is stored above the `QUEUED` bit.
const SHIFT: u32 = 1;
/// The most permits the word can count.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 2;

/// Something that owns a [`Permits`]: a primitive, or a reference or `Arc` to one, so that
/// one [`Acquire`] serves both borrowed and owned guards.
pub(crate) trait HasPermits {
    fn permits(&self) -> &Permits;

    /// Told, under the line's lock, who the permits went to when they were handed over by a
    /// release: the id of the waiter's anyio task (0 for none), or 0 when they went back to the
    /// count. A mutex records its owner this way, before the new owner even runs.
    fn handed_over(&self, _task: u64) {}
}

impl HasPermits for Permits {
    fn permits(&self) -> &Permits {
        self
    }
}

impl<P: HasPermits + ?Sized> HasPermits for &P {
    fn permits(&self) -> &Permits {
        (**self).permits()
    }

    fn handed_over(&self, task: u64) {
        (**self).handed_over(task);
    }
}

impl<P: HasPermits + ?Sized> HasPermits for Arc<P> {
    fn permits(&self) -> &Permits {
        (**self).permits()
    }

    fn handed_over(&self, task: u64) {
        (**self).handed_over(task);
    }
}

/// What a waiter asked for and has been given so far.
#[derive(Debug)]
struct Need {
    wanted: usize,
    given: usize,
    /// The waiter's anyio task (0 for none), for [`HasPermits::handed_over`].
    task: u64,
}

/// A count of permits with a FIFO line of waiters.
#[derive(Debug)]
pub(crate) struct Permits {
    state: AtomicUsize,
    /// The most permits the count may hold (a semaphore's `max_value`); permits given back
    /// past it are discarded.
    limit: usize,
    waiters: Mutex<WaiterList<Need>>,
}

impl Permits {
    /// `count` permits, at most [`MAX_PERMITS`].
    #[cfg(not(anyio_loom))]
    pub(crate) const fn new(count: usize) -> Self {
        Permits::with_limit(count, MAX_PERMITS)
    }

    /// `count` permits, at most [`MAX_PERMITS`].
    #[cfg(anyio_loom)]
    pub(crate) fn new(count: usize) -> Self {
        Permits::with_limit(count, MAX_PERMITS)
    }

    /// `count` permits, never more than `limit` (at most [`MAX_PERMITS`]) in the count.
    #[cfg(not(anyio_loom))]
    pub(crate) const fn with_limit(count: usize, limit: usize) -> Self {
        Permits {
            state: AtomicUsize::new(count << SHIFT),
            limit,
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// `count` permits, never more than `limit` in the count.
    #[cfg(anyio_loom)]
    pub(crate) fn with_limit(count: usize, limit: usize) -> Self {
        Permits {
            state: AtomicUsize::new(count << SHIFT),
            limit,
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// The permits available now (0 while anybody waits).
    pub(crate) fn available(&self) -> usize {
        self.state.load(Ordering::Acquire) >> SHIFT
    }

    /// How many acquires wait in line.
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.waiters).len()
    }

    /// Takes `wanted` permits if they are available and nobody waits.
    #[inline]
    pub(crate) fn try_acquire(&self, wanted: usize) -> bool {
        if wanted == 0 {
            return true;
        }
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & QUEUED != 0 || state >> SHIFT < wanted {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state - (wanted << SHIFT),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Gives back `count` permits: to the waiters first, in order, then to the count.
    ///
    /// The limit caps the count (the permits not handed to waiters): when nobody waits and the
    /// count would go past it, nothing is released and the permits that could not be added
    /// are returned. When waiters are served first, whatever would go past the limit is
    /// discarded instead (the waiters took the rest).
    #[inline]
    pub(crate) fn release(&self, count: usize) -> Result<(), usize> {
        self.release_with(count, &|_| {})
    }

    /// [`release`](Self::release), telling `handed_over` where the permits went when the line
    /// is served (see [`HasPermits::handed_over`]).
    #[inline]
    pub(crate) fn release_with(
        &self,
        count: usize,
        handed_over: &dyn Fn(u64),
    ) -> Result<(), usize> {
        let limit = self.limit;
        if count == 0 {
            return Ok(());
        }
        let mut state = self.state.load(Ordering::Relaxed);
        while state & QUEUED == 0 {
            let available = state >> SHIFT;
            if available + count > limit {
                return Err(available + count - limit);
            }
            match self.state.compare_exchange_weak(
                state,
                state + (count << SHIFT),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => state = actual,
            }
        }
        // Somebody waits: serve the line under its lock.
        self.release_locked(count, lock(&self.waiters), handed_over);
        Ok(())
    }

    /// Hands `count` permits to the line in order (passing over waiters whose cancellation is
    /// pending, whose instalments join the permits handed on), adds the rest to the count, and
    /// keeps `QUEUED` true to the line. Wakes the served waiters after unlocking.
    fn release_locked(
        &self,
        mut count: usize,
        mut waiters: MutexGuard<'_, WaiterList<Need>>,
        handed_over: &dyn Fn(u64),
    ) {
        let mut woken = WakeList::default();
        while count > 0 {
            let Some(front) = waiters.front_live(|evicted| count += evicted.given) else {
                break;
            };
            let share = count.min(front.wanted - front.given);
            front.given += share;
            count -= share;
            if front.given == front.wanted {
                handed_over(front.task);
                if let Some(waker) = waiters.grant_front() {
                    woken.push(waker);
                }
            }
        }
        if count > 0 {
            handed_over(0);
        }
        if waiters.is_empty() {
            // Under the lock with `QUEUED` set the count is 0 and nobody else changes the
            // word, so this store cannot lose an update. With `QUEUED` clear (a waiter just
            // left an empty line behind) others may change the count: add with a CAS. Either
            // way the count stays within the limit; the excess is discarded.
            let mut state = self.state.load(Ordering::Relaxed);
            if state & QUEUED != 0 {
                self.state
                    .store(count.min(self.limit) << SHIFT, Ordering::Release);
            } else if count > 0 {
                loop {
                    let total = ((state >> SHIFT) + count).min(self.limit);
                    match self.state.compare_exchange_weak(
                        state,
                        total << SHIFT,
                        Ordering::Release,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => break,
                        Err(actual) => state = actual,
                    }
                }
            }
        }
        drop(waiters);
        woken.wake();
    }

    /// Called by a waiter leaving the line: gives back what it was given.
    fn leave(&self, key: Key, handed_over: &dyn Fn(u64)) {
        let mut waiters = lock(&self.waiters);
        let given = match waiters.remove(key) {
            Removed::Queued(need) => need.given,
            Removed::Granted(need) => need.wanted,
            Removed::Evicted => 0,
        };
        self.release_locked(given, waiters, handed_over);
    }
}

/// Waits for `wanted` permits of `owner`, in line behind the earlier waiters: completes once
/// the permits are the caller's.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub(crate) struct Acquire<H: HasPermits> {
    owner: H,
    wanted: usize,
    key: Option<Key>,
}

impl<H: HasPermits> Acquire<H> {
    pub(crate) fn new(owner: H, wanted: usize) -> Self {
        Acquire {
            owner,
            wanted,
            key: None,
        }
    }

    /// The owner of the permits.
    pub(crate) fn owner(&self) -> &H {
        &self.owner
    }

    /// Gives the owner back, once the acquire has completed (or never started).
    pub(crate) fn into_owner(mut self) -> H
    where
        H: Clone,
    {
        debug_assert!(self.key.is_none(), "a waiting acquire is not taken apart");
        self.key = None;
        self.owner.clone()
    }

    /// Whether the future has joined the line (it could not take its permits at once).
    pub(crate) fn is_queued(&self) -> bool {
        self.key.is_some()
    }

    #[inline(never)]
    fn join_line(&mut self, cx: &Context<'_>) -> Poll<()> {
        let permits = self.owner.permits();
        let mut waiters = lock(&permits.waiters);
        let mut state = permits.state.load(Ordering::Relaxed);
        let given = loop {
            if state & QUEUED == 0 && state >> SHIFT >= self.wanted {
                match permits.state.compare_exchange_weak(
                    state,
                    state - (self.wanted << SHIFT),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Poll::Ready(()),
                    Err(actual) => state = actual,
                }
                continue;
            }
            // Take what is left as a first instalment and mark the line as non-empty.
            match permits.state.compare_exchange_weak(
                state,
                QUEUED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break state >> SHIFT,
                Err(actual) => state = actual,
            }
        };
        let need = Need {
            wanted: self.wanted,
            given,
            task: current_task_id().map_or(0, TaskId::as_u64),
        };
        self.key = Some(waiters.push_back(cx.waker().clone(), need));
        Poll::Pending
    }
}

impl<H: HasPermits> Acquire<H> {
    /// Leaves the line, giving back what was given.
    #[cold]
    fn leave(&mut self) {
        if let Some(key) = self.key.take() {
            let owner = &self.owner;
            owner.permits().leave(key, &|task| owner.handed_over(task));
        }
    }

    /// The gate said no: cancelled (leave the line, giving back what was handed over) or out
    /// of budget (keep the place).
    #[cold]
    fn refused(&mut self, gate: Gate) -> Poll<()> {
        if let Gate::Cancelled = gate {
            self.leave();
        }
        Poll::Pending
    }

    /// Polls an acquire that is in line.
    #[inline(never)]
    fn poll_in_line(&mut self, key: Key, unit: Unit, cx: &mut Context<'_>) -> Poll<()> {
        let mut waiters = lock(&self.owner.permits().waiters);
        match waiters.standing(key) {
            Standing::Granted => {
                waiters.remove(key);
                drop(waiters);
                self.key = None;
                // A completed acquire owns its permits; polling it again would take more.
                self.wanted = 0;
                unit.made_progress();
                Poll::Ready(())
            }
            Standing::Queued => {
                waiters.update_waker(key, cx.waker());
                Poll::Pending
            }
            Standing::Evicted => {
                // Passed over for a cancellation that was withdrawn since: start over.
                waiters.remove(key);
                drop(waiters);
                self.key = None;
                if self.owner.permits().try_acquire(self.wanted) {
                    self.wanted = 0;
                    unit.made_progress();
                    return Poll::Ready(());
                }
                self.join_line(cx)
            }
        }
    }
}

impl<H: HasPermits + Unpin> Future for Acquire<H> {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let unit = match gate(cx, WaitPoint::Lock) {
            Gate::Proceed(unit) => unit,
            refused => return self.refused(refused),
        };
        match self.key {
            None => {
                if self.owner.permits().try_acquire(self.wanted) {
                    self.wanted = 0;
                    unit.made_progress();
                    return Poll::Ready(());
                }
                drop(unit);
                self.join_line(cx)
            }
            Some(key) => self.poll_in_line(key, unit, cx),
        }
    }
}

/// Polls an acquire kept in an `Option` by a public future; on completion takes it apart and
/// returns the permits' owner, for the guard.
///
/// # Panics
/// When polled again after it completed; `future` names the public future in the message.
pub(crate) fn poll_acquire<H>(
    acquire: &mut Option<Acquire<H>>,
    cx: &mut Context<'_>,
    future: &str,
) -> Poll<H>
where
    H: HasPermits + Clone + Unpin,
{
    let pending = acquire
        .as_mut()
        .unwrap_or_else(|| panic!("`{future}` polled after it completed"));
    std::task::ready!(Pin::new(pending).poll(cx));
    let owner = acquire.take().map(Acquire::into_owner);
    Poll::Ready(owner.expect("the acquire was there"))
}

impl<H: HasPermits> Drop for Acquire<H> {
    #[inline]
    fn drop(&mut self) {
        if self.key.is_some() {
            self.leave();
        }
    }
}

#[cfg(all(test, not(anyio_loom)))]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::{Acquire, MAX_PERMITS, Permits};

    fn poll(future: std::pin::Pin<&mut impl Future<Output = ()>>) -> Poll<()> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_big_request_collects_permits_in_instalments_and_keeps_its_place() {
        let permits = Permits::new(1);
        let mut big = pin!(Acquire::new(&permits, 3));
        assert!(poll(big.as_mut()).is_pending());
        assert_eq!(
            permits.available(),
            0,
            "the first instalment went to the waiter"
        );
        let mut small = pin!(Acquire::new(&permits, 1));
        assert!(poll(small.as_mut()).is_pending());
        permits.release(1).unwrap();
        assert!(poll(big.as_mut()).is_pending());
        permits.release(1).unwrap();
        assert!(poll(big.as_mut()).is_ready());
        assert!(
            poll(small.as_mut()).is_pending(),
            "served after the big one"
        );
        permits.release(1).unwrap();
        assert!(poll(small.as_mut()).is_ready());
        assert_eq!(permits.available(), 0);
    }

    #[test]
    fn a_dropped_waiter_passes_its_instalment_on() {
        let permits = Permits::new(2);
        let mut big = Box::pin(Acquire::new(&permits, 3));
        assert!(poll(big.as_mut()).is_pending());
        let mut next = pin!(Acquire::new(&permits, 2));
        assert!(poll(next.as_mut()).is_pending());
        drop(big);
        assert!(poll(next.as_mut()).is_ready(), "the two permits moved on");
        assert_eq!(permits.available(), 0);
        permits.release(2).unwrap();
        assert_eq!(permits.available(), 2);
    }

    #[test]
    fn release_past_the_limit_is_refused_whole() {
        let permits = Permits::with_limit(2, 3);
        assert_eq!(permits.release(2), Err(1));
        assert_eq!(permits.available(), 2);
        assert_eq!(permits.release(1), Ok(()));
        assert_eq!(permits.release(MAX_PERMITS), Err(MAX_PERMITS));
    }

    #[test]
    fn a_dropped_waiter_gives_back_no_more_than_the_limit() {
        let permits = Permits::with_limit(0, 1);
        let mut waiter = Box::pin(Acquire::new(&permits, 1));
        assert!(poll(waiter.as_mut()).is_pending());
        permits.release(1).unwrap(); // handed to the waiter
        permits.release(1).unwrap(); // to the count, which is now at the limit
        drop(waiter); // its permit would go past the limit: discarded
        assert_eq!(permits.available(), 1);
    }
}
