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
    // A virtual clock stands still while the call runs (see `anyio::testing`).
    let _clock = super::instruments::hold();
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
/// capacity limiter's tokens, given back in `deliver`). So `deliver` runs only known, cheap code
/// (no user code: a value's `Drop` may block or panic); a result nobody wants is dropped by
/// [`discard`](Self::discard) or the [`Leftover`] `deliver` returns, before the thread is
/// listed.
pub(crate) trait BlockingWork: Send + 'static {
    /// Does the work (on the worker thread). Catches the work's own panic.
    fn run(&mut self);
    /// Whether anybody still waits for the result.
    fn wanted(&self) -> bool;
    /// Hands the result over (on the worker thread, once it is ready for more work). If the
    /// waiter went away meanwhile, gives back what is left to drop.
    fn deliver(self: Box<Self>) -> Option<Leftover>;
    /// Drops a result nobody waits for (and reports a panic nobody will see).
    fn discard(self: Box<Self>);
}

/// What [`BlockingWork::deliver`] could not hand over, to drop off the idle list.
pub(crate) type Leftover = Box<dyn FnOnce() + Send>;

/// Runs `job` to its end on this thread, without a pool to list it in (tokio's blocking pool).
#[cfg(feature = "tokio")]
fn run_to_end(mut job: BlockingJob) {
    job.run();
    if job.wanted() {
        if let Some(leftover) = job.deliver() {
            leftover();
        }
    } else {
        job.discard();
    }
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

    fn wanted(&self) -> bool {
        !self.sender.is_closed()
    }

    fn deliver(self: Box<Self>) -> Option<Leftover> {
        let outcome = self.outcome?;
        match self.sender.try_send(outcome) {
            Ok(()) => None,
            // The caller went away (it was dropped) a moment ago.
            Err(refused) => {
                let outcome = refused.into_inner();
                Some(Box::new(move || drop(outcome)))
            }
        }
    }

    fn discard(self: Box<Self>) {
        drop(self);
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
                drop(handle.spawn_blocking(move || run_to_end(job)));
                Ok(())
            }
            Err(_) => Err(job),
        },
        #[cfg(feature = "smol")]
        Active::Smol => super::smol::pool::execute(job).map_err(|shut| shut.0),
    }
}
