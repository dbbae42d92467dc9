//! [`UnixDatagram`] and [`ConnectedUnixDatagram`]: UNIX domain datagram sockets, unconnected
//! and connected.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr as UnixSocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use super::address::{LocalUnixAddress, RemoteUnixAddress, check_path, socket_address};
use super::listener::remove_stale_socket;
use crate::backend::Registered;
use crate::net::attributes::{AddressFamily, Family, RawSocket};
use crate::net::datagram::{DatagramSocket, Shared};
use crate::streams::{
    AsyncResource, AttributeRequest, ObjectReceiveStream, ObjectSendStream, SendError, StreamError,
    TypedAttributeProvider,
};

type StdDatagram = std::os::unix::net::UnixDatagram;

/// The std socket as a datagram socket: sends to and receives from UNIX socket addresses.
impl DatagramSocket for StdDatagram {
    type Addr = UnixSocketAddr;
    /// socket2's address rather than a path: std's cannot name the abstract namespace.
    type Target = SockAddr;
    /// More than Linux's default send buffer lets a UNIX datagram have (about 208 KiB).
    const MAX_OBJECT: usize = 256 * 1024;

    fn recv_datagram(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv(buf)
    }

    fn recv_datagram_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixSocketAddr)> {
        self.recv_from(buf)
    }

    fn send_datagram(&self, data: &[u8]) -> io::Result<usize> {
        self.send(data)
    }

    fn send_datagram_to(&self, data: &[u8], target: &SockAddr) -> io::Result<usize> {
        SockRef::from(self).send_to(data, target)
    }

    fn local(&self) -> io::Result<UnixSocketAddr> {
        self.local_addr()
    }

    fn peer(&self) -> io::Result<UnixSocketAddr> {
        self.peer_addr()
    }

    fn provide(&self, request: &mut AttributeRequest<'_>) {
        request
            .provide_optional::<LocalUnixAddress>(|| self.local_addr().ok())
            .provide_optional::<RemoteUnixAddress>(|| self.peer_addr().ok())
            .provide::<Family>(|| AddressFamily::Unix)
            .provide::<RawSocket>(|| self.as_raw_fd());
    }
}

/// A fresh, unbound, non-blocking UNIX datagram socket.
fn new_socket() -> io::Result<Socket> {
    Socket::new(Domain::UNIX, Type::DGRAM.nonblocking().cloexec(), None)
}

/// Registers `socket`, which must be non-blocking, with the running backend's reactor.
fn register(socket: StdDatagram) -> io::Result<Shared<StdDatagram>> {
    Ok(Shared::new(Registered::new(socket)?))
}

/// The address to send to at `path`; a bad path is [`StreamError::InvalidInput`].
fn target_address(path: &Path) -> Result<SockAddr, StreamError> {
    check_path(path).map_err(|problem| StreamError::InvalidInput(problem.message()))?;
    Ok(SockAddr::unix(path)?)
}

/// An unconnected UNIX domain datagram socket (AnyIO's `UNIXDatagramSocket`, from
/// `create_unix_datagram_socket`): it sends datagrams to any socket path and receives them
/// from any sender.
///
/// [`bind`](Self::bind) first removes a socket file left at the path by an earlier socket
/// (anything else at the path is an error), and does not remove it on close. A path that
/// starts with a NUL byte names a socket in Linux's abstract namespace, which has no file.
///
/// Its methods take `&self`, so one task may receive while others send (share it in an
/// `Arc`). A second task receiving at the same time as another (or sending at the same time
/// as another) gets [`StreamError::Busy`], AnyIO's `BusyResourceError`.
///
/// As an [object stream](crate::streams) it carries `(datagram, sender address)` pairs, and
/// sends `(datagram, path)` pairs; a datagram longer than 256 KiB (more than the system lets
/// a sender make by default) is cut to that length. UNIX datagrams are neither lost nor
/// reordered; a send waits while the receiver's queue is full.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no datagram; a send dropped before it
/// returned has sent none.
///
/// # Examples
/// ```
/// use anyio::net::UnixDatagram;
///
/// anyio::run(async {
///     let dir = std::env::temp_dir().join(format!("anyio-doc-dgram-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let (a_path, b_path) = (dir.join("a.sock"), dir.join("b.sock"));
///     let a = UnixDatagram::bind(&a_path).unwrap();
///     let b = UnixDatagram::bind(&b_path).unwrap();
///     a.send_to(b"ping", &b_path).await.unwrap();
///     let mut buf = [0; 64];
///     let (n, from) = b.receive_from(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(from.as_pathname(), Some(a_path.as_path()));
///     # drop((a, b)); std::fs::remove_dir_all(&dir).unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct UnixDatagram {
    shared: Shared<StdDatagram>,
}

