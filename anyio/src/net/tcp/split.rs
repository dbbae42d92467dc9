//! [`TcpReadHalf`] and [`TcpWriteHalf`]: a TCP stream split so that two tasks can receive
//! and send at the same time.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::TcpStream;
use crate::net::socket_stream::SocketStream;
use crate::streams::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, StreamError,
    TypedAttributeProvider,
};

impl TcpStream {
    /// Splits the stream into a half that receives and a half that sends, owned apart, so
    /// that one task can receive while another sends (tokio's `into_split`).
    /// [`TcpReadHalf::reunite`] puts them back together.
    ///
    /// The socket closes once both halves are dropped or closed. Dropping (or closing) the
    /// sending half shuts the writing direction down, so the peer sees the end of the stream.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    /// use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream};
    ///
    /// anyio::run(async {
    ///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (mut server, _) = listener.accept().await.unwrap();
    ///     server.send(b"hello").await.unwrap();
    ///     server.send_eof().await.unwrap();
    ///
    ///     let (mut reader, mut writer) = client.into_split();
    ///     // One side receives while the other sends, at the same time.
    ///     let (received, ()) = futures_lite::future::zip(
    ///         async {
    ///             let mut buf = [0; 5];
    ///             let n = reader.receive(&mut buf).await.unwrap();
    ///             buf[..n].to_vec()
    ///         },
    ///         async { writer.send(b"world").await.unwrap() },
    ///     )
    ///     .await;
    ///     assert_eq!(received, b"hello");
    ///     let mut buf = [0; 5];
    ///     let n = server.receive(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"world");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_split(self) -> (TcpReadHalf, TcpWriteHalf) {
        let (receiving, sending) = self.inner.split();
        (
            TcpReadHalf { inner: receiving },
            TcpWriteHalf {
                inner: Some(sending),
            },
        )
    }
}

/// The receiving half of a [`TcpStream`], from [`TcpStream::into_split`]: a
/// [`ByteReceiveStream`] and an `AsyncRead` of both families.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes.
///
/// # Examples
/// See [`TcpStream::into_split`].
pub struct TcpReadHalf {
    inner: SocketStream<std::net::TcpStream>,
}

/// The sending half of a [`TcpStream`], from [`TcpStream::into_split`]: a
/// [`ByteSendStream`] and an `AsyncWrite` of both families. Dropping it shuts the writing
/// direction down.
///
/// # Cancel safety
/// A send dropped midway may have sent a first part of its bytes.
///
/// # Examples
/// See [`TcpStream::into_split`].
pub struct TcpWriteHalf {
    /// Always `Some` but while being reunited.
    inner: Option<SocketStream<std::net::TcpStream>>,
}

impl TcpReadHalf {
    /// Puts the two halves of one stream back together.
    ///
    /// # Errors
    /// [`ReuniteError`], which hands both halves back, if they came from different streams.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let other = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (reader, writer) = stream.into_split();
    ///     let (_, other_writer) = other.into_split();
    ///     let error = reader.reunite(other_writer).unwrap_err();
    ///     let (reader, _) = error.into_parts();
    ///     let stream = reader.reunite(writer).unwrap();
    ///     assert!(stream.peer_addr().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn reunite(self, mut writer: TcpWriteHalf) -> Result<TcpStream, ReuniteError> {
        let sending = writer.inner.take().expect("a write half holds its stream");
        match SocketStream::reunite(self.inner, sending) {
            Ok(inner) => Ok(TcpStream { inner }),
            Err((receiving, sending)) => {
                writer.inner = Some(sending);
                Err(ReuniteError(TcpReadHalf { inner: receiving }, writer))
            }
        }
    }
}

impl TcpWriteHalf {
    fn inner(&self) -> &SocketStream<std::net::TcpStream> {
        self.inner.as_ref().expect("a write half holds its stream")
    }

    fn inner_mut(&mut self) -> &mut SocketStream<std::net::TcpStream> {
        self.inner.as_mut().expect("a write half holds its stream")
    }

