//! Start-up and shut-down: `Runner::run(async {})` beside building the native runtime and
//! calling its `block_on`, in the same run, for each backend and thread count. And a yield in
//! the main future: `anyio::lowlevel::checkpoint()` in `Runner::run`'s future beside the
//! runtime's own `yield_now` in its `block_on`'s future (one thread each), with the same
//! checkpoint in a spawned task as a further reference.
//!
//! The function named `native` in each group is the baseline for `cargo run -p bench-table`.

use std::convert::Infallible;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

fn tokio_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run/tokio-current-thread");
    group.bench_function("native", |b| {
        b.iter(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {})
        })
    });
    group.bench_function("anyio", |b| {
        b.iter(|| {
            anyio::Runner::tokio()
                .current_thread()
                .run(async {})
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("run/tokio-2-workers");
    group.bench_function("native", |b| {
        b.iter(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {})
        })
    });
    group.bench_function("anyio", |b| {
        b.iter(|| {
            anyio::Runner::tokio()
                .worker_threads(2)
                .run(async {})
                .unwrap()
        })
    });
    group.finish();
}

fn smol_run(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("run/smol-{threads}-threads"));
        group.bench_function("native", |b| {
            b.iter(|| common::on_native_smol(threads, |_| async {}))
        });
        group.bench_function("anyio", |b| {
            b.iter(|| {
                anyio::Runner::smol()
                    .threads(threads)
                    .run(async {})
                    .unwrap()
            })
        });
        group.finish();
    }
}

/// Yields per iteration of the main-future groups.
const YIELDS: u64 = 10_000;

fn main_future_yield(c: &mut Criterion) {
    let mut group = c.benchmark_group("main_future_yield_10k/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(common::timed(iters * YIELDS, tokio::task::yield_now))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::tokio()
                .current_thread()
                .run(common::timed(iters * YIELDS, anyio::lowlevel::checkpoint))
                .unwrap()
        })
    });
    group.finish();

    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("main_future_yield_10k/smol-{threads}-threads"));
        group.bench_function("native", |b| {
            b.iter_custom(|iters| {
                common::on_native_smol(threads, |_| {
                    common::timed(iters * YIELDS, futures_lite::future::yield_now)
                })
            })
        });
        group.bench_function("anyio", |b| {
            b.iter_custom(|iters| {
                anyio::Runner::smol()
                    .threads(threads)
                    .run(common::timed(iters * YIELDS, anyio::lowlevel::checkpoint))
                    .unwrap()
            })
        });
        // The same yields in a spawned task: the baseline of `anyio-in-a-task`, since a task
        // is scheduled differently from the future that `block_on` drives (on two threads its
        // every wake can be stolen by the other worker).
        group.bench_function("native-in-a-task", |b| {
            b.iter_custom(|iters| {
                common::on_native_smol(threads, |executor| async move {
                    executor
                        .spawn(common::timed(
                            iters * YIELDS,
                            futures_lite::future::yield_now,
                        ))
                        .await
                })
            })
        });
        group.bench_function("anyio-in-a-task", |b| {
            b.iter_custom(|iters| {
                anyio::Runner::smol()
                    .threads(threads)
                    .run(anyio::task_group(move |tg| async move {
                        let checkpoints =
                            common::timed(iters * YIELDS, anyio::lowlevel::checkpoint);
                        let handle =
                            tg.spawn(async move { Ok::<_, Infallible>(checkpoints.await) });
                        Ok::<_, Infallible>(handle.await.expect("the task ran"))
                    }))
                    .unwrap()
                    .unwrap()
                    .expect("not cancelled")
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = tokio_run, smol_run, main_future_yield
}
criterion_main!(benches);
