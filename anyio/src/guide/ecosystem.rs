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
//! The message points into the other crate, but the cause is the backend. Two fixes: run the
//! program on the tokio backend, or, with both the `tokio` and `smol` features, wrap the
//! tokio-dependent code in [`compat::tokio`](crate::compat::tokio), which runs it inside a
//! shared background tokio runtime (started on first use) while the rest stays on smol. Pass
//! it an `async` block: some tokio futures (`tokio::time::sleep`) look for the runtime as soon
//! as they are *created*, before any wrapper could help.
//!
//! ```
//! # #[cfg(all(feature = "tokio", feature = "smol"))] {
//! use std::time::Duration;
//!
//! anyio::Runner::smol().run(async {
//!     // tokio's own timer, on smol: it runs in the background tokio runtime.
//!     anyio::compat::tokio(async { tokio::time::sleep(Duration::from_millis(1)).await }).await;
//! })?;
//! # }
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! A wrapped future is cancelled like any other: an anyio scope drops it at its suspension
//! point (the drop, too, happens inside tokio's context). What it costs, and why, is in the
//! [`compat`](crate::compat) docs: about 1.1–1.3× for a tokio channel round trip, 1.7× for a
//! `tokio::net` round trip whose readiness events cross from the background runtime's thread.
//!
//! ## reqwest, tonic, sqlx and other tokio clients
//!
//! They call into tokio, so: on the tokio backend, use them as they are, inside anyio tasks and
//! under anyio's deadlines (`fail_after` around a request cancels it, as a drop cancels any
//! reqwest request). On smol, wrap each call in [`compat::tokio`](crate::compat::tokio)
//! (`compat::tokio(async move { client.get(url).send().await })`); the client's connection
//! pool then lives in the background runtime.
//!
//! ## hyper
//!
//! hyper brings no runtime; [`anyio::hyper`](crate::hyper) (feature `hyper`) gives it one on
//! either backend: [`TaskGroupExecutor`](crate::hyper::TaskGroupExecutor) makes hyper's
//! background tasks (HTTP/2 streams, a client connection) children of an anyio task group,
//! [`AnyioTimer`](crate::hyper::AnyioTimer) runs its timeouts on anyio's clock (without a timer
//! hyper silently drops its header-read timeout), and [`HyperIo`](crate::hyper::HyperIo)
//! adapts any anyio stream to hyper's I/O traits. With the `tokio` feature, anyio's streams also
//! implement tokio's I/O traits on both backends, so hyper-util's `TokioIo` works over them too.
//! The module's docs hold a whole server and client; the crate's examples `hyper_server`
//! (HTTP/1 and HTTP/2 through hyper-util's auto builder) and `hyper_client` are complete
//! programs, run on both backends by `tests/hyper.rs`:
//!
//! ```text
//! cargo run -p anyio --features full --example hyper_server
//! ```
//!
//! To stop a server gracefully (stop accepting, let the requests in flight finish within a
//! grace period, cancel the rest), serve with
//! [`Listener::serve_graceful`](crate::streams::Listener::serve_graceful) and have each
//! connection call hyper's `graceful_shutdown` through
//! [`Shutdown::watch`](crate::streams::Shutdown::watch).
//!
//! ## axum
//!
//! axum's own `serve` is written for `tokio::net`. Serve a `Router` through hyper instead: turn
//! it into a hyper service with hyper-util's `TowerToHyperService`, and serve that as above.
//! `examples/axum_server.rs` does exactly that, on tokio and on smol.
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
