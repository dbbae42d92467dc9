//! [`Future`]: a value (or an error) that one task sets once and any number of tasks wait for
//! (AnyIO's `Future`).
//!
//! The outcome lives in a [`OnceLock`], which decides the one setter that wins and lets every
//! reader borrow the outcome without a lock once it is there; the waiting is an [`Event`]'s,
//! set right after the outcome, so a wait that sees the event set sees the outcome too.

use std::convert::Infallible;
use std::fmt;
use std::future::Future as StdFuture;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use super::event::{Event, EventWait};

/// A value, or an error, set once and awaited by any number of tasks (AnyIO's `Future`): a
/// promise that one task keeps and many wait for.
///
/// A future starts *pending*. One call to [`set`](Self::set), [`set_error`](Self::set_error)
/// or [`cancel`](Self::cancel) finishes it, for good; a later `set` or `set_error` is an error
/// that hands the value back ([`FutureSetError`]), and a later `cancel` does nothing. Every
/// [`wait`](Self::wait), before or after, gets the outcome: a clone of the value,
/// [`FutureError::Failed`] with a clone of the error, or [`FutureError::Cancelled`].
///
/// `E` is the error type, [`Infallible`] unless chosen: a `Future<T>` is set or cancelled.
///
/// # Sharing
/// Like anyio's other primitives it is a plain value: put it in an [`Arc`](std::sync::Arc)
/// (or a `static`: [`new`](Self::new) is `const`) to share it between tasks. It is `Send` and
/// `Sync` when `T` and `E` are `Send + Sync`, needs no runtime to be created, set or read, and
/// can be set from a plain thread.
///
/// # Why waiters get clones
/// [`wait`](Self::wait) returns an owned `T` (and an owned error), so that its result can be
/// moved on, returned from a task, or passed through `?` into a `Box<dyn Error>`, as with
/// [`futures`' `Shared`](https://docs.rs/futures/latest/futures/future/struct.Shared.html). A
/// value that is costly to clone, or cannot be, goes in an `Arc`; or read it in place with
/// [`get`](Self::get) (no `Clone` needed) once [`finished`](Self::finished) returns.
///
/// # AnyIO's names
/// | AnyIO | here |
/// |---|---|
/// | `set_result(v)` / `set_exception(e)` | [`set`](Self::set) / [`set_error`](Self::set_error) |
/// | `cancel()` | [`cancel`](Self::cancel) |
/// | `await future` | [`wait`](Self::wait) |
/// | `wait()` | [`finished`](Self::finished) |
/// | `return_value`, `exception` | [`get`](Self::get), [`try_get`](Self::try_get) |
/// | `status` | [`status`](Self::status) |
/// | `FutureAlreadyFinished`, `FutureCancelled` (setting) | [`FutureSetError`] |
/// | `FutureFailed`, `FutureCancelled` (awaiting) | [`FutureError`] |
/// | `FutureNotFinished` | `None` from [`get`](Self::get) and [`try_get`](Self::try_get) |
///
/// It is not exported at the crate root: `use anyio::*` would then shadow the prelude's
/// [`std::future::Future`] trait. Name it `anyio::sync::Future`.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use anyio::sync::Future;
///
/// anyio::run(async {
///     let config: Arc<Future<String>> = Arc::new(Future::new());
///     anyio::task_group(|tg| async move {
///         for worker in 0..3 {
///             let config = Arc::clone(&config);
///             tg.spawn(async move {
///                 let config = config.wait().await.unwrap();
///                 println!("worker {worker} runs with {config}");
///             });
///         }
///         config.set("verbose".to_string()).unwrap();
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Future<T, E = Infallible> {
    outcome: OnceLock<Outcome<T, E>>,
    /// Set once the outcome is in place.
    done: Event,
}

/// What a future finished with.
enum Outcome<T, E> {
    Value(T),
    Failed(E),
    Cancelled,
}

