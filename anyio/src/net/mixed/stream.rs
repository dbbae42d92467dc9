//! [`SocketStream`]: a connected TCP or UNIX stream socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::net::{TcpStream, UnixStream};
use crate::streams::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
    TypedAttributeProvider,
};

/// A connected stream socket of either kind (AnyIO's `SocketStream`): what a
/// [`SocketListener`](super::SocketListener) accepts, so that one handler serves TCP and UNIX
/// clients alike.
///
/// It is a [`ByteStream`], an `AsyncRead` + `AsyncWrite` of both the `futures-io` and
/// `tokio::io` families (so TLS and the stream wrappers run over it), and answers the typed
/// attributes of the socket inside: [`RemoteAddress`](crate::net::RemoteAddress) for TCP,
/// [`RemoteUnixAddress`](crate::net::RemoteUnixAddress) for UNIX,
/// [`Family`](crate::net::Family) for both. Match on it for what only one kind has.
///
/// # Examples
/// ```
/// use anyio::net::{AddressFamily, Family, SocketStream, TcpListener, TcpStream};
/// use anyio::streams::{ByteSendStream, TypedAttributeProvider};
///
/// anyio::run(async {
///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let tcp = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let mut stream = SocketStream::from(tcp);
///     assert_eq!(stream.extra(Family).unwrap(), AddressFamily::Ipv4);
///     stream.send(b"either kind").await.unwrap();
///     if let SocketStream::Tcp(tcp) = &stream {
///         tcp.set_nodelay(true).unwrap();
///     }
///     # drop(listener.accept().await.unwrap());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SocketStream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A UNIX domain stream connection.
    Unix(UnixStream),
}

impl From<TcpStream> for SocketStream {
    fn from(stream: TcpStream) -> SocketStream {
        SocketStream::Tcp(stream)
    }
}

impl From<UnixStream> for SocketStream {
    fn from(stream: UnixStream) -> SocketStream {
        SocketStream::Unix(stream)
    }
}

/// Calls `$call` on the stream inside `$stream`, whichever kind it is.
macro_rules! delegate {
    ($stream:expr, $inner:ident => $call:expr) => {
        match $stream {
            SocketStream::Tcp($inner) => $call,
            SocketStream::Unix($inner) => $call,
        }
    };
}

impl TypedAttributeProvider for SocketStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        delegate!(self, inner => inner.provide_attributes(request))
    }
}

impl AsyncResource for SocketStream {
    /// Closes the socket at once, as [`TcpStream`] and [`UnixStream`] do. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        delegate!(self, inner => inner.aclose().await)
    }
}

impl ByteReceiveStream for SocketStream {
    /// As the socket inside: cancel safe.
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        delegate!(self, inner => inner.receive(buf).await)
    }
}

impl ByteSendStream for SocketStream {
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        delegate!(self, inner => inner.send(data).await)
    }
}

impl ByteStream for SocketStream {
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        delegate!(self, inner => inner.send_eof().await)
    }
}

impl futures_io::AsyncRead for SocketStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_read(cx, buf))
    }
}

impl futures_io::AsyncWrite for SocketStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_write_vectored(cx, bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_flush(cx))
    }

    /// Half-closes, as `send_eof`.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_close(cx))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for SocketStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_read(cx, buf))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for SocketStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_flush(cx))
    }

    /// Half-closes, as `send_eof`.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self.get_mut(), inner => Pin::new(inner).poll_shutdown(cx))
    }
}
