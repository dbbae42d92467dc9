//! AnyIO's stream interfaces as traits: resources that close, streams of objects and streams
//! of bytes, one way or both.

use std::future::Future;

use super::{SendError, StreamError, TypedAttributeProvider};

/// Something that holds a resource until it is closed (AnyIO's `AsyncResource`). Every stream
/// is one.
///
/// After [`aclose`](Self::aclose), every operation on the value fails with
/// [`StreamError::Closed`]. Closing twice is harmless.
///
/// The method keeps AnyIO's name, `aclose`, rather than `close`: anyio's byte streams are also
/// `AsyncWrite`, and `futures::AsyncWriteExt::close` would make a `close` call ambiguous.
/// (Memory object streams also have an inherent, synchronous `close`.)
///
/// # Examples
/// ```
/// use anyio::streams::{AsyncResource, ObjectReceiveStream, StreamError};
///
/// anyio::run(async {
///     let (_tx, mut rx) = anyio::create_memory_object_stream::<u8>(1);
///     rx.aclose().await.unwrap();
///     assert!(matches!(ObjectReceiveStream::receive(&mut rx).await, Err(StreamError::Closed)));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait AsyncResource: Send {
    /// Closes the resource. For a stream that sends, this first delivers what is buffered and
    /// tells the peer that nothing more will come.
    ///
    /// # Errors
    /// When the closing itself fails (a flush that cannot complete, a closing handshake the
    /// peer broke off). The resource counts as closed all the same.
    ///
    /// # Cancel safety
    /// Cancelling the close leaves the resource closed for this side: later operations fail
    /// with [`StreamError::Closed`], though the peer may not have been told.
    fn aclose(&mut self) -> impl Future<Output = Result<(), StreamError>> + Send;
}

/// A stream that receives objects, in order and without loss (AnyIO's `ObjectReceiveStream`).
///
/// Implemented by [`MemoryObjectReceiver`](super::memory::MemoryObjectReceiver),
/// [`TextStream`](super::TextStream), [`StapledStream`](super::StapledStream), and unreliable
/// transports such as UDP sockets, which say so in their docs (AnyIO's `Unreliable...`
/// variants need no trait of their own in Rust).
///
/// # Examples
/// ```
/// use anyio::streams::{ObjectReceiveStream, StreamError};
///
/// /// Sums the stream until it ends.
/// async fn total(stream: &mut impl ObjectReceiveStream<Item = u32>) -> Result<u32, StreamError> {
///     let mut total = 0;
///     loop {
///         match stream.receive().await {
///             Ok(n) => total += n,
///             Err(StreamError::EndOfStream) => return Ok(total),
///             Err(error) => return Err(error),
///         }
///     }
/// }
///
/// anyio::run(async {
///     let (tx, mut rx) = anyio::create_memory_object_stream::<u32>(3);
///     for n in [1, 2, 3] {
///         tx.try_send(n).unwrap();
///     }
///     drop(tx);
///     assert_eq!(total(&mut rx).await.unwrap(), 6);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait ObjectReceiveStream: AsyncResource + TypedAttributeProvider {
    /// The type of the objects received.
    type Item;

    /// Receives the next object, waiting for one if need be.
    ///
    /// # Errors
    /// [`StreamError::EndOfStream`] once the sending side has closed and every object has been
    /// received; [`StreamError::Closed`] after this side's [`aclose`](AsyncResource::aclose);
    /// [`StreamError::Broken`] when the transport failed.
    ///
    /// # Cancel safety
    /// Each implementation says. Those of this crate are cancel safe: a receive dropped before
    /// it returned has taken nothing from the stream.
    fn receive(&mut self) -> impl Future<Output = Result<Self::Item, StreamError>> + Send;
}

