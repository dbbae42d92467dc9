//! Spawning and joining 100,000 empty children: an anyio task group beside tokio's `JoinSet`
//! and async-executor's spawn + join, in the same run: on two-thread runtimes
//! (`spawn_join_100k/*`), and on one thread (`spawn_join_100k_1thread/*`: a current-thread tokio
//! runtime, a one-thread smol executor), where no second thread runs children while the parent
//! spawns, so the groups show the cost of spawning and finishing alone.
//!
//! Two more native rows in each group say what anyio's extra bytes per child cost the
//! runtime's own spawn, on the same allocator, before anyio does anything. An anyio child has
//! a block of [`SECOND_BLOCK`] bytes beside the runtime's task (its root scope, which it shares
//! with its handle and its identity):
//!
//! - `native_second_block`: the spawner hands each child one more heap block of that size,
//!   which the child frees;
//! - `native_bigger_task`: each child's future carries those bytes itself, so each child is
//!   one block as big as the two together (on tokio bigger still: its task cells are
//!   128-byte aligned, so 256 bytes grow to 384): what a child would cost if its state lived
//!   in the runtime's task;
//! - `native_block_in_child`: the child makes the block itself when it runs, and frees it
//!   before it ends: the same bytes and the same number of blocks as `native_second_block`,
//!   but made, used and freed on one thread within one poll, while the block is still in the
//!   cache. Beside `native_second_block`, it shows that what costs is a block made at spawn
//!   time and touched again when the child runs, not the second block as such.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

const CHILDREN: usize = 100_000;

/// The size of an anyio child's own block (`benches/memory_per_task.rs` reports it).
const SECOND_BLOCK: usize = 200;

/// A block of [`SECOND_BLOCK`] bytes, written when made as anyio's is.
fn second_block() -> Box<[u8; SECOND_BLOCK]> {
    Box::new([1; SECOND_BLOCK])
}

/// A child that makes its own [`second_block`] and frees it.
async fn child_with_own_block() {
    drop(std::hint::black_box(second_block()));
}

async fn anyio_group() {
    anyio::task_group(|tg| async move {
        for _ in 0..CHILDREN {
            tg.spawn(async {});
        }
    })
    .await
    .unwrap();
}

/// A native tokio runtime: current-thread if `one_thread`, else two worker threads.
fn native_tokio_runtime(one_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if one_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    };
    builder.enable_all().build().unwrap()
}

/// Times `iters` rounds, on a native tokio runtime (see [`native_tokio_runtime`]), of
/// spawning [`CHILDREN`] children into a `JoinSet` with `spawn_child` and joining them all
/// with `join_next`. Generic, so that each row's spawn is inlined as a hand-written loop's
/// would be.
fn native_tokio_rounds(
    one_thread: bool,
    iters: u64,
    spawn_child: impl Fn(&mut tokio::task::JoinSet<()>),
) -> Duration {
    native_tokio_runtime(one_thread).block_on(async move {
        let start = Instant::now();
        for _ in 0..iters {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..CHILDREN {
                spawn_child(&mut set);
            }
            while set.join_next().await.is_some() {}
        }
        start.elapsed()
    })
}

/// Times `iters` rounds, on a native async-executor on `threads` threads, of spawning
/// [`CHILDREN`] children with `spawn_child` and awaiting each one.
fn native_smol_rounds(
    threads: usize,
    iters: u64,
    spawn_child: impl Fn(&async_executor::Executor<'static>) -> async_executor::Task<()>,
) -> Duration {
    common::on_native_smol(threads, |executor| async move {
        let start = Instant::now();
        for _ in 0..iters {
            let tasks: Vec<_> = (0..CHILDREN).map(|_| spawn_child(&executor)).collect();
            for task in tasks {
                task.await;
            }
        }
        start.elapsed()
    })
}

/// The tokio groups: `native` spawns into a `JoinSet` and joins every child with
/// `join_next`, `anyio` runs [`anyio_group`]; both on a current-thread runtime if
/// `one_thread`, else on two worker threads.
fn tokio_group(c: &mut Criterion, name: &str, one_thread: bool) {
    let runner = move || {
        let runner = anyio::Runner::tokio();
        if one_thread {
            runner.current_thread()
        } else {
            runner.worker_threads(2)
        }
    };
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            native_tokio_rounds(one_thread, iters, |set| {
                set.spawn(async {});
            })
        })
    });
    group.bench_function("native_second_block", |b| {
        b.iter_custom(|iters| {
            native_tokio_rounds(one_thread, iters, |set| {
                let block = second_block();
                set.spawn(async move { drop(std::hint::black_box(block)) });
            })
        })
    });
    group.bench_function("native_bigger_task", |b| {
        b.iter_custom(|iters| {
            native_tokio_rounds(one_thread, iters, |set| {
                let state = [1u8; SECOND_BLOCK];
                set.spawn(async move {
                    std::hint::black_box(&state);
                });
            })
        })
    });
    group.bench_function("native_block_in_child", |b| {
        b.iter_custom(|iters| {
            native_tokio_rounds(one_thread, iters, |set| {
                set.spawn(child_with_own_block());
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            runner()
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

/// The smol groups on `threads` threads: `native` spawns on async-executor and awaits each
/// task, `anyio` runs [`anyio_group`].
fn smol_group(c: &mut Criterion, name: &str, threads: usize) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            native_smol_rounds(threads, iters, |executor| executor.spawn(async {}))
        })
    });
    group.bench_function("native_second_block", |b| {
        b.iter_custom(|iters| {
            native_smol_rounds(threads, iters, |executor| {
                let block = second_block();
                executor.spawn(async move { drop(std::hint::black_box(block)) })
            })
        })
    });
    group.bench_function("native_bigger_task", |b| {
        b.iter_custom(|iters| {
            native_smol_rounds(threads, iters, |executor| {
                let state = [1u8; SECOND_BLOCK];
                executor.spawn(async move {
                    std::hint::black_box(&state);
                })
            })
        })
    });
    group.bench_function("native_block_in_child", |b| {
        b.iter_custom(|iters| {
            native_smol_rounds(threads, iters, |executor| {
                executor.spawn(child_with_own_block())
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::smol()
                .threads(threads)
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

fn two_threads(c: &mut Criterion) {
    tokio_group(c, "spawn_join_100k/tokio", false);
    smol_group(c, "spawn_join_100k/smol", 2);
}

fn one_thread(c: &mut Criterion) {
    tokio_group(c, "spawn_join_100k_1thread/tokio", true);
    smol_group(c, "spawn_join_100k_1thread/smol", 1);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = two_threads, one_thread
}
criterion_main!(benches);
