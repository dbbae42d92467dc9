//! What the cancellation points cost: the check for a pending cancellation and the cooperative
//! budget that every anyio operation passes (its *gate*). The same operations are timed in a
//! build with the gate and in one without it, and the two are compared:
//!
//! ```text
//! cargo bench -p anyio --all-features --bench gate_cost
//! RUSTFLAGS="--cfg anyio_no_gate" CARGO_TARGET_DIR=target/no-gate \
//!     cargo bench -p anyio --all-features --bench gate_cost
//! ```
//!
//! A plain program rather than a criterion benchmark, because the two sides are two builds:
//! criterion compares functions of one binary. Each operation runs `OPERATIONS` times in a
//! task spawned into a task group, on one thread of each backend, and the program prints the
//! best of `RUNS` runs, as CPU time of the process per operation (CPU time, not wall time, so
//! that other processes on a shared machine count less). Run the two builds one after the
//! other, twice, and take the ratio of the medians.
//!
//! The build without the gate also makes no cooperative yields, so the ratio includes the
//! budget's yield (a re-poll of the task every 128 operations) as well as the check made at
//! each operation.

use std::time::Duration;

const OPERATIONS: usize = 5_000_000;
const RUNS: usize = 5;

/// The CPU time this process has used so far.
fn cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Uncontended lock + unlock.
async fn lock_unlock() {
    let lock = anyio::sync::Lock::new();
    for _ in 0..OPERATIONS {
        drop(std::hint::black_box(lock.lock().await));
    }
}

/// Uncontended semaphore acquire + release.
async fn semaphore() {
    let semaphore = anyio::sync::Semaphore::new(1);
    for _ in 0..OPERATIONS {
        drop(std::hint::black_box(semaphore.acquire().await));
    }
}

/// A send and a receive on a buffered memory object stream.
async fn send_receive() {
    let (sender, receiver) = anyio::create_memory_object_stream::<u64>(16);
    for value in 0..OPERATIONS as u64 {
        sender.send(value).await.unwrap();
        std::hint::black_box(receiver.receive().await.unwrap());
    }
}

/// Makes the one-thread runner of a backend.
type MakeRunner = fn() -> anyio::Runner;

/// Times one operation on the runner given, in CPU ns per operation.
type Measure = fn(MakeRunner) -> f64;

/// The best of `RUNS` runs of `operation` in a child task on `runner`, in CPU ns per operation.
fn measure<F: Future<Output = ()> + Send + 'static>(
    runner: MakeRunner,
    operation: fn() -> F,
) -> f64 {
    (0..RUNS)
        .map(|_| {
            let before = cpu_time();
            runner()
                .run(anyio::task_group(move |tg| async move {
                    tg.spawn(operation());
                }))
                .unwrap()
                .unwrap();
            (cpu_time() - before).as_nanos() as f64 / OPERATIONS as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter means another target was asked for.
    if std::env::args().skip(1).any(|arg| !arg.starts_with('-')) {
        return;
    }
    let build = if cfg!(anyio_no_gate) {
        "without the gate (--cfg anyio_no_gate)"
    } else {
        "with the gate"
    };
    println!("CPU ns per operation in a task, best of {RUNS} runs, {build}");
    println!("| {:<28} | {:>8} | {:>8} |", "operation", "tokio", "smol");
    println!("|{:-<30}|{:->10}|{:->10}|", "", ":", ":");
    let tokio: MakeRunner = || anyio::Runner::tokio().current_thread();
    let smol: MakeRunner = || anyio::Runner::smol().threads(1);
    let rows: [(&str, Measure); 3] = [
        ("lock + unlock", |runner| measure(runner, lock_unlock)),
        ("semaphore acquire + release", |runner| {
            measure(runner, semaphore)
        }),
        ("send + receive", |runner| measure(runner, send_receive)),
    ];
    for (name, run) in rows {
        println!("| {name:<28} | {:>8.2} | {:>8.2} |", run(tokio), run(smol));
    }
}
