//! # anyio: write async code once, run it on tokio or smol
//!
//! `anyio` brings Python [AnyIO](https://anyio.readthedocs.io)'s ideas to Rust. Code written
//! against anyio runs on **tokio** (the default backend) or **smol**, chosen at run time, and
//! will get Trio-style structured concurrency on both: task groups, and cancel scopes with
//! deadlines and shields.
//!
//! This release holds the foundation (running programs on either backend, detecting the
//! backend, time, checkpoints, the test macro), [cancel scopes](cancel) and
//! [task groups](task), the [synchronization primitives](sync),
//! [memory object streams](streams::memory), the [stream traits and wrappers](streams)
//! (buffered, text and stapled streams, typed attributes, adapters for `AsyncRead` and
//! `AsyncWrite` of both families), [networking](net) (TCP with Happy Eyeballs, listeners that
//! serve, UDP, UNIX stream and datagram sockets, name resolution), TLS with rustls (the
//! `tls` module, behind the `tls` feature), and threads: blocking work moved to worker threads
//! ([`to_thread`]) and calls into event loops from threads, through event-loop tokens and
//! blocking portals ([`from_thread`]), files ([`fs`]: path operations, buffered async
//! files, directory listings), child processes ([`process`]: `run_process`, `open_process`,
//! their pipes as byte streams, and no orphans), and operating system signals as streams
//! ([`signal`]). The README's feature table says what arrives next.
//!
//! ## Running async programs
//!
//! The simplest anyio program:
//! ```
//! anyio::run(async {
//!     println!("Hello, world!");
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//! [`run`] uses the default backend: tokio (smol in a build without the `tokio` feature), unless
//! the `ANYIO_BACKEND` environment variable names another (`ANYIO_BACKEND=smol cargo test` runs
//! a whole test suite on smol). To choose in code, and to set the backend's options, use a
//! [`Runner`]:
//! ```
//! # #[cfg(feature = "smol")] {
//! use anyio::{Backend, Runner};
//!
//! Runner::new(Backend::Smol).threads(2).run(async {
//!     println!("Hello from {}", anyio::current_async_library().unwrap());
//! })?;
//! # }
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! New to anyio? The [guide] walks through it: a first program and server, choosing a
//! backend, structured concurrency, and using anyio with hyper, axum and tokio-only crates.
//!
//! ## Tasks, deadlines and a server, in one example
//!
//! A [task group](task_group) runs tasks concurrently and waits for all of them; a deadline
//! ([`fail_after`]) bounds the whole; [`serve`](streams::Listener::serve) runs a handler per
//! connection, each in its own task, until the group is cancelled.
//! ```
//! use std::time::Duration;
//!
//! use anyio::net::{TcpListener, TcpStream};
//! use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener};
//!
//! anyio::run(async {
//!     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
//!     let address = listener.local_addr().unwrap();
//!     let greeting = anyio::fail_after(Duration::from_secs(5), anyio::task_group(|tg| async move {
//!         // The server: a task of the group, serving each client in a task of its own.
//!         tg.spawn(async move {
//!             let _ = listener
//!                 .serve(|mut client| async move {
//!                     let _ = client.send(b"hello\n").await;
//!                 })
//!                 .await;
//!         });
//!         // A client, in the group's body.
//!         let mut client = BufferedByteReceiveStream::new(TcpStream::connect(address).await?);
//!         let line = client.receive_until(b"\n", 64).await;
//!         tg.cancel(); // stops the server; the group waits for it to wind down
//!         line.map_err(std::io::Error::other)
//!     }))
//!     .await;
//!     assert_eq!(greeting.unwrap().unwrap(), Some(b"hello".to_vec()));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## Backend options
//!
//! - **tokio**: [`current_thread`](Runner::current_thread) or
//!   [`multi_thread`](Runner::multi_thread) (the default, as `#[tokio::main]`),
//!   [`worker_threads`](Runner::worker_threads), and
//!   [`runtime_factory`](Runner::runtime_factory) to build the runtime from your own
//!   `tokio::runtime::Builder` (AnyIO's `loop_factory`).
//! - **smol**: [`threads`](Runner::threads), the number of threads running the executor.
//!
//! An option that does not belong to the chosen backend is an error
//! ([`RunError::InvalidOption`]), never silently ignored.
//!
//! ## Native runners
//!
//! anyio code need not be started by [`run`]: it works just as well under the backend's own
//! entry point, and [`current_async_library`] (Python's `sniffio`) tells which one runs it.
//! ```
//! use std::time::Duration;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     anyio::sleep(Duration::from_millis(1)).await;
//!     println!("I'm running on {}", anyio::current_async_library().unwrap());
//! }
//! ```
//! `#[tokio::main]`, `tokio::runtime::Runtime::block_on` and `smol::block_on` all work.
//! Detection looks first for anyio's own runner on the thread, then for a tokio runtime that
//! runs the code: a tokio task, the future of `Runtime::block_on` or `Handle::block_on`, or any
//! code on a thread where a multi-thread runtime is entered (its workers drive its timers and
//! I/O whoever polls). A current-thread runtime that is only entered (`Runtime::enter`, a
//! `spawn_blocking` closure) while another executor polls is not used: only its own `block_on`
//! drives it. Otherwise, when the `smol` feature is compiled in, anyio uses smol: async-io's
//! reactor serves any executor. Without the `smol` feature there is then no runtime, and
//! [`current_async_library`] returns [`NoEventLoopError`].
//!
//! ## Using native async libraries
//!
//! You can mix anyio code with code written for the backend you run on. The rules:
//!
//! - **Libraries native to the running backend work as they are.** A tokio-only library
//!   (`reqwest`, `tokio::net`, `tokio::time`) used under smol fails with tokio's own panic,
//!   "there is no reactor running, must be called from the context of a Tokio 1.x runtime",
//!   unless its futures are wrapped in `anyio::compat::tokio`, which runs them in a
//!   background tokio runtime (module `compat`, features `tokio` and `smol`). Libraries
//!   written for `futures-io` or async-io work under both.
//! - **Tasks spawned natively** (`tokio::spawn`, `smol::spawn`) are not subject to anyio's
//!   cancellation rules: they belong to no cancel scope or task group.
//! - **Threads started outside anyio cannot call back into the runtime on their own.** A
//!   worker thread of [`to_thread::run_sync`] can ([`from_thread::run`]); any other thread
//!   needs an [event-loop token](lowlevel::current_token) taken inside the loop, or a
//!   [blocking portal](from_thread::start_blocking_portal):
//! ```
//! anyio::run(async {
//!     let token = anyio::lowlevel::current_token();
//!     let thread = std::thread::spawn(move || token.run(async { 40 + 2 }));
//!     // Wait for the thread without blocking the loop it calls into.
//!     let answer = anyio::to_thread::run_sync(move || thread.join().unwrap()).await;
//!     assert_eq!(answer, Ok(42));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## Testing
//!
//! `#[anyio::test]` turns an `async fn` test into one `#[test]` per compiled-in backend, named
//! `<test>::tokio` and `<test>::smol`, so every test runs on every backend:
//! ```
//! # #[cfg(any())] // doctests cannot define tests
//! #[anyio::test]
//! async fn sleeps() {
//!     anyio::sleep(std::time::Duration::from_millis(1)).await;
//! }
//! ```
//! See [`test`] and [`main`] for their options.
//!
//! ## Cargo features
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `tokio` | yes | the tokio backend |
//! | `smol` | no | the smol backend (`async-executor` + `async-io`) |
//! | `macros` | yes | `#[anyio::test]` and `#[anyio::main]` |
//! | `tls` | no | `anyio::tls`: TLS with rustls |
//! | `hyper` | no | `anyio::hyper`: hyper 1.x on either backend (executor, timer, I/O adapter) |
//! | `full` | no | all of the above |
//!
//! At least one backend is needed: a build without `tokio` and `smol` stops with a compile
//! error that says so. With smol alone, [`run`] and `#[anyio::main]` default to smol. A
//! library that leaves the choice of backend to the application depends on anyio with
//! `default-features = false` and forwards features of its own to `anyio/tokio` and
//! `anyio/smol`; its own tests and docs enable one of them.
//!
//! ## Public dependencies
//!
//! These crates' types and traits appear in anyio's API, so a new major version of one of them
//! is a new major version of anyio. Any other dependency is an implementation detail.
//!
//! - **tokio 1** (feature `tokio`): [`Runner::runtime_factory`] takes a
//!   `tokio::runtime::Builder`; sockets, files, TLS streams and the stream wrappers implement
//!   `tokio::io::AsyncRead` and `AsyncWrite` (and `AsyncBufRead`, `AsyncSeek` where they
//!   apply); `TokioIoStream` wraps any type that implements them.
//! - **futures-io 0.3**: the same types implement its `AsyncRead` and `AsyncWrite` (and
//!   `AsyncBufRead`, `AsyncSeek`); [`FuturesIoStream`](streams::FuturesIoStream) wraps any type
//!   that implements them; TLS runs over them.
//! - **futures-core 0.3**: memory object receivers and directory listings are `Stream`s.
//! - **futures-sink 0.3**: memory object senders are `Sink`s.
//! - **rustls 0.23** (feature `tls`): `anyio::tls` takes its client and server configurations
//!   and hands out its connection state; it is re-exported as `anyio::tls::rustls`, with its
//!   `pki_types`.
//! - **hyper 1** (feature `hyper`): `anyio::hyper` implements its runtime traits (`rt::Executor`,
//!   `rt::Timer`, `rt::Sleep`, `rt::Read`, `rt::Write`).