impl UnixDatagram {
    /// A UNIX datagram socket bound to `path`, after removing a socket file left there; a path
    /// that starts with a NUL byte names a socket in Linux's abstract namespace.
    ///
    /// # Errors
    /// `InvalidInput` for an empty path or one too long for a socket address (107 bytes on
    /// Linux); `AlreadyExists` if something other than a socket is at the path; otherwise the
    /// system's error. The message names the path.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixDatagram;
    ///
    /// anyio::run(async {
    ///     let error = UnixDatagram::bind("x".repeat(200)).unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    ///     assert!(error.to_string().contains("at most"), "{error}");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let path = path.as_ref();
        let name = |error: io::Error| {
            io::Error::new(
                error.kind(),
                format!("cannot bind a UNIX datagram socket to {path:?}: {error}"),
            )
        };
        let address = socket_address(path)?;
        if path.as_os_str().as_bytes().first() != Some(&0) {
            remove_stale_socket(path).map_err(name)?;
        }
        let socket = new_socket().map_err(name)?;
        socket.bind(&address).map_err(name)?;
        Ok(UnixDatagram {
            shared: register(StdDatagram::from(socket)).map_err(name)?,
        })
    }

    /// A UNIX datagram socket bound to no address: it can send, but nobody can answer it
    /// (AnyIO's `create_unix_datagram_socket()` without a `local_path`).
    ///
    /// # Errors
    /// When the system cannot make the socket.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixDatagram;
    ///
    /// anyio::run(async {
    ///     let socket = UnixDatagram::unbound().unwrap();
    ///     assert!(socket.local_addr().unwrap().is_unnamed());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            shared: register(StdDatagram::from(new_socket()?))?,
        })
    }

    /// Two connected, unnamed UNIX datagram sockets (`socketpair`).
    ///
    /// # Errors
    /// When the system cannot make them.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixDatagram;
    ///
    /// anyio::run(async {
    ///     let (a, b) = UnixDatagram::pair().unwrap();
    ///     a.send(b"one").await.unwrap();
    ///     a.send(b"two").await.unwrap();
    ///     let mut buf = [0; 8];
    ///     let n = b.receive(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"one", "datagrams keep their bounds");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn pair() -> io::Result<(ConnectedUnixDatagram, ConnectedUnixDatagram)> {
        let (a, b) = StdDatagram::pair()?;
        Ok((
            ConnectedUnixDatagram::from_std(a)?,
            ConnectedUnixDatagram::from_std(b)?,
        ))
    }

    /// Takes over a std socket, making it non-blocking. A connected one is better taken by
    /// [`ConnectedUnixDatagram::from_std`].
    ///
    /// # Errors
    /// When it cannot be registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let std_socket = std::os::unix::net::UnixDatagram::unbound().unwrap();
    ///     let socket = anyio::net::UnixDatagram::from_std(std_socket).unwrap();
    ///     assert!(socket.local_addr().unwrap().is_unnamed());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(socket: StdDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            shared: register(socket)?,
        })
    }

    /// The address the socket is bound to (unnamed if it is not).
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`unbound`](Self::unbound).
    pub fn local_addr(&self) -> io::Result<UnixSocketAddr> {
        self.shared.socket()?.local_addr()
    }

    /// Receives one datagram into `buf`, and returns its length and sender's address
    /// (unnamed for a sender that is not bound). A datagram longer than `buf` is cut to fit
    /// (the system drops the rest).
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task
    /// receives; [`StreamError::Broken`] with the system's error.
    ///
    /// # Cancel safety
    /// Cancel safe: a receive dropped before it returned has taken no datagram.
    ///
    /// # Examples
    /// See [`UnixDatagram`].
    pub async fn receive_from(
        &self,
        buf: &mut [u8],
    ) -> Result<(usize, UnixSocketAddr), StreamError> {
        self.shared.receive_from(buf).await
    }

    /// Sends `data` as one datagram to the socket at `path` (a path that starts with a NUL
    /// byte names one in Linux's abstract namespace), waiting while its queue is full.
    ///
    /// # Errors
    /// [`StreamError::InvalidInput`] for an empty path or one too long for a socket address;
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task sends;
    /// [`StreamError::Broken`] with the system's error (no socket at the path, a datagram too
    /// large, ...).
    ///
    /// # Cancel safety
    /// Cancel safe: a send dropped before it returned has sent nothing.
    ///
    /// # Examples
    /// See [`UnixDatagram`].
    pub async fn send_to(&self, data: &[u8], path: impl AsRef<Path>) -> Result<(), StreamError> {
        let target = target_address(path.as_ref())?;
        self.shared.send_to(data, &target).await
    }

    /// Connects the socket to the one at `path`: from then on it sends there and receives
    /// only from there (AnyIO's `create_connected_unix_datagram_socket`).
    ///
    /// # Errors
    /// `InvalidInput` for an empty path or one too long for a socket address; once closed;
    /// otherwise the system's error (no socket at the path, say), naming the path. The socket
    /// is closed on failure.
    ///
    /// # Examples
    /// See [`ConnectedUnixDatagram`].
    pub fn connect(self, path: impl AsRef<Path>) -> io::Result<ConnectedUnixDatagram> {
        let path = path.as_ref();
        let address = socket_address(path)?;
        SockRef::from(self.shared.socket()?)
            .connect(&address)
            .map_err(|error| {
                io::Error::new(error.kind(), format!("cannot connect to {path:?}: {error}"))
            })?;
        Ok(ConnectedUnixDatagram {
            shared: self.shared,
        })
    }
}

