//! Sleeping, and the backend's clock.
//!
//! [`sleep`], [`sleep_until`] and [`sleep_forever`] suspend the calling task on the running
//! backend's own timer (tokio's timer wheel, or async-io's reactor); [`current_time`] reads the
//! backend's monotonic clock, which for tokio is the clock a test runtime can pause.
//!
//! A zero duration, or a deadline that has already passed, is a plain yield to the scheduler,
//! never a timer: tokio rounds timers up to its 1 ms resolution, so `sleep(Duration::ZERO)` on
//! a tokio timer would take a millisecond, where anyio's takes as long as a task switch.
//!
//! # Examples
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let start = anyio::current_time();
//!     anyio::sleep(Duration::from_millis(10)).await;
//!     assert!(anyio::current_time() - start >= Duration::from_millis(10));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::backend::{self, Active, Timer};

/// Sleeps for `duration` on the running backend's timer.
///
/// The duration counts from the first poll. `Duration::ZERO` yields to the scheduler once
/// instead of arming a timer. A duration too long to represent sleeps forever.
///
/// # Cancel safety
/// Cancel safe: dropping the future at any point only disarms the timer. In a cancelled scope
/// it does not return, even once the time is up: the scope drops it.
///
/// # Panics
/// When first polled outside any runtime that anyio can use (see
/// [`NoEventLoopError`](crate::NoEventLoopError)).
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     anyio::sleep(Duration::from_millis(5)).await;
///     println!("five milliseconds later");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(Target::After(duration))
}

/// Sleeps until `deadline` on the running backend's clock (see [`current_time`]).
///
/// A deadline that has already passed yields to the scheduler once instead of arming a timer.
///
/// # Cancel safety
/// Cancel safe: dropping the future at any point only disarms the timer. In a cancelled scope
/// it does not return, even once the time is up: the scope drops it.
///
/// # Panics
/// When first polled outside any runtime that anyio can use (see
/// [`NoEventLoopError`](crate::NoEventLoopError)).
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let deadline = anyio::current_time() + Duration::from_millis(5);
///     anyio::sleep_until(deadline).await;
///     assert!(anyio::current_time() >= deadline);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Target::At(deadline))
}

/// Sleeps until the task is cancelled: the future never completes.
///
/// # Cancel safety
/// Cancel safe; being dropped is the only way it ends.
///
/// # Panics
/// When first polled outside any runtime that anyio can use (see
/// [`NoEventLoopError`](crate::NoEventLoopError)).
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     // Race it against something that does finish; the sleeper is dropped.
///     let winner = futures_lite::future::or(
///         async { anyio::sleep_forever().await; "forever" },
///         async { anyio::sleep(Duration::from_millis(5)).await; "five ms" },
///     )
///     .await;
///     assert_eq!(winner, "five ms");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn sleep_forever() -> Sleep {
    Sleep::new(Target::Forever)
}

/// The running backend's monotonic clock, as a std [`Instant`].
///
/// On tokio this is `tokio::time::Instant::now()`, which follows a paused test clock; on smol it
/// is [`Instant::now`]. Outside any runtime it is [`Instant::now`].
///
/// # Examples
/// ```
/// let earlier = anyio::current_time();
/// assert!(anyio::current_time() >= earlier);
/// ```
pub fn current_time() -> Instant {
    match backend::current() {
        Ok(active) => backend::now(active),
        Err(_) => Instant::now(),
    }
}

/// What a [`Sleep`] waits for.
#[derive(Clone, Copy, Debug)]
enum Target {
    After(Duration),
    At(Instant),
    Forever,
}

pin_project! {
    /// The future returned by [`sleep`], [`sleep_until`] and [`sleep_forever`].
    ///
    /// It finds the running backend on its first poll, so it can be created outside a runtime
    /// and awaited inside one.
    ///
    /// # Examples
    /// ```
    /// let nap: anyio::Sleep = anyio::sleep(std::time::Duration::from_millis(1));
    /// anyio::run(nap)?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        target: Target,
        #[pin]
        state: State,
    }
}

pin_project! {
    #[project = StateProj]
    #[derive(Debug)]
    enum State {
        Unstarted,
        Waiting { #[pin] timer: Timer },
        Forever,
        Done,
    }
}

impl Sleep {
    fn new(target: Target) -> Self {
        Sleep {
            target,
            state: State::Unstarted,
        }
    }

    /// Moves the deadline to `deadline`, on the running backend's clock, without allocating:
    /// an armed timer is moved in place (as `tokio::time::Sleep::reset` does).
    ///
    /// It works in any state: a sleep not polled yet, one waiting, one that has already
    /// completed (it completes again, at the new deadline) and one from [`sleep_forever`] (it
    /// now ends at `deadline`). A deadline that has already passed completes the sleep at its
    /// next poll, after a yield to the scheduler as [`sleep_until`] does.
    ///
    /// # Examples
    /// ```
    /// use std::pin::pin;
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let start = anyio::current_time();
    ///     let mut nap = pin!(anyio::sleep(Duration::from_secs(3600)));
    ///     nap.as_mut().reset(start + Duration::from_millis(5));
    ///     nap.as_mut().await;
    ///     assert!(anyio::current_time() - start < Duration::from_secs(3600));
    ///     // Completed: a reset arms it again.
    ///     nap.as_mut().reset(anyio::current_time() + Duration::from_millis(5));
    ///     nap.await;
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let mut this = self.project();
        *this.target = Target::At(deadline);
        match this.state.as_mut().project() {
            StateProj::Waiting { timer } => timer.reset(deadline),
            // Not armed: the next poll starts from the new target, as a first poll does.
            _ => this.state.set(State::Unstarted),
        }
    }

    /// The state to wait in from the first poll on, on `backend`; `None` when the sleep is
    /// only a yield (a zero duration or a deadline already passed).
    fn start(target: Target, backend: Active) -> Option<State> {
        let deadline = match target {
            Target::After(duration) if duration.is_zero() => return None,
            Target::After(duration) => match backend::now(backend).checked_add(duration) {
                Some(deadline) => deadline,
                None => return Some(State::Forever),
            },
            Target::At(deadline) if deadline <= backend::now(backend) => return None,
            Target::At(deadline) => deadline,
            Target::Forever => return Some(State::Forever),
        };
        Some(State::Waiting {
            timer: Timer::at(backend, deadline),
        })
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        backend::wait_point::note(backend::wait_point::WaitPoint::Sleep);
        let mut this = self.project();
        if let StateProj::Unstarted = this.state.as_mut().project() {
            let backend = backend::current_or_panic("anyio::sleep");
            match Sleep::start(*this.target, backend) {
                Some(state) => this.state.set(state),
                None => {
                    backend::schedule_yield(backend, cx);
                    this.state.set(State::Done);
                    return Poll::Pending;
                }
            }
        }
        std::task::ready!(this.state.poll_state(cx));
        // Slept, but the scope was cancelled meanwhile: the sleep does not return, the scope
        // drops it here (as it would have, had it noticed before the timer fired).
        if crate::cancel::context::pending_cancellation(cx.waker()) {
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}

impl State {
    fn poll_state(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.as_mut().project() {
            StateProj::Waiting { timer } => {
                let fired = timer.poll_fire(cx);
                if fired.is_ready() {
                    self.set(State::Done);
                }
                fired
            }
            StateProj::Forever => Poll::Pending,
            // `Sleep::poll` leaves `Unstarted` before it gets here.
            StateProj::Done | StateProj::Unstarted => Poll::Ready(()),
        }
    }
}
