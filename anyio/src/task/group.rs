//! Task groups: [`task_group`], the [`TaskGroup`] handle, and the group's bookkeeping.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::child::{ChildTask, Ending};
use super::handle::{HandleShared, TaskHandle};
use super::info::{self, Identity, TaskId, TaskInfo};
use super::result::TaskResult;
use super::start::{StartFuture, TaskStatus};
use crate::backend;
use crate::cancel::CancelHandle;
use crate::cancel::context::{self, Frame};
use crate::cancel::deadline::Deadline;
use crate::cancel::node::{CancelReason, Fanout, ScopeNode};
use crate::slab::Slab;

/// Runs `body` with a [`TaskGroup`], and completes when the body and every task spawned into
/// the group have finished (structured concurrency, AnyIO's `create_task_group`).
///
/// The body runs inside the group's cancel scope. When the body or a child fails (returns
/// `Err`, or panics), the group is cancelled: the body and every other child are dropped at
/// their next suspension point, and the group waits for them before it completes.
///
/// - `Ok(value)`: the body returned `value` (or `()`), and no child failed.
/// - `Err(TaskGroupError)`: every error returned by the body and the children, in the order
///   they happened; or, with no error, the group's own [`cancel`](TaskGroup::cancel) dropped
///   the body before it returned ([`TaskGroupError::is_cancelled`]).
/// - A panic in the body or a child is re-raised here once every other task has finished.
///
/// Cancellation alone is not an error: when an enclosing scope is cancelled and nothing
/// failed, the group winds its tasks down and is dropped with the enclosing body. When
/// something did fail, the errors are still returned (errors beat cancellation), so the code
/// after the group sees them before its own next suspension point.
///
/// A group with running children keeps every enclosing scope from dropping its body until
/// the children have wound down: no child outlives its group on the cancel path.
///
/// # Cancel safety
/// Dropping the returned future from outside anyio's scopes (a `select!`, a timeout of
/// another library) aborts the children without waiting for them: each is dropped when next
/// woken, shields and all.
///
/// # Panics
/// Re-raises the first panic of the body or a child, after all of them have finished.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use anyio::TaskGroup;
///
/// #[derive(Debug, PartialEq)]
/// struct Oops;
///
/// anyio::run(async {
///     let result = anyio::task_group(|tg: TaskGroup<Oops>| async move {
///         tg.spawn(async {
///             anyio::sleep(Duration::from_millis(5)).await;
///             Err::<(), _>(Oops)
///         });
///         // Cancelled when the child fails:
///         tg.spawn(anyio::sleep_forever());
///         anyio::sleep_forever().await;
///         Ok(())
///     })
///     .await;
///     assert_eq!(result.unwrap_err().errors(), [Oops]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn task_group<B, Fut, E>(body: B) -> TaskGroupFuture<Fut, E>
where
    B: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future,
    Fut::Output: TaskResult<E>,
    E: Send + 'static,
{
    let shared = Arc::new(GroupShared {
        node: ScopeNode::new(None, false, false),
        aborted: AtomicBool::new(false),
        live: AtomicUsize::new(UNSTARTED),
        host: OnceLock::new(),
        state: Mutex::new(GroupState {
            children: Slab::default(),
            errors: Vec::new(),
            panic: None,
            listing: None,
        }),
    });
    let fanout: Arc<dyn Fanout> = Arc::clone(&shared) as Arc<dyn Fanout>;
    shared.node.set_fanout(Arc::downgrade(&fanout));
    let future = body(TaskGroup {
        shared: Arc::clone(&shared),
    });
    TaskGroupFuture {
        body: Body::Running { future },
        node: Some(Arc::clone(&shared.node)),
        value: None,
        timer: Deadline::new(),
        guard: AbortOnDrop { shared },
    }
}

