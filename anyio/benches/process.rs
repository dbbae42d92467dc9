//! Processes: `run_process(["true"])` beside `tokio::process::Command::output()` (tokio) and
//! `async_process::Command::output()` (smol), each starting `true` and collecting its (empty)
//! output and exit status; and 64 MiB piped through `cat`, written to its stdin while its
//! stdout is read at the same time, beside the same with each backend's native process types.
//! Same run, on a current-thread tokio runtime and a one-thread smol executor.
//!
//! The function named `native` in each group is the operation anyio wraps. Starting a process
//! costs a `posix_spawn` (a `vfork` and an `exec`) and its reaping whatever the library, so the
//! first group measures what each library adds around that: pipes, exit notification (a pidfd
//! for anyio and tokio), reaping. Every variant does the same work: stdin is `/dev/null`
//! (anyio's and async-process's default, set on tokio's command), stdout and stderr are pipes.
//! Both groups are dominated by the kernel (the spawn, the pipe copies) and by `cat`, so on a
//! busy machine their spread is wide: compare medians of quiet runs.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::process::{open_process, run_process};
use anyio::streams::{ByteReceiveStream, ByteSendStream, StreamError};
use criterion::{Criterion, SamplingMode};

mod common;

/// The bytes piped through `cat` per iteration.
const PIPED: usize = 64 * 1024 * 1024;
/// The size of each read from `cat`'s stdout.
const CHUNK: usize = 64 * 1024;

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

/// Times `iters` sequential runs of `true`.
async fn run_true<F, Fut>(iters: u64, mut run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::process::ExitStatus>,
{
    let start = Instant::now();
    for _ in 0..iters {
        assert!(black_box(run().await).success());
    }
    start.elapsed()
}

fn spawn_true(c: &mut Criterion) {
    let mut group = c.benchmark_group("process_run_true/tokio");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(run_true(iters, || async {
                tokio::process::Command::new("true")
                    // As `run_process` and `async_process` (and std's `output`) do; tokio's
                    // `output` alone inherits stdin.
                    .stdin(std::process::Stdio::null())
                    .output()
                    .await
                    .unwrap()
                    .status
            }))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(run_true(iters, || async {
                    run_process(["true"]).await.unwrap().status.into_std()
                }))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("process_run_true/smol");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |_| {
                run_true(iters, || async {
                    async_process::Command::new("true")
                        .output()
                        .await
                        .unwrap()
                        .status
                })
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(run_true(iters, || async {
                    run_process(["true"]).await.unwrap().status.into_std()
                }))
                .unwrap()
        })
    });
    group.finish();
}

/// Checks that all of the piped bytes came back.
fn check_piped(total: usize) {
    assert_eq!(total, PIPED, "everything written came back");
}

/// Pipes [`PIPED`] bytes through `cat` with anyio's process streams, `iters` times.
async fn anyio_cat(data: Arc<Vec<u8>>, iters: u64) -> Duration {
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut process = open_process(["cat"]).await.unwrap();
        let mut stdin = process.stdin.take().unwrap();
        let mut stdout = process.stdout.take().unwrap();
        let write = async {
            stdin.send(&data).await.unwrap();
            drop(stdin);
        };
        let read = async {
            let mut total = 0;
            loop {
                match stdout.receive(&mut buf).await {
                    Ok(n) => total += n,
                    Err(StreamError::EndOfStream) => return total,
                    Err(error) => panic!("{error}"),
                }
            }
        };
        let ((), total) = futures_lite::future::zip(write, read).await;
        check_piped(black_box(total));
        assert!(process.wait().await.unwrap().success());
    }
    start.elapsed()
}

/// The same with `tokio::process`.
async fn tokio_cat(data: Arc<Vec<u8>>, iters: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut child = tokio::process::Command::new("cat")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let write = async {
            stdin.write_all(&data).await.unwrap();
            drop(stdin);
        };
        let read = async {
            let mut total = 0;
            loop {
                match stdout.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        };
        let ((), total) = tokio::join!(write, read);
        check_piped(black_box(total));
        assert!(child.wait().await.unwrap().success());
    }
    start.elapsed()
}

/// The same with `async_process` (smol's).
async fn async_process_cat(data: Arc<Vec<u8>>, iters: u64) -> Duration {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut child = async_process::Command::new("cat")
            .stdin(async_process::Stdio::piped())
            .stdout(async_process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let write = async {
            stdin.write_all(&data).await.unwrap();
            drop(stdin);
        };
        let read = async {
            let mut total = 0;
            loop {
                match stdout.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        };
        let ((), total) = futures_lite::future::zip(write, read).await;
        check_piped(black_box(total));
        assert!(child.status().await.unwrap().success());
    }
    start.elapsed()
}

fn pipe_through_cat(c: &mut Criterion) {
    let data: Arc<Vec<u8>> = Arc::new((0..PIPED).map(|i| (i % 251) as u8).collect());

    let mut group = c.benchmark_group("process_cat_64mib/tokio");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| tokio_runtime().block_on(tokio_cat(Arc::clone(&data), iters)))
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(anyio_cat(Arc::clone(&data), iters))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("process_cat_64mib/smol");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |_| async_process_cat(Arc::clone(&data), iters))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(anyio_cat(Arc::clone(&data), iters))
                .unwrap()
        })
    });
    group.finish();
}

fn main() {
    // An iteration takes about a millisecond (a spawn) to tens of milliseconds (64 MiB through
    // a pipe): flat sampling with 20 samples keeps each group to a few seconds on two cores.
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    spawn_true(&mut c);
    pipe_through_cat(&mut c);
    c.final_summary();
}
