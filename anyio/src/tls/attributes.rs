//! The typed attributes of TLS streams (AnyIO's `TLSAttribute`), asked for with
//! [`extra`](crate::streams::TypedAttributeProvider::extra). A TLS stream also answers for
//! its transport, so its socket attributes are there too.

use rustls::pki_types::CertificateDer;

use crate::streams::TypedAttribute;

/// The protocol the peers agreed on by ALPN, or `None` if they did not (AnyIO's
/// `TLSAttribute.alpn_protocol`).
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs_with_alpn(&[b"http/1.1"]);
/// use anyio::streams::TypedAttributeProvider;
/// use anyio::tls::AlpnProtocol;
///
/// anyio::run(async move {
///     let (client, _server) = tls_pair(client_config, server_config).await;
///     assert_eq!(client.extra(AlpnProtocol).unwrap().as_deref(), Some(&b"http/1.1"[..]));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AlpnProtocol;

impl TypedAttribute for AlpnProtocol {
    type Value = Option<Vec<u8>>;
}

/// The peer's own certificate, DER-encoded, or `None` if it sent none (AnyIO's
/// `TLSAttribute.peer_certificate_binary`). The whole chain is
/// [`TlsStream::peer_certificates`](super::TlsStream::peer_certificates).
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::streams::TypedAttributeProvider;
/// use anyio::tls::PeerCertificate;
///
/// anyio::run(async move {
///     let (client, server) = tls_pair(client_config, server_config).await;
///     assert!(client.extra(PeerCertificate).unwrap().is_some());
///     assert!(server.extra(PeerCertificate).unwrap().is_none());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PeerCertificate;

impl TypedAttribute for PeerCertificate {
    type Value = Option<CertificateDer<'static>>;
}

/// The TLS version in use (AnyIO's `TLSAttribute.tls_version`).
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::streams::TypedAttributeProvider;
/// use anyio::tls::TlsVersion;
///
/// anyio::run(async move {
///     let (client, _server) = tls_pair(client_config, server_config).await;
///     assert_eq!(client.extra(TlsVersion).unwrap(), rustls::ProtocolVersion::TLSv1_3);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TlsVersion;

impl TypedAttribute for TlsVersion {
    type Value = rustls::ProtocolVersion;
}

/// The cipher suite in use (AnyIO's `TLSAttribute.cipher`).
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::streams::TypedAttributeProvider;
/// use anyio::tls::CipherSuite;
///
/// anyio::run(async move {
///     let (client, server) = tls_pair(client_config, server_config).await;
///     assert_eq!(client.extra(CipherSuite).unwrap(), server.extra(CipherSuite).unwrap());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CipherSuite;

impl TypedAttribute for CipherSuite {
    type Value = rustls::CipherSuite;
}

/// Whether the stream is the server side of its session (AnyIO's `TLSAttribute.server_side`).
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::streams::TypedAttributeProvider;
/// use anyio::tls::ServerSide;
///
/// anyio::run(async move {
///     let (client, server) = tls_pair(client_config, server_config).await;
///     assert_eq!((client.extra(ServerSide).unwrap(), server.extra(ServerSide).unwrap()), (false, true));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ServerSide;

impl TypedAttribute for ServerSide {
    type Value = bool;
}

/// Whether a transport that ends without `close_notify` is an error (AnyIO's
/// `TLSAttribute.standard_compatible`; see [`TlsStream`](super::TlsStream)).
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::streams::TypedAttributeProvider;
/// use anyio::tls::StandardCompatible;
///
/// anyio::run(async move {
///     let (client, _server) = tls_pair(client_config, server_config).await;
///     assert!(client.extra(StandardCompatible).unwrap());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StandardCompatible;

impl TypedAttribute for StandardCompatible {
    type Value = bool;
}
