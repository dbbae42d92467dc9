//! [`Runner`]: pick a backend and its options, then run a future to completion.

use std::fmt;
use std::future::Future;

use super::{Backend, RunError};
use crate::backend::{self, Active};

/// The environment variable that picks the default backend of [`run`](crate::run).
pub const BACKEND_ENV_VAR: &str = "ANYIO_BACKEND";

/// Runs a future on a backend chosen at run time, with that backend's options.
///
/// A runner owns its runtime: [`run`](Runner::run) builds it, drives the future to completion on
/// the calling thread, shuts the runtime down (dropping any tasks still left) and returns the
/// future's output. The future need not be `Send` or `'static`.
///
/// Options belong to one backend. Setting one that does not belong to the chosen backend, or
/// two that contradict each other, makes [`run`](Runner::run) fail with
/// [`RunError::InvalidOption`]; nothing is silently ignored.
///
/// | option | backend | default |
/// |---|---|---|
/// | [`current_thread`](Runner::current_thread) / [`multi_thread`](Runner::multi_thread) | tokio | multi-thread, as `#[tokio::main]` |
/// | [`worker_threads`](Runner::worker_threads) | tokio, multi-thread | one per CPU |
/// | [`runtime_factory`](Runner::runtime_factory) | tokio | anyio builds the runtime |
/// | [`threads`](Runner::threads) | smol | one per CPU |
///
/// # Examples
/// ```
/// # #[cfg(feature = "tokio")] {
/// use anyio::{Backend, Runner};
///
/// let answer = Runner::new(Backend::Tokio).current_thread().run(async {
///     anyio::sleep(std::time::Duration::from_millis(1)).await;
///     anyio::current_async_library().unwrap()
/// })?;
/// assert_eq!(answer, Backend::Tokio);
/// # }
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Runner {
    backend: Backend,
    track_blocking: bool,
    virtual_time: bool,
    pub(crate) tokio: TokioOptions,
    pub(crate) smol: SmolOptions,
}

/// The tokio runtime's flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokioFlavor {
    CurrentThread,
    MultiThread,
}

/// Builds the tokio runtime builder; see [`Runner::runtime_factory`].
#[cfg(feature = "tokio")]
pub(crate) type RuntimeFactory = Box<dyn FnOnce() -> ::tokio::runtime::Builder + Send>;

/// Options of the tokio backend, as the user set them (`None`: not set).
#[derive(Default)]
pub(crate) struct TokioOptions {
    pub(crate) flavor: Option<TokioFlavor>,
    pub(crate) worker_threads: Option<usize>,
    #[cfg(feature = "tokio")]
    pub(crate) factory: Option<RuntimeFactory>,
}

impl TokioOptions {
    /// The name of the first option that is set, for an error on another backend.
    fn first_set(&self) -> Option<&'static str> {
        if let Some(flavor) = self.flavor {
            return Some(match flavor {
                TokioFlavor::CurrentThread => "current_thread",
                TokioFlavor::MultiThread => "multi_thread",
            });
        }
        if self.worker_threads.is_some() {
            return Some("worker_threads");
        }
        #[cfg(feature = "tokio")]
        if self.factory.is_some() {
            return Some("runtime_factory");
        }
        None
    }

    /// Checks the options against each other.
    fn validate(&self) -> Result<(), RunError> {
        #[cfg(feature = "tokio")]
        if self.factory.is_some() {
            if let Some(option) = self.first_set_besides_factory() {
                return Err(invalid(
                    option,
                    "`runtime_factory` builds the runtime itself; set this on the builder it returns",
                ));
            }
        }
        match (self.flavor, self.worker_threads) {
            (Some(TokioFlavor::CurrentThread), Some(_)) => Err(invalid(
                "worker_threads",
                "a current-thread runtime has no worker threads; drop `current_thread` or this option",
            )),
            (_, Some(0)) => Err(invalid(
                "worker_threads",
                "there must be at least one worker thread",
            )),
            _ => Ok(()),
        }
    }

    #[cfg(feature = "tokio")]
    fn first_set_besides_factory(&self) -> Option<&'static str> {
        TokioOptions {
            flavor: self.flavor,
            worker_threads: self.worker_threads,
            factory: None,
        }
        .first_set()
    }
}

/// Options of the smol backend, as the user set them (`None`: not set).
#[derive(Default, Debug)]
pub(crate) struct SmolOptions {
    pub(crate) threads: Option<usize>,
}

impl SmolOptions {
    fn validate(&self) -> Result<(), RunError> {
        match self.threads {
            Some(0) => Err(invalid(
                "threads",
                "there must be at least one executor thread",
            )),
            _ => Ok(()),
        }
    }
}

fn invalid(option: &'static str, reason: impl Into<String>) -> RunError {
    RunError::InvalidOption {
        option,
        reason: reason.into(),
    }
}

