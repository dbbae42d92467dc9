//! One resettable timer, backed by the running backend's own timer.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

#[cfg(not(all(feature = "tokio", feature = "smol")))]
use super::Absent;
use super::Active;
use super::instruments::{self, VirtualTimer};

#[cfg(feature = "tokio")]
type TokioSleep = ::tokio::time::Sleep;
#[cfg(not(feature = "tokio"))]
type TokioSleep = Absent;

#[cfg(feature = "smol")]
type SmolTimer = async_io::Timer;
#[cfg(not(feature = "smol"))]
type SmolTimer = Absent;

pin_project! {
    /// A timer that fires once at a deadline on the backend's clock, and can be moved.
    #[project = TimerProj]
    #[derive(Debug)]
    pub(crate) enum Timer {
        Tokio { #[pin] sleep: TokioSleep },
        Smol { timer: SmolTimer },
        // On a runtime that runs on virtual time (see `instruments`).
        Virtual { timer: VirtualTimer },
    }
}

impl Timer {
    /// A timer on `backend` that fires at `deadline`.
    pub(crate) fn at(backend: Active, deadline: Instant) -> Timer {
        if let Some(instruments) = instruments::virtual_clock() {
            return Timer::Virtual {
                timer: VirtualTimer::new(instruments, deadline),
            };
        }
        Timer::real_at(backend, deadline)
    }

    /// A timer on `backend`'s own clock, also where anyio's clock is virtual (a test's time
    /// limit is real time).
    pub(crate) fn real_at(backend: Active, deadline: Instant) -> Timer {
        match backend {
            #[cfg(feature = "tokio")]
            Active::Tokio => Timer::Tokio {
                sleep: super::tokio::time::sleep_until(deadline),
            },
            #[cfg(feature = "smol")]
            Active::Smol => Timer::Smol {
                timer: async_io::Timer::at(deadline),
            },
        }
    }

    /// Moves the deadline; the timer fires (again) at `deadline`.
    #[allow(dead_code)] // used by cancel scopes, whose deadlines move at run time
    pub(crate) fn reset(self: Pin<&mut Self>, deadline: Instant) {
        match self.project() {
            TimerProj::Tokio { sleep } => super::tokio_reset(sleep, deadline),
            TimerProj::Smol { timer } => super::smol_reset(timer, deadline),
            TimerProj::Virtual { timer } => timer.reset(deadline),
        }
    }

    /// Polls the timer; ready once the deadline has passed.
    pub(crate) fn poll_fire(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        use std::future::Future;
        match self.project() {
            TimerProj::Tokio { sleep } => sleep.poll(cx).map(drop),
            TimerProj::Smol { timer } => Pin::new(timer).poll(cx).map(drop),
            TimerProj::Virtual { timer } => timer.poll_fire(cx),
        }
    }
}
