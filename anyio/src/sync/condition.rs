//! [`Condition`]: a [`Mutex`] with a line of tasks waiting to be notified.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::mutex::{LockStatistics, Mutex, MutexGuard, MutexLock};
use super::shim::{Mutex as StateLock, lock};
use super::waiters::{Key, Removed, Standing, WaiterList};
use crate::WouldBlock;
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};

/// A condition variable around a value (AnyIO's `Condition`, with the lock carrying data as
/// in [`Mutex`]): tasks lock it, look at the value, and [`wait`](ConditionGuard::wait) until
/// another task changes it and [notifies](ConditionGuard::notify) them.
///
/// Notifying and waiting are methods of the [`ConditionGuard`], so they can only be called
/// while holding the lock (AnyIO checks this at run time). Waiting releases the lock, waits
/// for a notification, and takes the lock again before it returns.
///
/// Waiters are notified in the order they started waiting, passing over those whose
/// cancellation is pending (they are about to be dropped). A waiter that is notified but
/// dropped (cancelled) before it gets the lock back passes its notification to the next
/// waiter, so a notification is never lost to a cancellation.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use anyio::sync::Condition;
///
/// anyio::run(async {
///     let queue = Arc::new(Condition::new(Vec::new()));
///     let consumer = Arc::clone(&queue);
///     anyio::task_group(|tg| async move {
///         tg.spawn(async move {
///             let mut items = consumer.lock().await.wait_for(|items| !items.is_empty()).await;
///             assert_eq!(items.pop(), Some("job"));
///         });
///         let mut items = queue.lock().await;
///         items.push("job");
///         items.notify(1);
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Condition<T: ?Sized = ()> {
    waiters: StateLock<WaiterList<()>>,
    mutex: Mutex<T>,
}

impl<T> Condition<T> {
    /// A condition around `value`, unlocked.
    ///
    /// # Examples
    /// ```
    /// let condition = anyio::sync::Condition::new(0);
    /// assert_eq!(condition.statistics().tasks_waiting, 0);
    /// ```
    pub fn new(value: T) -> Condition<T> {
        Condition {
            waiters: StateLock::new(WaiterList::new()),
            mutex: Mutex::new(value),
        }
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T: ?Sized> Condition<T> {
    /// Waits for the condition's lock (as [`Mutex::lock`]).
    ///
    /// # Cancel safety
    /// Cancel safe, as [`Mutex::lock`].
    ///
    /// # Panics
    /// When the calling anyio task already holds the lock.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let condition = anyio::sync::Condition::new(1);
    ///     assert_eq!(*condition.lock().await, 1);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn lock(&self) -> ConditionLock<'_, T> {
        ConditionLock {
            condition: self,
            inner: self.mutex.lock_as("anyio::sync::Condition::lock"),
        }
    }

    /// Takes the lock if it is free and nobody waits for it.
    ///
    /// # Errors
    /// [`WouldBlock`] when the lock is held, or tasks wait for it.
    ///
    /// # Examples
    /// ```
    /// let condition = anyio::sync::Condition::new(());
    /// let guard = condition.try_lock().unwrap();
    /// assert!(condition.try_lock().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock(&self) -> Result<ConditionGuard<'_, T>, WouldBlock> {
        self.mutex.try_lock().map(|guard| ConditionGuard {
            condition: self,
            guard,
        })
    }

    /// A snapshot: tasks waiting for a notification, and the lock's own statistics.
    ///
    /// # Examples
    /// ```
    /// let stats = anyio::sync::Condition::new(()).statistics();
    /// assert_eq!(stats.tasks_waiting, 0);
    /// assert!(!stats.lock.locked);
    /// ```
    pub fn statistics(&self) -> ConditionStatistics {
        ConditionStatistics {
            tasks_waiting: lock(&self.waiters).len(),
            lock: self.mutex.statistics(),
        }
    }

    /// Notifies up to `count` waiters, first come first served, passing over those whose
    /// cancellation is pending.
    fn notify(&self, count: usize) {
        let wakers = lock(&self.waiters).grant(count, true);
        wakers.wake();
    }
}

impl<T: ?Sized> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("statistics", &self.statistics())
            .finish_non_exhaustive()
    }
}

