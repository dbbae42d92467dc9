//! Running a blocking call off the event loop, on the backend's pool of threads: tokio's
//! blocking pool, or the pool of anyio's smol runner (`smol::pool`).

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
        // anyio's own pool (see `smol::pool`), so that these threads, too, end with the runner.
        #[cfg(feature = "smol")]
        Active::Smol => {
            let (sender, receiver) = async_channel::bounded(1);
            let job = Box::new(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
                // The caller may have gone (it was dropped): then the value is dropped here.
                let _ = sender.try_send(outcome);
            });
            if super::smol::pool::execute(job).is_err() {
                // The runner is shutting down and drops this future next.
                return std::future::pending().await;
            }
            match receiver.recv().await {
                Ok(Ok(value)) => value,
                Ok(Err(payload)) => std::panic::resume_unwind(payload),
                // The job was dropped unrun, only at shutdown (as above).
                Err(_) => std::future::pending().await,
            }
        }
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
