//! `to_thread::run_sync` on every backend: values, panics, limiters, cancellation with and
//! without abandoning the thread, and `from_thread::check_cancelled` (AnyIO's
//! `test_to_thread.py`).
#![cfg(feature = "macros")]

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use anyio::from_thread::{self, CallError};
use anyio::sync::CapacityLimiter;
use anyio::{CancelScope, to_thread};
use futures_lite::FutureExt;

use common::recorder;

mod common;

type Group = anyio::TaskGroup<std::convert::Infallible>;

/// Sleeps in small steps until `done()` holds, for states another thread reaches; panics after
/// ten seconds.
async fn eventually(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the state was never reached"
        );
        anyio::sleep(Duration::from_millis(1)).await;
    }
}

#[anyio::test]
async fn the_value_comes_back_from_another_thread() {
    let here = std::thread::current().id();
    let (value, there) = to_thread::run_sync(|| (42, std::thread::current().id())).await;
    assert_eq!(value, 42);
    assert_ne!(here, there);
}

#[anyio::test]
async fn a_panic_in_the_closure_is_raised_in_the_caller() {
    let caught = AssertUnwindSafe(to_thread::run_sync(|| -> u8 { panic!("boom in a thread") }))
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"boom in a thread"));
    // The worker survives its job's panic; the next call works.
    assert_eq!(to_thread::run_sync(|| 1).await, 1);
}