#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
// docs.rs (nightly): each item gated by a feature or a platform says so; the cfg of the loom
// models is internal.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(docsrs, doc(auto_cfg(hide(anyio_loom))))]

// Without a backend nothing else is compiled, so that this is the build's only error.
#[cfg(not(any(feature = "tokio", feature = "smol")))]
compile_error!(
    "anyio needs a backend: enable its `tokio` feature (a default feature) or its `smol` feature"
);

/// Compiles its items only when a backend is compiled in.
#[cfg(not(docsrs))]
macro_rules! with_a_backend {
    ($($item:item)*) => { $( #[cfg(any(feature = "tokio", feature = "smol"))] $item )* };
}

/// The docs are built with every feature (`package.metadata.docs.rs`): no condition, so that
/// rustdoc does not mark every item "available on crate features tokio or smol only".
#[cfg(docsrs)]
macro_rules! with_a_backend {
    ($($item:item)*) => { $( $item )* };
}

with_a_backend! {
    mod backend;
    pub mod cancel;
    #[cfg(all(feature = "tokio", feature = "smol"))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "tokio", feature = "smol"))))]
    pub mod compat;
    mod error;
    pub mod fs;
    pub mod guide;
    #[cfg(all(unix, feature = "hyper"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
    pub mod hyper;
    pub mod lowlevel;
    #[cfg(unix)]
    pub mod net;
    #[cfg(unix)]
    pub mod process;
    mod runtime;
    #[cfg(unix)]
    pub mod signal;
    mod slab;
    pub mod streams;
    pub mod sync;
    pub mod task;
    pub mod testing;
    mod thread;
    mod time;
    #[cfg(all(unix, feature = "tls"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub mod tls;

    /// The README's examples, compiled and run as doctests so that they stay true.
    #[cfg(all(doctest, feature = "tokio", feature = "smol", feature = "macros"))]
    // The manifest's `readme` path: `../README.md` here, `README.md` in the published package.
    #[doc = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/",
        env!("CARGO_PKG_README"),
    ))]
    struct ReadmeDoctests;

    pub use cancel::{
        CancelHandle, CancelScope, FailAt, Scoped, TimeoutError, current_effective_deadline,
        fail_after, fail_at, move_on_after, move_on_at,
    };
    pub use error::{
        BrokenResourceError, BusyResourceError, ClosedResourceError, EndOfStream, WouldBlock,
    };
    pub use runtime::{
        BACKEND_ENV_VAR, Backend, NoEventLoopError, RunError, Runner, UnknownBackendError,
        current_async_library, run,
    };
    #[cfg(unix)]
    pub use signal::open_signal_receiver;
    pub use streams::TypedAttributeLookupError;
    pub use streams::memory::{create_memory_object_stream, create_unbounded_memory_object_stream};
    pub use task::{
        BodyResult, GroupClosedError, StartError, StartFuture, StartWithHandle, TaskError,
        TaskGroup, TaskGroupError, TaskGroupFuture, TaskHandle, TaskId, TaskInfo, TaskResult,
        TaskState, TaskStatus, amap, as_completed, gather, get_current_task, get_running_tasks,
        task_group, try_amap, try_gather,
    };
    #[doc(inline)]
    pub use thread::{from_thread, to_thread};
    pub use time::{Sleep, current_time, sleep, sleep_forever, sleep_until};
}