    /// Shuts the writing direction down (a half close); the peer's receive ends. Calling it
    /// again does nothing.
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; the system's error.
    ///
    /// # Examples
    /// See [`TcpStream::into_split`].
    pub async fn send_eof(&mut self) -> Result<(), StreamError> {
        Ok(self.inner_mut().shut_down_writing()?)
    }
}

impl Drop for TcpWriteHalf {
    fn drop(&mut self) {
        if let Some(inner) = &mut self.inner {
            let _ = inner.shut_down_writing();
        }
    }
}

/// [`TcpReadHalf::reunite`] was given halves of two different streams; both are handed back.
///
/// # Examples
/// See [`TcpReadHalf::reunite`].
pub struct ReuniteError(TcpReadHalf, TcpWriteHalf);

impl ReuniteError {
    /// The two halves, as they were given.
    ///
    /// # Examples
    /// See [`TcpReadHalf::reunite`].
    pub fn into_parts(self) -> (TcpReadHalf, TcpWriteHalf) {
        (self.0, self.1)
    }
}

impl fmt::Debug for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReuniteError").finish_non_exhaustive()
    }
}

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the two halves came from different streams")
    }
}

impl std::error::Error for ReuniteError {}

impl fmt::Debug for TcpReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let socket = self.inner.socket().ok();
        f.debug_struct("TcpReadHalf")
            .field("peer", &socket.and_then(|s| s.peer_addr().ok()))
            .finish()
    }
}

impl fmt::Debug for TcpWriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let socket = self.inner.as_ref().and_then(|inner| inner.socket().ok());
        f.debug_struct("TcpWriteHalf")
            .field("peer", &socket.and_then(|s| s.peer_addr().ok()))
            .finish()
    }
}

/// Both halves tell the whole stream's attributes.
fn provide(inner: &SocketStream<std::net::TcpStream>, request: &mut AttributeRequest<'_>) {
    if let Ok(socket) = inner.socket() {
        crate::net::attributes::provide_ip_attributes(
            request,
            || socket.local_addr().ok(),
            || socket.peer_addr().ok(),
            std::os::fd::AsRawFd::as_raw_fd(socket),
        );
    }
}

impl TypedAttributeProvider for TcpReadHalf {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        provide(&self.inner, request);
    }
}

impl TypedAttributeProvider for TcpWriteHalf {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        if let Some(inner) = &self.inner {
            provide(inner, request);
        }
    }
}

impl AsyncResource for TcpReadHalf {
    /// Lets go of this half: later receives fail with [`StreamError::Closed`]. The socket
    /// closes once the other half is gone too. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.inner.close();
        Ok(())
    }
}

impl AsyncResource for TcpWriteHalf {
    /// Shuts the writing direction down and lets go of this half: later sends fail with
    /// [`StreamError::Closed`]. The socket closes once the other half is gone too.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        let inner = self.inner_mut();
        let shut = match inner.registered_io() {
            Ok(_) => inner.shut_down_writing(),
            Err(_) => Ok(()), // closed already: closing twice is harmless
        };
        inner.close();
        Ok(shut?)
    }
}

impl ByteReceiveStream for TcpReadHalf {
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.inner.receive(buf).await
    }
}

impl ByteSendStream for TcpWriteHalf {
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        self.inner().send(data).await
    }
}

impl futures_io::AsyncRead for TcpReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read_slice(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner().socket().map(drop))
    }

    /// Half-closes, as [`send_eof`](TcpWriteHalf::send_eof).
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().inner_mut().shut_down_writing())
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for TcpReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        crate::streams::poll_read_into(buf, |slice| self.inner.poll_read_slice(cx, slice))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for TcpWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner().socket().map(drop))
    }

    /// Half-closes, as [`send_eof`](TcpWriteHalf::send_eof).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().inner_mut().shut_down_writing())
    }
}
