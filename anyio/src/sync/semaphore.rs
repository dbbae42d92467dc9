//! [`Semaphore`]: a count of permits, with an optional ceiling, handed out in FIFO order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::permits::{Acquire, HasPermits, MAX_PERMITS, Permits, poll_acquire};
use crate::WouldBlock;

/// A semaphore (AnyIO's `Semaphore`): a count of permits that tasks take and give back, and a
/// FIFO line of tasks waiting for one.
///
/// A released permit goes straight to the first task in line, so a [`try_acquire`] that runs
/// before that task wakes up cannot take it, and nobody overtakes the line. An optional
/// *maximum value* turns releasing more permits than were taken into an error, which catches
/// accounting bugs.
///
/// The permits are RAII guards: dropping a [`SemaphorePermit`] gives it back.
/// [`SemaphorePermit::forget`] and [`Semaphore::release`] manage the count by hand.
///
/// Works under any executor; `Send + Sync`.
///
/// [`try_acquire`]: Semaphore::try_acquire
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use anyio::sync::Semaphore;
///
/// anyio::run(async {
///     let slots = Arc::new(Semaphore::new(2)); // at most two downloads at a time
///     anyio::task_group(|tg| async move {
///         for _ in 0..5 {
///             let slots = Arc::clone(&slots);
///             tg.spawn(async move {
///                 let _permit = slots.acquire().await;
///                 anyio::lowlevel::checkpoint().await; // download
///             });
///         }
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Semaphore {
    permits: Permits,
    max_value: Option<usize>,
}

