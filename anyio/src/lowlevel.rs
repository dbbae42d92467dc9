//! Low-level building blocks for writing your own async operations (AnyIO's `anyio.lowlevel`).
//!
//! A *checkpoint* is a point where the calling task lets the scheduler run other tasks. Under
//! anyio's cancellation model (arriving with cancel scopes) a checkpoint is also where a
//! cancelled task stops: the scope drops its body at its next suspension point.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::backend;

/// Yields to the scheduler once, so that other ready tasks run before this one goes on.
///
/// On tokio this is `tokio::task::yield_now` (the task is woken once the scheduler has polled
/// its I/O and timer drivers); on smol it wakes the task and reschedules it behind the tasks
/// already queued. Never a timer.
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
            return Poll::Ready(());
        }
        let backend = backend::current_or_panic("anyio::lowlevel::checkpoint");
        backend::schedule_yield(backend, cx);
        self.yielded = true;
        Poll::Pending
    }
}