/// The handle of a running task group: spawns children, starts them, cancels the group.
///
/// Cheap to clone and `Send + Sync`, so children can spawn siblings.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let done = Arc::new(AtomicUsize::new(0));
///     let counter = Arc::clone(&done);
///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
///         for _ in 0..10 {
///             let counter = Arc::clone(&counter);
///             tg.spawn(async move {
///                 anyio::lowlevel::checkpoint().await;
///                 counter.fetch_add(1, Ordering::SeqCst);
///             });
///         }
///         Ok(())
///     })
///     .await
///     .unwrap();
///     assert_eq!(done.load(Ordering::SeqCst), 10); // all ten finished before the group did
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TaskGroup<E> {
    shared: Arc<GroupShared<E>>,
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let live = self.shared.live.load(Ordering::Acquire);
        f.debug_struct("TaskGroup")
            .field("active", &(live & (UNSTARTED | CLOSED) == 0))
            .field("live_children", &(live & !(UNSTARTED | CLOSED)))
            .field("errors", &self.shared.lock().errors.len())
            .field("cancel_called", &self.shared.node.cancel_called())
            .finish()
    }
}

/// Spawning into a task group that is not running: it has not started, or has finished.
///
/// # Examples
/// ```
/// let error = anyio::GroupClosedError::new();
/// assert_eq!(error.to_string(), "this task group is not active; no new tasks can be started");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupClosedError {
    _private: (),
}

impl GroupClosedError {
    /// The error, for code that wraps anyio's spawning.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::GroupClosedError::new(), anyio::GroupClosedError::default());
    /// ```
    pub fn new() -> Self {
        GroupClosedError { _private: () }
    }
}

impl Default for GroupClosedError {
    fn default() -> Self {
        GroupClosedError::new()
    }
}

impl fmt::Display for GroupClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this task group is not active; no new tasks can be started")
    }
}

impl std::error::Error for GroupClosedError {}

