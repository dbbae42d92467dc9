//! Task groups: [`task_group`], the [`TaskGroup`] handle, and the group's bookkeeping.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use super::child::{ChildTask, Ending};
use super::error::GroupClosedError;
use super::future::{AbortOnDrop, TaskGroupFuture};
use super::handle::{HandleShared, TaskHandle, TaskRoot};
use super::info::{self, Identity, TaskId, TaskInfo};
use super::result::{BodyResult, TaskResult};
use super::start::{StartFuture, StartShared, TaskStatus};
use crate::backend::SpawnTarget;
use crate::cancel::CancelHandle;
use crate::cancel::node::{CancelKind, Fanout, ScopeNode};
use crate::runtime::NoEventLoopError;
use crate::slab::Slab;

/// Runs `body` with a [`TaskGroup`], and completes when the body and every task spawned into
/// the group have finished (structured concurrency, AnyIO's `create_task_group`).
///
/// The body runs inside the group's cancel scope. When the body or a child fails (returns
/// `Err`, or panics), the group is cancelled: the body and every other child are dropped at
/// their next suspension point, and the group waits for them before it completes.
///
/// The group's error type is the body's: a body that returns `Result<T, E>` makes it `E`
/// (children then return `()` or `Result<_, E>`), a body that returns `()` makes it
/// [`Infallible`](std::convert::Infallible). So the closure needs no annotation.
///
/// - `Ok(Some(value))`: the body returned `value` (or `()`), and no task failed.
/// - `Ok(None)`: the group's own cancellation ([`TaskGroup::cancel`], or a deadline on its
///   [`cancel_scope`](TaskGroup::cancel_scope)) dropped the body before it returned, and no
///   task failed. Stopping a group this way is a success: the usual way to stop a server.
/// - `Err(TaskGroupError)`: every error returned by the body and the children, in the order
///   they happened.
/// - A panic in the body or a child is re-raised here once every other task has finished.
///
/// Cancellation of an enclosing scope is not an error either: the group winds its tasks down
/// and then the enclosing scope drops it, so the code after the group never runs, even when
/// its body had already returned (the group's exit is a cancellation point, as in AnyIO).
/// When something did fail, the errors are still returned (errors beat cancellation), so the
/// code after the group sees them before its own next suspension point.
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
///
/// #[derive(Debug, PartialEq)]
/// struct Oops;
///
/// anyio::run(async {
///     let result = anyio::task_group(|tg| async move {
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
///
///     // A server stopped by its own group:
///     let stopped = anyio::task_group(|tg| async move {
///         tg.spawn(anyio::sleep_forever()); // serve...
///         tg.cancel(); // ...until told to stop
///         anyio::sleep_forever().await;
///     })
///     .await;
///     assert_eq!(stopped.unwrap(), None);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn task_group<B, Fut>(body: B) -> TaskGroupFuture<Fut>
where
    B: FnOnce(TaskGroup<<Fut::Output as BodyResult>::Error>) -> Fut,
    Fut: Future,
    Fut::Output: BodyResult,
    <Fut::Output as BodyResult>::Error: Send + 'static,
{
    let shared = Arc::new_cyclic(|group: &Weak<GroupShared<_>>| GroupShared {
        node: Arc::new(ScopeNode::for_group(group.clone() as Weak<dyn Fanout>)),
        aborted: AtomicBool::new(false),
        live: AtomicUsize::new(UNSTARTED),
        host: OnceLock::new(),
        target: OnceLock::new(),
        state: Mutex::new(GroupState {
            children: Slab::default(),
            errors: Vec::new(),
            panic: None,
            listing: None,
        }),
    });
    let future = body(TaskGroup {
        shared: Arc::clone(&shared),
    });
    TaskGroupFuture::new(future, AbortOnDrop { shared })
}

