//! The cooperative budget: how many ready operations a task completes before it yields.
//!
//! An anyio operation that can complete at once does so without suspending; a loop of them
//! would never give the other tasks of its thread a turn, nor a cancelled scope a suspension
//! point to drop its body at. So each completed operation spends one unit of a per-task
//! budget, and an operation that finds the budget spent yields instead (DESIGN §4 rule 10).
//!
//! - **tokio**: tokio's own budget (`tokio::task::coop`), which tokio refills each time it
//!   polls a task and which its own resources (sockets, channels, timers) spend too, so anyio
//!   operations and tokio's share one budget.
//! - **smol**: async-executor has no budget, so anyio keeps one per thread, refilled each time
//!   an anyio task (a task-group child, a runner's main future) is polled. Under a native
//!   executor, for tasks anyio did not spawn, it is refilled when it runs out: such a thread
//!   yields once every [`BUDGET`] ready anyio operations.
//!
//! As in tokio, an operation that does not complete (it has to wait) gives its unit back.

use std::cell::Cell;
use std::task::{Context, Poll};

use super::Active;

/// Ready operations per task poll, as tokio's budget.
const BUDGET: u8 = 128;

thread_local! {
    static REMAINING: Cell<u8> = const { Cell::new(BUDGET) };
}

/// One unit of budget, taken by an operation about to complete; given back when dropped
/// unless the operation [made progress](Unit::made_progress).
#[must_use]
pub(crate) struct Unit {
    kind: Kind,
}

enum Kind {
    #[cfg(feature = "tokio")]
    Tokio(::tokio::task::coop::RestoreOnPending),
    /// A unit of this thread's own budget.
    Own { spent: bool },
    /// No budget applies (no runtime anyio knows runs the caller).
    Unconstrained,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit").finish_non_exhaustive()
    }
}

impl Unit {
    /// The operation completed: the unit stays spent.
    pub(crate) fn made_progress(mut self) {
        match &mut self.kind {
            #[cfg(feature = "tokio")]
            Kind::Tokio(restore) => restore.made_progress(),
            Kind::Own { spent } => *spent = true,
            Kind::Unconstrained => {}
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if let Kind::Own { spent: false } = self.kind {
            REMAINING.with(|remaining| remaining.set(remaining.get().saturating_add(1)));
        }
    }
}

/// Takes a unit of the calling task's budget, or, when it is spent, arranges for the task to
/// be polled again after the others and returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Unit> {
    match super::current() {
        #[cfg(feature = "tokio")]
        Ok(Active::Tokio) => ::tokio::task::coop::poll_proceed(cx).map(|restore| Unit {
            kind: Kind::Tokio(restore),
        }),
        #[cfg(feature = "smol")]
        Ok(Active::Smol) => poll_own(cx),
        #[allow(unreachable_patterns)]
        _ => Poll::Ready(Unit {
            kind: Kind::Unconstrained,
        }),
    }
}

#[cfg_attr(not(feature = "smol"), allow(dead_code))]
fn poll_own(cx: &mut Context<'_>) -> Poll<Unit> {
    REMAINING.with(|remaining| match remaining.get() {
        0 => {
            remaining.set(BUDGET);
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        left => {
            remaining.set(left - 1);
            Poll::Ready(Unit {
                kind: Kind::Own { spent: false },
            })
        }
    })
}

/// Refills this thread's own budget: called when an anyio task is polled, so that the budget
/// is per task poll, as tokio's.
pub(crate) fn refill() {
    REMAINING.with(|remaining| remaining.set(BUDGET));
}
