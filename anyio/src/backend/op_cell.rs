//! The thread-local that every anyio operation touches as it is polled: the task's cooperative
//! budget (see [`coop`](super::coop)) and the wait point noted last (see
//! [`wait_point`](super::wait_point)).
//!
//! They sit side by side so that an operation's gate reaches both with one thread-local access
//! instead of one each. Both are plain cells with a `const` initialiser and no destructor, so
//! the access is an offset from the thread pointer, with no registration or state check.

use std::cell::Cell;

/// This thread's per-operation state; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct OpCell {
    /// Units of budget left in this task poll.
    pub(super) remaining: Cell<u8>,
    /// The wait point noted last, as its byte.
    pub(super) noted: Cell<u8>,
}

thread_local! {
    static OP_CELL: OpCell = const {
        OpCell {
            remaining: Cell::new(super::coop::BUDGET),
            noted: Cell::new(0),
        }
    };
}

/// Runs `f` with this thread's [`OpCell`].
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&OpCell) -> R) -> R {
    OP_CELL.with(f)
}
