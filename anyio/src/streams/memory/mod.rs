//! Memory object streams: channels that carry items between tasks (AnyIO's
//! `create_memory_object_stream`).
//!
//! [`create_memory_object_stream`]`(n)` makes a stream
//! with a buffer of `n` items and returns its two ends, a [`MemoryObjectSender`] and a
//! [`MemoryObjectReceiver`]; [`create_unbounded_memory_object_stream`]
//! makes one whose buffer has no limit.
//!
//! - **Size 0 is a rendezvous**: a send completes once its item is in a waiting receiver's
//!   hands. (Should that receive be cancelled before it returns, the item goes to the next
//!   receiver, or waits at the front of the stream for the next receive.)
//! - **Either end may be cloned.** Clones of the receiver share the work: each item goes to
//!   exactly one of them, in the order sent (first come, first served, on both sides).
//! - **Closing.** Each clone closes on its own ([`close`](MemoryObjectSender::close), or by
//!   being dropped); an end counts as closed once every clone is. With every sender closed,
//!   receivers get the buffered items and then [`ReceiveError::EndOfStream`]; with every
//!   receiver closed, sends fail with [`SendError::Broken`], which hands the item back.
//! - **Ecosystem.** The receiver is a `futures_core::Stream`, the sender a
//!   `futures_sink::Sink`; both ends are `Send + Sync` when `T: Send`.
//! - **Errors.** [`SendError`], [`TrySendError`], [`ReceiveError`] and [`TryReceiveError`] are
//!   exhaustive enums, as the errors of `std::sync::mpsc` are: they name every way an
//!   operation on a stream can fail (closed, broken, ended, would block), so a `match` needs no
//!   catch-all arm, and a new variant would be a breaking change.
//!
//! # Cancellation
//! A send dropped before it returned has sent nothing; a receive dropped before it returned
//! has taken nothing, and an item that was already on its way to it goes to the next receiver
//! (or back to the front of the buffer). So a storm of cancelled sends and receives loses no
//! item and duplicates none. Operations that can complete at once do so without yielding (once
//! per cooperative budget aside); in a cancelled scope they do not complete, and senders and
//! receivers whose cancellation is pending are passed over by the ones they wait for.
//!
//! # Examples
//! ```
//! use std::convert::Infallible;
//!
//! anyio::run(async {
//!     let (tx, rx) = anyio::create_memory_object_stream::<u32>(0);
//!     let total = anyio::task_group(|tg| async move {
//!         for worker in 0..3 {
//!             let tx = tx.clone();
//!             tg.spawn(async move {
//!                 tx.send(worker).await.unwrap();
//!             });
//!         }
//!         drop(tx); // the workers hold the remaining senders
//!         let mut total = 0;
//!         while let Ok(n) = rx.receive().await {
//!             total += n;
//!         }
//!         Ok::<_, Infallible>(total)
//!     })
//!     .await
//!     .unwrap();
//!     assert_eq!(total, Some(3));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

use std::sync::Arc;

mod chan;
mod chan_lock;
mod error;
mod line_slot;
#[cfg(all(test, anyio_loom))]
mod loom_model;
mod receiver;
mod sender;
mod stream_traits;

pub use error::{ReceiveError, SendError, TryReceiveError, TrySendError};
pub use receiver::{MemoryObjectReceiver, ReceiveFuture};
pub use sender::{MemoryObjectSender, SendFuture};

use chan::Chan;
use chan_lock::Mutex;

/// Makes a memory object stream with a buffer of `max_buffer_size` items (0: a rendezvous),
/// and returns its sending and receiving ends.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<String>(16);
///     tx.send("hello".into()).await.unwrap();
///     assert_eq!(rx.receive().await.unwrap(), "hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn create_memory_object_stream<T>(
    max_buffer_size: usize,
) -> (MemoryObjectSender<T>, MemoryObjectReceiver<T>) {
    let chan = Arc::new(Mutex::new(Chan::new(max_buffer_size)));
    (
        MemoryObjectSender::new(Arc::clone(&chan)),
        MemoryObjectReceiver::new(chan),
    )
}

/// Makes a memory object stream whose buffer has no limit (AnyIO's `max_buffer_size=math.inf`):
/// sends never wait.
///
/// # Examples
/// ```
/// let (tx, rx) = anyio::create_unbounded_memory_object_stream();
/// for n in 0..10_000 {
///     tx.try_send(n).unwrap();
/// }
/// assert_eq!(rx.statistics().max_buffer_size, None);
/// assert_eq!(rx.try_receive(), Ok(0));
/// ```
pub fn create_unbounded_memory_object_stream<T>() -> (MemoryObjectSender<T>, MemoryObjectReceiver<T>)
{
    create_memory_object_stream(usize::MAX)
}

/// What the `statistics` of either end of a memory object stream report.
///
/// # Examples
/// ```
/// let (tx, rx) = anyio::create_memory_object_stream::<u8>(2);
/// let stats = rx.statistics();
/// assert_eq!(stats.current_buffer_used, 0);
/// assert_eq!(stats.max_buffer_size, Some(2));
/// assert_eq!((stats.tasks_waiting_send, stats.tasks_waiting_receive), (0, 0));
/// # drop(tx);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryObjectStreamStatistics {
    /// Items in the buffer.
    pub current_buffer_used: usize,
    /// The buffer's size; `None` for an unbounded stream.
    pub max_buffer_size: Option<usize>,
    /// Senders not yet closed.
    pub open_send_streams: usize,
    /// Receivers not yet closed.
    pub open_receive_streams: usize,
    /// Sends waiting for room.
    pub tasks_waiting_send: usize,
    /// Receives waiting for an item.
    pub tasks_waiting_receive: usize,
}

fn statistics<T>(chan: &Chan<T>) -> MemoryObjectStreamStatistics {
    MemoryObjectStreamStatistics {
        current_buffer_used: chan.buffered(),
        max_buffer_size: (chan.capacity() != usize::MAX).then_some(chan.capacity()),
        open_send_streams: chan.senders_open,
        open_receive_streams: chan.receivers_open,
        tasks_waiting_send: chan.senders_waiting(),
        tasks_waiting_receive: chan.receivers_waiting(),
    }
}
