//! `as_completed`, on every backend: completion order, dropping the stream cancels the rest,
//! errors and panics, the caller's cancellation (AnyIO's `tests/test_concurrency_utilities.py`,
//! and more).
#![cfg(feature = "macros")]

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyio::CancelScope;
use anyio::sync::Event;
use anyio::task::as_completed;
use futures_core::Stream;
use futures_core::stream::FusedStream;
use futures_lite::{FutureExt, StreamExt};

use common::{DropCounter, until};

mod common;

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Counts the futures dropped (cancelled), and sets `all` when `expected` of them have been:
/// a drop on another thread, after the stream is gone, is waited for without polling.
struct Drops {
    count: AtomicUsize,
    expected: usize,
    all: Event,
}

impl Drops {
    fn new(expected: usize) -> Arc<Drops> {
        Arc::new(Drops {
            count: AtomicUsize::new(0),
            expected,
            all: Event::new(),
        })
    }

    /// Waits (at most ten seconds) until every expected drop has happened.
    async fn all_happened(&self) {
        anyio::fail_after(Duration::from_secs(10), self.all.wait())
            .await
            .expect("every future was cancelled");
        assert_eq!(self.count.load(Ordering::SeqCst), self.expected);
    }
}

struct DropGuard(Arc<Drops>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_add(1, Ordering::SeqCst) + 1 == self.0.expected {
            self.0.all.set();
        }
    }
}

#[anyio::test]
async fn outputs_come_in_completion_order() {
    // Completions chained to happen in the order 2 -> 3 -> 1.
    let events: Arc<HashMap<u32, Event>> =
        Arc::new([1, 2, 3].into_iter().map(|n| (n, Event::new())).collect());
    let triggers: HashMap<u32, Option<u32>> = [(2, Some(3)), (3, Some(1)), (1, None)].into();
    events[&2].set();
    let futures = [1, 2, 3].map(|value| {
        let (events, trigger) = (Arc::clone(&events), triggers[&value]);
        async move {
            events[&value].wait().await;
            if let Some(next) = trigger {
                events[&next].set();
            }
            value
        }
    });
    let results: Vec<u32> = as_completed(futures).collect().await;
    assert_eq!(results, [2, 3, 1]);
}

#[anyio::test]
async fn no_futures_is_an_empty_stream() {
    let mut stream = as_completed(Vec::<Boxed<u8>>::new());
    assert_eq!(stream.next().await, None);
    assert!(stream.is_terminated());
}

#[anyio::test]
async fn nothing_runs_until_the_stream_is_polled() {
    let started = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&started);
    let mut stream = as_completed([async move {
        counted.fetch_add(1, Ordering::SeqCst);
        7
    }]);
    for _ in 0..10 {
        anyio::lowlevel::checkpoint().await;
    }
    assert_eq!(started.load(Ordering::SeqCst), 0);
    assert_eq!(stream.size_hint(), (0, Some(1)));
    assert_eq!(stream.next().await, Some(7));
    assert_eq!(stream.next().await, None);
    assert!(stream.is_terminated());
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn dropping_the_stream_cancels_the_rest() {
    let drops = Drops::new(4);
    let mut futures: Vec<Boxed<u32>> = vec![Box::pin(async { 1 })];
    for _ in 0..4 {
        let guard = DropGuard(Arc::clone(&drops));
        futures.push(Box::pin(async move {
            let _guard = guard;
            anyio::sleep_forever().await;
            2
        }));
    }
    let mut stream = as_completed(futures);
    assert_eq!(stream.next().await, Some(1));
    drop(stream);
    // Dropped from outside a scope, the group aborts its children without waiting for them.
    drops.all_happened().await;
}

#[anyio::test]
async fn the_first_error_left_by_question_mark_cancels_the_rest() {
    let drops = Drops::new(3);
    let mut futures: Vec<Boxed<Result<u32, String>>> = Vec::new();
    futures.push(Box::pin(async {
        anyio::lowlevel::checkpoint().await;
        Err("boom".to_string())
    }));
    for _ in 0..3 {
        let guard = DropGuard(Arc::clone(&drops));
        futures.push(Box::pin(async move {
            let _guard = guard;
            anyio::sleep_forever().await;
            Ok(1)
        }));
    }
    let sum = async {
        let mut sum = 0;
        let mut outputs = as_completed(futures);
        while let Some(output) = outputs.next().await {
            sum += output?;
        }
        Ok::<_, String>(sum)
    }
    .await;
    assert_eq!(sum, Err("boom".to_string()));
    drops.all_happened().await;
}