impl Runner {
    /// A runner for `backend`, with that backend's default options.
    ///
    /// # Examples
    /// ```
    /// let runner = anyio::Runner::new(anyio::Backend::Tokio);
    /// assert_eq!(runner.backend(), anyio::Backend::Tokio);
    /// ```
    pub fn new(backend: Backend) -> Self {
        Runner {
            backend,
            track_blocking: false,
            virtual_time: false,
            tokio: TokioOptions::default(),
            smol: SmolOptions::default(),
        }
    }

    /// A runner for the tokio backend.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let n = anyio::Runner::tokio().worker_threads(2).run(async { 40 + 2 })?;
    /// assert_eq!(n, 42);
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn tokio() -> Self {
        Runner::new(Backend::Tokio)
    }

    /// A runner for the smol backend.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "smol")] {
    /// let n = anyio::Runner::smol().threads(2).run(async { 40 + 2 })?;
    /// assert_eq!(n, 42);
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn smol() -> Self {
        Runner::new(Backend::Smol)
    }

    /// A runner for the default backend: the one `ANYIO_BACKEND` names, or, when it is unset or
    /// empty, tokio (smol in a build without the `tokio` feature).
    ///
    /// # Errors
    /// [`RunError::InvalidEnvironment`] when `ANYIO_BACKEND` names no backend.
    ///
    /// # Examples
    /// ```
    /// let runner = anyio::Runner::from_env()?;
    /// println!("this process runs anyio on {}", runner.backend());
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_env() -> Result<Self, RunError> {
        let value = std::env::var_os(BACKEND_ENV_VAR).unwrap_or_default();
        if value.is_empty() {
            return Ok(Runner::new(Active::DEFAULT.public()));
        }
        let text = value.to_string_lossy();
        text.parse()
            .map(Runner::new)
            .map_err(|source| RunError::InvalidEnvironment {
                variable: BACKEND_ENV_VAR,
                source,
            })
    }

    /// The backend this runner runs on.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::Runner::smol().backend(), anyio::Backend::Smol);
    /// ```
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// tokio: use a current-thread runtime, which runs every task on the calling thread.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let main_thread = std::thread::current().id();
    /// let same = anyio::Runner::tokio()
    ///     .current_thread()
    ///     .run(async move { std::thread::current().id() == main_thread })?;
    /// assert!(same);
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn current_thread(mut self) -> Self {
        self.tokio.flavor = Some(TokioFlavor::CurrentThread);
        self
    }

    /// tokio: use a multi-thread runtime (the default).
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// anyio::Runner::tokio().multi_thread().run(async {})?;
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn multi_thread(mut self) -> Self {
        self.tokio.flavor = Some(TokioFlavor::MultiThread);
        self
    }

    /// tokio: the number of worker threads of the multi-thread runtime (at least 1).
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// anyio::Runner::tokio().worker_threads(2).run(async {})?;
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn worker_threads(mut self, count: usize) -> Self {
        self.tokio.worker_threads = Some(count);
        self
    }

    /// tokio: build the runtime from your own `tokio::runtime::Builder` (AnyIO's
    /// `loop_factory`).
    ///
    /// The factory returns the builder with your settings; the runner enables tokio's I/O and
    /// time drivers on it (anyio needs both) and builds it. The flavour and worker-thread
    /// options cannot be combined with a factory: set them on the builder.
    ///
    /// # Examples
    /// ```
    /// let name = anyio::Runner::tokio()
    ///     .runtime_factory(|| {
    ///         let mut builder = tokio::runtime::Builder::new_multi_thread();
    ///         builder.worker_threads(1).thread_name("my-worker");
    ///         builder
    ///     })
    ///     .run(async {
    ///         tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
    ///             .await
    ///             .unwrap()
    ///     })?;
    /// assert_eq!(name.as_deref(), Some("my-worker"));
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn runtime_factory(
        mut self,
        factory: impl FnOnce() -> ::tokio::runtime::Builder + Send + 'static,
    ) -> Self {
        self.tokio.factory = Some(Box::new(factory));
        self
    }

