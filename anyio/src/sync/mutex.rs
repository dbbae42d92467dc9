//! [`Mutex`]: data behind a fair lock, released by its guard.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::permits::{Acquire, HasPermits, Permits, poll_acquire};
use super::shim::AtomicU64;
use crate::WouldBlock;
use crate::task::TaskId;
use crate::task::info::current_task_id;

/// No anyio task holds the lock (or the holder is not an anyio task).
const NO_OWNER: u64 = 0;
/// Marks the owner record of an owned guard, which may have moved to another task: it is
/// reported in the statistics but not trusted by the re-entry check.
const MOVABLE: u64 = 1 << 63;
/// Marks the owner record of a lock handed over to a waiter that has not collected it yet: it
/// is reported in the statistics, but the waiter's task does not hold the lock yet (another
/// branch of it, in a `join!`, may still wait for the lock without deadlocking).
const HANDED_OVER: u64 = 1 << 62;

/// An async mutex protecting a `T`, with AnyIO's `Lock` semantics: fair, and aware of its
/// owner.
///
/// - **FIFO with direct hand-off.** Unlocking gives the lock straight to the first task in
///   line: it owns the lock before it even wakes up, and [`try_lock`](Self::try_lock) fails
///   while anybody waits, so no task can barge in.
/// - **Owner tracking.** The lock remembers which anyio task (see
///   [`get_current_task`](crate::get_current_task)) took it. A task that tries to take a lock
///   it already holds would wait for itself forever; instead it panics with a message that
///   says so.
/// - **Guard-based release.** Dropping the [`MutexGuard`] unlocks, so releasing a lock you do
///   not hold cannot be written.
///
/// Uncontended locking is one atomic compare-and-swap and does not yield (AnyIO's
/// `fast_acquire=True`), except once per cooperative budget (see the [module docs](super)).
/// Works under any executor; `Send + Sync` when `T: Send`.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use anyio::sync::Mutex;
///
/// anyio::run(async {
///     let total = Arc::new(Mutex::new(0));
///     let shared = Arc::clone(&total);
///     anyio::task_group(|tg| async move {
///         for _ in 0..10 {
///             let shared = Arc::clone(&shared);
///             tg.spawn(async move {
///                 let mut sum = shared.lock().await;
///                 anyio::lowlevel::checkpoint().await; // held across a suspension
///                 *sum += 1;
///             });
///         }
///     })
///     .await
///     .unwrap();
///     assert_eq!(*total.lock().await, 10);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Mutex<T: ?Sized> {
    permits: Permits,
    /// The id of the anyio task holding the lock, for the re-entry check and the statistics.
    owner: AtomicU64,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `T` to one holder at a time (the single permit), so
// sharing the mutex between threads only ever moves `T`'s access between them: `T: Send` is
// enough, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: the mutex owns its `T`; sending it sends the `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

impl<T: ?Sized> HasPermits for Mutex<T> {
    fn permits(&self) -> &Permits {
        &self.permits
    }

    /// The lock went to a waiter: it is that task's from now on, before it even runs.
    fn handed_over(&self, task: u64) {
        let record = if task == NO_OWNER {
            NO_OWNER
        } else {
            task | HANDED_OVER
        };
        self.owner.store(record, Ordering::Relaxed);
    }
}

/// What [`Lock::statistics`](super::Lock::statistics) and [`Mutex::statistics`] report.
///
/// # Examples
/// ```
/// let lock = anyio::sync::Lock::new();
/// let stats = lock.statistics();
/// assert!(!stats.locked);
/// assert_eq!(stats.owner, None);
/// assert_eq!(stats.tasks_waiting, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockStatistics {
    /// Whether the lock is held (or handed to a waiter that has not run yet: it is that
    /// waiter's already, and [`statistics`](Mutex::statistics) names it as the owner).
    pub locked: bool,
    /// The anyio task that took the lock, if an anyio task did (see
    /// [`get_running_tasks`](crate::get_running_tasks) for its name).
    pub owner: Option<TaskId>,
    /// Tasks waiting for the lock.
    pub tasks_waiting: usize,
}

