//! A one-value channel between a thread and a task, or a task and a thread: the receiver can be
//! awaited (from any executor) or waited on by blocking the calling thread.
//!
//! The channels of the runtimes do one or the other; the thread module needs both from the same
//! slot (a portal's task handle may be awaited by one caller and blocked on by another).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// How many rounds of spinning (then yielding) [`Receiver::wait`] does before it sleeps.
const SPIN_STEPS: u32 = 14;

/// Whether this process may run on more than one core (read once).
fn several_cores() -> bool {
    static SEVERAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SEVERAL.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// The sender went away without sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Closed;

enum State<T> {
    /// Nothing yet; the waker of the task awaiting the value, if one does.
    Empty(Option<Waker>),
    Full(T),
    /// The value was taken, or the sender dropped without sending.
    Closed,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signalled when the state leaves `Empty`, for a thread blocked in [`Receiver::wait`].
    filled: Condvar,
    /// Set once the state has left `Empty`, for a waiting thread to watch without the lock.
    settled: std::sync::atomic::AtomicBool,
    /// Whether a thread may be blocked on `filled` (a notification is a system call otherwise
    /// spent for nobody).
    blocked: std::sync::atomic::AtomicBool,
    /// The receiver is gone: a value sent now would never be read.
    abandoned: std::sync::atomic::AtomicBool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing runs user code under this lock, so it cannot be poisoned mid-update.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn settle(&self, state: State<T>) -> Result<(), T> {
        let mut slot = self.lock();
        let waker = match std::mem::replace(&mut *slot, State::Closed) {
            State::Empty(waker) => waker,
            other => {
                // Already settled: keep what is there.
                *slot = other;
                return match state {
                    State::Full(value) => Err(value),
                    _ => Ok(()),
                };
            }
        };
        *slot = state;
        self.settled
            .store(true, std::sync::atomic::Ordering::Release);
        drop(slot);
        if self.blocked.load(std::sync::atomic::Ordering::Acquire) {
            self.filled.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

/// Sends the one value; dropping it unsent closes the channel.
pub(crate) struct Sender<T> {
    shared: Option<Arc<Shared<T>>>,
}

/// Receives the one value, by awaiting it or by blocking.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// A new channel.
pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::Empty(None)),
        filled: Condvar::new(),
        settled: std::sync::atomic::AtomicBool::new(false),
        blocked: std::sync::atomic::AtomicBool::new(false),
        abandoned: std::sync::atomic::AtomicBool::new(false),
    });
    (
        Sender {
            shared: Some(Arc::clone(&shared)),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Whether the receiver is gone: nobody will read what is sent.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.shared
            .as_ref()
            .is_none_or(|shared| shared.abandoned.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Sends `value`; gives it back if the receiver is gone.
    pub(crate) fn send(mut self, value: T) -> Result<(), T> {
        let shared = self.shared.take().expect("a sender sends once");
        if shared.abandoned.load(std::sync::atomic::Ordering::Acquire) {
            return Err(value);
        }
        shared.settle(State::Full(value))
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let _ = shared.settle(State::Closed);
        }
    }
}

impl<T> Receiver<T> {
    /// Whether the sender has settled (sent, or gone without sending).
    pub(crate) fn is_settled(&self) -> bool {
        !matches!(*self.shared.lock(), State::Empty(_))
    }

    /// Blocks the calling thread until the sender settles.
    pub(crate) fn wait(&self) -> Result<T, Closed> {
        // A call into an event loop often comes back within microseconds: spin and yield a
        // little before sleeping, as std's channels do. Sleeping at once costs a wake-up on
        // another core, measured at up to 3.5 times the whole round trip on a two-core
        // machine. On one core the spinning only delays the thread that would answer.
        let spin_steps = if several_cores() { SPIN_STEPS } else { 0 };
        for step in 0..spin_steps {
            if self
                .shared
                .settled
                .load(std::sync::atomic::Ordering::Acquire)
            {
                break;
            }
            if step < spin_steps / 2 {
                for _ in 0..(1 << step) {
                    std::hint::spin_loop();
                }
            } else {
                std::thread::yield_now();
            }
        }
        self.shared
            .blocked
            .store(true, std::sync::atomic::Ordering::Release);
        let mut slot = self.shared.lock();
        loop {
            match std::mem::replace(&mut *slot, State::Closed) {
                State::Full(value) => return Ok(value),
                State::Closed => return Err(Closed),
                empty @ State::Empty(_) => {
                    *slot = empty;
                    slot = self
                        .shared
                        .filled
                        .wait(slot)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            }
        }
    }

    /// Polls for the value, remembering the task's waker while it is not there.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Result<T, Closed>> {
        let mut slot = self.shared.lock();
        match std::mem::replace(&mut *slot, State::Closed) {
            State::Full(value) => Poll::Ready(Ok(value)),
            State::Closed => Poll::Ready(Err(Closed)),
            State::Empty(waker) => {
                let waker = match waker {
                    Some(mut waker) => {
                        waker.clone_from(cx.waker());
                        waker
                    }
                    None => cx.waker().clone(),
                };
                *slot = State::Empty(Some(waker));
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared
            .abandoned
            .store(true, std::sync::atomic::Ordering::Release);
        // A value sent before the flag was seen is dropped here, on the receiver's side.
        if let State::Full(value) = std::mem::replace(&mut *self.shared.lock(), State::Closed) {
            drop(value);
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_take(cx)
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("settled", &self.is_settled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_sent_from_a_thread_is_received_by_blocking() {
        let (sender, receiver) = channel();
        let thread = std::thread::spawn(move || sender.send(7).unwrap());
        assert_eq!(receiver.wait(), Ok(7));
        thread.join().unwrap();
    }

    #[test]
    fn a_sender_dropped_unsent_closes_the_channel() {
        let (sender, receiver) = channel::<u8>();
        drop(sender);
        assert_eq!(receiver.wait(), Err(Closed));
    }

    #[test]
    fn a_value_sent_to_a_dropped_receiver_comes_back() {
        let (sender, receiver) = channel();
        drop(receiver);
        assert_eq!(sender.send(3), Err(3));
    }

    #[test]
    fn an_awaiting_task_is_woken() {
        let (sender, receiver) = channel();
        let thread = std::thread::spawn(move || sender.send("done").unwrap());
        assert_eq!(futures_lite::future::block_on(receiver), Ok("done"));
        thread.join().unwrap();
    }
}
