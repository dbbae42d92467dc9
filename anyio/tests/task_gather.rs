//! `gather`, `try_gather`, `amap` and `try_amap`, on every backend: argument order, errors and
//! panics cancelling the siblings, the caller's cancellation reaching the children, and the
//! concurrency bound of `amap` (AnyIO's `tests/test_concurrency_utilities.py`, and more).
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::CancelScope;
use anyio::sync::{Barrier, Event};
use anyio::task::{amap, gather, try_amap, try_gather};
use futures_lite::FutureExt;

use common::{DropCounter, until};

mod common;

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Events chained so that the futures finish in reverse order: the last one first.
fn reverse_chain(n: usize) -> Arc<Vec<Event>> {
    let events: Vec<Event> = (0..n).map(|_| Event::new()).collect();
    events[n - 1].set();
    Arc::new(events)
}

async fn return_when(events: Arc<Vec<Event>>, value: usize) -> usize {
    events[value - 1].wait().await;
    if value > 1 {
        events[value - 2].set();
    }
    value
}

#[anyio::test]
async fn gather_returns_results_in_argument_order() {
    let events = reverse_chain(3);
    let results = gather((1..=3).map(|value| return_when(Arc::clone(&events), value))).await;
    assert_eq!(results, [1, 2, 3]);
}

