//! Errors from starting a runtime and from looking for one.

use std::fmt;
use std::io;

use super::{Backend, UnknownBackendError};

/// No async runtime runs the calling code (AnyIO's `NoEventLoopError`).
///
/// Returned by [`current_async_library`](crate::current_async_library). anyio's async
/// operations panic with this error's message instead, as tokio's do outside a runtime, because
/// calling them there is a programming error.
///
/// Without the `smol` feature it has two causes, which its message tells apart:
/// - no runtime at all: outside anyio's runners and any tokio runtime;
/// - a current-thread tokio runtime is entered on this thread (`Runtime::enter`, or a
///   `spawn_blocking` thread), but another executor polls the code, not the runtime's
///   `block_on` or one of its tasks. Such a runtime's timers and I/O only make progress while
///   its `block_on` runs, so using them there could wait forever.
///
/// With the `smol` feature compiled in this error does not occur: async-io's reactor runs under
/// any executor, so code that neither an anyio runner nor a running tokio runtime claims runs
/// on the smol backend.
///
/// # Examples
/// ```
/// # #[cfg(not(feature = "smol"))] {
/// // Outside any runtime, in a build without the `smol` feature:
/// let error = anyio::current_async_library().unwrap_err();
/// assert!(error.to_string().starts_with("no async runtime is running"));
///
/// // A current-thread tokio runtime that is entered, but not running this code:
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let _entered = runtime.enter();
/// let error = anyio::current_async_library().unwrap_err();
/// assert!(error.to_string().starts_with(
///     "a tokio runtime is entered on this thread but nothing runs it"
/// ));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoEventLoopError {
    reason: NoEventLoop,
}

/// Why there is no event loop; see [`NoEventLoopError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NoEventLoop {
    /// No runtime on this thread.
    #[cfg_attr(feature = "smol", allow(dead_code))]
    NoRuntime,
    /// A current-thread tokio runtime is entered, and another executor polls the code.
    #[cfg_attr(not(all(feature = "tokio", not(feature = "smol"))), allow(dead_code))]
    TokioNotRunning,
}

impl NoEventLoopError {
    /// No runtime runs on this thread.
    #[cfg_attr(feature = "smol", allow(dead_code))]
    pub(crate) fn new() -> Self {
        NoEventLoopError {
            reason: NoEventLoop::NoRuntime,
        }
    }

    /// A current-thread tokio runtime is entered on this thread, and another executor polls
    /// the code.
    #[cfg(all(feature = "tokio", not(feature = "smol")))]
    pub(crate) fn tokio_not_running() -> Self {
        NoEventLoopError {
            reason: NoEventLoop::TokioNotRunning,
        }
    }
}

impl fmt::Display for NoEventLoopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.reason {
            NoEventLoop::NoRuntime => {
                "no async runtime is running on this thread: call this from inside anyio::run, \
                 #[anyio::main] or a tokio runtime, or enable anyio's `smol` feature"
            }
            NoEventLoop::TokioNotRunning => {
                "a tokio runtime is entered on this thread but nothing runs it: it is a \
                 current-thread runtime, and this code is polled by another executor, not by the \
                 runtime's `block_on` or one of its tasks, so its timers and I/O would never \
                 fire; run the code with `Runtime::block_on` or `tokio::spawn`, or enable \
                 anyio's `smol` feature"
            }
        })
    }
}

impl std::error::Error for NoEventLoopError {}

/// Why [`run`](crate::run) or [`Runner::run`](crate::Runner::run) could not start the future.
///
/// ## `Debug` prints the message
/// `{:?}` gives the same text as `{}` (as `anyhow::Error` does), and `{:#?}` the structured
/// form. A `main` that returns `Result<(), RunError>` prints its error with `{:?}`, and the
/// message is what helps there: for a bad `ANYIO_BACKEND` it lists the valid backends, which
/// the structured form would hide.
///
/// # Examples
/// ```
/// # #[cfg(feature = "tokio")] {
/// use anyio::{Backend, Runner, RunError};
///
/// // `threads` is a smol option; on tokio it is refused, not ignored.
/// let error = Runner::tokio().threads(2).run(async {}).unwrap_err();
/// assert!(matches!(error, RunError::InvalidOption { option: "threads", .. }));
///
/// // `{:?}` is the message; `{:#?}` shows the variant and its fields.
/// assert_eq!(format!("{error:?}"), error.to_string());
/// assert!(format!("{error:#?}").starts_with("InvalidOption {"));
/// # }
/// ```
#[non_exhaustive]
pub enum RunError {
    /// This thread already runs an async runtime, so starting another would block it.
    AlreadyRunning {
        /// The runtime that is already running.
        backend: Backend,
    },
    /// `ANYIO_BACKEND` names no backend.
    InvalidEnvironment {
        /// The environment variable.
        variable: &'static str,
        /// What was wrong with its value.
        source: UnknownBackendError,
    },
    /// The backend is not compiled in.
    BackendNotEnabled {
        /// The backend that was asked for.
        backend: Backend,
    },
    /// An option does not apply to the chosen backend, or contradicts another option.
    InvalidOption {
        /// The option, as its [`Runner`](crate::Runner) method is named.
        option: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The runtime could not be built (tokio's builder failed, or a thread could not start).
    Build {
        /// The backend whose runtime failed to build.
        backend: Backend,
        /// The underlying error.
        source: io::Error,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::AlreadyRunning { backend } => {
                write!(f, "already running {backend} in this thread")
            }
            RunError::InvalidEnvironment { variable, source } => write!(f, "{variable}: {source}"),
            RunError::BackendNotEnabled { backend } => write!(
                f,
                "the {backend} backend is not compiled in: enable the `{}` feature of anyio",
                backend.feature()
            ),
            RunError::InvalidOption { option, reason } => {
                write!(f, "invalid runner option `{option}`: {reason}")
            }
            RunError::Build { backend, source } => {
                write!(f, "could not start the {backend} runtime: {source}")
            }
        }
    }
}

/// The message, like `Display`; the structured form with `{:#?}` (see the type's docs).
impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            RunError::AlreadyRunning { backend } => f
                .debug_struct("AlreadyRunning")
                .field("backend", backend)
                .finish(),
            RunError::InvalidEnvironment { variable, source } => f
                .debug_struct("InvalidEnvironment")
                .field("variable", variable)
                .field("source", source)
                .finish(),
            RunError::BackendNotEnabled { backend } => f
                .debug_struct("BackendNotEnabled")
                .field("backend", backend)
                .finish(),
            RunError::InvalidOption { option, reason } => f
                .debug_struct("InvalidOption")
                .field("option", option)
                .field("reason", reason)
                .finish(),
            RunError::Build { backend, source } => f
                .debug_struct("Build")
                .field("backend", backend)
                .field("source", source)
                .finish(),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::InvalidEnvironment { source, .. } => Some(source),
            RunError::Build { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<RunError> for io::Error {
    fn from(error: RunError) -> io::Error {
        let kind = match &error {
            RunError::Build { source, .. } => source.kind(),
            RunError::AlreadyRunning { .. } => io::ErrorKind::Other,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, error)
    }
}
