//! [`TcpReadHalf`] and [`TcpWriteHalf`]: a TCP stream split so that two tasks can receive
//! and send at the same time.

use super::TcpStream;
use crate::net::socket_stream::SocketStream;
pub use crate::net::split::ReuniteError;
use crate::net::split::split_halves;
use crate::streams::AttributeRequest;

impl TcpStream {
    /// Splits the stream into a half that receives and a half that sends, owned apart, so
    /// that one task can receive while another sends (tokio's `into_split`).
    /// [`TcpReadHalf::reunite`] puts them back together.
    ///
    /// The socket closes once both halves are dropped or closed. Dropping (or closing) the
    /// sending half shuts the writing direction down, so the peer sees the end of the stream.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    /// use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream};
    ///
    /// anyio::run(async {
    ///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (mut server, _) = listener.accept().await.unwrap();
    ///     server.send(b"hello").await.unwrap();
    ///     server.send_eof().await.unwrap();
    ///
    ///     let (mut reader, mut writer) = client.into_split();
    ///     // One side receives while the other sends, at the same time.
    ///     let (received, ()) = futures_lite::future::zip(
    ///         async {
    ///             let mut buf = [0; 5];
    ///             let n = reader.receive(&mut buf).await.unwrap();
    ///             buf[..n].to_vec()
    ///         },
    ///         async { writer.send(b"world").await.unwrap() },
    ///     )
    ///     .await;
    ///     assert_eq!(received, b"hello");
    ///     let mut buf = [0; 5];
    ///     let n = server.receive(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"world");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_split(self) -> (TcpReadHalf, TcpWriteHalf) {
        self.split_halves()
    }
}

/// The receiving half of a [`TcpStream`], from [`TcpStream::into_split`]: a
/// [`ByteReceiveStream`](crate::streams::ByteReceiveStream) and an `AsyncRead` of both
/// families.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes.
///
/// # Examples
/// See [`TcpStream::into_split`].
pub struct TcpReadHalf {
    inner: SocketStream<std::net::TcpStream>,
}

/// The sending half of a [`TcpStream`], from [`TcpStream::into_split`]: a
/// [`ByteSendStream`](crate::streams::ByteSendStream) and an `AsyncWrite` of both families.
/// Dropping it shuts the writing direction down.
///
/// # Cancel safety
/// A send dropped midway may have sent a first part of its bytes.
///
/// # Examples
/// See [`TcpStream::into_split`].
pub struct TcpWriteHalf {
    /// Always `Some` but while being reunited.
    inner: Option<SocketStream<std::net::TcpStream>>,
}

impl TcpReadHalf {
    /// Puts the two halves of one stream back together.
    ///
    /// # Errors
    /// [`ReuniteError`], which hands both halves back, if they came from different streams.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{TcpListener, TcpStream};
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let other = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (reader, writer) = stream.into_split();
    ///     let (_, other_writer) = other.into_split();
    ///     let error = reader.reunite(other_writer).unwrap_err();
    ///     let (reader, _) = error.into_parts();
    ///     let stream = reader.reunite(writer).unwrap();
    ///     assert!(stream.peer_addr().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn reunite(self, writer: TcpWriteHalf) -> Result<TcpStream, ReuniteError> {
        self.reunite_halves(writer)
    }
}

/// Both halves tell the whole stream's attributes.
fn provide(inner: &SocketStream<std::net::TcpStream>, request: &mut AttributeRequest<'_>) {
    if let Ok(socket) = inner.socket() {
        crate::net::attributes::provide_ip_attributes(
            request,
            || socket.local_addr().ok(),
            || socket.peer_addr().ok(),
            std::os::fd::AsRawFd::as_raw_fd(socket),
        );
    }
}

split_halves! {
    stream: TcpStream,
    read: TcpReadHalf,
    write: TcpWriteHalf,
    socket: std::net::TcpStream,
    provide: provide,
}
