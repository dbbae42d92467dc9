//! [`as_completed`]: a stream of the outputs of child tasks, in the order they finish.
//!
//! The stream owns the task group: its future is boxed inside the stream (so that the stream
//! is `Unpin`) and polled by `poll_next` whenever no output is waiting, which is what runs the
//! group's body (spawning the children), notices its end, and re-raises a child's panic.
//! Children push their outputs to a queue shared with the stream and wake it.

use std::any::type_name;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use futures_core::stream::FusedStream;

use super::error::TaskGroupError;
use super::group::{TaskGroup, task_group};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};

/// The group's future, boxed so that the stream can name it and stays `Unpin`.
type GroupFuture =
    Pin<Box<dyn Future<Output = Result<Option<()>, TaskGroupError<Infallible>>> + Send>>;

/// Runs every future of `futures` concurrently, each as a child task of a
/// [task group](crate::task_group), and returns a [`Stream`] of their outputs in the order
/// they finish (AnyIO's `as_completed`, which yields task handles).
///
/// Nothing runs until the stream is first polled: then every future is spawned. The stream
/// ends once every future has finished and its output has been yielded; without futures it is
/// empty (where AnyIO raises `ValueError`).
///
/// It is structured: the stream owns the task group. **Dropping the stream cancels the
/// futures that have not finished**; so does cancelling the task that polls it. A panic in a
/// future cancels the others and is re-raised by the stream's next poll, after the outputs
/// that were ready. An error is just an output: for futures that return a `Result`, stop at
/// the first error by leaving the loop (a `?` does), which drops the stream and so cancels
/// the rest:
///
/// ```
/// # use futures_lite::StreamExt;
/// # async fn demo(futures: Vec<std::pin::Pin<Box<dyn Future<Output = Result<u32, std::io::Error>> + Send>>>) -> std::io::Result<u32> {
/// let mut total = 0;
/// let mut outputs = anyio::task::as_completed(futures);
/// while let Some(output) = outputs.next().await {
///     total += output?; // the first error drops `outputs`: the others are cancelled
/// }
/// # Ok(total)
/// # }
/// ```
///
/// The futures run as runtime tasks, so they must be `Send + 'static`; `futures` is collected
/// when this is called.
///
/// # Panics
/// The stream re-raises the first panic of a future, after the others have been cancelled and
/// have finished. Polling it outside any runtime panics.
///
/// # Cancel safety
/// `next()` on the stream is cancel safe: an output is taken from the stream only when it is
/// returned, so a dropped `next()` loses nothing and the output comes with the next call. In a
/// cancelled scope the stream yields nothing: the scope drops it, which cancels the futures.
/// Dropping the stream itself cancels the futures without waiting for them (as dropping a
/// [`TaskGroupFuture`](crate::TaskGroupFuture) does): each is dropped at its next
/// suspension point.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let mut finished = anyio::task::as_completed([30u64, 10, 20].map(|ms| async move {
///         anyio::sleep(Duration::from_millis(ms)).await;
///         ms
///     }));
///     let mut order = Vec::new();
///     while let Some(ms) = finished.next().await {
///         order.push(ms);
///     }
///     assert_eq!(order, [10, 20, 30]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    let futures: Vec<I::Item> = futures.into_iter().collect();
    let remaining = futures.len();
    let queue = Arc::new(Completions {
        state: Mutex::new(Queue {
            ready: VecDeque::with_capacity(remaining),
            waker: None,
        }),
    });
    let outputs = Arc::clone(&queue);
    let name = type_name::<I::Item>();
    let group = task_group(move |tg: TaskGroup<Infallible>| async move {
        for future in futures {
            let outputs = Arc::clone(&outputs);
            tg.spawn_named(name, async move {
                let output = future.await;
                outputs.push(output);
            });
        }
    });
    AsCompleted {
        group: Some(Box::pin(group)),
        queue,
        remaining,
    }
}

/// The stream of [`as_completed`]: the outputs of its futures in the order they finished.
/// Dropping it cancels the futures that have not finished.
///
/// # Cancel safety
/// See [`as_completed`].
///
/// # Examples
/// ```
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let outputs: anyio::task::AsCompleted<u8> =
///         anyio::task::as_completed([1u8, 2].map(|n| async move { n }));
///     let mut all = outputs.collect::<Vec<_>>().await;
///     all.sort();
///     assert_eq!(all, [1, 2]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    /// The task group, until it has ended.
    group: Option<GroupFuture>,
    queue: Arc<Completions<T>>,
    /// Outputs not yielded yet.
    remaining: usize,
}

/// The outputs of the finished children, waiting to be yielded.
struct Completions<T> {
    state: Mutex<Queue<T>>,
}

struct Queue<T> {
    ready: VecDeque<T>,
    /// The task polling the stream, waiting for an output.
    waker: Option<Waker>,
}

impl<T> Completions<T> {
    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, output: T) {
        let waker = {
            let mut queue = self.lock();
            queue.ready.push_back(output);
            queue.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The next output, or `None` after registering `waker` for the next push.
    fn pop_or_register(&self, waker: &Waker) -> Option<T> {
        let mut queue = self.lock();
        let output = queue.ready.pop_front();
        if output.is_none() {
            match &mut queue.waker {
                Some(stored) if stored.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
        }
        output
    }
}

impl<T> AsCompleted<T> {
    /// Polls the group once; forgets it when it has ended (it can only end well: a panic is
    /// re-raised from its poll, and its children cannot fail).
    fn poll_group(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(group) = self.group.as_mut() else {
            return Poll::Ready(());
        };
        match group.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(_)) => {
                self.group = None;
                Poll::Ready(())
            }
            Poll::Ready(Err(error)) => error.unreachable(),
        }
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let unit = match gate(cx, WaitPoint::TaskGroup) {
            Gate::Proceed(unit) => unit,
            Gate::Yield => return Poll::Pending,
            Gate::Cancelled => {
                // The group still hears of it: it winds the children down, and re-raises a
                // panic one of them had instead of letting it be dropped unseen.
                let _ = this.poll_group(cx);
                return Poll::Pending;
            }
        };
        if let Some(output) = this.queue.pop_or_register(cx.waker()) {
            this.remaining -= 1;
            unit.made_progress();
            return Poll::Ready(Some(output));
        }
        std::task::ready!(this.poll_group(cx));
        // The group has ended: every child has pushed its output before it finished, and
        // what is in the queue now is all that is left.
        let mut queue = this.queue.lock();
        let output = queue.ready.pop_front();
        this.remaining = queue.ready.len();
        unit.made_progress();
        Poll::Ready(output)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.group.is_none() {
            return (self.remaining, Some(self.remaining));
        }
        (self.queue.lock().ready.len(), Some(self.remaining))
    }
}

impl<T> FusedStream for AsCompleted<T> {
    fn is_terminated(&self) -> bool {
        self.group.is_none() && self.remaining == 0
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("running", &self.group.is_some())
            .field("ready", &self.queue.lock().ready.len())
            .field("remaining", &self.remaining)
            .finish()
    }
}