/// The handle of a running task group: spawns children, starts them, cancels the group.
///
/// Cheap to clone and `Send + Sync`, so children can spawn siblings.
///
/// # Examples
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let done = Arc::new(AtomicUsize::new(0));
///     let counter = Arc::clone(&done);
///     anyio::task_group(|tg| async move {
///         for _ in 0..10 {
///             let counter = Arc::clone(&counter);
///             tg.spawn(async move {
///                 anyio::lowlevel::checkpoint().await;
///                 counter.fetch_add(1, Ordering::SeqCst);
///             });
///         }
///     })
///     .await
///     .unwrap();
///     assert_eq!(done.load(Ordering::SeqCst), 10); // all ten finished before the group did
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TaskGroup<E> {
    pub(crate) shared: Arc<GroupShared<E>>,
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

/// Whose child a new task is.
pub(crate) enum Parent {
    /// The task running the group's body (an ordinary child).
    Host,
    /// This task (a task being started, until it calls `started`).
    Task(Option<TaskId>),
}

impl<E: Send + 'static> TaskGroup<E> {
    /// Spawns `future` as a child task, named after the future's type.
    ///
    /// The child starts on a later poll of the scheduler, never inside this call; a child
    /// spawned into a cancelled group runs until its first suspension point. Children are
    /// runtime tasks: on a multi-thread runtime they run in parallel. They run on the runtime
    /// that runs the group's body, whichever thread spawns them (a plain thread holding a clone
    /// of the group can spawn into it).
    ///
    /// # Panics
    /// When the group is not running (see [`try_spawn`](Self::try_spawn)), and when the group
    /// itself runs outside any runtime.
    ///
    /// # Examples
    /// See [`TaskGroup`].
    /// ```
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         let handle = tg.spawn(async { Ok::<_, std::convert::Infallible>("done") });
    ///         assert_eq!(handle.await, Ok("done"));
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
    /// When the group is not running (see [`try_spawn`](Self::try_spawn)), and when the group
    /// itself runs outside any runtime.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         tg.spawn_named(format!("worker-{}", 1), async {
    ///             assert_eq!(anyio::get_current_task().unwrap().name(), "worker-1");
    ///         });
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
        match self.spawn_inner(name.into(), future, None, Parent::Host) {
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
    /// When the group itself runs outside any runtime.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut leaked = None;
    ///     anyio::task_group(|tg| {
    ///         leaked = Some(tg.clone());
    ///         async {}
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
        self.spawn_inner(
            Cow::Borrowed(std::any::type_name::<F>()),
            future,
            None,
            Parent::Host,
        )
    }

    #[inline]
    pub(crate) fn spawn_inner<F, R>(
        &self,
        name: Cow<'static, str>,
        future: F,
        start: Option<Arc<dyn StartShared<E>>>,
        parent: Parent,
    ) -> Result<TaskHandle<R::Ok>, GroupClosedError>
    where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        let root = self.admit_child(name, parent)?;
        self.launch(Arc::clone(&root), future, start);
        Ok(TaskHandle::new(root))
    }

    /// Counts a child in and makes its root scope (with its identity), without running it yet.
    /// Nothing after this may fail before [`launch`](Self::launch): the child is counted.
    ///
    /// # Panics
    /// When the group started where no runtime runs (so it has nowhere to spawn), with the
    /// [`NoEventLoopError`](crate::NoEventLoopError) message; before counting anything in.
    #[inline]
    pub(crate) fn admit_child<T: Send + 'static>(
        &self,
        name: Cow<'static, str>,
        parent: Parent,
    ) -> Result<Arc<TaskRoot<T>>, GroupClosedError> {
        if let Some(Err(error)) = self.shared.target.get() {
            panic!("anyio::TaskGroup::spawn: {error}");
        }
        let host = self.shared.admit()?;
        let parent = match parent {
            Parent::Host => host,
            Parent::Task(task) => task,
        };
        Ok(HandleShared::new_root(
            Arc::clone(&self.shared.node),
            Identity::new(name, parent),
        ))
    }

    /// Runs a child admitted by [`admit_child`](Self::admit_child) as a runtime task.
    #[inline]
    pub(crate) fn launch<F, R>(
        &self,
        root: Arc<TaskRoot<R::Ok>>,
        future: F,
        start: Option<Arc<dyn StartShared<E>>>,
    ) where
        F: Future<Output = R> + Send + 'static,
        R: TaskResult<E> + Send + 'static,
        R::Ok: Send + 'static,
    {
        let child = ChildTask::new(future, Arc::clone(&self.shared), root, start);
        match self.shared.target.get() {
            Some(Ok(target)) => target.spawn(child),
            // `admit` succeeded, so the group started and has a target.
            _ => unreachable!("a started task group has somewhere to spawn"),
        }
    }

    /// Starts `task` as a child and waits until it reports that it is ready, returning the
    /// value it passed to [`TaskStatus::started`] (AnyIO's `TaskGroup.start`).
    ///
    /// Nothing happens until the returned future is first polled: then the child is spawned.
    /// Until the child calls `started`, it belongs to the caller: its
    /// [`parent_id`](TaskInfo::parent_id) is the calling task, an error it returns comes out
    /// of this call (and does not touch the group), a panic is re-raised here, and cancelling
    /// the caller cancels the child (and waits for it) but not the group. After `started`, the
    /// child is an ordinary member of the group, whose host is its parent.
    ///
    /// [`StartFuture::named`] names the child; [`StartFuture::with_handle`] also returns its
    /// [`TaskHandle`] (AnyIO's `return_handle=True`).
    ///
    /// # Errors
    /// See [`StartError`](crate::StartError).
    ///
    /// # Examples
    /// ```
    /// use anyio::TaskStatus;
    ///
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
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
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn start<V, B, F, R>(&self, task: B) -> StartFuture<V, E, R::Ok>
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
    /// A group stopped this way completes with `Ok(None)`, or `Ok(Some(value))` if its body
    /// returned before it suspended again.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let result = anyio::task_group(|tg| async move {
    ///         tg.spawn(anyio::sleep_forever());
    ///         tg.cancel();
    ///         Ok::<_, std::convert::Infallible>("the body returned before suspending again")
    ///     })
    ///     .await;
    ///     assert_eq!(result.unwrap(), Some("the body returned before suspending again"));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel(&self) {
        self.shared.node.cancel(CancelKind::Explicit);
    }

    /// Cancels the group, saying why (AnyIO's `TaskGroup.cancel(reason)`); the reason is
    /// [`cancel_scope().cancel_reason()`](CancelHandle::cancel_reason).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let stopped = anyio::task_group(|tg| async move {
    ///         tg.cancel_with_reason("shutting down");
    ///         assert_eq!(tg.cancel_scope().cancel_reason().as_deref(), Some("shutting down"));
    ///         anyio::sleep_forever().await;
    ///     })
    ///     .await;
    ///     assert_eq!(stopped.unwrap(), None);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel_with_reason(&self, reason: impl Into<Cow<'static, str>>) {
        self.shared
            .node
            .cancel_because(CancelKind::Explicit, Some(reason.into()));
    }

    /// A handle on the group's own cancel scope (AnyIO's `TaskGroup.cancel_scope`): cancel it,
    /// give it a deadline, shield it.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let result = anyio::task_group(|tg| async move {
    ///         tg.cancel_scope().set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    ///         tg.spawn(anyio::sleep_forever());
    ///         anyio::sleep_forever().await;
    ///     })
    ///     .await;
    ///     assert_eq!(result.unwrap(), None); // the group's own deadline stopped it
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancel_scope(&self) -> CancelHandle {
        CancelHandle::from_node(Arc::clone(&self.shared.node))
    }
}

