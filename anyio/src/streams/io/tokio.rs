//! [`TokioIoStream`]: anyio's byte stream traits over a `tokio::io` reader or writer.

use std::{
    fmt, io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{IoState, PollShutdown};
use crate::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
    TypedAttributeProvider,
};

/// A byte stream over anything that implements `tokio::io`'s `AsyncRead` and/or
/// `AsyncWrite`: tokio's sockets, pipes, files and in-memory duplexes. For `futures-io`
/// types, see [`FuturesIoStream`](super::FuturesIoStream). Requires the `tokio` feature.
///
/// It adds what the I/O traits leave to convention: a receive never returns 0 bytes (the end
/// is [`StreamError::EndOfStream`]); a send writes and flushes everything; after
/// [`send_eof`](ByteStream::send_eof) sends fail, and after [`aclose`](AsyncResource::aclose)
/// everything fails, with [`StreamError::Closed`]; other I/O errors become
/// [`StreamError::Broken`] with the error as its cause.
///
/// Make one with [`new`](Self::new) for a two-way object, [`reader`](Self::reader) or
/// [`writer`](Self::writer) for a one-way one. `aclose` and `send_eof` shut the writing half
/// down (`poll_shutdown`); the object itself is released when the stream is dropped or taken
/// back with [`into_inner`](Self::into_inner).
///
/// # Cancel safety
/// `receive` is cancel safe (a dropped `poll_read` reads nothing). `send` is not: a send
/// dropped midway may have written part of its bytes.
///
/// # Examples
/// ```
/// use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError, TokioIoStream};
///
/// anyio::run(async {
///     let (client, server) = tokio::io::duplex(64);
///     let (mut client, mut server) = (TokioIoStream::new(client), TokioIoStream::new(server));
///     client.send(b"ping").await.unwrap();
///     client.send_eof().await.unwrap();
///     let mut buf = [0; 16];
///     let n = server.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     assert!(matches!(server.receive(&mut buf).await, Err(StreamError::EndOfStream)));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TokioIoStream<S> {
    io: S,
    state: IoState,
    /// `S::poll_shutdown` when `S` writes; picked by the constructor, as nothing else can
    /// tell whether `S` is a writer.
    shutdown: Option<PollShutdown<S>>,
}

impl<S: AsyncRead + AsyncWrite> TokioIoStream<S> {
    /// A two-way byte stream over `io`.
    ///
    /// # Examples
    /// ```
    /// let (one, _other) = tokio::io::duplex(64);
    /// let stream = anyio::streams::TokioIoStream::new(one);
    /// # let _ = stream;
    /// ```
    pub fn new(io: S) -> Self {
        TokioIoStream {
            io,
            state: IoState::default(),
            shutdown: Some(<S as AsyncWrite>::poll_shutdown),
        }
    }
}

impl<S: AsyncRead> TokioIoStream<S> {
    /// A receiving byte stream over `io`. Should `io` also write, the stream still does not
    /// send (sends fail with [`StreamError::InvalidInput`]), and its `aclose` does not shut the
    /// writing half down.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{ByteReceiveStream, TokioIoStream};
    ///
    /// anyio::run(async {
    ///     let mut stream = TokioIoStream::reader(&b"abc"[..]);
    ///     let mut buf = [0; 8];
    ///     assert_eq!(stream.receive(&mut buf).await.unwrap(), 3);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn reader(io: S) -> Self {
        TokioIoStream {
            io,
            state: IoState::default(),
            shutdown: None,
        }
    }
}

impl<S: AsyncWrite> TokioIoStream<S> {
    /// A sending byte stream over `io`.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{ByteSendStream, TokioIoStream};
    ///
    /// anyio::run(async {
    ///     let mut stream = TokioIoStream::writer(Vec::new());
    ///     stream.send(b"abc").await.unwrap();
    ///     assert_eq!(stream.get_ref(), b"abc");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn writer(io: S) -> Self {
        TokioIoStream {
            io,
            state: IoState::default(),
            shutdown: Some(<S as AsyncWrite>::poll_shutdown),
        }
    }
}

