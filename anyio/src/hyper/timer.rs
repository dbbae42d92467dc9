//! [`AnyioTimer`]: hyper's timer on anyio's clock.

use std::pin::Pin;
use std::time::{Duration, Instant};

use ::hyper::rt::{Sleep, Timer};

/// A hyper [`Timer`](::hyper::rt::Timer) on anyio's clock ([`current_time`](crate::current_time),
/// [`sleep_until`](crate::sleep_until)), on either backend, virtual time included.
///
/// hyper uses its timer for the header-read timeout of HTTP/1 servers, keep-alive pings and
/// timeouts of HTTP/2, and a client pool's idle timeout; without one it skips them (a
/// header-read timeout set without a timer is ignored). A [`reset`](Timer::reset) moves the
/// sleep in place ([`Sleep::reset`](crate::Sleep::reset)) instead of allocating a new one.
///
/// # Panics
/// Its sleeps panic when polled outside any runtime that anyio can use, as
/// [`sleep`](crate::sleep) does; hyper polls them in the connection's task.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// use anyio::hyper::AnyioTimer;
///
/// let mut builder = hyper::server::conn::http1::Builder::new();
/// builder
///     .timer(AnyioTimer)
///     .header_read_timeout(Duration::from_secs(10));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnyioTimer;

impl Timer for AnyioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        // hyper counts from the call, where anyio's `sleep` counts from the first poll.
        match crate::current_time().checked_add(duration) {
            Some(deadline) => self.sleep_until(deadline),
            None => Box::pin(crate::sleep_forever()),
        }
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(crate::sleep_until(deadline))
    }

    fn now(&self) -> Instant {
        crate::current_time()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::Sleep>() {
            Some(ours) => ours.reset(new_deadline),
            // A sleep from another timer: replaced, as hyper's default does.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl Sleep for crate::Sleep {}