impl<E: Send + 'static> TaskGroup<E> {
    /// Spawns `future` as a child task, named after the future's type.
    ///
    /// The child starts on a later poll of the scheduler, never inside this call; a child
    /// spawned into a cancelled group runs until its first suspension point. Children are
    /// runtime tasks: on a multi-thread runtime they run in parallel.
    ///
    /// # Panics
    /// When the group is not running (see [`try_spawn`](Self::try_spawn)), and outside any
    /// runtime.
    ///
    /// # Examples
    /// See [`TaskGroup`].
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         let handle = tg.spawn(async { Ok("done") });
    ///         assert_eq!(handle.await, Ok("done"));
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[track_caller]
    pub fn spawn<F, R>(&self, future: F) -> TaskHandle<R::Ok>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        self.spawn_named(Cow::Borrowed(std::any::type_name::<F>()), future)
    }

    /// Spawns `future` as a child task called `name` (see [`TaskInfo::name`]).
    ///
    /// # Panics
    /// When the group is not running (see [`try_spawn`](Self::try_spawn)), and outside any
    /// runtime.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         tg.spawn_named(format!("worker-{}", 1), async {
    ///             assert_eq!(anyio::get_current_task().unwrap().name(), "worker-1");
    ///         });
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[track_caller]
    pub fn spawn_named<F, R>(
        &self,
        name: impl Into<Cow<'static, str>>,
        future: F,
    ) -> TaskHandle<R::Ok>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        match self.spawn_inner(name.into(), future, None) {
            Ok(handle) => handle,
            Err(error) => panic!("anyio::TaskGroup::spawn: {error}"),
        }
    }

    /// Spawns `future` as a child task, or reports that the group is not running.
    ///
    /// # Errors
    /// [`GroupClosedError`] before the group's future is first polled and after it finished.
    ///
    /// # Panics
    /// Outside any runtime.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     let mut leaked = None;
    ///     anyio::task_group(|tg: anyio::TaskGroup<Infallible>| {
    ///         leaked = Some(tg.clone());
    ///         async { Ok(()) }
    ///     })
    ///     .await
    ///     .unwrap();
    ///     let error = leaked.unwrap().try_spawn(async {}).unwrap_err();
    ///     assert_eq!(error, anyio::GroupClosedError::new());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn try_spawn<F, R>(&self, future: F) -> Result<TaskHandle<R::Ok>, GroupClosedError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        self.spawn_inner(Cow::Borrowed(std::any::type_name::<F>()), future, None)
    }

    pub(crate) fn spawn_inner<F, R>(
        &self,
        name: Cow<'static, str>,
        future: F,
        start: Option<Arc<dyn super::start::StartShared<E>>>,
    ) -> Result<TaskHandle<R::Ok>, GroupClosedError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        let backend = backend::current_or_panic("anyio::TaskGroup::spawn");
        let host = self.shared.admit()?;
        let handle = HandleShared::new_root(Identity::new(name, host));
        let root: Arc<ScopeNode> = Arc::clone(&handle) as Arc<ScopeNode>;
        root.enter_unlisted(Arc::clone(&self.shared.node));
        let task = HandleShared::task_info(&handle);
        let child = ChildTask::new(
            future,
            Arc::clone(&self.shared),
            Arc::clone(&handle),
            root,
            task,
            start,
        );
        backend::spawn_detached(backend, child);
        Ok(TaskHandle::new(handle))
    }

    /// Starts `task` as a child and waits until it reports that it is ready, returning the
    /// value it passed to [`TaskStatus::started`] (AnyIO's `TaskGroup.start`).
    ///
    /// Until the child calls `started`, it belongs to the caller: an error it returns comes
    /// out of this call (and does not touch the group), a panic is re-raised here, and
    /// cancelling the caller cancels the child (and waits for it) but not the group. After
    /// `started`, the child is an ordinary member of the group.
    ///
    /// # Errors
    /// See [`StartError`](crate::StartError).
    ///
    /// # Examples
    /// ```
    /// use std::convert::Infallible;
    /// use anyio::{TaskGroup, TaskStatus};
    ///
    /// anyio::run(async {
    ///     anyio::task_group(|tg: TaskGroup<Infallible>| async move {
    ///         let port = tg
    ///             .start(|status: TaskStatus<u16>| async move {
    ///                 // ... bind a listener, then:
    ///                 status.started(8080);
    ///                 anyio::sleep_forever().await; // serve
    ///             })
    ///             .await
    ///             .unwrap();
    ///         assert_eq!(port, 8080);
    ///         tg.cancel(); // stop serving
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn start<V, B, F, R>(&self, task: B) -> StartFuture<V, E>
    where
        V: Send + 'static,
        B: FnOnce(TaskStatus<V>) -> F,
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        StartFuture::new(self, task)
    }
}

impl<E> TaskGroup<E> {
    /// Cancels the group: the body and every child are dropped at their next suspension point.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// anyio::run(async {
    ///     let result = anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         tg.spawn(anyio::sleep_forever());
    ///         tg.cancel();
    ///         Ok("the body returned before suspending again")
    ///     })
    ///     .await;
    ///     assert_eq!(result.unwrap(), "the body returned before suspending again");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel(&self) {
        self.shared.node.cancel(CancelReason::Explicit);
    }

    /// A handle on the group's own cancel scope (AnyIO's `TaskGroup.cancel_scope`): cancel it,
    /// give it a deadline, shield it.
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let result = anyio::task_group(|tg: anyio::TaskGroup<Infallible>| async move {
    ///         tg.cancel_scope().set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    ///         tg.spawn(anyio::sleep_forever());
    ///         anyio::sleep_forever().await;
    ///         Ok(())
    ///     })
    ///     .await;
    ///     assert!(result.unwrap_err().is_cancelled());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel_scope(&self) -> CancelHandle {
        CancelHandle::from_node(Arc::clone(&self.shared.node))
    }
}