impl HasPermits for Semaphore {
    fn permits(&self) -> &Permits {
        &self.permits
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold.
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore holding `initial` permits, with no maximum.
    ///
    /// # Panics
    /// If `initial` is above [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    /// ```
    /// let semaphore = anyio::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.value(), 3);
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new(initial: usize) -> Semaphore {
        assert!(
            initial <= MAX_PERMITS,
            "anyio::sync::Semaphore::new: more than Semaphore::MAX_PERMITS permits"
        );
        Semaphore {
            permits: Permits::new(initial),
            max_value: None,
        }
    }

    /// A semaphore holding `initial` permits, with no maximum.
    #[cfg(anyio_loom)]
    pub fn new(initial: usize) -> Semaphore {
        Semaphore {
            permits: Permits::new(initial),
            max_value: None,
        }
    }

    /// A semaphore holding `initial` permits that refuses to hold more than `max_value`.
    ///
    /// # Errors
    /// [`SemaphoreValueError`] when `initial > max_value` or `max_value` is above
    /// [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::with_max_value(1, 2).unwrap();
    /// assert_eq!(semaphore.max_value(), Some(2));
    /// assert!(Semaphore::with_max_value(3, 2).is_err());
    /// ```
    pub fn with_max_value(
        initial: usize,
        max_value: usize,
    ) -> Result<Semaphore, SemaphoreValueError> {
        if max_value > MAX_PERMITS {
            return Err(SemaphoreValueError::TooLarge { value: max_value });
        }
        if initial > max_value {
            return Err(SemaphoreValueError::InitialAboveMax { initial, max_value });
        }
        Ok(Semaphore {
            permits: Permits::with_limit(initial, max_value),
            max_value: Some(max_value),
        })
    }

    /// Waits for a permit, behind the tasks already waiting.
    ///
    /// Completes at once, without yielding, when a permit is free and nobody waits (unless it is
    /// cancelled, or its task has used up its cooperative budget).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line, and a permit that was handed to it in the
    /// meantime goes to the next task in line.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let semaphore = anyio::sync::Semaphore::new(1);
    ///     let permit = semaphore.acquire().await;
    ///     assert_eq!(semaphore.value(), 0);
    ///     drop(permit);
    ///     assert_eq!(semaphore.value(), 1);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            acquire: Some(Acquire::new(self, 1)),
        }
    }

    /// Like [`acquire`](Self::acquire), for a semaphore in an `Arc`: the permit keeps the
    /// semaphore alive and can move into a spawned task.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let semaphore = Arc::new(anyio::sync::Semaphore::new(1));
    ///     let permit: anyio::sync::OwnedSemaphorePermit =
    ///         Arc::clone(&semaphore).acquire_owned().await;
    ///     assert_eq!(semaphore.value(), 0);
    ///     drop(permit);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> OwnedSemaphoreAcquire {
        OwnedSemaphoreAcquire {
            acquire: Some(Acquire::new(self, 1)),
        }
    }

    /// Takes a permit if one is free and nobody waits (AnyIO's `acquire_nowait`).
    ///
    /// # Errors
    /// [`WouldBlock`] when no permit is free, or when tasks are waiting for one.
    ///
    /// # Examples
    /// ```
    /// let semaphore = anyio::sync::Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, WouldBlock> {
        if self.permits.try_acquire(1) {
            Ok(SemaphorePermit { semaphore: self })
        } else {
            Err(WouldBlock::new())
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), for a semaphore in an `Arc`.
    ///
    /// # Errors
    /// [`WouldBlock`] when no permit is free, or when tasks are waiting for one.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(anyio::sync::Semaphore::new(1));
    /// let permit = Arc::clone(&semaphore).try_acquire_owned().unwrap();
    /// assert!(Arc::clone(&semaphore).try_acquire_owned().is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, WouldBlock> {
        if self.permits.try_acquire(1) {
            Ok(OwnedSemaphorePermit {
                semaphore: self,
                armed: true,
            })
        } else {
            Err(WouldBlock::new())
        }
    }

    /// Adds a permit (AnyIO's `release`): to the first waiting task if there is one, otherwise
    /// to the count. Pairs with [`SemaphorePermit::forget`].
    ///
    /// # Errors
    /// [`SemaphoreValueError::ReleasedTooManyTimes`] when the count is already at the maximum
    /// value; nothing changes. [`SemaphoreValueError::TooLarge`] when a semaphore without a
    /// maximum already holds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Semaphore, SemaphoreValueError};
    ///
    /// let semaphore = Semaphore::with_max_value(0, 1).unwrap();
    /// semaphore.release().unwrap();
    /// assert_eq!(
    ///     semaphore.release(),
    ///     Err(SemaphoreValueError::ReleasedTooManyTimes { max_value: 1 })
    /// );
    /// ```
    pub fn release(&self) -> Result<(), SemaphoreValueError> {
        self.permits.release(1).map_err(|_| match self.max_value {
            Some(max_value) => SemaphoreValueError::ReleasedTooManyTimes { max_value },
            None => SemaphoreValueError::TooLarge {
                value: MAX_PERMITS + 1,
            },
        })
    }

    /// The permits free now (0 while tasks wait).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Semaphore::new(4).value(), 4);
    /// ```
    pub fn value(&self) -> usize {
        self.permits.available()
    }

    /// The maximum value, if the semaphore has one.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Semaphore::new(4).max_value(), None);
    /// ```
    pub fn max_value(&self) -> Option<usize> {
        self.max_value
    }

    /// A snapshot of the semaphore's state.
    ///
    /// # Examples
    /// ```
    /// let stats = anyio::sync::Semaphore::new(1).statistics();
    /// assert_eq!(stats.tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> SemaphoreStatistics {
        SemaphoreStatistics {
            tasks_waiting: self.permits.waiting(),
        }
    }

    /// Gives back a permit when a guard drops: up to the maximum value, past which the permit
    /// is dropped (only [`release`](Self::release) calls can have filled the count).
    fn give_back(&self) {
        let _ = self.permits.release(1);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .field("max_value", &self.max_value)
            .finish_non_exhaustive()
    }
}

/// What [`Semaphore::statistics`] reports.
///
/// # Examples
/// ```
/// assert_eq!(anyio::sync::Semaphore::new(0).statistics().tasks_waiting, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemaphoreStatistics {
    /// Tasks waiting in [`Semaphore::acquire`].
    pub tasks_waiting: usize,
}