impl<T, E> Outcome<T, E> {
    fn status(&self) -> FutureStatus {
        match self {
            Outcome::Value(_) => FutureStatus::Finished,
            Outcome::Failed(_) => FutureStatus::Failed,
            Outcome::Cancelled => FutureStatus::Cancelled,
        }
    }

    fn as_result(&self) -> Result<&T, FutureError<&E>> {
        match self {
            Outcome::Value(value) => Ok(value),
            Outcome::Failed(error) => Err(FutureError::Failed(error)),
            Outcome::Cancelled => Err(FutureError::Cancelled),
        }
    }

    fn into_result(self) -> Result<T, FutureError<E>> {
        match self {
            Outcome::Value(value) => Ok(value),
            Outcome::Failed(error) => Err(FutureError::Failed(error)),
            Outcome::Cancelled => Err(FutureError::Cancelled),
        }
    }
}

impl<T, E> Future<T, E> {
    /// A pending future.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Future, FutureStatus};
    ///
    /// static ANSWER: Future<u32> = Future::new();
    /// assert_eq!(ANSWER.status(), FutureStatus::Pending);
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new() -> Self {
        Future {
            outcome: OnceLock::new(),
            done: Event::new(),
        }
    }

    /// A pending future.
    #[cfg(anyio_loom)]
    pub fn new() -> Self {
        Future {
            outcome: OnceLock::new(),
            done: Event::new(),
        }
    }

