//! [`TlsStream`]: a byte stream encrypted with TLS over another byte stream.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::CertificateDer;
use rustls::{Connection, ProtocolVersion, SupportedCipherSuite};

use super::attributes::{
    AlpnProtocol, CipherSuite, PeerCertificate, ServerSide, StandardCompatible, TlsVersion,
};
use super::engine::Engine;
use crate::streams::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
    TypedAttributeProvider,
};

/// A TLS session over a transport byte stream (AnyIO's `TLSStream`): what is sent is
/// encrypted onto the transport, what is received is decrypted from it.
///
/// Made by [`TlsConnector::connect`](super::TlsConnector::connect) (the client side),
/// [`TlsAcceptor::accept`](super::TlsAcceptor::accept) (the server side), a
/// [`TlsListener`](super::TlsListener), or
/// [`TcpConnector::connect_tls`](crate::net::TcpConnector::connect_tls); the handshake is
/// over by then.
///
/// The transport is anything with `futures-io`'s `AsyncRead` and `AsyncWrite`: anyio's
/// TCP and UNIX streams, a [`FuturesIoStream`](crate::streams::FuturesIoStream), or a
/// `tokio::io` object inside a [`TokioIoStream`](crate::streams::TokioIoStream). The TLS
/// stream itself is a [`ByteStream`] (when the transport is an anyio stream too), and an
/// `AsyncRead` + `AsyncWrite` of **both** families, so hyper, tungstenite or a codec can run
/// over it on either backend.
///
/// # The end of the stream
/// The peer's `close_notify` is the end: [`StreamError::EndOfStream`] (`Ok(0)` from
/// `poll_read`). A transport that ends without one is a *ragged EOF*, which could be an
/// attacker cutting the data short: [`StreamError::Broken`] (an `UnexpectedEof` error from
/// `poll_read`), unless the stream is not
/// [standard compatible](super::TlsConnector::standard_compatible), in which case it is
/// the end of the stream too.
///
/// [`send_eof`](ByteStream::send_eof) (and `poll_close`/`poll_shutdown`) sends
/// `close_notify` and closes the transport's writing side. AnyIO refuses `send_eof` on TLS;
/// here it is the half close TLS 1.3 defines, and what `tokio-rustls` does on shutdown (a
/// TLS 1.2 peer usually answers by closing its side too).
/// [`aclose`](AsyncResource::aclose) sends `close_notify` (when standard compatible) and
/// closes the transport. It does not wait for the peer's `close_notify`.
///
/// # Cancel safety
/// `receive` is cancel safe: records read before the cancellation stay decrypted in the
/// session for the next receive. `send` is not: a send dropped midway may have sent part of
/// its bytes.
///
/// # Examples
/// ```
/// # use std::sync::Arc;
/// use anyio::net::UnixStream;
/// use anyio::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio::tls::{TlsAcceptor, TlsConnector};
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
///
/// anyio::run(async move {
///     let (client, server) = UnixStream::pair().unwrap();
///     let connector = TlsConnector::new(client_config);
///     let acceptor = TlsAcceptor::new(server_config);
///     let (client, server) = futures_lite::future::zip(
///         connector.connect("localhost", client),
///         acceptor.accept(server),
///     )
///     .await;
///     let (mut client, mut server) = (client.unwrap(), server.unwrap());
///
///     client.send(b"hello").await.unwrap();
///     let mut buf = [0; 16];
///     let n = server.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TlsStream<S> {
    engine: Engine<S>,
    /// The writing side of the transport has been closed (after `close_notify`).
    shut_down: bool,
    /// Closed by `aclose`: everything fails with `Closed`.
    closed: bool,
    /// The transport has been closed by `aclose` (which, cancelled, may not have got there).
    transport_closed: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Runs the handshake of `conn` over `io`.
    pub(super) async fn handshake(
        io: S,
        conn: Connection,
        standard_compatible: bool,
    ) -> io::Result<TlsStream<S>> {
        let mut engine = Engine {
            io,
            conn,
            standard_compatible,
            eof_sent: false,
            write_error: None,
        };
        poll_fn(|cx| engine.poll_handshake(cx)).await?;
        Ok(TlsStream {
            engine,
            shut_down: false,
            closed: false,
            transport_closed: false,
        })
    }
}

