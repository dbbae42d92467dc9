//! [`EventLoopToken`]: a way back into one event loop, for any thread.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::error::{CallError, RunFinishedError};
use super::hosted::{Hosted, settle};
use super::oneshot;
use crate::backend::SpawnTarget;
use crate::backend::instruments::Instruments;
use crate::cancel::node::ScopeNode;
use crate::runtime::{Backend, NoEventLoopError};
use crate::task::TaskId;

/// A handle on the event loop that was running when it was made, with which any thread can run
/// code in that loop and wait for the result (AnyIO's `EventLoopToken`).
///
/// Get one with [`current_token`](crate::lowlevel::current_token) inside async code, and hand
/// it to a thread that anyio did not start (a `std::thread`, a callback thread of a C library).
/// A thread started by [`to_thread::run_sync`](crate::to_thread::run_sync) needs none: the free
/// functions of [`from_thread`](crate::from_thread) find its event loop by themselves.
///
/// A token is cheap to clone, `Send` and `Sync`. It does not keep the runtime alive: once the
/// runtime has shut down, every call through it is [`CallError::RunFinished`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let token = anyio::lowlevel::current_token();
///     let thread = std::thread::spawn(move || {
///         token.run(async {
///             anyio::sleep(std::time::Duration::from_millis(1)).await;
///             "slept in the event loop"
///         })
///     });
///     // Wait without blocking the event loop the thread calls into.
///     let joined = anyio::to_thread::run_sync(move || thread.join().unwrap()).await;
///     assert_eq!(joined, Ok("slept in the event loop"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct EventLoopToken {
    target: LoopTarget,
}

#[derive(Clone)]
enum LoopTarget {
    #[cfg(feature = "tokio")]
    Tokio(::tokio::runtime::Handle),
    /// The executor of anyio's smol runner; it is gone once the runner has finished.
    #[cfg(feature = "smol")]
    Smol(std::sync::Weak<async_executor::Executor<'static>>),
    /// The process-wide executor that serves code under a native smol runner.
    #[cfg(feature = "smol")]
    SmolShared,
}

/// A token for the event loop running the calling code (AnyIO's `lowlevel.current_token`).
///
/// Call it in async code (or in synchronous code that such code calls) and give the token to
/// another thread; see [`EventLoopToken`].
///
/// # Panics
/// Outside any event loop, with the [`NoEventLoopError`] message: a token needs a loop to point
/// at. [`EventLoopToken::try_current`] returns the error instead.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let token = anyio::lowlevel::current_token();
///     assert_eq!(token.backend(), anyio::current_async_library().unwrap());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[track_caller]
pub fn current_token() -> EventLoopToken {
    match EventLoopToken::try_current() {
        Ok(token) => token,
        Err(error) => panic!("anyio::lowlevel::current_token: {error}"),
    }
}

impl EventLoopToken {
    /// A token for the event loop running the calling code, or why there is none.
    ///
    /// # Errors
    /// [`NoEventLoopError`] outside any event loop.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(not(feature = "smol"))] {
    /// // No event loop here (and no smol backend to fall back to).
    /// assert!(anyio::lowlevel::EventLoopToken::try_current().is_err());
    /// # }
    /// anyio::run(async {
    ///     assert!(anyio::lowlevel::EventLoopToken::try_current().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn try_current() -> Result<EventLoopToken, NoEventLoopError> {
        let target = match SpawnTarget::current()? {
            #[cfg(feature = "tokio")]
            SpawnTarget::Tokio(handle) => LoopTarget::Tokio(handle),
            #[cfg(feature = "smol")]
            SpawnTarget::Smol(Some(executor)) => LoopTarget::Smol(Arc::downgrade(&executor)),
            #[cfg(feature = "smol")]
            SpawnTarget::Smol(None) => LoopTarget::SmolShared,
        };
        Ok(EventLoopToken { target })
    }

    /// The backend of the event loop.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let token = anyio::Runner::tokio().run(async { anyio::lowlevel::current_token() })?;
    /// assert_eq!(token.backend(), anyio::Backend::Tokio);
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn backend(&self) -> Backend {
        match self.target {
            #[cfg(feature = "tokio")]
            LoopTarget::Tokio(_) => Backend::Tokio,
            #[cfg(feature = "smol")]
            LoopTarget::Smol(_) | LoopTarget::SmolShared => Backend::Smol,
        }
    }