/// What [`Condition::statistics`] reports.
///
/// # Examples
/// ```
/// let stats = anyio::sync::Condition::new(()).statistics();
/// assert_eq!(stats.lock.tasks_waiting, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConditionStatistics {
    /// Tasks waiting for a notification.
    pub tasks_waiting: usize,
    /// The underlying lock's statistics.
    pub lock: LockStatistics,
}

/// Holds a [`Condition`]'s lock: gives access to the value, and notifies and waits.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let condition = anyio::sync::Condition::new(0);
///     let mut guard: anyio::sync::ConditionGuard<'_, i32> = condition.lock().await;
///     *guard += 1;
///     guard.notify_all();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    guard: MutexGuard<'a, T>,
}

impl<'a, T: ?Sized> ConditionGuard<'a, T> {
    /// Wakes up to `count` waiting tasks, in the order they started waiting. They run once
    /// they get the lock back, after this guard is dropped.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let condition = anyio::sync::Condition::new(());
    ///     condition.lock().await.notify(2); // nobody waits: nothing happens
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn notify(&self, count: usize) {
        self.condition.notify(count);
    }

    /// Wakes every waiting task.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let condition = anyio::sync::Condition::new(());
    ///     condition.lock().await.notify_all();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn notify_all(&self) {
        self.condition.notify(usize::MAX);
    }

    /// Releases the lock, waits for a notification, and takes the lock back.
    ///
    /// Waiting starts when the returned future is first polled: the waiter joins the line
    /// before it releases the lock, so a notification sent after the release reaches it.
    ///
    /// It can return without a notification (a spurious wake-up) in one case: its task's
    /// cancellation was pending, and was then withdrawn (a shield switched on around it).
    /// Check the condition again, as [`wait_for`](Self::wait_for) does.
    ///
    /// # Cancel safety
    /// Cancel safe: a wait dropped before its notification leaves the line; one dropped after
    /// it (while taking the lock back) passes the notification to the next waiter. Either way
    /// the lock is not held after the drop. Polled in a cancelled scope, it does the same and
    /// suspends.
    ///
    /// # Examples
    /// See [`Condition`].
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let condition = anyio::sync::Condition::new(());
    ///     let guard = condition.lock().await;
    ///     // Nobody notifies: give up after a while. The lock is not held afterwards.
    ///     assert!(anyio::move_on_after(Duration::from_millis(1), guard.wait()).await.is_none());
    ///     assert!(!condition.statistics().lock.locked);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn wait(self) -> ConditionWait<'a, T> {
        ConditionWait {
            condition: self.condition,
            stage: Stage::Holding(self.guard),
        }
    }

    /// Waits until `predicate` holds for the value, checking it first and then after each
    /// notification (AnyIO's `wait_for`).
    ///
    /// # Cancel safety
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    /// See [`Condition`].
    /// ```
    /// anyio::run(async {
    ///     let condition = anyio::sync::Condition::new(5);
    ///     let guard = condition.lock().await.wait_for(|value| *value > 3).await; // holds already
    ///     assert_eq!(*guard, 5);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn wait_for(
        mut self,
        mut predicate: impl FnMut(&mut T) -> bool,
    ) -> ConditionGuard<'a, T> {
        while !predicate(&mut self) {
            self = self.wait().await;
        }
        self
    }
}

impl<T: ?Sized> Deref for ConditionGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for ConditionGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.guard, f)
    }
}

/// The future of [`Condition::lock`].
///
/// # Cancel safety
/// Cancel safe, as [`Mutex::lock`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let condition = anyio::sync::Condition::new(());
///     let waiting: anyio::sync::ConditionLock<'_, ()> = condition.lock();
///     let _guard = waiting.await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ConditionLock<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    inner: MutexLock<'a, T>,
}

impl<'a, T: ?Sized> Future for ConditionLock<'a, T> {
    type Output = ConditionGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a, T>> {
        let condition = self.condition;
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|guard| ConditionGuard { condition, guard })
    }
}

impl<T: ?Sized> fmt::Debug for ConditionLock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionLock").finish_non_exhaustive()
    }
}

