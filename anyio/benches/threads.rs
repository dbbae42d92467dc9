//! Threads: a `to_thread::run_sync` round trip beside `spawn_blocking` (tokio) and
//! `blocking::unblock` (smol); a `from_thread::run` round trip from a worker thread, and an
//! `EventLoopToken::run` round trip from a plain `std::thread`, beside the hand-written native
//! ways to run a future in the event loop from another thread and wait for it; a blocking
//! portal's `call` from a plain thread beside a hand-written channel round trip into the loop
//! (a task serving requests that carry their reply channel). Same run, on a
//! current-thread tokio runtime and a one-thread smol executor.
//!
//! The function named `native` in each group is the operation anyio wraps; other native
//! functions are further references. The calling thread times its own loop, so starting the
//! thread (and the runtime) is not measured.

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_executor::Executor;
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use common::timed;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn anyio_tokio() -> anyio::Runner {
    anyio::Runner::tokio().current_thread()
}

fn anyio_smol() -> anyio::Runner {
    anyio::Runner::smol().threads(1)
}

/// Times `iters` calls of `call` on one thread, from which it is a non-event-loop thread.
fn time_calls<T>(iters: u64, mut call: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(call());
    }
    start.elapsed()
}

/// Runs `body` on a plain `std::thread` while the event loop waits for its result on a channel
/// (so that it keeps running and serves the thread's calls).
async fn on_plain_thread(body: impl FnOnce() -> Duration + Send + 'static) -> Duration {
    let (done, result) = async_channel::bounded(1);
    let thread = thread::spawn(move || done.send_blocking(body()).unwrap());
    let elapsed = result.recv().await.unwrap();
    thread.join().unwrap();
    elapsed
}

/// The native smol round trip: a detached task that sends its output back over a channel,
/// which the calling thread blocks on.
fn smol_channel_call(executor: &Executor<'static>) -> i32 {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    executor
        .spawn(async move {
            sender.send(async { 1 }.await).ok();
        })
        .detach();
    receiver.recv().unwrap()
}

/// The native smol round trip with the task's own handle as the channel.
fn smol_task_call(executor: &Executor<'static>) -> i32 {
    futures_lite::future::block_on(executor.spawn(async { 1 }))
}

fn to_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("to_thread_run_sync/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(timed(iters, || async {
                tokio::task::spawn_blocking(|| 1).await.unwrap()
            }))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(timed(iters, || anyio::to_thread::run_sync(|| 1)))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("to_thread_run_sync/smol");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |_| timed(iters, || blocking::unblock(|| 1)))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(timed(iters, || anyio::to_thread::run_sync(|| 1)))
                .unwrap()
        })
    });
    group.finish();
}

fn from_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("from_thread_run/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(async move {
                let handle = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || {
                    time_calls(iters, || {
                        handle.block_on(handle.spawn(async { 1 })).unwrap()
                    })
                })
                .await
                .unwrap()
            })
        })
    });
    group.bench_function("native-block-on", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(async move {
                let handle = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || {
                    time_calls(iters, || handle.block_on(async { 1 }))
                })
                .await
                .unwrap()
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(anyio::to_thread::run_sync(move || {
                    time_calls(iters, || anyio::from_thread::run(async { 1 }).unwrap())
                }))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("from_thread_run/smol");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |executor| {
                blocking::unblock(move || time_calls(iters, || smol_channel_call(&executor)))
            })
        })
    });
    group.bench_function("native-task-handle", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |executor| {
                blocking::unblock(move || time_calls(iters, || smol_task_call(&executor)))
            })
        })
    });
    // The `native` round trip from a thread started for the sample, as anyio's runner starts
    // its worker: on two cores the new thread's placement alone moves the median by 3x.
    group.bench_function("native-fresh-thread", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |executor: Arc<Executor<'static>>| {
                on_plain_thread(move || time_calls(iters, || smol_channel_call(&executor)))
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(anyio::to_thread::run_sync(move || {
                    time_calls(iters, || anyio::from_thread::run(async { 1 }).unwrap())
                }))
                .unwrap()
        })
    });
    group.finish();
}

fn token(c: &mut Criterion) {
    let mut group = c.benchmark_group("token_run_plain_thread/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(async move {
                let handle = tokio::runtime::Handle::current();
                on_plain_thread(move || {
                    time_calls(iters, || {
                        handle.block_on(handle.spawn(async { 1 })).unwrap()
                    })
                })
                .await
            })
        })
    });
    group.bench_function("native-block-on", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(async move {
                let handle = tokio::runtime::Handle::current();
                on_plain_thread(move || time_calls(iters, || handle.block_on(async { 1 }))).await
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(async move {
                    let token = anyio::lowlevel::current_token();
                    on_plain_thread(move || time_calls(iters, || token.run(async { 1 }).unwrap()))
                        .await
                })
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("token_run_plain_thread/smol");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |executor: Arc<Executor<'static>>| {
                on_plain_thread(move || time_calls(iters, || smol_channel_call(&executor)))
            })
        })
    });
    group.bench_function("native-task-handle", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |executor: Arc<Executor<'static>>| {
                on_plain_thread(move || time_calls(iters, || smol_task_call(&executor)))
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(async move {
                    let token = anyio::lowlevel::current_token();
                    on_plain_thread(move || time_calls(iters, || token.run(async { 1 }).unwrap()))
                        .await
                })
                .unwrap()
        })
    });
    group.finish();
}

/// The hand-written way into a running event loop: a task serving requests from a channel,
/// each carrying the channel its reply goes back on.
async fn serve_requests(requests: async_channel::Receiver<std::sync::mpsc::SyncSender<i32>>) {
    while let Ok(reply) = requests.recv().await {
        reply.send(async { 1 }.await).ok();
    }
}

/// One request to [`serve_requests`], from a plain thread.
fn channel_call(requests: &async_channel::Sender<std::sync::mpsc::SyncSender<i32>>) -> i32 {
    let (reply, answer) = std::sync::mpsc::sync_channel(1);
    requests.send_blocking(reply).unwrap();
    answer.recv().unwrap()
}

/// Measures [`channel_call`] from a plain thread, with the serving task beside it.
async fn channel_round_trips(iters: u64) -> Duration {
    let (requests, served) = async_channel::unbounded();
    let measured = on_plain_thread(move || time_calls(iters, || channel_call(&requests)));
    futures_lite::future::zip(measured, serve_requests(served))
        .await
        .0
}

/// Measures `portal.call(async { 1 })` from a plain thread, the portal open in this loop.
async fn portal_round_trips(iters: u64) -> Duration {
    anyio::from_thread::blocking_portal(|portal| async move {
        let elapsed =
            on_plain_thread(move || time_calls(iters, || portal.call(async { 1 }).unwrap())).await;
        Ok::<_, std::convert::Infallible>(elapsed)
    })
    .await
    .unwrap()
    .unwrap()
}

fn portal(c: &mut Criterion) {
    let mut group = c.benchmark_group("portal_call_plain_thread/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| tokio_runtime().block_on(channel_round_trips(iters)))
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| anyio_tokio().run(portal_round_trips(iters)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("portal_call_plain_thread/smol");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, move |_executor: Arc<Executor<'static>>| {
                channel_round_trips(iters)
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| anyio_smol().run(portal_round_trips(iters)).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = to_thread, from_thread, token, portal
}
criterion_main!(benches);