// Outside `with_a_backend!`: the code the macros generate names this module's `#[macro_export]`
// macros by absolute paths, which rustc forbids for macros defined by a macro expansion.
#[cfg(any(feature = "tokio", feature = "smol"))]
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

// Lets the macros' `::anyio::...` paths resolve inside this crate's own unit tests too.
#[allow(unused_extern_crates)]
extern crate self as anyio;

/// Runs an `async fn` test on every backend compiled into anyio: one `#[test]` each.
///
/// `#[anyio::test] async fn name()` keeps `name` as it is and adds a module `name` holding one
/// test per backend, `name::tokio` and `name::smol`, so a failure names its backend and
/// `cargo test name::smol` picks one. A backend whose cargo feature is off gets no test.
///
/// Each test builds its own runtime: by default a current-thread tokio runtime (as
/// `#[tokio::test]`) and a single-threaded smol executor. The test may return anything a
/// `#[test]` may, such as `Result<(), E>`; other attributes (`#[should_panic]`, `#[ignore]`)
/// apply to every generated test.
///
/// # Options
/// | option | meaning |
/// |---|---|
/// | `backends(tokio)`, `backends(smol)`, `backends(tokio, smol)` | run on these backends only |
/// | `flavor = "current_thread"` / `"multi_thread"` | the tokio runtime's flavour |
/// | `worker_threads = N` | tokio's worker threads (implies `multi_thread`) |
/// | `threads = N` | smol's executor threads |
/// | `virtual_time` | anyio's clock runs on [virtual time](crate::testing#virtual-time) |
/// | `timeout = 10`, `timeout = "250ms"` (`ms`, `s`, `m`) | fail the test when it runs longer, in real time; the panic names the test and the backend |
///
/// Every test's runtime keeps track of its tasks, so
/// [`testing::wait_all_tasks_blocked`] works in it.
///
/// An option that belongs to no backend the test runs on, an unknown option, a function that
/// is not `async`, takes arguments or is generic: each is a compile error that says so.
///
/// # Examples
/// ```
/// # // Doctests cannot hold `#[test]`s; this shows the use and checks that it compiles.
/// use std::time::Duration;
///
/// #[anyio::test]
/// async fn sleeps_on_every_backend() {
///     let start = anyio::current_time();
///     anyio::sleep(Duration::from_millis(1)).await;
///     assert!(anyio::current_time() > start);
/// }
///
/// #[anyio::test(backends(tokio), flavor = "multi_thread", worker_threads = 2)]
/// async fn on_a_multi_thread_tokio() -> Result<(), anyio::NoEventLoopError> {
///     assert_eq!(anyio::current_async_library()?, anyio::Backend::Tokio);
///     Ok(())
/// }
///
/// #[anyio::test(virtual_time, timeout = 5)]
/// async fn an_hour_passes_at_once() {
///     let outcome = anyio::fail_after(Duration::from_secs(3600), anyio::sleep_forever()).await;
///     assert!(outcome.is_err());
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use anyio_macros::test;

/// Runs `async fn main` on an anyio runtime.
///
/// Without options it runs on the default backend, like [`run`]: tokio (smol without the `tokio`
/// feature) unless `ANYIO_BACKEND` names another. The return type is kept, so `main` may return
/// a `Result`.
///
/// # Options
/// | option | meaning |
/// |---|---|
/// | `backend = "tokio"` / `"smol"` | run on this backend (a compile error if its feature is off) |
/// | `flavor = "current_thread"` / `"multi_thread"` | the tokio runtime's flavour |
/// | `worker_threads = N` | tokio's worker threads |
/// | `threads = N` | smol's executor threads |
///
/// # Panics
/// When the runtime cannot start ([`RunError`]): an unknown `ANYIO_BACKEND`, or an option that
/// does not belong to the backend `ANYIO_BACKEND` chose.
///
/// # Examples
/// ```
/// #[anyio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     anyio::sleep(std::time::Duration::from_millis(1)).await;
///     println!("Hello from {}", anyio::current_async_library()?);
///     Ok(())
/// }
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use anyio_macros::main;
