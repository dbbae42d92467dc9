//! [`MemoryObjectSender`]: the sending end, its send future and its `Sink`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::{Chan, Reservation, SendRefused};
use super::chan_lock::{Mutex, lock};
use super::error::{SendError, TrySendError};
use super::line_slot::{LineSlot, Place};
use super::{MemoryObjectStreamStatistics, statistics};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};
use crate::sync::waiters::{Key, WakeList};

/// The sending end of a memory object stream, made by
/// [`create_memory_object_stream`](crate::create_memory_object_stream).
///
/// Clone it to send from several tasks: the stream stays open for its receivers until every
/// clone is closed (by [`close`](Self::close) or by being dropped). Implements
/// `futures_sink::Sink`. `Send + Sync` when `T: Send`.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<&str>(0);
///     let worker = tx.clone();
///     drop(tx);
///     let (sent, received) = futures_lite::future::zip(
///         async move { worker.send("job").await },
///         rx.receive(),
///     )
///     .await;
///     assert_eq!((sent, received), (Ok(()), Ok("job")));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct MemoryObjectSender<T> {
    chan: Arc<Mutex<Chan<T>>>,
    closed: bool,
    /// The `Sink`'s progress: waiting in line for a reservation, or holding one.
    sink: LineSlot,
}

impl<T> MemoryObjectSender<T> {
    pub(super) fn new(chan: Arc<Mutex<Chan<T>>>) -> Self {
        MemoryObjectSender {
            chan,
            closed: false,
            sink: LineSlot::new(),
        }
    }

    /// Sends `item`: hands it to a waiting receiver, or buffers it, or waits until a receiver
    /// or buffer space comes free, behind the sends already waiting.
    ///
    /// Completes at once, without yielding, when it can (unless it is cancelled, or its task
    /// has used up its cooperative budget). On a stream of size 0 (a rendezvous)
    /// it completes once a receiver has taken the item.
    ///
    /// The future resolves to [`SendError::Broken`] when every receiver is closed (at the
    /// call or while waiting), and [`SendError::Closed`] when this sender was closed; both
    /// hold the item.
    ///
    /// # Cancel safety
    /// Cancel safe, in the strong sense: a send dropped before it returned has sent nothing
    /// (its item is dropped with it), and a send that returned `Ok` has sent. A waiting send
    /// that is dropped leaves the line; room it was granted goes to the next sender. In a
    /// cancelled scope it sends nothing and suspends, so that the scope drops it, even when
    /// the stream has room.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (tx, rx) = anyio::create_memory_object_stream(2);
    ///     tx.send(1).await.unwrap();
    ///     tx.send(2).await.unwrap();
    ///     assert_eq!((rx.receive().await, rx.receive().await), (Ok(1), Ok(2)));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn send(&self, item: T) -> SendFuture<'_, T> {
        SendFuture {
            sender: self,
            item: Some(item),
            key: None,
        }
    }

    /// Sends `item` if that needs no waiting: to a waiting receiver, or into free buffer
    /// space that no waiting sender is owed (AnyIO's `send_nowait`).
    ///
    /// # Errors
    /// [`TrySendError::WouldBlock`] when it would have to wait, [`TrySendError::Broken`] when
    /// every receiver is closed, [`TrySendError::Closed`] when this sender was closed; each
    /// holds the item.
    ///
    /// # Examples
    /// ```
    /// let (tx, rx) = anyio::create_memory_object_stream(1);
    /// assert_eq!(tx.try_send('a'), Ok(()));
    /// assert_eq!(tx.try_send('b').unwrap_err().into_inner(), 'b');
    /// assert_eq!(rx.try_receive(), Ok('a'));
    /// ```
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        if self.closed {
            return Err(TrySendError::Closed(item));
        }
        let mut woken = WakeList::default();
        let result = self.send_now(&mut lock(&self.chan), item, &mut woken);
        woken.wake();
        result.map_err(|refused| match refused {
            SendRefused::Full(item) => TrySendError::WouldBlock(item),
            SendRefused::Broken(item) => TrySendError::Broken(item),
        })
    }

    /// Sends at once if it can: on a reservation this sender's `Sink` left behind (a
    /// `SinkExt::send` dropped by a timeout, say), or into room nobody else reserved.
    fn send_now(
        &self,
        chan: &mut Chan<T>,
        item: T,
        woken: &mut WakeList,
    ) -> Result<(), SendRefused<T>> {
        let reserved = match self.sink.take() {
            Place::Idle => false,
            Place::Reserved => true,
            Place::Waiting(key) => chan.take_over_send_place(key, woken),
        };
        if !reserved {
            return chan.try_send(item, woken);
        }
        if chan.receivers_open == 0 {
            chan.unreserve(woken);
            return Err(SendRefused::Broken(item));
        }
        chan.send_on_reservation(item, woken);
        Ok(())
    }

    /// Gives up the `Sink`'s place in line or reservation, if it has one.
    fn abandon_sink(&self, chan: &mut Chan<T>, woken: &mut WakeList) {
        match self.sink.take() {
            Place::Idle => {}
            Place::Waiting(key) => chan.leave_send_line(key, woken),
            Place::Reserved => chan.unreserve(woken),
        }
    }

    /// Closes this sender (this clone only). Once every clone is closed, receivers get
    /// [`EndOfStream`](super::ReceiveError::EndOfStream) after the buffered items. Closing
    /// twice does nothing; dropping closes too.
    ///
    /// # Examples
    /// ```
    /// let (mut tx, rx) = anyio::create_memory_object_stream::<u8>(1);
    /// tx.close();
    /// assert!(tx.is_closed());
    /// assert!(tx.try_send(1).is_err());
    /// assert_eq!(rx.try_receive(), Err(anyio::streams::memory::TryReceiveError::EndOfStream));
    /// ```
    pub fn close(&mut self) {
        if std::mem::replace(&mut self.closed, true) {
            return;
        }
        let mut woken = WakeList::default();
        {
            let mut chan = lock(&self.chan);
            self.abandon_sink(&mut chan, &mut woken);
            chan.senders_open -= 1;
            if chan.senders_open == 0 {
                chan.close_sending(&mut woken);
            }
        }
        woken.wake();
    }

    /// Whether this sender was closed (by [`close`](Self::close)).
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = anyio::create_memory_object_stream::<u8>(1);
    /// assert!(!tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A snapshot of the stream's state.
    ///
    /// # Examples
    /// ```
    /// let (tx, _rx) = anyio::create_memory_object_stream(4);
    /// tx.try_send(()).unwrap();
    /// let stats = tx.statistics();
    /// assert_eq!((stats.current_buffer_used, stats.max_buffer_size), (1, Some(4)));
    /// assert_eq!((stats.open_send_streams, stats.open_receive_streams), (1, 1));
    /// ```
    pub fn statistics(&self) -> MemoryObjectStreamStatistics {
        statistics(&lock(&self.chan))
    }
}

