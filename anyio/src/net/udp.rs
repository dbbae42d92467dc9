//! UDP sockets, unconnected ([`UdpSocket`]) and connected ([`ConnectedUdpSocket`]).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, Socket, Type};

use super::attributes::provide_ip_attributes;
use super::datagram::{DatagramSocket, Shared};
use crate::backend::Registered;
use crate::streams::{
    AsyncResource, AttributeRequest, ObjectReceiveStream, ObjectSendStream, SendError, StreamError,
    TypedAttributeProvider,
};

/// The std socket as a datagram socket: sends to and receives from IP addresses.
impl DatagramSocket for std::net::UdpSocket {
    type Addr = SocketAddr;
    type Target = SocketAddr;
    /// The largest UDP payload.
    const MAX_OBJECT: usize = 65_536;

    fn recv_datagram(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv(buf)
    }

    fn recv_datagram_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from(buf)
    }

    fn send_datagram(&self, data: &[u8]) -> io::Result<usize> {
        self.send(data)
    }

    fn send_datagram_to(&self, data: &[u8], target: &SocketAddr) -> io::Result<usize> {
        self.send_to(data, target)
    }

    fn local(&self) -> io::Result<SocketAddr> {
        self.local_addr()
    }

    fn peer(&self) -> io::Result<SocketAddr> {
        self.peer_addr()
    }

    fn provide(&self, request: &mut AttributeRequest<'_>) {
        provide_ip_attributes(
            request,
            || self.local_addr().ok(),
            || self.peer_addr().ok(),
            self.as_raw_fd(),
        );
    }
}

/// A UDP socket bound to `address`, `SO_REUSEPORT` if `reuse_port`, `IPV6_V6ONLY` if IPv6.
fn bind(address: SocketAddr, reuse_port: bool) -> io::Result<Shared<std::net::UdpSocket>> {
    let name = |error: io::Error| {
        io::Error::new(
            error.kind(),
            format!("cannot bind a UDP socket to {address}: {error}"),
        )
    };
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM.nonblocking().cloexec(),
        Some(Protocol::UDP),
    )
    .map_err(name)?;
    if reuse_port {
        socket.set_reuse_port(true).map_err(name)?;
    }
    if address.is_ipv6() {
        socket.set_only_v6(true).map_err(name)?;
    }
    socket.bind(&address.into()).map_err(name)?;
    Ok(Shared::new(
        Registered::new(std::net::UdpSocket::from(socket)).map_err(name)?,
    ))
}

/// An unconnected UDP socket (AnyIO's `UDPSocket`): it sends datagrams to any address and
/// receives them from any.
///
/// Its methods take `&self`, so one task may receive while others send (share it in an
/// `Arc`). A second task receiving at the same time as another (or sending at the same time
/// as another) gets [`StreamError::Busy`], AnyIO's `BusyResourceError`.
///
/// As an [object stream](crate::streams) it carries `(datagram, address)` pairs, and is
/// unreliable as UDP is: datagrams may be lost, duplicated or reordered.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no datagram; a send dropped before it
/// returned has sent none.
///
/// # Examples
/// ```
/// use anyio::net::UdpSocket;
///
/// anyio::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 64];
///     let (n, from) = b.receive_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct UdpSocket {
    shared: Shared<std::net::UdpSocket>,
}

