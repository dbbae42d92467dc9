//! `gather` and `as_completed` over 10,000 ready futures, beside the native ways, on two-thread
//! runtimes, in the same run:
//!
//! - `native`: the futures polled inside the calling task: `futures`' `join_all` for
//!   `gather`, a `FuturesUnordered` drained for `as_completed` (no task per future);
//! - `native_spawn`: one runtime task per future, like ours: a tokio `JoinSet` collected (in
//!   completion order) or async-executor's tasks awaited in order;
//! - `anyio`: `anyio::task::gather` / `as_completed`, a task group child per future.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_lite::StreamExt;
use futures_util::stream::FuturesUnordered;

mod common;

const FUTURES: u64 = 10_000;

async fn ready(n: u64) -> u64 {
    n
}

/// Times `iters` rounds of `round()` on the given two-thread runtime.
fn on_tokio<Fut: Future<Output = ()>>(iters: u64, round: impl Fn() -> Fut) -> Duration {
    anyio::Runner::tokio()
        .worker_threads(2)
        .run(async move {
            let start = Instant::now();
            for _ in 0..iters {
                round().await;
            }
            start.elapsed()
        })
        .unwrap()
}

fn on_smol<Fut: Future<Output = ()>>(iters: u64, round: impl Fn() -> Fut) -> Duration {
    anyio::Runner::smol()
        .threads(2)
        .run(async move {
            let start = Instant::now();
            for _ in 0..iters {
                round().await;
            }
            start.elapsed()
        })
        .unwrap()
}

async fn join_all_round() {
    let outputs = futures_util::future::join_all((0..FUTURES).map(ready)).await;
    assert_eq!(outputs.len(), FUTURES as usize);
}

async fn gather_round() {
    let outputs = anyio::task::gather((0..FUTURES).map(ready)).await;
    assert_eq!(outputs.len(), FUTURES as usize);
}

async fn futures_unordered_round() {
    let stream: FuturesUnordered<_> = (0..FUTURES).map(ready).collect();
    assert_eq!(stream.count().await, FUTURES as usize);
}

async fn as_completed_round() {
    let stream = anyio::task::as_completed((0..FUTURES).map(ready));
    assert_eq!(stream.count().await, FUTURES as usize);
}

fn gather_tokio(c: &mut Criterion) {
    let mut group = c.benchmark_group("gather_10k/tokio");
    group.sample_size(10);
    group.bench_function("native", |b| b.iter_custom(|i| on_tokio(i, join_all_round)));
    group.bench_function("native_spawn", |b| {
        b.iter_custom(|iters| {
            on_tokio(iters, || async {
                let mut set = tokio::task::JoinSet::new();
                for n in 0..FUTURES {
                    set.spawn(ready(n));
                }
                let outputs: Vec<u64> = set.join_all().await;
                assert_eq!(outputs.len(), FUTURES as usize);
            })
        })
    });
    group.bench_function("anyio", |b| b.iter_custom(|i| on_tokio(i, gather_round)));
    group.finish();
}

fn gather_smol(c: &mut Criterion) {
    let mut group = c.benchmark_group("gather_10k/smol");
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(2, |_| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    join_all_round().await;
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("native_spawn", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(2, |executor| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..FUTURES).map(|n| executor.spawn(ready(n))).collect();
                    let mut outputs = Vec::with_capacity(tasks.len());
                    for task in tasks {
                        outputs.push(task.await);
                    }
                    assert_eq!(outputs.len(), FUTURES as usize);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("anyio", |b| b.iter_custom(|i| on_smol(i, gather_round)));
    group.finish();
}

fn as_completed_tokio(c: &mut Criterion) {
    let mut group = c.benchmark_group("as_completed_10k/tokio");
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|i| on_tokio(i, futures_unordered_round))
    });
    group.bench_function("native_spawn", |b| {
        b.iter_custom(|iters| {
            on_tokio(iters, || async {
                let mut set = tokio::task::JoinSet::new();
                for n in 0..FUTURES {
                    set.spawn(ready(n));
                }
                let mut count = 0;
                while set.join_next().await.is_some() {
                    count += 1;
                }
                assert_eq!(count, FUTURES);
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|i| on_tokio(i, as_completed_round))
    });
    group.finish();
}

fn as_completed_smol(c: &mut Criterion) {
    let mut group = c.benchmark_group("as_completed_10k/smol");
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(2, |_| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    futures_unordered_round().await;
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("native_spawn", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(2, |executor| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    // Spawned tasks collected in completion order.
                    let (sender, receiver) = async_channel::unbounded();
                    for n in 0..FUTURES {
                        let sender = sender.clone();
                        executor
                            .spawn(async move { sender.try_send(ready(n).await).unwrap() })
                            .detach();
                    }
                    drop(sender);
                    assert_eq!(receiver.count().await, FUTURES as usize);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|i| on_smol(i, as_completed_round))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = gather_tokio, gather_smol, as_completed_tokio, as_completed_smol
}
criterion_main!(benches);
