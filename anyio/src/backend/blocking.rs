//! Running a blocking call off the event loop, on the backend's own pool of threads: tokio's
//! blocking pool, or the `blocking` crate's pool (smol's `unblock`).

use super::Active;

/// Runs `call` on a thread where blocking is allowed, and waits for its result without
/// blocking the event loop. A panic in `call` is re-raised here.
///
/// Dropping the future abandons the result; the call itself runs to its end.
pub(crate) async fn run_blocking<T, F>(backend: Active, call: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match backend {
        #[cfg(feature = "tokio")]
        Active::Tokio => match ::tokio::task::spawn_blocking(call).await {
            Ok(value) => value,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        },
        #[cfg(feature = "smol")]
        Active::Smol => blocking::unblock(call).await,
    }
}

/// A unit of blocking work for [`execute_blocking`].
pub(crate) type BlockingJob = Box<dyn FnOnce() + Send + 'static>;

/// Starts `job` on a thread where blocking is allowed, without waiting for it: tokio's blocking
/// pool of the runtime that runs the caller, or the pool of anyio's smol runner (the
/// process-wide one under a native smol runner).
///
/// Gives the job back if the runtime has shut down. (A tokio runtime that is shutting down drops
/// the job instead, which its owner sees as the job's channels closing.)
pub(crate) fn execute_blocking(backend: Active, job: BlockingJob) -> Result<(), BlockingJob> {
    match backend {
        #[cfg(feature = "tokio")]
        Active::Tokio => match ::tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                drop(handle.spawn_blocking(job));
                Ok(())
            }
            Err(_) => Err(job),
        },
        #[cfg(feature = "smol")]
        Active::Smol => super::smol::pool::execute(job).map_err(|shut| shut.0),
    }
}
