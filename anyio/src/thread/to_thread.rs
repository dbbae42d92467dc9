//! Running blocking code on a worker thread, so that the event loop goes on meanwhile (AnyIO's
//! `anyio.to_thread`).
//!
//! An event loop runs many tasks on few threads; a task that blocks its thread (reading a file
//! with `std::fs`, hashing a password, calling a C library that waits on the network) stalls
//! every task sharing that thread. [`run_sync`] moves such a call to a worker thread and lets
//! the task wait for it as for any other operation:
//!
//! ```
//! anyio::run(async {
//!     let digest = anyio::to_thread::run_sync(|| {
//!         // Stands in for real blocking work.
//!         (1..=20u64).product::<u64>()
//!     })
//!     .await;
//!     assert_eq!(digest, 2_432_902_008_176_640_000);
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```
//!
//! ## Limits
//! Each call holds one token of a [`CapacityLimiter`] while its thread runs: by default the
//! runtime's own ([`current_default_thread_limiter`], [`DEFAULT_THREAD_LIMIT`] tokens), or one
//! you give with [`RunSync::limiter`] to bound one kind of work separately. Calls beyond the
//! limit wait for a token, in order.
//!
//! ## Cancellation
//! A thread cannot be stopped from outside. So by default a cancelled caller waits for its
//! thread: the call holds every enclosing scope (as a shield would) until the closure returns,
//! then the scope completes as cancelled and the closure's value is dropped. With
//! [`RunSync::abandon_on_cancel`] the caller is cancelled at once instead; the thread runs on,
//! its value is dropped when it comes, and its limiter token is given back only then. Either
//! way the closure can ask [`from_thread::check_cancelled`](crate::from_thread::check_cancelled)
//! whether its caller has been cancelled, and stop early.
//!
//! ## Threads
//! On tokio the closure runs on the runtime's blocking pool (`spawn_blocking`). On smol it runs
//! on a pool of anyio's runner, which starts threads as calls need them, reuses idle ones (the
//! one that has waited longest first), retires them after 10 s idle, and joins them all when the
//! runner returns. It never holds more threads than calls have run at once, plus one spare
//! (so never more than the limiters allow, plus one): a thread is listed as idle before its
//! caller learns the result, so the next call finds it. tokio's pool starts a thread whenever
//! none is idle at that instant, so it may keep a few more idle threads than that until they
//! retire (after 10 s; its `max_blocking_threads` bounds them). Both runtimes wait for the
//! threads still busy when they shut down, including abandoned ones. Under a native smol
//! runner, whose end anyio cannot see, calls share one process-wide pool whose threads retire
//! when idle.
//!
//! ## Calling back into the event loop
//! The worker thread can run async code in the event loop with
//! [`from_thread::run`](crate::from_thread::run), as a task that its caller's cancellation
//! reaches.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::oneshot;
use super::token::EventLoopToken;
use super::worker::{self, Host};
use crate::backend::wait_point::WaitPoint;
use crate::backend::{self, Active, BlockingWork, Leftover};
use crate::cancel::context;
use crate::cancel::gate::{Gate, gate};
use crate::cancel::node::ScopeNode;
use crate::sync::{Borrower, CapacityLimiter, OwnedCapacityAcquire};

pub use super::limiter::{DEFAULT_THREAD_LIMIT, current_default_thread_limiter};

/// Runs `function` on a worker thread and returns its value (AnyIO's `to_thread.run_sync`).
///
/// Returns a future; configure it with [`limiter`](RunSync::limiter) and
/// [`abandon_on_cancel`](RunSync::abandon_on_cancel) before awaiting it. The
/// [module docs](self) explain the limits, threads and cancellation.
///
/// # Cancel safety
/// A caller that is already cancelled when the future is first polled never runs `function`.
/// A cancellation while waiting for a limiter token takes the caller out of line (no token is
/// lost). Once the thread runs, the caller's cancellation waits for it to return and the value
/// is dropped; with `abandon_on_cancel` the caller is cancelled at once and the value dropped
/// when it comes. Dropping the future by other means (a `select!`) abandons the thread.
///
/// # Panics
/// A panic in `function` is re-raised in the caller, even when the caller was cancelled and
/// waited for the thread; if the caller is gone (abandoned with `abandon_on_cancel`, or the
/// future dropped), it is logged with `tracing` (target `anyio::to_thread`) instead. The
/// future panics when first polled outside any event loop, and when the operating system
/// refuses to start a thread.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use anyio::sync::CapacityLimiter;
///
/// anyio::run(async {
///     // At most two of these at once, whatever the default limiter allows.
///     let disk = Arc::new(CapacityLimiter::new(2));
///     let size = anyio::to_thread::run_sync(|| std::fs::metadata(".").map(|m| m.len()))
///         .limiter(disk)
///         .await;
///     assert!(size.is_ok());
///
///     // A call that may run long: give up on it when the deadline passes.
///     let answer = anyio::move_on_after(
///         Duration::from_millis(10),
///         anyio::to_thread::run_sync(|| {
///             while anyio::from_thread::check_cancelled().is_ok() {
///                 std::thread::sleep(Duration::from_millis(1));
///             }
///         })
///         .abandon_on_cancel(),
///     )
///     .await;
///     assert_eq!(answer, None);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn run_sync<F, T>(function: F) -> RunSync<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    RunSync {
        function: Some(function),
        limiter: None,
        abandon_on_cancel: false,
        stage: Stage::Start,
    }
}

/// The future returned by [`run_sync`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let call: anyio::to_thread::RunSync<_, u8> = anyio::to_thread::run_sync(|| 7);
///     assert_eq!(call.await, 7);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RunSync<F, T> {
    function: Option<F>,
    limiter: Option<Arc<CapacityLimiter>>,
    abandon_on_cancel: bool,
    stage: Stage<T>,
}

enum Stage<T> {
    Start,
    Acquiring(OwnedCapacityAcquire),
    Running {
        result: oneshot::Receiver<std::thread::Result<T>>,
        /// The scope held while the thread runs (without `abandon_on_cancel`).
        held: Option<Arc<ScopeNode>>,
        /// Keeps a virtual clock from jumping while the thread works (see `anyio::testing`);
        /// let go when the caller takes the result or goes away, never before the wake.
        _clock: Option<backend::instruments::Hold>,
    },
    /// The thread returned this value; handed over at the first poll outside a cancellation.
    Returned(T),
    /// The runtime is shutting down: waits to be dropped.
    Cancelled,
    Done,
}

// The closure is never pinned: it is moved out to the thread on the first poll.
impl<F, T> Unpin for RunSync<F, T> {}

impl<F, T> RunSync<F, T> {
    /// Holds a token of `limiter` instead of the default limiter's while the thread runs.
    ///
    /// # Panics
    /// When called after the future was first polled.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use anyio::sync::CapacityLimiter;
    ///
    /// anyio::run(async {
    ///     let limiter = Arc::new(CapacityLimiter::new(1));
    ///     let seen = anyio::to_thread::run_sync({
    ///         let limiter = limiter.clone();
    ///         move || limiter.borrowed_tokens()
    ///     })
    ///     .limiter(limiter.clone())
    ///     .await;
    ///     assert_eq!(seen, 1);
    ///     assert_eq!(limiter.borrowed_tokens(), 0);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn limiter(mut self, limiter: Arc<CapacityLimiter>) -> Self {
        self.assert_not_started("limiter");
        self.limiter = Some(limiter);
        self
    }

    /// Lets the caller be cancelled while the thread runs: the thread is abandoned (it runs on,
    /// and its value is dropped), instead of being waited for (AnyIO's
    /// `abandon_on_cancel=True`). The limiter token is given back when the thread returns.
    ///
    /// # Panics
    /// When called after the future was first polled.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let (tell, told) = std::sync::mpsc::channel::<()>();
    ///     let result = anyio::move_on_after(
    ///         Duration::from_millis(5),
    ///         anyio::to_thread::run_sync(move || told.recv()).abandon_on_cancel(),
    ///     )
    ///     .await;
    ///     // Cancelled while the thread still waited; it is released now.
    ///     assert_eq!(result, None);
    ///     tell.send(()).ok();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn abandon_on_cancel(mut self) -> Self {
        self.assert_not_started("abandon_on_cancel");
        self.abandon_on_cancel = true;
        self
    }

    fn assert_not_started(&self, option: &str) {
        assert!(
            matches!(self.stage, Stage::Start),
            "anyio::to_thread::RunSync::{option} called after the future was first polled"
        );
    }

    /// The closure back, if no thread has started it (the future was never polled, or waits
    /// for a limiter token); the future is then done, and leaves any line it waited in.
    pub(crate) fn take_unstarted(&mut self) -> Option<F> {
        match self.stage {
            Stage::Start | Stage::Acquiring(_) => {
                self.stage = Stage::Done;
                self.function.take()
            }
            _ => None,
        }
    }

    fn release_hold(&mut self) {
        if let Stage::Running { held, .. } = &mut self.stage {
            if let Some(node) = held.take() {
                node.release_self_and_ancestors();
            }
        }
    }
}

impl<F, T> Future for RunSync<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        loop {
            match &mut this.stage {
                Stage::Start => {
                    match gate(cx, WaitPoint::Thread) {
                        // Never started: nothing to undo.
                        Gate::Cancelled | Gate::Yield => return Poll::Pending,
                        Gate::Proceed(unit) => drop(unit),
                    }
                    let limiter = match this.limiter.take() {
                        Some(limiter) => limiter,
                        None => current_default_thread_limiter()
                            .unwrap_or_else(|error| panic!("anyio::to_thread::run_sync: {error}")),
                    };
                    // A borrower of its own: one task may run several calls at once.
                    this.stage =
                        Stage::Acquiring(limiter.acquire_owned_on_behalf_of(Borrower::unique()));
                }
                Stage::Acquiring(acquire) => {
                    let token = match Pin::new(acquire).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(token)) => token,
                        Poll::Ready(Err(error)) => {
                            unreachable!("a unique borrower cannot be refused: {error}")
                        }
                    };
                    let function = this
                        .function
                        .take()
                        .expect("the closure is there until the thread starts");
                    this.stage = start(function, token, this.abandon_on_cancel);
                }
                Stage::Running { result, .. } => {
                    // Noted again: the limiter's acquire was noted after the gate.
                    crate::backend::wait_point::note(WaitPoint::Thread);
                    let outcome = match result.poll_take(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(outcome) => outcome,
                    };
                    // Before anything else: the held scopes may now drop their bodies, once
                    // they have polled them again (which they do, seeing the release).
                    this.release_hold();
                    match outcome {
                        Ok(Ok(value)) => {
                            // The cancellation waited for the thread; now it applies: the
                            // value waits to be dropped with the future. Kept, not dropped, so
                            // that a body no longer cancelled at its next poll (a shield
                            // switched on meanwhile) still gets it.
                            this.stage = Stage::Returned(value);
                        }
                        Ok(Err(payload)) => {
                            this.stage = Stage::Done;
                            panic::resume_unwind(payload);
                        }
                        // The job was dropped unrun: the runtime is shutting down and will
                        // drop this future too.
                        Err(oneshot::Closed) => {
                            this.stage = Stage::Cancelled;
                            return Poll::Pending;
                        }
                    }
                }
                Stage::Returned(_) => {
                    if context::pending_cancellation(cx.waker()) {
                        return Poll::Pending;
                    }
                    let Stage::Returned(value) = std::mem::replace(&mut this.stage, Stage::Done)
                    else {
                        unreachable!()
                    };
                    return Poll::Ready(value);
                }
                Stage::Cancelled => return Poll::Pending,
                Stage::Done => panic!("`anyio::to_thread::RunSync` polled after it completed"),
            }
        }
    }
}

/// Starts `function` on a worker thread holding `token`, and holds the caller's scopes unless
/// the call may be abandoned.
fn start<F, T>(
    function: F,
    token: crate::sync::OwnedCapacityToken,
    abandon_on_cancel: bool,
) -> Stage<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let backend: Active = backend::current_or_panic("anyio::to_thread::run_sync");
    let scope = context::current();
    let clock = backend::instruments::hold();
    let host = Host {
        token: EventLoopToken::try_current()
            .unwrap_or_else(|error| panic!("anyio::to_thread::run_sync: {error}")),
        scope: scope.clone(),
        task: crate::task::info::current_task_id(),
        clock: clock.as_ref().map(|hold| Arc::clone(hold.instruments())),
    };
    let (sender, receiver) = oneshot::channel();
    let job = Box::new(Job {
        function: Some(function),
        host: Some(host),
        token: Some(token),
        outcome: None,
        sender: Some(sender),
    });
    if backend::execute_blocking(backend, job).is_err() {
        // The runtime has shut down; the job (its token, its channel) is dropped with it.
        return Stage::Cancelled;
    }
    let held = match (abandon_on_cancel, scope) {
        (false, Some(node)) => {
            node.hold_self_and_ancestors();
            Some(node)
        }
        _ => None,
    };
    Stage::Running {
        result: receiver,
        held,
        _clock: clock,
    }
}

/// One call's work on its worker thread.
struct Job<F, T> {
    function: Option<F>,
    host: Option<Host>,
    token: Option<crate::sync::OwnedCapacityToken>,
    outcome: Option<std::thread::Result<T>>,
    sender: Option<oneshot::Sender<std::thread::Result<T>>>,
}

impl<F, T> BlockingWork for Job<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(&mut self) {
        if let (Some(function), Some(host)) = (self.function.take(), self.host.take()) {
            let function = AssertUnwindSafe(function);
            self.outcome = Some(worker::hosted_by(host, || panic::catch_unwind(function)));
        }
    }

    fn wanted(&self) -> bool {
        self.sender
            .as_ref()
            .is_some_and(|sender| !sender.is_abandoned())
    }

    /// Called once the thread is ready for another call (see `BlockingWork`): runs no user
    /// code.
    fn deliver(mut self: Box<Self>) -> Option<Leftover> {
        // The token goes back before the caller can see the value: whoever learns that the
        // call returned also finds its token free (and, on smol, its thread idle).
        drop(self.token.take());
        let (Some(outcome), Some(sender)) = (self.outcome.take(), self.sender.take()) else {
            return None;
        };
        // The caller went away a moment ago: the value (or panic) is the pool's to drop.
        let refused = sender.send(outcome).err()?;
        Some(Box::new(move || report_unwanted(refused)))
    }

    fn discard(mut self: Box<Self>) {
        if let Some(outcome) = self.outcome.take() {
            report_unwanted(outcome);
        }
        // The token last: the thread is not done until the value is dropped.
        drop(self.token.take());
    }
}

/// Drops the outcome of a call whose caller is gone (abandoned on cancellation, or dropped);
/// a panic has nobody to be raised in, so it is logged.
fn report_unwanted<T>(outcome: std::thread::Result<T>) {
    match outcome {
        Ok(value) => drop(value),
        Err(payload) => tracing::error!(
            target: "anyio::to_thread",
            panic = crate::error::panic_message(&*payload),
            "a closure whose caller was gone (abandoned on cancellation, or dropped) panicked"
        ),
    }
}

impl<F, T> Drop for RunSync<F, T> {
    fn drop(&mut self) {
        self.release_hold();
    }
}

impl<F, T> fmt::Debug for RunSync<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Start => "not started",
            Stage::Acquiring(_) => "waiting for a limiter token",
            Stage::Running { .. } => "running",
            Stage::Returned(_) => "returned",
            Stage::Cancelled => "cancelled",
            Stage::Done => "done",
        };
        f.debug_struct("RunSync")
            .field("stage", &stage)
            .field("abandon_on_cancel", &self.abandon_on_cancel)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}
