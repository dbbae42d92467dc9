//! The default capacity limiter of worker threads: one per runtime.

use std::sync::Arc;

use crate::backend::runtime_local::RuntimeLocal;
use crate::runtime::NoEventLoopError;
use crate::sync::CapacityLimiter;

/// How many threads [`run_sync`](super::to_thread::run_sync) calls may run at once in one
/// runtime unless told otherwise (AnyIO's default, 40).
pub const DEFAULT_THREAD_LIMIT: usize = 40;

static DEFAULT_LIMITERS: RuntimeLocal<Arc<CapacityLimiter>> = RuntimeLocal::new();

/// The capacity limiter that [`run_sync`](super::to_thread::run_sync) uses when given none: one
/// per runtime, created with [`DEFAULT_THREAD_LIMIT`] tokens (AnyIO's
/// `current_default_thread_limiter`).
///
/// Code under native smol runners (`smol::block_on`), which anyio serves from one process-wide
/// executor, shares one process-wide limiter.
///
/// Change its size at run time with
/// [`set_total_tokens`](CapacityLimiter::set_total_tokens); the change applies to this
/// runtime only, and calls already waiting for a token are served at once when it grows.
///
/// On a worker thread of [`run_sync`](super::to_thread::run_sync) it is the limiter of the
/// runtime that started the thread.
///
/// # Errors
/// [`NoEventLoopError`] where anyio finds no event loop (with the `smol` feature compiled in,
/// code outside every runtime is served by smol: it gets the process-wide limiter), and on a
/// worker thread whose runner has finished.
///
/// # Examples
/// ```
/// use anyio::to_thread;
///
/// anyio::run(async {
///     let limiter = to_thread::current_default_thread_limiter().unwrap();
///     assert_eq!(limiter.total_tokens(), to_thread::DEFAULT_THREAD_LIMIT);
///     // A server that spends its threads waiting on a slow database may want more.
///     limiter.set_total_tokens(100);
///     let again = to_thread::current_default_thread_limiter().unwrap();
///     assert_eq!(again.total_tokens(), 100);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn current_default_thread_limiter() -> Result<Arc<CapacityLimiter>, NoEventLoopError> {
    let make = || Arc::new(CapacityLimiter::new(DEFAULT_THREAD_LIMIT));
    // A worker thread's runtime is its host's (the runtime is merely entered there, or not
    // at all on smol, so detection would not find it).
    if let Some(host) = super::worker::host() {
        return match host.token.spawn_target() {
            Some(target) => Ok(DEFAULT_LIMITERS.get_or_init_in(target, make)),
            // The host's runner has finished.
            None => Err(NoEventLoopError::new()),
        };
    }
    DEFAULT_LIMITERS.get_or_init(make)
}
