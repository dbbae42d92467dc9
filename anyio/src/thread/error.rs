//! Errors of calls between threads and event loops.

use std::fmt;

use crate::runtime::NoEventLoopError;

/// The event loop a call was meant for has finished (AnyIO's `RunFinishedError`): its runtime
/// shut down, or the portal was stopped, before the call could run to its end.
///
/// # Examples
/// ```
/// use anyio::from_thread::CallError;
///
/// let token = anyio::run(async { anyio::lowlevel::current_token() })?;
/// // The runtime is gone: the token cannot reach it any more.
/// let error = token.run(async { 1 }).unwrap_err();
/// assert!(matches!(error, CallError::RunFinished(_)));
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RunFinishedError {
    _private: (),
}

impl RunFinishedError {
    pub(crate) fn new() -> Self {
        RunFinishedError { _private: () }
    }
}

impl fmt::Display for RunFinishedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop has finished: its runtime shut down or its portal stopped")
    }
}

impl std::error::Error for RunFinishedError {}

/// Why a call from a thread into an event loop did not return the call's value.
///
/// A panic in the called code is not an error: it is re-raised in the calling thread, as a
/// panic in a joined thread is by `join().unwrap()`.
///
/// # Examples
/// ```
/// use anyio::from_thread::{self, CallError};
///
/// // Not a worker thread of `to_thread::run_sync`, and no token: nowhere to call into.
/// let error = from_thread::run(async { 1 }).unwrap_err();
/// assert!(matches!(error, CallError::NoEventLoop(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// There is no event loop to call into: the calling thread was not started by
    /// [`to_thread::run_sync`](crate::to_thread::run_sync) and no
    /// [token](crate::lowlevel::EventLoopToken) or portal was used.
    NoEventLoop(NoEventLoopError),
    /// The calling thread runs an event loop: blocking it until the call finishes could wait
    /// for ever (the call may need this very thread). Await the code instead.
    EventLoopThread,
    /// The event loop has finished: its runtime shut down or its portal stopped.
    RunFinished(RunFinishedError),
    /// The call was cancelled before it finished: its host task's scope was cancelled, the
    /// portal was left with an error or stopped with `cancel_remaining`, or the call's handle
    /// was cancelled.
    Cancelled,
    /// A task started with
    /// [`BlockingPortal::start_task`](super::from_thread::BlockingPortal::start_task) ended
    /// without calling [`TaskStatus::started`](crate::TaskStatus::started).
    NotStarted,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::NoEventLoop(_) => f.write_str(
                "no event loop to call into: this thread was not started by \
                 anyio::to_thread::run_sync; pass an event-loop token \
                 (anyio::lowlevel::current_token) or use a blocking portal",
            ),
            CallError::EventLoopThread => f.write_str(
                "cannot block an event-loop thread waiting for a call into its own event loop \
                 (it could wait for ever): await the code instead",
            ),
            CallError::RunFinished(error) => fmt::Display::fmt(error, f),
            CallError::Cancelled => f.write_str("the call was cancelled before it finished"),
            CallError::NotStarted => {
                f.write_str("the task ended without calling TaskStatus::started")
            }
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::NoEventLoop(error) => Some(error),
            CallError::RunFinished(error) => Some(error),
            CallError::EventLoopThread | CallError::Cancelled | CallError::NotStarted => None,
        }
    }
}

impl From<RunFinishedError> for CallError {
    fn from(error: RunFinishedError) -> Self {
        CallError::RunFinished(error)
    }
}

impl From<NoEventLoopError> for CallError {
    fn from(error: NoEventLoopError) -> Self {
        CallError::NoEventLoop(error)
    }
}
