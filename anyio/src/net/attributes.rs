//! The typed attributes of sockets (AnyIO's `SocketAttribute`), asked for with
//! [`extra`](crate::streams::TypedAttributeProvider::extra).

use std::net::SocketAddr;
use std::os::fd::RawFd;

use crate::streams::TypedAttribute;

/// The address the socket is bound to (AnyIO's `SocketAttribute.local_address`).
///
/// # Examples
/// ```
/// use anyio::net::{LocalAddress, TcpListener};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     assert!(listener.extra(LocalAddress).unwrap().ip().is_loopback());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LocalAddress;

impl TypedAttribute for LocalAddress {
    type Value = SocketAddr;
}

/// The port the socket is bound to (AnyIO's `SocketAttribute.local_port`).
///
/// # Examples
/// ```
/// use anyio::net::{LocalPort, TcpListener};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     assert_ne!(listener.extra(LocalPort).unwrap(), 0, "the system picked a port");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LocalPort;

impl TypedAttribute for LocalPort {
    type Value = u16;
}

/// The address of the peer a connected socket talks to (AnyIO's
/// `SocketAttribute.remote_address`). Only connected sockets have it.
///
/// # Examples
/// See [`TcpStream`](super::TcpStream).
#[derive(Clone, Copy, Debug)]
pub struct RemoteAddress;

impl TypedAttribute for RemoteAddress {
    type Value = SocketAddr;
}

/// The port of the peer a connected socket talks to (AnyIO's `SocketAttribute.remote_port`).
///
/// # Examples
/// See [`TcpStream`](super::TcpStream).
#[derive(Clone, Copy, Debug)]
pub struct RemotePort;

impl TypedAttribute for RemotePort {
    type Value = u16;
}

/// The socket's address family (AnyIO's `SocketAttribute.family`).
///
/// # Examples
/// ```
/// use anyio::net::{AddressFamily, Family, TcpListener};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     assert_eq!(listener.extra(Family).unwrap(), AddressFamily::Ipv4);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Family;

impl TypedAttribute for Family {
    type Value = AddressFamily;
}

/// The socket's file descriptor (AnyIO's `SocketAttribute.raw_socket`). The socket still owns
/// it.
///
/// # Examples
/// ```
/// use anyio::net::{RawSocket, TcpListener};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     assert!(listener.extra(RawSocket).unwrap() >= 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawSocket;

impl TypedAttribute for RawSocket {
    type Value = RawFd;
}

/// An address family.
///
/// # Examples
/// ```
/// use anyio::net::AddressFamily;
///
/// let address: std::net::SocketAddr = "[::1]:80".parse().unwrap();
/// assert_eq!(AddressFamily::of(&address), AddressFamily::Ipv6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`).
    Ipv4,
    /// IPv6 (`AF_INET6`).
    Ipv6,
    /// UNIX domain sockets (`AF_UNIX`).
    Unix,
}

impl AddressFamily {
    /// The family of an IP socket address.
    ///
    /// # Examples
    /// See [`AddressFamily`].
    pub fn of(address: &SocketAddr) -> AddressFamily {
        match address {
            SocketAddr::V4(_) => AddressFamily::Ipv4,
            SocketAddr::V6(_) => AddressFamily::Ipv6,
        }
    }
}

/// Provides the attributes of an IP socket. The addresses are looked up (a system call each)
/// only for the attribute asked for; `peer` answers `None` for an unconnected socket.
pub(super) fn provide_ip_attributes(
    request: &mut crate::streams::AttributeRequest<'_>,
    local: impl Fn() -> Option<SocketAddr>,
    peer: impl Fn() -> Option<SocketAddr>,
    fd: RawFd,
) {
    request
        .provide_optional::<LocalAddress>(&local)
        .provide_optional::<LocalPort>(|| local().map(|address| address.port()))
        .provide_optional::<Family>(|| local().as_ref().map(AddressFamily::of))
        .provide_optional::<RemoteAddress>(&peer)
        .provide_optional::<RemotePort>(|| peer().map(|address| address.port()))
        .provide::<RawSocket>(|| fd);
}
