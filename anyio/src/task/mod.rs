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

mod child;
mod dump;
mod error;
mod future;
mod group;
mod handle;
pub(crate) mod info;
mod result;
#[cfg(feature = "tracing")]
pub(crate) mod span;
mod start;

pub use dump::{TaskDump, dump};
pub use error::{GroupClosedError, TaskGroupError};
pub use future::TaskGroupFuture;
pub use group::{TaskGroup, task_group};
pub use handle::{TaskError, TaskHandle, TaskState};
pub(crate) use info::{Registration, register, with_current};
pub use info::{TaskId, TaskInfo, get_current_task, get_running_tasks};
pub use result::{BodyResult, TaskResult};
pub(crate) use start::StartedSink;
pub use start::{StartError, StartFuture, StartWithHandle, TaskStatus};
