//! [`BlockingPortal`]: an event loop that threads can hand work to, with one task group for it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::error::{CallError, RunFinishedError};
use super::hosted::{Reply, settle};
use super::oneshot;
use crate::cancel::node::{CancelKind, ScopeNode};
use crate::sync::Event;
use crate::task::{
    BodyResult, GroupClosedError, StartedSink, TaskGroup, TaskGroupFuture, TaskHandle, TaskStatus,
    task_group,
};

type BoxedCall = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Spawns into the portal's task group, whatever the group's error type.
trait Spawner: Send + Sync {
    fn spawn(&self, call: BoxedCall) -> Result<TaskHandle<()>, GroupClosedError>;
}

impl<E: Send + 'static> Spawner for TaskGroup<E> {
    fn spawn(&self, call: BoxedCall) -> Result<TaskHandle<()>, GroupClosedError> {
        self.try_spawn(call)
    }
}

/// A way for threads to run code in an event loop that they do not run (AnyIO's
/// `BlockingPortal`).
///
/// Open one inside async code with [`blocking_portal`], or on a thread of its own with
/// [`start_blocking_portal`](super::from_thread::start_blocking_portal), and hand clones of
/// it to other threads. They call [`call`](Self::call) or [`call_sync`](Self::call_sync) to
/// run code and wait for its result, or [`start_task_soon`](Self::start_task_soon) to start a
/// task and get a [`PortalTask`] handle. Each call runs as a task of the portal's own task
/// group.
///
/// A portal is cheap to clone, `Send` and `Sync`. Every method refuses to block a thread that
/// runs an event loop ([`CallError::EventLoopThread`]); once the portal has stopped, every call
/// is [`CallError::RunFinished`].
///
/// # Examples
/// ```
/// use anyio::from_thread::blocking_portal;
///
/// anyio::run(async {
///     let answer = blocking_portal(|portal| async move {
///         let thread = std::thread::spawn(move || {
///             portal.call(async {
///                 anyio::sleep(std::time::Duration::from_millis(1)).await;
///                 42
///             })
///         });
///         anyio::to_thread::run_sync(move || thread.join().unwrap()).await
///     })
///     .await;
///     // The body returned `Ok(42)`: the portal's task group gives `Some(42)`.
///     assert_eq!(answer.unwrap(), Some(42));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct BlockingPortal {
    shared: Arc<PortalShared>,
}

struct PortalShared {
    group: Box<dyn Spawner>,
    /// Set by `stop` and when the portal's body returns: no new calls.
    stopped: AtomicBool,
    stop_requested: Event,
    /// Set by `stop(true)`: calls listed from now on are cancelled at once.
    cancelling: AtomicBool,
    /// The root scopes of the calls not yet finished, for `stop(true)`.
    live: Mutex<HashMap<u64, Arc<ScopeNode>>>,
    next_call: AtomicU64,
}

/// Opens a blocking portal for the duration of `body` (AnyIO's `async with BlockingPortal()`).
///
/// The portal's calls run in a task group around `body`. When `body` returns, the portal stops
/// taking calls; if it returned `Ok` (or `()`), the calls still running are waited for, and if
/// it returned an `Err`, they are cancelled (their callers get [`CallError::Cancelled`]). The
/// result is that of a [task group](crate::task_group) with this body.
///
/// # Cancel safety
/// As a task group: cancelling the enclosing scope cancels the calls too.
///
/// # Examples
/// ```
/// use anyio::from_thread::blocking_portal;
///
/// anyio::run(async {
///     blocking_portal(|portal| async move {
///         let stopper = portal.clone();
///         std::thread::spawn(move || {
///             let n = stopper.call_sync(|| 2 + 2).unwrap();
///             assert_eq!(n, 4);
///             stopper.stop(false);
///         });
///         // Serve the thread until it stops the portal.
///         portal.sleep_until_stopped().await;
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn blocking_portal<B, Fut>(body: B) -> TaskGroupFuture<impl Future<Output = Fut::Output>>
where
    B: FnOnce(BlockingPortal) -> Fut,
    Fut: Future,
    Fut::Output: BodyResult,
    <Fut::Output as BodyResult>::Error: Send + 'static,
{
    task_group(
        move |group: TaskGroup<<Fut::Output as BodyResult>::Error>| {
            let portal = BlockingPortal {
                shared: Arc::new(PortalShared {
                    group: Box::new(group),
                    stopped: AtomicBool::new(false),
                    stop_requested: Event::new(),
                    cancelling: AtomicBool::new(false),
                    live: Mutex::new(HashMap::new()),
                    next_call: AtomicU64::new(0),
                }),
            };
            let shared = Arc::clone(&portal.shared);
            let body = body(portal);
            async move {
                // Set however the body ends: returned, or dropped by a cancellation.
                struct MarkStopped(Arc<PortalShared>);
                impl Drop for MarkStopped {
                    fn drop(&mut self) {
                        self.0.stopped.store(true, Ordering::Release);
                    }
                }
                let _stopped = MarkStopped(shared);
                // New calls are refused once the body ends; the group waits for (or, after an
                // error, cancels) the ones already made.
                body.await
            }
        },
    )
}

