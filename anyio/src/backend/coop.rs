//! The cooperative budget: how many ready operations a task completes before it yields.
//!
//! An anyio operation that can complete at once does so without suspending; a loop of them
//! would never give the other tasks of its thread a turn, nor a cancelled scope a suspension
//! point to drop its body at. So each completed operation spends one unit of a per-task
//! budget, and an operation that finds the budget spent yields instead (DESIGN §4 rule 10).
//!
//! The budget is a per-thread counter of anyio's (in the thread's [`op_cell`](super::op_cell)),
//! refilled each time an anyio task (a task-group child, a runner's main future) is polled, so
//! it is per task poll, as tokio's own is. Under a native executor, for tasks anyio did not
//! spawn, it is refilled when it runs out: such a thread yields once every [`BUDGET`] ready
//! anyio operations.
//!
//! The yield wakes the task at once, so that it goes to the back of its scheduler's queue, on
//! every backend. On tokio this is not `tokio::task::yield_now`'s yield, which runs the task
//! again only after the scheduler has polled its I/O and timer drivers: that costs about
//! 350 ns, 10% of a loop of uncontended lock operations, where a plain wake costs nothing
//! measurable. The drivers still get their turn: tokio polls them every 61 scheduled tasks
//! however the tasks were woken, and an explicit
//! [`checkpoint`](crate::lowlevel::checkpoint) keeps `yield_now`'s behaviour.
//!
//! anyio does not spend tokio's own budget (`tokio::task::coop`): that
//! costs two calls into tokio per operation, about 6 ns, four times what the rest of the
//! check costs, and tokio's resources in the same task keep their own budget anyway. I/O
//! objects of tokio spend tokio's budget themselves ([`poll_proceed_io`]).
//!
//! As in tokio, an operation that does not complete (it has to wait) gives its unit back.

use std::task::{Context, Poll};

#[cfg(feature = "tokio")]
use super::Active;
use super::op_cell::{self, OpCell};
use super::wait_point::{self, WaitPoint};

/// Ready operations per task poll, as tokio's budget.
pub(super) const BUDGET: u8 = 128;

/// One unit of budget, taken by an operation about to complete; given back when dropped
/// unless the operation [made progress](Unit::made_progress).
#[must_use]
pub(crate) struct Unit {
    /// A unit was taken, and is still to be given back.
    taken: bool,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit").finish_non_exhaustive()
    }
}

impl Unit {
    /// A unit that costs nothing: for operations that do not spend this budget.
    #[inline]
    pub(crate) fn free() -> Unit {
        Unit { taken: false }
    }

    /// The operation completed: the unit stays spent.
    #[inline]
    pub(crate) fn made_progress(mut self) {
        self.taken = false;
    }
}

impl Drop for Unit {
    #[inline]
    fn drop(&mut self) {
        if self.taken {
            op_cell::with(|cell| {
                let remaining = &cell.remaining;
                remaining.set(remaining.get().saturating_add(1));
            });
        }
    }
}

/// Takes a unit of the calling task's budget, or, when it is spent, arranges for the task to
/// be polled again after the others and returns `Pending`.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Unit> {
    // No budget under loom: see `poll_proceed_at`.
    if cfg!(anyio_loom) {
        return Poll::Ready(Unit::free());
    }
    if op_cell::with(take) {
        return Poll::Ready(Unit { taken: true });
    }
    spent(cx)
}

/// [`poll_proceed`] for an operation that also notes its wait point (for a task dump): both in
/// one access to the thread's [`OpCell`].
#[inline]
pub(crate) fn poll_proceed_at(cx: &mut Context<'_>, point: WaitPoint) -> Poll<Unit> {
    // Loom runs its model threads on one OS thread, and a thread-local budget would carry over
    // from one execution of a model to the next (which loom rejects as nondeterminism): the
    // models check the primitives' protocols, not the budget.
    if cfg!(anyio_loom) {
        wait_point::note(point);
        return Poll::Ready(Unit::free());
    }
    // The closure is kept to a few instructions so that it is inlined with the thread-local
    // access; the rare spent budget is handled outside it.
    let taken = op_cell::with(|cell| {
        wait_point::note_in(cell, point);
        take(cell)
    });
    if taken {
        return Poll::Ready(Unit { taken: true });
    }
    spent(cx)
}

/// Takes a unit from the budget if one is left.
#[inline]
fn take(cell: &OpCell) -> bool {
    match cell.remaining.get() {
        0 => false,
        left => {
            cell.remaining.set(left - 1);
            true
        }
    }
}

/// The budget is spent: refills it for the next poll and yields (out of line: this happens
/// once in [`BUDGET`] operations).
#[cold]
#[inline(never)]
fn spent(cx: &mut Context<'_>) -> Poll<Unit> {
    refill();
    yield_now(cx);
    Poll::Pending
}

/// [`poll_proceed`] for an operation on a backend I/O object: on tokio, whose I/O objects
/// spend tokio's budget themselves, a free unit; elsewhere a unit of the budget.
#[inline]
pub(crate) fn poll_proceed_io(cx: &mut Context<'_>) -> Poll<Unit> {
    if on_tokio() {
        return Poll::Ready(Unit::free());
    }
    poll_proceed(cx)
}

/// Whether tokio runs the calling thread (anyio's tokio runner, or a tokio scheduler), told
/// by thread-locals alone.
#[inline]
fn on_tokio() -> bool {
    match super::marker() {
        #[cfg(feature = "tokio")]
        Some(Active::Tokio) => true,
        #[allow(unreachable_patterns)] // without the smol backend, tokio is the only one
        Some(_) => false,
        #[cfg(feature = "tokio")]
        None => ::tokio::runtime::worker_index().is_some(),
        #[cfg(not(feature = "tokio"))]
        None => false,
    }
}

/// Yields when the budget is spent, by waking the task at once (it goes to the back of the
/// executor's queue; see the [module docs](self) for why not through tokio's drivers).
fn yield_now(cx: &mut Context<'_>) {
    super::instruments::note_yield();
    cx.waker().wake_by_ref();
}

/// Refills this thread's budget: called when an anyio task is polled, so that the budget is
/// per task poll.
#[inline]
pub(crate) fn refill() {
    op_cell::with(|cell| cell.remaining.set(BUDGET));
}