#[anyio::test]
async fn gather_of_nothing_is_empty() {
    let nothing: Vec<Boxed<u8>> = Vec::new();
    assert!(gather(nothing).await.is_empty());
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn gather_keeps_the_order_of_many_on_two_threads() {
    let results = gather((0..500u32).map(|n| async move {
        for _ in 0..n % 7 {
            anyio::lowlevel::checkpoint().await;
        }
        n * 3
    }))
    .await;
    assert_eq!(results, (0..500).map(|n| n * 3).collect::<Vec<_>>());
}

#[anyio::test]
async fn each_future_is_a_task_of_its_own() {
    let caller = anyio::get_current_task().unwrap().id();
    let tasks = gather((0..3).map(|_| async { anyio::get_current_task().unwrap() })).await;
    for task in &tasks {
        assert_ne!(task.id(), caller);
        assert_eq!(task.parent_id(), Some(caller));
    }
    assert_ne!(tasks[0].id(), tasks[1].id());
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn try_gather_returns_the_error_and_cancels_the_siblings() {
    let cancelled = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(Barrier::new(4));
    let mut futures: Vec<Boxed<Result<u32, &'static str>>> = Vec::new();
    for _ in 0..3 {
        let (cancelled, running) = (Arc::clone(&cancelled), Arc::clone(&running));
        futures.push(Box::pin(async move {
            let _guard = DropCounter(cancelled);
            running.wait().await;
            anyio::sleep_forever().await;
            Ok(1)
        }));
    }
    futures.push(Box::pin(async move {
        running.wait().await;
        Err("boom")
    }));
    let error = try_gather(futures).await.unwrap_err();
    assert_eq!(error.errors(), ["boom"]);
    // The siblings were cancelled, and had wound down before try_gather returned.
    assert_eq!(cancelled.load(Ordering::SeqCst), 3);
}

#[anyio::test]
async fn try_gather_of_successes_returns_the_values() {
    let values = try_gather((0..4).map(|n| async move {
        anyio::lowlevel::checkpoint().await;
        Ok::<_, std::io::Error>(n)
    }))
    .await
    .unwrap();
    assert_eq!(values, [0, 1, 2, 3]);
}

#[anyio::test]
async fn a_panic_cancels_the_siblings_and_is_reraised() {
    let cancelled = Arc::new(AtomicUsize::new(0));
    let mut futures: Vec<Boxed<u8>> = Vec::new();
    for _ in 0..2 {
        let cancelled = Arc::clone(&cancelled);
        futures.push(Box::pin(async move {
            let _guard = DropCounter(cancelled);
            anyio::sleep_forever().await;
            0
        }));
    }
    futures.push(Box::pin(async {
        anyio::lowlevel::checkpoint().await;
        panic!("boom");
    }));
    let panicked = std::panic::AssertUnwindSafe(gather(futures))
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(panicked.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(cancelled.load(Ordering::SeqCst), 2);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn cancelling_the_caller_cancels_every_future() {
    const N: usize = 5;
    let cancelled = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let scope = CancelScope::new();
    let handle = scope.handle();
    let (cancelled2, started2) = (Arc::clone(&cancelled), Arc::clone(&started));
    let outcome = scope
        .run(gather((0..N).map(move |_| {
            let (cancelled, started, handle) = (
                Arc::clone(&cancelled2),
                Arc::clone(&started2),
                handle.clone(),
            );
            async move {
                let _guard = DropCounter(cancelled);
                if started.fetch_add(1, Ordering::SeqCst) + 1 == N {
                    handle.cancel(); // the last one to start cancels the caller
                }
                anyio::sleep_forever().await;
            }
        })))
        .await;
    assert_eq!(outcome, None);
    assert_eq!(started.load(Ordering::SeqCst), N);
    // The caller's scope waited for the children to wind down.
    assert_eq!(cancelled.load(Ordering::SeqCst), N);
}

#[anyio::test]
async fn amap_returns_results_in_argument_order() {
    let events = reverse_chain(3);
    let doubled = amap(
        |value| {
            let events = Arc::clone(&events);
            async move { return_when(events, value).await * 2 }
        },
        [1, 2, 3],
        None,
    )
    .await;
    assert_eq!(doubled, [2, 4, 6]);
}

#[anyio::test]
async fn amap_of_no_arguments_is_empty() {
    let doubled = amap(|value: u32| async move { value * 2 }, [], 3).await;
    assert!(doubled.is_empty());
}

/// Runs `amap` over `items` with `limit`, each future meeting `meet` others at a barrier, and
/// returns the most futures that ran at once.
async fn max_in_flight(items: usize, limit: Option<usize>, meet: usize) -> usize {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(meet));
    let (in_flight2, max2) = (Arc::clone(&in_flight), Arc::clone(&max));
    let outputs = amap(
        move |item: usize| {
            let (in_flight, max, barrier) = (
                Arc::clone(&in_flight2),
                Arc::clone(&max2),
                Arc::clone(&barrier),
            );
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                // Only `meet` futures running together get past this.
                barrier.wait().await;
                for _ in 0..3 {
                    anyio::lowlevel::checkpoint().await;
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
                item
            }
        },
        0..items,
        limit,
    )
    .await;
    assert_eq!(outputs, (0..items).collect::<Vec<_>>());
    max.load(Ordering::SeqCst)
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn amap_runs_exactly_limit_futures_at_once() {
    // Barrier groups of 3 complete only if 3 run together; the count shows no more do.
    assert_eq!(max_in_flight(12, Some(3), 3).await, 3);
    assert_eq!(max_in_flight(5, Some(1), 1).await, 1);
}

#[anyio::test]
async fn amap_without_a_limit_runs_everything_at_once() {
    assert_eq!(max_in_flight(6, None, 6).await, 6);
    assert_eq!(max_in_flight(6, Some(0), 6).await, 6, "0 is no limit");
}

#[anyio::test]
async fn amap_calls_the_function_only_when_a_slot_is_free() {
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Event::new());
    let (calls2, gate2) = (Arc::clone(&calls), Arc::clone(&gate));
    let seen = Arc::clone(&calls);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            let outputs = amap(
                move |item: u32| {
                    calls2.fetch_add(1, Ordering::SeqCst);
                    let gate = Arc::clone(&gate2);
                    async move {
                        gate.wait().await;
                        item
                    }
                },
                0..10,
                2,
            )
            .await;
            assert_eq!(outputs, (0..10).collect::<Vec<_>>());
        });
        until(|| gate.statistics().tasks_waiting == 2).await;
        assert_eq!(seen.load(Ordering::SeqCst), 2, "two slots, two calls");
        gate.set();
    })
    .await
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 10);
}

#[anyio::test]
async fn try_amap_stops_at_the_first_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let error = try_amap(
        move |item: u32| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                anyio::lowlevel::checkpoint().await;
                if item == 1 {
                    Err(format!("item {item}"))
                } else {
                    Ok(item)
                }
            }
        },
        0..10,
        1,
    )
    .await
    .unwrap_err();
    assert_eq!(error.into_first(), "item 1");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "no item is taken after the error"
    );
}

#[anyio::test]
async fn try_amap_of_successes_returns_the_values() {
    let values = try_amap(
        |n: u8| async move { Ok::<_, Infallible>(n + 1) },
        [1, 2, 3],
        2,
    )
    .await
    .unwrap();
    assert_eq!(values, [2, 3, 4]);
}

#[anyio::test]
async fn cancelling_amap_takes_no_more_items() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(amap(
            move |_: u32| {
                let handle = handle.clone();
                if counted.fetch_add(1, Ordering::SeqCst) == 1 {
                    handle.cancel();
                }
                anyio::sleep_forever()
            },
            0..10,
            2,
        ))
        .await;
    assert_eq!(outcome, None);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