enum Stage<'a, T: ?Sized> {
    /// Not polled yet: still holding the lock.
    Holding(MutexGuard<'a, T>),
    /// In the line of waiters, the lock released.
    Waiting(Key),
    /// Taking the lock back: notified (and owing the notification to the next waiter if
    /// dropped now), or not (a cancelled wait that left the line).
    Relocking {
        lock: MutexLock<'a, T>,
        notified: bool,
    },
    Done,
}

/// The future of [`ConditionGuard::wait`].
///
/// # Cancel safety
/// Cancel safe: see [`ConditionGuard::wait`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let condition = anyio::sync::Condition::new(());
///     let guard = condition.lock().await;
///     let waiting: anyio::sync::ConditionWait<'_, ()> = guard.wait();
///     drop(waiting); // never polled: just releases the lock
///     assert!(!condition.statistics().lock.locked);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ConditionWait<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    stage: Stage<'a, T>,
}

impl<'a, T: ?Sized> Future for ConditionWait<'a, T> {
    type Output = ConditionGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ConditionGuard<'a, T>> {
        let condition = self.condition;
        let relock = || condition.mutex.lock_as("anyio::sync::ConditionGuard::wait");
        loop {
            match &mut self.stage {
                Stage::Holding(_) => {
                    match gate(cx, WaitPoint::Condition) {
                        Gate::Yield => return Poll::Pending,
                        Gate::Cancelled => {
                            // Gives the lock back at once (a shield elsewhere in the body may
                            // wait for it), without waiting for a notification.
                            self.stage = Stage::Relocking {
                                lock: relock(),
                                notified: false,
                            };
                            return Poll::Pending;
                        }
                        Gate::Proceed(_waiting_is_no_progress) => {}
                    }
                    // Join the line first, then release the lock: notifiers hold the lock, so
                    // none can slip in between.
                    let key = lock(&condition.waiters).push_back(cx.waker().clone(), ());
                    self.stage = Stage::Waiting(key);
                    return Poll::Pending;
                }
                Stage::Waiting(key) => {
                    let key = *key;
                    match gate(cx, WaitPoint::Condition) {
                        Gate::Yield => return Poll::Pending,
                        Gate::Cancelled => {
                            // Leave the line, passing on a notification already received.
                            if lock(&condition.waiters).remove(key) == Removed::Granted(()) {
                                condition.notify(1);
                            }
                            self.stage = Stage::Relocking {
                                lock: relock(),
                                notified: false,
                            };
                            return Poll::Pending;
                        }
                        Gate::Proceed(_unit) => {}
                    }
                    let mut waiters = lock(&condition.waiters);
                    let notified = match waiters.standing(key) {
                        Standing::Queued => {
                            waiters.update_waker(key, cx.waker());
                            return Poll::Pending;
                        }
                        Standing::Granted => true,
                        // Passed over for a cancellation that was withdrawn since: a spurious
                        // wake-up (a notification may have gone by meanwhile).
                        Standing::Evicted => false,
                    };
                    waiters.remove(key);
                    drop(waiters);
                    self.stage = Stage::Relocking {
                        lock: relock(),
                        notified,
                    };
                }
                Stage::Relocking { lock, .. } => {
                    let guard = std::task::ready!(Pin::new(lock).poll(cx));
                    self.stage = Stage::Done;
                    return Poll::Ready(ConditionGuard { condition, guard });
                }
                Stage::Done => panic!("`anyio::sync::ConditionWait` polled after it completed"),
            }
        }
    }
}

impl<T: ?Sized> Drop for ConditionWait<'_, T> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Waiting(key) => {
                let removed = lock(&self.condition.waiters).remove(key);
                if removed == Removed::Granted(()) {
                    self.condition.notify(1);
                }
            }
            Stage::Relocking { lock, notified } => {
                drop(lock);
                if notified {
                    self.condition.notify(1);
                }
            }
            Stage::Holding(_) | Stage::Done => {}
        }
    }
}

impl<T: ?Sized> fmt::Debug for ConditionWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Holding(_) => "holding",
            Stage::Waiting(_) => "waiting",
            Stage::Relocking { .. } => "relocking",
            Stage::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("stage", &stage)
            .finish()
    }
}
