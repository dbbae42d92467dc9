//! `TaskGroup::start`: spawn a child and wait until it says it is ready.

use std::fmt;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::child::Ending;
use super::group::TaskGroup;
use super::result::TaskResult;
use crate::backend;
use crate::cancel::context;
use crate::cancel::node::{CancelReason, ScopeNode};

/// Lets a child started with [`TaskGroup::start`] report that it is ready, with a value for
/// the caller (AnyIO's `TaskStatus`).
///
/// [`started`](TaskStatus::started) takes the status by value, so it can be called only once.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use anyio::TaskStatus;
///
/// async fn serve(status: TaskStatus<&'static str>) {
///     status.started("listening");
///     anyio::sleep_forever().await;
/// }
///
/// anyio::run(async {
///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
///         assert_eq!(tg.start(serve).await.unwrap(), "listening");
///         // The same function can be spawned when nobody waits for it:
///         tg.spawn(serve(TaskStatus::ignored()));
///         tg.cancel();
///         Ok(())
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TaskStatus<V> {
    sink: Option<Arc<dyn StartedSink<V>>>,
}

impl<V> TaskStatus<V> {
    /// A status that nobody waits for (AnyIO's `TASK_STATUS_IGNORED`): `started` does nothing.
    ///
    /// # Examples
    /// See [`TaskStatus`].
    /// ```
    /// anyio::TaskStatus::ignored().started(5);
    /// ```
    pub fn ignored() -> Self {
        TaskStatus { sink: None }
    }

    /// Reports that the task is ready: the caller's `start()` returns `value`, and from now on
    /// the task is an ordinary member of its group.
    ///
    /// # Examples
    /// See [`TaskStatus`].
    /// ```
    /// anyio::TaskStatus::<u8>::ignored().started(1);
    /// ```
    pub fn started(self, value: V) {
        if let Some(sink) = self.sink {
            sink.started(value);
        }
    }
}

impl<V> fmt::Debug for TaskStatus<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskStatus")
            .field("ignored", &self.sink.is_none())
            .finish()
    }
}

/// Why [`TaskGroup::start`] returned no value.
///
/// # Examples
/// ```
/// let error: anyio::StartError<()> = anyio::StartError::NotStarted;
/// assert_eq!(
///     error.to_string(),
///     "the task exited without calling TaskStatus::started"
/// );
/// ```
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartError<E> {
    /// The task returned this error before calling `started`; the group is not affected.
    Failed(E),
    /// The task returned without calling `started`.
    NotStarted,
    /// The task was cancelled (its group was cancelled) before calling `started`.
    Cancelled,
    /// The group is not running, so the task was not started.
    GroupClosed,
}

impl<E: fmt::Debug> fmt::Display for StartError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Failed(error) => write!(f, "the task failed before it started: {error:?}"),
            StartError::NotStarted => {
                f.write_str("the task exited without calling TaskStatus::started")
            }
            StartError::Cancelled => f.write_str("the task was cancelled before it started"),
            StartError::GroupClosed => {
                f.write_str("this task group is not active; no new tasks can be started")
            }
        }
    }
}

impl<E: fmt::Debug + std::error::Error + 'static> std::error::Error for StartError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Failed(error) => Some(error),
            _ => None,
        }
    }
}

/// The child's side of a start: where its ending goes before `started`.
pub(crate) trait StartShared<E>: Send + Sync {
    fn is_started(&self) -> bool;
    fn child_ended(&self, ending: Ending<E>);
}

/// The status's side of a start.
trait StartedSink<V>: Send + Sync {
    fn started(&self, value: V);
}

enum StartState<V, E> {
    Starting,
    Started(Option<V>),
    Ended(Option<Ending<E>>),
}

struct StartSlot<V, E> {
    state: Mutex<(StartState<V, E>, Option<Waker>)>,
}

