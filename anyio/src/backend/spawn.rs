//! Spawning a detached task on the running backend.
//!
//! tokio: `tokio::spawn` on the current runtime. smol: the executor of anyio's runner on this
//! thread; under a native smol runner (which does not publish its executor) a process-wide
//! fallback executor with one thread per CPU, as `smol::spawn` does.

use std::future::Future;

use super::Active;

/// Runs `future` as a new task on `backend`, detached: it reports back through its own state.
pub(crate) fn spawn_detached<F>(backend: Active, future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match backend {
        #[cfg(feature = "tokio")]
        Active::Tokio => {
            drop(::tokio::spawn(future));
        }
        #[cfg(feature = "smol")]
        Active::Smol => smol_executor::with_current(|executor| executor.spawn(future).detach()),
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

    /// Calls `f` with this thread's executor, or the fallback one. (Borrowed, not cloned: a
    /// reference-count update per spawn would bounce the executor's cache line between the
    /// threads that spawn.)
    pub(crate) fn with_current<R>(f: impl FnOnce(&Executor<'static>) -> R) -> R {
        CURRENT.with(|current| match &*current.borrow() {
            Some(executor) => f(executor),
            None => f(fallback()),
        })
    }

    /// The process-wide executor for code that runs under a native smol runner.
    fn fallback() -> &'static Executor<'static> {
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
