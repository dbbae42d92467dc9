//! [`TcpStream`]: a TCP connection on whichever backend runs the caller.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket, Type};

use crate::backend::{Direction, Registered};
use crate::net::attributes::provide_ip_attributes;
use crate::streams::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
    TypedAttributeProvider,
};

/// A TCP connection (AnyIO's `SocketStream`), on tokio's reactor or async-io's, whichever
/// backend made it.
///
/// It is a [`ByteStream`] with AnyIO's semantics, and an `AsyncRead` + `AsyncWrite` of **both**
/// families (futures-io and tokio), so libraries of either plug in on either backend:
/// - a receive returns at least one byte; once the peer has closed,
///   [`StreamError::EndOfStream`];
/// - a send after the peer has gone fails with [`StreamError::Broken`];
/// - [`send_eof`](ByteStream::send_eof) half-closes (the peer's receive ends; ours goes on);
/// - after [`aclose`](AsyncResource::aclose), which releases the socket at once, everything
///   fails with [`StreamError::Closed`].
///
/// `TCP_NODELAY` is on: anyio sends what it is given at once, as AnyIO does. Use
/// [`set_nodelay`](Self::set_nodelay) to batch small writes instead.
///
/// Two tasks cannot receive (or send) at once: every operation takes `&mut self`, so the
/// borrow checker rejects at compile time what AnyIO reports as `BusyResourceError` at run
/// time.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes. A send dropped midway may have sent
/// a first part of its bytes (as `write_all`). Connecting is cancel safe: the half-made socket
/// is closed.
///
/// # Examples
/// ```
/// use anyio::net::{RemoteAddress, TcpListener, TcpStream};
/// use anyio::streams::{ByteReceiveStream, ByteSendStream, TypedAttributeProvider};
///
/// anyio::run(async {
///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let address = listener.local_addr().unwrap();
///     let mut client = TcpStream::connect(address).await.unwrap();
///     let (mut server, peer) = listener.accept().await.unwrap();
///     assert_eq!(client.extra(RemoteAddress).unwrap(), address);
///     assert_eq!(server.extra(RemoteAddress).unwrap(), peer);
///
///     client.send(b"ping").await.unwrap();
///     let mut buf = [0; 16];
///     let n = server.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TcpStream {
    /// `None` once closed.
    io: Option<Registered<std::net::TcpStream>>,
    eof_sent: bool,
}

impl TcpStream {
    /// Connects to `address`.
    ///
    /// # Errors
    /// The system's error, its message naming the address: connection refused, network
    /// unreachable, and so on.
    ///
    /// # Cancel safety
    /// Cancel safe: a connect dropped before it returned closes its socket.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    ///
    /// anyio::run(async {
    ///     // A port nobody listens on: bind one, note it, and close it.
    ///     let address = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap().local_addr().unwrap();
    ///     let error = TcpStream::connect(address).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     assert!(error.to_string().contains(&address.to_string()), "{error}");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn connect(address: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connect_from(address, None).await
    }

    /// Connects to `address` from `local` (bound first; port 0 lets the system pick).
    pub(super) async fn connect_from(
        address: SocketAddr,
        local: Option<SocketAddr>,
    ) -> io::Result<TcpStream> {
        let name = |error: io::Error| {
            io::Error::new(
                error.kind(),
                format!("cannot connect to {address}: {error}"),
            )
        };
        let socket = Socket::new(
            Domain::for_address(address),
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )
        .map_err(name)?;
        if let Some(local) = local {
            socket.bind(&local.into()).map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("cannot connect to {address} from {local}: {error}"),
                )
            })?;
        }
        match socket.connect(&address.into()) {
            Ok(()) => {}
            // The handshake runs on; the socket turns writable when it ends.
            Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(error) => return Err(name(error)),
        }
        let io = Registered::new(std::net::TcpStream::from(socket)).map_err(name)?;
        io.io(Direction::Write, connected).await.map_err(name)?;
        TcpStream::registered(io)
    }

    /// Takes over a connected std stream, making it non-blocking.
    ///
    /// # Errors
    /// When the stream is not connected, or cannot be registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::TcpStream;
    ///
    /// anyio::run(async {
    ///     let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     let stream = TcpStream::from_std(std_stream).unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.peer_addr()?; // fails unless connected
        stream.set_nonblocking(true)?;
        TcpStream::registered(Registered::new(stream)?)
    }

    /// A stream over a connected, non-blocking, registered socket.
    pub(super) fn registered(io: Registered<std::net::TcpStream>) -> io::Result<TcpStream> {
        io.get_ref().set_nodelay(true)?;
        Ok(TcpStream {
            io: Some(io),
            eof_sent: false,
        })
    }

    /// Gives the socket back as a std stream (still non-blocking).
    ///
    /// # Errors
    /// [`StreamError::Closed`] (as an `io::Error`) once closed; a failure to deregister.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let std_stream = stream.into_std().unwrap();
    ///     assert!(std_stream.nodelay().unwrap());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_std(mut self) -> io::Result<std::net::TcpStream> {
        match self.io.take() {
            Some(io) => io.into_inner(),
            None => Err(StreamError::Closed.into()),
        }
    }

    /// The local address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`connect`](Self::connect).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket()?.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`from_std`](Self::from_std).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket()?.peer_addr()
    }

    /// Whether `TCP_NODELAY` is set (it is by default).
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     assert!(stream.nodelay().unwrap());
    ///     stream.set_nodelay(false).unwrap();
    ///     assert!(!stream.nodelay().unwrap());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.socket()?.nodelay()
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    /// Once closed, or if the system refuses.
    ///
    /// # Examples
    /// See [`nodelay`](Self::nodelay).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.socket()?.set_nodelay(nodelay)
    }

    fn socket(&self) -> io::Result<&std::net::TcpStream> {
        Ok(self.registered_io()?.get_ref())
    }

    fn registered_io(&self) -> io::Result<&Registered<std::net::TcpStream>> {
        self.io.as_ref().ok_or_else(|| StreamError::Closed.into())
    }

    fn poll_read_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.registered_io()?
            .poll_io(cx, Direction::Read, |mut socket| socket.read(buf))
    }

    fn poll_write_slice(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.eof_sent {
            return Poll::Ready(Err(StreamError::Closed.into()));
        }
        self.registered_io()?
            .poll_io(cx, Direction::Write, |mut socket| socket.write(buf))
    }

    fn poll_write_slices(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.eof_sent {
            return Poll::Ready(Err(StreamError::Closed.into()));
        }
        self.registered_io()?
            .poll_io(cx, Direction::Write, |mut socket| {
                socket.write_vectored(bufs)
            })
    }

    /// Shuts the writing half down, once.
    fn shut_down_writing(&mut self) -> io::Result<()> {
        let socket = self.socket()?;
        if !self.eof_sent {
            match socket.shutdown(Shutdown::Write) {
                // The peer already went away: it has no need to hear the end.
                Err(error) if error.kind() == io::ErrorKind::NotConnected => {}
                result => result?,
            }
            self.eof_sent = true;
        }
        Ok(())
    }
}

