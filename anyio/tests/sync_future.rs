//! `sync::Future`, on every backend: setting once, many waiters, errors, cancellation of the
//! future and of its waiters (AnyIO's `tests/test_futures.py`, and what Rust adds).
#![cfg(feature = "macros")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyio::sync::{Future, FutureError, FutureStatus};
use anyio::{CancelScope, TaskError};

use common::until;

mod common;

#[test]
fn a_future_needs_no_runtime_to_be_set_and_read() {
    let future = Future::<u32>::new();
    assert_eq!(future.status(), FutureStatus::Pending);
    assert!(!future.is_done());
    assert_eq!(future.try_get(), None);
    assert!(future.get().is_none());
    assert_eq!(format!("{future:?}"), "Future { status: Pending, .. }");
    future.set(1).unwrap();
    assert_eq!(future.try_get(), Some(Ok(1)));
    assert_eq!(future.get(), Some(Ok(&1)));
    assert_eq!(format!("{future:?}"), "Future { status: Finished, .. }");
}

#[test]
fn setting_twice_is_an_error_that_hands_the_value_back() {
    let future = Future::<String, String>::new();
    future.set("first".into()).unwrap();
    let again = future.set("second".into()).unwrap_err();
    assert_eq!(again.status(), FutureStatus::Finished);
    assert_eq!(
        again.to_string(),
        "the future has already finished with a value"
    );
    assert_eq!(again.into_inner(), "second");
    let error = future.set_error("late".into()).unwrap_err();
    assert_eq!(error.into_inner(), "late");
    assert!(!future.cancel(), "a finished future is not cancelled");
    assert_eq!(future.try_get(), Some(Ok("first".to_string())));
}

#[test]
fn a_failed_future_keeps_its_error() {
    let future = Future::<u8, &str>::new();
    future.set_error("Failed").unwrap();
    assert!(!future.cancel());
    assert_eq!(future.status(), FutureStatus::Failed);
    let again = future.set(1).unwrap_err();
    assert_eq!(again.to_string(), "the future has already failed");
    assert_eq!(future.try_get(), Some(Err(FutureError::Failed("Failed"))));
}

#[test]
fn a_cancelled_future_refuses_values() {
    let future = Future::<u8>::new();
    assert!(future.cancel());
    assert_eq!(future.status(), FutureStatus::Cancelled);
    let refused = future.set(1).unwrap_err();
    assert_eq!(refused.status(), FutureStatus::Cancelled);
    assert_eq!(refused.to_string(), "the future was cancelled");
    assert_eq!(future.into_inner(), Some(Err(FutureError::Cancelled)));
}

#[test]
fn racing_setters_on_threads_have_one_winner() {
    for _ in 0..50 {
        let future = Arc::new(Future::<usize>::new());
        let setters: Vec<_> = (0..4)
            .map(|id| {
                let future = Arc::clone(&future);
                std::thread::spawn(move || future.set(id).map_err(|error| error.into_inner()))
            })
            .collect();
        let results: Vec<_> = setters.into_iter().map(|t| t.join().unwrap()).collect();
        let winners: Vec<_> = (0..4).filter(|&id| results[id].is_ok()).collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        for (id, result) in results.iter().enumerate() {
            if let Err(back) = result {
                assert_eq!(*back, id, "a losing setter gets its own value back");
            }
        }
        assert_eq!(future.try_get(), Some(Ok(winners[0])));
    }
}

#[anyio::test]
async fn a_set_value_is_awaited_at_once() {
    let future = Future::<u32>::new();
    future.set(1).unwrap();
    let waited = futures_lite::future::poll_once(future.wait()).await;
    assert_eq!(waited, Some(Ok(1)));
}

#[anyio::test]
async fn a_waiter_gets_a_value_set_later() {
    let future = Arc::new(Future::<u32>::new());
    let setter = Arc::clone(&future);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            anyio::lowlevel::checkpoint().await;
            setter.set(2).unwrap();
        });
        assert_eq!(future.wait().await, Ok(2));
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn finished_waits_without_taking_and_get_reads_in_place() {
    struct NotClone(u32);
    let future = Arc::new(Future::<NotClone>::new());
    let setter = Arc::clone(&future);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            anyio::lowlevel::checkpoint().await;
            assert!(setter.set(NotClone(3)).is_ok());
        });
        future.finished().await;
        assert_eq!(future.get().unwrap().unwrap().0, 3);
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn an_error_reaches_the_waiter_and_converts_with_question_mark() {
    type Shared = Arc<std::io::Error>;
    async fn read(future: &Future<u32, Shared>) -> Result<u32, Box<dyn std::error::Error>> {
        Ok(future.wait().await?)
    }
    let future = Arc::new(Future::<u32, Shared>::new());
    let setter = Arc::clone(&future);
    let waiter = Arc::clone(&future);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            anyio::lowlevel::checkpoint().await;
            setter
                .set_error(Arc::new(std::io::Error::other("testing runtime error")))
                .unwrap();
        });
        let error = waiter.wait().await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "the future failed: testing runtime error"
        );
    })
    .await
    .unwrap();
    let boxed = read(&future).await.unwrap_err();
    assert_eq!(
        boxed.to_string(),
        "the future failed: testing runtime error"
    );
}

