//! [`TlsConnector`] and [`TlsAcceptor`]: the two ends of a TLS handshake over a transport.

use std::fmt;
use std::io;
use std::sync::Arc;

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

use super::TlsStream;

/// The client side of TLS (AnyIO's `TLSStream.wrap` with a `hostname`): wraps transports in
/// TLS sessions to servers, verifying them with a rustls [`ClientConfig`].
///
/// Cheap to clone: the configuration is shared.
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::net::{TcpListener, TcpStream};
/// use anyio::tls::{TlsAcceptor, TlsConnector};
///
/// anyio::run(async move {
///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let address = listener.local_addr().unwrap();
///     let connector = TlsConnector::new(client_config);
///     let acceptor = TlsAcceptor::new(server_config);
///     let (client, server) = futures_lite::future::zip(
///         async { connector.connect("localhost", TcpStream::connect(address).await?).await },
///         async { acceptor.accept(listener.accept().await?.0).await },
///     )
///     .await;
///     assert!(client.unwrap().peer_certificates().is_some());
///     assert!(server.unwrap().is_server());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    standard_compatible: bool,
}

impl TlsConnector {
    /// A connector using `config`: its root certificates, ALPN protocols, client
    /// certificate and so on. Its streams are standard compatible.
    ///
    /// # Examples
    /// See [`TlsConnector`].
    pub fn new(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector {
            config,
            standard_compatible: true,
        }
    }

    /// Whether the streams this makes treat a transport that ends without `close_notify` as
    /// an error, and send `close_notify` when closed (AnyIO's `standard_compatible`; `true`
    /// by default). Turn it off for peers known to end connections abruptly, where the
    /// protocol above marks its own ends (HTTP with a content length, say).
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, _) = tls_configs();
    /// let connector = anyio::tls::TlsConnector::new(client_config).standard_compatible(false);
    /// ```
    pub fn standard_compatible(mut self, standard_compatible: bool) -> TlsConnector {
        self.standard_compatible = standard_compatible;
        self
    }

    /// The configuration.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, _) = tls_configs();
    /// let connector = anyio::tls::TlsConnector::new(client_config);
    /// assert!(connector.config().alpn_protocols.is_empty());
    /// ```
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Runs the client's handshake over `transport`, for the server named `server_name` (a
    /// DNS name in ASCII, or an IP address): it is sent as SNI, and the server's certificate
    /// must be valid for it.
    ///
    /// # Errors
    /// `InvalidInput` if `server_name` is neither a DNS name nor an IP address (names in
    /// other scripts need their ASCII form, `xn--…`); `InvalidData`, carrying the
    /// [`rustls::Error`], if the handshake fails (a certificate that does not verify, no
    /// protocol in common); `UnexpectedEof` if the transport ends during it; the transport's
    /// errors.
    ///
    /// # Cancel safety
    /// Dropping the future drops the transport, half-way through the handshake.
    ///
    /// # Examples
    /// See [`TlsConnector`].
    pub async fn connect<S>(&self, server_name: &str, transport: S) -> io::Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(server_name).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{server_name:?} is neither a DNS name nor an IP address"),
            )
        })?;
        let conn = ClientConnection::new(Arc::clone(&self.config), name.to_owned())
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        TlsStream::handshake(
            transport,
            Connection::Client(conn),
            self.standard_compatible,
        )
        .await
    }
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector::new(config)
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("alpn_protocols", &self.config.alpn_protocols)
            .field("standard_compatible", &self.standard_compatible)
            .finish_non_exhaustive()
    }
}

/// The server side of TLS (AnyIO's `TLSStream.wrap(server_side=True)`): wraps accepted
/// transports in TLS sessions, presenting the certificate of a rustls [`ServerConfig`].
/// To serve a listener, see [`TlsListener`](super::TlsListener).
///
/// Cheap to clone: the configuration is shared.
///
/// # Examples
/// See [`TlsConnector`].
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    standard_compatible: bool,
}

impl TlsAcceptor {
    /// An acceptor using `config`. Its streams are standard compatible.
    ///
    /// # Examples
    /// See [`TlsConnector`].
    pub fn new(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor {
            config,
            standard_compatible: true,
        }
    }

    /// As [`TlsConnector::standard_compatible`], for the streams this accepts.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// let acceptor = anyio::tls::TlsAcceptor::new(server_config).standard_compatible(false);
    /// ```
    pub fn standard_compatible(mut self, standard_compatible: bool) -> TlsAcceptor {
        self.standard_compatible = standard_compatible;
        self
    }

    /// The configuration.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// let acceptor = anyio::tls::TlsAcceptor::new(server_config);
    /// assert!(acceptor.config().alpn_protocols.is_empty());
    /// ```
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Whether the streams this accepts are standard compatible.
    pub(super) fn is_standard_compatible(&self) -> bool {
        self.standard_compatible
    }

    /// Runs the server's handshake over `transport`.
    ///
    /// # Errors
    /// `InvalidData`, carrying the [`rustls::Error`], if the handshake fails (a client that
    /// speaks no TLS, no protocol in common); `UnexpectedEof` if the transport ends during
    /// it; the transport's errors.
    ///
    /// # Cancel safety
    /// Dropping the future drops the transport, half-way through the handshake.
    ///
    /// # Examples
    /// See [`TlsConnector`].
    pub async fn accept<S>(&self, transport: S) -> io::Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ServerConnection::new(Arc::clone(&self.config))
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        TlsStream::handshake(
            transport,
            Connection::Server(conn),
            self.standard_compatible,
        )
        .await
    }
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor::new(config)
    }
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptor")
            .field("alpn_protocols", &self.config.alpn_protocols)
            .field("standard_compatible", &self.standard_compatible)
            .finish_non_exhaustive()
    }
}