impl BlockingPortal {
    /// Runs `future` in the portal's event loop and blocks until it finishes (AnyIO's
    /// `portal.call` with an async function).
    ///
    /// # Errors
    /// - [`CallError::RunFinished`] when the portal has stopped;
    /// - [`CallError::Cancelled`] when the call was cancelled (the portal's body failed, or
    ///   [`stop(true)`](Self::stop));
    /// - [`CallError::EventLoopThread`] on a thread that runs an event loop.
    ///
    /// # Panics
    /// A panic in `future` is re-raised here; the portal goes on serving.
    ///
    /// # Examples
    /// See [`BlockingPortal`].
    pub fn call<F>(&self, future: F) -> Result<F::Output, CallError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Refused before anything is spawned: a refused call must not run.
        super::refuse_on_event_loop()?;
        self.start_task_soon(future)?.wait()
    }

    /// Runs `function` in the portal's event loop and blocks until it returns (AnyIO's
    /// `portal.call` with a synchronous function).
    ///
    /// # Errors
    /// As [`call`](Self::call).
    ///
    /// # Panics
    /// A panic in `function` is re-raised here.
    ///
    /// # Examples
    /// See [`blocking_portal`].
    pub fn call_sync<R, T>(&self, function: R) -> Result<T, CallError>
    where
        R: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.call(async move { function() })
    }

    /// Starts `future` as a task in the portal's event loop and returns at once with a handle
    /// to it (AnyIO's `start_task_soon`).
    ///
    /// The handle can block for the result ([`PortalTask::wait`]), be awaited (also on
    /// another runtime), or cancel the task ([`PortalTask::cancel`]). Dropping it leaves the
    /// task running.
    ///
    /// # Errors
    /// [`CallError::RunFinished`] when the portal has stopped. (Not refused on an event-loop
    /// thread: only waiting blocks.)
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use anyio::from_thread::{CallError, start_blocking_portal};
    ///
    /// let portal = start_blocking_portal(anyio::Runner::tokio())?;
    /// let task = portal.start_task_soon(anyio::sleep_forever()).unwrap();
    /// task.cancel();
    /// assert_eq!(task.wait(), Err(CallError::Cancelled));
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn start_task_soon<F>(&self, future: F) -> Result<PortalTask<F::Output>, CallError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let root = self.spawn(Box::pin(PortalCall {
            future: Some(future),
            reply: Some(sender),
        }))?;
        Ok(PortalTask { receiver, root })
    }

    /// Starts a task that reports when it is ready, and waits until it has (AnyIO's
    /// `portal.start_task`): returns the task's handle and the value it passed to
    /// [`TaskStatus::started`].
    ///
    /// # Errors
    /// As [`call`](Self::call), and [`CallError::NotStarted`] when the task returned (or was
    /// cancelled) without calling `started`.
    ///
    /// # Panics
    /// A panic in the task before it started is re-raised here.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use anyio::from_thread::start_blocking_portal;
    ///
    /// let portal = start_blocking_portal(anyio::Runner::tokio())?;
    /// let (server, port) = portal
    ///     .start_task(|status| async move {
    ///         status.started(8080_u16);
    ///         anyio::sleep_forever().await;
    ///     })
    ///     .unwrap();
    /// assert_eq!(port, 8080);
    /// server.cancel();
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn start_task<V, B, F>(&self, task: B) -> Result<(PortalTask<F::Output>, V), CallError>
    where
        V: Send + 'static,
        B: FnOnce(TaskStatus<V>) -> F,
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        super::refuse_on_event_loop()?;
        let (started_sender, started) = oneshot::channel();
        let sink: Arc<dyn StartedSink<V>> =
            Arc::new(StartedSender(Mutex::new(Some(started_sender))));
        let task = self.start_task_soon(task(TaskStatus::with_sink(sink)))?;
        match started.wait() {
            Ok(value) => Ok((task, value)),
            // The status was dropped unused: the task ended (or was cancelled) first.
            Err(oneshot::Closed) => match task.wait() {
                Err(CallError::Cancelled) | Ok(_) => Err(CallError::NotStarted),
                Err(error) => Err(error),
            },
        }
    }

    /// Stops the portal (AnyIO's `portal.stop`): it takes no new calls, and
    /// [`sleep_until_stopped`](Self::sleep_until_stopped) returns. With `cancel_remaining`,
    /// the calls still running are cancelled; otherwise they run to their end.
    ///
    /// Does not block. A portal made by
    /// [`start_blocking_portal`](super::from_thread::start_blocking_portal) also shuts its
    /// runtime down once the calls are done: see
    /// [`PortalThread::shut_down`](super::from_thread::PortalThread::shut_down) to wait for that.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use anyio::from_thread::{CallError, start_blocking_portal};
    ///
    /// let portal = start_blocking_portal(anyio::Runner::tokio())?;
    /// portal.stop(false);
    /// assert!(matches!(portal.call(async {}), Err(CallError::RunFinished(_))));
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn stop(&self, cancel_remaining: bool) {
        self.shared.stopped.store(true, Ordering::Release);
        if cancel_remaining {
            self.shared.cancelling.store(true, Ordering::SeqCst);
            let live: Vec<_> = lock(&self.shared.live).values().cloned().collect();
            for root in live {
                root.cancel(CancelKind::Explicit);
            }
        }
        self.shared.stop_requested.set();
    }

    /// Whether the portal has stopped taking calls.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::tokio())?;
    /// assert!(!portal.is_stopped());
    /// portal.stop(false);
    /// assert!(portal.is_stopped());
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::Acquire)
    }

    /// Waits until [`stop`](Self::stop) is called (AnyIO's `sleep_until_stopped`): the body of
    /// a portal that serves other threads until one of them is done with it.
    ///
    /// # Cancel safety
    /// Cancel safe: it only waits.
    ///
    /// # Examples
    /// See [`blocking_portal`].
    pub async fn sleep_until_stopped(&self) {
        self.shared.stop_requested.wait().await;
    }

    /// Spawns one call into the group, keeping its root scope for `stop(true)` while it runs.
    fn spawn(&self, call: BoxedCall) -> Result<Arc<ScopeNode>, CallError> {
        if self.is_stopped() {
            return Err(RunFinishedError::new().into());
        }
        let id = self.shared.next_call.fetch_add(1, Ordering::Relaxed);
        let ended = Arc::new(AtomicBool::new(false));
        let forget = Forget {
            shared: Arc::downgrade(&self.shared),
            id,
            ended: Arc::clone(&ended),
        };
        let call = Box::pin(async move {
            let _forget = forget;
            call.await;
        });
        let handle = self
            .shared
            .group
            .spawn(call)
            .map_err(|GroupClosedError { .. }| CallError::from(RunFinishedError::new()))?;
        let root = handle.root();
        {
            let mut live = lock(&self.shared.live);
            // A call whose `Forget` already ran (under this lock) must not be listed.
            if !ended.load(Ordering::Relaxed) {
                live.insert(id, Arc::clone(&root));
            }
        }
        // `stop(true)` came between the check above and the listing: it may have missed this.
        if self.shared.cancelling.load(Ordering::SeqCst) {
            root.cancel(CancelKind::Explicit);
        }
        Ok(root)
    }
}

