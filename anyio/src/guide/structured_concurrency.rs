//! # Structured concurrency
//!
//! In anyio, every task has a parent that waits for it, and every cancellation has a scope
//! that it belongs to. Those two rules, taken from Trio, are what makes concurrent code as easy
//! to reason about as sequential code: when a function returns, nothing it started is still
//! running, and an error cannot be lost in a task nobody waits for.
//!
//! ## Task groups
//!
//! [`task_group`](crate::task_group) runs a body with a [`TaskGroup`](crate::TaskGroup) handle.
//! Tasks spawned into it are its children; the group's future completes only when the body and
//! every child have. A child that fails (returns `Err` or panics) cancels the group: the body
//! and the other children are dropped at their next suspension point, and the errors are
//! returned together.
//!
//! ```
//! use std::time::Duration;
//!
//! #[derive(Debug, PartialEq)]
//! struct Broken(&'static str);
//!
//! anyio::run(async {
//!     let outcome = anyio::task_group(|tg| async move {
//!         tg.spawn(async {
//!             anyio::sleep(Duration::from_millis(5)).await;
//!             Err::<(), _>(Broken("the database went away"))
//!         });
//!         tg.spawn(anyio::sleep_forever()); // cancelled when its sibling fails
//!         Ok(())
//!     })
//!     .await;
//!     assert_eq!(outcome.unwrap_err().errors(), [Broken("the database went away")]);
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! A task that must be ready before the code goes on (a server that is listening) is started
//! with [`TaskGroup::start`](crate::TaskGroup::start): it reports through its
//! [`TaskStatus`](crate::TaskStatus), and `start` returns what it reported.
//!
//! ## Cancel scopes
//!
//! A [`CancelScope`](crate::CancelScope) is a region of code that can be cancelled as a whole,
//! by a call ([`CancelHandle::cancel`](crate::CancelHandle::cancel)) or by a deadline. When it
//! is cancelled, the code in it is dropped at its next suspension point — every anyio
//! operation is one — and the scope's `run` returns `None`. Timeouts are scopes:
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let answer = anyio::move_on_after(Duration::from_millis(5), async {
//!         anyio::sleep(Duration::from_secs(60)).await;
//!         42
//!     })
//!     .await;
//!     assert_eq!(answer, None);
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! Cancellation is *level-triggered*, as in Trio: code in a cancelled scope cannot wait on
//! anything again (each later operation is dropped at once), so cleanup that must wait goes in
//! a **shielded** scope, which outer cancellations do not reach:
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let finished_cleanly = anyio::move_on_after(Duration::from_millis(5), async {
//!         anyio::CancelScope::new()
//!             .shield(true)
//!             .run(async {
//!                 // Say goodbye to the peer, even though the deadline has passed.
//!                 anyio::sleep(Duration::from_millis(10)).await;
//!             })
//!             .await
//!     })
//!     .await;
//!     assert_eq!(finished_cleanly, Some(Some(())));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## Cancel safety
//!
//! Rust drops a future to cancel it, wherever it is suspended. Every anyio operation says in its
//! docs what a drop at each point leaves behind; the rule anyio keeps is that **a cancelled
//! operation loses nothing**: a dropped send has sent nothing (the item is still yours), a
//! dropped receive has taken nothing, a dropped acquire holds no permit. The same holds when a
//! future is dropped by `select!` or another library's timeout, not only by anyio's scopes.
//!
//! ## What it costs
//!
//! A task group child is a runtime task (it runs in parallel on a multi-thread runtime), plus
//! its own cancel scope. The benchmarks in `anyio/benches/` put each anyio operation beside the
//! native one it wraps; the README quotes the ratios.
//!
//! Next: [using anyio with other crates](super::ecosystem).