impl<T> Clone for MemoryObjectSender<T> {
    /// Another sender for the same stream. A clone of a closed sender is closed too (AnyIO
    /// raises `ClosedResourceError` there; `Clone` cannot fail).
    fn clone(&self) -> Self {
        if !self.closed {
            lock(&self.chan).senders_open += 1;
        }
        MemoryObjectSender {
            chan: Arc::clone(&self.chan),
            closed: self.closed,
            sink: LineSlot::new(),
        }
    }
}

impl<T> Drop for MemoryObjectSender<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for MemoryObjectSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryObjectSender")
            .field("closed", &self.closed)
            .field("stream", &self.statistics())
            .finish()
    }
}

/// The future of [`MemoryObjectSender::send`].
///
/// # Cancel safety
/// Cancel safe: dropped before it completes, it has sent nothing. See
/// [`MemoryObjectSender::send`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let (tx, _rx) = anyio::create_memory_object_stream(1);
///     let sending: anyio::streams::memory::SendFuture<'_, u8> = tx.send(1);
///     assert_eq!(sending.await, Ok(()));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    sender: &'a MemoryObjectSender<T>,
    item: Option<T>,
    /// Set while in line for a reservation.
    key: Option<Key>,
}

// The item is moved in and out, never pinned.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let item = this
            .item
            .take()
            .expect("`MemoryObjectSender::send` polled after it completed");
        if this.sender.closed {
            return Poll::Ready(Err(SendError::Closed(item)));
        }
        let mut woken = WakeList::default();
        let unit = match gate(cx, WaitPoint::MemorySend) {
            Gate::Proceed(unit) => unit,
            Gate::Yield => {
                this.item = Some(item);
                return Poll::Pending;
            }
            Gate::Cancelled => {
                // Sends nothing; a reservation granted meanwhile goes to the next sender.
                if let Some(key) = this.key.take() {
                    lock(&this.sender.chan).leave_send_line(key, &mut woken);
                    woken.wake();
                }
                this.item = Some(item);
                return Poll::Pending;
            }
        };
        let poll = {
            let mut chan = lock(&this.sender.chan);
            let reservation = match this.key {
                None => Reservation::Evicted,
                Some(key) => chan.poll_reservation(key, cx.waker()),
            };
            match reservation {
                Reservation::Waiting => {
                    this.item = Some(item);
                    Poll::Pending
                }
                // A first poll, or passed over for a cancellation that was withdrawn since.
                Reservation::Evicted => {
                    this.key = None;
                    match this.sender.send_now(&mut chan, item, &mut woken) {
                        Ok(()) => Poll::Ready(Ok(())),
                        Err(SendRefused::Broken(item)) => Poll::Ready(Err(SendError::Broken(item))),
                        Err(SendRefused::Full(item)) => {
                            this.key = Some(chan.wait_to_send(cx.waker()));
                            this.item = Some(item);
                            Poll::Pending
                        }
                    }
                }
                Reservation::Held => {
                    this.key = None;
                    if chan.receivers_open == 0 {
                        chan.unreserve(&mut woken);
                        Poll::Ready(Err(SendError::Broken(item)))
                    } else {
                        match chan.send_if_room(item, cx.waker(), &mut woken) {
                            Ok(()) => Poll::Ready(Ok(())),
                            Err((item, key)) => {
                                this.key = Some(key);
                                this.item = Some(item);
                                Poll::Pending
                            }
                        }
                    }
                }
            }
        };
        woken.wake();
        if poll.is_ready() {
            unit.made_progress();
        }
        poll
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut woken = WakeList::default();
            lock(&self.sender.chan).leave_send_line(key, &mut woken);
            woken.wake();
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// A `Sink` reserves room in `poll_ready` (waiting in the same line as
/// [`send`](MemoryObjectSender::send)) and delivers in `start_send`; flushing has nothing to
/// do, and closing closes this sender. Its error cannot hold the item: use `send` or
/// `try_send` to get a refused item back.
///
/// If a `Sink` operation is abandoned (a `SinkExt::send` dropped by a timeout), the place in
/// line or the reservation it had stays with this sender: the next `send`, `try_send` or
/// `poll_ready` of this sender takes it over, and closing the sender gives it back. Until
/// then a granted reservation holds one item's worth of room.
impl<T> futures_sink::Sink<T> for MemoryObjectSender<T> {
    type Error = SendError<()>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        if this.closed {
            return Poll::Ready(Err(SendError::Closed(())));
        }
        let mut woken = WakeList::default();
        match gate(cx, WaitPoint::MemorySend) {
            Gate::Proceed(unit) => unit.made_progress(),
            Gate::Yield => return Poll::Pending,
            Gate::Cancelled => {
                // Gives up a place in line or a reservation: a cancelled send sends nothing.
                this.abandon_sink(&mut lock(&this.chan), &mut woken);
                woken.wake();
                return Poll::Pending;
            }
        }
        let poll = {
            let mut chan = lock(&this.chan);
            if chan.receivers_open == 0 {
                this.abandon_sink(&mut chan, &mut woken);
                Poll::Ready(Err(SendError::Broken(())))
            } else {
                let mut place = this.sink.get();
                if let Place::Waiting(key) = place {
                    place = match chan.poll_reservation(key, cx.waker()) {
                        Reservation::Waiting => place,
                        Reservation::Held => Place::Reserved,
                        Reservation::Evicted => Place::Idle,
                    };
                }
                let place = match place {
                    Place::Idle if chan.try_reserve() => Place::Reserved,
                    Place::Idle => Place::Waiting(chan.wait_to_send(cx.waker())),
                    other => other,
                };
                this.sink.set(place);
                match place {
                    Place::Reserved => Poll::Ready(Ok(())),
                    _ => Poll::Pending,
                }
            }
        };
        woken.wake();
        poll
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        if this.closed {
            return Err(SendError::Closed(()));
        }
        let mut woken = WakeList::default();
        let result = {
            let mut chan = lock(&this.chan);
            let reserved = this.sink.take() == Place::Reserved;
            if chan.receivers_open == 0 {
                if reserved {
                    chan.unreserve(&mut woken);
                }
                Err(item)
            } else {
                if reserved {
                    chan.send_on_reservation(item, &mut woken);
                } else {
                    // The reservation was used by this sender's own `send` in between.
                    chan.send_unreserved(item, &mut woken);
                }
                Ok(())
            }
        };
        woken.wake();
        // A refused item is dropped here, outside the lock.
        result.map_err(|_item| SendError::Broken(()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().close();
        Poll::Ready(Ok(()))
    }
}
