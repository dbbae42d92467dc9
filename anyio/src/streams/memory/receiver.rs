//! [`MemoryObjectReceiver`]: the receiving end, its receive future and its `Stream`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::{Chan, Empty};
use super::chan_lock::{Mutex, lock};
use super::error::{ReceiveError, TryReceiveError};
use super::line_slot::{LineSlot, Place};
use super::{MemoryObjectStreamStatistics, statistics};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};
use crate::sync::waiters::{Key, WakeList};

/// The receiving end of a memory object stream, made by
/// [`create_memory_object_stream`](crate::create_memory_object_stream).
///
/// Clones share the work: each item goes to exactly one receiver, in the order sent. The
/// stream stays open for its senders until every clone is closed (by [`close`](Self::close)
/// or by being dropped). Implements `futures_core::Stream`, which ends at the end of the
/// stream. `Send + Sync` when `T: Send`.
///
/// # Examples
/// ```
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream(3);
///     for n in 1..=3 {
///         tx.send(n).await.unwrap();
///     }
///     drop(tx);
///     assert_eq!(rx.collect::<Vec<_>>().await, [1, 2, 3]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct MemoryObjectReceiver<T> {
    chan: Arc<Mutex<Chan<T>>>,
    closed: bool,
    /// The `Stream`'s place in line, while it waits.
    stream: LineSlot,
}

impl<T> MemoryObjectReceiver<T> {
    pub(super) fn new(chan: Arc<Mutex<Chan<T>>>) -> Self {
        MemoryObjectReceiver {
            chan,
            closed: false,
            stream: LineSlot::new(),
        }
    }

    /// Receives the next item, waiting for one behind the receives already waiting.
    ///
    /// Completes at once, without yielding, when an item is buffered (unless it is cancelled,
    /// or its task has used up its cooperative budget). The future resolves to
    /// [`ReceiveError::EndOfStream`] once every sender is closed and the buffer is drained,
    /// and [`ReceiveError::Closed`] when this receiver was closed.
    ///
    /// # Cancel safety
    /// Cancel safe: a receive dropped before it returned has taken nothing. If a sender had
    /// already handed it an item, the item goes to the next receiver in line or back to the
    /// front of the buffer, so it is neither lost nor reordered. In a cancelled scope it takes
    /// nothing and suspends, so that the scope drops it, even when an item is buffered; and
    /// senders pass over a receiver whose cancellation is pending.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (tx, rx) = anyio::create_memory_object_stream(1);
    ///     tx.send("hi").await.unwrap();
    ///     assert_eq!(rx.receive().await, Ok("hi"));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn receive(&self) -> ReceiveFuture<'_, T> {
        ReceiveFuture {
            receiver: self,
            key: None,
            done: false,
        }
    }

    /// Receives a buffered item if there is one (AnyIO's `receive_nowait`).
    ///
    /// Unlike AnyIO, it does not take an item from a sender waiting on a full (or size 0)
    /// stream: a waiting sender keeps its item until it runs, which is what makes a dropped
    /// send certain to have sent nothing. On a stream of size 0, items are received by
    /// [`receive`](Self::receive).
    ///
    /// # Errors
    /// [`TryReceiveError::WouldBlock`] when nothing is buffered,
    /// [`TryReceiveError::EndOfStream`] when every sender is closed and nothing is left,
    /// [`TryReceiveError::Closed`] when this receiver was closed.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = anyio::create_memory_object_stream(1);
    /// tx.try_send(5).unwrap();
    /// assert_eq!(rx.try_receive(), Ok(5));
    /// assert!(rx.try_receive().is_err());
    /// ```
    pub fn try_receive(&self) -> Result<T, TryReceiveError> {
        if self.closed {
            return Err(TryReceiveError::Closed);
        }
        let mut woken = WakeList::default();
        let result = {
            let mut chan = lock(&self.chan);
            match self.take_over_stream_item(&mut chan) {
                Some(item) => Ok(item),
                None => chan.try_receive(&mut woken),
            }
        };
        woken.wake();
        result.map_err(|empty| match empty {
            Empty::Waiting => TryReceiveError::WouldBlock,
            Empty::Ended => TryReceiveError::EndOfStream,
        })
    }

    /// Closes this receiver (this clone only). Once every clone is closed, senders get
    /// [`SendError::Broken`](super::SendError::Broken), waiting ones included, and the
    /// buffered items are dropped. Closing twice does nothing; dropping closes too.
    ///
    /// # Examples
    /// ```
    /// let (tx, mut rx) = anyio::create_memory_object_stream(1);
    /// rx.close();
    /// assert!(rx.is_closed());
    /// assert!(matches!(tx.try_send(1), Err(anyio::streams::memory::TrySendError::Broken(1))));
    /// ```
    pub fn close(&mut self) {
        if std::mem::replace(&mut self.closed, true) {
            return;
        }
        let mut woken = WakeList::default();
        let unreceived = {
            let mut chan = lock(&self.chan);
            if let Place::Waiting(key) = self.stream.take() {
                chan.leave_receive_line(key, &mut woken);
            }
            chan.receivers_open -= 1;
            (chan.receivers_open == 0).then(|| chan.close_receiving(&mut woken))
        };
        woken.wake();
        // Items nobody can receive any more are dropped here, outside the lock.
        drop(unreceived);
    }

    /// Whether this receiver was closed (by [`close`](Self::close)).
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = anyio::create_memory_object_stream::<u8>(1);
    /// assert!(!rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A snapshot of the stream's state.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = anyio::create_memory_object_stream::<u8>(0);
    /// let other = rx.clone();
    /// assert_eq!(other.statistics().open_receive_streams, 2);
    /// ```
    pub fn statistics(&self) -> MemoryObjectStreamStatistics {
        statistics(&lock(&self.chan))
    }

    /// Polls a receive whose place in line (if any) is kept in `key`.
    fn poll_receive(
        &self,
        key: &mut Option<Key>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, ReceiveError>> {
        if self.closed {
            return Poll::Ready(Err(ReceiveError::Closed));
        }
        let mut woken = WakeList::default();
        let unit = match gate(cx, WaitPoint::MemoryReceive) {
            Gate::Proceed(unit) => unit,
            Gate::Yield => return Poll::Pending,
            Gate::Cancelled => {
                // Takes nothing: an item handed over meanwhile moves on down the line.
                if let Some(waiting) = key.take() {
                    self.leave(waiting);
                }
                return Poll::Pending;
            }
        };
        let poll = {
            let mut chan = lock(&self.chan);
            let handed = match *key {
                Some(waiting) => match chan.collect(waiting, cx.waker()) {
                    Err(()) => return Poll::Pending,
                    Ok(handed) => {
                        *key = None;
                        handed
                    }
                },
                // A fresh receive first takes over an item handed to this receiver's
                // `Stream` while nobody polled it, so that it is not overtaken.
                None => self.take_over_stream_item(&mut chan),
            };
            match handed {
                Some(item) => Poll::Ready(Ok(item)),
                // First poll, or woken because the last sender closed: look at the buffer.
                None => match chan.try_receive(&mut woken) {
                    Ok(item) => Poll::Ready(Ok(item)),
                    Err(Empty::Ended) => Poll::Ready(Err(ReceiveError::EndOfStream)),
                    Err(Empty::Waiting) => {
                        *key = Some(chan.wait_to_receive(cx.waker(), &mut woken));
                        Poll::Pending
                    }
                },
            }
        };
        woken.wake();
        if poll.is_ready() {
            unit.made_progress();
        }
        poll
    }

    /// An item handed to this receiver's `Stream` place in line, if it was served while
    /// nobody polled the stream; the place is then freed.
    fn take_over_stream_item(&self, chan: &mut Chan<T>) -> Option<T> {
        let Place::Waiting(key) = self.stream.get() else {
            return None;
        };
        let served = chan.take_over_receive_place(key)?;
        self.stream.set(Place::Idle);
        served
    }

    /// Leaves the line, passing on an item handed over in the meantime.
    fn leave(&self, key: Key) {
        let mut woken = WakeList::default();
        lock(&self.chan).leave_receive_line(key, &mut woken);
        woken.wake();
    }
}