/// Every error of a failed task group, or the group's own cancellation.
///
/// # Examples
/// ```
/// # #[derive(Debug, PartialEq)] struct Oops;
/// anyio::run(async {
///     let error = anyio::task_group(|_tg: anyio::TaskGroup<Oops>| async { Err::<(), _>(Oops) })
///         .await
///         .unwrap_err();
///     assert_eq!(error.errors(), [Oops]);
///     assert!(!error.is_cancelled());
///     assert_eq!(error.to_string(), "a task group failed: Oops");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct TaskGroupError<E> {
    errors: Vec<E>,
}

impl<E> TaskGroupError<E> {
    /// The errors, in the order the tasks failed.
    ///
    /// # Examples
    /// See [`TaskGroupError`].
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg: anyio::TaskGroup<&str>| async { Err::<(), _>("bad") }).await.unwrap_err();
    /// assert_eq!(error.errors(), ["bad"]);
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// The errors, owned.
    ///
    /// # Examples
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg: anyio::TaskGroup<&str>| async { Err::<(), _>("bad") }).await.unwrap_err();
    /// assert_eq!(error.into_errors(), vec!["bad"]);
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// No task failed: the group's own cancellation ([`TaskGroup::cancel`] or a deadline on its
    /// [`cancel_scope`](TaskGroup::cancel_scope)) dropped the body before it returned a value.
    ///
    /// # Examples
    /// See [`TaskGroup::cancel_scope`].
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg: anyio::TaskGroup<()>| async move {
    ///     tg.cancel();
    ///     anyio::lowlevel::checkpoint().await;
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert!(error.is_cancelled());
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.errors.is_empty()
    }

    /// The first error, which usually caused the others' cancellation.
    ///
    /// # Examples
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|_tg: anyio::TaskGroup<&str>| async { Err::<(), _>("bad") }).await.unwrap_err();
    /// assert_eq!(error.first(), Some(&"bad"));
    /// # })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn first(&self) -> Option<&E> {
        self.errors.first()
    }
}

impl<E: fmt::Debug> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [] => f.write_str("the task group was cancelled before its body returned"),
            [only] => write!(f, "a task group failed: {only:?}"),
            [first, rest @ ..] => write!(
                f,
                "{} tasks in a task group failed; the first: {first:?}",
                rest.len() + 1
            ),
        }
    }
}

impl<E: fmt::Debug + std::error::Error + 'static> std::error::Error for TaskGroupError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.errors.first().map(|error| error as _)
    }
}

/// The state a group shares with its handles and children.
pub(crate) struct GroupShared<E> {
    /// The group's own cancel scope; the children's root scopes hang below it.
    pub(crate) node: Arc<ScopeNode>,
    /// Set when the group's future is dropped from outside anyio's scopes.
    aborted: AtomicBool,
    /// The number of live children, with the `UNSTARTED` and `CLOSED` bits: spawning and
    /// finishing a child that never suspends touch only this word.
    live: AtomicUsize,
    /// The task running the group's body: the parent of its children.
    host: OnceLock<Option<TaskId>>,
    /// Failures, and the children that are suspended.
    state: Mutex<GroupState<E>>,
}

/// `live`: the group's future has not been polled yet.
const UNSTARTED: usize = 1 << (usize::BITS - 1);
/// `live`: the group has finished; nothing can be spawned any more.
const CLOSED: usize = 1 << (usize::BITS - 2);

struct GroupState<E> {
    /// The children that have suspended at least once: their identity (for
    /// `get_running_tasks`) and root scope (to wake them when the group is cancelled). A child
    /// that has not suspended yet needs no waking: it checks the group's cancellation itself
    /// when it first suspends, after listing itself here.
    children: Slab<Child>,
    errors: Vec<E>,
    panic: Option<Box<dyn Any + Send>>,
    /// The group's entry in the list of running groups, while it runs.
    listing: Option<info::Listing>,
}

struct Child {
    task: TaskInfo,
    root: Arc<ScopeNode>,
}

impl<E: Send> Fanout for GroupShared<E> {
    fn roots(&self) -> Vec<Arc<ScopeNode>> {
        self.lock()
            .children
            .iter()
            .map(|child| Arc::clone(&child.root))
            .collect()
    }
}