    /// Finishes the future with `value` and wakes every waiting task (AnyIO's `set_result`).
    ///
    /// # Errors
    /// [`FutureSetError`] when the future had already finished (set, failed or cancelled); it
    /// hands `value` back, and the future keeps its first outcome.
    ///
    /// # Examples
    /// ```
    /// let future = anyio::sync::Future::<u32>::new();
    /// future.set(1).unwrap();
    /// let error = future.set(2).unwrap_err();
    /// assert_eq!(error.to_string(), "the future has already finished with a value");
    /// assert_eq!(error.into_inner(), 2);
    /// assert_eq!(future.try_get(), Some(Ok(1)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), FutureSetError<T>> {
        match self.finish(Outcome::Value(value)) {
            Ok(()) => Ok(()),
            Err(Outcome::Value(value)) => Err(FutureSetError {
                value,
                status: self.status(),
            }),
            Err(_) => unreachable!("OnceLock::set hands back what it was given"),
        }
    }

    /// Finishes the future with `error` and wakes every waiting task (AnyIO's
    /// `set_exception`): their waits return [`FutureError::Failed`].
    ///
    /// # Errors
    /// [`FutureSetError`] when the future had already finished; it hands `error` back.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Future, FutureError};
    ///
    /// let future = Future::<u32, &str>::new();
    /// future.set_error("no route to host").unwrap();
    /// assert_eq!(future.try_get(), Some(Err(FutureError::Failed("no route to host"))));
    /// ```
    pub fn set_error(&self, error: E) -> Result<(), FutureSetError<E>> {
        match self.finish(Outcome::Failed(error)) {
            Ok(()) => Ok(()),
            Err(Outcome::Failed(error)) => Err(FutureSetError {
                value: error,
                status: self.status(),
            }),
            Err(_) => unreachable!("OnceLock::set hands back what it was given"),
        }
    }

    /// Cancels a pending future and wakes every waiting task: their waits return
    /// [`FutureError::Cancelled`], and a later `set` fails. Returns whether this call cancelled
    /// it: a future that had already finished keeps its outcome (AnyIO: a no-op).
    ///
    /// This cancels the *future*, not a task: nobody is interrupted.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Future, FutureError};
    ///
    /// let future = Future::<u32>::new();
    /// assert!(future.cancel());
    /// assert!(!future.cancel());
    /// assert_eq!(future.try_get(), Some(Err(FutureError::Cancelled)));
    /// assert_eq!(future.set(1).unwrap_err().to_string(), "the future was cancelled");
    /// ```
    pub fn cancel(&self) -> bool {
        self.finish(Outcome::Cancelled).is_ok()
    }

    fn finish(&self, outcome: Outcome<T, E>) -> Result<(), Outcome<T, E>> {
        self.outcome.set(outcome)?;
        // After the outcome: a wait that sees the event set finds it.
        self.done.set();
        Ok(())
    }

    /// Where the future stands.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Future, FutureStatus};
    ///
    /// let future = Future::<u32, String>::new();
    /// assert_eq!(future.status(), FutureStatus::Pending);
    /// future.set_error("lost".to_string()).unwrap();
    /// assert_eq!(future.status(), FutureStatus::Failed);
    /// ```
    pub fn status(&self) -> FutureStatus {
        self.outcome
            .get()
            .map_or(FutureStatus::Pending, Outcome::status)
    }

    /// Whether the future has finished, one way or another.
    ///
    /// # Examples
    /// ```
    /// let future = anyio::sync::Future::<()>::new();
    /// assert!(!future.is_done());
    /// future.set(()).unwrap();
    /// assert!(future.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.outcome.get().is_some()
    }

    /// The outcome, borrowed, if the future has finished (`None` is AnyIO's
    /// `FutureNotFinished`). Needs no `Clone`.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::Future;
    ///
    /// let future = Future::<Vec<u8>>::new();
    /// assert!(future.get().is_none());
    /// future.set(vec![1, 2, 3]).unwrap();
    /// assert_eq!(future.get().unwrap().unwrap().len(), 3);
    /// ```
    pub fn get(&self) -> Option<Result<&T, FutureError<&E>>> {
        self.outcome.get().map(Outcome::as_result)
    }

    /// Waits until the future has finished, without taking anything (AnyIO's `wait()`); then
    /// read the outcome with [`get`](Self::get) or [`try_get`](Self::try_get). Completes at
    /// once if it has finished already (unless the task has used up its cooperative budget).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait just leaves the line; the future is unchanged. In a
    /// cancelled scope it does not complete, even on a finished future (a cancellation point).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     // A value that cannot be cloned is read in place.
    ///     struct Connection;
    ///     let future = anyio::sync::Future::<Connection>::new();
    ///     future.set(Connection).ok();
    ///     future.finished().await;
    ///     let _connection: &Connection = future.get().unwrap().unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn finished(&self) -> EventWait<'_> {
        self.done.wait()
    }

    /// The outcome, owned, taking the future apart; `None` if it never finished.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// let future = Arc::new(anyio::sync::Future::<String>::new());
    /// future.set("only one owner left".to_string()).unwrap();
    /// let future = Arc::into_inner(future).unwrap();
    /// assert_eq!(future.into_inner(), Some(Ok("only one owner left".to_string())));
    /// ```
    pub fn into_inner(self) -> Option<Result<T, FutureError<E>>> {
        self.outcome.into_inner().map(Outcome::into_result)
    }

    /// A snapshot of the future's state.
    ///
    /// # Examples
    /// ```
    /// let stats = anyio::sync::Future::<u8>::new().statistics();
    /// assert_eq!(stats.tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> FutureStatistics {
        FutureStatistics {
            tasks_waiting: self.done.statistics().tasks_waiting,
        }
    }
}