#[anyio::test]
async fn a_cancelled_caller_never_runs_the_closure() {
    let ran = Arc::new(AtomicBool::new(false));
    let scope = CancelScope::new();
    scope.handle().cancel();
    let flag = ran.clone();
    let outcome = scope
        .run(to_thread::run_sync(move || {
            flag.store(true, Ordering::SeqCst)
        }))
        .await;
    assert_eq!(outcome, None);
    // Give a wrongly started thread every chance to show up.
    to_thread::run_sync(|| ()).await;
    assert!(!ran.load(Ordering::SeqCst));
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_custom_limiter_bounds_how_many_run_at_once() {
    const LIMIT: usize = 2;
    let limiter = Arc::new(CapacityLimiter::new(LIMIT));
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    // Pairs meet at the barrier: two calls must run at once for any to finish.
    let pairs = Arc::new(Barrier::new(LIMIT));
    let (limiter2, active2, peak2) = (limiter.clone(), active.clone(), peak.clone());
    anyio::task_group(|tg: Group| async move {
        let (limiter, active, peak) = (limiter2, active2, peak2);
        for _ in 0..6 {
            let (limiter, active, peak, pairs) =
                (limiter.clone(), active.clone(), peak.clone(), pairs.clone());
            tg.spawn(async move {
                to_thread::run_sync(move || {
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    pairs.wait();
                    active.fetch_sub(1, Ordering::SeqCst);
                })
                .limiter(limiter)
                .await;
            });
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), LIMIT);
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn the_default_limiter_has_40_tokens_per_runtime_and_can_be_resized() {
    let limiter = to_thread::current_default_thread_limiter().unwrap();
    assert_eq!(limiter.total_tokens(), 40);
    assert!(Arc::ptr_eq(
        &limiter,
        &to_thread::current_default_thread_limiter().unwrap()
    ));
    let seen = to_thread::run_sync({
        let limiter = limiter.clone();
        move || limiter.borrowed_tokens()
    })
    .await;
    assert_eq!(seen, 1);
    limiter.set_total_tokens(3);
    assert_eq!(
        to_thread::current_default_thread_limiter()
            .unwrap()
            .total_tokens(),
        3
    );
}

#[test]
fn each_runtime_has_its_own_default_limiter() {
    let first = anyio::run(async {
        let limiter = to_thread::current_default_thread_limiter().unwrap();
        limiter.set_total_tokens(5);
        limiter
    })
    .unwrap();
    let second =
        anyio::run(async { to_thread::current_default_thread_limiter().unwrap() }).unwrap();
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(second.total_tokens(), 40);
}

#[anyio::test]
async fn a_limiter_of_zero_tokens_holds_calls_until_it_grows() {
    let limiter = Arc::new(CapacityLimiter::new(0));
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let call =
        to_thread::run_sync(move || flag.store(true, Ordering::SeqCst)).limiter(limiter.clone());
    let raced = async {
        call.await;
        true
    }
    .or(async {
        anyio::sleep(Duration::from_millis(10)).await;
        false
    })
    .await;
    assert!(!raced, "a call ran without a token");
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(
        limiter.statistics().tasks_waiting,
        0,
        "the dropped call left the line"
    );

    let flag = ran.clone();
    let limiter3 = limiter.clone();
    anyio::task_group(|tg: Group| async move {
        let limiter = limiter3;
        let limiter2 = limiter.clone();
        tg.spawn(async move {
            to_thread::run_sync(move || flag.store(true, Ordering::SeqCst))
                .limiter(limiter2)
                .await
        });
        let waiting = limiter.clone();
        eventually(move || waiting.statistics().tasks_waiting == 1).await;
        limiter.set_total_tokens(1);
        Ok(())
    })
    .await
    .unwrap();
    assert!(ran.load(Ordering::SeqCst));
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn without_abandon_the_cancellation_waits_for_the_thread() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let finished = Arc::new(AtomicBool::new(false));
    let value_dropped = Arc::new(AtomicBool::new(false));
    struct Value(Arc<AtomicBool>);
    impl Drop for Value {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let (finished2, value_dropped2, limiter2) =
        (finished.clone(), value_dropped.clone(), limiter.clone());
    let outcome = anyio::task_group(|tg: Group| async move {
        let (finished, value_dropped, limiter) = (finished2, value_dropped2, limiter2);
        let (finished_in_task, limiter_in_task) = (finished.clone(), limiter.clone());
        let caller = tg.spawn(async move {
            let (finished, limiter) = (finished_in_task, limiter_in_task);
            let outcome = scope
                .run(
                    to_thread::run_sync(move || {
                        started_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                        Value(value_dropped)
                    })
                    .limiter(limiter.clone()),
                )
                .await;
            finished.store(true, Ordering::SeqCst);
            Ok(outcome.is_none())
        });
        to_thread::run_sync(move || started_rx.recv().unwrap()).await;
        handle.cancel();
        // The cancelled caller is held while its thread runs.
        anyio::sleep(Duration::from_millis(20)).await;
        assert!(
            !finished.load(Ordering::SeqCst),
            "the caller ended before its thread"
        );
        assert_eq!(limiter.borrowed_tokens(), 1);
        release_tx.send(()).unwrap();
        Ok(caller.await.unwrap())
    })
    .await
    .unwrap();
    assert_eq!(outcome, Some(true), "the scope caught its cancellation");
    assert!(value_dropped.load(Ordering::SeqCst));
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn with_abandon_the_caller_leaves_at_once_and_the_token_waits_for_the_thread() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let caller = scope.run(
        to_thread::run_sync(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
        .limiter(limiter.clone())
        .abandon_on_cancel(),
    );
    let outcome = anyio::task_group(|tg: Group| async move {
        let caller = tg.spawn(async move { Ok(caller.await) });
        to_thread::run_sync(move || started_rx.recv().unwrap()).await;
        handle.cancel();
        // Returns while the thread is still blocked (it is released only below).
        Ok(caller.await.unwrap())
    })
    .await
    .unwrap();
    assert_eq!(
        outcome,
        Some(None),
        "the caller's scope caught its cancellation"
    );
    assert!(
        limiter.try_acquire().is_err(),
        "the thread still holds its token"
    );
    release_tx.send(()).unwrap();
    // The token comes back when the thread really finishes.
    let token = limiter.acquire().await.unwrap();
    drop(token);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn check_cancelled_reports_a_cancelled_host() {
    let outcome = anyio::move_on_after(
        Duration::from_millis(10),
        to_thread::run_sync(|| {
            let start = Instant::now();
            while from_thread::check_cancelled().is_ok() {
                assert!(start.elapsed() < Duration::from_secs(10), "never cancelled");
                std::thread::sleep(Duration::from_millis(1));
            }
            from_thread::check_cancelled()
        }),
    )
    .await;
    // The scope caught the cancellation and dropped the thread's value.
    assert_eq!(outcome, None);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn check_cancelled_reports_the_cancellation_to_an_abandoned_thread() {
    let (report_tx, report_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let call = scope.run(
        to_thread::run_sync(move || {
            report_tx.send(from_thread::check_cancelled()).unwrap();
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            report_tx.send(from_thread::check_cancelled()).unwrap();
        })
        .abandon_on_cancel(),
    );
    anyio::task_group(|tg: Group| async move {
        let call = tg.spawn(async move { Ok(call.await) });
        to_thread::run_sync(move || started_rx.recv().unwrap()).await;
        handle.cancel();
        assert_eq!(call.await.unwrap(), None);
        Ok(())
    })
    .await
    .unwrap();
    release_tx.send(()).unwrap();
    let reports =
        to_thread::run_sync(move || (report_rx.recv().unwrap(), report_rx.recv().unwrap())).await;
    assert_eq!(reports, (Ok(()), Err(CallError::Cancelled)));
}

#[anyio::test]
async fn check_cancelled_outside_a_worker_thread_is_an_error() {
    assert!(matches!(
        from_thread::check_cancelled(),
        Err(CallError::NoEventLoop(_))
    ));
    let from_plain_thread = std::thread::spawn(from_thread::check_cancelled)
        .join()
        .unwrap();
    assert!(matches!(from_plain_thread, Err(CallError::NoEventLoop(_))));
}

#[anyio::test]
async fn one_task_may_run_several_calls_at_once() {
    let limiter = Arc::new(CapacityLimiter::new(2));
    let meet = Arc::new(Barrier::new(2));
    let (a, b) = (meet.clone(), meet);
    let (x, y) = futures_lite::future::zip(
        to_thread::run_sync(move || a.wait().is_leader()).limiter(limiter.clone()),
        to_thread::run_sync(move || b.wait().is_leader()).limiter(limiter.clone()),
    )
    .await;
    assert!(x ^ y);
}

#[anyio::test]
async fn options_after_the_first_poll_are_refused() {
    // The thread waits for `release`, so the first poll cannot find it finished.
    let (release, wait) = mpsc::channel::<()>();
    let mut call = Box::pin(to_thread::run_sync(move || wait.recv().is_ok()));
    assert!(
        futures_lite::future::poll_once(call.as_mut())
            .await
            .is_none()
    );
    let call = *std::pin::Pin::into_inner(call);
    let refused = std::panic::catch_unwind(AssertUnwindSafe(move || call.abandon_on_cancel()));
    let message = refused.err().unwrap();
    assert!(
        message
            .downcast_ref::<String>()
            .unwrap()
            .contains("called after the future was first polled")
    );
    release.send(()).unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_panic_in_an_abandoned_closure_is_logged() {
    recorder::record_events();
    let marker = format!(
        "abandoned closure panicked on {}",
        anyio::current_async_library().unwrap()
    );
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let message = marker.clone();
    let call = scope.run(
        to_thread::run_sync(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            panic!("{message}");
        })
        .abandon_on_cancel(),
    );
    anyio::task_group(|tg: Group| async move {
        let call = tg.spawn(async move { Ok(call.await) });
        to_thread::run_sync(move || started_rx.recv().unwrap()).await;
        handle.cancel();
        assert_eq!(call.await.unwrap(), None);
        Ok(())
    })
    .await
    .unwrap();
    release_tx.send(()).unwrap();
    eventually(|| {
        recorder::events()
            .iter()
            .any(|event| event.starts_with("ERROR anyio::to_thread") && event.contains(&marker))
    })
    .await;
}
