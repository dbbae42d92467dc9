//! Streams of objects and bytes (AnyIO's `anyio.abc` streams and `anyio.streams`).
//!
//! # The traits
//!
//! AnyIO describes every channel a program talks through (a TCP connection, a pipe, a TLS
//! session, a memory object stream) with a few interfaces, so that protocol code can be
//! written once against "a stream of bytes" or "a stream of messages". Here they are traits:
//!
//! | trait | methods | AnyIO |
//! |---|---|---|
//! | [`AsyncResource`] | `aclose` | `AsyncResource.aclose` |
//! | [`ObjectReceiveStream`] | `receive() -> Item` | `ObjectReceiveStream` |
//! | [`ObjectSendStream<T>`] | `send(T)` | `ObjectSendStream` |
//! | [`ObjectStream<T>`] | both, and `send_eof` | `ObjectStream` |
//! | [`ByteReceiveStream`] | `receive(&mut buf) -> n` | `ByteReceiveStream` |
//! | [`ByteSendStream`] | `send(&bytes)` | `ByteSendStream` |
//! | [`ByteStream`] | both, and `send_eof` | `ByteStream` |
//!
//! Every stream also tells [typed attributes](TypedAttributeProvider) about itself (its
//! addresses, its TLS session, ...), and wrappers pass on those of the stream they wrap.
//!
//! Every operation fails with a [`StreamError`], whose variants say who ended the stream:
//! [`EndOfStream`](StreamError::EndOfStream) (the peer, cleanly),
//! [`Closed`](StreamError::Closed) (this side), [`Broken`](StreamError::Broken) (the peer or
//! an outside cause, uncleanly). A failed object send hands its item back in a
//! [`SendError`].
//!
//! The methods return futures that are `Send`, so generic code can spawn them; the traits are
//! for static dispatch (`impl ByteStream`, `S: ByteStream`). The ecosystem's poll-based
//! traits, which compose and box, are implemented beside them wherever the type allows:
//! memory object streams are `Stream`s and `Sink`s; [`FuturesIoStream`] and [`TokioIoStream`]
//! pass their family's `AsyncRead`/`AsyncWrite` through; a [`BufferedByteReceiveStream`] is an
//! `AsyncRead`, `AsyncBufRead` and `AsyncWrite` of its inner stream's family (its buffered
//! bytes first), so a protocol can read its header with `receive_until` and hand the rest of
//! the stream to code written for `futures-io` or `tokio::io`.
//!
//! # The streams
//!
//! - [`memory`]: memory object streams, the channels tasks send each other items through.
//! - [`FuturesIoStream`] and [`TokioIoStream`]: byte streams over any `AsyncRead` /
//!   `AsyncWrite` of the futures-io or tokio family.
//! - [`BufferedByteReceiveStream`]: `receive_exactly(n)` and `receive_until(delimiter)` over
//!   any byte stream.
//! - [`TextStream`]: strings over a byte stream, decoded incrementally as UTF-8.
//! - [`StapledStream`]: a two-way stream made of a sending one and a receiving one.
//! - [`ChunkedByteStream`]: a byte stream over a stream of byte chunks.
//!
//! # Examples
//!
//! A line-based protocol, written once against any byte stream and run here over an
//! in-memory one:
//! ```
//! use anyio::streams::{
//!     BufferedByteReceiveStream, ByteSendStream, ByteStream, ChunkedByteStream, StapledStream,
//!     StreamError,
//! };
//!
//! /// Answers each line with its length, until the client stops sending.
//! async fn serve<S: ByteStream>(stream: S) -> Result<(), StreamError> {
//!     let mut stream = BufferedByteReceiveStream::new(stream);
//!     loop {
//!         let line = match stream.receive_until(b"\n", 1024).await {
//!             Ok(line) => line,
//!             Err(StreamError::IncompleteRead) => return Ok(()), // the client is done
//!             Err(error) => return Err(error),
//!         };
//!         stream.send(format!("{}\n", line.len()).as_bytes()).await?;
//!     }
//! }
//!
//! anyio::run(async {
//!     let (to_server, server_in) = anyio::create_memory_object_stream::<Vec<u8>>(4);
//!     let (server_out, from_server) = anyio::create_memory_object_stream::<Vec<u8>>(4);
//!     let server = ChunkedByteStream::new(StapledStream::new(server_out, server_in));
//!     let client = ChunkedByteStream::new(StapledStream::new(to_server, from_server));
//!     let mut client = BufferedByteReceiveStream::new(client);
//!
//!     client.send(b"hello\nworld!\n").await.unwrap();
//!     client.send_eof().await.unwrap();
//!     serve(server).await.unwrap();
//!     assert_eq!(client.receive_until(b"\n", 10).await.unwrap(), b"5");
//!     assert_eq!(client.receive_until(b"\n", 10).await.unwrap(), b"6");
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

mod accept_retry;
mod attributes;
mod buffered;
mod chunked;
mod error;
mod graceful;
mod io;
mod listener;
pub mod memory;
mod stapled;
mod text;
mod traits;

pub(crate) use accept_retry::AcceptRetry;
pub(crate) use accept_retry::is_about_one_connection;
pub use attributes::{
    AttributeRequest, TypedAttribute, TypedAttributeLookupError, TypedAttributeProvider,
};
pub use buffered::{BufferedByteReceiveStream, BufferedByteStream};
pub use chunked::ChunkedByteStream;
pub(crate) use error::EMPTY_BUFFER;
pub use error::{SendError, StreamError};
pub use graceful::{Drained, Shutdown, Watch};
pub use io::FuturesIoStream;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use io::TokioIoStream;
#[cfg(feature = "tokio")]
pub(crate) use io::{poll_read_into, poll_read_slice};
pub use listener::Listener;
#[cfg(feature = "tls")]
pub(crate) use listener::{Contained, contain};
pub use stapled::StapledStream;
pub use text::TextStream;
pub use traits::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, ObjectStream,
};