impl<T: Clone, E: Clone> Future<T, E> {
    /// Waits until the future has finished and returns a clone of its outcome (AnyIO's
    /// `await future`): the value, [`FutureError::Failed`] with the error, or
    /// [`FutureError::Cancelled`]. Completes at once if it has finished already (unless the
    /// task has used up its cooperative budget).
    ///
    /// # Errors
    /// [`FutureError::Failed`] when the future was given an error by
    /// [`set_error`](Self::set_error); [`FutureError::Cancelled`] when it was
    /// [cancelled](Self::cancel).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line and takes nothing; the outcome stays for
    /// every other waiter and for the next wait. In a cancelled scope it does not complete,
    /// even on a finished future (a cancellation point).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use anyio::sync::{Future, FutureError};
    ///
    /// anyio::run(async {
    ///     let reply = Arc::new(Future::<u32, String>::new());
    ///     let setter = Arc::clone(&reply);
    ///     anyio::task_group(|tg| async move {
    ///         tg.spawn(async move {
    ///             anyio::lowlevel::checkpoint().await;
    ///             setter.set_error("refused".to_string()).unwrap();
    ///         });
    ///         assert_eq!(reply.wait().await, Err(FutureError::Failed("refused".to_string())));
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn wait(&self) -> FutureWait<'_, T, E> {
        FutureWait {
            future: self,
            done: self.done.wait(),
        }
    }

    /// A clone of the outcome, if the future has finished (`None` is AnyIO's
    /// `FutureNotFinished`). Never waits.
    ///
    /// # Examples
    /// ```
    /// let future = anyio::sync::Future::<u32>::new();
    /// assert_eq!(future.try_get(), None);
    /// future.set(7).unwrap();
    /// assert_eq!(future.try_get(), Some(Ok(7)));
    /// ```
    pub fn try_get(&self) -> Option<Result<T, FutureError<E>>> {
        self.outcome.get().map(cloned)
    }
}

fn cloned<T: Clone, E: Clone>(outcome: &Outcome<T, E>) -> Result<T, FutureError<E>> {
    match outcome {
        Outcome::Value(value) => Ok(value.clone()),
        Outcome::Failed(error) => Err(FutureError::Failed(error.clone())),
        Outcome::Cancelled => Err(FutureError::Cancelled),
    }
}

impl<T, E> Default for Future<T, E> {
    fn default() -> Self {
        Future::new()
    }
}

impl<T, E> fmt::Debug for Future<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Future")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// Where a [`Future`] stands (AnyIO's `Future.Status`).
///
/// # Examples
/// ```
/// use anyio::sync::{Future, FutureStatus};
///
/// let future = Future::<u8>::new();
/// future.set(1).unwrap();
/// assert_eq!(future.status(), FutureStatus::Finished);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FutureStatus {
    /// Not finished yet.
    Pending,
    /// Finished with a value ([`Future::set`]).
    Finished,
    /// Finished with an error ([`Future::set_error`]).
    Failed,
    /// Cancelled ([`Future::cancel`]).
    Cancelled,
}

/// What [`Future::statistics`] reports.
///
/// # Examples
/// ```
/// let stats = anyio::sync::Future::<()>::new().statistics();
/// assert_eq!(stats.tasks_waiting, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FutureStatistics {
    /// Tasks waiting in [`Future::wait`] or [`Future::finished`].
    pub tasks_waiting: usize,
}

/// Why a [`Future`] gave no value (AnyIO's `FutureFailed` and `FutureCancelled`).
///
/// It is a [`std::error::Error`] whenever `E` can be displayed (as
/// [`TaskGroupError`](crate::TaskGroupError) is), so `?` turns it into a `Box<dyn Error>`.
///
/// # Examples
/// ```
/// use anyio::sync::FutureError;
///
/// let failed: FutureError<&str> = FutureError::Failed("timed out");
/// assert_eq!(failed.to_string(), "the future failed: timed out");
/// assert_eq!(FutureError::<&str>::Cancelled.to_string(), "the future was cancelled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutureError<E> {
    /// The future was given this error ([`Future::set_error`]).
    Failed(E),
    /// The future was cancelled ([`Future::cancel`]).
    Cancelled,
}

impl<E> FutureError<E> {
    /// The error given to the future, if it failed.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::FutureError;
    ///
    /// assert_eq!(FutureError::Failed(5).into_failure(), Some(5));
    /// assert_eq!(FutureError::<u8>::Cancelled.into_failure(), None);
    /// ```
    pub fn into_failure(self) -> Option<E> {
        match self {
            FutureError::Failed(error) => Some(error),
            FutureError::Cancelled => None,
        }
    }

