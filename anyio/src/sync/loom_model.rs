//! Loom models of the waiter lines: a release racing a waiter joining the line, a waiter
//! dropped while a release serves it, an event set while a task starts waiting.
//!
//! `RUSTFLAGS="--cfg anyio_loom" cargo test -p anyio --lib --release loom_model`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::AtomicUsize;
use loom::thread;
use std::sync::atomic::Ordering;

use super::event::Event;
use super::permits::{Acquire, MAX_PERMITS, Permits};

/// A waker that counts its wake-ups in a loom atomic.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (Arc::clone(&counter), Waker::from(counter))
}

fn poll<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// A permit released on another thread is never lost: the acquire takes it at once, or is
/// queued and then woken with the permit in hand.
#[test]
fn loom_model_release_races_an_acquire_joining_the_line() {
    loom::model(|| {
        let permits = Arc::new(Permits::new(0));
        let releaser = {
            let permits = Arc::clone(&permits);
            thread::spawn(move || permits.release(1, MAX_PERMITS).unwrap())
        };
        let (woken, waker) = counting_waker();
        let mut acquire = Acquire::new(&*permits, 1);
        let first = poll(&mut acquire, &waker);
        releaser.join().unwrap();
        if first.is_pending() {
            assert_eq!(
                woken.0.load(Ordering::SeqCst),
                1,
                "the queued acquire was not woken"
            );
            assert!(poll(&mut acquire, &waker).is_ready());
        }
        drop(acquire);
        assert_eq!(permits.available(), 0);
        assert_eq!(permits.waiting(), 0);
    });
}

/// A waiter dropped while another thread releases two permits: both end up in the count,
/// whether the release found the waiter in line (and handed it one) or not.
#[test]
fn loom_model_a_dropped_waiter_races_a_release() {
    loom::model(|| {
        let permits = Arc::new(Permits::new(0));
        let (_woken, waker) = counting_waker();
        let mut acquire = Box::new(Acquire::new(Arc::clone(&permits), 1));
        assert!(poll(&mut *acquire, &waker).is_pending());
        let releaser = {
            let permits = Arc::clone(&permits);
            thread::spawn(move || permits.release(2, MAX_PERMITS).unwrap())
        };
        drop(acquire);
        releaser.join().unwrap();
        assert_eq!(permits.available(), 2, "a permit was lost");
        assert_eq!(permits.waiting(), 0);
    });
}

/// Two acquires on two threads for one permit, released by a third: exactly one gets it at a
/// time, and both finish.
#[test]
fn loom_model_two_acquires_share_one_permit() {
    loom::model(|| {
        let permits = Arc::new(Permits::new(1));
        let other = {
            let permits = Arc::clone(&permits);
            thread::spawn(move || {
                let (_woken, waker) = counting_waker();
                let mut acquire = Acquire::new(&*permits, 1);
                while poll(&mut acquire, &waker).is_pending() {
                    thread::yield_now();
                }
                permits.release(1, MAX_PERMITS).unwrap();
            })
        };
        let (_woken, waker) = counting_waker();
        let mut acquire = Acquire::new(&*permits, 1);
        while poll(&mut acquire, &waker).is_pending() {
            thread::yield_now();
        }
        permits.release(1, MAX_PERMITS).unwrap();
        other.join().unwrap();
        assert_eq!(permits.available(), 1);
    });
}

/// An event set on another thread while a task starts waiting: the wait completes at once or
/// is woken.
#[test]
fn loom_model_set_races_a_wait() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let setter = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.set())
        };
        let (woken, waker) = counting_waker();
        let mut wait = event.wait();
        let first = poll(&mut wait, &waker);
        setter.join().unwrap();
        if first.is_pending() {
            assert_eq!(
                woken.0.load(Ordering::SeqCst),
                1,
                "the waiter was not woken"
            );
            assert!(poll(&mut wait, &waker).is_ready());
        }
    });
}
