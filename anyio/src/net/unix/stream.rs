//! [`UnixStream`]: a UNIX domain stream connection on whichever backend runs the caller.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use socket2::{Domain, Socket, Type};

use super::address::{LocalUnixAddress, RemoteUnixAddress, socket_address};
use crate::backend::{Direction, Registered};
use crate::net::attributes::{AddressFamily, Family, RawSocket};
use crate::net::socket_stream::{SocketStream, byte_socket_traits};
use crate::streams::{AttributeRequest, TypedAttributeProvider};

/// A UNIX domain stream connection (AnyIO's `UNIXSocketStream`), with the same semantics as a
/// [`TcpStream`](crate::net::TcpStream): a
/// [`ByteStream`](crate::streams::ByteStream) whose receive never returns 0 bytes, a half
/// close by `send_eof`, `Closed` after `aclose`, and `AsyncRead` + `AsyncWrite` of both
/// families.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes; a send dropped midway may have
/// sent a first part of its bytes. Connecting is cancel safe.
///
/// # Examples
/// ```
/// use anyio::net::UnixStream;
/// use anyio::streams::{ByteReceiveStream, ByteSendStream};
///
/// anyio::run(async {
///     let (mut a, mut b) = UnixStream::pair().unwrap();
///     a.send(b"over a socket pair").await.unwrap();
///     let mut buf = [0; 64];
///     let n = b.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"over a socket pair");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct UnixStream {
    inner: SocketStream<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`; a path that starts with a NUL byte names a socket in
    /// Linux's abstract namespace.
    ///
    /// # Errors
    /// `InvalidInput` for an empty path or one too long for a socket address (107 bytes on
    /// Linux); otherwise the system's error (no such file, connection refused, ...). The
    /// message names the path.
    ///
    /// # Cancel safety
    /// Cancel safe: a connect dropped before it returned closes its socket.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixStream;
    ///
    /// anyio::run(async {
    ///     let long = "x".repeat(200);
    ///     let error = UnixStream::connect(&long).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    ///     assert!(error.to_string().contains("at most"), "{error}");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let name = |error: io::Error| {
            io::Error::new(error.kind(), format!("cannot connect to {path:?}: {error}"))
        };
        let address = socket_address(path)?;
        let socket =
            Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None).map_err(name)?;
        match socket.connect(&address) {
            Ok(()) => {}
            // The listener's queue is full or the connection is under way: wait for it.
            Err(error)
                if error.raw_os_error() == Some(libc::EINPROGRESS)
                    || error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(name(error)),
        }
        let io = Registered::new(std::os::unix::net::UnixStream::from(socket)).map_err(name)?;
        io.io(Direction::Write, |socket| match socket.take_error()? {
            Some(error) => Err(error),
            None => Ok(()),
        })
        .await
        .map_err(name)?;
        Ok(UnixStream::registered(io))
    }

    /// Two connected sockets (`socketpair`).
    ///
    /// # Errors
    /// When the system cannot make them.
    ///
    /// # Examples
    /// See [`UnixStream`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Takes over a connected std stream, making it non-blocking.
    ///
    /// # Errors
    /// When it cannot be registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     let stream = anyio::net::UnixStream::from_std(a).unwrap();
    ///     assert!(stream.local_addr().unwrap().is_unnamed());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream::registered(Registered::new(stream)?))
    }

    pub(super) fn registered(io: Registered<std::os::unix::net::UnixStream>) -> UnixStream {
        UnixStream {
            inner: SocketStream::new(io),
        }
    }

    /// Gives the socket back as a std stream (still non-blocking).
    ///
    /// # Errors
    /// Once closed; a failure to deregister.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (a, _b) = anyio::net::UnixStream::pair().unwrap();
    ///     assert!(a.into_std().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.inner.into_inner()
    }

    /// The local address (unnamed for a socket that was never bound, as a connecting one).
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`from_std`](Self::from_std).
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.inner.socket()?.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`UnixListener`](crate::net::UnixListener).
    pub fn peer_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.inner.socket()?.peer_addr()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("UnixStream");
        match self.inner.socket() {
            Ok(socket) => debug
                .field("local", &socket.local_addr().ok())
                .field("peer", &socket.peer_addr().ok())
                .field("fd", &socket.as_raw_fd()),
            Err(_) => debug.field("closed", &true),
        }
        .finish()
    }
}

impl TypedAttributeProvider for UnixStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        if let Ok(socket) = self.inner.socket() {
            request
                .provide_optional::<LocalUnixAddress>(|| socket.local_addr().ok())
                .provide_optional::<RemoteUnixAddress>(|| socket.peer_addr().ok())
                .provide::<Family>(|| AddressFamily::Unix)
                .provide::<RawSocket>(|| socket.as_raw_fd());
        }
    }
}

byte_socket_traits!(UnixStream);