impl<T> Mutex<T> {
    /// A mutex holding `value`, unlocked.
    ///
    /// # Examples
    /// ```
    /// static NAMES: anyio::sync::Mutex<Vec<String>> = anyio::sync::Mutex::new(Vec::new());
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            permits: Permits::new(1),
            owner: AtomicU64::new(NO_OWNER),
            data: UnsafeCell::new(value),
        }
    }

    /// A mutex holding `value`, unlocked.
    #[cfg(anyio_loom)]
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            permits: Permits::new(1),
            owner: AtomicU64::new(NO_OWNER),
            data: UnsafeCell::new(value),
        }
    }

    /// The protected value, taking the mutex apart.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Mutex::new(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock, behind the tasks already waiting, and returns its guard.
    ///
    /// Completes at once, without yielding, when the lock is free and nobody waits (unless it is
    /// cancelled, or its task has used up its cooperative budget).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line, and a lock that was handed to it in the
    /// meantime goes to the next task in line. Once this returns, the guard holds the lock
    /// (delivery by drop never takes back a lock already handed over).
    ///
    /// # Panics
    /// When the calling anyio task already holds this lock through a borrowed guard (it would
    /// wait for itself forever). Owned guards ([`lock_owned`](Self::lock_owned)) are not
    /// checked, since they may have moved to another task; a borrowed guard of a `static`
    /// mutex moved into another task still counts as its first task's.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mutex = anyio::sync::Mutex::new(String::new());
    ///     mutex.lock().await.push_str("hello");
    ///     assert_eq!(*mutex.lock().await, "hello");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn lock(&self) -> MutexLock<'_, T> {
        self.lock_as("anyio::sync::Mutex::lock")
    }

    /// [`lock`](Self::lock), naming `operation` in its panic message.
    pub(crate) fn lock_as(&self, operation: &'static str) -> MutexLock<'_, T> {
        MutexLock {
            acquire: Some(Acquire::new(self, 1)),
            operation,
        }
    }

    /// Like [`lock`](Self::lock), for a mutex in an `Arc`: the guard keeps the mutex alive
    /// and can move into a spawned task.
    ///
    /// # Cancel safety
    /// As [`lock`](Self::lock).
    ///
    /// # Panics
    /// As [`lock`](Self::lock).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let mutex = Arc::new(anyio::sync::Mutex::new(1));
    ///     let mut guard = Arc::clone(&mutex).lock_owned().await;
    ///     *guard += 1;
    ///     drop(guard);
    ///     assert_eq!(*mutex.lock().await, 2);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn lock_owned(self: Arc<Self>) -> OwnedMutexLock<T> {
        OwnedMutexLock {
            acquire: Some(Acquire::new(self, 1)),
        }
    }

    /// Takes the lock if it is free and nobody waits (AnyIO's `acquire_nowait`).
    ///
    /// # Errors
    /// [`WouldBlock`] when the lock is held, or when tasks are waiting for it.
    ///
    /// # Examples
    /// ```
    /// let mutex = anyio::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock().unwrap(), 1);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, WouldBlock> {
        if self.permits.try_acquire(1) {
            self.record_owner();
            Ok(MutexGuard::new(self))
        } else {
            Err(WouldBlock::new())
        }
    }

    /// Like [`try_lock`](Self::try_lock), for a mutex in an `Arc`.
    ///
    /// # Errors
    /// [`WouldBlock`] when the lock is held, or when tasks are waiting for it.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(anyio::sync::Mutex::new(1));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// assert_eq!(*guard, 1);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, WouldBlock> {
        if self.permits.try_acquire(1) {
            self.record_owner();
            Ok(OwnedMutexGuard::new(self))
        } else {
            Err(WouldBlock::new())
        }
    }

    /// Whether the lock is held (or handed to a waiter that has not run yet: it is that
    /// waiter's already, and [`statistics`](Mutex::statistics) names it as the owner).
    ///
    /// # Examples
    /// ```
    /// let mutex = anyio::sync::Mutex::new(());
    /// let _guard = mutex.try_lock().unwrap();
    /// assert!(mutex.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.permits.available() == 0
    }

    /// A snapshot of the lock's state.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mutex = anyio::sync::Mutex::new(());
    ///     let _guard = mutex.lock().await;
    ///     let stats = mutex.statistics();
    ///     assert!(stats.locked);
    ///     assert_eq!(stats.owner, Some(anyio::get_current_task().unwrap().id()));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn statistics(&self) -> LockStatistics {
        let owner = self.owner.load(Ordering::Relaxed) & !(MOVABLE | HANDED_OVER);
        let locked = self.is_locked();
        LockStatistics {
            locked,
            owner: (locked && owner != NO_OWNER).then(|| TaskId::from_u64(owner)),
            tasks_waiting: self.permits.waiting(),
        }
    }

    /// The protected value, through exclusive access (no locking needed).
    ///
    /// # Examples
    /// ```
    /// let mut mutex = anyio::sync::Mutex::new(1);
    /// *mutex.get_mut() += 1;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    #[inline]
    fn record_owner(&self) {
        let owner = current_task_id().map_or(NO_OWNER, TaskId::as_u64);
        self.owner.store(owner, Ordering::Relaxed);
    }

    /// Marks the owner record as that of an owned guard, which may move to another task.
    fn mark_movable(&self) {
        self.owner.fetch_or(MOVABLE, Ordering::Relaxed);
    }

    /// Panics if the calling task holds the lock it is about to wait for (through a borrowed
    /// guard: an owned one may have moved on).
    fn check_reentry(&self, operation: &str) {
        if let Some(me) = current_task_id() {
            if self.owner.load(Ordering::Relaxed) == me.as_u64() {
                panic!(
                    "{operation}: task {me} already holds this lock; waiting for it again \
                     would deadlock"
                );
            }
        }
    }

    #[inline]
    fn unlock(&self) {
        self.owner.store(NO_OWNER, Ordering::Relaxed);
        // The mutex's single permit goes back: to the first waiter, who is recorded as the
        // owner under the line's lock before it is woken, or to the count.
        let _ = self.permits.release_with(1, &|task| self.handed_over(task));
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Mutex");
        match self.permits.try_acquire(1) {
            true => {
                // SAFETY: the permit just taken gives this call exclusive access until the
                // release below; the guard is not used, so the owner record stays untouched.
                debug.field("data", &unsafe { &*self.data.get() });
                let _ = self.permits.release(1);
            }
            false => {
                debug.field("data", &format_args!("<locked>"));
            }
        }
        debug.finish()
    }
}

