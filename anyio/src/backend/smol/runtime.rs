//! Running a future on an `async-executor`, driven by `async-io`, for [`Runner`](crate::Runner).
//!
//! The calling thread drives the main future and runs tasks at the same time
//! (`Executor::run`); `threads - 1` more threads run the executor until the main future is done.
//! Every thread blocks in `async_io::block_on`, which lets an idle thread sleep in the reactor
//! itself instead of handing I/O events across threads (`futures_lite`'s `block_on` cannot).

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use async_executor::Executor;

use crate::backend::{self, Active};
use crate::runtime::{Backend, RunError, SmolOptions};

/// Runs `future` on a new executor with the configured number of threads.
pub(crate) fn run<F: Future>(options: SmolOptions, future: F) -> Result<F::Output, RunError> {
    let threads = options.threads.unwrap_or_else(default_thread_count);
    let executor = Arc::new(Executor::new());
    let blocking_pool = Arc::new(super::pool::WorkerPool::new());
    // A single-threaded runner needs no stop signal and no pool.
    let mut pool = (threads > 1).then(WorkerPool::new);
    if let Some(pool) = &mut pool {
        for index in 1..threads {
            pool.spawn(index, &executor, &blocking_pool)?;
        }
    }

    // The marker outlives the executor: tasks dropped at shutdown still see smol.
    let _marker = backend::enter(Active::Smol);
    let executor_guard = backend::smol_executor::enter(&executor);
    let pool_guard = super::pool::enter(&blocking_pool);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        async_io::block_on(executor.run(super::main_future::Prompt::new(future, &executor)))
    }));
    if let Some(pool) = &mut pool {
        pool.shutdown();
    }
    drop(executor_guard);
    drop(pool_guard);
    // The workers have exited and dropped their handles, so this drops the executor and with it
    // every task still left, on this thread. (Unless a thread calling in through an event-loop
    // token holds the executor for that moment: then the last of them drops it there.)
    drop(executor);
    // Then the threads for blocking work: idle ones exit now, busy ones (a call whose caller
    // was dropped above, or abandoned) when their call returns. None outlives the runner.
    blocking_pool.shut_down();
    match outcome {
        Ok(output) => Ok(output),
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// One executor thread per CPU, like tokio's default worker count.
fn default_thread_count() -> usize {
    thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The extra executor threads. Dropping the pool (also while unwinding) stops and joins them.
struct WorkerPool {
    stop: async_channel::Sender<()>,
    stopped: async_channel::Receiver<()>,
    workers: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    fn new() -> Self {
        let (stop, stopped) = async_channel::bounded(1);
        WorkerPool {
            stop,
            stopped,
            workers: Vec::new(),
        }
    }

    fn spawn(
        &mut self,
        index: usize,
        executor: &Arc<Executor<'static>>,
        blocking_pool: &Arc<super::pool::WorkerPool>,
    ) -> Result<(), RunError> {
        let executor = Arc::clone(executor);
        let blocking_pool = Arc::clone(blocking_pool);
        let stopped = self.stopped.clone();
        let worker = thread::Builder::new()
            .name(format!("anyio-smol-{index}"))
            .spawn(move || {
                let _marker = backend::enter(Active::Smol);
                let _executor = backend::smol_executor::enter(&executor);
                let _pool = super::pool::enter(&blocking_pool);
                // `recv` fails once the pool closes the channel: that is the stop signal.
                async_io::block_on(executor.run(stopped.recv())).ok();
            })
            .map_err(|source| RunError::Build {
                backend: Backend::Smol,
                source,
            })?;
        self.workers.push(worker);
        Ok(())
    }

    /// Stops every worker and waits for it to exit.
    fn shutdown(&mut self) {
        self.stop.close();
        for worker in self.workers.drain(..) {
            // A worker only runs the executor, which catches task panics for the task's
            // awaiter; a panic here would be a bug in the executor itself. Nothing is lost by
            // not re-raising it on top of the main future's outcome.
            let _ = worker.join();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}