#[anyio::test]
async fn a_panic_cancels_the_rest_and_comes_out_of_the_stream() {
    let cancelled = Arc::new(AtomicUsize::new(0));
    let mut futures: Vec<Boxed<u32>> = vec![Box::pin(async { 1 })];
    for _ in 0..2 {
        let cancelled = Arc::clone(&cancelled);
        futures.push(Box::pin(async move {
            let _guard = DropCounter(cancelled);
            anyio::sleep_forever().await;
            2
        }));
    }
    futures.push(Box::pin(async {
        anyio::lowlevel::checkpoint().await;
        panic!("boom");
    }));
    let mut stream = as_completed(futures);
    let mut seen = Vec::new();
    let panicked = std::panic::AssertUnwindSafe(async {
        while let Some(output) = stream.next().await {
            seen.push(output);
        }
    })
    .catch_unwind()
    .await
    .unwrap_err();
    assert_eq!(panicked.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(seen, [1], "the output that was ready came first");
    // The panic is re-raised once the siblings have wound down.
    assert_eq!(cancelled.load(Ordering::SeqCst), 2);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn cancelling_the_caller_cancels_every_future() {
    let cancelled = Arc::new(AtomicUsize::new(0));
    let waiting = Arc::new(AtomicUsize::new(0));
    let mut futures: Vec<Boxed<u32>> = Vec::new();
    for _ in 0..4 {
        let (cancelled, waiting) = (Arc::clone(&cancelled), Arc::clone(&waiting));
        futures.push(Box::pin(async move {
            let _guard = DropCounter(cancelled);
            waiting.fetch_add(1, Ordering::SeqCst);
            anyio::sleep_forever().await;
            2
        }));
    }
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            let mut stream = as_completed(futures);
            let next = stream.next();
            // Cancel once every future runs (polling the stream is what starts them).
            let cancel = async {
                until(|| waiting.load(Ordering::SeqCst) == 4).await;
                handle.cancel();
                anyio::sleep_forever().await;
                None
            };
            next.or(cancel).await
        })
        .await;
    assert_eq!(outcome, None);
    // The caller's scope waited for the children to wind down.
    assert_eq!(cancelled.load(Ordering::SeqCst), 4);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn every_output_arrives_on_two_threads() {
    let stream = as_completed((0..300u32).map(|n| async move {
        for _ in 0..n % 5 {
            anyio::lowlevel::checkpoint().await;
        }
        n
    }));
    let mut outputs: Vec<u32> = stream.collect().await;
    outputs.sort_unstable();
    assert_eq!(outputs, (0..300).collect::<Vec<_>>());
}

#[anyio::test]
async fn a_dropped_next_loses_no_output() {
    let gate = Arc::new(Event::new());
    let opened = Arc::clone(&gate);
    let mut stream = as_completed([async move {
        opened.wait().await;
        5
    }]);
    // Start the group and leave.
    assert_eq!(futures_lite::future::poll_once(stream.next()).await, None);
    gate.set();
    assert_eq!(stream.next().await, Some(5));
    assert_eq!(stream.next().await, None);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn dropping_mid_stream_while_futures_finish_leaves_none_behind() {
    const N: u32 = 50;
    for round in 0..20u32 {
        let drops = Drops::new(N as usize);
        let mut stream = as_completed((0..N).map(|n| {
            let guard = DropGuard(Arc::clone(&drops));
            async move {
                let _guard = guard;
                for _ in 0..(n + round) % 6 {
                    anyio::lowlevel::checkpoint().await;
                }
                n
            }
        }));
        for _ in 0..round % 7 {
            assert!(stream.next().await.is_some());
        }
        drop(stream);
        // Every future either finished or was cancelled: none is left running.
        drops.all_happened().await;
    }
}
