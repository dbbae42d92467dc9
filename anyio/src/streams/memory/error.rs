//! The errors of memory object streams. A failed send hands its item back.

use std::fmt;

/// Why [`MemoryObjectSender::send`](super::MemoryObjectSender::send) failed; holds the item,
/// which was not sent.
///
/// # Examples
/// ```
/// use anyio::streams::memory::SendError;
///
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<String>(1);
///     drop(rx);
///     let error = tx.send("hello".to_owned()).await.unwrap_err();
///     assert!(matches!(error, SendError::Broken(_)));
///     assert_eq!(error.into_inner(), "hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum SendError<T> {
    /// This sender was closed (AnyIO's `ClosedResourceError`).
    Closed(T),
    /// Every receiver is closed, so nobody could receive it (AnyIO's `BrokenResourceError`).
    Broken(T),
}

/// Why [`MemoryObjectSender::try_send`](super::MemoryObjectSender::try_send) failed; holds the
/// item, which was not sent.
///
/// # Examples
/// ```
/// use anyio::streams::memory::TrySendError;
///
/// let (tx, _rx) = anyio::create_memory_object_stream::<u8>(0);
/// // A rendezvous stream with no receiver waiting takes nothing without waiting.
/// assert_eq!(tx.try_send(7), Err(TrySendError::WouldBlock(7)));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room: the buffer is full (or its free space is owed to senders already waiting)
    /// and no receiver is waiting (AnyIO's `WouldBlock`).
    WouldBlock(T),
    /// This sender was closed.
    Closed(T),
    /// Every receiver is closed.
    Broken(T),
}

/// Why [`MemoryObjectReceiver::receive`](super::MemoryObjectReceiver::receive) returned no
/// item.
///
/// # Examples
/// ```
/// use anyio::streams::memory::ReceiveError;
///
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<u8>(1);
///     tx.send(1).await.unwrap();
///     drop(tx);
///     assert_eq!(rx.receive().await, Ok(1), "buffered items outlive the senders");
///     assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceiveError {
    /// Every sender is closed and every item sent has been received (AnyIO's
    /// `EndOfStream`).
    EndOfStream,
    /// This receiver was closed (AnyIO's `ClosedResourceError`).
    Closed,
}

/// Why [`MemoryObjectReceiver::try_receive`](super::MemoryObjectReceiver::try_receive)
/// returned no item.
///
/// # Examples
/// ```
/// use anyio::streams::memory::TryReceiveError;
///
/// let (tx, rx) = anyio::create_memory_object_stream::<u8>(1);
/// assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
/// drop(tx);
/// assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryReceiveError {
    /// Nothing is buffered (AnyIO's `WouldBlock`). A sender waiting on a full or size-0
    /// stream keeps its item until it runs, so its item does not count.
    WouldBlock,
    /// Every sender is closed and every item sent has been received.
    EndOfStream,
    /// This receiver was closed.
    Closed,
}

impl<T> SendError<T> {
    /// The item that was not sent.
    ///
    /// # Examples
    /// ```
    /// let error = anyio::streams::memory::SendError::Closed(5);
    /// assert_eq!(error.into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendError::Closed(item) | SendError::Broken(item) => item,
        }
    }
}

impl<T> TrySendError<T> {
    /// The item that was not sent.
    ///
    /// # Examples
    /// ```
    /// let error = anyio::streams::memory::TrySendError::WouldBlock("x");
    /// assert_eq!(error.into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::WouldBlock(item)
            | TrySendError::Closed(item)
            | TrySendError::Broken(item) => item,
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(error: SendError<T>) -> Self {
        match error {
            SendError::Closed(item) => TrySendError::Closed(item),
            SendError::Broken(item) => TrySendError::Broken(item),
        }
    }
}

impl From<ReceiveError> for TryReceiveError {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::EndOfStream => TryReceiveError::EndOfStream,
            ReceiveError::Closed => TryReceiveError::Closed,
        }
    }
}

// `Debug` without `T: Debug`, so that `unwrap` works for any item type (the item is not shown).
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed(_) => f.write_str("Closed(..)"),
            SendError::Broken(_) => f.write_str("Broken(..)"),
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::WouldBlock(_) => f.write_str("WouldBlock(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
            TrySendError::Broken(_) => f.write_str("Broken(..)"),
        }
    }
}

const CLOSED: &str = "this end of the memory object stream was closed";
const BROKEN: &str = "every receiver of the memory object stream is closed";
const ENDED: &str = "the memory object stream has ended";
const WOULD_BLOCK: &str = "the operation would block";

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Closed(_) => CLOSED,
            SendError::Broken(_) => BROKEN,
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::WouldBlock(_) => WOULD_BLOCK,
            TrySendError::Closed(_) => CLOSED,
            TrySendError::Broken(_) => BROKEN,
        })
    }
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReceiveError::EndOfStream => ENDED,
            ReceiveError::Closed => CLOSED,
        })
    }
}

impl fmt::Display for TryReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryReceiveError::WouldBlock => WOULD_BLOCK,
            TryReceiveError::EndOfStream => ENDED,
            TryReceiveError::Closed => CLOSED,
        })
    }
}

impl<T> std::error::Error for SendError<T> {}
impl<T> std::error::Error for TrySendError<T> {}
impl std::error::Error for ReceiveError {}
impl std::error::Error for TryReceiveError {}

impl From<ReceiveError> for std::io::Error {
    fn from(error: ReceiveError) -> Self {
        let kind = match error {
            ReceiveError::EndOfStream => std::io::ErrorKind::UnexpectedEof,
            ReceiveError::Closed => std::io::ErrorKind::NotConnected,
        };
        std::io::Error::new(kind, error)
    }
}
