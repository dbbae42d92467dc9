//! Timeouts built on cancel scopes: `move_on_*` gives up quietly, `fail_*` reports an error.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::context;
use super::scope::{CancelHandle, CancelScope, Scoped};
use crate::backend;

/// The deadline `delay` from now on the backend's clock; `None` (no deadline) if that is too
/// far to represent.
fn deadline_after(delay: Duration) -> Option<Instant> {
    crate::current_time().checked_add(delay)
}

/// Runs `future` with a timeout: `None` if `delay` passes first (AnyIO's `move_on_after`).
///
/// The deadline is computed when this is called. The timer is armed only if the future
/// actually suspends.
///
/// # Cancel safety
/// Dropping the returned future drops `future`.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let slow = anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever()).await;
///     assert_eq!(slow, None);
///     let quick = anyio::move_on_after(Duration::from_secs(5), async { 7 }).await;
///     assert_eq!(quick, Some(7));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn move_on_after<F: IntoFuture>(delay: Duration, future: F) -> Scoped<F::IntoFuture> {
    match deadline_after(delay) {
        Some(deadline) => move_on_at(deadline, future),
        None => CancelScope::new().run(future),
    }
}

/// Runs `future` until `deadline`: `None` if the deadline passes first (AnyIO's
/// `move_on_at`).
///
/// # Cancel safety
/// Dropping the returned future drops `future`.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let deadline = anyio::current_time() + Duration::from_millis(5);
///     assert_eq!(anyio::move_on_at(deadline, anyio::sleep_forever()).await, None);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn move_on_at<F: IntoFuture>(deadline: Instant, future: F) -> Scoped<F::IntoFuture> {
    CancelScope::new().deadline(deadline).run(future)
}

/// Runs `future` with a timeout: [`TimeoutError`] if `delay` passes first (AnyIO's
/// `fail_after`).
///
/// The error means that the timeout's own scope dropped the future: its deadline fired (or,
/// through [`FailAt::handle`], somebody cancelled that scope). Cancelling an enclosing scope is
/// not a timeout: the enclosing scope takes that cancellation and this future is dropped with
/// it. [`FailAt::with_reason`] gives the error a reason.
///
/// # Cancel safety
/// Dropping the returned future drops `future`.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let result = anyio::fail_after(Duration::from_millis(5), anyio::sleep_forever()).await;
///     assert_eq!(result, Err(anyio::TimeoutError::new()));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn fail_after<F: IntoFuture>(delay: Duration, future: F) -> FailAt<F::IntoFuture> {
    FailAt {
        scoped: move_on_after(delay, future),
    }
}

/// Runs `future` until `deadline`: [`TimeoutError`] if the deadline passes first (AnyIO's
/// `fail_at`).
///
/// # Cancel safety
/// Dropping the returned future drops `future`.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let deadline = anyio::current_time() + Duration::from_secs(5);
///     assert_eq!(anyio::fail_at(deadline, async { "fast" }).await, Ok("fast"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn fail_at<F: IntoFuture>(deadline: Instant, future: F) -> FailAt<F::IntoFuture> {
    FailAt {
        scoped: move_on_at(deadline, future),
    }
}

pin_project! {
    /// The future returned by [`fail_after`] and [`fail_at`].
    ///
    /// Before it is first polled, [`handle`](FailAt::handle) gives a handle on its scope (to
    /// move the deadline, read the flags), and [`with_reason`](FailAt::with_reason) sets the
    /// reason its [`TimeoutError`] carries.
    ///
    /// # Examples
    /// ```
    /// let timed: anyio::FailAt<_> = anyio::fail_after(std::time::Duration::from_secs(1), async {});
    /// assert_eq!(anyio::run(timed)?, Ok(()));
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct FailAt<F> {
        #[pin]
        scoped: Scoped<F>,
    }
}

