//! Files: reading a 64 MiB file in 64 KiB chunks with `AsyncFile::read` beside
//! `tokio::fs::File` (tokio) and `async_fs::File` (smol), with a `std-floor` reference (the same
//! reads with `std::fs::File` on the calling thread, no thread hops); 10,000 `fs::metadata`
//! calls beside `tokio::fs::metadata` / `async_fs::metadata`; 100,000 writes of 16 bytes through
//! each family's `AsyncWrite` trait, then a flush, into a fresh file. Same run, on a
//! current-thread tokio runtime and a one-thread smol executor.
//!
//! The function named `native` in each group is the operation anyio wraps; other functions are
//! further references. The files live in a directory made under the system's temporary
//! directory before the benchmarks and removed after them. The 64 MiB file is read from the page
//! cache (it was just written), so the reads measure the thread hops and copies, not the disk.

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};

mod common;

/// The size of the file read by `fs_read_64mib`.
const FILE_SIZE: usize = 64 * 1024 * 1024;
/// The size of each read.
const CHUNK: usize = 64 * 1024;
/// `metadata` calls per iteration.
const METADATA_CALLS: u64 = 10_000;
/// Writes per iteration, and the size of each.
const SMALL_WRITES: u64 = 100_000;
const SMALL_WRITE: [u8; 16] = *b"0123456789abcdef";

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

/// The benchmarks' directory and the 64 MiB file in it; dropping it removes both.
struct Fixture {
    dir: PathBuf,
    big: PathBuf,
}

impl Fixture {
    fn create() -> Fixture {
        let dir = std::env::temp_dir().join(format!("anyio-bench-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        let bytes: Vec<u8> = (0..FILE_SIZE).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, bytes).unwrap();
        Fixture { dir, big }
    }

    /// A path for the files written by the benchmark `name`.
    fn scratch(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Checks that a whole-file read saw the whole file.
fn check_size(total: usize) {
    assert_eq!(total, FILE_SIZE, "the whole file was read");
}

/// Reads the file `iters` times with `std::fs::File` on the calling thread.
fn std_reads(path: &Path, iters: u64) -> Duration {
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut file = std::fs::File::open(path).unwrap();
        let mut total = 0;
        loop {
            let n = file.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        check_size(black_box(total));
    }
    start.elapsed()
}

async fn anyio_reads(path: &Path, iters: u64) -> Duration {
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut file = anyio::fs::AsyncFile::open(path).await.unwrap();
        let mut total = 0;
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        check_size(black_box(total));
    }
    start.elapsed()
}

async fn tokio_reads(path: &Path, iters: u64) -> Duration {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut file = tokio::fs::File::open(path).await.unwrap();
        let mut total = 0;
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        check_size(black_box(total));
    }
    start.elapsed()
}

async fn async_fs_reads(path: &Path, iters: u64) -> Duration {
    use futures_lite::AsyncReadExt;
    let mut buf = vec![0; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let mut file = async_fs::File::open(path).await.unwrap();
        let mut total = 0;
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        check_size(black_box(total));
    }
    start.elapsed()
}

fn read(c: &mut Criterion, fixture: &Fixture) {
    let path = fixture.big.as_path();

    let mut group = c.benchmark_group("fs_read_64mib/tokio");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| tokio_runtime().block_on(tokio_reads(path, iters)))
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| anyio_tokio().run(anyio_reads(path, iters)).unwrap())
    });
    group.bench_function("std-floor", |b| {
        b.iter_custom(|iters| std_reads(path, iters))
    });
    group.finish();

    let mut group = c.benchmark_group("fs_read_64mib/smol");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| common::on_native_smol(1, |_| async_fs_reads(path, iters)))
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| anyio_smol().run(anyio_reads(path, iters)).unwrap())
    });
    group.bench_function("std-floor", |b| {
        b.iter_custom(|iters| std_reads(path, iters))
    });
    group.finish();
}

