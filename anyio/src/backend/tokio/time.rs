//! tokio's clock, timers and yield.

use std::future::Future;
use std::pin::pin;
use std::task::Context;
use std::time::Instant;

/// tokio's clock (which a test runtime may pause), as a std `Instant`.
pub(crate) fn now() -> Instant {
    ::tokio::time::Instant::now().into_std()
}

/// A tokio timer firing at `deadline`.
pub(crate) fn sleep_until(deadline: Instant) -> ::tokio::time::Sleep {
    ::tokio::time::sleep_until(::tokio::time::Instant::from_std(deadline))
}

/// Schedules a wake-up the way `tokio::task::yield_now` does.
///
/// tokio defers the wake-up of a yielding task until the scheduler has polled its I/O and timer
/// drivers, so a task that yields in a loop cannot starve I/O. A plain `wake_by_ref` would put
/// the task in the worker's LIFO slot and run it again at once. `yield_now`'s first poll does
/// exactly the deferral and returns `Pending`; we poll a fresh one once and drop it (it holds
/// no resources), so our own future types stay nameable and allocation-free.
pub(crate) fn schedule_yield(cx: &mut Context<'_>) {
    let yield_now = pin!(::tokio::task::yield_now());
    if yield_now.poll(cx).is_ready() {
        // Not what tokio does today; if it ever did, still make sure we are polled again.
        cx.waker().wake_by_ref();
    }
}

/// Whether the task being polled has spent tokio's cooperative budget: a tokio resource it
/// polled then returned `Pending` with the task's wake deferred until after the poll (as
/// `yield_now` does).
pub(crate) fn budget_spent() -> bool {
    !::tokio::task::coop::has_budget_remaining()
}