/// A stream that sends objects, in order and without loss (AnyIO's `ObjectSendStream`).
///
/// # Examples
/// ```
/// use anyio::streams::{ObjectSendStream, SendError};
///
/// async fn greet(stream: &mut impl ObjectSendStream<String>) -> Result<(), SendError<String>> {
///     stream.send("hello".to_owned()).await
/// }
///
/// anyio::run(async {
///     let (mut tx, rx) = anyio::create_memory_object_stream::<String>(1);
///     greet(&mut tx).await.unwrap();
///     assert_eq!(rx.try_receive().unwrap(), "hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait ObjectSendStream<T>: AsyncResource + TypedAttributeProvider {
    /// Sends `item`, waiting for room if need be.
    ///
    /// # Errors
    /// A [`SendError`] that hands `item` back: [`StreamError::Closed`] after this side's
    /// [`aclose`](AsyncResource::aclose) or [`send_eof`](ObjectStream::send_eof);
    /// [`StreamError::Broken`] when nobody can receive any more.
    ///
    /// # Cancel safety
    /// Each implementation says. A send dropped before it returned has sent nothing on the
    /// streams of this crate that carry objects.
    fn send(&mut self, item: T) -> impl Future<Output = Result<(), SendError<T>>> + Send;
}

/// A two-way stream of objects that can say it has nothing more to send (AnyIO's
/// `ObjectStream`).
///
/// # Examples
/// ```
/// use anyio::streams::{ObjectReceiveStream, ObjectSendStream, ObjectStream, StapledStream, StreamError};
///
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<u8>(1);
///     let mut loopback = StapledStream::new(tx, rx);
///     loopback.send(1).await.unwrap();
///     loopback.send_eof().await.unwrap();
///     assert_eq!(loopback.receive().await.unwrap(), 1);
///     assert!(matches!(loopback.receive().await, Err(StreamError::EndOfStream)));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait ObjectStream<T>: ObjectReceiveStream<Item = T> + ObjectSendStream<T> {
    /// Closes the sending direction, so that the peer's receive ends with
    /// [`StreamError::EndOfStream`]; receiving goes on. Calling it again does nothing.
    ///
    /// # Errors
    /// When telling the peer fails.
    ///
    /// # Cancel safety
    /// Cancelling it leaves the sending direction closed for this side.
    fn send_eof(&mut self) -> impl Future<Output = Result<(), StreamError>> + Send;
}

/// A stream that receives bytes (AnyIO's `ByteReceiveStream`). The bytes arrive in order, but
/// not in the chunks they were sent in.
///
/// Implemented by [`FuturesIoStream`](super::FuturesIoStream) and
/// [`TokioIoStream`](super::TokioIoStream) (anything `AsyncRead`),
/// [`BufferedByteReceiveStream`](super::BufferedByteReceiveStream),
/// [`ChunkedByteStream`](super::ChunkedByteStream) (a stream of byte chunks),
/// [`StapledStream`](super::StapledStream), and anyio's network streams.
///
/// # Examples
/// ```
/// use anyio::streams::{ByteReceiveStream, FuturesIoStream, StreamError};
///
/// anyio::run(async {
///     let mut stream = FuturesIoStream::reader(&b"hello"[..]);
///     let mut buf = [0; 3];
///     assert_eq!(stream.receive(&mut buf).await.unwrap(), 3);
///     assert_eq!(&buf, b"hel");
///     assert_eq!(stream.receive(&mut buf).await.unwrap(), 2);
///     assert!(matches!(stream.receive(&mut buf).await, Err(StreamError::EndOfStream)));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait ByteReceiveStream: AsyncResource + TypedAttributeProvider {
    /// Receives at least one byte into `buf`, waiting for some if need be, and returns how
    /// many. It never returns 0 (AnyIO's `receive(max_bytes)` with `max_bytes = buf.len()`;
    /// receiving into the caller's buffer saves an allocation per call).
    ///
    /// # Errors
    /// [`StreamError::EndOfStream`] once the peer has closed and every byte has been
    /// received; [`StreamError::InvalidInput`] for an empty `buf`; [`StreamError::Closed`]
    /// after this side's [`aclose`](AsyncResource::aclose); [`StreamError::Broken`] when the
    /// transport failed.
    ///
    /// # Cancel safety
    /// Each implementation says. Those of this crate are cancel safe: a receive dropped before
    /// it returned has taken no bytes from the stream.
    fn receive(
        &mut self,
        buf: &mut [u8],
    ) -> impl Future<Output = Result<usize, StreamError>> + Send;
}

