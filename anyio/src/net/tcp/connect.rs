//! [`connect_tcp`]: a TCP connection to a host name, by Happy Eyeballs.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::TcpStream;
use crate::net;
use crate::sync::Event;

/// How long an attempt runs alone before the next one starts (AnyIO's and RFC 8305's
/// default).
const DEFAULT_DELAY: Duration = Duration::from_millis(250);

/// Connects to `host` (a name or an IP address literal) at `port`, trying its addresses by
/// Happy Eyeballs (AnyIO's `connect_tcp`).
///
/// Shorthand for [`TcpConnector::new(host, port).connect()`](TcpConnector::connect); see
/// [`TcpConnector`] for the options.
///
/// # Errors
/// [`ConnectError`]: the port is 0, the name does not resolve, or every attempt failed (each
/// attempt's error is kept).
///
/// # Cancel safety
/// Cancel safe: every attempt under way is abandoned and its socket closed.
///
/// # Examples
/// ```
/// use anyio::net::{TcpListener, connect_tcp};
///
/// anyio::run(async {
///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let port = listener.local_addr().unwrap().port();
///     let stream = connect_tcp("127.0.0.1", port).await.unwrap();
///     let (_server, peer) = listener.accept().await.unwrap();
///     assert_eq!(stream.local_addr().unwrap(), peer);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    TcpConnector::new(host, port).connect().await
}

/// The options of a TCP connection to a host name (AnyIO's `connect_tcp` keyword arguments).
///
/// [`connect`](Self::connect) resolves the host and tries its addresses by Happy Eyeballs
/// (RFC 6555, as AnyIO does):
/// - the first IPv6 address, then the first IPv4 address, then the rest, in the resolver's
///   order (an IP literal is a single attempt);
/// - each attempt runs alone for [`happy_eyeballs_delay`](Self::happy_eyeballs_delay), or until
///   it fails, before the next one starts beside it;
/// - the first connection made wins: the other attempts are cancelled, and any that succeeds
///   at the same moment is closed;
/// - if every attempt fails, the error holds each attempt's cause.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use anyio::net::{TcpConnector, TcpListener};
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let port = listener.local_addr().unwrap().port();
///     let stream = TcpConnector::new("localhost", port)
///         .happy_eyeballs_delay(Duration::from_millis(50))
///         .local_address("127.0.0.1:0".parse().unwrap())
///         .connect()
///         .await
///         .unwrap();
///     assert!(stream.local_addr().unwrap().ip().is_loopback());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TcpConnector {
    host: String,
    port: u16,
    delay: Duration,
    local: Option<SocketAddr>,
    #[cfg(feature = "tls")]
    tls_hostname: Option<String>,
}