/// The state a group shares with its handles and children.
pub(crate) struct GroupShared<E> {
    /// The group's own cancel scope; the children's root scopes hang below it.
    pub(crate) node: Arc<ScopeNode>,
    /// Set when the group's future is dropped from outside anyio's scopes.
    pub(crate) aborted: AtomicBool,
    /// The number of live children, with the `UNSTARTED` and `CLOSED` bits: spawning and
    /// finishing a child that never suspends touch only this word.
    pub(crate) live: AtomicUsize,
    /// The task running the group's body: the parent of its children.
    pub(crate) host: OnceLock<Option<TaskId>>,
    /// Where the children run: the runtime of the group's host, found when the group starts,
    /// so that any thread can spawn into it.
    pub(crate) target: OnceLock<Result<SpawnTarget, NoEventLoopError>>,
    /// Failures, and the children that are suspended.
    pub(crate) state: Mutex<GroupState<E>>,
}

/// `live`: the group's future has not been polled yet.
pub(crate) const UNSTARTED: usize = 1 << (usize::BITS - 1);
/// `live`: the group has finished; nothing can be spawned any more.
pub(crate) const CLOSED: usize = 1 << (usize::BITS - 2);

pub(crate) struct GroupState<E> {
    /// The children that have suspended at least once: their identity (for
    /// `get_running_tasks`) and root scope (to wake them when the group is cancelled). A child
    /// that has not suspended yet needs no waking: it checks the group's cancellation itself
    /// when it first suspends, after listing itself here.
    children: Slab<Child>,
    pub(crate) errors: Vec<E>,
    pub(crate) panic: Option<Box<dyn Any + Send>>,
    /// The group's entry in the list of running groups, while it runs.
    pub(crate) listing: Option<info::Listing>,
}

/// A listed child: its info, which shares its root scope's allocation (and leads to it).
struct Child {
    task: TaskInfo,
}

impl<E: Send> Fanout for GroupShared<E> {
    fn roots(&self) -> Vec<Arc<ScopeNode>> {
        self.lock()
            .children
            .iter()
            .filter_map(|child| child.task.root_scope())
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
    pub(crate) fn lock(&self) -> MutexGuard<'_, GroupState<E>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Counts a new child in, if the group runs; returns the host task, the child's parent.
    pub(crate) fn admit(&self) -> Result<Option<TaskId>, GroupClosedError> {
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

    /// Lists a child that suspends, so that a cancellation of the group wakes it; returns its
    /// key in the list.
    ///
    /// # Panics
    /// If the group already lists 2^32 - 1 suspended children, which no program comes near
    /// (nothing is listed then).
    pub(crate) fn list_child<T: Send + 'static>(&self, root: &Arc<TaskRoot<T>>) -> NonZeroU32 {
        let task = HandleShared::task_info(root);
        let key = self.lock().children.insert_keyed(Child { task });
        key.expect("a task group lists fewer than 2^32 - 1 suspended children")
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
            self.node.cancel(CancelKind::Explicit);
        }
        if self.live.fetch_sub(1, Ordering::AcqRel) & !(UNSTARTED | CLOSED) == 1 {
            self.node.release_ancestors();
            self.node.wake();
            // The group may have seen its last child go and ended (its waker gone) between
            // the count reaching zero and the holds going, while the enclosing scope still saw
            // them: that scope's task must look again now.
            if let Some(parent) = self.node.parent() {
                parent.wake();
            }
        }
    }

    /// The task running the group's body, once the group has started.
    pub(crate) fn host(&self) -> Option<TaskId> {
        self.host.get().copied().flatten()
    }

    /// Records a failure of the group's body.
    pub(crate) fn body_failed(&self, ending: Ending<E>) {
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
        self.node.cancel(CancelKind::Explicit);
    }
}
