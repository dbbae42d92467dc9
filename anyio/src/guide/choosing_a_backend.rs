//! # Choosing a backend
//!
//! anyio runs on **tokio** or **smol**. Code written against anyio does not change with the
//! backend; what changes is the runtime underneath, and which other libraries can run beside
//! your code.
//!
//! | | tokio | smol |
//! |---|---|---|
//! | feature | `tokio` (default) | `smol` |
//! | scheduler | work-stealing, a LIFO slot, cooperative budget | `async-executor`: one shared queue, local queues |
//! | I/O and timers | tokio's driver | `async-io`'s reactor, shared by every executor |
//! | libraries that need it | `reqwest`, `hyper-util`'s `TokioTimer`, `tonic`, `sqlx` (tokio mode), anything calling `tokio::spawn` | few: `futures-io` and `async-io` libraries run anywhere |
//! | a good choice when | you use tokio-only libraries, or want the most common runtime | you want a small runtime, or `futures-io` libraries |
//!
//! ## Choosing at run time
//!
//! [`anyio::run`](crate::run) reads `ANYIO_BACKEND`, so one binary can run on either:
//! `ANYIO_BACKEND=smol ./server`. A [`Runner`](crate::Runner) chooses in code, with the
//! backend's own options; an option of the other backend is an error, never ignored:
//!
//! ```
//! use anyio::{Backend, RunError, Runner};
//!
//! let chosen = if cfg!(feature = "smol") { Backend::Smol } else { Backend::Tokio };
//! let runner = match chosen {
//!     Backend::Tokio => Runner::tokio().worker_threads(2),
//!     _ => Runner::new(chosen).threads(2),
//! };
//! runner.run(async { anyio::sleep(std::time::Duration::from_millis(1)).await })?;
//!
//! // smol has no `worker_threads`: it says so.
//! let refused = Runner::smol().worker_threads(2).run(async {});
//! assert!(matches!(refused, Err(RunError::InvalidOption { .. } | RunError::BackendNotEnabled { .. })));
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## Running under the backend's own entry point
//!
//! anyio needs no runner of its own: under `#[tokio::main]`, `Runtime::block_on` or
//! `smol::block_on` its functions find the backend that runs them
//! ([`current_async_library`](crate::current_async_library), Python's `sniffio`). That is how a
//! library built on anyio is used by an application that never heard of it.
//!
//! ```
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let outcome = anyio::task_group(|tg| async move {
//!         tg.spawn(anyio::sleep(std::time::Duration::from_millis(1)));
//!     })
//!     .await;
//!     assert!(outcome.is_ok());
//! }
//! ```
//!
//! ## Writing a library on anyio
//!
//! Leave the backend to the application: depend on anyio without default features and forward
//! features of your own.
//!
//! ```toml
//! [dependencies]
//! anyio = { version = "0.1", default-features = false }
//!
//! [features]
//! default = ["tokio"]
//! tokio = ["anyio/tokio"]
//! smol = ["anyio/smol"]
//!
//! [dev-dependencies]
//! anyio = { version = "0.1", features = ["tokio", "smol", "macros"] }
//! ```
//!
//! Test with `#[anyio::test]` and every test runs on both backends.
//!
//! Next: [structured concurrency](super::structured_concurrency).
