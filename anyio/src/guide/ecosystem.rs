//! # Using anyio with other crates
//!
//! anyio's streams are ordinary Rust I/O objects: every socket, TLS stream, pipe and file
//! implements `futures-io`'s `AsyncRead`/`AsyncWrite` and, with the `tokio` feature, tokio's
//! (on either backend: the traits are only traits). So a library that takes a generic
//! `AsyncRead + AsyncWrite` works over anyio's streams whichever backend runs.
//!
//! What does not carry over is a library that *calls into* a runtime: one that calls
//! `tokio::spawn`, `tokio::time::sleep` or opens `tokio::net` sockets works only under the
//! tokio backend. Under smol it fails with tokio's own panic:
//!
//! ```text
//! thread 'main' panicked at .../tokio/src/time/sleep.rs:
//! there is no reactor running, must be called from the context of a Tokio 1.x runtime
//! ```
//!
//! The message points into the other crate, but the cause is the backend: run such a library
//! on the tokio backend.
//!
//! ## WebSockets over TLS: close the TLS stream yourself
//!
//! `tungstenite` and its async wrappers finish the WebSocket closing handshake but never close
//! the transport under it. Over TLS that leaves out TLS's own `close_notify`, and a peer that
//! checks for it (anyio's [`TlsStream`](crate::tls::TlsStream) with `standard_compatible`, as
//! AnyIO's) reports a *ragged EOF*. Once the WebSocket is closed, take the transport back
//! (`WebSocketStream::into_inner` / `get_mut`) and close it:
//!
//! ```
//! use anyio::streams::AsyncResource;
//!
//! /// After the WebSocket's close frames were exchanged: end TLS properly.
//! async fn finish<S: AsyncResource>(mut transport: S) {
//!     let _ = transport.aclose().await; // sends close_notify, then closes the socket
//! }
//! # let _ = finish::<anyio::net::TcpStream>;
//! ```
