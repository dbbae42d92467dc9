//! Polling the runner's main future without a trip through the reactor at every yield.
//!
//! The main future is polled by `async_io::block_on` (through `Executor::run`), not as an
//! executor task. When it wakes itself and returns `Pending` (a `checkpoint()`, a `sleep(0)`, a
//! budget yield), `block_on` takes the wake as a sign that I/O may be due and polls the
//! reactor with a zero timeout before polling the future again: about five system calls, 1.4 µs
//! a yield, against 0.14 µs for the same yield in a spawned task.
//!
//! [`Prompt`] catches those self-wakes. When the future woke itself while being polled, it runs
//! the executor's ready tasks (a yield must let them run: a checkpoint is where others get
//! their turn) and polls the future again at once. Every [`ROUNDS`] rounds, or when the future
//! really waits, it returns to `block_on`, so I/O and timers are still processed regularly,
//! as tokio's scheduler polls its driver every 61 ticks.
//!
//! The trip was also where the wall-clock cost came from: the reactor is shared with
//! async-io's driver thread, and a `block_on` woken while that thread holds it kicks it out of
//! `epoll_wait`. Unpinned, one run in three of a million checkpoints in the main future took
//! 0.5–1.2 µs per checkpoint instead of about 0.13 µs; through `Prompt`, none in ten did.
//!
//! What the loop cannot run: tasks already moved into this thread's local queue by the
//! executor (`try_tick` takes from the shared queue). They run when the loop returns to
//! `block_on`, at most [`ROUNDS`] yields later.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use async_executor::Executor;
use pin_project_lite::pin_project;

/// Rounds of poll-then-run-the-ready-tasks before `block_on` gets a turn.
const ROUNDS: u32 = 61;
/// The most ready tasks run between two polls of the main future (`Executor::run` runs 200
/// before it yields; fewer keeps the main future's turn close).
const TICKS: u32 = 64;

pin_project! {
    /// The main future, polled again at once after a self-wake; see the [module docs](self).
    pub(crate) struct Prompt<'e, F> {
        #[pin]
        future: F,
        executor: &'e Executor<'static>,
        wakes: Arc<Wakes>,
        waker: Waker,
    }
}

impl<'e, F> Prompt<'e, F> {
    pub(crate) fn new(future: F, executor: &'e Executor<'static>) -> Self {
        let wakes = Arc::new(Wakes {
            polling: AtomicBool::new(false),
            woken: AtomicBool::new(false),
            outer: Mutex::new(None),
        });
        Prompt {
            future,
            executor,
            waker: Waker::from(Arc::clone(&wakes)),
            wakes,
        }
    }
}

/// The wakes of the main future: taken by the poll loop while it polls, passed on to
/// `block_on`'s waker otherwise.
struct Wakes {
    /// The poll loop is polling the future: a wake now is seen by the loop.
    polling: AtomicBool,
    /// The future was woken since the loop last looked.
    woken: AtomicBool,
    /// `block_on`'s waker.
    outer: Mutex<Option<Waker>>,
}

impl Wakes {
    fn wake_outer(&self) {
        let outer = self.outer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(outer) = outer.as_ref() {
            outer.wake_by_ref();
        }
    }
}

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Marked first, then checked: if the loop has stopped polling by the time of the check,
        // it may have missed the mark, so `block_on` is woken as well (twice is harmless).
        self.woken.store(true, SeqCst);
        if !self.polling.load(SeqCst) {
            self.wake_outer();
        }
    }
}

impl<F: Future> Future for Prompt<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        {
            let mut outer = this
                .wakes
                .outer
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !outer.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *outer = Some(cx.waker().clone());
            }
        }
        let mut inner = Context::from_waker(this.waker);
        for _ in 0..ROUNDS {
            this.wakes.woken.store(false, SeqCst);
            this.wakes.polling.store(true, SeqCst);
            let polled = this.future.as_mut().poll(&mut inner);
            this.wakes.polling.store(false, SeqCst);
            if polled.is_ready() {
                return polled;
            }
            if !this.wakes.woken.swap(false, SeqCst) {
                // Really waiting: a wake from now on goes to `block_on`.
                return Poll::Pending;
            }
            // It yielded: the tasks that are ready take their turn, then it goes on.
            for _ in 0..TICKS {
                if !this.executor.try_tick() {
                    break;
                }
            }
        }
        // Still yielding: `block_on` polls the reactor, then this future again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
