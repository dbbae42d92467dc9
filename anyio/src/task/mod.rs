//! Task groups: structured concurrency on tokio and smol.
//!
//! A [task group](task_group) runs a body and any number of child tasks, and completes only
//! when all of them have. If one fails, the others are cancelled and every error is returned;
//! if an enclosing scope is cancelled, the cancellation reaches every child, and the group's
//! enclosing scopes wait until the children have wound down.
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     anyio::task_group(|tg| async move {
//!         for delay in [3, 1, 2] {
//!             tg.spawn(async move {
//!                 anyio::sleep(Duration::from_millis(delay)).await;
//!                 println!("slept {delay} ms");
//!             });
//!         }
//!     })
//!     .await
//!     .unwrap();
//!     println!("all three children have finished");
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! The group's error type `E` is the `Err` type of its body's `Result` (see [`BodyResult`]);
//! a body that returns `()` makes it [`Infallible`](std::convert::Infallible). The closure
//! needs no annotation. Children return `()` or `Result<T, E>` (see [`TaskResult`]).
//!
//! # How a group ends
//! | what happened | `task_group(..).await` |
//! |---|---|
//! | the body returned `v`, nothing failed | `Ok(Some(v))` |
//! | the group's own [`cancel`](TaskGroup::cancel) (or its scope's deadline) dropped the body | `Ok(None)` |
//! | the body or children failed | `Err(TaskGroupError)` with every error |
//! | a task panicked | the panic, re-raised |
//! | an enclosing scope was cancelled, nothing failed | never completes: the enclosing scope drops it |
//!
//! So stopping a server is `tg.cancel()`, and a success: however the body goes on after it,
//! the group completes with `Ok`. The exit of a group is a cancellation point (as in AnyIO):
//! when an enclosing scope is cancelled, the code after the group does not run, even if the
//! body had returned a value.
//!
//! # Running many futures: `gather`, `amap`, `as_completed`
//! Three shortcuts for the commonest shapes of a task group (AnyIO's own):
//!
//! | function | what it returns |
//! |---|---|
//! | [`gather`] / [`try_gather`] | every output, in argument order |
//! | [`amap`] / [`try_amap`] | an async function over an iterator, at most `limit` at a time, outputs in argument order |
//! | [`as_completed`] | a [`Stream`](futures_core::Stream) of the outputs, in the order they finish |
//!
//! The `try_` forms take futures that return a `Result`: the first error cancels the others,
//! and the errors come back as a [`TaskGroupError`], as from a task group.
//!
//! They look like `futures`' [`join_all`](https://docs.rs/futures/latest/futures/future/fn.join_all.html),
//! [`try_join_all`](https://docs.rs/futures/latest/futures/future/fn.try_join_all.html),
//! `buffered(n)` and [`FuturesUnordered`](https://docs.rs/futures/latest/futures/stream/struct.FuturesUnordered.html),
//! or [`futures-concurrency`](https://docs.rs/futures-concurrency)'s `join` and `race`, and
//! differ in what makes them structured:
//!
//! - **Each future is a task** of a task group: on a multi-thread runtime they run in
//!   parallel, each has its own [`TaskInfo`] and its own cancel scope, and each is cancelled
//!   at its own suspension points (with shields honoured). `join_all` and `FuturesUnordered`
//!   poll every future inside the calling task: one thread, and one future's long poll holds
//!   up all the others. The price: the futures must be `Send + 'static`, and a spawn costs
//!   more than a push into a `FuturesUnordered`.
//! - **A failure cancels the siblings**, and they have wound down before the call returns:
//!   `try_join_all` drops the others too, but a panic in `join_all` unwinds through the
//!   caller with the siblings merely dropped, and `FuturesUnordered` leaves what to do with
//!   an error to its user. Here a panic cancels the siblings, waits for them, and is re-raised.
//! - **Cancellation reaches every child**: cancelling the caller (a deadline, an enclosing
//!   scope) cancels every future and waits for them; dropping an [`as_completed`] stream
//!   cancels the futures that have not finished. No future outlives the call.
//!
//! ```
//! use std::time::Duration;
//! use futures_lite::StreamExt;
//!
//! anyio::run(async {
//!     let doubled = anyio::task::amap(|n: u64| async move { n * 2 }, 1..=3, 2).await;
//!     assert_eq!(doubled, [2, 4, 6]);
//!
//!     // The first to finish wins; dropping the stream cancels the slower one.
//!     let mut racers = anyio::task::as_completed([50u64, 1].map(|ms| async move {
//!         anyio::sleep(Duration::from_millis(ms)).await;
//!         ms
//!     }));
//!     assert_eq!(racers.next().await, Some(1));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

mod amap;
mod as_completed;
mod child;
mod dump;
mod error;
mod future;
mod gather;
mod group;
mod handle;
pub(crate) mod info;
mod result;
pub(crate) mod span;
mod start;

pub use amap::{amap, try_amap};
pub use as_completed::{AsCompleted, as_completed};
pub use dump::{TaskDump, dump};
pub use error::{GroupClosedError, TaskGroupError};
pub use future::TaskGroupFuture;
pub use gather::{gather, try_gather};
pub use group::{TaskGroup, task_group};
pub use handle::{TaskError, TaskHandle, TaskState};
pub(crate) use info::{Registration, register, with_current};
pub use info::{TaskId, TaskInfo, get_current_task, get_running_tasks};
pub use result::{BodyResult, TaskResult};
pub(crate) use start::StartedSink;
pub use start::{StartError, StartFuture, StartWithHandle, TaskStatus};
