//! Task identity: ids, names, the current task and the registry of running tasks.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::backend::wait_point::{self, WaitPoint};
use crate::cancel::node::ScopeNode;
use crate::slab::Slab;

/// A task's identity, unique within the process for its lifetime (never reused).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let me = anyio::get_current_task().unwrap();
///     println!("task {} is called {}", me.id(), me.name());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    fn next() -> TaskId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TaskId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id that [`as_u64`](Self::as_u64) gave.
    pub(crate) fn from_u64(id: u64) -> TaskId {
        TaskId(id)
    }

    /// The id as a number.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async { assert!(anyio::get_current_task().unwrap().id().as_u64() > 0) })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What anyio knows about a task (AnyIO's `TaskInfo`): its id, name and the task that spawned
/// it. Two infos are equal when their ids are.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let root = anyio::get_current_task().unwrap();
///     anyio::task_group(|tg| async move {
///         tg.spawn_named("child", async move {
///             let me = anyio::get_current_task().unwrap();
///             assert_eq!(me.name(), "child");
///             assert_eq!(me.parent_id(), Some(root.id()));
///         });
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct TaskInfo {
    /// A child's identity lives in its handle's shared state (one allocation for both); a
    /// runner's main task has an allocation of its own.
    inner: Arc<dyn Identify>,
}

/// A task's id, name and parent.
#[derive(Debug)]
pub(crate) struct Identity {
    id: TaskId,
    name: TaskName,
    /// The parent's id, 0 for none (ids start at 1). It changes once for a task started with
    /// `TaskGroup::start`: from the task that called `start` to the group's host.
    parent_id: AtomicU64,
    /// What the task is doing, for a task dump: [`NEW`], [`RUNNING`], or one more than the
    /// [`WaitPoint`] its last poll noted.
    activity: AtomicU8,
}

/// A task's name: 16 bytes where a `Cow<'static, str>` takes 24, since every spawned task
/// carries one in the block it shares with its handle. Most names are static (a spawned
/// future's type name); a name built at run time is boxed once more to keep the enum small.
enum TaskName {
    Static(&'static str),
    // Boxed on purpose: a `String` would make the enum 24 bytes, as `Cow` is.
    #[allow(clippy::box_collection)]
    Owned(Box<String>),
}

impl TaskName {
    fn new(name: Cow<'static, str>) -> TaskName {
        match name {
            Cow::Borrowed(name) => TaskName::Static(name),
            Cow::Owned(name) => TaskName::Owned(Box::new(name)),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            TaskName::Static(name) => name,
            TaskName::Owned(name) => name,
        }
    }
}

impl fmt::Debug for TaskName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Not polled yet.
const NEW: u8 = 0;
/// Being polled.
const RUNNING: u8 = u8::MAX;

/// What a task is doing, as a task dump tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activity {
    /// Spawned, not polled yet.
    New,
    /// Being polled on some thread now.
    Running,
    /// Suspended; its last poll was in this operation.
    Waiting(WaitPoint),
}

impl Identity {
    /// A new identity, with a fresh id.
    pub(crate) fn new(name: Cow<'static, str>, parent_id: Option<TaskId>) -> Identity {
        Identity {
            id: TaskId::next(),
            name: TaskName::new(name),
            parent_id: AtomicU64::new(parent_id.map_or(0, TaskId::as_u64)),
            activity: AtomicU8::new(NEW),
        }
    }

    fn activity(&self) -> Activity {
        match self.activity.load(Ordering::Relaxed) {
            NEW => Activity::New,
            RUNNING => Activity::Running,
            noted => Activity::Waiting(WaitPoint::from_u8(noted - 1)),
        }
    }

    pub(crate) fn id(&self) -> TaskId {
        self.id
    }

    pub(crate) fn name(&self) -> &str {
        self.name.as_str()
    }

    pub(crate) fn parent_id(&self) -> Option<TaskId> {
        match self.parent_id.load(Ordering::Relaxed) {
            0 => None,
            id => Some(TaskId(id)),
        }
    }

    /// Moves the task under another parent.
    pub(crate) fn set_parent_id(&self, parent_id: Option<TaskId>) {
        self.parent_id
            .store(parent_id.map_or(0, TaskId::as_u64), Ordering::Relaxed);
    }
}

/// Shared state that carries a task's identity.
pub(crate) trait Identify: Send + Sync {
    fn identity(&self) -> &Identity;

    /// Whether the task as a whole is cancelled (its root scope is effectively cancelled).
    fn pending_cancellation(&self) -> bool {
        false
    }

    /// The task's root scope, if the identity lives in it (a child's does).
    fn root_scope(self: Arc<Self>) -> Option<Arc<ScopeNode>> {
        None
    }
}

/// What a task's future lends [`with_current`] for a poll: the task's identity, and its info
/// on demand. A child lends the `Arc` of its root scope, which carries both, so that it keeps
/// one reference to that allocation instead of one per use.
pub(crate) trait CurrentTask: Sync {
    fn identity(&self) -> &Identity;

    /// The task's info (a new reference to it).
    fn info(&self) -> TaskInfo;
}

