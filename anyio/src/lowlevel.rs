//! Low-level building blocks for writing your own async operations (AnyIO's `anyio.lowlevel`).
//!
//! A *checkpoint* is a point where the calling task lets the scheduler run other tasks. Under
//! anyio's cancellation model it is also where cancelled code stops: a cancelled
//! [scope](crate::cancel) drops its body at the body's next suspension point.
//!
//! Also here: event-loop tokens ([`current_token`]), and [`RunVar`], a variable with a value
//! per runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::backend;
use crate::cancel::{CancelScope, Scoped};

mod run_var;

pub use crate::thread::current_token;
/// Event-loop tokens: see [`EventLoopToken`] and [`from_thread`](crate::from_thread).
pub use crate::thread::from_thread::EventLoopToken;
pub use run_var::{RunVar, RunVarError, RunVarToken};

/// Yields to the scheduler once, so that other ready tasks run before this one goes on.
///
/// On tokio this is `tokio::task::yield_now` (the task is woken once the scheduler has polled
/// its I/O and timer drivers); on smol it wakes the task and reschedules it behind the tasks
/// already queued. Never a timer.
///
/// In a cancelled scope it does not return: the scope drops the calling code at this
/// suspension point.
///
/// # Cancel safety
/// Cancel safe: it holds no state.
///
/// # Panics
/// When first polled outside any runtime that anyio can use (see
/// [`NoEventLoopError`](crate::NoEventLoopError)).
///
/// # Examples
/// ```
/// anyio::run(async {
///     for _ in 0..3 {
///         // A long loop stays fair to other tasks.
///         anyio::lowlevel::checkpoint().await;
///     }
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn checkpoint() -> Checkpoint {
    Checkpoint { yielded: false }
}

/// The future returned by [`checkpoint`].
///
/// # Examples
/// ```
/// let checkpoint: anyio::lowlevel::Checkpoint = anyio::lowlevel::checkpoint();
/// anyio::run(checkpoint)?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Checkpoint {
    yielded: bool,
}

impl Future for Checkpoint {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            // Polled again after the yield: in a cancelled scope it does not return, so that
            // the scope drops the body here.
            if crate::cancel::context::pending_cancellation(cx.waker()) {
                return Poll::Pending;
            }
            return Poll::Ready(());
        }
        let backend = backend::current_or_panic("anyio::lowlevel::checkpoint");
        backend::schedule_yield(backend, cx);
        self.yielded = true;
        Poll::Pending
    }
}

/// Suspends if the calling code is effectively cancelled, so that its scope drops it here;
/// otherwise completes at once, without yielding.
///
/// # Cancel safety
/// Cancel safe: it holds no state.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let scope = anyio::CancelScope::new();
///     let handle = scope.handle();
///     let outcome = scope
///         .run(async {
///             anyio::lowlevel::checkpoint_if_cancelled().await; // not cancelled: no yield
///             handle.cancel();
///             anyio::lowlevel::checkpoint_if_cancelled().await; // dropped here
///             unreachable!()
///         })
///         .await;
///     assert_eq!(outcome, None::<()>);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn checkpoint_if_cancelled() -> CheckpointIfCancelled {
    CheckpointIfCancelled { _private: () }
}

/// The future returned by [`checkpoint_if_cancelled`].
///
/// # Examples
/// ```
/// let check: anyio::lowlevel::CheckpointIfCancelled = anyio::lowlevel::checkpoint_if_cancelled();
/// anyio::run(check)?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CheckpointIfCancelled {
    _private: (),
}

impl Future for CheckpointIfCancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let now = || {
            backend::now(backend::current_or_panic(
                "anyio::lowlevel::checkpoint_if_cancelled",
            ))
        };
        if crate::cancel::current_cancelled(now) {
            // The enclosing scope drops the body at this suspension. If a shield elsewhere in
            // the body holds it for now, the task is woken again by whatever that shield awaits.
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// Yields to the scheduler once, shielded from cancellation: the calling code is not dropped at
/// this suspension point even if it is cancelled.
///
/// # Cancel safety
/// Cancel safe: it holds no state. (Only a drop from outside anyio's scopes can interrupt it.)
///
/// # Examples
/// ```
/// anyio::run(async {
///     let scope = anyio::CancelScope::new();
///     scope.handle().cancel();
///     let outcome = scope
///         .run(async {
///             anyio::lowlevel::cancel_shielded_checkpoint().await; // survives
///             "reached"
///         })
///         .await;
///     assert_eq!(outcome, Some("reached"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn cancel_shielded_checkpoint() -> CancelShieldedCheckpoint {
    CancelShieldedCheckpoint {
        inner: CancelScope::new().shield(true).run(checkpoint()),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`cancel_shielded_checkpoint`].
    ///
    /// # Examples
    /// ```
    /// let yield_now: anyio::lowlevel::CancelShieldedCheckpoint =
    ///     anyio::lowlevel::cancel_shielded_checkpoint();
    /// anyio::run(yield_now)?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct CancelShieldedCheckpoint {
        #[pin]
        inner: Scoped<Checkpoint>,
    }
}

impl Future for CancelShieldedCheckpoint {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx).map(drop)
    }
}

/// Whether the calling code is effectively cancelled: a scope around it (up to the nearest
/// shield) was cancelled or its deadline has passed, so that its next suspension point drops it
/// (AnyIO's `anyio.lowlevel.current_task().has_pending_cancellation()`, for the calling task).
///
/// Outside any cancel scope (code no anyio scope or task runs) this is `false`. Code that
/// catches nothing in Rust has little use for it; it tells cleanup code whether to bother, and
/// tests whether a cancellation reached where it should.
///
/// # Examples
/// ```
/// anyio::run(async {
///     assert!(!anyio::lowlevel::has_pending_cancellation());
///     let scope = anyio::CancelScope::new();
///     let handle = scope.handle();
///     scope
///         .run(async {
///             handle.cancel();
///             assert!(anyio::lowlevel::has_pending_cancellation());
///         })
///         .await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn has_pending_cancellation() -> bool {
    crate::cancel::current_cancelled(|| match backend::current() {
        Ok(active) => backend::now(active),
        Err(_) => std::time::Instant::now(),
    })
}
