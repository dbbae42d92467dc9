//! Polling a task so that its runtime's [`Instruments`] know whether it can run.
//!
//! A tracked task is polled with a waker of its own, which notes the wake before passing it on
//! to the runtime's waker. Its state moves as follows, and the runtime's runnable count holds
//! the tasks in `SCHEDULED`, `RUNNING` and `RUNNING_WOKEN`:
//!
//! ```text
//!             wake                      poll                 Pending
//!   IDLE ───────────────▶ SCHEDULED ───────────▶ RUNNING ──────────────▶ IDLE
//!                             ▲                     │ wake
//!                             │      Pending        ▼
//!                             └────────────── RUNNING_WOKEN
//! ```
//!
//! A wake counts the task *before* it marks it scheduled, so the count never reads zero while
//! a woken task waits for its poll (which would let a virtual clock jump past it).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use pin_project_lite::pin_project;

use super::Instruments;

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const RUNNING_WOKEN: u8 = 3;
const DONE: u8 = 4;

thread_local! {
    /// The tracked task being polled on this thread.
    static CURRENT: RefCell<Option<Arc<TaskTrack>>> = const { RefCell::new(None) };
}

/// The runnable state of one tracked task, and its waker; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct TaskTrack {
    state: AtomicU8,
    instruments: Arc<Instruments>,
    /// The runtime's waker of the latest poll.
    inner: Mutex<Option<Waker>>,
}

impl TaskTrack {
    /// A task about to be spawned (so already scheduled) on the runtime of `instruments`.
    pub(crate) fn new(instruments: Arc<Instruments>) -> Arc<TaskTrack> {
        instruments.runnable_up();
        Arc::new(TaskTrack {
            state: AtomicU8::new(SCHEDULED),
            instruments,
            inner: Mutex::new(None),
        })
    }

    /// Polls through `poll` with the task's own waker, keeping the state and count true.
    pub(crate) fn poll_with<T>(
        self: &Arc<Self>,
        waker: &Waker,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if !inner.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *inner = Some(cx.waker().clone());
            }
        }
        if self.state.swap(RUNNING, Ordering::SeqCst) == IDLE {
            // Polled without a wake (a runner re-polling its main future): it runs all the same.
            self.instruments.runnable_up();
        }
        let previous = CURRENT.with(|current| current.replace(Some(Arc::clone(self))));
        let _restore = Restore(previous);
        let mut own = Context::from_waker(waker);
        let outcome = poll(&mut own);
        match outcome {
            Poll::Pending => {
                if defer_wake_if_budget_spent(&mut own) {
                    // A tokio resource found tokio's budget spent and deferred the task's wake
                    // until after this poll: the task stays runnable.
                    self.mark_woken();
                }
                if self
                    .state
                    .compare_exchange(RUNNING, IDLE, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    self.instruments.runnable_down();
                } else {
                    // Woken while it ran: it stays runnable until its next poll.
                    self.state.store(SCHEDULED, Ordering::SeqCst);
                }
            }
            Poll::Ready(_) => self.finish(),
        }
        outcome
    }

    /// The task is finished or dropped: it never runs again.
    fn finish(&self) {
        if self.state.swap(DONE, Ordering::SeqCst) != IDLE {
            // It was scheduled or running (DONE is never finished twice: see `Tracked::drop`).
            self.instruments.runnable_down();
        }
    }

    /// The task is known to have asked for another poll.
    fn mark_woken(&self) {
        let mut state = self.state.load(Ordering::SeqCst);
        loop {
            let (next, counts) = match state {
                IDLE => (SCHEDULED, true),
                RUNNING => (RUNNING_WOKEN, false),
                _ => return,
            };
            if counts {
                self.instruments.runnable_up();
            }
            match self
                .state
                .compare_exchange(state, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return,
                Err(actual) => {
                    if counts {
                        self.instruments.runnable_down();
                    }
                    state = actual;
                }
            }
        }
    }
}

impl Wake for TaskTrack {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.mark_woken();
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(inner) = inner {
            inner.wake();
        }
    }
}

/// After a `Pending` poll: whether tokio's cooperative budget of the task is spent, and so a
/// tokio resource may have deferred the task's wake until after the poll (its waker is called
/// only later). The budget may also have run out on an operation that completed, with no wake
/// deferred: then a deferred wake of our own makes sure the task, counted runnable, is polled
/// again (tokio merges it with the other, if any).
#[cfg(feature = "tokio")]
fn defer_wake_if_budget_spent(cx: &mut Context<'_>) -> bool {
    if !crate::backend::tokio::time::budget_spent() {
        return false;
    }
    crate::backend::tokio::time::schedule_yield(cx);
    true
}

/// Without tokio, there is no tokio budget.
#[cfg(not(feature = "tokio"))]
fn defer_wake_if_budget_spent(_: &mut Context<'_>) -> bool {
    false
}

/// Puts back the task that was being polled on this thread before.
struct Restore(Option<Arc<TaskTrack>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

/// The instruments of the tracked task being polled on this thread.
pub(super) fn current_instruments() -> Option<Arc<Instruments>> {
    CURRENT.with(|current| {
        current
            .borrow()
            .as_ref()
            .map(|track| Arc::clone(&track.instruments))
    })
}

/// See [`current_task`](super::current_task).
pub(super) fn current_task(instruments: &Arc<Instruments>) -> Option<usize> {
    CURRENT.with(|current| {
        current
            .borrow()
            .as_ref()
            .filter(|track| Arc::ptr_eq(&track.instruments, instruments))
            .map(|track| Arc::as_ptr(track) as usize)
    })
}

/// See [`note_yield`](super::note_yield).
pub(super) fn note_yield() {
    CURRENT.with(|current| {
        if let Some(track) = current.borrow().as_ref() {
            track.mark_woken();
        }
    });
}

pin_project! {
    /// A task spawned on a runtime with instruments: see the [module docs](self).
    pub(crate) struct Tracked<F> {
        #[pin]
        future: F,
        track: Arc<TaskTrack>,
        waker: Waker,
    }

    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            this.track.finish_if_live();
        }
    }
}

impl<F> Tracked<F> {
    /// `future`, counted as scheduled from now on.
    pub(crate) fn new(future: F, instruments: Arc<Instruments>) -> Self {
        let track = TaskTrack::new(instruments);
        Tracked {
            future,
            waker: Waker::from(Arc::clone(&track)),
            track,
        }
    }
}

impl TaskTrack {
    /// Finishes the task unless it already finished.
    pub(crate) fn finish_if_live(&self) {
        if self.state.load(Ordering::SeqCst) != DONE {
            self.finish();
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        this.track.poll_with(this.waker, cx, |cx| future.poll(cx))
    }
}