    /// Whether the future was cancelled.
    ///
    /// # Examples
    /// ```
    /// assert!(anyio::sync::FutureError::<()>::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, FutureError::Cancelled)
    }
}

impl<E: fmt::Display> fmt::Display for FutureError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Failed(error) => write!(f, "the future failed: {error}"),
            FutureError::Cancelled => f.write_str("the future was cancelled"),
        }
    }
}

/// The bound is `Debug + Display` rather than `Error` so that futures of boxed errors and
/// `anyhow::Error` qualify too, as for [`TaskGroupError`](crate::TaskGroupError).
impl<E: fmt::Debug + fmt::Display> std::error::Error for FutureError<E> {}

/// Setting a [`Future`] that had already finished (AnyIO's `FutureAlreadyFinished`, or
/// `FutureCancelled` for a cancelled one). Holds the value (or error) that was not set.
///
/// # Examples
/// ```
/// use anyio::sync::{Future, FutureStatus};
///
/// let future = Future::<&str>::new();
/// future.cancel();
/// let error = future.set("too late").unwrap_err();
/// assert_eq!(error.status(), FutureStatus::Cancelled);
/// assert_eq!(error.into_inner(), "too late");
/// ```
pub struct FutureSetError<V> {
    value: V,
    status: FutureStatus,
}

impl<V> FutureSetError<V> {
    /// The value (or error) that was not set, handed back.
    ///
    /// # Examples
    /// See [`FutureSetError`].
    /// ```
    /// let future = anyio::sync::Future::<String>::new();
    /// future.set("first".into()).unwrap();
    /// assert_eq!(future.set("second".into()).unwrap_err().into_inner(), "second");
    /// ```
    pub fn into_inner(self) -> V {
        self.value
    }

    /// How the future had finished: [`Finished`](FutureStatus::Finished),
    /// [`Failed`](FutureStatus::Failed) or [`Cancelled`](FutureStatus::Cancelled).
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Future, FutureStatus};
    ///
    /// let future = Future::<u8>::new();
    /// future.set(1).unwrap();
    /// assert_eq!(future.set(2).unwrap_err().status(), FutureStatus::Finished);
    /// ```
    pub fn status(&self) -> FutureStatus {
        self.status
    }
}

/// Shows the status, not the value: the error is `Debug` whatever `V` is, so `unwrap` works.
impl<V> fmt::Debug for FutureSetError<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureSetError")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl<V> fmt::Display for FutureSetError<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.status {
            FutureStatus::Failed => "the future has already failed",
            FutureStatus::Cancelled => "the future was cancelled",
            _ => "the future has already finished with a value",
        })
    }
}

impl<V> std::error::Error for FutureSetError<V> {}

/// The future of [`Future::wait`].
///
/// # Cancel safety
/// Cancel safe: see [`Future::wait`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let future = anyio::sync::Future::<u8>::new();
///     let waiting: anyio::sync::FutureWait<'_, u8> = future.wait();
///     future.set(3).unwrap();
///     assert_eq!(waiting.await, Ok(3));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct FutureWait<'a, T, E = Infallible> {
    future: &'a Future<T, E>,
    done: EventWait<'a>,
}

impl<T: Clone, E: Clone> StdFuture for FutureWait<'_, T, E> {
    type Output = Result<T, FutureError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The event's wait is the cancellation point, the budget and the line.
        std::task::ready!(Pin::new(&mut self.done).poll(cx));
        let outcome = self
            .future
            .outcome
            .get()
            .expect("anyio internal error: a finished future has an outcome");
        Poll::Ready(cloned(outcome))
    }
}

impl<T, E> fmt::Debug for FutureWait<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureWait")
            .field("status", &self.future.status())
            .finish_non_exhaustive()
    }
}
