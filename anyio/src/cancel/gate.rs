//! The gate every anyio operation passes before it completes: it does not complete in a
//! cancelled scope, and it spends the task's cooperative budget (DESIGN §4 rule 10).
//!
//! An operation calls [`gate`] at each poll, before it takes or hands over anything:
//!
//! - [`Gate::Cancelled`]: the code being polled is effectively cancelled. The operation leaves
//!   any line it waits in (giving back what was handed to it) and returns `Pending` without
//!   keeping a waker: the scope that was cancelled drops the body at this suspension. If the
//!   cancellation goes away instead (a shield switched on around it), the scope's task is
//!   woken and the operation starts over when polled again.
//! - [`Gate::Yield`]: the task's budget is spent; it has been arranged that the task is
//!   polled again after the other ready tasks. The operation returns `Pending`, keeping its
//!   place in any line.
//! - [`Gate::Proceed`]: it may complete. If it does, it calls
//!   [`Unit::made_progress`](crate::backend::coop::Unit::made_progress); if it has to wait,
//!   it drops the unit, which gives the budget back.
//!
//! The cancellation check reads the scope frames of this thread and the flags of the nearest
//! scope node (atomics), never the clock: a deadline that passed unnoticed is noticed by its
//! scope at the body's next suspension, which the budget guarantees comes.
//!
//! Built with `RUSTFLAGS="--cfg anyio_no_gate"`, the gate lets everything through at no cost:
//! that build exists only to measure what the gate costs (README, "Performance"), and breaks
//! cancellation and fairness, so nothing else may use it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::context;
use crate::backend::coop::{self, Unit};
use crate::backend::wait_point::{self, WaitPoint};

/// What an operation may do now; see the [module docs](self).
#[derive(Debug)]
pub(crate) enum Gate {
    Proceed(Unit),
    Cancelled,
    Yield,
}

/// Checks for a pending cancellation, then takes a unit of the task's budget. `point` says
/// what the operation is, for a task dump.
#[inline]
pub(crate) fn gate(cx: &mut Context<'_>, point: WaitPoint) -> Gate {
    if cfg!(anyio_no_gate) {
        return Gate::Proceed(Unit::free());
    }
    if context::pending_cancellation(cx.waker()) {
        wait_point::note(point);
        return Gate::Cancelled;
    }
    // The note and the budget in one access to the thread's operation cell.
    match coop::poll_proceed_at(cx, point) {
        Poll::Ready(unit) => Gate::Proceed(unit),
        Poll::Pending => Gate::Yield,
    }
}

/// The gate of an operation that holds nothing to give back when cancelled and may complete
/// at once (a read from a buffer, say): `Pending` when cancelled (the scope drops the body at
/// this suspension) or out of budget (the task was scheduled to be polled again); otherwise
/// the unit to spend if it completes.
#[inline]
pub(crate) fn poll_gate(cx: &mut Context<'_>, point: WaitPoint) -> Poll<Unit> {
    match gate(cx, point) {
        Gate::Proceed(unit) => Poll::Ready(unit),
        Gate::Cancelled | Gate::Yield => Poll::Pending,
    }
}

/// The gate of an I/O operation that holds nothing to give back when cancelled (a system call
/// not made yet): `Pending` when cancelled or out of budget. The budget is left to tokio's I/O
/// objects on tokio, which spend it themselves.
#[inline]
pub(crate) fn poll_io_gate(cx: &mut Context<'_>, point: WaitPoint) -> Poll<Unit> {
    if cfg!(anyio_no_gate) {
        return Poll::Ready(Unit::free());
    }
    wait_point::note(point);
    if context::pending_cancellation(cx.waker()) {
        return Poll::Pending;
    }
    coop::poll_proceed_io(cx)
}

pin_project! {
    /// An I/O operation behind [`poll_io_gate`], checked at each poll: it makes no system call
    /// in a cancelled scope.
    #[derive(Debug)]
    pub(crate) struct GatedIo<F> {
        #[pin]
        operation: F,
        point: WaitPoint,
    }
}

/// Runs `operation` behind [`poll_io_gate`].
pub(crate) fn gated_io<F: Future>(point: WaitPoint, operation: F) -> GatedIo<F> {
    GatedIo { operation, point }
}

impl<F: Future> Future for GatedIo<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let unit = std::task::ready!(poll_io_gate(cx, *this.point));
        let output = std::task::ready!(this.operation.poll(cx));
        unit.made_progress();
        Poll::Ready(output)
    }
}
