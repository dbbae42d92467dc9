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
            let job = Box::new(Call {
                call: Some(call),
                outcome: None,
                sender,
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

/// Blocking work in two parts: the work itself, then handing its result over.
///
/// anyio's smol pool calls [`deliver`](Self::deliver) only once the thread is listed as idle
/// again: whoever learns that the work is done and submits more finds the thread free, instead
/// of the pool starting another one. That keeps the pool within the bound the callers keep (a
/// capacity limiter's tokens, given back in `deliver`).
pub(crate) trait BlockingWork: Send + 'static {
    /// Does the work (on the worker thread).
    fn run(&mut self);
    /// Hands the result over (on the worker thread, once it is ready for more work).
    fn deliver(self: Box<Self>);
}

/// A unit of blocking work for [`execute_blocking`].
pub(crate) type BlockingJob = Box<dyn BlockingWork>;

/// [`run_blocking`]'s work on the smol pool.
#[cfg(feature = "smol")]
struct Call<F, T> {
    call: Option<F>,
    outcome: Option<std::thread::Result<T>>,
    sender: async_channel::Sender<std::thread::Result<T>>,
}

#[cfg(feature = "smol")]
impl<F, T> BlockingWork for Call<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(&mut self) {
        if let Some(call) = self.call.take() {
            self.outcome = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)));
        }
    }

    fn deliver(self: Box<Self>) {
        if let Some(outcome) = self.outcome {
            // The caller may have gone (it was dropped): then the value is dropped here.
            let _ = self.sender.try_send(outcome);
        }
    }
}

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
                drop(handle.spawn_blocking(move || {
                    let mut job = job;
                    job.run();
                    job.deliver();
                }));
                Ok(())
            }
            Err(_) => Err(job),
        },
        #[cfg(feature = "smol")]
        Active::Smol => super::smol::pool::execute(job).map_err(|shut| shut.0),
    }
}
