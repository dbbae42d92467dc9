//! [`TcpStream`]: a TCP connection on whichever backend runs the caller.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, Socket, Type};

use crate::backend::{Direction, Registered};
use crate::net::attributes::provide_ip_attributes;
use crate::net::socket_stream::{SocketStream, byte_socket_traits};
use crate::streams::{AttributeRequest, TypedAttributeProvider};

/// A TCP connection (AnyIO's `SocketStream`), on tokio's reactor or async-io's, whichever
/// backend made it.
///
/// It is a [`ByteStream`](crate::streams::ByteStream) with AnyIO's semantics, and an `AsyncRead` + `AsyncWrite` of **both**
/// families (futures-io and tokio), so libraries of either plug in on either backend:
/// - a receive returns at least one byte; once the peer has closed,
///   [`StreamError::EndOfStream`](crate::streams::StreamError::EndOfStream);
/// - a send after the peer has gone fails with [`StreamError::Broken`](crate::streams::StreamError::Broken);
/// - [`send_eof`](crate::streams::ByteStream::send_eof) half-closes (the peer's receive ends; ours goes on);
/// - after [`aclose`](crate::streams::AsyncResource::aclose), which releases the socket at once, everything
///   fails with [`StreamError::Closed`](crate::streams::StreamError::Closed).
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
    pub(super) inner: SocketStream<std::net::TcpStream>,
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
            inner: SocketStream::new(io),
        })
    }

    /// Gives the socket back as a std stream (still non-blocking).
    ///
    /// # Errors
    /// [`StreamError::Closed`](crate::streams::StreamError::Closed) (as an `io::Error`) once closed; a failure to deregister.
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
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.inner.into_inner()
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
        self.inner.socket()
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
                .field("eof_sent", &self.inner.eof_sent()),
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

byte_socket_traits!(TcpStream);
