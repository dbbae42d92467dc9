//! The crate-private backend layer.
//!
//! Every public operation asks [`current`] which backend runs the calling code and then matches
//! on the answer in exactly one place. There is no trait object and no boxing: each operation
//! that needs backend state (a timer, say) stores it in an enum with one variant per backend.
//!
//! Detection order (DESIGN §3):
//! 1. the thread-local marker that anyio's own runners and tasks set ([`enter`]);
//! 2. tokio, when tokio runs the calling code (`tokio::detect` has the details): a tokio
//!    scheduler runs on this thread (a tokio task, or a current-thread runtime's `block_on`),
//!    the runtime entered here is a multi-thread one (its workers drive timers and I/O whoever
//!    polls), or a tokio `block_on` polls the code (`Handle::block_on`);
//! 3. the smol backend, when it is compiled in: async-io's reactor runs under any executor, so
//!    anyio's smol operations work wherever a future is polled. That includes another executor
//!    polling where a current-thread tokio runtime is only entered (`Runtime::enter`, a
//!    `spawn_blocking` thread): nothing would drive that runtime's timers and I/O;
//! 4. otherwise [`NoEventLoopError`], which says so when a current-thread tokio runtime is
//!    entered but not running the code.
//!
//! ## Variants of compiled-out backends
//! Enums that hold backend state keep one variant per backend whatever the features are; the
//! variant of a backend that is compiled out holds [`Absent`], an uninhabited type, so matches
//! stay exhaustive and the dead arm compiles to nothing. (pin-project-lite cannot carry `#[cfg]`
//! on enum variants, and this keeps the pinning safe without hand-written projections.)

use std::cell::Cell;
use std::pin::Pin;
use std::task::Context;

use crate::runtime::{Backend, NoEventLoopError};

#[cfg(feature = "smol")]
pub(crate) mod smol;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

mod blocking;
pub(crate) mod coop;
pub(crate) mod instruments;
#[cfg(unix)]
mod io;
pub(crate) mod op_cell;
pub(crate) mod runtime_local;
mod spawn;
mod timer;
pub(crate) mod wait_point;

pub(crate) use blocking::{BlockingJob, BlockingWork, Leftover, execute_blocking, run_blocking};
#[cfg(unix)]
pub(crate) use io::{Direction, OwnsFd, Registered, Watched};
pub(crate) use spawn::SpawnTarget;
#[cfg(feature = "smol")]
pub(crate) use spawn::smol_executor;
pub(crate) use timer::Timer;

/// A backend that is compiled into this build. Unlike the public [`Backend`], it has no variant
/// for a backend whose feature is off, so `match`es on it never need an unreachable arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Active {
    #[cfg(feature = "tokio")]
    Tokio,
    #[cfg(feature = "smol")]
    Smol,
}

impl Active {
    /// The backend of [`run`](crate::run) when `ANYIO_BACKEND` is unset: tokio, or smol when
    /// tokio is not compiled in.
    #[cfg(feature = "tokio")]
    pub(crate) const DEFAULT: Active = Active::Tokio;
    #[cfg(not(feature = "tokio"))]
    pub(crate) const DEFAULT: Active = Active::Smol;

    /// The public name of this backend.
    pub(crate) fn public(self) -> Backend {
        match self {
            #[cfg(feature = "tokio")]
            Active::Tokio => Backend::Tokio,
            #[cfg(feature = "smol")]
            Active::Smol => Backend::Smol,
        }
    }

