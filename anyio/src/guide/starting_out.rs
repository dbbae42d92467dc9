//! # Starting out
//!
//! Add anyio with the backends you want (tokio is on by default; `smol` and `tls` are opt-in):
//!
//! ```text
//! cargo add anyio --features smol,tls
//! ```
//!
//! ## A first program
//!
//! [`anyio::run`](crate::run) starts a runtime, runs one future on it, and shuts it down. Inside,
//! everything anyio offers works the same on every backend.
//!
//! ```
//! use std::time::Duration;
//!
//! fn main() -> Result<(), anyio::RunError> {
//!     anyio::run(async {
//!         println!("running on {}", anyio::current_async_library().unwrap());
//!         anyio::sleep(Duration::from_millis(10)).await;
//!     })
//! }
//! ```
//!
//! `ANYIO_BACKEND=smol cargo run` runs the same program on smol. With the `macros` feature (on
//! by default), `#[anyio::main]` writes that `main` for you.
//!
//! ## Doing two things at once
//!
//! Concurrency lives in a [task group](crate::task_group): tasks are spawned into it, and the
//! group does not finish until they all have. When one fails, the others are cancelled.
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let outcome = anyio::task_group(|tg| async move {
//!         tg.spawn(async {
//!             anyio::sleep(Duration::from_millis(5)).await;
//!             println!("first");
//!         });
//!         tg.spawn(async {
//!             anyio::sleep(Duration::from_millis(10)).await;
//!             println!("second");
//!         });
//!     })
//!     .await;
//!     assert!(outcome.is_ok()); // both have finished here
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## Giving up after a while
//!
//! A deadline is a [cancel scope](crate::cancel) around the code it limits:
//! [`fail_after`](crate::fail_after) returns an error when the time is up,
//! [`move_on_after`](crate::move_on_after) returns `None`.
//!
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let slow = anyio::sleep(Duration::from_secs(60));
//!     assert!(anyio::fail_after(Duration::from_millis(5), slow).await.is_err());
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## A first server
//!
//! [`create_tcp_listener`](crate::net::create_tcp_listener) listens on every address of a
//! host; [`serve`](crate::streams::Listener::serve) runs a handler per connection, each in a
//! task of its own, and keeps going through failures of single connections and shortages of
//! file descriptors. Cancelling the task group stops it.
//!
//! ```
//! use anyio::net::{TcpStream, create_tcp_listener};
//! use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener};
//!
//! anyio::run(async {
//!     let mut listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//!     let port = listener.listeners()[0].local_addr().unwrap().port();
//!     let reply = anyio::task_group(|tg| async move {
//!         tg.spawn(async move {
//!             let _ = listener
//!                 .serve(|mut client| async move {
//!                     let _ = client.send(b"hello\n").await;
//!                 })
//!                 .await;
//!         });
//!         let client = anyio::net::connect_tcp("127.0.0.1", port).await.unwrap();
//!         let mut client = BufferedByteReceiveStream::new(client);
//!         let line = client.receive_until(b"\n", 64).await.unwrap();
//!         tg.cancel(); // stops the server
//!         Ok::<_, std::io::Error>(line)
//!     })
//!     .await;
//!     assert_eq!(reply.unwrap(), Some(b"hello".to_vec()));
//! })?;
//! # let _: Option<TcpStream> = None;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## A first test
//!
//! `#[anyio::test]` runs an `async fn` test once per backend compiled in, as `name::tokio` and
//! `name::smol`. Give tests that could hang a `timeout`; give tests of timeouts `virtual_time`,
//! so that an hour passes at once (see [`testing`](crate::testing)).
//!
//! ```
//! # #[cfg(any())] // doctests cannot define tests
//! #[anyio::test(virtual_time, timeout = 5)]
//! async fn gives_up_after_an_hour() {
//!     let never = anyio::sleep_forever();
//!     let outcome = anyio::fail_after(std::time::Duration::from_secs(3600), never).await;
//!     assert!(outcome.is_err());
//! }
//! ```
//!
//! Next: [choosing a backend](super::choosing_a_backend).