impl<T> Clone for MemoryObjectReceiver<T> {
    /// Another receiver for the same stream. A clone of a closed receiver is closed too (AnyIO
    /// raises `ClosedResourceError` there; `Clone` cannot fail).
    fn clone(&self) -> Self {
        if !self.closed {
            lock(&self.chan).receivers_open += 1;
        }
        MemoryObjectReceiver {
            chan: Arc::clone(&self.chan),
            closed: self.closed,
            stream: LineSlot::new(),
        }
    }
}

impl<T> Drop for MemoryObjectReceiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for MemoryObjectReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryObjectReceiver")
            .field("closed", &self.closed)
            .field("stream", &self.statistics())
            .finish()
    }
}

/// Yields the items in order, and ends at the end of the stream (or once this receiver is
/// closed). Cancel safe as [`receive`](MemoryObjectReceiver::receive): if the stream stops
/// being polled after it was handed an item (a `next()` dropped by a timeout), the item waits
/// in this receiver; its next `receive`, `try_receive` or `poll_next` returns it first, and
/// closing or dropping the receiver passes it on to the others.
impl<T> futures_core::Stream for MemoryObjectReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        // `&mut self`: no `receive` or `try_receive` of this receiver runs meanwhile.
        let mut key = match this.stream.take() {
            Place::Waiting(key) => Some(key),
            _ => None,
        };
        let poll = this.poll_receive(&mut key, cx);
        this.stream.set(key.map_or(Place::Idle, Place::Waiting));
        poll.map(Result::ok)
    }
}

/// The future of [`MemoryObjectReceiver::receive`].
///
/// # Cancel safety
/// Cancel safe: see [`MemoryObjectReceiver::receive`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream(1);
///     tx.send(1).await.unwrap();
///     let receiving: anyio::streams::memory::ReceiveFuture<'_, i32> = rx.receive();
///     assert_eq!(receiving.await, Ok(1));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ReceiveFuture<'a, T> {
    receiver: &'a MemoryObjectReceiver<T>,
    key: Option<Key>,
    done: bool,
}

impl<T> Future for ReceiveFuture<'_, T> {
    type Output = Result<T, ReceiveError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(
            !self.done,
            "`MemoryObjectReceiver::receive` polled after it completed"
        );
        let this = &mut *self;
        let poll = this.receiver.poll_receive(&mut this.key, cx);
        this.done = poll.is_ready();
        poll
    }
}

impl<T> Drop for ReceiveFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.receiver.leave(key);
        }
    }
}

impl<T> fmt::Debug for ReceiveFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiveFuture")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