    /// The compiled-in backend behind a public name, if it is compiled in.
    pub(crate) fn from_public(backend: Backend) -> Option<Active> {
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => Some(Active::Tokio),
            #[cfg(feature = "smol")]
            Backend::Smol => Some(Active::Smol),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// An uninhabited stand-in for the state of a backend that is compiled out.
#[cfg(not(all(feature = "tokio", feature = "smol")))]
#[derive(Debug)]
pub(crate) enum Absent {}

#[cfg(not(all(feature = "tokio", feature = "smol")))]
impl std::future::Future for Absent {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> std::task::Poll<()> {
        match *self.get_mut() {}
    }
}

thread_local! {
    /// The backend that anyio itself is running on this thread, if anyio's own runner (or one of
    /// its executor threads) is driving it.
    static MARKER: Cell<Option<Active>> = const { Cell::new(None) };
}

/// Restores the previous marker when dropped; see [`enter`].
#[derive(Debug)]
pub(crate) struct MarkerGuard {
    previous: Option<Active>,
}

impl Drop for MarkerGuard {
    fn drop(&mut self) {
        MARKER.with(|marker| marker.set(self.previous));
    }
}

/// Marks this thread as running `backend` until the guard is dropped.
pub(crate) fn enter(backend: Active) -> MarkerGuard {
    let previous = MARKER.with(|marker| marker.replace(Some(backend)));
    MarkerGuard { previous }
}

/// The backend anyio's own runner has marked on this thread, if any.
#[inline]
pub(crate) fn marker() -> Option<Active> {
    MARKER.with(Cell::get)
}

/// The backend that runs the calling code.
pub(crate) fn current() -> Result<Active, NoEventLoopError> {
    if let Some(active) = marker() {
        return Ok(active);
    }
    #[cfg(feature = "tokio")]
    match tokio::presence() {
        tokio::Presence::Running => return Ok(Active::Tokio),
        // Another executor polls the code: smol's reactor serves it, if compiled in.
        #[cfg(not(feature = "smol"))]
        tokio::Presence::EnteredOnly => return Err(NoEventLoopError::tokio_not_running()),
        #[cfg(feature = "smol")]
        tokio::Presence::EnteredOnly => {}
        tokio::Presence::Absent => {}
    }
    #[cfg(feature = "smol")]
    return Ok(Active::Smol);
    #[cfg(not(feature = "smol"))]
    Err(NoEventLoopError::new())
}

/// Whether this thread runs an event loop now (anyio's runner or executor threads, a tokio
/// worker or `block_on`): blocking it to wait for a task could wait for ever.
pub(crate) fn runs_event_loop() -> bool {
    if marker().is_some() {
        return true;
    }
    #[cfg(feature = "tokio")]
    if tokio::scheduler_on_this_thread() {
        return true;
    }
    false
}

/// [`current`], for an operation that cannot go on without a runtime.
///
/// # Panics
/// With the [`NoEventLoopError`] message, naming `operation`, when no backend runs the caller.
#[track_caller]
pub(crate) fn current_or_panic(operation: &str) -> Active {
    match current() {
        Ok(active) => active,
        Err(error) => panic!("{operation}: {error}"),
    }
}

/// The backend's monotonic clock.
pub(crate) fn now(backend: Active) -> std::time::Instant {
    if let Some(instruments) = instruments::virtual_clock() {
        if let Some(clock) = instruments.clock() {
            return clock.now();
        }
    }
    match backend {
        #[cfg(feature = "tokio")]
        Active::Tokio => tokio::time::now(),
        #[cfg(feature = "smol")]
        Active::Smol => std::time::Instant::now(),
    }
}

/// Arranges for the task polling with `cx` to be polled again after other ready tasks have had
/// their turn; the caller returns `Poll::Pending` right after.
pub(crate) fn schedule_yield(backend: Active, cx: &mut Context<'_>) {
    instruments::note_yield();
    match backend {
        #[cfg(feature = "tokio")]
        Active::Tokio => tokio::time::schedule_yield(cx),
        #[cfg(feature = "smol")]
        Active::Smol => cx.waker().wake_by_ref(),
    }
}

// Timer resets per backend, spelled so that the arm of a compiled-out backend takes `Absent`.

#[cfg(feature = "tokio")]
fn tokio_reset(sleep: Pin<&mut ::tokio::time::Sleep>, deadline: std::time::Instant) {
    sleep.reset(::tokio::time::Instant::from_std(deadline));
}
#[cfg(not(feature = "tokio"))]
fn tokio_reset(sleep: Pin<&mut Absent>, _deadline: std::time::Instant) {
    match *sleep.get_mut() {}
}

#[cfg(feature = "smol")]
fn smol_reset(timer: &mut async_io::Timer, deadline: std::time::Instant) {
    timer.set_at(deadline);
}
#[cfg(not(feature = "smol"))]
fn smol_reset(timer: &mut Absent, _deadline: std::time::Instant) {
    match *timer {}
}
