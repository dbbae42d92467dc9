//! Spawning and joining 100,000 empty children: an anyio task group beside tokio's `JoinSet`
//! and async-executor's spawn + join, on two-thread runtimes, in the same run.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

const CHILDREN: usize = 100_000;

async fn anyio_group() {
    anyio::task_group(|tg| async move {
        for _ in 0..CHILDREN {
            tg.spawn(async {});
        }
    })
    .await
    .unwrap();
}

fn tokio_groups(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join_100k/tokio");
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::tokio()
                .worker_threads(2)
                .run(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut set = tokio::task::JoinSet::new();
                        for _ in 0..CHILDREN {
                            set.spawn(async {});
                        }
                        while set.join_next().await.is_some() {}
                    }
                    start.elapsed()
                })
                .unwrap()
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::tokio()
                .worker_threads(2)
                .run(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        anyio_group().await;
                    }
                    start.elapsed()
                })
                .unwrap()
        })
    });
    group.finish();
}

fn smol_groups(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join_100k/smol");
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(2, |executor| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..CHILDREN).map(|_| executor.spawn(async {})).collect();
                    for task in tasks {
                        task.await;
                    }
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::smol()
                .threads(2)
                .run(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        anyio_group().await;
                    }
                    start.elapsed()
                })
                .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = tokio_groups, smol_groups
}
criterion_main!(benches);