    /// Runs `future` in the event loop as a new anyio task, blocking the calling thread until it
    /// finishes, and returns its output (AnyIO's `from_thread.run(..., token=token)`).
    ///
    /// The task belongs to no task group and no scope: nothing but the runtime's shutdown
    /// cancels it. (A worker thread's [`from_thread::run`](crate::from_thread::run) joins its
    /// host's scope instead.)
    ///
    /// # Errors
    /// - [`CallError::EventLoopThread`] when called on a thread that runs an event loop;
    /// - [`CallError::RunFinished`] when the runtime has shut down, or shuts down before the
    ///   task finishes.
    ///
    /// # Panics
    /// A panic in `future` is re-raised here.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let token = anyio::lowlevel::current_token();
    ///     let event = std::sync::Arc::new(anyio::sync::Event::new());
    ///     let set_by_thread = event.clone();
    ///     std::thread::spawn(move || token.run(async move { set_by_thread.set() }).unwrap());
    ///     event.wait().await;
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn run<F>(&self, future: F) -> Result<F::Output, CallError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.call(future, None, None, None)
    }

    /// Runs `function` in the event loop and returns its result, blocking the calling thread
    /// meanwhile (AnyIO's `from_thread.run_sync(..., token=token)`). Use it for synchronous
    /// calls that must happen on the loop, such as setting an [`Event`](crate::sync::Event)
    /// or cancelling a scope from its own thread.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    ///
    /// # Panics
    /// A panic in `function` is re-raised here.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let token = anyio::lowlevel::current_token();
    ///     let on_loop = std::thread::spawn(move || {
    ///         token.run_sync(|| anyio::get_current_task().is_some()).unwrap()
    ///     });
    ///     assert!(anyio::to_thread::run_sync(move || on_loop.join().unwrap()).await);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn run_sync<R, T>(&self, function: R) -> Result<T, CallError>
    where
        R: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.call(async move { function() }, None, None, None)
    }

    /// Runs `future` as a task of the loop under `host` and waits for it; `clock`: the
    /// instruments whose clock the calling thread holds, lent while the call runs.
    pub(crate) fn call<F>(
        &self,
        future: F,
        host: Option<Arc<ScopeNode>>,
        parent: Option<TaskId>,
        clock: Option<Arc<Instruments>>,
    ) -> Result<F::Output, CallError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        super::refuse_on_event_loop()?;
        let (sender, receiver) = oneshot::channel();
        self.spawn(Hosted::new(future, host, parent, sender, clock))?;
        settle(receiver.wait())
    }

    /// Where to spawn on the loop; `None` once anyio's smol runner has finished.
    pub(crate) fn spawn_target(&self) -> Option<SpawnTarget> {
        match &self.target {
            #[cfg(feature = "tokio")]
            LoopTarget::Tokio(handle) => Some(SpawnTarget::Tokio(handle.clone())),
            #[cfg(feature = "smol")]
            LoopTarget::Smol(executor) => executor
                .upgrade()
                .map(|executor| SpawnTarget::Smol(Some(executor))),
            #[cfg(feature = "smol")]
            LoopTarget::SmolShared => Some(SpawnTarget::Smol(None)),
        }
    }

    /// Spawns `future` on the loop, detached.
    pub(crate) fn spawn<F>(&self, future: F) -> Result<(), RunFinishedError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Through `SpawnTarget::spawn`, as every task anyio runs, so that a runtime run for
        // testing tracks it. A runtime that has shut down drops the task at once, which its
        // owner sees.
        match self.spawn_target() {
            Some(target) => target.spawn(future),
            None => return Err(RunFinishedError::new()),
        }
        Ok(())
    }
}

impl fmt::Debug for EventLoopToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("EventLoopToken");
        debug.field("backend", &self.backend());
        match &self.target {
            #[cfg(feature = "tokio")]
            LoopTarget::Tokio(handle) => {
                debug.field("runtime", &handle.id());
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        debug.finish()
    }
}
