//! Whether tokio runs the calling code, or only has a runtime entered on this thread.
//!
//! A tokio runtime context on a thread (what `Handle::try_current` finds) does not mean that
//! tokio runs the code there. `Runtime::enter` sets one without running anything, and so does
//! every `spawn_blocking` thread (whose closures even have task ids); another executor, such as
//! `smol::block_on`, may then poll anyio's futures. That is harmless on a multi-thread runtime,
//! whose worker threads drive its timers and I/O whoever polls. A current-thread runtime is
//! driven only while its `Runtime::block_on` runs, so a tokio timer made for such a future can
//! wait forever.
//!
//! The rule: tokio runs the calling code when
//! 1. a tokio scheduler runs on this thread: the code is a task on a worker thread or on the
//!    thread that runs a current-thread runtime, or the future of that runtime's `block_on`
//!    (`tokio::runtime::worker_index`, a thread-local read, answers; it is `None` on blocking
//!    threads and outside runtimes);
//! 2. or the runtime entered on this thread is a multi-thread one;
//! 3. or tokio polls the code from a `block_on` that does not hold the scheduler:
//!    `Handle::block_on` (from a `spawn_blocking` closure, say), or a second `Runtime::block_on`
//!    waiting for the scheduler. [`budget_is_limited`] tells. Such a `block_on` on a
//!    current-thread runtime drives nothing itself, as tokio documents; tokio's own timers work
//!    there while another thread runs `Runtime::block_on`, and anyio's do the same.
//!
//! Otherwise, with a current-thread runtime entered and another executor polling, tokio only has
//! a runtime entered here. The checks run in that order, cheapest and commonest first: code that
//! tokio's scheduler runs pays one thread-local read.

use std::task::{Context, Poll, Waker};

use ::tokio::runtime::{self, Handle, RuntimeFlavor};
use ::tokio::task::{self, coop};

/// What tokio's context on this thread says about the calling code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// tokio runs the code, or drives its timers and I/O whoever polls it.
    Running,
    /// A current-thread runtime is entered on this thread, but another executor polls the code,
    /// so nothing drives tokio's timers and I/O for it.
    EnteredOnly,
    /// No tokio runtime context on this thread.
    Absent,
}

/// Whether tokio runs the calling code; see the module docs for the rule.
pub(crate) fn presence() -> Presence {
    if runtime::worker_index().is_some() {
        return Presence::Running;
    }
    let Ok(handle) = Handle::try_current() else {
        return Presence::Absent;
    };
    if handle.runtime_flavor() == RuntimeFlavor::MultiThread || budget_is_limited() {
        Presence::Running
    } else {
        Presence::EnteredOnly
    }
}

/// Whether a tokio scheduler is running on this thread right now: a worker of a multi-thread
/// runtime, or a `block_on` (tokio limits the cooperative budget only while it polls). Not a
/// blocking-pool thread, which merely has the runtime entered.
pub(crate) fn scheduler_on_this_thread() -> bool {
    runtime::worker_index().is_some() || (Handle::try_current().is_ok() && budget_is_limited())
}

/// Whether the calling thread has a tokio runtime context at all: a tokio task (blocking ones
/// included), or an entered handle, whether or not a runtime runs here.
pub(crate) fn context_present() -> bool {
    task::try_id().is_some() || Handle::try_current().is_ok()
}

/// Whether tokio's cooperative budget limits the calling code, that is, whether tokio polls it.
///
/// tokio gives every poll it makes a budget (128 units): a task's poll, and the poll of the
/// future in any `block_on`, `Handle::block_on` included. Code that tokio does not poll runs
/// without a limit, and tokio lifts the limit for `spawn_blocking` closures. tokio does not show
/// the budget, but `poll_proceed` takes one unit (nothing from an unlimited budget) and
/// `has_budget_remaining` turns false at zero. So take units until the budget runs out or
/// cannot be limited (a budget is a `u8`: 255 units at most), then put them back.
///
/// Up to 255 thread-local updates: this runs only where no tokio scheduler runs on the thread
/// and the runtime is a current-thread one.
fn budget_is_limited() -> bool {
    if !coop::has_budget_remaining() {
        return true;
    }
    // Never registered: `poll_proceed` registers the waker only when the budget has run out,
    // and every take below first checks that some is left.
    let mut cx = Context::from_waker(Waker::noop());
    // Dropped without `made_progress`, the first take puts back the budget it found.
    let Poll::Ready(restore) = coop::poll_proceed(&mut cx) else {
        return true;
    };
    let mut limited = false;
    for _ in 0..u8::MAX {
        if !coop::has_budget_remaining() {
            limited = true;
            break;
        }
        match coop::poll_proceed(&mut cx) {
            // Kept taken, so that the budget keeps going down.
            Poll::Ready(taken) => taken.made_progress(),
            Poll::Pending => {
                limited = true;
                break;
            }
        }
    }
    drop(restore);
    limited
}
