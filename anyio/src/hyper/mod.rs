//! hyper 1.x on either backend (feature `hyper`): an executor, a timer and an I/O adapter.
//!
//! hyper brings no runtime of its own: a server or a client needs three things from one.
//!
//! | hyper needs | use | why |
//! |---|---|---|
//! | an [`rt::Executor`](::hyper::rt::Executor) (HTTP/2, and hyper-util's auto builder) | [`TaskGroupExecutor`] | hyper's background tasks (one per HTTP/2 stream, a client's connection) become children of an anyio task group: cancelled with it, waited for by it. hyper-util's `TokioExecutor` calls `tokio::spawn`, so its tasks escape every group on tokio, and it panics on smol |
//! | an [`rt::Timer`](::hyper::rt::Timer) | [`AnyioTimer`] | sleeps on anyio's clock, on either backend. Without a timer hyper ignores its header-read timeout and keep-alive pings without a word |
//! | I/O implementing [`rt::Read`](::hyper::rt::Read) and [`rt::Write`](::hyper::rt::Write) | [`HyperIo`] | wraps any futures-io `AsyncRead + AsyncWrite`: every anyio byte stream (TCP, UNIX, TLS, ...) in every build |
//!
//! **Which I/O adapter**: [`HyperIo`] works in every build, on both backends. With anyio's
//! `tokio` feature compiled in, anyio's streams also implement tokio's `AsyncRead` and
//! `AsyncWrite` on *both* backends (the traits need no tokio runtime), so hyper-util's
//! `TokioIo` works over them too, on smol as well; it reads into uninitialized memory, where
//! [`HyperIo`] zeroes up to 16 KiB of hyper's buffer before each read (futures-io reads into
//! initialized memory only). In a smol-only build, use [`HyperIo`].
//!
//! hyper itself depends on the `tokio` crate (its `sync` module); the `hyper` feature does not
//! enable anyio's `tokio` backend, and nothing here starts or needs a tokio runtime.
//!
//! To stop a server gracefully, serve it with
//! [`Listener::serve_graceful`](crate::streams::Listener::serve_graceful) and call hyper's
//! `graceful_shutdown` on each connection when the stop begins, through
//! [`Shutdown::watch`](crate::streams::Shutdown::watch). The crate's examples
//! `hyper_server`, `hyper_client` and `axum_server` show whole programs.
//!
//! # Examples
//! An HTTP/1 server and a client, in one program on either backend:
//! ```
//! use std::convert::Infallible;
//!
//! use anyio::hyper::{AnyioTimer, HyperIo};
//! use anyio::net::TcpListener;
//! use anyio::streams::Listener;
//! use hyper::{Request, Response, body::Incoming, service::service_fn};
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<String>, Infallible> {
//!     Ok(Response::new("hello".to_owned()))
//! }
//!
//! anyio::run(async {
//!     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
//!     let port = listener.local_addr().unwrap().port();
//!     anyio::task_group(|tg| async move {
//!         tg.spawn(async move {
//!             listener
//!                 .serve(|stream| async move {
//!                     let _ = hyper::server::conn::http1::Builder::new()
//!                         .timer(AnyioTimer)
//!                         .serve_connection(HyperIo::new(stream), service_fn(hello))
//!                         .await;
//!                 })
//!                 .await;
//!         });
//!         let stream = anyio::net::connect_tcp("127.0.0.1", port).await.unwrap();
//!         let (mut sender, connection) =
//!             hyper::client::conn::http1::handshake(HyperIo::new(stream)).await.unwrap();
//!         tg.spawn(async move {
//!             let _ = connection.await;
//!         });
//!         let request = Request::get("/").header("host", "localhost").body(String::new());
//!         let response = sender.send_request(request.unwrap()).await.unwrap();
//!         assert_eq!(response.status(), 200);
//!         tg.cancel(); // stops the server
//!     })
//!     .await
//!     .unwrap();
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

mod executor;
mod io;
mod timer;

pub use executor::TaskGroupExecutor;
pub use io::HyperIo;
pub use timer::AnyioTimer;