/// Takes a finished call off the portal's list.
struct Forget {
    shared: std::sync::Weak<PortalShared>,
    id: u64,
    ended: Arc<AtomicBool>,
}

impl Drop for Forget {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let mut live = lock(&shared.live);
            self.ended.store(true, Ordering::Relaxed);
            live.remove(&self.id);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl fmt::Debug for BlockingPortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPortal")
            .field("stopped", &self.is_stopped())
            .field("calls_running", &lock(&self.shared.live).len())
            .finish()
    }
}

struct StartedSender<V>(Mutex<Option<oneshot::Sender<V>>>);

impl<V: Send> StartedSink<V> for StartedSender<V> {
    fn started(&self, value: V) {
        if let Some(sender) = lock(&self.0).take() {
            let _ = sender.send(value);
        }
    }
}

pin_project_lite::pin_project! {
    /// One call: runs the caller's future, catching its panic, and reports how it ended.
    struct PortalCall<F: Future> {
        #[pin]
        future: Option<F>,
        reply: Option<oneshot::Sender<Reply<F::Output>>>,
    }

    impl<F: Future> PinnedDrop for PortalCall<F> {
        // Dropped unfinished: the call was cancelled (or its runtime shut down).
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(reply) = this.reply.take() {
                let _ = reply.send(Reply::Cancelled);
            }
        }
    }
}