impl<S> TlsStream<S> {
    /// The protocol the peers agreed on by ALPN, if they did.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs_with_alpn(&[b"h2"]);
    /// anyio::run(async move {
    ///     let (client, server) = tls_pair(client_config, server_config).await;
    ///     assert_eq!(client.alpn_protocol(), Some(&b"h2"[..]));
    ///     assert_eq!(server.alpn_protocol(), Some(&b"h2"[..]));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.engine.conn.alpn_protocol()
    }

    /// The peer's certificate chain, its own certificate first: the server's, on the client
    /// side; on the server side, the client's if it was asked for one and sent it.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, server) = tls_pair(client_config, server_config).await;
    ///     assert_eq!(client.peer_certificates().map(<[_]>::len), Some(1));
    ///     assert!(server.peer_certificates().is_none()); // no client authentication
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.engine.conn.peer_certificates()
    }

    /// The TLS version in use.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, _server) = tls_pair(client_config, server_config).await;
    ///     assert_eq!(client.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.engine.conn.protocol_version()
    }

    /// The cipher suite in use.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, server) = tls_pair(client_config, server_config).await;
    ///     assert_eq!(client.cipher_suite(), server.cipher_suite());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cipher_suite(&self) -> Option<SupportedCipherSuite> {
        self.engine.conn.negotiated_cipher_suite()
    }

    /// Whether this is the server side of the session.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, server) = tls_pair(client_config, server_config).await;
    ///     assert!(!client.is_server() && server.is_server());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_server(&self) -> bool {
        matches!(self.engine.conn, Connection::Server(_))
    }

    /// On the server side, the name the client asked for (SNI), if it sent one.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, server) = tls_pair(client_config, server_config).await;
    ///     assert_eq!(server.server_name(), Some("localhost"));
    ///     assert_eq!(client.server_name(), None);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn server_name(&self) -> Option<&str> {
        match &self.engine.conn {
            Connection::Server(conn) => conn.server_name(),
            Connection::Client(_) => None,
        }
    }

    /// Whether a transport that ends without `close_notify` is an error (see [`TlsStream`]).
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, _server) = tls_pair(client_config, server_config).await;
    ///     assert!(client.is_standard_compatible());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_standard_compatible(&self) -> bool {
        self.engine.standard_compatible
    }

    /// The rustls session, for what this type does not expose (exporting keying material,
    /// say).
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, _server) = tls_pair(client_config, server_config).await;
    ///     assert!(!client.connection().is_handshaking());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn connection(&self) -> &Connection {
        &self.engine.conn
    }

    /// The transport.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, _server) = tls_pair(client_config, server_config).await;
    ///     assert!(client.get_ref().peer_addr().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.engine.io
    }

    /// The transport, mutably. Reading or writing it directly corrupts the session.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (mut client, _server) = tls_pair(client_config, server_config).await;
    ///     client.get_mut().set_nodelay(false).unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.engine.io
    }

    /// Takes the transport back, abandoning the session without closing it: records the
    /// peer has already sent, plaintext not yet read, and records not yet sent (of writes
    /// not flushed) are lost.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (client_config, server_config) = tls_configs();
    /// anyio::run(async move {
    ///     let (client, _server) = tls_pair(client_config, server_config).await;
    ///     let tcp: anyio::net::TcpStream = client.into_inner();
    ///     assert!(tcp.peer_addr().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_inner(self) -> S {
        self.engine.io
    }

    fn check_open(&self) -> io::Result<()> {
        if self.closed {
            return Err(StreamError::Closed.into());
        }
        Ok(())
    }

    fn check_writable(&self) -> io::Result<()> {
        self.check_open()?;
        if self.engine.eof_sent {
            return Err(StreamError::Closed.into());
        }
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    fn poll_read_slice(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.check_open()?;
        self.engine.poll_read(cx, buf)
    }

    fn poll_write_slice(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check_writable()?;
        self.engine.poll_write(cx, buf)
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check_open()?;
        self.engine.poll_flush(cx)
    }

    /// `close_notify`, then the transport's writing side; once.
    fn poll_shut_down(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check_open()?;
        if self.shut_down {
            return Poll::Ready(Ok(()));
        }
        ready!(self.engine.poll_shutdown(cx))?;
        self.shut_down = true;
        Poll::Ready(Ok(()))
    }
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let conn = &self.engine.conn;
        f.debug_struct("TlsStream")
            .field("server", &self.is_server())
            .field("version", &conn.protocol_version())
            .field(
                "alpn_protocol",
                &conn.alpn_protocol().map(String::from_utf8_lossy),
            )
            .field("closed", &self.closed)
            .field("transport", &self.engine.io)
            .finish()
    }
}

