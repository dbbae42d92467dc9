//! Calling async code from threads (AnyIO's `anyio.from_thread`).
//!
//! Blocking code sometimes needs the event loop back: a worker thread that must send on a
//! connection owned by a task, a C library's callback thread that must wake a task, a
//! synchronous program that wants to use an async client. How a thread gets in depends on who
//! started it:
//!
//! | the thread is… | use |
//! |---|---|
//! | a worker of [`to_thread::run_sync`](crate::to_thread::run_sync) | [`run`], [`run_sync`], [`check_cancelled`]: they find the loop themselves |
//! | any other thread, with an event loop running elsewhere | an [`EventLoopToken`] taken in the loop with [`current_token`](crate::lowlevel::current_token) |
//! | a thread with no event loop at all (a synchronous program) | a blocking portal: [`start_blocking_portal`] runs one on a thread of its own |
//!
//! Every call blocks the calling thread until the code has run in the event loop, so it is
//! refused ([`CallError::EventLoopThread`]) on a thread that runs an event loop: it would wait
//! for work that this very thread may have to do.
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let total = anyio::to_thread::run_sync(|| {
//!         // Blocking work on a worker thread...
//!         let mut total = 0;
//!         for chunk in 0..3 {
//!             total += chunk;
//!             // ...that needs the event loop now and then.
//!             anyio::from_thread::run(async {
//!                 anyio::sleep(Duration::from_millis(1)).await;
//!             })
//!             .unwrap();
//!         }
//!         total
//!     })
//!     .await;
//!     assert_eq!(total, 3);
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

use std::future::Future;

pub use super::error::{CallError, RunFinishedError};
pub use super::portal::{BlockingPortal, PortalTask, blocking_portal};
pub use super::portal_provider::{BlockingPortalProvider, PortalLease};
pub use super::portal_resource::{PortalResource, Release, ResourceLease};
pub use super::portal_thread::{PortalThread, start_blocking_portal};
pub use super::token::EventLoopToken;
use super::worker;
use crate::runtime::NoEventLoopError;

/// Runs `future` in the event loop of the task that started this worker thread, as a new anyio
/// task, and blocks until it finishes (AnyIO's `from_thread.run`).
///
/// The task runs in the scope its host (the task awaiting
/// [`to_thread::run_sync`](crate::to_thread::run_sync)) was in: cancelling the host cancels
/// it, and this returns [`CallError::Cancelled`]. From a thread anyio did not start, use an
/// [`EventLoopToken`] instead.
///
/// # Errors
/// - [`CallError::NoEventLoop`] on a thread not started by `to_thread::run_sync`;
/// - [`CallError::Cancelled`] when the host's scope was cancelled before the task finished;
/// - [`CallError::RunFinished`] when the runtime has shut down (an abandoned thread that
///   outlived it);
/// - [`CallError::EventLoopThread`] on a thread that runs an event loop.
///
/// # Panics
/// A panic in `future` is re-raised here.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use anyio::sync::Event;
///
/// anyio::run(async {
///     let ready = Arc::new(Event::new());
///     let from_worker = ready.clone();
///     anyio::to_thread::run_sync(move || {
///         anyio::from_thread::run(async move { from_worker.set() }).unwrap();
///     })
///     .await;
///     assert!(ready.is_set());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn run<F>(future: F) -> Result<F::Output, CallError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let host = worker::host().ok_or(CallError::NoEventLoop(NoEventLoopError::new()))?;
    host.token.call(future, host.scope, host.task, host.clock)
}

/// Runs `function` in the event loop of the task that started this worker thread, and blocks
/// until it returns (AnyIO's `from_thread.run_sync`).
///
/// # Errors
/// As [`run`].
///
/// # Panics
/// A panic in `function` is re-raised here.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let on_loop = anyio::to_thread::run_sync(|| {
///         anyio::from_thread::run_sync(|| anyio::get_current_task().is_some()).unwrap()
///     })
///     .await;
///     assert!(on_loop);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn run_sync<R, T>(function: R) -> Result<T, CallError>
where
    R: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    run(async move { function() })
}

/// Whether the task that started this worker thread has been cancelled (AnyIO's
/// `from_thread.check_cancelled`): `Err(CallError::Cancelled)` once the scope it was in is
/// effectively cancelled, also when the thread was abandoned.
///
/// Long blocking work calls it now and then to stop early: a thread cannot be stopped from
/// outside.
///
/// # Errors
/// - [`CallError::Cancelled`] when the host has been cancelled;
/// - [`CallError::NoEventLoop`] on a thread not started by
///   [`to_thread::run_sync`](crate::to_thread::run_sync).
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let rounds = anyio::move_on_after(
///         Duration::from_millis(20),
///         anyio::to_thread::run_sync(|| {
///             let mut rounds = 0;
///             while anyio::from_thread::check_cancelled().is_ok() {
///                 rounds += 1;
///                 std::thread::sleep(Duration::from_millis(1));
///             }
///             rounds
///         }),
///     )
///     .await;
///     // The deadline cancelled the caller; the thread noticed and returned, and the
///     // cancelled scope dropped its value.
///     assert_eq!(rounds, None);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn check_cancelled() -> Result<(), CallError> {
    match worker::host_cancelled() {
        None => Err(CallError::NoEventLoop(NoEventLoopError::new())),
        Some(true) => Err(CallError::Cancelled),
        Some(false) => Ok(()),
    }
}