#[anyio::test]
async fn a_cancelled_future_wakes_its_waiters_with_cancelled() {
    let future = Arc::new(Future::<u32>::new());
    let waiter = Arc::clone(&future);
    anyio::task_group(|tg| async move {
        let handle =
            tg.spawn(async move { Ok::<_, std::convert::Infallible>(waiter.wait().await) });
        until(|| future.statistics().tasks_waiting == 1).await;
        assert!(future.cancel());
        assert_eq!(handle.await, Ok(Err(FutureError::Cancelled)));
        assert_eq!(future.wait().await, Err(FutureError::Cancelled));
    })
    .await
    .unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn every_waiter_gets_the_value_on_two_threads() {
    const WAITERS: usize = 16;
    for round in 0..20u64 {
        let future = Arc::new(Future::<Arc<String>>::new());
        let got = Arc::new(AtomicUsize::new(0));
        let (shared, counted) = (Arc::clone(&future), Arc::clone(&got));
        anyio::task_group(|tg| async move {
            for _ in 0..WAITERS {
                let (future, got) = (Arc::clone(&shared), Arc::clone(&counted));
                tg.spawn(async move {
                    let value = future.wait().await.unwrap();
                    assert_eq!(*value, format!("round {round}"));
                    got.fetch_add(1, Ordering::SeqCst);
                });
            }
            // Set while some wait and others have not started: both must get it.
            if round % 2 == 0 {
                until(|| shared.statistics().tasks_waiting > 0).await;
            }
            shared.set(Arc::new(format!("round {round}"))).unwrap();
        })
        .await
        .unwrap();
        assert_eq!(got.load(Ordering::SeqCst), WAITERS);
        assert_eq!(future.statistics().tasks_waiting, 0);
    }
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_waiter_cancelled_mid_wait_loses_nothing_for_the_others() {
    let future = Arc::new(Future::<&'static str>::new());
    let (first, second) = (Arc::clone(&future), Arc::clone(&future));
    let shared = Arc::clone(&future);
    anyio::task_group(|tg| async move {
        let th1 = tg.spawn(async move { Ok::<_, std::convert::Infallible>(first.wait().await) });
        let th2 = tg.spawn(async move { Ok(second.wait().await) });
        until(|| shared.statistics().tasks_waiting == 2).await;
        th1.cancel();
        assert_eq!(th1.await, Err(TaskError::Cancelled));
        assert_eq!(
            shared.statistics().tasks_waiting,
            1,
            "the cancelled wait left"
        );
        shared.set("Finished").unwrap();
        assert_eq!(th2.await, Ok(Ok("Finished")));
    })
    .await
    .unwrap();
    // A wait dropped mid-flight took nothing: the value is there for the next one.
    assert_eq!(future.wait().await, Ok("Finished"));
}

#[anyio::test]
async fn a_wait_dropped_by_a_deadline_leaves_the_line() {
    let future = Future::<u8>::new();
    let waited = anyio::move_on_after(Duration::from_millis(5), future.wait()).await;
    assert_eq!(waited, None);
    assert_eq!(future.statistics().tasks_waiting, 0);
    future.set(4).unwrap();
    assert_eq!(future.wait().await, Ok(4));
}

#[anyio::test]
async fn a_wait_in_a_cancelled_scope_does_not_complete_on_a_finished_future() {
    let future = Future::<u8>::new();
    future.set(5).unwrap();
    let scope = CancelScope::new();
    scope.handle().cancel();
    let reached = Arc::new(AtomicUsize::new(0));
    let after = Arc::clone(&reached);
    let outcome = scope
        .run(async {
            let value = future.wait().await;
            after.fetch_add(1, Ordering::SeqCst);
            value
        })
        .await;
    assert_eq!(outcome, None, "the wait is a cancellation point");
    assert_eq!(reached.load(Ordering::SeqCst), 0);
    assert_eq!(future.try_get(), Some(Ok(5)), "nothing was taken");
}

#[anyio::test]
async fn a_plain_thread_can_set_the_future() {
    let future = Arc::new(Future::<u64>::new());
    let setter = Arc::clone(&future);
    let thread = std::thread::spawn(move || setter.set(42).unwrap());
    assert_eq!(future.wait().await, Ok(42));
    thread.join().unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn waiters_cancelled_while_the_value_is_set_leave_no_trace() {
    for round in 0..30u32 {
        let future = Arc::new(Future::<u32>::new());
        let shared = Arc::clone(&future);
        anyio::task_group(|tg| async move {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let future = Arc::clone(&shared);
                    tg.spawn(async move { Ok::<_, std::convert::Infallible>(future.wait().await) })
                })
                .collect();
            until(|| shared.statistics().tasks_waiting == 8).await;
            // Cancel half of the waiters while a plain thread sets the value.
            let setter = Arc::clone(&shared);
            let thread = std::thread::spawn(move || setter.set(round).unwrap());
            for handle in handles.iter().step_by(2) {
                handle.cancel();
            }
            for (index, handle) in handles.into_iter().enumerate() {
                match handle.await {
                    Ok(got) => assert_eq!(got, Ok(round)),
                    Err(error) => {
                        assert_eq!(error, TaskError::Cancelled);
                        assert_eq!(index % 2, 0, "only the cancelled waiters lose out");
                    }
                }
            }
            thread.join().unwrap();
        })
        .await
        .unwrap();
        assert_eq!(future.statistics().tasks_waiting, 0);
        assert_eq!(future.try_get(), Some(Ok(round)));
    }
}
