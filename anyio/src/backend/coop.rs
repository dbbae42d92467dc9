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
//! - **elsewhere** (a native `block_on` of either library, or another executor) both apply.
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
    /// A unit of tokio's budget (unconstrained outside tokio's own polls).
    #[cfg(feature = "tokio")]
    tokio: Option<::tokio::task::coop::RestoreOnPending>,
    /// A unit of this thread's own budget was taken, and is still to be given back.
    own: bool,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit").finish_non_exhaustive()
    }
}

impl Unit {
    /// The operation completed: the unit stays spent.
    pub(crate) fn made_progress(mut self) {
        #[cfg(feature = "tokio")]
        if let Some(restore) = &self.tokio {
            restore.made_progress();
        }
        self.own = false;
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if self.own {
            REMAINING.with(|remaining| remaining.set(remaining.get().saturating_add(1)));
        }
    }
}

/// Takes a unit of the calling task's budget, or, when it is spent, arranges for the task to
/// be polled again after the others and returns `Pending`.
///
/// Which budget is told by thread-locals alone (no runtime handle is looked up on this path):
/// tokio's where anyio's tokio runner or a tokio scheduler runs the thread, this thread's own
/// where anyio's smol runner does, and elsewhere both (tokio's is unconstrained unless a tokio
/// `block_on` polls the code).
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Unit> {
    match super::marker() {
        #[cfg(feature = "tokio")]
        Some(Active::Tokio) => poll_tokio(cx, false),
        #[cfg(feature = "smol")]
        Some(Active::Smol) => poll_own(cx),
        #[allow(unreachable_patterns)]
        _ => {
            #[cfg(feature = "tokio")]
            if ::tokio::runtime::worker_index().is_some() {
                return poll_tokio(cx, false);
            }
            #[cfg(feature = "tokio")]
            return poll_tokio(cx, true);
            #[cfg(not(feature = "tokio"))]
            poll_own(cx)
        }
    }
}

/// [`poll_proceed`] for an operation on a backend I/O object: on tokio, whose I/O objects
/// spend tokio's budget themselves, a free unit; elsewhere a unit of the budget.
pub(crate) fn poll_proceed_io(cx: &mut Context<'_>) -> Poll<Unit> {
    #[cfg(feature = "tokio")]
    if super::marker() == Some(Active::Tokio) || ::tokio::runtime::worker_index().is_some() {
        return Poll::Ready(Unit {
            tokio: None,
            own: false,
        });
    }
    poll_proceed(cx)
}

#[cfg(feature = "tokio")]
fn poll_tokio(cx: &mut Context<'_>, and_own: bool) -> Poll<Unit> {
    let restore = std::task::ready!(::tokio::task::coop::poll_proceed(cx));
    if !and_own {
        return Poll::Ready(Unit {
            tokio: Some(restore),
            own: false,
        });
    }
    poll_own(cx).map(|mut unit| {
        unit.tokio = Some(restore);
        unit
    })
}

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
                #[cfg(feature = "tokio")]
                tokio: None,
                own: true,
            })
        }
    })
}

/// Refills this thread's own budget: called when an anyio task is polled, so that the budget
/// is per task poll, as tokio's.
pub(crate) fn refill() {
    REMAINING.with(|remaining| remaining.set(BUDGET));
}
