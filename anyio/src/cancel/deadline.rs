//! The timer behind a scope's deadline: one per scope, armed only once the body suspends.

use std::pin::Pin;
use std::task::Context;
use std::time::Instant;

use pin_project_lite::pin_project;

use super::node::{CancelKind, ScopeNode};
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

    /// Before the body is polled again: if the timer is armed and has fired, cancels the node,
    /// so that the body runs knowing it is cancelled. An unarmed timer (the body has not
    /// suspended yet, or the deadline moved and is re-armed after the poll) costs nothing.
    pub(crate) fn notice(self: Pin<&mut Self>, node: &ScopeNode, cx: &mut Context<'_>) {
        if !node.cancel_called() && self.fired(cx) {
            node.cancel(CancelKind::Deadline);
        }
    }

    /// Whether the armed timer has fired (`false` when it is not armed). Disarms it if so.
    pub(crate) fn fired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        let mut slot = self.project().slot;
        if let SlotProj::Armed { timer, .. } = slot.as_mut().project() {
            if timer.poll_fire(cx).is_ready() {
                slot.set(Slot::Unarmed);
                return true;
            }
        }
        false
    }

    /// While the body is suspended: keeps the timer armed for the node's current deadline
    /// (re-arming it when the deadline moved), and cancels the node once the deadline has
    /// passed.
    pub(crate) fn watch_arm(self: Pin<&mut Self>, node: &ScopeNode, cx: &mut Context<'_>) {
        if node.cancel_called() {
            self.disarm();
            return;
        }
        match node.deadline() {
            Some(deadline) => {
                if self.arm(deadline, cx) {
                    node.cancel(CancelKind::Deadline);
                }
            }
            None => self.disarm(),
        }
    }

    /// Whether `deadline` has passed, keeping a timer armed for it until it does (re-armed if
    /// the deadline differs from the one armed). A timer already armed for `deadline` is not
    /// polled here: the caller polled it with [`fired`](Self::fired) (or
    /// [`notice`](Self::notice)) before the body ran, with the same waker. The clock is read
    /// only when the deadline is new or has moved.
    pub(crate) fn arm(self: Pin<&mut Self>, deadline: Instant, cx: &mut Context<'_>) -> bool {
        let mut slot = self.project().slot;
        let armed_for = match &*slot {
            Slot::Armed { deadline, .. } => Some(*deadline),
            Slot::Unarmed => None,
        };
        if armed_for == Some(deadline) {
            return false;
        }
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
        // Newly armed: poll once, so that the timer knows whom to wake.
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