    /// smol: the number of threads that run the executor, counting the calling thread (at least
    /// 1; 1 runs every task on the calling thread).
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "smol")] {
    /// anyio::Runner::smol().threads(1).run(async {})?;
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn threads(mut self, count: usize) -> Self {
        self.smol.threads = Some(count);
        self
    }

    /// Keeps count of which of anyio's tasks can run, so that
    /// [`wait_all_tasks_blocked`](crate::testing::wait_all_tasks_blocked) works on this
    /// runtime. `#[anyio::test]` always does.
    ///
    /// Every task anyio spawns (and the future given to [`run`](Runner::run)) is then polled
    /// with a waker that notes its wakes: a few atomic operations per poll and per wake, and
    /// one allocation per task. Both backends.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// use anyio::sync::Event;
    ///
    /// anyio::Runner::from_env()?.track_blocking().run(async {
    ///     let event = Arc::new(Event::new());
    ///     anyio::task_group(|tg| async move {
    ///         let waiter = Arc::clone(&event);
    ///         tg.spawn(async move { waiter.wait().await });
    ///         // Returns once the child waits on the event.
    ///         anyio::testing::wait_all_tasks_blocked().await;
    ///         event.set();
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn track_blocking(mut self) -> Self {
        self.track_blocking = true;
        self
    }

    /// Runs anyio's clock on virtual time: time stands still while any anyio task can run, and
    /// jumps to the next deadline when none can (Trio's `MockClock(autojump_threshold=0)`).
    /// Implies [`track_blocking`](Runner::track_blocking). Both backends; see
    /// [`anyio::testing`](crate::testing#virtual-time) for what it covers.
    ///
    /// # Examples
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let started = Instant::now();
    /// let timed_out = anyio::Runner::from_env()?.virtual_time().run(async {
    ///     anyio::fail_after(Duration::from_secs(3600), anyio::sleep_forever()).await
    /// })?;
    /// assert!(timed_out.is_err()); // an hour on anyio's clock...
    /// assert!(started.elapsed() < Duration::from_secs(5)); // ...and no time at all on yours
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn virtual_time(mut self) -> Self {
        self.virtual_time = true;
        self
    }

    /// Runs `future` to completion on a new runtime and returns its output.
    ///
    /// The runtime is shut down before this returns; tasks still running then are dropped. A
    /// panic in `future` propagates out of `run` once the runtime has shut down.
    ///
    /// # Errors
    /// - [`RunError::AlreadyRunning`] when this thread already runs a runtime: anyio's own, or
    ///   a tokio runtime context (`block_on`, a tokio task, or a thread that entered a handle);
    /// - [`RunError::BackendNotEnabled`] when the backend's cargo feature is off;
    /// - [`RunError::InvalidOption`] for an option of another backend or contradicting options;
    /// - [`RunError::Build`] when the runtime cannot be built.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let error = anyio::Runner::tokio()
    ///     .current_thread()
    ///     .run(async { anyio::run(async {}) })?
    ///     .unwrap_err();
    /// assert_eq!(error.to_string(), "already running tokio in this thread");
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn run<F: Future>(self, future: F) -> Result<F::Output, RunError> {
        let backend = self.backend;
        let Some(active) = Active::from_public(backend) else {
            return Err(RunError::BackendNotEnabled { backend });
        };
        self.validate()?;
        if let Some(running) = running_on_this_thread() {
            return Err(RunError::AlreadyRunning { backend: running });
        }
        let instruments = (self.track_blocking || self.virtual_time)
            .then(|| backend::instruments::Instruments::new(self.virtual_time));
        let future = super::main_task::MainTask::new(future, instruments);
        #[cfg(feature = "tracing")]
        let future = {
            let info = future.info().clone();
            crate::task::span::instrument(future, &info)
        };
        match active {
            #[cfg(feature = "tokio")]
            Active::Tokio => backend::tokio::runtime::run(self.tokio, future),
            #[cfg(feature = "smol")]
            Active::Smol => backend::smol::runtime::run(self.smol, future),
        }
    }

    /// Checks that every option that is set belongs to the chosen backend and that they agree.
    fn validate(&self) -> Result<(), RunError> {
        match self.backend {
            Backend::Tokio => {
                if self.smol.threads.is_some() {
                    return Err(invalid(
                        "threads",
                        "it is an option of the smol backend; on tokio use `worker_threads`",
                    ));
                }
                self.tokio.validate()
            }
            Backend::Smol => {
                if let Some(option) = self.tokio.first_set() {
                    return Err(invalid(
                        option,
                        "it is an option of the tokio backend; on smol use `threads`",
                    ));
                }
                self.smol.validate()
            }
        }
    }
}

/// The runtime already running on this thread, if anyio can tell.
///
/// A native `smol::block_on` cannot be seen from outside; nesting our runner inside it only
/// blocks that thread, as nesting `block_on` calls always does.
fn running_on_this_thread() -> Option<Backend> {
    if let Some(active) = backend::marker() {
        return Some(active.public());
    }
    #[cfg(feature = "tokio")]
    if backend::tokio::context_present() {
        return Some(Backend::Tokio);
    }
    None
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Runner");
        debug
            .field("backend", &self.backend)
            .field("track_blocking", &self.track_blocking)
            .field("virtual_time", &self.virtual_time)
            .field("flavor", &self.tokio.flavor)
            .field("worker_threads", &self.tokio.worker_threads);
        #[cfg(feature = "tokio")]
        debug.field("runtime_factory", &self.tokio.factory.is_some());
        debug.field("threads", &self.smol.threads).finish()
    }
}