impl UdpSocket {
    /// A UDP socket bound to `address` (port 0: one the system picks). An IPv6 socket is
    /// `IPV6_V6ONLY`.
    ///
    /// # Errors
    /// The system's error, naming the address.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn bind(address: SocketAddr) -> io::Result<UdpSocket> {
        UdpSocket::bind_with(address, false)
    }

    /// [`bind`](Self::bind), with `SO_REUSEPORT` (AnyIO's `reuse_port`) if `reuse_port`.
    ///
    /// # Errors
    /// As [`bind`](Self::bind).
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UdpSocket;
    ///
    /// anyio::run(async {
    ///     let a = UdpSocket::bind_with("127.0.0.1:0".parse().unwrap(), true).unwrap();
    ///     let b = UdpSocket::bind_with(a.local_addr().unwrap(), true).unwrap();
    ///     assert_eq!(a.local_addr().unwrap(), b.local_addr().unwrap());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn bind_with(address: SocketAddr, reuse_port: bool) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            shared: bind(address, reuse_port)?,
        })
    }

    /// Takes over a bound std socket, making it non-blocking.
    ///
    /// # Errors
    /// When it cannot be registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let socket = anyio::net::UdpSocket::from_std(std_socket).unwrap();
    ///     assert!(socket.local_addr().unwrap().ip().is_loopback());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            shared: Shared::new(Registered::new(socket)?),
        })
    }

    /// The local address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.shared.socket()?.local_addr()
    }

    /// Receives one datagram into `buf`, and returns its length and sender. A datagram longer
    /// than `buf` is cut to fit (the system drops the rest).
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task
    /// receives; [`StreamError::Broken`] with the system's error.
    ///
    /// # Cancel safety
    /// Cancel safe: a receive dropped before it returned has taken no datagram.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub async fn receive_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr), StreamError> {
        self.shared.receive_from(buf).await
    }

    /// Sends `data` as one datagram to `target`.
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task sends;
    /// [`StreamError::Broken`] with the system's error (a datagram too large, say).
    ///
    /// # Cancel safety
    /// Cancel safe: a send dropped before it returned has sent nothing.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub async fn send_to(&self, data: &[u8], target: SocketAddr) -> Result<(), StreamError> {
        self.shared.send_to(data, &target).await
    }

    /// Connects the socket to `remote`: from then on it sends there and receives only from
    /// there (AnyIO's `create_connected_udp_socket`).
    ///
    /// # Errors
    /// Once closed, or the system's error.
    ///
    /// # Examples
    /// See [`ConnectedUdpSocket`].
    pub fn connect(self, remote: SocketAddr) -> io::Result<ConnectedUdpSocket> {
        self.shared.socket()?.connect(remote)?;
        Ok(ConnectedUdpSocket {
            shared: self.shared,
        })
    }
}

/// A UDP socket connected to one peer (AnyIO's `ConnectedUDPSocket`): it sends there and
/// receives only from there.
///
/// As [`UdpSocket`], its methods take `&self`, and a second concurrent receiver (or sender)
/// gets [`StreamError::Busy`]. As an [object stream](crate::streams) it carries datagrams.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no datagram; a send dropped before it
/// returned has sent none.
///
/// # Examples
/// ```
/// use anyio::net::UdpSocket;
///
/// anyio::run(async {
///     let server = UdpSocket::bind("[::1]:0".parse().unwrap()).unwrap();
///     let client = UdpSocket::bind("[::1]:0".parse().unwrap())
///         .unwrap()
///         .connect(server.local_addr().unwrap())
///         .unwrap();
///     client.send(b"hello").await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = server.receive_from(&mut buf).await.unwrap();
///     server.send_to(&buf[..n], from).await.unwrap();
///     let n = client.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct ConnectedUdpSocket {
    shared: Shared<std::net::UdpSocket>,
}