impl<F: Future> Future for PortalCall<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let reply = match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Reply::Returned(value),
            Err(payload) => Reply::Panicked(payload),
        };
        this.future.set(None);
        if let Some(sender) = this.reply.take() {
            let _ = sender.send(reply);
        }
        Poll::Ready(())
    }
}

/// A task started through a portal (AnyIO's `concurrent.futures.Future` from
/// `start_task_soon`): wait for it from a thread, await it from any runtime, or cancel it.
///
/// Dropping the handle leaves the task running; its value is dropped when it comes.
///
/// # Examples
/// ```
/// # #[cfg(feature = "tokio")] {
/// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::tokio())?;
/// let task = portal.start_task_soon(async { 6 * 7 }).unwrap();
/// // Awaited on another runtime (a plain block_on here).
/// let value = futures_lite::future::block_on(task);
/// assert_eq!(value, Ok(42));
/// # }
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct PortalTask<T> {
    receiver: oneshot::Receiver<Reply<T>>,
    root: Arc<ScopeNode>,
}

impl<T> PortalTask<T> {
    /// Blocks until the task finishes and returns its output.
    ///
    /// # Errors
    /// - [`CallError::Cancelled`] when the task was cancelled, or dropped unfinished because
    ///   the portal's runtime shut down;
    /// - [`CallError::EventLoopThread`] on a thread that runs an event loop (await the handle
    ///   there instead).
    ///
    /// # Panics
    /// A panic in the task is re-raised here.
    ///
    /// # Examples
    /// See [`BlockingPortal::start_task_soon`].
    pub fn wait(self) -> Result<T, CallError> {
        super::refuse_on_event_loop()?;
        settle(self.receiver.wait())
    }

    /// Cancels the task: its root scope is cancelled, so it is dropped at its next suspension
    /// point outside shields. Its waiters get [`CallError::Cancelled`] (unless it finished
    /// first).
    ///
    /// # Examples
    /// See [`BlockingPortal::start_task_soon`].
    pub fn cancel(&self) {
        self.root.cancel(CancelKind::Explicit);
    }

    /// Whether the task has finished (returned, panicked, or been cancelled).
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::tokio())?;
    /// let task = portal.start_task_soon(anyio::sleep_forever()).unwrap();
    /// assert!(!task.is_finished());
    /// portal.shut_down(true)?; // a clean shut-down would wait for ever
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.receiver.is_settled()
    }
}

impl<T> Future for PortalTask<T> {
    type Output = Result<T, CallError>;

    /// # Panics
    /// A panic in the task is re-raised here.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.receiver.poll_take(cx).map(settle)
    }
}

impl<T> fmt::Debug for PortalTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}
