//! tokio-only libraries under the smol backend (what the `async-compat` crate does for smol):
//! [`compat::tokio(future)`](tokio()) runs a future that needs tokio's runtime (for
//! `tokio::time`, `tokio::net`, `tokio::spawn`, hyper-util's `TokioTimer`, or a client built
//! on them) on whichever backend runs the caller. Requires the `tokio` and `smol` features.
//!
//! # The panic it prevents
//! tokio's timers and sockets register with the tokio runtime of the thread that makes them.
//! Under the smol backend there is none, and such a library fails deep inside its own code:
//! ```text
//! thread 'main' panicked at .../tokio-1.x/src/time/sleep.rs:
//! there is no reactor running, must be called from the context of a Tokio 1.x runtime
//! ```
//! The fix is to wrap the code that uses the library (one call, or the part of the program
//! that makes the calls) in an `async` block, and that block in `anyio::compat::tokio`:
//! ```
//! use std::time::Duration;
//!
//! anyio::Runner::new(anyio::Backend::Smol).run(async {
//!     // Without the wrapper, this sleep panics with the message above.
//!     anyio::compat::tokio(async {
//!         tokio::time::sleep(Duration::from_millis(1)).await;
//!     })
//!     .await;
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//! The `async` block matters: `tokio::time::sleep(…)`, like many functions that return a
//! future, makes its timer when it is called, which `compat::tokio(tokio::time::sleep(…))`
//! does before the wrapper is entered, and panics the same way. Code in an `async` block (or
//! an `async fn`) runs only when polled, inside the wrapper.
//!
//! # How it works
//! Under smol, the first wrapped future starts a tokio runtime in the background: a
//! multi-thread runtime with one worker thread (named `anyio-compat-tokio`), shared by every
//! wrapped future and kept for the life of the process. Each poll of a wrapped future, and its
//! drop, enters that runtime's context, so what the future makes registers there; the
//! runtime's worker drives tokio's I/O and timers, and wakes the smol task through its waker
//! when they are ready. The future itself still runs on smol's threads, in its anyio task.
//!
//! Under the tokio backend the runtime is already there, and the wrapper only passes polls on:
//! code can wrap its tokio-only parts once and run on either backend.
//!
//! - **anyio code inside** a wrapped future keeps running on smol: `current_async_library()`
//!   says smol, its sockets and timers are smol's, and task groups started there spawn their
//!   tasks on smol.
//! - **`tokio::spawn` inside** a wrapped future spawns on the background runtime (its worker
//!   runs the task). Like any natively spawned task it belongs to no anyio task group or
//!   cancel scope; await its `JoinHandle` to keep it structured.
//! - **Dropping**: the wrapped future is dropped inside the runtime's context too, as soon as it
//!   completes or when the wrapper is dropped: tokio resources deregister from their driver on
//!   drop.
//!
//! # Cancellation
//! A wrapped future is cancelled as any other: an anyio [cancel scope](crate::cancel) that is
//! cancelled, or whose deadline passes, drops it at the point where it waits, and with it the
//! tokio resources it holds. The tokio code is not told beforehand (it has no cancel scopes);
//! what it needs to finish should be shielded by the caller, as for any future. anyio
//! operations inside a wrapped future see the enclosing cancel scopes as usual.
//! ```
//! use std::time::Duration;
//!
//! anyio::Runner::new(anyio::Backend::Smol).run(async {
//!     let nap = anyio::compat::tokio(async {
//!         tokio::time::sleep(Duration::from_secs(3600)).await;
//!     });
//!     let outcome = anyio::move_on_after(Duration::from_millis(10), nap).await;
//!     assert!(outcome.is_none(), "cancelled and dropped after 10 ms");
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! # What it costs
//! Under tokio, nothing measurable: the backend is looked up at the first poll, and each later
//! poll is one comparison. Under smol, each poll enters and leaves the runtime's context (a
//! few thread-local writes and a reference count), and each readiness event or timer of
//! tokio's reaches the task from the runtime's thread, through the task's waker: a hop between
//! threads that tokio code on tokio does not make. `benches/compat.rs` measures it (medians of
//! one run on a shared two-core machine, as ratios to the same code on a current-thread tokio
//! runtime):
//!
//! | what | wrapped, on smol | wrapped, on tokio |
//! |---|---|---|
//! | a 64-byte round trip over loopback, `tokio::net` at both ends | 1.67× | 1.07× |
//! | a round trip through two tokio channels (no I/O: the cost of entering) | 1.21× (1.12× the same code unwrapped on smol) | |
//! | awaiting `tokio::task::yield_now()` | | 1.00× |
//!
//! (An earlier run gave 1.74×, 1.02×, 1.30× and 1.04×: the machine's noise is that large.)
//!
//! So the wrapper suits tokio-only clients and timers in a program that runs on smol; a
//! program whose hot path is tokio I/O is better run on the tokio backend, where the same
//! code costs nothing extra.
//!
//! # Panics
//! Under smol, when the background runtime cannot be started (the system refuses it a thread
//! or an epoll descriptor); a later wrapped future tries again.

mod background;
mod future;

pub use future::TokioCompat;

/// Runs `future`, which needs a tokio runtime, on whichever backend runs the caller: under
/// smol inside a shared background tokio runtime, under tokio as it is. See
/// [the module](self) for how, what it costs, and how cancellation applies.
///
/// Only what runs while `future` is polled is inside the runtime's context: pass an `async`
/// block or an `async fn`'s future, not a future some function made before (as
/// `tokio::time::sleep(…)` makes its timer when called).
///
/// # Panics
/// As [`TokioCompat`]: under smol, when the background runtime cannot be started.
///
/// # Cancel safety
/// As the future it wraps: dropping the wrapper drops that future, inside the runtime's
/// context.
///
/// # Examples
/// A `tokio::net` echo, on both backends:
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// for backend in anyio::Backend::available() {
///     anyio::Runner::new(backend).run(anyio::compat::tokio(async {
///         let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///         let mut client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
///         let (mut server, _) = listener.accept().await?;
///         client.write_all(b"ping").await?;
///         let mut buf = [0; 4];
///         server.read_exact(&mut buf).await?;
///         assert_eq!(&buf, b"ping");
///         Ok::<_, std::io::Error>(())
///     }))??;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn tokio<F: std::future::Future>(future: F) -> TokioCompat<F> {
    TokioCompat::new(future)
}
