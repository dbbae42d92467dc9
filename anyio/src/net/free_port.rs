//! [`free_tcp_port`] and [`free_udp_port`]: ports for tests (AnyIO's `free_tcp_port_factory`
//! and `free_udp_port_factory` pytest fixtures).

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::{Mutex, PoisonError};

/// Ports handed out by this process, per protocol: never handed out twice.
static GIVEN: Mutex<Option<HashSet<(Protocol, u16)>>> = Mutex::new(None);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Protocol {
    Tcp,
    Udp,
}

/// How many ports the system is asked for before giving up (each one it hands out that was
/// already given to this process counts).
const ATTEMPTS: usize = 100;

/// A TCP port that was free on the loopback addresses (127.0.0.1 and, where the system has
/// it, ::1) when asked, and that this function has not returned before in this process.
///
/// For a test that must know a port before it binds (a server started in a child process, a
/// configuration file); a test that binds itself should bind port 0 and ask the socket. Another
/// process may still take the port between this call and the bind: the system picks ports from
/// its ephemeral range, so that is rare, not impossible.
///
/// # Errors
/// When binding fails, or the system keeps handing out ports already returned.
///
/// # Examples
/// ```
/// let port = anyio::net::free_tcp_port()?;
/// let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
/// assert_ne!(anyio::net::free_tcp_port()?, port, "never the same port twice");
/// # drop(listener);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn free_tcp_port() -> io::Result<u16> {
    free_port(Protocol::Tcp)
}

/// A UDP port that was free on the loopback addresses when asked, and that this function has
/// not returned before in this process; see [`free_tcp_port`].
///
/// # Errors
/// When binding fails, or the system keeps handing out ports already returned.
///
/// # Examples
/// ```
/// let port = anyio::net::free_udp_port()?;
/// let socket = std::net::UdpSocket::bind(("127.0.0.1", port))?;
/// # drop(socket);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn free_udp_port() -> io::Result<u16> {
    free_port(Protocol::Udp)
}

fn free_port(protocol: Protocol) -> io::Result<u16> {
    for _ in 0..ATTEMPTS {
        let port = bind_any(protocol, Ipv4Addr::LOCALHOST.into(), 0)?;
        // Free on ::1 as well, where the system has IPv6 (a test may bind "localhost").
        match bind_any(protocol, Ipv6Addr::LOCALHOST.into(), port) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => continue,
            // No IPv6 loopback here: the IPv4 answer stands.
            Err(_) => {}
        }
        let mut given = GIVEN.lock().unwrap_or_else(PoisonError::into_inner);
        if given
            .get_or_insert_with(HashSet::new)
            .insert((protocol, port))
        {
            return Ok(port);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("no new free port in {ATTEMPTS} attempts"),
    ))
}

/// Binds `ip:port` for a moment and returns the port bound.
fn bind_any(protocol: Protocol, ip: std::net::IpAddr, port: u16) -> io::Result<u16> {
    let address = SocketAddr::new(ip, port);
    let bound = match protocol {
        Protocol::Tcp => TcpListener::bind(address)?.local_addr()?,
        Protocol::Udp => UdpSocket::bind(address)?.local_addr()?,
    };
    Ok(bound.port())
}