impl CurrentTask for TaskInfo {
    fn identity(&self) -> &Identity {
        self.inner.identity()
    }

    fn info(&self) -> TaskInfo {
        self.clone()
    }
}

impl<X: Identify + 'static> CurrentTask for Arc<X> {
    fn identity(&self) -> &Identity {
        (**self).identity()
    }

    fn info(&self) -> TaskInfo {
        TaskInfo::of(Arc::clone(self) as Arc<dyn Identify>)
    }
}

impl Identify for Identity {
    fn identity(&self) -> &Identity {
        self
    }
}

impl TaskInfo {
    /// The info of a task whose identity has an allocation of its own.
    pub(crate) fn new(name: Cow<'static, str>, parent_id: Option<TaskId>) -> TaskInfo {
        TaskInfo {
            inner: Arc::new(Identity::new(name, parent_id)),
        }
    }

    /// The info of a task whose identity lives in `shared`.
    pub(crate) fn of(shared: Arc<dyn Identify>) -> TaskInfo {
        TaskInfo { inner: shared }
    }

    /// The task's root scope, for a child of a task group.
    pub(crate) fn root_scope(&self) -> Option<Arc<ScopeNode>> {
        Arc::clone(&self.inner).root_scope()
    }

    /// The task's identity.
    pub(crate) fn identity(&self) -> &Identity {
        self.inner.identity()
    }

    /// The task's id.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let task = anyio::get_current_task().unwrap();
    ///     assert_eq!(task.id(), anyio::get_current_task().unwrap().id());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn id(&self) -> TaskId {
        self.identity().id()
    }

    /// The task's name: the one given to [`TaskGroup::spawn_named`](crate::TaskGroup::spawn_named),
    /// or else the type name of its future.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async { assert_eq!(anyio::get_current_task().unwrap().name(), "anyio::run") })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn name(&self) -> &str {
        self.identity().name()
    }

    /// The id of the task that spawned this one (the task running the group's body), if any.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async { assert_eq!(anyio::get_current_task().unwrap().parent_id(), None) })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn parent_id(&self) -> Option<TaskId> {
        self.inner.identity().parent_id()
    }

    /// Whether the task has a cancellation pending (AnyIO's `TaskInfo.has_pending_cancellation`).
    ///
    /// For the calling task this is
    /// [`lowlevel::has_pending_cancellation`](crate::lowlevel::has_pending_cancellation): whether the code calling it is effectively
    /// cancelled, innermost scope included. For another task it is whether the task as a whole
    /// is cancelled (its group, an enclosing scope or its handle), since the scopes it has
    /// entered inside its own body are its own business. A runner's main task is never
    /// cancelled from outside.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     anyio::task_group(|tg| async move {
    ///         let child = tg.spawn(anyio::sleep_forever());
    ///         assert!(!child.info().has_pending_cancellation());
    ///         child.cancel();
    ///         assert!(child.info().has_pending_cancellation());
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn has_pending_cancellation(&self) -> bool {
        if current_task_id() == Some(self.id()) {
            return crate::lowlevel::has_pending_cancellation();
        }
        self.inner.pending_cancellation()
    }

    /// Moves the task under another parent (a started task joins its group).
    pub(crate) fn set_parent_id(&self, parent_id: Option<TaskId>) {
        self.inner.identity().set_parent_id(parent_id);
    }

    /// What the task is doing now.
    pub(crate) fn activity(&self) -> Activity {
        self.inner.identity().activity()
    }

    /// What the task waits on, if it is suspended: the anyio operation that its last poll
    /// went through (the innermost one, when several were polled), described for a person.
    /// `None` while it runs on some thread, and before its first poll.
    ///
    /// A task suspended in a future that is not anyio's (a native channel, say) gives the
    /// anyio operation it polled last in that poll, or "something that is not an anyio
    /// operation" if it polled none.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// use anyio::sync::Event;
    ///
    /// anyio::run(async {
    ///     let event = Arc::new(Event::new());
    ///     anyio::task_group(|tg| async move {
    ///         let waiter = Arc::clone(&event);
    ///         let handle = tg.spawn(async move { waiter.wait().await });
    ///         while handle.info().waiting_on().is_none() {
    ///             anyio::lowlevel::checkpoint().await;
    ///         }
    ///         assert_eq!(handle.info().waiting_on(), Some("an event"));
    ///         event.set();
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn waiting_on(&self) -> Option<&'static str> {
        match self.activity() {
            Activity::Waiting(point) => Some(point.describe()),
            Activity::New | Activity::Running => None,
        }
    }
}

impl fmt::Debug for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let identity = self.inner.identity();
        f.debug_struct("TaskInfo")
            .field("id", &identity.id)
            .field("name", &identity.name())
            .field("parent_id", &identity.parent_id())
            .finish()
    }
}

