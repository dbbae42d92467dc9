//! Cancel scopes beside the native timeouts they replace, in the same run.
//!
//! - `scope_ready/*`: a timeout around a future that is ready at once. anyio arms no timer
//!   and allocates nothing; tokio's `timeout` reads the clock and builds its `Sleep`.
//! - `scope_pending/*`: a timeout around an operation that suspends once and then completes
//!   (a yield): the timer is armed and disarmed. The inner operation is the same native yield
//!   on both sides.
//!
//! Native on smol is async-io's documented timeout pattern: race the future with a `Timer`.

use std::future::{Future, ready};
use std::time::Duration;

use common::timed;
use criterion::{Criterion, criterion_group, criterion_main};
use futures_lite::FutureExt;

mod common;

const LONG: Duration = Duration::from_secs(3600);

fn on_tokio<F, Fut>(iters: u64, op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    anyio::Runner::tokio()
        .current_thread()
        .run(timed(iters, op))
        .unwrap()
}

fn on_smol<F, Fut>(iters: u64, op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    anyio::Runner::smol()
        .threads(1)
        .run(timed(iters, op))
        .unwrap()
}

/// async-io's timeout: race the future against a timer.
async fn smol_timeout<F: Future>(delay: Duration, future: F) -> Option<F::Output> {
    async { Some(future.await) }
        .or(async {
            async_io::Timer::after(delay).await;
            None
        })
        .await
}

fn scopes(c: &mut Criterion) {
    let mut group = c.benchmark_group("scope_ready/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| on_tokio(iters, || tokio::time::timeout(LONG, ready(1))))
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| on_tokio(iters, || anyio::move_on_after(LONG, ready(1))))
    });
    group.bench_function("anyio-scope-no-deadline", |b| {
        b.iter_custom(|iters| on_tokio(iters, || anyio::CancelScope::new().run(ready(1))))
    });
    group.finish();

    let mut group = c.benchmark_group("scope_ready/smol");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| on_smol(iters, || smol_timeout(LONG, ready(1))))
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| on_smol(iters, || anyio::move_on_after(LONG, ready(1))))
    });
    group.finish();

    let mut group = c.benchmark_group("scope_pending/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            on_tokio(iters, || {
                tokio::time::timeout(LONG, tokio::task::yield_now())
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            on_tokio(iters, || {
                anyio::move_on_after(LONG, tokio::task::yield_now())
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("scope_pending/smol");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            on_smol(iters, || {
                smol_timeout(LONG, futures_lite::future::yield_now())
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            on_smol(iters, || {
                anyio::move_on_after(LONG, futures_lite::future::yield_now())
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = scopes
}
criterion_main!(benches);