/// A stream that sends bytes (AnyIO's `ByteSendStream`).
///
/// # Examples
/// ```
/// use anyio::streams::{ByteSendStream, FuturesIoStream};
///
/// anyio::run(async {
///     let mut stream = FuturesIoStream::writer(futures_lite::io::Cursor::new(Vec::new()));
///     stream.send(b"hello").await.unwrap();
///     assert_eq!(stream.into_inner().into_inner(), b"hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait ByteSendStream: AsyncResource + TypedAttributeProvider {
    /// Sends all of `data`, waiting for room if need be. Sending nothing succeeds at once.
    ///
    /// # Errors
    /// [`StreamError::Closed`] after this side's [`aclose`](AsyncResource::aclose) or
    /// [`send_eof`](ByteStream::send_eof); [`StreamError::Broken`] when the transport failed
    /// or the peer is gone.
    ///
    /// # Cancel safety
    /// Not cancel safe, as for `write_all`: a send dropped before it returned may have sent a
    /// first part of `data`.
    fn send(&mut self, data: &[u8]) -> impl Future<Output = Result<(), StreamError>> + Send;
}

/// A two-way stream of bytes that can say it has nothing more to send (AnyIO's
/// `ByteStream`): a half close.
///
/// # Examples
/// ```
/// use anyio::streams::{ByteStream, StreamError};
///
/// async fn request(stream: &mut impl ByteStream, body: &[u8]) -> Result<Vec<u8>, StreamError> {
///     stream.send(body).await?;
///     stream.send_eof().await?; // the peer reads to the end, then answers
///     let mut answer = Vec::new();
///     let mut buf = [0; 1024];
///     loop {
///         match stream.receive(&mut buf).await {
///             Ok(n) => answer.extend_from_slice(&buf[..n]),
///             Err(StreamError::EndOfStream) => return Ok(answer),
///             Err(error) => return Err(error),
///         }
///     }
/// }
/// ```
pub trait ByteStream: ByteReceiveStream + ByteSendStream {
    /// Closes the sending direction (a TCP half close), so that the peer's receive ends with
    /// [`StreamError::EndOfStream`]; receiving goes on. Calling it again does nothing.
    ///
    /// # Errors
    /// When telling the peer fails.
    ///
    /// # Cancel safety
    /// Cancelling it leaves the sending direction closed for this side.
    fn send_eof(&mut self) -> impl Future<Output = Result<(), StreamError>> + Send;
}

impl<S: AsyncResource + ?Sized> AsyncResource for &mut S {
    fn aclose(&mut self) -> impl Future<Output = Result<(), StreamError>> + Send {
        (**self).aclose()
    }
}

impl<S: ObjectReceiveStream + ?Sized> ObjectReceiveStream for &mut S {
    type Item = S::Item;

    fn receive(&mut self) -> impl Future<Output = Result<S::Item, StreamError>> + Send {
        (**self).receive()
    }
}

impl<T, S: ObjectSendStream<T> + ?Sized> ObjectSendStream<T> for &mut S {
    fn send(&mut self, item: T) -> impl Future<Output = Result<(), SendError<T>>> + Send {
        (**self).send(item)
    }
}

impl<T, S: ObjectStream<T> + ?Sized> ObjectStream<T> for &mut S {
    fn send_eof(&mut self) -> impl Future<Output = Result<(), StreamError>> + Send {
        (**self).send_eof()
    }
}

impl<S: ByteReceiveStream + ?Sized> ByteReceiveStream for &mut S {
    fn receive(
        &mut self,
        buf: &mut [u8],
    ) -> impl Future<Output = Result<usize, StreamError>> + Send {
        (**self).receive(buf)
    }
}

impl<S: ByteSendStream + ?Sized> ByteSendStream for &mut S {
    fn send(&mut self, data: &[u8]) -> impl Future<Output = Result<(), StreamError>> + Send {
        (**self).send(data)
    }
}

impl<S: ByteStream + ?Sized> ByteStream for &mut S {
    fn send_eof(&mut self) -> impl Future<Output = Result<(), StreamError>> + Send {
        (**self).send_eof()
    }
}
