//! [`RwLock`]: data that many tasks may read at once, or one task may write, in fair order.
//!
//! Built on the same counting core as the semaphore: the lock has [`MAX_READERS`] permits; a
//! reader takes one and a writer takes them all. Because the core serves its line strictly in
//! order, a waiting writer keeps later readers out (no writer starvation), and the readers
//! queued behind it go in together once it is done.

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

/// How many read guards may exist at once; a writer takes this many permits.
pub(crate) const MAX_READERS: usize = (u32::MAX >> 3) as usize;

/// No anyio task holds the write lock (or its holder is not an anyio task).
const NO_WRITER: u64 = 0;

/// An async reader-writer lock protecting a `T`: any number of readers, or one writer.
///
/// - **Fair.** Tasks are served in the order they asked. A writer waiting in line keeps the
///   readers that come after it waiting too, so a steady stream of readers cannot starve it;
///   when it is done, the readers queued behind it go in together.
/// - **Direct hand-off.** A released lock goes to the first task in line before it even runs,
///   so [`try_read`](Self::try_read) and [`try_write`](Self::try_write) fail while anybody
///   waits.
/// - **Writer tracking.** An anyio task that holds the write lock (through a borrowed guard)
///   and asks for the lock again, to read or to write, would wait for itself forever; it
///   panics with a message instead.
///   (A task that holds a read guard and asks again while a writer waits would wait for
///   itself too; readers are not tracked, so that one is not detected.)
///
/// Taking a free lock is one atomic compare-and-swap and does not yield (but once per
/// cooperative budget). Not in AnyIO; it
/// follows `tokio::sync::RwLock`. `Send` when `T: Send`, `Sync` when `T: Send + Sync`.
///
/// # Examples
/// ```
/// use anyio::sync::RwLock;
///
/// anyio::run(async {
///     let config = RwLock::new(String::from("v1"));
///     {
///         let a = config.read().await;
///         let b = config.read().await; // readers share
///         assert_eq!((a.as_str(), b.as_str()), ("v1", "v1"));
///     }
///     config.write().await.push_str(".1");
///     assert_eq!(*config.read().await, "v1.1");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct RwLock<T: ?Sized> {
    permits: Permits,
    /// The id of the anyio task holding the write lock, for the re-entry check.
    writer: AtomicU64,
    data: UnsafeCell<T>,
}

// SAFETY: the lock owns its `T`; sending it sends the `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: a shared lock gives `&T` to readers on many threads at once (needs `T: Sync`) and
// `&mut T` to one writer at a time, possibly on another thread (needs `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T: ?Sized> HasPermits for RwLock<T> {
    fn permits(&self) -> &Permits {
        &self.permits
    }
}

