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
//!    that already finished is never undone.
//! 2. **Attribution.** Only the outermost effectively cancelled scope completes as cancelled.
//!    A scope inside it stays pending and is dropped with the outer body, so the code after it
//!    never runs.
//! 3. **Shields defer the drop.** While a shielded scope runs inside a cancelled scope's body,
//!    that body is not dropped: it is polled until the shield exits, and dropped at its next
//!    suspension outside every shield. A shielded scope's own cancellation still applies to it.
//! 4. **Deadlines** are one timer per scope, armed only when the body actually suspends, and
//!    re-armed when the deadline moves. A deadline already passed cancels the body at its first
//!    suspension point.
//! 5. **Cancelling before the scope runs** is honoured at the body's first suspension point;
//!    cancelling after it finished does nothing.
//!
//! # Hard edges
//!
//! A future that drops ours from outside anyio's scopes cancels without regard to shields:
//! a `select!`, `tokio::time::timeout`, or a combinator racing two futures. Use a scope instead.
//!
//! # The scope tree
//!
//! Scopes that need shared state get a node in a tree of `Arc`s (parent link, flags, deadline,
//! hold count, waker, children). The tree's invariants:
//!
//! - A node's parent is fixed when the scope is entered, from the scope being polled around it
//!   on the same thread (a thread-local stack pushed for each poll), so nesting works on any
//!   executor.
//! - A node is *effectively cancelled* if it, or an ancestor up to and including the nearest
//!   shield, was cancelled. The flags are atomics: the walk takes no lock.
//! - A node's `holds` counts the running shields inside its body (in the same task); a node
//!   with holds never drops its body.
//! - Cancelling a node wakes its task and every descendant not shielded from it, across tasks.
//! - No code holds two nodes' locks at once.
//! - Entering registers the node with its parent and exiting (completion, cancellation or
//!   drop) unregisters it and releases its holds, exactly once.

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