/// Times `iters` batches of [`METADATA_CALLS`] sequential awaits of `metadata(path)`.
async fn metadata_calls<F, Fut>(iters: u64, mut metadata: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::io::Result<std::fs::Metadata>>,
{
    let start = Instant::now();
    for _ in 0..iters * METADATA_CALLS {
        black_box(metadata().await.unwrap());
    }
    start.elapsed()
}

fn metadata(c: &mut Criterion, fixture: &Fixture) {
    let path = fixture.big.as_path();

    let mut group = c.benchmark_group("fs_metadata_10k/tokio");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(metadata_calls(iters, || tokio::fs::metadata(path)))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(metadata_calls(iters, || anyio::fs::metadata(path)))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("fs_metadata_10k/smol");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |_| metadata_calls(iters, || async_fs::metadata(path)))
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(metadata_calls(iters, || anyio::fs::metadata(path)))
                .unwrap()
        })
    });
    group.finish();
}

/// Times `iters` times: creating a fresh file at `path`, [`SMALL_WRITES`] `write_all` calls of
/// 16 bytes through `tokio::io::AsyncWriteExt`, and a flush. The file is closed (dropped, with
/// nothing left to write) and removed outside the timed part.
async fn tokio_trait_writes<W, Fut>(
    path: &Path,
    iters: u64,
    mut create: impl FnMut() -> Fut,
) -> Duration
where
    W: tokio::io::AsyncWrite + Unpin,
    Fut: Future<Output = std::io::Result<W>>,
{
    let mut elapsed = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let mut file = create().await.unwrap();
        for _ in 0..SMALL_WRITES {
            tokio::io::AsyncWriteExt::write_all(&mut file, &SMALL_WRITE)
                .await
                .unwrap();
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await.unwrap();
        elapsed += start.elapsed();
        drop(file);
        std::fs::remove_file(path).unwrap();
    }
    elapsed
}

/// [`tokio_trait_writes`] through `futures_lite::AsyncWriteExt`.
async fn futures_trait_writes<W, Fut>(
    path: &Path,
    iters: u64,
    mut create: impl FnMut() -> Fut,
) -> Duration
where
    W: futures_lite::AsyncWrite + Unpin,
    Fut: Future<Output = std::io::Result<W>>,
{
    let mut elapsed = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let mut file = create().await.unwrap();
        for _ in 0..SMALL_WRITES {
            futures_lite::AsyncWriteExt::write_all(&mut file, &SMALL_WRITE)
                .await
                .unwrap();
        }
        futures_lite::AsyncWriteExt::flush(&mut file).await.unwrap();
        elapsed += start.elapsed();
        drop(file);
        std::fs::remove_file(path).unwrap();
    }
    elapsed
}

fn small_writes(c: &mut Criterion, fixture: &Fixture) {
    let mut group = c.benchmark_group("fs_small_writes_100k/tokio");
    group.sampling_mode(SamplingMode::Flat);
    let path = fixture.scratch("small-writes-tokio-native");
    let path = path.as_path();
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio_runtime().block_on(tokio_trait_writes(path, iters, || {
                tokio::fs::File::create(path)
            }))
        })
    });
    let path = fixture.scratch("small-writes-tokio-anyio");
    let path = path.as_path();
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_tokio()
                .run(tokio_trait_writes(path, iters, || {
                    anyio::fs::AsyncFile::create(path)
                }))
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("fs_small_writes_100k/smol");
    group.sampling_mode(SamplingMode::Flat);
    let path = fixture.scratch("small-writes-smol-native");
    let path = path.as_path();
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(1, |_| {
                futures_trait_writes(path, iters, || async_fs::File::create(path))
            })
        })
    });
    let path = fixture.scratch("small-writes-smol-anyio");
    let path = path.as_path();
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio_smol()
                .run(futures_trait_writes(path, iters, || {
                    anyio::fs::AsyncFile::create(path)
                }))
                .unwrap()
        })
    });
    group.finish();
}

fn main() {
    let fixture = Fixture::create();
    // An iteration takes milliseconds (a whole-file read) to seconds (small writes): flat
    // sampling with 10 samples keeps each group to a few seconds on two cores.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    read(&mut c, &fixture);
    metadata(&mut c, &fixture);
    small_writes(&mut c, &fixture);
    drop(fixture);
    c.final_summary();
}