impl<E: Send> info::ListsTasks for GroupShared<E> {
    fn tasks(&self) -> Vec<TaskInfo> {
        self.lock()
            .children
            .iter()
            .map(|child| child.task.clone())
            .collect()
    }
}

impl<E> GroupShared<E> {
    fn lock(&self) -> MutexGuard<'_, GroupState<E>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Counts a new child in, if the group runs; returns the host task, the child's parent.
    fn admit(&self) -> Result<Option<TaskId>, GroupClosedError> {
        let mut live = self.live.load(Ordering::Acquire);
        loop {
            if live & (UNSTARTED | CLOSED) != 0 {
                return Err(GroupClosedError::new());
            }
            match self.live.compare_exchange_weak(
                live,
                live + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => live = actual,
            }
        }
        if live == 0 {
            // A group with live children holds the enclosing scopes of its host task.
            self.node.hold_ancestors();
        }
        Ok(self.host.get().copied().flatten())
    }

    /// Lists a child that suspends, so that a cancellation of the group wakes it.
    pub(crate) fn list_child(&self, task: &TaskInfo, root: &Arc<ScopeNode>) -> usize {
        self.lock().children.insert(Child {
            task: task.clone(),
            root: Arc::clone(root),
        })
    }

    /// Counts a child out (unlisting it from `slot`) and records how it ended; a failure
    /// cancels the group.
    pub(crate) fn child_done(&self, slot: Option<usize>, ending: Ending<E>) {
        let failed = matches!(ending, Ending::Failed(_) | Ending::Panicked(_));
        if failed || slot.is_some() {
            let mut state = self.lock();
            if let Some(slot) = slot {
                state.children.remove(slot);
            }
            match ending {
                Ending::Failed(error) => state.errors.push(error),
                Ending::Panicked(payload) => {
                    state.panic.get_or_insert(payload);
                }
                Ending::Returned | Ending::Cancelled => {}
            }
        }
        if failed {
            self.node.cancel(CancelReason::Explicit);
        }
        if self.live.fetch_sub(1, Ordering::AcqRel) & !(UNSTARTED | CLOSED) == 1 {
            self.node.release_ancestors();
            self.node.wake();
        }
    }

    /// Records a failure of the group's body.
    fn body_failed(&self, ending: Ending<E>) {
        {
            let mut state = self.lock();
            match ending {
                Ending::Failed(error) => state.errors.push(error),
                Ending::Panicked(payload) => {
                    state.panic.get_or_insert(payload);
                }
                Ending::Returned | Ending::Cancelled => return,
            }
        }
        self.node.cancel(CancelReason::Explicit);
    }
}

pin_project! {
    /// The future returned by [`task_group`].
    ///
    /// # Examples
    /// ```
    /// # use std::convert::Infallible;
    /// let group = anyio::task_group(|_tg: anyio::TaskGroup<Infallible>| async { Ok(1) });
    /// assert_eq!(anyio::run(group)?.unwrap(), 1);
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TaskGroupFuture<Fut: Future, E>
    where
        Fut::Output: TaskResult<E>,
    {
        #[pin]
        body: Body<Fut>,
        // The group's node, moved into the frame stack for each poll of the body.
        node: Option<Arc<ScopeNode>>,
        value: Option<<Fut::Output as TaskResult<E>>::Ok>,
        // The group's own deadline (set through `cancel_scope()`).
        #[pin]
        timer: Deadline,
        guard: AbortOnDrop<E>,
    }
}