impl<S: TypedAttributeProvider> TypedAttributeProvider for TlsStream<S> {
    /// The [TLS attributes](super#attributes), then the transport's (its addresses, say).
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        let conn = &self.engine.conn;
        request
            .provide::<AlpnProtocol>(|| conn.alpn_protocol().map(<[u8]>::to_vec))
            .provide::<PeerCertificate>(|| {
                conn.peer_certificates()
                    .and_then(<[_]>::first)
                    .map(|certificate| certificate.clone().into_owned())
            })
            .provide_optional::<TlsVersion>(|| conn.protocol_version())
            .provide_optional::<CipherSuite>(|| {
                conn.negotiated_cipher_suite().map(|suite| suite.suite())
            })
            .provide::<ServerSide>(|| self.is_server())
            .provide::<StandardCompatible>(|| self.engine.standard_compatible);
        self.engine.io.provide_attributes(request);
    }
}

impl<S> AsyncResource for TlsStream<S>
where
    S: AsyncRead + AsyncWrite + AsyncResource + Unpin + Send,
{
    /// Sends what is queued, and `close_notify` if the stream is standard compatible and
    /// has not sent it, then closes the transport; does not wait for the peer's
    /// `close_notify`. A close that was cancelled leaves the stream closed, and the
    /// transport open until the stream is dropped or closed again.
    ///
    /// A TCP socket closed with unread data in its receive buffer ends with a reset, which
    /// can cut off what was sent last. A TLS 1.3 client that sends and closes without ever
    /// reading leaves the server's session tickets unread: it should read to the end of the
    /// stream before closing, or the server send no tickets.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.closed = true;
        if self.transport_closed {
            return Ok(());
        }
        if self.engine.standard_compatible && !self.engine.eof_sent {
            self.engine.conn.send_close_notify();
            self.engine.eof_sent = true;
        }
        let mut result = Ok(());
        if self.engine.conn.wants_write() {
            result = poll_fn(|cx| self.engine.poll_flush(cx))
                .await
                .map_err(StreamError::from);
        }
        let closed = self.engine.io.aclose().await;
        self.transport_closed = true;
        result.and(closed)
    }
}

impl<S> ByteReceiveStream for TlsStream<S>
where
    S: AsyncRead + AsyncWrite + AsyncResource + TypedAttributeProvider + Unpin + Send,
{
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            self.check_open()?;
            return Err(crate::streams::EMPTY_BUFFER);
        }
        match poll_fn(|cx| self.poll_read_slice(cx, buf)).await? {
            0 => Err(StreamError::EndOfStream),
            n => Ok(n),
        }
    }
}

impl<S> ByteSendStream for TlsStream<S>
where
    S: AsyncRead + AsyncWrite + AsyncResource + TypedAttributeProvider + Unpin + Send,
{
    /// Encrypts and sends all of `data`, and flushes the transport.
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        let mut rest = data;
        while !rest.is_empty() {
            let n = poll_fn(|cx| self.poll_write_slice(cx, rest)).await?;
            rest = &rest[n..];
        }
        self.check_writable()?;
        poll_fn(|cx| self.engine.poll_flush(cx)).await?;
        Ok(())
    }
}

impl<S> ByteStream for TlsStream<S>
where
    S: AsyncRead + AsyncWrite + AsyncResource + TypedAttributeProvider + Unpin + Send,
{
    /// Sends `close_notify` and closes the transport's writing side (see [`TlsStream`]).
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        poll_fn(|cx| self.poll_shut_down(cx)).await?;
        Ok(())
    }
}

/// Plaintext, for code written against `futures-io`. A ragged EOF is an `UnexpectedEof`
/// error when the stream is standard compatible.
impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_slice(cx, buf)
    }
}

/// Plaintext, for code written against `futures-io`; `poll_close` sends `close_notify` and
/// closes the transport's writing side.
impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shut_down(cx)
    }
}

/// Plaintext, for code written against `tokio::io`. A ragged EOF is an `UnexpectedEof` error
/// when the stream is standard compatible.
#[cfg(feature = "tokio")]
impl<S: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        crate::streams::poll_read_into(buf, |buf| this.poll_read_slice(cx, buf))
    }
}

/// Plaintext, for code written against `tokio::io`; `poll_shutdown` sends `close_notify`
/// and closes the transport's writing side.
#[cfg(feature = "tokio")]
impl<S: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_all(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shut_down(cx)
    }
}
