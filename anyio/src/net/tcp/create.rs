//! [`create_tcp_listener`]: listeners on every address of a host, on one port.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::TcpListener;
use super::listener::DEFAULT_BACKLOG;
use crate::net::{MultiListener, getaddrinfo};

/// How many ephemeral ports to try before giving up on one that is free on every address.
const PORT_TRIES: usize = 10;

/// Listens on every address of `host` (`None`: every interface), all on the same `port`
/// (0: one the system picks), AnyIO's `create_tcp_listener`.
///
/// Shorthand for [`TcpListenerBuilder`]; see it for the details and the other options.
///
/// # Errors
/// When the host does not resolve, or an address cannot be bound (in use, not local, ...).
///
/// # Examples
/// ```
/// use anyio::net::{TcpStream, create_tcp_listener};
/// use anyio::streams::Listener;
///
/// anyio::run(async {
///     let mut listener = create_tcp_listener(Some("localhost"), 0).await.unwrap();
///     let address = listener.listeners()[0].local_addr().unwrap();
///     let _client = TcpStream::connect(address).await.unwrap();
///     let _server = listener.accept().await.unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn create_tcp_listener(
    host: Option<&str>,
    port: u16,
) -> io::Result<MultiListener<TcpListener>> {
    let mut builder = TcpListenerBuilder::new().port(port);
    if let Some(host) = host {
        builder = builder.host(host);
    }
    builder.bind().await
}

/// The options of [`create_tcp_listener`].
///
/// - **A host** (a name or an IP literal): one listener per address it resolves to, all on
///   the same port. With port 0, the port the system picks for the first is asked of the
///   others; should it be taken on one of them, another is tried, up to 10 times.
/// - **No host**: one dual-stack socket on `::` that takes IPv4 connections too, or one on
///   `0.0.0.0` where the system has no IPv6.
/// - Every socket has `SO_REUSEADDR`; IPv6 sockets bound to a host are `IPV6_V6ONLY`, so that
///   the IPv4 listener beside them can share the port.
///
/// # Examples
/// ```
/// use anyio::net::TcpListenerBuilder;
///
/// anyio::run(async {
///     let listener = TcpListenerBuilder::new()
///         .host("127.0.0.1")
///         .backlog(128)
///         .reuse_port(true)
///         .bind()
///         .await
///         .unwrap();
///     assert_ne!(listener.listeners()[0].local_addr().unwrap().port(), 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TcpListenerBuilder {
    host: Option<String>,
    port: u16,
    backlog: i32,
    reuse_port: bool,
}

impl Default for TcpListenerBuilder {
    fn default() -> Self {
        TcpListenerBuilder::new()
    }
}

impl TcpListenerBuilder {
    /// Every interface, a port the system picks, a backlog of 65,536, no `SO_REUSEPORT`.
    ///
    /// # Examples
    /// See [`TcpListenerBuilder`].
    pub fn new() -> Self {
        TcpListenerBuilder {
            host: None,
            port: 0,
            backlog: DEFAULT_BACKLOG,
            reuse_port: false,
        }
    }

    /// Listens on the addresses of `host` only.
    ///
    /// # Examples
    /// See [`TcpListenerBuilder`].
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Listens on `port` (0, the default: one the system picks).
    ///
    /// # Examples
    /// See [`create_tcp_listener`].
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Lets at most `backlog` connections wait to be accepted (the system may cap it).
    ///
    /// # Examples
    /// See [`TcpListenerBuilder`].
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }

    /// Sets `SO_REUSEPORT`, so that several processes can listen on the same port and share
    /// its connections.
    ///
    /// # Examples
    /// See [`TcpListenerBuilder`].
    pub fn reuse_port(mut self, reuse_port: bool) -> Self {
        self.reuse_port = reuse_port;
        self
    }

    /// Binds the listeners.
    ///
    /// # Errors
    /// When the host does not resolve, or an address cannot be bound.
    ///
    /// # Examples
    /// See [`TcpListenerBuilder`].
    pub async fn bind(&self) -> io::Result<MultiListener<TcpListener>> {
        let listeners = match &self.host {
            Some(host) => {
                let mut ips: Vec<IpAddr> = getaddrinfo(host, self.port)
                    .await?
                    .iter()
                    .map(SocketAddr::ip)
                    .collect();
                ips.dedup();
                bind_all(&ips, self.port, self.backlog, self.reuse_port)?
            }
            None => vec![self.bind_every_interface()?],
        };
        Ok(MultiListener::new(listeners))
    }

    fn bind_every_interface(&self) -> io::Result<TcpListener> {
        let dual_stack = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), self.port);
        match TcpListener::bind_with(dual_stack, self.backlog, self.reuse_port, false) {
            Err(error) if error.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
                let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), self.port);
                TcpListener::bind_with(v4, self.backlog, self.reuse_port, true)
            }
            result => result,
        }
    }
}

/// One listener per address in `ips`, all on `port` (0: the same one the system picks for
/// the first).
pub(super) fn bind_all(
    ips: &[IpAddr],
    port: u16,
    backlog: i32,
    reuse_port: bool,
) -> io::Result<Vec<TcpListener>> {
    'tries: for _ in 0..PORT_TRIES {
        let mut listeners: Vec<TcpListener> = Vec::with_capacity(ips.len());
        let mut chosen = port;
        for &ip in ips {
            match TcpListener::bind_with(SocketAddr::new(ip, chosen), backlog, reuse_port, true) {
                Ok(listener) => {
                    if chosen == 0 {
                        chosen = listener.local_addr()?.port();
                    }
                    listeners.push(listener);
                }
                // The port picked for the first address is taken on this one: pick again.
                Err(error) if error.kind() == io::ErrorKind::AddrInUse && port == 0 => {
                    continue 'tries;
                }
                Err(error) => return Err(error),
            }
        }
        return Ok(listeners);
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!(
            "could not create {} listeners with a consistent port ({PORT_TRIES} ports tried)",
            ips.len()
        ),
    ))
}

#[cfg(all(test, feature = "macros"))]
mod tests {
    use super::bind_all;
    use std::net::IpAddr;

    #[crate::test]
    async fn every_address_gets_the_same_port() {
        let ips: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        let listeners = bind_all(&ips, 0, 16, false).unwrap();
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        assert_eq!(ports.len(), 2);
        assert_ne!(ports[0], 0);
        assert_eq!(ports[0], ports[1]);
        // A fixed port that is taken is an error, not a retry.
        let error = bind_all(&ips[..1], ports[0], 16, false).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    }
}
