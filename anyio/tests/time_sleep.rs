//! `sleep`, `sleep_until`, `sleep_forever`, `current_time` and `checkpoint`, on every backend.
#![cfg(feature = "macros")]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use anyio::Runner;
use futures_lite::future;

mod common;

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[anyio::test]
async fn sleep_waits_at_least_its_duration() {
    let start = anyio::current_time();
    anyio::sleep(Duration::from_millis(20)).await;
    assert!(anyio::current_time() - start >= Duration::from_millis(20));
}

#[anyio::test]
async fn sleep_until_waits_for_the_deadline() {
    let deadline = anyio::current_time() + Duration::from_millis(15);
    anyio::sleep_until(deadline).await;
    assert!(anyio::current_time() >= deadline);
}

/// Polls `future` once by hand; reports the poll result and the waker that was used.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> (Poll<F::Output>, Arc<CountingWaker>) {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    let poll = future.poll(&mut Context::from_waker(&waker));
    (poll, counter)
}

/// A zero sleep and a past deadline are a single yield: pending once, woken without a timer
/// having to fire, ready on the next poll.
async fn assert_is_a_yield(sleep: anyio::Sleep) {
    let mut sleep = pin!(sleep);
    let (first, waker) = poll_once(sleep.as_mut());
    assert!(first.is_pending(), "a yield suspends once");
    // tokio delivers a yield's wake-up once the scheduler runs again; smol at once.
    anyio::lowlevel::checkpoint().await;
    assert_eq!(
        waker.0.load(Ordering::SeqCst),
        1,
        "woken by the yield itself"
    );
    assert!(poll_once(sleep.as_mut()).0.is_ready());
}

#[anyio::test]
async fn zero_and_past_deadlines_are_yields() {
    assert_is_a_yield(anyio::sleep(Duration::ZERO)).await;
    let past = anyio::current_time() - Duration::from_millis(50);
    assert_is_a_yield(anyio::sleep_until(past)).await;
    assert_is_a_yield(anyio::sleep_until(anyio::current_time())).await;
}

#[cfg(feature = "tokio")]
#[test]
fn zero_sleep_does_not_use_tokio_timers() {
    // On a paused clock tokio jumps to the next timer when idle; a 1 ms timer would show up as
    // one millisecond passing. A yield lets no time pass.
    let elapsed = common::paused_tokio()
        .run(async {
            let start = anyio::current_time();
            for _ in 0..10 {
                anyio::sleep(Duration::ZERO).await;
                anyio::sleep_until(start).await;
                anyio::lowlevel::checkpoint().await;
            }
            anyio::current_time() - start
        })
        .unwrap();
    assert_eq!(elapsed, Duration::ZERO);
}

#[anyio::test]
async fn a_yield_lets_other_futures_run() {
    let steps = AtomicUsize::new(0);
    let (first, second) = future::zip(
        async {
            anyio::lowlevel::checkpoint().await;
            steps.fetch_add(1, Ordering::SeqCst)
        },
        async { steps.fetch_add(1, Ordering::SeqCst) },
    )
    .await;
    // The checkpointing future finished second.
    assert_eq!((first, second), (1, 0));
}

#[anyio::test]
async fn sleep_forever_ends_only_by_being_dropped() {
    common::assert_outlasted(anyio::sleep_forever()).await;
}

#[anyio::test]
async fn an_overlong_sleep_is_forever_not_a_panic() {
    common::assert_outlasted(anyio::sleep(Duration::MAX)).await;
    common::assert_outlasted(anyio::sleep(Duration::from_secs(3600))).await;
}

#[anyio::test]
async fn cancelling_a_sleep_mid_flight_leaves_nothing_behind() {
    // Arm a long timer, then drop it before it fires; time and later sleeps are unaffected.
    for _ in 0..100 {
        let mut long = pin!(anyio::sleep(Duration::from_secs(3600)));
        assert!(poll_once(long.as_mut()).0.is_pending());
    }
    let mut checkpoint = pin!(anyio::lowlevel::checkpoint());
    assert!(poll_once(checkpoint.as_mut()).0.is_pending());
    let start = anyio::current_time();
    anyio::sleep(Duration::from_millis(2)).await;
    assert!(anyio::current_time() - start >= Duration::from_millis(2));
}

#[anyio::test]
async fn a_finished_sleep_stays_finished() {
    let mut sleep = pin!(anyio::sleep(Duration::from_millis(1)));
    sleep.as_mut().await;
    assert!(poll_once(sleep.as_mut()).0.is_ready());
}

#[test]
fn a_sleep_made_outside_a_runtime_runs_inside_one() {
    for runner in anyio::Backend::available().map(Runner::new) {
        let sleep = anyio::sleep(Duration::from_millis(1));
        runner.run(sleep).unwrap();
    }
}

#[anyio::test]
async fn current_time_is_monotonic() {
    let mut previous = anyio::current_time();
    for _ in 0..100 {
        let now = anyio::current_time();
        assert!(now >= previous);
        previous = now;
    }
}

#[anyio::test(virtual_time, timeout = 30)]
async fn reset_moves_an_armed_sleep_earlier_and_later() {
    let start = anyio::current_time();
    let mut nap = pin!(anyio::sleep(Duration::from_secs(3600)));
    // Armed by a first poll, then moved earlier.
    assert!(future::poll_once(nap.as_mut()).await.is_none());
    nap.as_mut().reset(start + Duration::from_secs(5));
    nap.as_mut().await;
    assert_eq!(anyio::current_time() - start, Duration::from_secs(5));

    // Completed, then reset: it waits again, for the new deadline only.
    nap.as_mut().reset(start + Duration::from_secs(60));
    assert!(future::poll_once(nap.as_mut()).await.is_none());
    nap.as_mut().reset(start + Duration::from_secs(90));
    nap.as_mut().await;
    assert_eq!(anyio::current_time() - start, Duration::from_secs(90));
}

#[anyio::test(virtual_time, timeout = 30)]
async fn reset_gives_an_unpolled_or_endless_sleep_a_deadline() {
    let start = anyio::current_time();
    let mut forever = pin!(anyio::sleep_forever());
    assert!(future::poll_once(forever.as_mut()).await.is_none());
    forever.as_mut().reset(start + Duration::from_secs(7));
    forever.await;
    assert_eq!(anyio::current_time() - start, Duration::from_secs(7));

    let mut unpolled = pin!(anyio::sleep(Duration::from_secs(3600)));
    unpolled.as_mut().reset(start + Duration::from_secs(10));
    unpolled.await;
    assert_eq!(anyio::current_time() - start, Duration::from_secs(10));
}

#[anyio::test(timeout = 30)]
async fn reset_to_a_passed_deadline_completes_at_once() {
    let mut nap = pin!(anyio::sleep(Duration::from_secs(3600)));
    assert!(future::poll_once(nap.as_mut()).await.is_none());
    let passed = anyio::current_time();
    nap.as_mut().reset(passed);
    anyio::fail_after(Duration::from_secs(10), nap)
        .await
        .expect("a sleep reset to a passed deadline completed");
}
