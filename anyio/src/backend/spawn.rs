//! Spawning a detached task on the running backend.
//!
//! tokio: the current runtime's handle. smol: the executor of anyio's runner on this thread;
//! under a native smol runner (which does not publish its executor) a process-wide fallback
//! executor with one thread per CPU, as `smol::spawn` does.
//!
//! A task group captures its [`SpawnTarget`] when it starts, so that its children run where its
//! host runs, whichever thread spawns them (a plain thread, a blocking-pool thread).

use std::future::Future;

use super::Active;
use crate::runtime::NoEventLoopError;

/// Where to spawn: the runtime found on the thread that made it.
#[derive(Clone, Debug)]
pub(crate) enum SpawnTarget {
    #[cfg(feature = "tokio")]
    Tokio(::tokio::runtime::Handle),
    #[cfg(feature = "smol")]
    Smol(Option<std::sync::Arc<async_executor::Executor<'static>>>),
}

impl SpawnTarget {
    /// The runtime that runs the calling code.
    pub(crate) fn current() -> Result<SpawnTarget, NoEventLoopError> {
        match super::current()? {
            #[cfg(feature = "tokio")]
            Active::Tokio => ::tokio::runtime::Handle::try_current()
                .map(SpawnTarget::Tokio)
                .map_err(|_| NoEventLoopError::new()),
            #[cfg(feature = "smol")]
            Active::Smol => Ok(SpawnTarget::Smol(smol_executor::current())),
        }
    }

    /// Runs `future` as a new task there, detached: it reports back through its own state.
    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match super::instruments::of_target(self) {
            Some(instruments) => {
                self.spawn_untracked(super::instruments::Tracked::new(future, instruments))
            }
            None => self.spawn_untracked(future),
        }
    }

    /// [`spawn`](Self::spawn), without the instruments of a runtime run for testing.
    fn spawn_untracked<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match self {
            #[cfg(feature = "tokio")]
            SpawnTarget::Tokio(handle) => drop(handle.spawn(future)),
            #[cfg(feature = "smol")]
            SpawnTarget::Smol(Some(executor)) => executor.spawn(future).detach(),
            #[cfg(feature = "smol")]
            SpawnTarget::Smol(None) => smol_executor::fallback().spawn(future).detach(),
        }
    }
}

#[cfg(feature = "smol")]
pub(crate) mod smol_executor {
    //! Which executor smol tasks are spawned on.

    use std::cell::RefCell;
    use std::sync::{Arc, OnceLock};

    use async_executor::Executor;

    thread_local! {
        static CURRENT: RefCell<Option<Arc<Executor<'static>>>> = const { RefCell::new(None) };
    }

    /// Publishes `executor` as this thread's executor until the guard drops.
    pub(crate) fn enter(executor: &Arc<Executor<'static>>) -> ExecutorGuard {
        let previous = CURRENT.with(|current| current.replace(Some(Arc::clone(executor))));
        ExecutorGuard { previous }
    }

    /// Restores the previous executor of the thread when dropped.
    #[derive(Debug)]
    pub(crate) struct ExecutorGuard {
        previous: Option<Arc<Executor<'static>>>,
    }

    impl Drop for ExecutorGuard {
        fn drop(&mut self) {
            let previous = self.previous.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }

    /// This thread's executor (that of anyio's runner), if it has one.
    pub(crate) fn current() -> Option<Arc<Executor<'static>>> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// The process-wide executor for code that runs under a native smol runner.
    pub(crate) fn fallback() -> &'static Executor<'static> {
        static FALLBACK: OnceLock<&'static Executor<'static>> = OnceLock::new();
        FALLBACK.get_or_init(|| {
            let executor: &'static Executor<'static> = Box::leak(Box::new(Executor::new()));
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            for index in 0..threads {
                // A thread that cannot start only makes the pool smaller; with none at all the
                // tasks would never run, so the first failure is reported.
                let spawned = std::thread::Builder::new()
                    .name(format!("anyio-smol-fallback-{index}"))
                    .spawn(move || {
                        let _marker = crate::backend::enter(crate::backend::Active::Smol);
                        async_io::block_on(executor.run(std::future::pending::<()>()));
                    });
                if let Err(error) = spawned {
                    assert!(
                        index > 0,
                        "anyio: cannot start the smol fallback executor: {error}"
                    );
                }
            }
            executor
        })
    }
}
