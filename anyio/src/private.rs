//! Support for the code that `#[anyio::test]` and `#[anyio::main]` generate. Not public API.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::backend::{self, Timer};
use crate::{Backend, Runner};

/// How a generated test or `main` wants its runtime; each field mirrors a macro option.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeOptions {
    /// `backend = "..."` (`main` only; tests name the backend per generated function).
    pub backend: Option<Backend>,
    /// `flavor = "current_thread" | "multi_thread"`.
    pub multi_thread: Option<bool>,
    /// `worker_threads = N` (tokio).
    pub worker_threads: Option<usize>,
    /// `threads = N` (smol).
    pub threads: Option<usize>,
    /// `virtual_time` (tests).
    pub virtual_time: bool,
    /// `timeout = ...` (tests): the test fails when it runs longer, in real time.
    pub timeout: Option<Duration>,
}

impl RuntimeOptions {
    /// A runner for `backend` with every option that is set, so that the runner refuses any
    /// that does not belong to it.
    fn runner(self, backend: Backend) -> Runner {
        let mut runner = Runner::new(backend);
        runner = match self.multi_thread {
            Some(true) => runner.multi_thread(),
            Some(false) => runner.current_thread(),
            None => runner,
        };
        if let Some(count) = self.worker_threads {
            runner = runner.worker_threads(count);
        }
        if let Some(count) = self.threads {
            runner = runner.threads(count);
        }
        if self.virtual_time {
            runner = runner.virtual_time();
        }
        runner
    }

    /// Only the options of `backend`, with the test defaults filled in.
    fn for_test(self, backend: Backend) -> RuntimeOptions {
        let mut options = RuntimeOptions {
            backend: None,
            multi_thread: None,
            worker_threads: None,
            threads: None,
            virtual_time: self.virtual_time,
            timeout: self.timeout,
        };
        match backend {
            Backend::Tokio => {
                options.worker_threads = self.worker_threads;
                options.multi_thread = self
                    .multi_thread
                    .or(self.worker_threads.map(|_| true))
                    .or(Some(false));
            }
            Backend::Smol => options.threads = self.threads.or(Some(1)),
        }
        options
    }
}

/// Runs one generated test on `backend`.
///
/// The macro has already checked that each option set belongs to one of the test's backends;
/// each backend gets its own options. Tests default to a current-thread tokio runtime and a
/// single smol thread, as `#[tokio::test]` and `smol::block_on` do. Every test's runtime keeps
/// track of its tasks, for `anyio::testing::wait_all_tasks_blocked`. `name` is the test's path.
#[track_caller]
pub fn run_test<F: Future>(
    backend: Backend,
    options: RuntimeOptions,
    name: &'static str,
    test: F,
) -> F::Output {
    let options = options.for_test(backend);
    let limited = TimeLimited {
        test,
        limit: options.timeout,
        timer: None,
        name,
        backend,
    };
    match options.runner(backend).track_blocking().run(limited) {
        Ok(output) => output,
        Err(error) => panic!("#[anyio::test] could not run on {backend}: {error}"),
    }
}

pin_project! {
    /// A test that fails once it has run longer than its `timeout`, in real time (also under
    /// virtual time, where a test that waits on nothing anyio can see would otherwise hang).
    struct TimeLimited<F> {
        #[pin]
        test: F,
        limit: Option<Duration>,
        #[pin]
        timer: Option<Timer>,
        name: &'static str,
        backend: Backend,
    }
}

impl<F: Future> Future for TimeLimited<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        if let Poll::Ready(output) = this.test.poll(cx) {
            return Poll::Ready(output);
        }
        let Some(limit) = *this.limit else {
            return Poll::Pending;
        };
        if this.timer.is_none() {
            let active = backend::current_or_panic("#[anyio::test]");
            let deadline = Instant::now().checked_add(limit);
            match deadline {
                Some(deadline) => this.timer.set(Some(Timer::real_at(active, deadline))),
                None => *this.limit = None,
            }
        }
        if let Some(timer) = this.timer.as_pin_mut() {
            if timer.poll_fire(cx).is_ready() {
                panic!(
                    "test `{}` timed out on {}: still running after {:?} (its `timeout`)",
                    this.name, this.backend, limit
                );
            }
        }
        Poll::Pending
    }
}

/// Runs a generated `main`: on the named backend, or the default one (`ANYIO_BACKEND`).
/// Every option set is passed on, so one that does not fit the backend is an error.
#[track_caller]
pub fn run_main<F: Future>(options: RuntimeOptions, main: F) -> F::Output {
    // The macro refuses the test-only options on `main`.
    debug_assert!(!options.virtual_time && options.timeout.is_none());
    let runner = match options.backend {
        Some(backend) => Ok(options.runner(backend)),
        None => Runner::from_env().map(|runner| options.runner(runner.backend())),
    };
    match runner.and_then(|runner| runner.run(main)) {
        Ok(output) => output,
        Err(error) => panic!("#[anyio::main] could not start: {error}"),
    }
}

/// Expands its input only when the tokio backend is compiled into anyio.
#[cfg(feature = "tokio")]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_tokio {
    ($($item:tt)*) => { $($item)* };
}

/// Expands its input only when the tokio backend is compiled into anyio.
#[cfg(not(feature = "tokio"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_tokio {
    ($($item:tt)*) => {};
}

/// Expands its input only when the smol backend is compiled into anyio.
#[cfg(feature = "smol")]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_smol {
    ($($item:tt)*) => { $($item)* };
}

/// Expands its input only when the smol backend is compiled into anyio.
#[cfg(not(feature = "smol"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_smol {
    ($($item:tt)*) => {};
}

/// Compiles to nothing when the tokio backend is compiled in, and to a clear error otherwise.
#[cfg(feature = "tokio")]
#[macro_export]
#[doc(hidden)]
macro_rules! __require_tokio {
    () => {};
}

/// Compiles to nothing when the tokio backend is compiled in, and to a clear error otherwise.
#[cfg(not(feature = "tokio"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __require_tokio {
    () => {
        ::core::compile_error!("`backend = \"tokio\"` needs the `tokio` feature of anyio");
    };
}

/// Compiles to nothing when the smol backend is compiled in, and to a clear error otherwise.
#[cfg(feature = "smol")]
#[macro_export]
#[doc(hidden)]
macro_rules! __require_smol {
    () => {};
}

/// Compiles to nothing when the smol backend is compiled in, and to a clear error otherwise.
#[cfg(not(feature = "smol"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __require_smol {
    () => {
        ::core::compile_error!("`backend = \"smol\"` needs the `smol` feature of anyio");
    };
}