/// A semaphore's value would be out of bounds (AnyIO raises `ValueError`).
///
/// # Examples
/// ```
/// use anyio::sync::{Semaphore, SemaphoreValueError};
///
/// let error = Semaphore::with_max_value(2, 1).unwrap_err();
/// assert_eq!(error, SemaphoreValueError::InitialAboveMax { initial: 2, max_value: 1 });
/// assert_eq!(error.to_string(), "semaphore initial value 2 is above its maximum value 1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SemaphoreValueError {
    /// The initial value is above the maximum value.
    InitialAboveMax {
        /// The initial value asked for.
        initial: usize,
        /// The maximum value asked for.
        max_value: usize,
    },
    /// A release found the semaphore already at its maximum value.
    ReleasedTooManyTimes {
        /// The semaphore's maximum value.
        max_value: usize,
    },
    /// A value above [`Semaphore::MAX_PERMITS`].
    TooLarge {
        /// The value asked for.
        value: usize,
    },
}

impl fmt::Display for SemaphoreValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemaphoreValueError::InitialAboveMax { initial, max_value } => write!(
                f,
                "semaphore initial value {initial} is above its maximum value {max_value}"
            ),
            SemaphoreValueError::ReleasedTooManyTimes { max_value } => write!(
                f,
                "semaphore released too many times: it is already at its maximum value {max_value}"
            ),
            SemaphoreValueError::TooLarge { value } => write!(
                f,
                "semaphore value {value} is above the limit of {MAX_PERMITS} permits"
            ),
        }
    }
}

impl std::error::Error for SemaphoreValueError {}

/// A permit of a [`Semaphore`], given back when dropped.
///
/// # Examples
/// ```
/// let semaphore = anyio::sync::Semaphore::new(1);
/// let permit = semaphore.try_acquire().unwrap();
/// drop(permit);
/// assert_eq!(semaphore.value(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit out of the semaphore for good: the count goes down by one.
    ///
    /// # Examples
    /// ```
    /// let semaphore = anyio::sync::Semaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.give_back();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

/// A permit of a [`Semaphore`] in an `Arc`, given back when dropped.
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(anyio::sync::Semaphore::new(1));
/// let permit = Arc::clone(&semaphore).try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(semaphore.value(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    /// Cleared by [`forget`](Self::forget): the drop then gives nothing back.
    armed: bool,
}

impl OwnedSemaphorePermit {
    /// Keeps the permit out of the semaphore for good: the count goes down by one.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(anyio::sync::Semaphore::new(1));
    /// Arc::clone(&semaphore).try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.value(), 0);
    /// ```
    pub fn forget(mut self) {
        self.armed = false;
    }

    /// The semaphore the permit belongs to.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(anyio::sync::Semaphore::new(1));
    /// let permit = Arc::clone(&semaphore).try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.armed {
            self.semaphore.give_back();
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .finish_non_exhaustive()
    }
}

/// The future of [`Semaphore::acquire`].
///
/// # Cancel safety
/// Cancel safe: see [`Semaphore::acquire`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let semaphore = anyio::sync::Semaphore::new(1);
///     let waiting: anyio::sync::SemaphoreAcquire<'_> = semaphore.acquire();
///     let _permit = waiting.await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct SemaphoreAcquire<'a> {
    acquire: Option<Acquire<&'a Semaphore>>,
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        poll_acquire(&mut self.acquire, cx, "SemaphoreAcquire")
            .map(|semaphore| SemaphorePermit { semaphore })
    }
}

/// The future of [`Semaphore::acquire_owned`].
///
/// # Cancel safety
/// Cancel safe: see [`Semaphore::acquire`].
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let semaphore = Arc::new(anyio::sync::Semaphore::new(1));
///     let waiting: anyio::sync::OwnedSemaphoreAcquire = semaphore.acquire_owned();
///     let _permit = waiting.await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct OwnedSemaphoreAcquire {
    acquire: Option<Acquire<Arc<Semaphore>>>,
}

impl Future for OwnedSemaphoreAcquire {
    type Output = OwnedSemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        poll_acquire(&mut self.acquire, cx, "OwnedSemaphoreAcquire").map(|semaphore| {
            OwnedSemaphorePermit {
                semaphore,
                armed: true,
            }
        })
    }
}