impl<S> TokioIoStream<S> {
    /// The I/O object.
    ///
    /// # Examples
    /// ```
    /// let stream = anyio::streams::TokioIoStream::writer(Vec::<u8>::new());
    /// assert!(stream.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The I/O object, mutably. Reading or writing through it bypasses the stream's state.
    ///
    /// # Examples
    /// ```
    /// let mut stream = anyio::streams::TokioIoStream::writer(Vec::<u8>::new());
    /// stream.get_mut().push(1);
    /// assert_eq!(stream.get_ref(), &[1]);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Gives the I/O object back.
    ///
    /// # Examples
    /// ```
    /// let stream = anyio::streams::TokioIoStream::reader(&b"x"[..]);
    /// assert_eq!(stream.into_inner(), b"x");
    /// ```
    pub fn into_inner(self) -> S {
        self.io
    }
}

impl<S: fmt::Debug> fmt::Debug for TokioIoStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioIoStream")
            .field("io", &self.io)
            .field("closed", &self.state.closed)
            .field("eof_sent", &self.state.eof_sent)
            .finish()
    }
}

/// tokio's `poll_read` in the shape of futures-io's: the number of bytes read into `buf`.
pub(crate) fn poll_read_slice<S: AsyncRead>(
    io: Pin<&mut S>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut buf = ReadBuf::new(buf);
    ready!(io.poll_read(cx, &mut buf))?;
    Poll::Ready(Ok(buf.filled().len()))
}

/// futures-io's `poll_read` (`read`, which fills a slice and says how much) in the shape of
/// tokio's: fills the unfilled part of `buf`.
pub(crate) fn poll_read_into(
    buf: &mut ReadBuf<'_>,
    read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    let n = ready!(read(buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

impl<S> TypedAttributeProvider for TokioIoStream<S> {}

impl<S: Unpin + Send> AsyncResource for TokioIoStream<S> {
    /// Shuts the writing half down, if the stream writes and `send_eof` has not, and marks
    /// the stream closed.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.state.close(&mut self.io, self.shutdown).await
    }
}

impl<S: AsyncRead + Unpin + Send> ByteReceiveStream for TokioIoStream<S> {
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.state
            .receive(&mut self.io, buf, poll_read_slice::<S>)
            .await
    }
}

impl<S: AsyncWrite + Unpin + Send> ByteSendStream for TokioIoStream<S> {
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        self.state
            .send(
                &mut self.io,
                data,
                self.shutdown,
                <S as AsyncWrite>::poll_write,
                <S as AsyncWrite>::poll_flush,
            )
            .await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> ByteStream for TokioIoStream<S> {
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        self.state.send_eof(&mut self.io, self.shutdown).await
    }
}

/// Reads through to the object, for code written against `tokio::io`; fails once the stream
/// is closed.
impl<S: AsyncRead + Unpin> AsyncRead for TokioIoStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.state.check_readable()?;
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

/// Writes through to the object, for code written against `tokio::io`; fails once the stream
/// is closed, or after `send_eof`, or if it was made by `reader()`.
impl<S: AsyncWrite + Unpin> AsyncWrite for TokioIoStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.state.check_writable(this.shutdown.is_some())?;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.state.check_writable(this.shutdown.is_some())?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    /// The same as [`send_eof`](ByteStream::send_eof): shuts the writing half down.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.shut_down && !this.state.closed {
            return Poll::Ready(Ok(())); // already done: closing twice is harmless
        }
        this.state.check_writable(this.shutdown.is_some())?;
        ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
        this.state.eof_sent = true;
        this.state.shut_down = true;
        Poll::Ready(Ok(()))
    }
}

/// The same reads for code written against `futures-io`, so that a `tokio::io` object can
/// carry what is written against that family, such as a
/// `anyio::tls::TlsStream` (with the `tls` feature).
impl<S: AsyncRead + Unpin> futures_io::AsyncRead for TokioIoStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.state.check_readable()?;
        poll_read_slice(Pin::new(&mut this.io), cx, buf)
    }
}

/// The same writes for code written against `futures-io`; `poll_close` shuts the writing
/// half down, as `poll_shutdown` does.
impl<S: AsyncWrite + Unpin> futures_io::AsyncWrite for TokioIoStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        <Self as AsyncWrite>::poll_write(self, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        <Self as AsyncWrite>::poll_flush(self, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        <Self as AsyncWrite>::poll_shutdown(self, cx)
    }
}
