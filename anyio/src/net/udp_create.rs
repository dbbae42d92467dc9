//! [`create_udp_socket`] and [`create_connected_udp_socket`]: UDP sockets from host names,
//! resolved as TCP connections' are.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{AddressFamily, ConnectedUdpSocket, UdpSocket, getaddrinfo};

/// A UDP socket bound to the first address of `local_host` (a name or an IP literal) at
/// `local_port` (0: one the system picks), AnyIO's `create_udp_socket(local_host=…)`.
///
/// Shorthand for [`UdpSocketBuilder`]; see it for the other options.
///
/// # Errors
/// When the host does not resolve, or its address cannot be bound; the message names it.
///
/// # Cancel safety
/// Cancel safe: a call dropped while the name resolves has made no socket.
///
/// # Examples
/// ```
/// use anyio::net::create_udp_socket;
///
/// anyio::run(async {
///     let socket = create_udp_socket("localhost", 0).await.unwrap();
///     assert!(socket.local_addr().unwrap().ip().is_loopback());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn create_udp_socket(local_host: &str, local_port: u16) -> io::Result<UdpSocket> {
    UdpSocketBuilder::new()
        .local_host(local_host)
        .local_port(local_port)
        .bind()
        .await
}

/// A UDP socket connected to the first address of `remote_host` (a name or an IP literal) at
/// `remote_port`, from a port the system picks on the unspecified address of that address's
/// family (AnyIO's `create_connected_udp_socket`).
///
/// Shorthand for [`UdpSocketBuilder::connect`]; see [`UdpSocketBuilder`] for the options.
///
/// # Errors
/// When the host does not resolve, or the socket cannot be bound or connected; the message
/// names the host.
///
/// # Cancel safety
/// Cancel safe: a call dropped while the name resolves has made no socket.
///
/// # Examples
/// ```
/// use anyio::net::{UdpSocket, create_connected_udp_socket};
///
/// anyio::run(async {
///     let server = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let port = server.local_addr().unwrap().port();
///     let client = create_connected_udp_socket("127.0.0.1", port).await.unwrap();
///     client.send(b"hello").await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = server.receive_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from.port()), (&b"hello"[..], client.local_addr().unwrap().port()));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn create_connected_udp_socket(
    remote_host: &str,
    remote_port: u16,
) -> io::Result<ConnectedUdpSocket> {
    UdpSocketBuilder::new()
        .connect(remote_host, remote_port)
        .await
}

/// The options of a UDP socket made from host names (the keyword arguments of AnyIO's
/// `create_udp_socket` and `create_connected_udp_socket`).
///
/// - **A local host** (a name or an IP literal): the socket is bound to its first address
///   (of the [family](Self::family), if one is given) at the [local port](Self::local_port).
/// - **No local host**: the unspecified address (`0.0.0.0` or `::`) of the family: the one
///   given, or for [`connect`](Self::connect) the remote address's. [`bind`](Self::bind)
///   needs a local host or a family, as AnyIO's `create_udp_socket` does.
/// - [`connect`](Self::connect) resolves the remote host and connects to its first address
///   of the local address's family.
/// - IPv6 sockets are `IPV6_V6ONLY`, as [`UdpSocket::bind`] makes them.
///
/// # Examples
/// ```
/// use anyio::net::{AddressFamily, UdpSocketBuilder};
///
/// anyio::run(async {
///     let server = UdpSocketBuilder::new().family(AddressFamily::Ipv6).bind().await.unwrap();
///     let port = server.local_addr().unwrap().port();
///     let client = UdpSocketBuilder::new()
///         .local_host("::1")
///         .reuse_port(true)
///         .connect("::1", port)
///         .await
///         .unwrap();
///     assert_eq!(client.peer_addr().unwrap(), (std::net::Ipv6Addr::LOCALHOST, port).into());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct UdpSocketBuilder {
    local_host: Option<String>,
    local_port: u16,
    family: Option<AddressFamily>,
    reuse_port: bool,
}

impl UdpSocketBuilder {
    /// No local host, port 0, any family, no `SO_REUSEPORT`.
    ///
    /// # Examples
    /// See [`UdpSocketBuilder`].
    pub fn new() -> Self {
        UdpSocketBuilder::default()
    }

