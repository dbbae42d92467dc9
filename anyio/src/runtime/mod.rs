//! Starting a runtime, and finding out which one runs your code.
//!
//! [`run`] is the entry point of an anyio program: it runs a future on the default backend
//! (tokio, or the one the `ANYIO_BACKEND` environment variable names) and returns its output.
//! [`Runner`] picks the backend and its options explicitly.
//!
//! anyio code does not have to be started by [`run`]: inside `#[tokio::main]`,
//! `Runtime::block_on` or `smol::block_on` its functions work just the same, and
//! [`current_async_library`] reports which backend is running them (Python's `sniffio`).
//!
//! # Examples
//! ```
//! use anyio::Backend;
//!
//! // Under anyio's own runner...
//! let backend = anyio::Runner::smol().run(async { anyio::current_async_library() });
//! # #[cfg(feature = "smol")]
//! assert_eq!(backend.unwrap()?, Backend::Smol);
//!
//! // ... and under a native one.
//! # #[cfg(feature = "tokio")] {
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! assert_eq!(runtime.block_on(async { anyio::current_async_library() })?, Backend::Tokio);
//! # }
//! # Ok::<(), anyio::NoEventLoopError>(())
//! ```

use std::future::Future;

mod backend;
mod error;
mod main_task;
mod runner;

pub use backend::{Backend, UnknownBackendError};
pub use error::{NoEventLoopError, RunError};
#[cfg(feature = "smol")]
pub(crate) use runner::SmolOptions;
pub use runner::{BACKEND_ENV_VAR, Runner};
#[cfg(feature = "tokio")]
pub(crate) use runner::{TokioFlavor, TokioOptions};

/// Runs `future` to completion on the default backend and returns its output.
///
/// The default backend is tokio (a multi-thread runtime, as `#[tokio::main]` builds), or smol in
/// a build without the `tokio` feature, unless the `ANYIO_BACKEND` environment variable names
/// another: `ANYIO_BACKEND=smol cargo run` runs the whole program on smol. Use [`Runner`] to
/// choose the backend and its options in code.
///
/// The runtime shuts down before `run` returns, dropping tasks still running. A panic in
/// `future` propagates out of `run` once the runtime has shut down.
///
/// # Errors
/// See [`Runner::run`]; in addition, [`RunError::InvalidEnvironment`] when `ANYIO_BACKEND`
/// names no backend.
///
/// # Examples
/// The seed's hello world:
/// ```
/// anyio::run(async {
///     println!("Hello, world!");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn run<F: Future>(future: F) -> Result<F::Output, RunError> {
    Runner::from_env()?.run(future)
}

/// The backend running the calling code (Python's `sniffio.current_async_library()`).
///
/// Detection looks, in order, for:
/// 1. anyio's own runner on this thread;
/// 2. a tokio runtime that runs the calling code: a tokio task, the future of a
///    `Runtime::block_on` or `Handle::block_on` (so `#[tokio::main]` and `#[tokio::test]`
///    report [`Backend::Tokio`]), or any code on a thread where a *multi-thread* runtime is
///    entered, since its worker threads drive its timers and I/O whoever polls;
/// 3. when the `smol` feature is compiled in, [`Backend::Smol`]: async-io's reactor serves any
///    executor, so that is where anyio's operations run under `smol::block_on` or any other
///    executor.
///
/// A *current-thread* tokio runtime is driven only while its `block_on` runs. Where one is
/// merely entered on this thread (`Runtime::enter`, or a `spawn_blocking` closure) and another
/// executor polls the code, anyio does not use it, because its timers could wait forever:
/// detection goes on to smol, or fails without it. `Handle::block_on` on such a runtime does
/// count as tokio running the code: as tokio documents, timers and I/O work there only while
/// another thread runs the runtime's `Runtime::block_on`, and that holds for anyio's as well.
///
/// A synchronous function cannot tell whether a future is being polled, so with the `smol`
/// feature this answers `Smol` even from plain synchronous code outside any runtime.
///
/// # Errors
/// [`NoEventLoopError`] when no backend can run anyio's operations here, in a build without the
/// `smol` feature: outside any tokio runtime and anyio runner, or where a current-thread tokio
/// runtime is entered but another executor polls the code. The message tells which.
///
/// # Examples
/// ```
/// let backend = anyio::run(async { anyio::current_async_library() })??;
/// println!("running on {backend}");
///
/// // A current-thread tokio runtime that is only entered does not run smol's `block_on`.
/// # #[cfg(feature = "smol")] {
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let _entered = runtime.enter();
/// let backend = smol::block_on(async { anyio::current_async_library() })?;
/// assert_eq!(backend, anyio::Backend::Smol);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn current_async_library() -> Result<Backend, NoEventLoopError> {
    crate::backend::current().map(|active| active.public())
}