/// Holds a [`Mutex`] locked and gives access to its value; unlocks when dropped.
///
/// # Examples
/// ```
/// let mutex = anyio::sync::Mutex::new(vec![1]);
/// let mut guard: anyio::sync::MutexGuard<'_, Vec<i32>> = mutex.try_lock().unwrap();
/// guard.push(2);
/// drop(guard);
/// assert_eq!(mutex.into_inner(), [1, 2]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(mutex: &'a Mutex<T>) -> Self {
        MutexGuard { mutex }
    }
}

/// The automatic `Sync` would follow the mutex's (`T: Send`), but a shared guard hands out
/// `&T` to every thread that shares it: it is `Sync` only when `T: Sync` too, as `std`'s
/// guards are. (This explicit impl replaces the automatic one.)
///
/// ```compile_fail
/// fn assert_sync<S: Sync>() {}
/// assert_sync::<anyio::sync::MutexGuard<'static, std::cell::Cell<i32>>>();
/// ```
// SAFETY: sharing the guard shares `&T` (through `Deref`) and nothing else, which `T: Sync`
// allows; `T: Send` is what the mutex itself needs to be shared.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit, so no other access to the data
        // exists while it lives.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique among the guard's.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Holds a [`Mutex`] in an `Arc` locked; unlocks when dropped.
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// let mutex = Arc::new(anyio::sync::Mutex::new(0));
/// let mut guard: anyio::sync::OwnedMutexGuard<i32> = Arc::clone(&mutex).try_lock_owned().unwrap();
/// *guard = 7;
/// drop(guard);
/// assert_eq!(*mutex.try_lock().unwrap(), 7);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

/// As for [`MutexGuard`]: `Sync` only when `T: Sync`.
///
/// ```compile_fail
/// fn assert_sync<S: Sync>() {}
/// assert_sync::<anyio::sync::OwnedMutexGuard<std::cell::Cell<i32>>>();
/// ```
// SAFETY: as for `MutexGuard`: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    fn new(mutex: Arc<Mutex<T>>) -> Self {
        mutex.mark_movable();
        OwnedMutexGuard { mutex }
    }

    /// The mutex this guard holds.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(anyio::sync::Mutex::new(0));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit, so no other access to the data
        // exists while it lives.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique among the guard's.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Polls an acquire of a mutex's permit; before it joins the line of a held lock, checks that
/// the caller does not hold it already; on success, records the owner.
fn poll_lock<T, M>(
    acquire: &mut Option<Acquire<M>>,
    cx: &mut Context<'_>,
    operation: &str,
) -> Poll<M>
where
    T: ?Sized,
    M: HasPermits + Deref<Target = Mutex<T>> + Clone + Unpin,
{
    if let Some(pending) = acquire.as_ref() {
        // Checked before joining the line: once in it, the lock may be handed to this very
        // task (and recorded as its) before the poll returns. A free lock needs no check.
        if !pending.is_queued() && pending.owner().is_locked() {
            pending.owner().check_reentry(operation);
        }
    }
    poll_acquire(acquire, cx, operation).map(|mutex| {
        mutex.record_owner();
        mutex
    })
}

/// The future of [`Mutex::lock`].
///
/// # Cancel safety
/// Cancel safe: see [`Mutex::lock`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let mutex = anyio::sync::Mutex::new(0);
///     let waiting: anyio::sync::MutexLock<'_, i32> = mutex.lock();
///     assert_eq!(*waiting.await, 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct MutexLock<'a, T: ?Sized> {
    acquire: Option<Acquire<&'a Mutex<T>>>,
    operation: &'static str,
}

impl<'a, T: ?Sized> Future for MutexLock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let operation = self.operation;
        poll_lock(&mut self.acquire, cx, operation).map(MutexGuard::new)
    }
}

impl<T: ?Sized> fmt::Debug for MutexLock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexLock").finish_non_exhaustive()
    }
}

/// The future of [`Mutex::lock_owned`].
///
/// # Cancel safety
/// Cancel safe: see [`Mutex::lock`].
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let mutex = Arc::new(anyio::sync::Mutex::new(0));
///     let waiting: anyio::sync::OwnedMutexLock<i32> = mutex.lock_owned();
///     assert_eq!(*waiting.await, 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct OwnedMutexLock<T: ?Sized> {
    acquire: Option<Acquire<Arc<Mutex<T>>>>,
}

impl<T: ?Sized> Future for OwnedMutexLock<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        poll_lock(&mut self.acquire, cx, "anyio::sync::Mutex::lock_owned").map(OwnedMutexGuard::new)
    }
}

impl<T: ?Sized> fmt::Debug for OwnedMutexLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedMutexLock").finish_non_exhaustive()
    }
}
