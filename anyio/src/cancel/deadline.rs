//! The timer behind a scope's deadline: one per scope, armed only once the body suspends.

use std::pin::Pin;
use std::task::Context;
use std::time::Instant;

use pin_project_lite::pin_project;

use super::node::{CancelReason, ScopeNode};
use crate::backend::{self, Timer};

pin_project! {
    /// Watches a scope's deadline for the future that runs the scope.
    #[derive(Debug)]
    pub(crate) struct Deadline {
        #[pin]
        slot: Slot,
    }
}

pin_project! {
    #[project = SlotProj]
    #[derive(Debug)]
    enum Slot {
        Unarmed,
        Armed { deadline: Instant, #[pin] timer: Timer },
    }
}

impl Deadline {
    pub(crate) fn new() -> Self {
        Deadline {
            slot: Slot::Unarmed,
        }
    }

    /// Keeps the timer armed for the node's current deadline (re-arming it when the deadline
    /// moved), and cancels the node once the deadline has passed. Call it while the body is
    /// suspended, with the waker of the task running the scope.
    pub(crate) fn watch(self: Pin<&mut Self>, node: &ScopeNode, cx: &mut Context<'_>) {
        if node.cancel_called() {
            self.disarm();
            return;
        }
        match node.deadline() {
            Some(deadline) => {
                if self.expired(deadline, cx) {
                    node.cancel(CancelReason::Deadline);
                }
            }
            None => self.disarm(),
        }
    }

    /// Whether `deadline` has passed, keeping a timer armed for it until it does (re-armed if
    /// the deadline differs from the one armed). The clock is read only when the deadline is
    /// new or has moved.
    pub(crate) fn expired(self: Pin<&mut Self>, deadline: Instant, cx: &mut Context<'_>) -> bool {
        let mut slot = self.project().slot;
        let armed_for = match &*slot {
            Slot::Armed { deadline, .. } => Some(*deadline),
            Slot::Unarmed => None,
        };
        if armed_for != Some(deadline) {
            let backend = backend::current_or_panic("anyio::CancelScope (deadline)");
            if deadline <= backend::now(backend) {
                slot.set(Slot::Unarmed);
                return true;
            }
            match slot.as_mut().project() {
                SlotProj::Armed {
                    deadline: armed,
                    timer,
                } => {
                    *armed = deadline;
                    timer.reset(deadline);
                }
                SlotProj::Unarmed => slot.set(Slot::Armed {
                    deadline,
                    timer: Timer::at(backend, deadline),
                }),
            }
        }
        if let SlotProj::Armed { timer, .. } = slot.as_mut().project() {
            if timer.poll_fire(cx).is_ready() {
                slot.set(Slot::Unarmed);
                return true;
            }
        }
        false
    }

    fn disarm(self: Pin<&mut Self>) {
        self.project().slot.set(Slot::Unarmed);
    }
}
