//! TLS (AnyIO's `TLSStream` and `TLSListener`) with [rustls](https://docs.rs/rustls), over any
//! anyio byte stream, on either backend. Requires the `tls` feature.
//!
//! - [`TlsConnector`] runs the client's handshake over a transport and gives a
//!   [`TlsStream`]; [`TcpConnector::connect_tls`](crate::net::TcpConnector::connect_tls)
//!   connects by TCP and shakes hands in one go.
//! - [`TlsAcceptor`] runs the server's handshake; a [`TlsListener`] runs it on every
//!   connection of a listener, dropping those that fail or take too long, and logging them
//!   or telling a [hook](TlsListener::on_handshake_error).
//! - A [`TlsStream`] is a [`ByteStream`](crate::streams::ByteStream), and an `AsyncRead` +
//!   `AsyncWrite` of both the `futures-io` and `tokio::io` families.
//!
//! | AnyIO | anyio |
//! |---|---|
//! | `TLSStream.wrap(transport, hostname=…, ssl_context=…)` | [`TlsConnector::connect`] |
//! | `TLSStream.wrap(transport, server_side=True, …)` | [`TlsAcceptor::accept`] |
//! | `TLSListener(listener, ssl_context, handshake_timeout=…)` | [`TlsListener`] |
//! | `TLSListener.handle_handshake_error` | [`TlsListener::on_handshake_error`], [`HandshakeError`] |
//! | `connect_tcp(…, tls=True)` | [`TcpConnector::connect_tls`](crate::net::TcpConnector::connect_tls) |
//! | `standard_compatible=False` | [`TlsConnector::standard_compatible`], [`TlsAcceptor::standard_compatible`] |
//! | `TLSAttribute.*` | [`AlpnProtocol`], [`PeerCertificate`], [`TlsVersion`], [`CipherSuite`], [`ServerSide`], [`StandardCompatible`] |
//! | `ssl.SSLContext` | rustls's [`ClientConfig`](rustls::ClientConfig), [`ServerConfig`](rustls::ServerConfig) |
//!
//! # Configuration and crypto providers
//! The rustls configurations say everything about a session: the certificates trusted (a
//! client's root store: `webpki-roots` or `rustls-native-certs` for the public ones), the
//! certificate presented, ALPN protocols, client authentication. anyio re-exports the
//! [`rustls`] it uses, but enables none of its crypto providers, so that the application
//! picks one: enable rustls's `aws-lc-rs` (its default) or `ring` feature in your own
//! `Cargo.toml`, and build configurations with `builder()` or `builder_with_provider`.
//!
//! # Ends of streams
//! TLS marks the end of a stream with a `close_notify` alert, so that an attacker cannot cut
//! the data short by ending the connection. A transport that ends without one is an error
//! ([`StreamError::Broken`](crate::streams::StreamError::Broken)) unless the stream was made
//! not standard compatible. See [`TlsStream`] for `send_eof` and `aclose`.
//!
//! # Examples
//! A server and a client on loopback, with a certificate made on the spot (by `rcgen`) and
//! the `ring` provider:
//! ```
//! use std::sync::Arc;
//!
//! use anyio::net::{TcpConnector, TcpListener};
//! use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener};
//! use anyio::tls::{TlsAcceptor, TlsConnector, TlsListener};
//! use rustls::pki_types::PrivateKeyDer;
//!
//! let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
//! let certificate = certified.cert.der().clone();
//! let key = PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//!
//! let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
//!     .with_safe_default_protocol_versions()
//!     .unwrap()
//!     .with_no_client_auth()
//!     .with_single_cert(vec![certificate.clone()], key)
//!     .unwrap();
//! let mut roots = rustls::RootCertStore::empty();
//! roots.add(certificate).unwrap();
//! let client_config = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()
//!     .unwrap()
//!     .with_root_certificates(roots)
//!     .with_no_client_auth();
//!
//! anyio::run(async move {
//!     let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
//!     let port = tcp.local_addr().unwrap().port();
//!     let mut listener = TlsListener::new(tcp, TlsAcceptor::new(Arc::new(server_config)));
//!
//!     anyio::task_group(|tg| async move {
//!         tg.spawn(async move {
//!             listener.serve(|mut stream| async move {
//!                 let mut buf = [0; 64];
//!                 while let Ok(n) = stream.receive(&mut buf).await {
//!                     if stream.send(&buf[..n]).await.is_err() {
//!                         break;
//!                     }
//!                 }
//!             }).await;
//!         });
//!
//!         let connector = TlsConnector::new(Arc::new(client_config));
//!         let mut stream = TcpConnector::new("localhost", port).connect_tls(&connector).await?;
//!         stream.send(b"private").await?;
//!         let mut buf = [0; 64];
//!         let n = stream.receive(&mut buf).await?;
//!         assert_eq!(&buf[..n], b"private");
//!         tg.cancel();
//!         Ok::<_, std::io::Error>(())
//!     })
//!     .await
//!     .unwrap();
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

mod attributes;
mod connector;
mod engine;
mod handshake_error;
mod listener;
mod stream;

pub use attributes::{
    AlpnProtocol, CipherSuite, PeerCertificate, ServerSide, StandardCompatible, TlsVersion,
};
pub use connector::{TlsAcceptor, TlsConnector};
pub use handshake_error::HandshakeError;
pub(crate) use handshake_error::rustls_error_of;
pub use listener::TlsListener;
pub use stream::TlsStream;

/// The rustls this crate is built with, for making configurations of the same version.
pub use rustls;
