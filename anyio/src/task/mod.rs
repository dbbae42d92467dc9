//! Task groups: structured concurrency on tokio and smol.
//!
//! A [task group](task_group) runs a body and any number of child tasks, and completes only
//! when all of them have. If one fails, the others are cancelled and every error is returned;
//! if an enclosing scope is cancelled, the cancellation reaches every child, and the group's
//! enclosing scopes wait until the children have wound down.
//!
//! ```
//! use std::time::Duration;
//! use std::convert::Infallible;
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
//! The group's error type `E` is the `Err` type of the body and the children; a group whose
//! tasks cannot fail names [`Infallible`](std::convert::Infallible). Children return `()` or
//! `Result<T, E>` (see [`TaskResult`]).

mod child;
mod error;
mod future;
mod group;
mod handle;
pub(crate) mod info;
mod result;
mod start;

pub use error::{GroupClosedError, TaskGroupError};
pub use future::TaskGroupFuture;
pub use group::{TaskGroup, task_group};
pub use handle::{TaskError, TaskHandle, TaskState};
pub(crate) use info::{Registration, register, with_current};
pub use info::{TaskId, TaskInfo, get_current_task, get_running_tasks};
pub use result::{BodyResult, TaskResult};
pub use start::{StartError, StartFuture, StartWithHandle, TaskStatus};