impl<T> RwLock<T> {
    /// A lock holding `value`, unlocked.
    ///
    /// # Examples
    /// ```
    /// static SETTINGS: anyio::sync::RwLock<Vec<u8>> = anyio::sync::RwLock::new(Vec::new());
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            permits: Permits::new(MAX_READERS),
            writer: AtomicU64::new(NO_WRITER),
            data: UnsafeCell::new(value),
        }
    }

    /// A lock holding `value`, unlocked.
    #[cfg(anyio_loom)]
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            permits: Permits::new(MAX_READERS),
            writer: AtomicU64::new(NO_WRITER),
            data: UnsafeCell::new(value),
        }
    }

    /// The protected value, taking the lock apart.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::RwLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared read access, behind the tasks already waiting.
    ///
    /// Completes at once, without yielding, when no writer holds the lock and nobody waits (unless it is
    /// cancelled, or its task has used up its cooperative budget).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line, and read access handed to it in the
    /// meantime is given back (to the next task in line, if any). Once this returns, the guard
    /// holds the access.
    ///
    /// # Panics
    /// When the calling anyio task holds the write lock through a borrowed guard (it would
    /// wait for itself forever). Owned guards are not checked, since they may have moved to
    /// another task.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let lock = anyio::sync::RwLock::new(5);
    ///     assert_eq!(*lock.read().await, 5);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn read(&self) -> RwLockRead<'_, T> {
        RwLockRead {
            acquire: Some(Acquire::new(self, 1)),
        }
    }

    /// Like [`read`](Self::read), for a lock in an `Arc`: the guard keeps the lock alive and
    /// can move into a spawned task.
    ///
    /// # Cancel safety
    /// As [`read`](Self::read).
    ///
    /// # Panics
    /// As [`read`](Self::read).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let lock = Arc::new(anyio::sync::RwLock::new(5));
    ///     let guard = Arc::clone(&lock).read_owned().await;
    ///     assert_eq!(*guard, 5);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn read_owned(self: Arc<Self>) -> OwnedRwLockRead<T> {
        OwnedRwLockRead {
            acquire: Some(Acquire::new(self, 1)),
        }
    }

    /// Waits for exclusive write access, behind the tasks already waiting. While it waits,
    /// readers arriving later wait behind it.
    ///
    /// Completes at once, without yielding, when the lock is free and nobody waits (unless it is
    /// cancelled, or its task has used up its cooperative budget).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line and gives back whatever part of the lock it
    /// had collected, so the readers it was holding back go in. Once this returns, the guard
    /// holds the lock.
    ///
    /// # Panics
    /// When the calling anyio task holds the write lock already, through a borrowed guard.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let lock = anyio::sync::RwLock::new(5);
    ///     *lock.write().await += 1;
    ///     assert_eq!(*lock.read().await, 6);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn write(&self) -> RwLockWrite<'_, T> {
        RwLockWrite {
            acquire: Some(Acquire::new(self, MAX_READERS)),
        }
    }

    /// Like [`write`](Self::write), for a lock in an `Arc`.
    ///
    /// # Cancel safety
    /// As [`write`](Self::write).
    ///
    /// # Panics
    /// As [`write`](Self::write).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let lock = Arc::new(anyio::sync::RwLock::new(5));
    ///     *Arc::clone(&lock).write_owned().await = 9;
    ///     assert_eq!(*lock.read().await, 9);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn write_owned(self: Arc<Self>) -> OwnedRwLockWrite<T> {
        OwnedRwLockWrite {
            acquire: Some(Acquire::new(self, MAX_READERS)),
        }
    }

    /// Takes read access if no writer holds the lock and nobody waits.
    ///
    /// # Errors
    /// [`WouldBlock`] when a writer holds the lock, or when tasks are waiting for it.
    ///
    /// # Examples
    /// ```
    /// let lock = anyio::sync::RwLock::new(1);
    /// let a = lock.try_read().unwrap();
    /// let b = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// assert_eq!(*a + *b, 2);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, WouldBlock> {
        match self.permits.try_acquire(1) {
            true => Ok(RwLockReadGuard { lock: self }),
            false => Err(WouldBlock::new()),
        }
    }

    /// Like [`try_read`](Self::try_read), for a lock in an `Arc`.
    ///
    /// # Errors
    /// [`WouldBlock`] when a writer holds the lock, or when tasks are waiting for it.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(anyio::sync::RwLock::new(1));
    /// assert_eq!(*Arc::clone(&lock).try_read_owned().unwrap(), 1);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, WouldBlock> {
        match self.permits.try_acquire(1) {
            true => Ok(OwnedRwLockReadGuard { lock: self }),
            false => Err(WouldBlock::new()),
        }
    }

    /// Takes write access if the lock is free and nobody waits.
    ///
    /// # Errors
    /// [`WouldBlock`] when the lock is held (for reading or writing), or when tasks are
    /// waiting for it.
    ///
    /// # Examples
    /// ```
    /// let lock = anyio::sync::RwLock::new(1);
    /// let mut guard = lock.try_write().unwrap();
    /// *guard = 2;
    /// assert!(lock.try_read().is_err());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, WouldBlock> {
        match self.permits.try_acquire(MAX_READERS) {
            true => {
                self.record_writer();
                Ok(RwLockWriteGuard { lock: self })
            }
            false => Err(WouldBlock::new()),
        }
    }

    /// Like [`try_write`](Self::try_write), for a lock in an `Arc`.
    ///
    /// # Errors
    /// [`WouldBlock`] when the lock is held, or when tasks are waiting for it.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(anyio::sync::RwLock::new(1));
    /// *Arc::clone(&lock).try_write_owned().unwrap() = 4;
    /// assert_eq!(*lock.try_read().unwrap(), 4);
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, WouldBlock> {
        match self.permits.try_acquire(MAX_READERS) {
            true => Ok(OwnedRwLockWriteGuard::new(self)),
            false => Err(WouldBlock::new()),
        }
    }

    /// The protected value, through exclusive access (no locking needed).
    ///
    /// # Examples
    /// ```
    /// let mut lock = anyio::sync::RwLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn record_writer(&self) {
        let writer = current_task_id().map_or(NO_WRITER, TaskId::as_u64);
        self.writer.store(writer, Ordering::Relaxed);
    }

    /// Forgets the writer of an owned guard, which may move to another task: the re-entry
    /// check trusts borrowed guards only.
    fn forget_writer(&self) {
        self.writer.store(NO_WRITER, Ordering::Relaxed);
    }

    /// Panics if the calling task holds the write lock it is about to wait for.
    fn check_reentry(&self, operation: &str) {
        if let Some(me) = current_task_id() {
            if self.writer.load(Ordering::Relaxed) == me.as_u64() {
                panic!(
                    "{operation}: task {me} holds this lock for writing; waiting for it again \
                     would deadlock"
                );
            }
        }
    }

    fn release_read(&self) {
        let _ = self.permits.release(1);
    }

    fn release_write(&self) {
        self.writer.store(NO_WRITER, Ordering::Relaxed);
        let _ = self.permits.release(MAX_READERS);
    }

    /// Gives back all of a writer's permits but the one its read guard will hold.
    fn downgrade_write(&self) {
        self.writer.store(NO_WRITER, Ordering::Relaxed);
        let _ = self.permits.release(MAX_READERS - 1);
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => debug.field("data", &&*guard),
            Err(_) => debug.field("data", &format_args!("<locked>")),
        };
        debug.finish()
    }
}