/// A UNIX domain datagram socket connected to one peer (AnyIO's
/// `ConnectedUNIXDatagramSocket`): it sends there and receives only from there.
///
/// As [`UnixDatagram`], its methods take `&self`, and a second concurrent receiver (or sender)
/// gets [`StreamError::Busy`]. As an [object stream](crate::streams) it carries datagrams.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no datagram; a send dropped before it
/// returned has sent none.
///
/// # Examples
/// ```
/// use anyio::net::UnixDatagram;
///
/// anyio::run(async {
///     let dir = std::env::temp_dir().join(format!("anyio-doc-cdgram-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let (server_path, client_path) = (dir.join("server.sock"), dir.join("client.sock"));
///     let server = UnixDatagram::bind(&server_path).unwrap();
///     let client = UnixDatagram::bind(&client_path).unwrap().connect(&server_path).unwrap();
///     assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(server_path.as_path()));
///     client.send(b"hello").await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = server.receive_from(&mut buf).await.unwrap();
///     server.send_to(&buf[..n], from.as_pathname().unwrap()).await.unwrap();
///     let n = client.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"hello");
///     # drop((server, client)); std::fs::remove_dir_all(&dir).unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct ConnectedUnixDatagram {
    shared: Shared<StdDatagram>,
}

impl ConnectedUnixDatagram {
    /// Takes over a connected std socket, making it non-blocking.
    ///
    /// # Errors
    /// `NotConnected` if the socket is not connected; when it cannot be registered with the
    /// reactor.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::ConnectedUnixDatagram;
    /// use std::os::unix::net::UnixDatagram;
    ///
    /// anyio::run(async {
    ///     let (a, b) = UnixDatagram::pair().unwrap();
    ///     let a = ConnectedUnixDatagram::from_std(a).unwrap();
    ///     b.send(b"from std").unwrap();
    ///     let mut buf = [0; 16];
    ///     let n = a.receive(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"from std");
    ///     let error = ConnectedUnixDatagram::from_std(UnixDatagram::unbound().unwrap()).unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(socket: StdDatagram) -> io::Result<ConnectedUnixDatagram> {
        if let Err(error) = socket.peer_addr() {
            return Err(io::Error::new(
                error.kind(),
                format!("a connected UNIX datagram socket must have a peer: {error}"),
            ));
        }
        socket.set_nonblocking(true)?;
        Ok(ConnectedUnixDatagram {
            shared: register(socket)?,
        })
    }

    /// The address the socket is bound to (unnamed if it is not).
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (a, _b) = anyio::net::UnixDatagram::pair().unwrap();
    ///     assert!(a.local_addr().unwrap().is_unnamed());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<UnixSocketAddr> {
        self.shared.socket()?.local_addr()
    }

    /// The peer's address (unnamed for the other end of a [`UnixDatagram::pair`]).
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`ConnectedUnixDatagram`].
    pub fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        self.shared.socket()?.peer_addr()
    }

    /// Receives one datagram from the peer into `buf`, and returns its length; a datagram
    /// longer than `buf` is cut to fit.
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task
    /// receives; [`StreamError::Broken`] with the system's error.
    ///
    /// # Cancel safety
    /// Cancel safe: a receive dropped before it returned has taken no datagram.
    ///
    /// # Examples
    /// See [`ConnectedUnixDatagram`].
    pub async fn receive(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.shared.receive(buf).await
    }

    /// Sends `data` as one datagram to the peer, waiting while its queue is full.
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task sends;
    /// [`StreamError::Broken`] with the system's error (the peer is gone, a datagram too
    /// large, ...).
    ///
    /// # Cancel safety
    /// Cancel safe: a send dropped before it returned has sent nothing.
    ///
    /// # Examples
    /// See [`ConnectedUnixDatagram`].
    pub async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        self.shared.send(data).await
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug("UnixDatagram", f)
    }
}