pin_project! {
    #[project = BodyProj]
    enum Body<F> {
        Running { #[pin] future: F },
        Waiting,
        Done,
    }
}

/// Aborts the children if the group's future is dropped before it completed.
struct AbortOnDrop<E> {
    shared: Arc<GroupShared<E>>,
}

impl<E> Drop for AbortOnDrop<E> {
    fn drop(&mut self) {
        let shared = &self.shared;
        let previous = shared.live.fetch_or(CLOSED, Ordering::AcqRel);
        shared.lock().listing = None;
        match previous & !(UNSTARTED | CLOSED) {
            live if live > 0 => {
                shared.aborted.store(true, Ordering::Release);
                shared.node.cancel(CancelReason::Explicit);
                // The holds are released by the last child to finish, as always.
                shared.node.exit(false);
            }
            _ => shared.node.exit(false),
        }
    }
}

impl<Fut, E> Future for TaskGroupFuture<Fut, E>
where
    Fut: Future,
    Fut::Output: TaskResult<E>,
    E: Send + 'static,
{
    type Output = Result<<Fut::Output as TaskResult<E>>::Ok, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let shared = &this.guard.shared;
        if shared.live.load(Ordering::Acquire) & UNSTARTED != 0 {
            let _ = shared
                .host
                .set(info::get_current_task().map(|task| task.id()));
            let tasks: Arc<dyn info::ListsTasks> = Arc::clone(shared) as _;
            shared.lock().listing = Some(info::list_group(Arc::downgrade(&tasks)));
            shared.node.enter(context::current());
            shared.live.fetch_and(!UNSTARTED, Ordering::AcqRel);
        }

        if let BodyProj::Running { future } = this.body.as_mut().project() {
            let node_slot = &mut *this.node;
            let guard = context::push(Frame {
                node: node_slot.take(),
                deadline: None,
                shield: false,
                expired: false,
            });
            let polled = panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
            *node_slot = guard.finish().node;
            match polled {
                Ok(Poll::Ready(output)) => {
                    this.body.set(Body::Waiting);
                    match output.into_result() {
                        Ok(value) => *this.value = Some(value),
                        Err(error) => shared.body_failed(Ending::Failed(error)),
                    }
                }
                Err(payload) => {
                    this.body.set(Body::Waiting);
                    shared.body_failed(Ending::Panicked(payload));
                }
                Ok(Poll::Pending) => {
                    shared.node.register_waker(cx.waker());
                    this.timer.as_mut().watch(&shared.node, cx);
                    if !shared.node.should_drop_on_any_cancellation() {
                        return Poll::Pending;
                    }
                    // The group is cancelled (its own cancel, a failure, or an enclosing
                    // scope): drop the body here, then wait for the children.
                    this.body.set(Body::Waiting);
                }
            }
        }

        if let BodyProj::Done = this.body.as_mut().project() {
            // Completed as cancelled from above: the enclosing scope drops us.
            return Poll::Pending;
        }

        // Waiting for the children; the group's deadline still applies to them.
        shared.node.register_waker(cx.waker());
        this.timer.as_mut().watch(&shared.node, cx);
        // Close the group, unless a child is still live (or was spawned just now).
        if shared
            .live
            .compare_exchange(0, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Poll::Pending;
        }
        let (errors, panic) = {
            let mut state = shared.lock();
            state.listing = None;
            (std::mem::take(&mut state.errors), state.panic.take())
        };
        this.body.set(Body::Done);
        if let Some(payload) = panic {
            shared.node.exit(false);
            panic::resume_unwind(payload);
        }
        if !errors.is_empty() {
            shared.node.exit(false);
            return Poll::Ready(Err(TaskGroupError { errors }));
        }
        if let Some(value) = this.value.take() {
            shared.node.exit(false);
            return Poll::Ready(Ok(value));
        }
        if shared.node.is_cancellation_origin() {
            shared.node.exit(true);
            return Poll::Ready(Err(TaskGroupError { errors }));
        }
        // An enclosing scope was cancelled and nothing failed: that scope takes the
        // cancellation and drops this future with its body.
        Poll::Pending
    }
}

impl<Fut: Future, E> fmt::Debug for TaskGroupFuture<Fut, E>
where
    Fut::Output: TaskResult<E>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupFuture")
            .field(
                "group",
                &TaskGroup {
                    shared: Arc::clone(&self.guard.shared),
                },
            )
            .finish()
    }
}