/// Shared read access to an [`RwLock`]'s value; gives it back when dropped.
///
/// # Examples
/// ```
/// let lock = anyio::sync::RwLock::new(vec![1, 2]);
/// let guard: anyio::sync::RwLockReadGuard<'_, Vec<i32>> = lock.try_read().unwrap();
/// assert_eq!(guard.len(), 2);
/// ```
#[must_use = "the access is given back as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

/// Exclusive write access to an [`RwLock`]'s value; unlocks when dropped.
///
/// # Examples
/// ```
/// let lock = anyio::sync::RwLock::new(vec![1]);
/// let mut guard: anyio::sync::RwLockWriteGuard<'_, Vec<i32>> = lock.try_write().unwrap();
/// guard.push(2);
/// drop(guard);
/// assert_eq!(lock.into_inner(), [1, 2]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns write access into read access without letting any writer in between. Readers
    /// waiting in line (up to the first writer) go in at once.
    ///
    /// # Examples
    /// ```
    /// let lock = anyio::sync::RwLock::new(1);
    /// let mut writing = lock.try_write().unwrap();
    /// *writing = 2;
    /// let reading = writing.downgrade();
    /// assert_eq!((*reading, *lock.try_read().unwrap()), (2, 2));
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let lock = self.lock;
        std::mem::forget(self);
        lock.downgrade_write();
        RwLockReadGuard { lock }
    }
}

/// Shared read access to an [`RwLock`] in an `Arc`; gives it back when dropped.
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// let lock = Arc::new(anyio::sync::RwLock::new(1));
/// let guard: anyio::sync::OwnedRwLockReadGuard<i32> = Arc::clone(&lock).try_read_owned().unwrap();
/// assert_eq!(*guard, 1);
/// ```
#[must_use = "the access is given back as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

/// Exclusive write access to an [`RwLock`] in an `Arc`; unlocks when dropped.
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// let lock = Arc::new(anyio::sync::RwLock::new(1));
/// let mut guard: anyio::sync::OwnedRwLockWriteGuard<i32> =
///     Arc::clone(&lock).try_write_owned().unwrap();
/// *guard = 3;
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    fn new(lock: Arc<RwLock<T>>) -> Self {
        lock.forget_writer();
        OwnedRwLockWriteGuard { lock }
    }

    /// Turns write access into read access without letting any writer in between; see
    /// [`RwLockWriteGuard::downgrade`].
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(anyio::sync::RwLock::new(1));
    /// let reading = Arc::clone(&lock).try_write_owned().unwrap().downgrade();
    /// assert!(lock.try_read().is_ok());
    /// assert_eq!(*reading, 1);
    /// ```
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out exactly
        // once; the write permits it stood for are turned into one read permit below.
        let lock = unsafe { std::ptr::read(&this.lock) };
        lock.downgrade_write();
        OwnedRwLockReadGuard { lock }
    }
}

