//! [`TaskHandle`]: a spawned child's result, status and private cancellation.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::info::{Identify, Identity, TaskInfo};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};
use crate::cancel::node::{CancelKind, NodeExtra, ScopeNode};

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

/// The state a child shares with its handle, carried by the child's root scope node so that
/// the node, the handle and the task's info are one allocation.
pub(crate) struct HandleShared<T> {
    identity: Identity,
    state: Mutex<HandleState<T>>,
}

/// A child's root scope, with the state it shares with its handle.
pub(crate) type TaskRoot<T> = ScopeNode<HandleShared<T>>;

impl<T: Send + 'static> NodeExtra for HandleShared<T> {}

impl<T: Send + 'static> Identify for TaskRoot<T> {
    fn identity(&self) -> &Identity {
        &self.extra.identity
    }

    fn pending_cancellation(&self) -> bool {
        let scope: &ScopeNode = self;
        scope.effectively_cancelled()
    }

    fn root_scope(self: Arc<Self>) -> Option<Arc<ScopeNode>> {
        Some(self)
    }
}

struct HandleState<T> {
    outcome: Option<Outcome<T>>,
    /// The value was taken by an await of the handle.
    taken: bool,
    waker: Option<Waker>,
}

impl<T: Send + 'static> HandleShared<T> {
    /// The root scope of a task spawned into the group whose scope is `group`.
    pub(crate) fn new_root(group: Arc<ScopeNode>, identity: Identity) -> Arc<TaskRoot<T>> {
        ScopeNode::task_root(
            group,
            HandleShared {
                identity,
                state: Mutex::new(HandleState {
                    outcome: None,
                    taken: false,
                    waker: None,
                }),
            },
        )
    }

    /// The task's identity.
    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The task's info, sharing the root's allocation.
    pub(crate) fn task_info(root: &Arc<TaskRoot<T>>) -> TaskInfo {
        TaskInfo::of(Arc::clone(root) as Arc<dyn Identify>)
    }
}

impl<T> HandleShared<T> {
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
/// Awaiting in a cancelled scope does not take the value: it suspends, and the scope drops it.
///
/// # Panics
/// Awaiting a handle again after it returned the value panics.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
///
/// anyio::run(async {
///     anyio::task_group(|tg| async move {
///         let sum = tg.spawn(async { Ok(2 + 2) });
///         let forever = tg.spawn(anyio::sleep_forever());
///         assert_eq!(sum.await, Ok(4));
///         forever.cancel(); // just this child
///         assert_eq!(forever.await, Err(anyio::TaskError::Cancelled));
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TaskHandle<T> {
    shared: Arc<TaskRoot<T>>,
}

impl<T: Send + 'static> TaskHandle<T> {
    pub(crate) fn new(shared: Arc<TaskRoot<T>>) -> Self {
        TaskHandle { shared }
    }

    /// The child's root scope, as the scope tree sees it.
    fn node(&self) -> &ScopeNode {
        &*self.shared
    }

    /// Cancels this child only; a no-op once it has finished.
    ///
    /// # Examples
    /// See [`TaskHandle`].
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         tg.spawn(anyio::sleep_forever()).cancel();
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel(&self) {
        self.node().cancel(CancelKind::Explicit);
    }

    /// Cancels this child only, saying why (see
    /// [`CancelHandle::cancel_with_reason`](crate::CancelHandle::cancel_with_reason)).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         tg.spawn(anyio::sleep_forever()).cancel_with_reason("not needed any more");
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel_with_reason(&self, reason: impl Into<Cow<'static, str>>) {
        self.node()
            .cancel_because(CancelKind::Explicit, Some(reason.into()));
    }

    /// Where the task stands.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         use anyio::TaskState::{Cancelled, Cancelling, Pending};
    ///         let handle = tg.spawn(anyio::sleep_forever());
    ///         assert_eq!(handle.state(), Pending);
    ///         handle.cancel();
    ///         // Cancelling until the task has stopped (on another thread, perhaps already).
    ///         assert!(matches!(handle.state(), Cancelling | Cancelled));
    ///         anyio::move_on_after(std::time::Duration::from_secs(5), async {
    ///             while handle.state() != Cancelled {
    ///                 anyio::lowlevel::checkpoint().await;
    ///             }
    ///         })
    ///         .await
    ///         .expect("the task stopped");
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn state(&self) -> TaskState {
        let state = self.shared.extra.lock();
        match &state.outcome {
            None if state.taken => TaskState::Finished,
            None if self.node().cancel_called() => TaskState::Cancelling,
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
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         let gate = Arc::new(anyio::sync::Event::new());
    ///         let opened = Arc::clone(&gate);
    ///         let handle = tg.spawn(async move { opened.wait().await });
    ///         assert!(!handle.is_finished());
    ///         gate.set();
    ///         anyio::move_on_after(std::time::Duration::from_secs(5), async {
    ///             while !handle.is_finished() {
    ///                 anyio::lowlevel::checkpoint().await;
    ///             }
    ///         })
    ///         .await
    ///         .expect("the task finished");
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        let state = self.shared.extra.lock();
        state.outcome.is_some() || state.taken
    }

    /// Takes the value of a task that has returned one, without waiting and without the
    /// cancellation point of an await: for code that knows the task has finished (its group
    /// has ended), such as [`gather`](crate::task::gather).
    pub(crate) fn take_finished(&self) -> Option<T> {
        let mut state = self.shared.extra.lock();
        match state.outcome.take() {
            Some(Outcome::Finished(value)) => {
                state.taken = true;
                Some(value)
            }
            other => {
                state.outcome = other;
                None
            }
        }
    }

    /// The child's root scope.
    pub(crate) fn root(&self) -> Arc<ScopeNode> {
        Arc::clone(&self.shared) as Arc<ScopeNode>
    }

    /// The task's identity.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         assert_eq!(tg.spawn_named("worker", async {}).info().name(), "worker");
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn info(&self) -> TaskInfo {
        HandleShared::task_info(&self.shared)
    }
}

impl<T: Send + 'static> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let unit = match gate(cx, WaitPoint::TaskHandle) {
            Gate::Proceed(unit) => unit,
            Gate::Cancelled | Gate::Yield => return Poll::Pending,
        };
        let mut state = self.shared.extra.lock();
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
                unit.made_progress();
                Poll::Ready(Ok(value))
            }
            Some(other) => {
                let error = match other {
                    Outcome::Failed => TaskError::Failed,
                    Outcome::Panicked => TaskError::Panicked,
                    _ => TaskError::Cancelled,
                };
                state.outcome = Some(other);
                unit.made_progress();
                Poll::Ready(Err(error))
            }
        }
    }
}

impl<T: Send + 'static> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("task", &self.shared.extra.identity)
            .field("state", &self.state())
            .finish()
    }
}
