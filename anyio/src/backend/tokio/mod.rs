//! The tokio backend: tokio's runtime, timers and cooperative yield.

pub(crate) mod runtime;
pub(crate) mod time;

/// Whether the calling code runs inside a tokio runtime context.
///
/// `try_id` is a plain thread-local read and answers for every tokio task; only code running
/// directly under `block_on` (no task id) pays for `Handle::try_current`, which clones the handle.
pub(crate) fn context_present() -> bool {
    ::tokio::task::try_id().is_some() || ::tokio::runtime::Handle::try_current().is_ok()
}