impl ConnectedUdpSocket {
    /// Takes over a connected std socket, making it non-blocking: one an earlier part of the
    /// program made, or one inherited from a service manager (systemd's socket activation
    /// passes sockets from descriptor 3 on; `UdpSocket::from_raw_fd` of std turns one into a
    /// std socket). An unconnected socket is [`UdpSocket::from_std`]'s.
    ///
    /// # Errors
    /// `InvalidInput` if the socket is not connected; otherwise when it cannot be made
    /// non-blocking or registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     std_socket.connect("127.0.0.1:9").unwrap();
    ///     let socket = anyio::net::ConnectedUdpSocket::from_std(std_socket).unwrap();
    ///     assert_eq!(socket.peer_addr().unwrap(), "127.0.0.1:9".parse().unwrap());
    ///
    ///     let unconnected = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let error = anyio::net::ConnectedUdpSocket::from_std(unconnected).unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<ConnectedUdpSocket> {
        match socket.peer_addr() {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the UDP socket is not connected: UdpSocket::from_std takes unconnected ones",
                ));
            }
            Err(error) => return Err(error),
        }
        socket.set_nonblocking(true)?;
        Ok(ConnectedUdpSocket {
            shared: Shared::new(Registered::new(socket)?),
        })
    }

    /// The local address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`UdpSocket`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.shared.socket()?.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UdpSocket;
    ///
    /// anyio::run(async {
    ///     let peer = "127.0.0.1:9".parse().unwrap();
    ///     let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap().connect(peer).unwrap();
    ///     assert_eq!(socket.peer_addr().unwrap(), peer);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.shared.socket()?.peer_addr()
    }

    /// Receives one datagram from the peer into `buf`, and returns its length; a datagram
    /// longer than `buf` is cut to fit.
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task
    /// receives; [`StreamError::Broken`] with the system's error (such as a refusal reported
    /// by the peer's host for an earlier datagram).
    ///
    /// # Cancel safety
    /// Cancel safe: a receive dropped before it returned has taken no datagram.
    ///
    /// # Examples
    /// See [`ConnectedUdpSocket`].
    pub async fn receive(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.shared.receive(buf).await
    }

    /// Sends `data` as one datagram to the peer.
    ///
    /// # Errors
    /// [`StreamError::Closed`] once closed; [`StreamError::Busy`] while another task sends;
    /// [`StreamError::Broken`] with the system's error.
    ///
    /// # Cancel safety
    /// Cancel safe: a send dropped before it returned has sent nothing.
    ///
    /// # Examples
    /// See [`ConnectedUdpSocket`].
    pub async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        self.shared.send(data).await
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug("UdpSocket", f)
    }
}

impl fmt::Debug for ConnectedUdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.debug("ConnectedUdpSocket", f)
    }
}

impl TypedAttributeProvider for UdpSocket {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.shared.provide(request);
    }
}

impl TypedAttributeProvider for ConnectedUdpSocket {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.shared.provide(request);
    }
}

impl AsyncResource for UdpSocket {
    /// Closes the socket at once. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.shared.close();
        Ok(())
    }
}

impl AsyncResource for ConnectedUdpSocket {
    /// Closes the socket at once. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.shared.close();
        Ok(())
    }
}

impl ObjectReceiveStream for UdpSocket {
    type Item = (Vec<u8>, SocketAddr);

    /// Receives one datagram and its sender. Cancel safe.
    async fn receive(&mut self) -> Result<(Vec<u8>, SocketAddr), StreamError> {
        self.shared.receive_object().await
    }
}

impl<B: AsRef<[u8]> + Send> ObjectSendStream<(B, SocketAddr)> for UdpSocket {
    /// Sends one datagram to an address. Cancel safe; a failed send hands the pair back.
    async fn send(
        &mut self,
        (data, target): (B, SocketAddr),
    ) -> Result<(), SendError<(B, SocketAddr)>> {
        match self.shared.send_to(data.as_ref(), &target).await {
            Ok(()) => Ok(()),
            Err(error) => Err(SendError::new((data, target), error)),
        }
    }
}

impl ObjectReceiveStream for ConnectedUdpSocket {
    type Item = Vec<u8>;

    /// Receives one datagram from the peer. Cancel safe.
    async fn receive(&mut self) -> Result<Vec<u8>, StreamError> {
        Ok(self.shared.receive_object().await?.0)
    }
}

impl<B: AsRef<[u8]> + Send> ObjectSendStream<B> for ConnectedUdpSocket {
    /// Sends one datagram to the peer. Cancel safe; a failed send hands the datagram back.
    async fn send(&mut self, data: B) -> Result<(), SendError<B>> {
        match self.shared.send(data.as_ref()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(SendError::new(data, error)),
        }
    }
}
