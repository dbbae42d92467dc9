//! Start-up and shut-down: `Runner::run(async {})` beside building the native runtime and
//! calling its `block_on`, in the same run, for each backend and thread count.
//!
//! The function named `native` in each group is the baseline for `cargo run -p bench-table`.

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

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = tokio_run, smol_run
}
criterion_main!(benches);
