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

use std::task::Context;

use super::context;
use crate::backend::coop::{self, Unit};

/// What an operation may do now; see the [module docs](self).
#[derive(Debug)]
pub(crate) enum Gate {
    Proceed(Unit),
    Cancelled,
    Yield,
}

/// Checks for a pending cancellation, then takes a unit of the task's budget.
pub(crate) fn gate(cx: &mut Context<'_>) -> Gate {
    if context::pending_cancellation() {
        return Gate::Cancelled;
    }
    match coop::poll_proceed(cx) {
        std::task::Poll::Ready(unit) => Gate::Proceed(unit),
        std::task::Poll::Pending => Gate::Yield,
    }
}