    /// Binds to the first address of `host` (AnyIO's `local_host`).
    ///
    /// # Examples
    /// See [`UdpSocketBuilder`].
    pub fn local_host(mut self, host: impl Into<String>) -> Self {
        self.local_host = Some(host.into());
        self
    }

    /// Binds to `port` (AnyIO's `local_port`; 0, the default: one the system picks).
    ///
    /// # Examples
    /// See [`create_udp_socket`].
    pub fn local_port(mut self, port: u16) -> Self {
        self.local_port = port;
        self
    }

    /// Uses only addresses of `family` (AnyIO's `family`): [`AddressFamily::Ipv4`] or
    /// [`AddressFamily::Ipv6`].
    ///
    /// # Examples
    /// See [`UdpSocketBuilder`].
    pub fn family(mut self, family: AddressFamily) -> Self {
        self.family = Some(family);
        self
    }

    /// Sets `SO_REUSEPORT` (AnyIO's `reuse_port`), so that several sockets may bind the same
    /// address and port.
    ///
    /// # Examples
    /// See [`UdpSocketBuilder`].
    pub fn reuse_port(mut self, reuse_port: bool) -> Self {
        self.reuse_port = reuse_port;
        self
    }

    /// Makes the socket, unconnected.
    ///
    /// # Errors
    /// `InvalidInput` with neither a local host nor a family, or with a family that is not
    /// IP; the resolver's error (`NotFound` when the host has no address of the family); the
    /// system's error binding the socket.
    ///
    /// # Cancel safety
    /// Cancel safe: dropped while the name resolves, it has made no socket.
    ///
    /// # Examples
    /// See [`UdpSocketBuilder`].
    pub async fn bind(&self) -> io::Result<UdpSocket> {
        let local = match self.local().await? {
            Some(local) => local,
            None => match self.family {
                Some(family) => unspecified(family, self.local_port)?,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "a UDP socket needs a local host or an address family to bind to",
                    ));
                }
            },
        };
        UdpSocket::bind_with(local, self.reuse_port)
    }

    /// Makes the socket and connects it to the first address of `remote_host` (a name or
    /// an IP literal) at `remote_port`, of the local address's family when there is a local
    /// host.
    ///
    /// # Errors
    /// `InvalidInput` with a family that is not IP; the resolver's error for either host
    /// (`NotFound` when the remote host has no address of the family); the system's error
    /// binding or connecting the socket.
    ///
    /// # Cancel safety
    /// Cancel safe: dropped while a name resolves, it has made no socket.
    ///
    /// # Examples
    /// See [`UdpSocketBuilder`].
    pub async fn connect(
        &self,
        remote_host: &str,
        remote_port: u16,
    ) -> io::Result<ConnectedUdpSocket> {
        let local = self.local().await?;
        let family = match local {
            Some(local) => Some(AddressFamily::of(&local)),
            None => self.family,
        };
        let remote = first_of(
            getaddrinfo(remote_host, remote_port).await?,
            family,
            remote_host,
        )?;
        let local = match local {
            Some(local) => local,
            None => unspecified(AddressFamily::of(&remote), self.local_port)?,
        };
        let socket = UdpSocket::bind_with(local, self.reuse_port)?;
        socket.connect(remote).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot connect a UDP socket to {remote}: {error}"),
            )
        })
    }

    /// The local host's first address (of the family), if there is a local host.
    async fn local(&self) -> io::Result<Option<SocketAddr>> {
        if let Some(family) = self.family {
            unspecified(family, 0)?; // rejects a family that is not IP before any lookup
        }
        match &self.local_host {
            Some(host) => {
                let addresses = getaddrinfo(host, self.local_port).await?;
                first_of(addresses, self.family, host).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// The first of `host`'s `addresses` of `family` (any, if `None`).
fn first_of(
    addresses: Vec<SocketAddr>,
    family: Option<AddressFamily>,
    host: &str,
) -> io::Result<SocketAddr> {
    addresses
        .into_iter()
        .find(|address| family.is_none_or(|family| AddressFamily::of(address) == family))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{host:?} has no address of the family {family:?}"),
            )
        })
}

/// The unspecified address of `family` at `port`.
fn unspecified(family: AddressFamily, port: u16) -> io::Result<SocketAddr> {
    match family {
        AddressFamily::Ipv4 => Ok(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))),
        AddressFamily::Ipv6 => Ok(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port))),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a UDP socket cannot be of the family {other:?}"),
        )),
    }
}
