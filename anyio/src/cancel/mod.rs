//! Cancel scopes: cancelling a region of code as a whole, by a call or a deadline.
//!
//! Rust cancels a future by dropping it. anyio keeps that mechanism and adds Trio's structure:
//! a [`CancelScope`] runs a body; cancelling the scope drops the body at its next suspension
//! point, and the scope completes with `None`.
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     // Give up on a slow operation after 10 ms...
//!     let outcome = anyio::move_on_after(Duration::from_millis(10), anyio::sleep_forever()).await;
//!     assert_eq!(outcome, None);
//!     // ...or treat the timeout as an error.
//!     let result = anyio::fail_after(Duration::from_millis(10), anyio::sleep_forever()).await;
//!     assert!(result.is_err());
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! # The rules
//!
//! 1. **Delivery by drop.** A cancelled scope drops its body at the body's next suspension
//!    point. A body that completes without suspending again completes normally: an operation
//!    that already returned is never undone.
//! 2. **Attribution.** Only the outermost effectively cancelled scope completes as cancelled.
//!    A scope inside it stays pending and is dropped with the outer body, so the code after it
//!    never runs. Which scope that is, is decided *after* the body is dropped: if dropping it
//!    cancels an enclosing scope (a drop guard in the body), the enclosing scope takes the
//!    cancellation.
//! 3. **Shields defer the drop.** While a shielded scope runs inside a cancelled scope's body,
//!    that body is not dropped: it is polled until the shield exits, and dropped at its next
//!    suspension outside every shield. A shielded scope's own cancellation still applies to it.
//!    Task groups with running children, and `TaskGroup::start` waiting for its child, defer
//!    the drop the same way.
//! 4. **No result is dropped unseen.** When the last thing deferring a drop lets go (a shield
//!    exits, a group's last child ends, on any thread), the body is polled once more before
//!    it may be dropped: an error, a panic or a value it gathered meanwhile reaches it.
//! 5. **Every operation is a cancellation point.** An anyio operation (a lock, a send, a
//!    receive, a socket read, a sleep, a task group's exit, ...) polled in a cancelled scope
//!    does not complete, even when it could: it takes nothing, gives back whatever was handed
//!    to it, and suspends, so that the scope drops the body there. And whatever hands things
//!    over (a released lock, a notification, an item) passes over waiters whose cancellation
//!    is pending: they are about to be dropped.
//! 6. **Fairness by budget.** An operation that can complete at once does so without
//!    suspending, but each one spends a unit of the task's cooperative budget, and the task
//!    yields once every 128 of them (as tokio's own resources do). So a loop of ready
//!    operations gives the other tasks of its thread a turn, and a cancelled scope (or a
//!    deadline that passed) a suspension point to drop it at.
//! 7. **Deadlines** are one timer per scope, armed only when the body actually suspends, and
//!    re-armed when the deadline moves. A deadline already passed when the scope starts, or
//!    set on a running scope, cancels it at once. A deadline that passes while the body runs
//!    is noticed at the body's next suspension (or budget yield), and before the body is
//!    polled again.
//! 8. **Cancelling before the scope runs** is honoured when it starts; cancelling after it
//!    finished does nothing.
//!
//! # Hard edges
//!
//! A future that drops ours from outside anyio's scopes cancels without regard to shields:
//! a `select!`, `tokio::time::timeout`, or a combinator racing two futures. Use a scope instead.
//!
//! Code polled with a waker of its own inside a scope's body (a nested executor's `block_on`,
//! or a combinator that makes a waker per future, such as `FuturesUnordered`) is not treated
//! as inside the scope by its operations (rule 5): the scope could not drop it at their
//! suspension, so they complete rather than wait for ever. The scope still drops the body at
//! its next suspension.
//!
//! # The scope tree
//!
//! Scopes that need shared state get a node in a tree of `Arc`s (parent link, flags, deadline,
//! hold count, waker, children). The tree's invariants:
//!
//! - A node's parent is fixed when the scope is entered, from the scope being polled around it
//!   on the same thread (a thread-local stack pushed for each poll), so nesting works on any
//!   executor. A summary of that stack (the nearest node, or "cancelled", or "shielded") is
//!   kept beside it, so that the check every operation makes is one thread-local load and an
//!   atomic load.
//! - A node is *effectively cancelled* if it, or an ancestor up to and including the nearest
//!   shield, was cancelled. The flags are atomics: the walk takes no lock.
//! - A node's holds count the running shields, task groups and starts inside its body (in the
//!   same task); a node with holds never drops its body. The count shares one atomic word with
//!   a release epoch, bumped by every release in the same operation: a scope reads the word
//!   before polling its body and again after, and drops the body only if nothing holds it and
//!   the epoch did not move (rule 4).
//! - Cancelling a node wakes its task and every descendant not shielded from it, across tasks.
//!   Switching a shield on or off wakes the scope's task.
//! - No code holds two nodes' locks at once.
//! - Entering registers the node with its parent and exiting (completion, cancellation or
//!   drop) unregisters it and releases its holds, exactly once.
//! - A waiter in a primitive's line remembers the nearest node of the code that waits; the
//!   primitive checks that node's flags (lock-free) to pass it over (rule 5).

pub(crate) mod context;
pub(crate) mod deadline;
pub(crate) mod gate;
pub(crate) mod node;
mod scope;
mod timeout;

pub(crate) use context::cancelled as current_cancelled;
pub use scope::{CancelHandle, CancelScope, Scoped};
pub use timeout::{
    FailAt, TimeoutError, current_effective_deadline, fail_after, fail_at, move_on_after,
    move_on_at,
};
