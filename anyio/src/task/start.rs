//! `TaskGroup::start`: spawn a child and wait until it says it is ready.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};

use super::child::Ending;
use super::error::GroupClosedError;
use super::group::{Parent, TaskGroup};
use super::handle::TaskHandle;
use super::info::{self, TaskId, TaskInfo};
use super::result::TaskResult;
use crate::backend;
use crate::cancel::context;
use crate::cancel::node::{CancelKind, ScopeNode};

/// Lets a child started with [`TaskGroup::start`] report that it is ready, with a value for
/// the caller (AnyIO's `TaskStatus`).
///
/// [`started`](TaskStatus::started) takes the status by value, so it can be called only once.
///
/// # Examples
/// ```
/// use anyio::TaskStatus;
///
/// async fn serve(status: TaskStatus<&'static str>) {
///     status.started("listening");
///     anyio::sleep_forever().await;
/// }
///
/// anyio::run(async {
///     anyio::task_group(|tg| async move {
///         assert_eq!(tg.start(serve).await.unwrap(), "listening");
///         // The same function can be spawned when nobody waits for it:
///         tg.spawn(serve(TaskStatus::ignored()));
///         tg.cancel();
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

    /// A status that delivers to `sink` (a blocking portal's `start_task`).
    pub(crate) fn with_sink(sink: Arc<dyn StartedSink<V>>) -> Self {
        TaskStatus { sink: Some(sink) }
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
/// let error: anyio::StartError<std::io::Error> = anyio::StartError::NotStarted;
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

impl<E: fmt::Display> fmt::Display for StartError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Failed(error) => write!(f, "the task failed before it started: {error}"),
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

/// As for [`TaskGroupError`](crate::TaskGroupError), the bound is `Debug + Display`, so that
/// boxed errors and `anyhow::Error` qualify; the task's error is read from the variant.
impl<E: fmt::Debug + fmt::Display> std::error::Error for StartError<E> {}

/// The child's side of a start: where its ending goes before `started`.
pub(crate) trait StartShared<E>: Send + Sync {
    fn is_started(&self) -> bool;
    fn child_ended(&self, ending: Ending<E>);
}

/// The status's side of a start.
/// Where [`TaskStatus::started`] delivers its value.
pub(crate) trait StartedSink<V>: Send + Sync {
    fn started(&self, value: V);
}

enum StartState<V, E> {
    Starting,
    Started(Option<V>),
    Ended(Option<Ending<E>>),
}

struct StartSlot<V, E> {
    state: Mutex<(StartState<V, E>, Option<Waker>)>,
    /// The child, once spawned, and the group's host: on `started` the child moves under it.
    /// Both are known when the child is spawned (the group runs by then).
    child: OnceLock<TaskInfo>,
    host: OnceLock<Option<TaskId>>,
}

impl<V, E> StartSlot<V, E> {
    fn lock(&self) -> MutexGuard<'_, (StartState<V, E>, Option<Waker>)> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Settles the start; `false` if it was settled already.
    fn settle(&self, state: StartState<V, E>) -> bool {
        let waker = {
            let mut slot = self.lock();
            if !matches!(slot.0, StartState::Starting) {
                return false;
            }
            slot.0 = state;
            slot.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
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
        if self.settle(StartState::Started(Some(value))) {
            // From now on the child is an ordinary member of the group.
            if let Some(child) = self.child.get() {
                child.set_parent_id(self.host.get().copied().flatten());
            }
        }
    }
}

/// Spawns the child, named, with the given parent; made by [`TaskGroup::start`], run at the
/// first poll.
type Spawner<T> = Box<
    dyn FnOnce(Cow<'static, str>, Option<TaskId>) -> Result<TaskHandle<T>, GroupClosedError> + Send,
>;

/// The future returned by [`TaskGroup::start`]: completes with the value the child passed to
/// [`TaskStatus::started`].
///
/// Nothing happens until it is first polled; then the child is spawned.
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
/// anyio::run(async {
///     anyio::task_group(|tg| async move {
///         let starting: anyio::StartFuture<u8, std::convert::Infallible, ()> =
///             tg.start(|status: anyio::TaskStatus<u8>| async move { status.started(1) });
///         assert_eq!(starting.await, Ok(1));
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct StartFuture<V, E, T> {
    start: Start<V, E, T>,
}

/// The future of [`StartFuture::with_handle`]: completes with the start value and the child's
/// [`TaskHandle`] (AnyIO's `start(..., return_handle=True)`).
///
/// # Cancel safety
/// As [`StartFuture`].
///
/// # Examples
/// See [`StartFuture::with_handle`].
/// ```
/// anyio::run(async {
///     anyio::task_group(|tg| async move {
///         let starting: anyio::StartWithHandle<(), std::convert::Infallible, u8> = tg
///             .start(|status: anyio::TaskStatus<()>| async move {
///                 status.started(());
///                 Ok(5)
///             })
///             .with_handle();
///         let ((), handle) = starting.await.unwrap();
///         assert_eq!(handle.await, Ok(5));
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct StartWithHandle<V, E, T> {
    start: Start<V, E, T>,
}

/// What a start ends with: the start value and the child's handle, or why not.
type Started<V, E, T> = Result<(V, TaskHandle<T>), StartError<E>>;

/// The state of a start, behind both futures.
struct Start<V, E, T> {
    slot: Arc<StartSlot<V, E>>,
    /// Until the first poll. (A mutex only so that the future is `Sync`; it is never
    /// contended.)
    spawner: Mutex<Option<Spawner<T>>>,
    name: Cow<'static, str>,
    /// The child, once spawned: handed out on success.
    child: Option<TaskHandle<T>>,
    /// The child's root scope, to cancel it.
    child_root: Option<Arc<ScopeNode>>,
    /// The caller's scope, held while the child starts.
    held: Option<Arc<ScopeNode>>,
    /// The caller's scope was held (once: a hold given back is not taken again).
    was_held: bool,
    finished: bool,
}

impl<V, E, T> StartFuture<V, E, T>
where
    V: Send + 'static,
    E: Send + 'static,
    T: Send + 'static,
{
    pub(crate) fn new<B, F, R>(group: &TaskGroup<E>, task: B) -> Self
    where
        B: FnOnce(TaskStatus<V>) -> F,
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E, Ok = T> + Send + 'static,
    {
        let slot = Arc::new(StartSlot {
            state: Mutex::new((StartState::Starting, None)),
            child: OnceLock::new(),
            host: OnceLock::new(),
        });
        let status = TaskStatus {
            sink: Some(Arc::clone(&slot) as Arc<dyn StartedSink<V>>),
        };
        let future = task(status);
        let start = Arc::clone(&slot) as Arc<dyn StartShared<E>>;
        let group = group.clone();
        let child_slot = Arc::clone(&slot);
        let spawner: Spawner<T> = Box::new(move |name, parent| {
            let root = group.admit_child(name, Parent::Task(parent))?;
            // Known to the slot before the child can run and call `started`.
            let _ = child_slot.host.set(group.shared.host());
            let _ = child_slot
                .child
                .set(super::handle::HandleShared::task_info(&root));
            group.launch(Arc::clone(&root), future, Some(start));
            Ok(TaskHandle::new(root))
        });
        StartFuture {
            start: Start {
                slot,
                spawner: Mutex::new(Some(spawner)),
                name: Cow::Borrowed(std::any::type_name::<F>()),
                child: None,
                child_root: None,
                held: None,
                was_held: false,
                finished: false,
            },
        }
    }
}

impl<V, E, T> StartFuture<V, E, T> {
    /// Names the child (see [`TaskInfo::name`]); by default it is named after its future's
    /// type. Takes effect when the future is first polled, so call it before.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         let name = tg
    ///             .start(|status: anyio::TaskStatus<String>| async move {
    ///                 status.started(anyio::get_current_task().unwrap().name().to_owned());
    ///             })
    ///             .named("listener")
    ///             .await
    ///             .unwrap();
    ///         assert_eq!(name, "listener");
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.start.name = name.into();
        self
    }

    /// Also returns the child's [`TaskHandle`], to await its result or cancel it alone
    /// (AnyIO's `return_handle=True`).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         let (port, server) = tg
    ///             .start(|status: anyio::TaskStatus<u16>| async move {
    ///                 status.started(8080);
    ///                 anyio::sleep_forever().await;
    ///             })
    ///             .with_handle()
    ///             .await
    ///             .unwrap();
    ///         assert_eq!(port, 8080);
    ///         server.cancel(); // stops this child only
    ///         assert_eq!(server.await, Err(anyio::TaskError::Cancelled));
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn with_handle(self) -> StartWithHandle<V, E, T> {
        StartWithHandle { start: self.start }
    }
}

impl<V, E, T> Start<V, E, T> {
    fn release(&mut self) {
        if let Some(held) = self.held.take() {
            held.release_self_and_ancestors();
        }
    }

    fn poll_start(&mut self, cx: &mut Context<'_>) -> Poll<Started<V, E, T>>
    where
        T: Send + 'static,
    {
        assert!(
            !self.finished,
            "`anyio::StartFuture` polled after it completed"
        );
        let spawner = self
            .spawner
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(spawner) = spawner {
            // Until it calls `started`, the child is the caller's.
            let name = std::mem::take(&mut self.name);
            match spawner(name, info::current_task_id()) {
                Ok(handle) => {
                    self.child_root = Some(handle.root());
                    self.child = Some(handle);
                }
                Err(GroupClosedError { .. }) => {
                    self.finished = true;
                    return Poll::Ready(Err(StartError::GroupClosed));
                }
            }
        }
        let Some(child) = self.child_root.clone() else {
            unreachable!("a start that is not finished has spawned its child");
        };
        if !self.was_held {
            // Hold the caller's scopes: if the caller is cancelled, its body must wait until the
            // child it started has wound down.
            self.was_held = true;
            if let Some(node) = context::current() {
                node.hold_self_and_ancestors();
                self.held = Some(node);
            }
        }
        let caller_cancelled = context::cancelled(|| {
            backend::now(backend::current_or_panic("anyio::TaskGroup::start"))
        });
        let settled = {
            let mut slot = self.slot.lock();
            match &mut slot.0 {
                StartState::Starting => {
                    slot.1 = Some(cx.waker().clone());
                    None
                }
                StartState::Started(value) => Some(Ok(value.take())),
                // Cancelled because the caller was: the caller's scope drops us now (the
                // ending stays, for a poll that may still come first).
                StartState::Ended(Some(Ending::Cancelled)) if caller_cancelled => {
                    drop(slot);
                    self.release();
                    return Poll::Pending;
                }
                StartState::Ended(ending) => Some(Err(ending.take())),
            }
        };
        match settled {
            None => {
                if caller_cancelled {
                    child.cancel(CancelKind::Explicit);
                }
                Poll::Pending
            }
            Some(Ok(value)) => {
                self.release();
                self.finished = true;
                let handle = self.child.take().expect("the child was spawned");
                Poll::Ready(Ok((value.expect("a start value is taken once"), handle)))
            }
            Some(Err(ending)) => {
                self.release();
                let error = match ending.expect("a start outcome is taken once") {
                    Ending::Failed(error) => StartError::Failed(error),
                    Ending::Panicked(payload) => panic::resume_unwind(payload),
                    Ending::Returned => StartError::NotStarted,
                    Ending::Cancelled => StartError::Cancelled,
                };
                self.finished = true;
                Poll::Ready(Err(error))
            }
        }
    }
}

impl<V, E, T> Drop for Start<V, E, T> {
    fn drop(&mut self) {
        if !self.finished {
            if let Some(child) = &self.child_root {
                if matches!(self.slot.lock().0, StartState::Starting) {
                    child.cancel(CancelKind::Explicit);
                }
            }
        }
        self.release();
    }
}

// The child's handle and the start value are moved in and out, never pinned.
impl<V, E, T> Unpin for StartFuture<V, E, T> {}
impl<V, E, T> Unpin for StartWithHandle<V, E, T> {}

impl<V, E, T: Send + 'static> Future for StartFuture<V, E, T> {
    type Output = Result<V, StartError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .start
            .poll_start(cx)
            .map_ok(|(value, _handle)| value)
    }
}

impl<V, E, T: Send + 'static> Future for StartWithHandle<V, E, T> {
    type Output = Result<(V, TaskHandle<T>), StartError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().start.poll_start(cx)
    }
}

impl<V, E, T> fmt::Debug for StartFuture<V, E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartFuture")
            .field("name", &self.start.name)
            .field("finished", &self.start.finished)
            .finish_non_exhaustive()
    }
}

impl<V, E, T> fmt::Debug for StartWithHandle<V, E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartWithHandle")
            .field("name", &self.start.name)
            .field("finished", &self.start.finished)
            .finish_non_exhaustive()
    }
}