impl<F> FailAt<F> {
    /// A handle on the timeout's scope (AnyIO's `with fail_after(..) as scope`): move the
    /// deadline, read [`deadline_reached`](CancelHandle::deadline_reached) and
    /// [`cancelled_caught`](CancelHandle::cancelled_caught). Call it before the future is
    /// pinned (before `.await`).
    ///
    /// Cancelling the scope through the handle also ends the future with [`TimeoutError`]
    /// (there is no value to return): use [`move_on_after`] for a scope you mean to cancel.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let mut timed = anyio::fail_after(Duration::from_millis(5), anyio::sleep_forever());
    ///     let scope = timed.handle();
    ///     scope.set_deadline(None); // no timeout after all...
    ///     scope.set_deadline(Some(anyio::current_time())); // ...or rather, now
    ///     assert!(timed.await.is_err());
    ///     assert!(scope.deadline_reached());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn handle(&mut self) -> CancelHandle {
        self.scoped.handle()
    }

    /// Gives the timeout a reason, which its [`TimeoutError`] carries and its scope's
    /// [`cancel_reason`](CancelHandle::cancel_reason) reports (AnyIO's
    /// `fail_after(reason=...)`).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let error = anyio::fail_after(Duration::from_millis(1), anyio::sleep_forever())
    ///         .with_reason("the database did not answer")
    ///         .await
    ///         .unwrap_err();
    ///     assert_eq!(error.reason(), Some("the database did not answer"));
    ///     assert_eq!(error.to_string(), "the database did not answer");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.scoped.set_deadline_reason(reason.into());
        self
    }
}

impl<F: Future> Future for FailAt<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut scoped = self.project().scoped;
        match std::task::ready!(scoped.as_mut().poll(cx)) {
            Some(output) => Poll::Ready(Ok(output)),
            // Only the scope's own cancellation completes it without a value.
            None => Poll::Ready(Err(TimeoutError {
                reason: scoped.as_ref().get_ref().cancel_reason(),
            })),
        }
    }
}

/// The deadline of [`fail_after`] or [`fail_at`] passed before the future completed.
///
/// Its message is the reason given to [`FailAt::with_reason`], or "deadline exceeded".
///
/// # Examples
/// ```
/// let error = anyio::TimeoutError::new();
/// assert_eq!(error.to_string(), "deadline exceeded");
/// let io: std::io::Error = error.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutError {
    reason: Option<Cow<'static, str>>,
}

impl TimeoutError {
    /// A timeout error, for code that reports its own timeouts the same way.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::TimeoutError::new(), anyio::TimeoutError::default());
    /// ```
    pub fn new() -> Self {
        TimeoutError { reason: None }
    }

    /// A timeout error with a reason, which is its message.
    ///
    /// # Examples
    /// ```
    /// let error = anyio::TimeoutError::with_reason("no reply");
    /// assert_eq!(error.reason(), Some("no reply"));
    /// ```
    pub fn with_reason(reason: impl Into<Cow<'static, str>>) -> Self {
        TimeoutError {
            reason: Some(reason.into()),
        }
    }

    /// The reason given to [`FailAt::with_reason`], if any.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::TimeoutError::new().reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

impl Default for TimeoutError {
    fn default() -> Self {
        TimeoutError::new()
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason().unwrap_or("deadline exceeded"))
    }
}

impl std::error::Error for TimeoutError {}

impl From<TimeoutError> for std::io::Error {
    fn from(error: TimeoutError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, error)
    }
}

/// The earliest deadline that applies to the calling code: the minimum over the enclosing cancel
/// scopes up to the nearest shield. `None` when none has a deadline; the current time when one
/// of them is already cancelled (AnyIO returns `-inf` there).
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     assert_eq!(anyio::current_effective_deadline(), None);
///     let deadline = anyio::current_time() + Duration::from_secs(10);
///     anyio::move_on_at(deadline, async {
///         anyio::move_on_after(Duration::from_secs(60), async {
///             assert_eq!(anyio::current_effective_deadline(), Some(deadline));
///         })
///         .await;
///     })
///     .await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn current_effective_deadline() -> Option<Instant> {
    let node = context::current()?;
    node.effective_deadline(|| match backend::current() {
        Ok(active) => backend::now(active),
        Err(_) => Instant::now(),
    })
}