/// Implements `Deref`, `Drop` (calling `$release` on the lock), `Debug` and `Display` for a
/// guard whose `lock` field reaches the [`RwLock`].
macro_rules! guard_impls {
    ($guard:ident $(<$a:lifetime>)?, $release:ident) => {
        impl<$($a,)? T: ?Sized> Deref for $guard<$($a,)? T> {
            type Target = T;

            fn deref(&self) -> &T {
                // SAFETY: the guard holds a read permit (or all of them), so no writer has
                // `&mut T` while it lives.
                unsafe { &*self.lock.data.get() }
            }
        }

        impl<$($a,)? T: ?Sized> Drop for $guard<$($a,)? T> {
            fn drop(&mut self) {
                self.lock.$release();
            }
        }

        impl<$($a,)? T: ?Sized + fmt::Debug> fmt::Debug for $guard<$($a,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($a,)? T: ?Sized + fmt::Display> fmt::Display for $guard<$($a,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    };
}

guard_impls!(RwLockReadGuard<'a>, release_read);
guard_impls!(OwnedRwLockReadGuard, release_read);
guard_impls!(RwLockWriteGuard<'a>, release_write);
guard_impls!(OwnedRwLockWriteGuard, release_write);

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write guard holds every permit, so no other guard exists, and `&mut self`
        // makes this access unique among the guard's own.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `RwLockWriteGuard`.
        unsafe { &mut *self.lock.data.get() }
    }
}

/// Polls an acquire of read or write access; on the first wait, checks that the caller does
/// not hold the write lock; on success, records the writer.
fn poll_access<T, L>(
    acquire: &mut Option<Acquire<L>>,
    cx: &mut Context<'_>,
    operation: &str,
    writing: bool,
) -> Poll<L>
where
    T: ?Sized,
    L: HasPermits + Deref<Target = RwLock<T>> + Clone + Unpin,
{
    let was_queued = acquire.as_ref().is_some_and(Acquire::is_queued);
    match poll_acquire(acquire, cx, operation) {
        Poll::Ready(lock) => {
            if writing {
                lock.record_writer();
            }
            Poll::Ready(lock)
        }
        Poll::Pending => {
            if let (false, Some(pending)) = (was_queued, acquire.as_ref()) {
                pending.owner().check_reentry(operation);
            }
            Poll::Pending
        }
    }
}

/// The future of [`RwLock::read`].
///
/// # Cancel safety
/// Cancel safe: see [`RwLock::read`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let lock = anyio::sync::RwLock::new(0);
///     let waiting: anyio::sync::RwLockRead<'_, i32> = lock.read();
///     assert_eq!(*waiting.await, 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RwLockRead<'a, T: ?Sized> {
    acquire: Option<Acquire<&'a RwLock<T>>>,
}

impl<'a, T: ?Sized> Future for RwLockRead<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_access(&mut self.acquire, cx, "anyio::sync::RwLock::read", false)
            .map(|lock| RwLockReadGuard { lock })
    }
}

/// The future of [`RwLock::write`].
///
/// # Cancel safety
/// Cancel safe: see [`RwLock::write`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let lock = anyio::sync::RwLock::new(0);
///     let waiting: anyio::sync::RwLockWrite<'_, i32> = lock.write();
///     *waiting.await = 1;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RwLockWrite<'a, T: ?Sized> {
    acquire: Option<Acquire<&'a RwLock<T>>>,
}

impl<'a, T: ?Sized> Future for RwLockWrite<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_access(&mut self.acquire, cx, "anyio::sync::RwLock::write", true)
            .map(|lock| RwLockWriteGuard { lock })
    }
}

/// The future of [`RwLock::read_owned`].
///
/// # Cancel safety
/// Cancel safe: see [`RwLock::read`].
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let lock = Arc::new(anyio::sync::RwLock::new(0));
///     let waiting: anyio::sync::OwnedRwLockRead<i32> = lock.read_owned();
///     assert_eq!(*waiting.await, 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct OwnedRwLockRead<T: ?Sized> {
    acquire: Option<Acquire<Arc<RwLock<T>>>>,
}

impl<T: ?Sized> Future for OwnedRwLockRead<T> {
    type Output = OwnedRwLockReadGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_access(
            &mut self.acquire,
            cx,
            "anyio::sync::RwLock::read_owned",
            false,
        )
        .map(|lock| OwnedRwLockReadGuard { lock })
    }
}

/// The future of [`RwLock::write_owned`].
///
/// # Cancel safety
/// Cancel safe: see [`RwLock::write`].
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let lock = Arc::new(anyio::sync::RwLock::new(0));
///     let waiting: anyio::sync::OwnedRwLockWrite<i32> = lock.write_owned();
///     *waiting.await = 1;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct OwnedRwLockWrite<T: ?Sized> {
    acquire: Option<Acquire<Arc<RwLock<T>>>>,
}

impl<T: ?Sized> Future for OwnedRwLockWrite<T> {
    type Output = OwnedRwLockWriteGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_access(
            &mut self.acquire,
            cx,
            "anyio::sync::RwLock::write_owned",
            true,
        )
        .map(OwnedRwLockWriteGuard::new)
    }
}

/// `Debug` for the futures, which show nothing of the lock (that would need to read it).
macro_rules! future_debug {
    ($($future:ident $(<$a:lifetime>)?),*) => {$(
        impl<$($a,)? T: ?Sized> fmt::Debug for $future<$($a,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($future)).finish_non_exhaustive()
            }
        }
    )*};
}

future_debug!(
    RwLockRead<'a>,
    RwLockWrite<'a>,
    OwnedRwLockRead,
    OwnedRwLockWrite
);
