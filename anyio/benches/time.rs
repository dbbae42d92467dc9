//! Yields: anyio's `checkpoint()` and `sleep(ZERO)` beside each backend's native yield, in the
//! same run.
//!
//! Each group is one backend and one operation; the function named `native` is the operation
//! anyio wraps, and `cargo run -p bench-table` prints every other function as a ratio to it.
//! `anyio` runs under anyio's runner (the detection marker is set); `anyio-native-runner`
//! runs under the backend's own `block_on`, where detection has to ask tokio for its context.

use std::future::Future;
use std::time::Duration;

use common::timed;
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn on_anyio_tokio<F, Fut>(iters: u64, op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    anyio::Runner::tokio()
        .current_thread()
        .run(timed(iters, op))
        .unwrap()
}

fn on_anyio_smol<F, Fut>(iters: u64, op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    anyio::Runner::smol()
        .threads(1)
        .run(timed(iters, op))
        .unwrap()
}

fn on_native_smol<F, Fut>(iters: u64, op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    common::on_native_smol(1, |_| timed(iters, op))
}

fn tokio_yields(c: &mut Criterion) {
    let runtime = tokio_runtime();
    for (group_name, anyio_op) in [
        ("checkpoint/tokio", Op::Checkpoint),
        ("sleep_zero/tokio", Op::SleepZero),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.bench_function("native", |b| {
            b.iter_custom(|iters| runtime.block_on(timed(iters, tokio::task::yield_now)))
        });
        group.bench_function("anyio", |b| {
            b.iter_custom(|iters| on_anyio_tokio(iters, || anyio_op.run()))
        });
        group.bench_function("anyio-native-runner", |b| {
            b.iter_custom(|iters| runtime.block_on(timed(iters, || anyio_op.run())))
        });
        if let Op::SleepZero = anyio_op {
            // For context: a zero-length tokio timer waits for the next 1 ms timer tick.
            group.sample_size(10);
            group.bench_function("tokio-sleep-zero-timer", |b| {
                b.iter_custom(|iters| {
                    runtime.block_on(timed(iters, || tokio::time::sleep(Duration::ZERO)))
                })
            });
        }
        group.finish();
    }
}

fn smol_yields(c: &mut Criterion) {
    for (group_name, anyio_op) in [
        ("checkpoint/smol", Op::Checkpoint),
        ("sleep_zero/smol", Op::SleepZero),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.bench_function("native", |b| {
            b.iter_custom(|iters| on_native_smol(iters, futures_lite::future::yield_now))
        });
        group.bench_function("anyio", |b| {
            b.iter_custom(|iters| on_anyio_smol(iters, || anyio_op.run()))
        });
        group.bench_function("anyio-native-runner", |b| {
            b.iter_custom(|iters| on_native_smol(iters, || anyio_op.run()))
        });
        group.finish();
    }
}

#[derive(Clone, Copy)]
enum Op {
    Checkpoint,
    SleepZero,
}

impl Op {
    async fn run(self) {
        match self {
            Op::Checkpoint => anyio::lowlevel::checkpoint().await,
            Op::SleepZero => anyio::sleep(Duration::ZERO).await,
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = tokio_yields, smol_yields
}
criterion_main!(benches);
