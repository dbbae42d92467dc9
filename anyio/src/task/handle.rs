//! [`TaskHandle`]: a spawned child's result, status and private cancellation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::info::{Identify, Identity, TaskInfo};
use crate::cancel::node::{CancelReason, ScopeNode};

/// Where a task stands (AnyIO's `TaskHandle.status`).
///
/// # Examples
/// ```
/// assert_ne!(anyio::TaskState::Pending, anyio::TaskState::Finished);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Running (or about to run).
    Pending,
    /// [`TaskHandle::cancel`] was called and the task has not finished yet.
    Cancelling,
    /// Returned successfully.
    Finished,
    /// Returned an error (handed to the group) or panicked.
    Failed,
    /// Was dropped by a cancellation before it returned.
    Cancelled,
}

/// Why awaiting a [`TaskHandle`] gave no value.
///
/// # Examples
/// ```
/// assert_eq!(anyio::TaskError::Cancelled.to_string(), "the task was cancelled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskError {
    /// The task returned an error; the error itself went to the task group.
    Failed,
    /// The task panicked; the task group re-raises the panic.
    Panicked,
    /// The task was cancelled before it returned.
    Cancelled,
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskError::Failed => "the task failed; its error went to the task group",
            TaskError::Panicked => "the task panicked; the task group re-raises the panic",
            TaskError::Cancelled => "the task was cancelled",
        })
    }
}

impl std::error::Error for TaskError {}

/// How a task ended, as the group's bookkeeping reports it to the handle.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    Finished(T),
    Failed,
    Panicked,
    Cancelled,
}

/// The state a child shares with its handle.
pub(crate) struct HandleShared<T> {
    pub(crate) root: Arc<ScopeNode>,
    identity: Identity,
    state: Mutex<HandleState<T>>,
}

impl<T: Send> Identify for HandleShared<T> {
    fn identity(&self) -> &Identity {
        &self.identity
    }
}

struct HandleState<T> {
    outcome: Option<Outcome<T>>,
    /// The value was taken by an await of the handle.
    taken: bool,
    waker: Option<Waker>,
}

impl<T> HandleShared<T> {
    pub(crate) fn new(root: Arc<ScopeNode>, identity: Identity) -> Arc<Self> {
        Arc::new(HandleShared {
            root,
            identity,
            state: Mutex::new(HandleState {
                outcome: None,
                taken: false,
                waker: None,
            }),
        })
    }

    /// The task's info, sharing this allocation.
    pub(crate) fn task_info(self: &Arc<Self>) -> TaskInfo
    where
        T: Send + 'static,
    {
        TaskInfo::of(Arc::clone(self) as Arc<dyn Identify>)
    }

    fn lock(&self) -> MutexGuard<'_, HandleState<T>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records how the task ended and wakes an awaiting handle.
    pub(crate) fn finish(&self, outcome: Outcome<T>) {
        let waker = {
            let mut state = self.lock();
            state.outcome = Some(outcome);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A child spawned into a [task group](crate::task_group): await it for its value, cancel it
/// alone, or read its status (AnyIO's `TaskHandle`).
///
/// Awaiting gives `Ok(value)`, or a [`TaskError`] saying why there is none. A failing task's
/// error goes to its group whether or not the handle is awaited. Dropping the handle does not
/// affect the task.
///
/// # Cancel safety
/// Awaiting is cancel safe: dropping the await leaves the value in the handle for the next one.
///
/// # Panics
/// Awaiting a handle again after it returned the value panics.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
///
/// anyio::run(async {
///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
///         let sum = tg.spawn(async { Ok(2 + 2) });
///         let forever = tg.spawn(anyio::sleep_forever());
///         assert_eq!(sum.await, Ok(4));
///         forever.cancel(); // just this child
///         assert_eq!(forever.await, Err(anyio::TaskError::Cancelled));
///         Ok(())
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TaskHandle<T> {
    shared: Arc<HandleShared<T>>,
}

impl<T> TaskHandle<T> {
    pub(crate) fn new(shared: Arc<HandleShared<T>>) -> Self {
        TaskHandle { shared }
    }

    /// Cancels this child only; a no-op once it has finished.
    ///
    /// # Examples
    /// See [`TaskHandle`].
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         tg.spawn(anyio::sleep_forever()).cancel();
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel(&self) {
        self.shared.root.cancel(CancelReason::Explicit);
    }

    /// Where the task stands.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         let handle = tg.spawn(anyio::sleep_forever());
    ///         assert_eq!(handle.state(), anyio::TaskState::Pending);
    ///         handle.cancel();
    ///         assert_eq!(handle.state(), anyio::TaskState::Cancelling);
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn state(&self) -> TaskState {
        let state = self.shared.lock();
        match &state.outcome {
            None if state.taken => TaskState::Finished,
            None if self.shared.root.cancel_called() => TaskState::Cancelling,
            None => TaskState::Pending,
            Some(Outcome::Finished(_)) => TaskState::Finished,
            Some(Outcome::Failed | Outcome::Panicked) => TaskState::Failed,
            Some(Outcome::Cancelled) => TaskState::Cancelled,
        }
    }

    /// Whether the task has ended, one way or another.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         let handle = tg.spawn(async {});
    ///         assert!(!handle.is_finished()); // children start on a later poll
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.shared.lock().outcome.is_some()
    }

    /// The child's root scope.
    pub(crate) fn root(&self) -> Arc<ScopeNode> {
        Arc::clone(&self.shared.root)
    }

    /// The task's identity.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         assert_eq!(tg.spawn_named("worker", async {}).info().name(), "worker");
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn info(&self) -> TaskInfo
    where
        T: Send + 'static,
    {
        self.shared.task_info()
    }
}

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        if state.taken {
            panic!("`anyio::TaskHandle` awaited again after it returned the task's value");
        }
        match state.outcome.take() {
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Some(Outcome::Finished(value)) => {
                state.taken = true;
                Poll::Ready(Ok(value))
            }
            Some(other) => {
                let error = match other {
                    Outcome::Failed => TaskError::Failed,
                    Outcome::Panicked => TaskError::Panicked,
                    _ => TaskError::Cancelled,
                };
                state.outcome = Some(other);
                Poll::Ready(Err(error))
            }
        }
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("task", &self.shared.identity)
            .field("state", &self.state())
            .finish()
    }
}