impl TcpConnector {
    /// A connection to `host` (a name or an IP address literal) at `port`.
    ///
    /// # Examples
    /// See [`TcpConnector`].
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        TcpConnector {
            host: host.into(),
            port,
            delay: DEFAULT_DELAY,
            local: None,
            #[cfg(feature = "tls")]
            tls_hostname: None,
        }
    }

    /// How long each attempt runs alone before the next starts (250 ms by default).
    ///
    /// # Examples
    /// See [`TcpConnector`].
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Binds each attempt's socket to `local` first (AnyIO's `local_host` and `local_port`;
    /// port 0 lets the system pick). Only the host's addresses of `local`'s family are tried.
    ///
    /// # Examples
    /// See [`TcpConnector`].
    pub fn local_address(mut self, local: SocketAddr) -> Self {
        self.local = Some(local);
        self
    }

    /// Resolves the host and connects, by Happy Eyeballs.
    ///
    /// # Errors
    /// [`ConnectError`]: the port is 0, the name does not resolve (or has no address of the
    /// local address's family), or every attempt failed.
    ///
    /// # Cancel safety
    /// Cancel safe: every attempt under way is abandoned and its socket closed.
    ///
    /// # Examples
    /// See [`TcpConnector`].
    pub async fn connect(&self) -> Result<TcpStream, ConnectError> {
        let target = || format!("{}:{}", self.host, self.port);
        if self.port == 0 {
            return Err(ConnectError::new(target(), Failure::PortZero));
        }
        let mut addresses = net::getaddrinfo(&self.host, self.port)
            .await
            .map_err(|error| ConnectError::new(target(), Failure::Resolve(error)))?;
        if let Some(local) = self.local {
            addresses.retain(|address| address.is_ipv6() == local.is_ipv6());
            if addresses.is_empty() {
                let error = io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no address of the local address {local}'s family"),
                );
                return Err(ConnectError::new(target(), Failure::Resolve(error)));
            }
        }
        happy_eyeballs(interleave(addresses), self.local, self.delay)
            .await
            .map_err(|attempts| ConnectError::new(target(), Failure::Attempts(attempts)))
    }

    /// The name [`connect_tls`](Self::connect_tls) asks the server for, and verifies its
    /// certificate against (AnyIO's `tls_hostname`); the host by default. Requires the `tls`
    /// feature.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// use anyio::net::{TcpConnector, TcpListener};
    /// use anyio::tls::{TlsAcceptor, TlsConnector};
    ///
    /// anyio::run(async move {
    ///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let port = listener.local_addr().unwrap().port();
    ///     let (client, server) = futures_lite::future::zip(
    ///         TcpConnector::new("127.0.0.1", port)
    ///             .tls_hostname("localhost")
    ///             .connect_tls(&TlsConnector::new(client_config)),
    ///         async { TlsAcceptor::new(server_config).accept(listener.accept().await?.0).await },
    ///     )
    ///     .await;
    ///     assert_eq!(server.unwrap().server_name(), Some("localhost"));
    ///     assert!(client.is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls_hostname(mut self, name: impl Into<String>) -> Self {
        self.tls_hostname = Some(name.into());
        self
    }

    /// Connects as [`connect`](Self::connect) does, then runs the TLS client's handshake
    /// with `tls` (AnyIO's `connect_tcp(..., tls=True)`). The server must present a
    /// certificate for the [TLS host name](Self::tls_hostname). Requires the `tls` feature.
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and a handshake that fails, whose error (an
    /// `io::Error` carrying the [`rustls::Error`], as from
    /// [`TlsConnector::connect`](crate::tls::TlsConnector::connect)) is the
    /// [`source`](Error::source), and whose rustls error
    /// [`ConnectError::rustls_error`] gives at once; the socket is closed.
    ///
    /// # Cancel safety
    /// Cancel safe: the connection attempts, or the connection whose handshake was under way,
    /// are closed.
    ///
    /// # Examples
    /// See [`tls`](crate::tls).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub async fn connect_tls(
        &self,
        tls: &crate::tls::TlsConnector,
    ) -> Result<crate::tls::TlsStream<TcpStream>, ConnectError> {
        let stream = self.connect().await?;
        let name = self.tls_hostname.as_deref().unwrap_or(&self.host);
        tls.connect(name, stream).await.map_err(|error| {
            ConnectError::new(
                format!("{}:{}", self.host, self.port),
                Failure::Handshake(error),
            )
        })
    }
}

/// The addresses in the order they are tried: the first IPv6, the first IPv4, then the rest.
fn interleave(mut addresses: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let mut ordered = Vec::with_capacity(addresses.len());
    for family_is_v6 in [true, false] {
        if let Some(at) = addresses.iter().position(|a| a.is_ipv6() == family_is_v6) {
            ordered.push(addresses.remove(at));
        }
    }
    ordered.extend(addresses);
    ordered
}

/// Runs the staggered attempts; the winner, or every attempt's error.
async fn happy_eyeballs(
    addresses: Vec<SocketAddr>,
    local: Option<SocketAddr>,
    delay: Duration,
) -> Result<TcpStream, Vec<(SocketAddr, io::Error)>> {
    if let [address] = addresses[..] {
        return TcpStream::connect_from(address, local)
            .await
            .map_err(|error| vec![(address, error)]);
    }
    let winner: Arc<Mutex<Option<TcpStream>>> = Arc::default();
    let failures: Arc<Mutex<Vec<(SocketAddr, io::Error)>>> = Arc::default();
    let (won, failed) = (Arc::clone(&winner), Arc::clone(&failures));
    // The group is cancelled by the first success; that outcome is read from `winner`.
    let _ = crate::task_group(|tg| async move {
        for address in addresses {
            let attempt_failed = Arc::new(Event::new());
            let (won, failed, group) = (Arc::clone(&won), Arc::clone(&failed), tg.clone());
            let failure_signal = Arc::clone(&attempt_failed);
            tg.spawn(async move {
                match TcpStream::connect_from(address, local).await {
                    Ok(stream) => {
                        let mut slot = won.lock().unwrap_or_else(|poison| poison.into_inner());
                        if slot.is_none() {
                            *slot = Some(stream);
                            group.cancel();
                        } // else: a later success, closed by being dropped here
                    }
                    Err(error) => {
                        failed
                            .lock()
                            .unwrap_or_else(|poison| poison.into_inner())
                            .push((address, error));
                        failure_signal.set();
                    }
                }
            });
            // The next attempt starts after the delay, or as soon as this one fails.
            let _ = crate::move_on_after(delay, attempt_failed.wait()).await;
        }
    })
    .await;
    let stream = winner
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .take();
    match stream {
        Some(stream) => Ok(stream),
        None => Err(std::mem::take(
            &mut *failures.lock().unwrap_or_else(|poison| poison.into_inner()),
        )),
    }
}