/// The connect's outcome once the socket turned writable: its error, if any; `WouldBlock` if
/// the handshake is still running (a spurious wake-up).
fn connected(socket: &std::net::TcpStream) -> io::Result<()> {
    if let Some(error) = socket.take_error()? {
        return Err(error);
    }
    match socket.peer_addr() {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotConnected => {
            Err(io::ErrorKind::WouldBlock.into())
        }
        Err(error) => Err(error),
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TcpStream");
        match self.socket() {
            Ok(socket) => debug
                .field("local", &socket.local_addr().ok())
                .field("peer", &socket.peer_addr().ok())
                .field("fd", &socket.as_raw_fd())
                .field("eof_sent", &self.eof_sent),
            Err(_) => debug.field("closed", &true),
        }
        .finish()
    }
}

impl TypedAttributeProvider for TcpStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        if let Ok(socket) = self.socket() {
            provide_ip_attributes(
                request,
                || socket.local_addr().ok(),
                || socket.peer_addr().ok(),
                socket.as_raw_fd(),
            );
        }
    }
}

impl AsyncResource for TcpStream {
    /// Closes the socket at once (the peer sees the end of the stream, or a reset if it had
    /// sent bytes we never received). Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        drop(self.io.take());
        Ok(())
    }
}

impl ByteReceiveStream for TcpStream {
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Err(StreamError::InvalidInput(
                "cannot receive into an empty buffer",
            ));
        }
        let io = self.registered_io()?;
        match io.io(Direction::Read, |mut socket| socket.read(buf)).await {
            Ok(0) => Err(StreamError::EndOfStream),
            Ok(n) => Ok(n),
            Err(error) => Err(error.into()),
        }
    }
}

impl ByteSendStream for TcpStream {
    async fn send(&mut self, mut data: &[u8]) -> Result<(), StreamError> {
        if self.eof_sent {
            return Err(StreamError::Closed);
        }
        let io = self.registered_io()?;
        while !data.is_empty() {
            let n = io
                .io(Direction::Write, |mut socket| socket.write(data))
                .await?;
            data = &data[n..];
        }
        Ok(())
    }
}

impl ByteStream for TcpStream {
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        Ok(self.shut_down_writing()?)
    }
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_slice(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_slice(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_slices(cx, bufs)
    }

    /// Nothing to do: the socket keeps no buffer of its own.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket().map(drop))
    }

    /// Half-closes, as [`send_eof`](ByteStream::send_eof).
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().shut_down_writing())
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(self.poll_read_slice(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_slice(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_slices(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Nothing to do: the socket keeps no buffer of its own.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket().map(drop))
    }

    /// Half-closes, as [`send_eof`](ByteStream::send_eof).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().shut_down_writing())
    }
}