impl PartialEq for TaskInfo {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for TaskInfo {}

impl std::hash::Hash for TaskInfo {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

thread_local! {
    /// The info of the task being polled on this thread, borrowed from the future that polls
    /// it for the length of the poll (see [`with_current`]). A plain cell of a pointer, with a
    /// `const` initialiser and no destructor: setting and reading it is an offset from the
    /// thread pointer, with no borrow flag and no registration check.
    static CURRENT: Cell<Option<NonNull<dyn CurrentTask>>> = const { Cell::new(None) };
}

/// Reads this thread's current task, if any.
#[inline]
fn read_current<R>(f: impl FnOnce(&dyn CurrentTask) -> R) -> Option<R> {
    let task = CURRENT.get()?;
    // SAFETY: `CURRENT` holds a pointer only inside `with_current`, which borrows the info for
    // the whole call and puts the previous value back before it returns (or unwinds): the
    // info is alive, and not moved, while the pointer is there.
    Some(f(unsafe { task.as_ref() }))
}

/// The id of the anyio task running the calling code, without cloning its info.
#[inline]
pub(crate) fn current_task_id() -> Option<TaskId> {
    read_current(|task| task.identity().id)
}

/// Runs `f` with `task` as this thread's current task (one poll of it). The info is lent by
/// pointer, so this costs no reference counting and no move; a panic in `f` still restores the
/// previous task.
///
/// The poll is also the task's activity for a task dump: running during the poll, then
/// waiting in the operation that the poll noted last (see `backend::wait_point`).
pub(crate) fn with_current<R>(task: &(dyn CurrentTask + 'static), f: impl FnOnce() -> R) -> R {
    struct Restore<'a> {
        identity: &'a Identity,
        previous: Option<NonNull<dyn CurrentTask>>,
        enclosing: u8,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            CURRENT.set(self.previous);
            let noted = wait_point::end_poll(self.enclosing);
            let activity = noted.saturating_add(1).min(RUNNING - 1);
            self.identity.activity.store(activity, Ordering::Relaxed);
        }
    }
    let identity = task.identity();
    identity.activity.store(RUNNING, Ordering::Relaxed);
    let enclosing = wait_point::begin_poll();
    let previous = CURRENT.replace(Some(NonNull::from(task)));
    let _restore = Restore {
        identity,
        previous,
        enclosing,
    };
    f()
}

/// The anyio task running the calling code (AnyIO's `get_current_task`): the main future of
/// [`run`](crate::run) / [`Runner::run`](crate::Runner::run), or a task spawned into a
/// [task group](crate::task_group). `None` in a task that anyio did not start (a native
/// `tokio::spawn`, or code under a native runner outside any task group).
///
/// # Examples
/// ```
/// anyio::run(async {
///     let main = anyio::get_current_task().unwrap();
///     assert_eq!(main.name(), "anyio::run");
/// })?;
/// assert!(anyio::get_current_task().is_none());
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn get_current_task() -> Option<TaskInfo> {
    read_current(|task| task.info())
}

/// The anyio tasks running now, in the whole process, in no particular order (AnyIO's
/// `get_running_tasks`): the main tasks of anyio's runners, the calling task, and every child
/// of a task group that has suspended at least once. A child that has not yet reached its
/// first suspension point (one just spawned, or one still in its first poll on another
/// thread) may be missing: children list themselves only when they first suspend, which
/// keeps spawning free of locks.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let me = anyio::get_current_task().unwrap();
///     assert!(anyio::get_running_tasks().contains(&me));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn get_running_tasks() -> Vec<TaskInfo> {
    let mut tasks: Vec<TaskInfo> = lock(&registry().main_tasks).iter().cloned().collect();
    let groups: Vec<_> = lock(&registry().groups)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for group in groups {
        tasks.extend(group.tasks());
    }
    if let Some(current) = get_current_task() {
        if !tasks.contains(&current) {
            tasks.push(current);
        }
    }
    tasks
}

/// A task group, which lists its own children.
pub(crate) trait ListsTasks: Send + Sync {
    fn tasks(&self) -> Vec<TaskInfo>;
}

/// The main tasks of anyio's runners, and the running task groups (which list their children
/// under the lock they take anyway to count them, so spawning takes no global lock).
struct Registry {
    main_tasks: Mutex<Slab<TaskInfo>>,
    groups: Mutex<Slab<Weak<dyn ListsTasks>>>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry {
        main_tasks: Mutex::new(Slab::default()),
        groups: Mutex::new(Slab::default()),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lists a runner's main task in [`get_running_tasks`] until the returned guard drops.
pub(crate) fn register(task: &TaskInfo) -> Registration {
    let slot = lock(&registry().main_tasks).insert(task.clone());
    Registration { slot }
}

/// Removes its main task from the registry when dropped.
#[derive(Debug)]
pub(crate) struct Registration {
    slot: usize,
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&registry().main_tasks).remove(self.slot);
    }
}

/// Lists a task group's children in [`get_running_tasks`] until the returned guard drops.
pub(crate) fn list_group(group: Weak<dyn ListsTasks>) -> Listing {
    let slot = lock(&registry().groups).insert(group);
    Listing { slot }
}

/// Removes its group from the registry when dropped.
#[derive(Debug)]
pub(crate) struct Listing {
    slot: usize,
}

impl Drop for Listing {
    fn drop(&mut self) {
        lock(&registry().groups).remove(self.slot);
    }
}
