//! [`Lock`]: AnyIO's lock, a [`Mutex`] without data.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::mutex::{LockStatistics, Mutex, MutexGuard, MutexLock};
use crate::WouldBlock;

/// A fair lock that protects no data of its own (AnyIO's `Lock`): for guarding a critical
/// section rather than a value. Same semantics as [`Mutex`]: FIFO with direct hand-off,
/// [`try_lock`](Self::try_lock) fails while anybody waits, owner tracking that turns
/// re-acquisition by the holder into a clear panic, and release by dropping the guard.
///
/// # Examples
/// ```
/// use anyio::sync::Lock;
///
/// static CRITICAL: Lock = Lock::new();
///
/// anyio::run(async {
///     let _held = CRITICAL.lock().await;
///     assert!(CRITICAL.locked());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Default)]
pub struct Lock {
    mutex: Mutex<()>,
}

impl Lock {
    /// An unlocked lock.
    ///
    /// # Examples
    /// ```
    /// assert!(!anyio::sync::Lock::new().locked());
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new() -> Lock {
        Lock {
            mutex: Mutex::new(()),
        }
    }

    /// An unlocked lock.
    #[cfg(anyio_loom)]
    pub fn new() -> Lock {
        Lock {
            mutex: Mutex::new(()),
        }
    }

    /// Waits for the lock, behind the tasks already waiting (AnyIO's `acquire`).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line, and a lock that was handed to it in the
    /// meantime goes to the next task in line.
    ///
    /// # Panics
    /// When the calling anyio task already holds this lock.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let lock = anyio::sync::Lock::new();
    ///     let guard = lock.lock().await;
    ///     drop(guard); // release
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn lock(&self) -> LockAcquire<'_> {
        LockAcquire {
            inner: self.mutex.lock_as("anyio::sync::Lock::lock"),
        }
    }

    /// Takes the lock if it is free and nobody waits (AnyIO's `acquire_nowait`).
    ///
    /// # Errors
    /// [`WouldBlock`] when the lock is held, or when tasks are waiting for it.
    ///
    /// # Examples
    /// ```
    /// let lock = anyio::sync::Lock::new();
    /// let guard = lock.try_lock().unwrap();
    /// assert!(lock.try_lock().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock(&self) -> Result<LockGuard<'_>, WouldBlock> {
        self.mutex
            .try_lock()
            .map(|inner| LockGuard { _inner: inner })
    }

    /// Whether the lock is held (or handed to a waiter that has not run yet).
    ///
    /// # Examples
    /// ```
    /// let lock = anyio::sync::Lock::new();
    /// let _guard = lock.try_lock().unwrap();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.mutex.is_locked()
    }

    /// A snapshot of the lock's state: held or not, by which task, and how many wait.
    ///
    /// # Examples
    /// ```
    /// let lock = anyio::sync::Lock::new();
    /// assert_eq!(lock.statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> LockStatistics {
        self.mutex.statistics()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

/// Holds a [`Lock`]; releases it when dropped.
///
/// # Examples
/// ```
/// let lock = anyio::sync::Lock::new();
/// let guard: anyio::sync::LockGuard<'_> = lock.try_lock().unwrap();
/// drop(guard);
/// assert!(!lock.locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    /// Unlocks when dropped.
    _inner: MutexGuard<'a, ()>,
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

/// The future of [`Lock::lock`].
///
/// # Cancel safety
/// Cancel safe: see [`Lock::lock`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let lock = anyio::sync::Lock::new();
///     let waiting: anyio::sync::LockAcquire<'_> = lock.lock();
///     let _guard = waiting.await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct LockAcquire<'a> {
    inner: MutexLock<'a, ()>,
}

impl<'a> Future for LockAcquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|inner| LockGuard { _inner: inner })
    }
}

impl fmt::Debug for LockAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockAcquire").finish_non_exhaustive()
    }
}