impl<V, E> StartSlot<V, E> {
    fn lock(&self) -> MutexGuard<'_, (StartState<V, E>, Option<Waker>)> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn settle(&self, state: StartState<V, E>) {
        let waker = {
            let mut slot = self.lock();
            if !matches!(slot.0, StartState::Starting) {
                return;
            }
            slot.0 = state;
            slot.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<V: Send, E: Send> StartShared<E> for StartSlot<V, E> {
    fn is_started(&self) -> bool {
        matches!(self.lock().0, StartState::Started(_))
    }

    fn child_ended(&self, ending: Ending<E>) {
        self.settle(StartState::Ended(Some(ending)));
    }
}

impl<V: Send, E: Send> StartedSink<V> for StartSlot<V, E> {
    fn started(&self, value: V) {
        self.settle(StartState::Started(Some(value)));
    }
}

/// The future returned by [`TaskGroup::start`].
///
/// # Cancel safety
/// Cancelling the caller (its scope, or dropping this future) cancels the starting child, not
/// the group. Through a scope, the caller's body is dropped only once the child has wound down.
///
/// # Panics
/// Re-raises a panic of the child that happened before it called `started`.
///
/// # Examples
/// ```
/// # use std::convert::Infallible;
/// anyio::run(async {
///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
///         let starting: anyio::StartFuture<u8, Infallible> =
///             tg.start(|status: anyio::TaskStatus<u8>| async move { status.started(1) });
///         assert_eq!(starting.await, Ok(1));
///         Ok(())
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct StartFuture<V, E> {
    slot: Arc<StartSlot<V, E>>,
    /// The child's root scope, to cancel it; `None` when the group was closed.
    child: Option<Arc<ScopeNode>>,
    /// The caller's scope, held while the child starts.
    held: Option<Arc<ScopeNode>>,
    finished: bool,
}

impl<V: Send + 'static, E: Send + 'static> StartFuture<V, E> {
    pub(crate) fn new<B, F, R>(group: &TaskGroup<E>, task: B) -> Self
    where
        B: FnOnce(TaskStatus<V>) -> F,
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        let slot = Arc::new(StartSlot {
            state: Mutex::new((StartState::Starting, None)),
        });
        let status = TaskStatus {
            sink: Some(Arc::clone(&slot) as Arc<dyn StartedSink<V>>),
        };
        let future = task(status);
        let start = Arc::clone(&slot) as Arc<dyn StartShared<E>>;
        let name = std::borrow::Cow::Borrowed(std::any::type_name::<F>());
        let child = group
            .spawn_inner(name, future, Some(start))
            .ok()
            .map(|handle| handle.root());
        StartFuture {
            slot,
            child,
            held: None,
            finished: false,
        }
    }
}

impl<V, E> StartFuture<V, E> {
    fn release(&mut self) {
        if let Some(held) = self.held.take() {
            held.release_self_and_ancestors();
        }
    }
}

impl<V, E> Future for StartFuture<V, E> {
    type Output = Result<V, StartError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.finished,
            "`anyio::StartFuture` polled after it completed"
        );
        let Some(child) = this.child.clone() else {
            this.finished = true;
            return Poll::Ready(Err(StartError::GroupClosed));
        };
        if this.held.is_none() {
            // Hold the caller's scopes: if the caller is cancelled, its body must wait until the
            // child it started has wound down.
            if let Some(node) = context::current() {
                node.hold_self_and_ancestors();
                this.held = Some(node);
            }
        }
        let caller_cancelled = context::cancelled(|| {
            backend::now(backend::current_or_panic("anyio::TaskGroup::start"))
        });
        let settled = {
            let mut slot = this.slot.lock();
            match &mut slot.0 {
                StartState::Starting => {
                    slot.1 = Some(cx.waker().clone());
                    None
                }
                StartState::Started(value) => Some(Ok(value.take())),
                StartState::Ended(ending) => Some(Err(ending.take())),
            }
        };
        match settled {
            None => {
                if caller_cancelled {
                    child.cancel(CancelReason::Explicit);
                }
                Poll::Pending
            }
            Some(Ok(value)) => {
                this.release();
                this.finished = true;
                Poll::Ready(Ok(value.expect("a start value is taken once")))
            }
            Some(Err(ending)) => {
                this.release();
                let error = match ending.expect("a start outcome is taken once") {
                    Ending::Failed(error) => StartError::Failed(error),
                    Ending::Panicked(payload) => panic::resume_unwind(payload),
                    Ending::Returned => StartError::NotStarted,
                    // Cancelled because the caller was: the caller's scope drops us now.
                    Ending::Cancelled if caller_cancelled => return Poll::Pending,
                    Ending::Cancelled => StartError::Cancelled,
                };
                this.finished = true;
                Poll::Ready(Err(error))
            }
        }
    }
}

impl<V, E> Drop for StartFuture<V, E> {
    fn drop(&mut self) {
        if !self.finished {
            if let Some(child) = &self.child {
                if matches!(self.slot.lock().0, StartState::Starting) {
                    child.cancel(CancelReason::Explicit);
                }
            }
        }
        self.release();
    }
}

impl<V, E> fmt::Debug for StartFuture<V, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartFuture")
            .field("finished", &self.finished)
            .finish()
    }
}