impl fmt::Debug for ConnectedUnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug("ConnectedUnixDatagram", f)
    }
}

impl TypedAttributeProvider for UnixDatagram {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.shared.provide(request);
    }
}

impl TypedAttributeProvider for ConnectedUnixDatagram {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.shared.provide(request);
    }
}

impl AsyncResource for UnixDatagram {
    /// Closes the socket at once (leaving its file). Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.shared.close();
        Ok(())
    }
}

impl AsyncResource for ConnectedUnixDatagram {
    /// Closes the socket at once (leaving its file). Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.shared.close();
        Ok(())
    }
}

impl ObjectReceiveStream for UnixDatagram {
    type Item = (Vec<u8>, UnixSocketAddr);

    /// Receives one datagram and its sender's address. Cancel safe.
    async fn receive(&mut self) -> Result<(Vec<u8>, UnixSocketAddr), StreamError> {
        self.shared.receive_object().await
    }
}

impl<B, P> ObjectSendStream<(B, P)> for UnixDatagram
where
    B: AsRef<[u8]> + Send,
    P: AsRef<Path> + Send,
{
    /// Sends one datagram to a path. Cancel safe; a failed send hands the pair back.
    async fn send(&mut self, (data, path): (B, P)) -> Result<(), SendError<(B, P)>> {
        let sent = match target_address(path.as_ref()) {
            Ok(target) => self.shared.send_to(data.as_ref(), &target).await,
            Err(error) => Err(error),
        };
        sent.map_err(|error| SendError::new((data, path), error))
    }
}

impl ObjectReceiveStream for ConnectedUnixDatagram {
    type Item = Vec<u8>;

    /// Receives one datagram from the peer. Cancel safe.
    async fn receive(&mut self) -> Result<Vec<u8>, StreamError> {
        Ok(self.shared.receive_object().await?.0)
    }
}

impl<B: AsRef<[u8]> + Send> ObjectSendStream<B> for ConnectedUnixDatagram {
    /// Sends one datagram to the peer. Cancel safe; a failed send hands the datagram back.
    async fn send(&mut self, data: B) -> Result<(), SendError<B>> {
        match self.shared.send(data.as_ref()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(SendError::new(data, error)),
        }
    }
}
