//! Loom models of the waiter lines: a release racing a waiter joining the line, a waiter
//! dropped while a release serves it, an event set while a task starts waiting, a condition's
//! waiter dropped while it is notified, a barrier's meeting, and a capacity limiter's total
//! raised while its waiter leaves.
//!
//! `RUSTFLAGS="--cfg anyio_loom" cargo test -p anyio --lib --release loom_model`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::AtomicUsize;
use loom::thread;
use std::sync::atomic::Ordering;

use super::barrier::Barrier;
use super::borrower::Borrower;
use super::capacity_limiter::CapacityLimiter;
use super::condition::Condition;
use super::event::Event;
use super::permits::{Acquire, Permits};

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
            thread::spawn(move || permits.release(1).unwrap())
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
            thread::spawn(move || permits.release(2).unwrap())
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
                permits.release(1).unwrap();
            })
        };
        let (_woken, waker) = counting_waker();
        let mut acquire = Acquire::new(&*permits, 1);
        while poll(&mut acquire, &waker).is_pending() {
            thread::yield_now();
        }
        permits.release(1).unwrap();
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

/// Polls `future` until it completes, letting the other loom threads run in between.
fn spin<F: Future + Unpin>(future: &mut F) -> F::Output {
    let (_woken, waker) = counting_waker();
    loop {
        match poll(future, &waker) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::yield_now(),
        }
    }
}

/// A waiter dropped while another thread notifies one: the notification is not lost, so the
/// other waiter always goes on (it was notified, or the dropped one passed it on).
#[test]
fn loom_model_a_notified_waiter_dropped_passes_the_notification_on() {
    loom::model(|| {
        let condition = Arc::new(Condition::new(()));
        let (_woken, waker) = counting_waker();
        let mut dropped = Box::pin(condition.try_lock().unwrap().wait());
        assert!(
            dropped
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let mut kept = Box::pin(condition.try_lock().unwrap().wait());
        assert!(
            kept.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let notifier = {
            let condition = Arc::clone(&condition);
            thread::spawn(move || spin(&mut condition.lock()).notify(1))
        };
        drop(dropped);
        notifier.join().unwrap();
        let guard = kept
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .map(drop);
        assert!(guard.is_ready(), "the notification was lost");
        assert_eq!(condition.statistics().tasks_waiting, 0);
    });
}

/// Two parties arriving at a barrier on two threads: both go on, and exactly one leads.
#[test]
fn loom_model_two_parties_meet_at_a_barrier() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2));
        let other = {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || spin(&mut barrier.wait()).is_leader())
        };
        let mine = spin(&mut barrier.wait()).is_leader();
        let theirs = other.join().unwrap();
        assert!(mine != theirs, "leaders: mine {mine}, theirs {theirs}");
        assert_eq!(barrier.tasks_waiting(), 0);
    });
}

/// A capacity limiter's total raised on another thread while its only waiter is dropped: the
/// token is lent to the waiter and given back, or never lent; it is never lost.
#[test]
fn loom_model_a_raised_total_races_a_dropped_waiter() {
    loom::model(|| {
        let limiter = Arc::new(CapacityLimiter::new(0));
        let (_woken, waker) = counting_waker();
        let mut waiting = Box::pin(limiter.acquire_on_behalf_of(Borrower::unique()));
        assert!(
            waiting
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let raiser = {
            let limiter = Arc::clone(&limiter);
            thread::spawn(move || limiter.set_total_tokens(1))
        };
        drop(waiting);
        raiser.join().unwrap();
        assert_eq!(limiter.borrowed_tokens(), 0, "a token was lost");
        assert_eq!(limiter.available_tokens(), 1);
        assert_eq!(limiter.statistics().tasks_waiting, 0);
    });
}