/// Why [`connect_tcp`] or [`TcpConnector::connect`] made no connection (AnyIO's
/// `ConnectionFailed` and "All connection attempts failed").
///
/// # Examples
/// ```
/// anyio::run(async {
///     let error = anyio::net::connect_tcp("not a host!", 80).await.unwrap_err();
///     assert!(error.attempts().is_empty(), "the name did not resolve");
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
///     assert!(error.to_string().starts_with("cannot connect to not a host!:80"), "{error}");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct ConnectError {
    target: String,
    failure: Failure,
}

#[derive(Debug)]
enum Failure {
    PortZero,
    Resolve(io::Error),
    Attempts(Vec<(SocketAddr, io::Error)>),
    /// Connected, but the TLS handshake failed.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Handshake(io::Error),
}

impl ConnectError {
    fn new(target: String, failure: Failure) -> Self {
        ConnectError { target, failure }
    }

    /// Each address tried, with the error its attempt failed with, in the order they
    /// failed; empty if no attempt failed (the name did not resolve, the port was 0, or the
    /// TLS handshake failed).
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, connect_tcp};
    ///
    /// anyio::run(async {
    ///     let port = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap().local_addr().unwrap().port();
    ///     let error = connect_tcp("127.0.0.1", port).await.unwrap_err(); // nobody listens now
    ///     let (address, cause) = &error.attempts()[0];
    ///     assert_eq!(address.port(), port);
    ///     assert_eq!(cause.kind(), std::io::ErrorKind::ConnectionRefused);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn attempts(&self) -> &[(SocketAddr, io::Error)] {
        match &self.failure {
            Failure::Attempts(attempts) => attempts,
            _ => &[],
        }
    }

    /// rustls's error, when the connection was made but its TLS handshake (by
    /// [`connect_tls`](TcpConnector::connect_tls)) failed on the peer's messages: a
    /// certificate that does not verify, no protocol in common. Requires the `tls` feature.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// # let (stranger, _) = tls_configs(); // trusts another certificate authority
    /// use anyio::net::{TcpConnector, TcpListener};
    /// use anyio::tls::{TlsAcceptor, TlsConnector, rustls};
    ///
    /// anyio::run(async move {
    ///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let port = listener.local_addr().unwrap().port();
    ///     let (client, _server) = futures_lite::future::zip(
    ///         TcpConnector::new("localhost", port).connect_tls(&TlsConnector::new(stranger)),
    ///         async { TlsAcceptor::new(server_config).accept(listener.accept().await?.0).await },
    ///     )
    ///     .await;
    ///     let error = client.unwrap_err();
    ///     assert!(matches!(error.rustls_error(), Some(rustls::Error::InvalidCertificate(_))));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn rustls_error(&self) -> Option<&rustls::Error> {
        match &self.failure {
            Failure::Handshake(error) => crate::tls::rustls_error_of(error),
            _ => None,
        }
    }

    /// The kind of the error: `InvalidInput` for port 0, the resolver's kind, or that of the
    /// first attempt's error.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let error = anyio::net::connect_tcp("127.0.0.1", 0).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        match &self.failure {
            Failure::PortZero => io::ErrorKind::InvalidInput,
            Failure::Resolve(error) | Failure::Handshake(error) => error.kind(),
            Failure::Attempts(attempts) => attempts
                .first()
                .map_or(io::ErrorKind::Other, |(_, error)| error.kind()),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to {}: ", self.target)?;
        match &self.failure {
            Failure::PortZero => f.write_str("port 0 is not a port one can connect to"),
            Failure::Resolve(error) => write!(f, "{error}"),
            Failure::Handshake(error) => write!(f, "the TLS handshake failed: {error}"),
            Failure::Attempts(attempts) => {
                write!(f, "all {} connection attempts failed", attempts.len())?;
                // The attempts' own messages already name their address.
                for (_, error) in attempts {
                    write!(f, "; {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.failure {
            Failure::PortZero => None,
            Failure::Resolve(error) | Failure::Handshake(error) => Some(error),
            Failure::Attempts(attempts) => attempts.first().map(|(_, error)| error as _),
        }
    }
}

impl From<ConnectError> for io::Error {
    fn from(error: ConnectError) -> Self {
        io::Error::new(error.kind(), error)
    }
}

#[cfg(test)]
mod tests {
    use super::interleave;
    use std::net::SocketAddr;

    #[test]
    fn the_first_of_each_family_go_first() {
        let parse = |list: &[&str]| -> Vec<SocketAddr> {
            list.iter().map(|a| a.parse().unwrap()).collect()
        };
        let resolved = parse(&["1.1.1.1:1", "2.2.2.2:1", "[::1]:1", "[::2]:1", "3.3.3.3:1"]);
        assert_eq!(
            interleave(resolved),
            parse(&["[::1]:1", "1.1.1.1:1", "2.2.2.2:1", "[::2]:1", "3.3.3.3:1"])
        );
        assert_eq!(interleave(parse(&["9.9.9.9:1"])), parse(&["9.9.9.9:1"]));
    }
}

#[cfg(all(test, feature = "macros"))]
mod happy_eyeballs_tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::happy_eyeballs;
    use crate::net::TcpListener;

    /// A listener whose accept queue is full, so that a further connect's handshake stalls
    /// (the system drops its SYN), with the connection that fills it.
    fn stalled_listener(address: &str) -> (socket2::Socket, Vec<std::net::TcpStream>) {
        let address: SocketAddr = address.parse().unwrap();
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(address),
            socket2::Type::STREAM,
            None,
        )
        .unwrap();
        socket.bind(&address.into()).unwrap();
        socket.listen(0).unwrap();
        let bound = socket.local_addr().unwrap().as_socket().unwrap();
        let fillers = (0..2)
            .filter_map(|_| {
                std::net::TcpStream::connect_timeout(&bound, Duration::from_millis(200)).ok()
            })
            .collect();
        (socket, fillers)
    }

    #[crate::test]
    async fn a_stalled_attempt_gives_way_to_the_next() {
        let (stalled, _fillers) = stalled_listener("[::1]:0");
        let stalled_address = stalled.local_addr().unwrap().as_socket().unwrap();
        let lone = crate::move_on_after(
            Duration::from_millis(200),
            crate::net::TcpStream::connect(stalled_address),
        )
        .await;
        assert!(lone.is_none(), "the stalled listener must stall: {lone:?}");

        let mut working = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let working_address = working.local_addr().unwrap();
        let stream = crate::fail_after(
            Duration::from_secs(10),
            happy_eyeballs(
                vec![stalled_address, working_address],
                None,
                Duration::from_millis(20),
            ),
        )
        .await
        .expect("the second attempt wins long before the first's retries")
        .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), working_address);
        let (_server, peer) = working.accept().await.unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
    }

    /// An address nobody listens on: a port bound a moment ago and released.
    fn refused(address: &str) -> SocketAddr {
        TcpListener::bind(address.parse().unwrap())
            .unwrap()
            .local_addr()
            .unwrap()
    }

    #[crate::test]
    async fn a_failed_attempt_starts_the_next_at_once() {
        let working = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let working_address = working.local_addr().unwrap();
        // With a one-hour delay, only the refusal can start the second attempt in time.
        let stream = crate::fail_after(
            Duration::from_secs(10),
            happy_eyeballs(
                vec![refused("[::1]:0"), working_address],
                None,
                Duration::from_secs(3600),
            ),
        )
        .await
        .expect("the refusal starts the next attempt")
        .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), working_address);
    }

    #[crate::test]
    async fn when_every_attempt_fails_each_cause_is_kept() {
        let addresses = vec![refused("[::1]:0"), refused("127.0.0.1:0")];
        let failures = happy_eyeballs(addresses.clone(), None, Duration::from_millis(10))
            .await
            .unwrap_err();
        assert_eq!(failures.len(), 2);
        for (address, error) in &failures {
            assert!(addresses.contains(address));
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
        }
    }
}
