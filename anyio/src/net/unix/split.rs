//! [`UnixReadHalf`] and [`UnixWriteHalf`]: a UNIX stream split so that two tasks can receive
//! and send at the same time.

use super::UnixStream;
use super::stream::provide;
use crate::net::ReuniteError;
use crate::net::socket_stream::SocketStream;
use crate::net::split::split_halves;

impl UnixStream {
    /// Splits the stream into a half that receives and a half that sends, owned apart, so
    /// that one task can receive while another sends (tokio's `into_split`).
    /// [`UnixReadHalf::reunite`] puts them back together.
    ///
    /// The socket closes once both halves are dropped or closed. Dropping (or closing) the
    /// sending half shuts the writing direction down, so the peer sees the end of the stream.
    /// Descriptor passing ([`send_fds`](Self::send_fds), [`receive_fds`](Self::receive_fds))
    /// needs the whole stream.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixStream;
    /// use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream};
    ///
    /// anyio::run(async {
    ///     let (stream, mut peer) = UnixStream::pair().unwrap();
    ///     peer.send(b"hello").await.unwrap();
    ///     peer.send_eof().await.unwrap();
    ///
    ///     let (mut reader, mut writer) = stream.into_split();
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
    ///     let n = peer.receive(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"world");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_split(self) -> (UnixReadHalf, UnixWriteHalf) {
        self.split_halves()
    }
}

/// The receiving half of a [`UnixStream`], from [`UnixStream::into_split`]: a
/// [`ByteReceiveStream`](crate::streams::ByteReceiveStream) and an `AsyncRead` of both
/// families.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes.
///
/// # Examples
/// See [`UnixStream::into_split`].
pub struct UnixReadHalf {
    inner: SocketStream<std::os::unix::net::UnixStream>,
}

/// The sending half of a [`UnixStream`], from [`UnixStream::into_split`]: a
/// [`ByteSendStream`](crate::streams::ByteSendStream) and an `AsyncWrite` of both families.
/// Dropping it shuts the writing direction down.
///
/// # Cancel safety
/// A send dropped midway may have sent a first part of its bytes.
///
/// # Examples
/// See [`UnixStream::into_split`].
pub struct UnixWriteHalf {
    /// Always `Some` but while being reunited.
    inner: Option<SocketStream<std::os::unix::net::UnixStream>>,
}

impl UnixReadHalf {
    /// Puts the two halves of one stream back together.
    ///
    /// # Errors
    /// [`ReuniteError`], which hands both halves back, if they came from different streams.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixStream;
    ///
    /// anyio::run(async {
    ///     let (stream, _peer) = UnixStream::pair().unwrap();
    ///     let (other, _other_peer) = UnixStream::pair().unwrap();
    ///     let (reader, writer) = stream.into_split();
    ///     let (_, other_writer) = other.into_split();
    ///     let error = reader.reunite(other_writer).unwrap_err();
    ///     let (reader, _) = error.into_parts();
    ///     let stream = reader.reunite(writer).unwrap();
    ///     assert!(stream.peer_addr().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn reunite(
        self,
        writer: UnixWriteHalf,
    ) -> Result<UnixStream, ReuniteError<UnixReadHalf, UnixWriteHalf>> {
        self.reunite_halves(writer)
    }
}

split_halves! {
    stream: UnixStream,
    read: UnixReadHalf,
    write: UnixWriteHalf,
    socket: std::os::unix::net::UnixStream,
    provide: provide,
}
