//! Heap bytes per idle task: 100,000 children of an anyio task group, each waiting on an
//! `anyio::sync::Event`, beside the same future spawned natively (`tokio::spawn`, or
//! async-executor's `spawn`), on each backend, on one thread.
//!
//! ```text
//! cargo bench -p anyio --all-features --bench memory_per_task
//! ```
//!
//! criterion measures time, not bytes, so this is a plain program. A counting wrapper around
//! the system allocator (installed in this measuring binary only: the library never installs
//! an allocator) keeps the live heap bytes, and the number of live blocks of each size. Each
//! variant gets a runtime of its own and spawns its tasks twice: the first round (released and
//! joined) grows the runtime's queues and the event's list of waiters to their size for that
//! many tasks, so that the second round, which is measured, counts what each idle task costs
//! rather than the growth of shared buffers. Between the two ends of the second round, the
//! live heap grows by what the tasks hold while they wait: the runtime's task (its header and
//! the future), and on anyio's side what the group keeps for each child. Printed: the bytes per
//! task, ours ÷ native, and the sizes of the blocks the tasks hold (those with at least half a
//! block per task), which tell where the bytes go.
//!
//! Every task runs the same future: it counts itself in, the last one in tells the spawner
//! that all wait, and it waits on the shared `Event` until the spawner sets it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use anyio::sync::Event;

mod common;

/// The tasks spawned per round.
const TASKS: usize = 100_000;

/// Blocks up to this size are counted by size; larger ones together, in the last bucket.
const LARGEST_COUNTED: usize = 4096;

/// The system allocator, counting the live bytes and the live blocks of each size.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

/// `LIVE_BLOCKS[size]`: the live blocks of `size` bytes (the last: of more).
static LIVE_BLOCKS: [AtomicIsize; LARGEST_COUNTED + 1] =
    [const { AtomicIsize::new(0) }; LARGEST_COUNTED + 1];

fn note(size: usize, blocks: isize) {
    LIVE_BYTES.fetch_add(size as isize * blocks, Ordering::Relaxed);
    LIVE_BLOCKS[size.min(LARGEST_COUNTED)].fetch_add(blocks, Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; the counters have no effect on
// memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note(layout.size(), 1);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note(layout.size(), 1);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        note(layout.size(), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note(layout.size(), -1);
            note(new_size, 1);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The live heap at one moment: bytes, and blocks by size.
struct Snapshot {
    bytes: isize,
    blocks: Vec<isize>,
}

impl Snapshot {
    fn take() -> Snapshot {
        Snapshot {
            bytes: LIVE_BYTES.load(Ordering::Relaxed),
            blocks: LIVE_BLOCKS
                .iter()
                .map(|count| count.load(Ordering::Relaxed))
                .collect(),
        }
    }

    /// What the heap grew by since `earlier`.
    fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            bytes: self.bytes - earlier.bytes,
            blocks: self
                .blocks
                .iter()
                .zip(&earlier.blocks)
                .map(|(now, then)| now - then)
                .collect(),
        }
    }

    /// The bytes per task.
    fn per_task(&self) -> f64 {
        self.bytes as f64 / TASKS as f64
    }

    /// The block sizes the tasks hold at least half a block each of (one or more per task, as
    /// opposed to the shared buffers that grow with the number of tasks), with their bytes
    /// per task, and the listing: `"128 B × 1.00"`, the last bucket as `"> 4096 B"`.
    fn held_blocks(&self) -> (f64, String) {
        let mut bytes = 0.0;
        let mut listing = Vec::new();
        for (size, &count) in self.blocks.iter().enumerate() {
            if count < TASKS as isize / 2 || size == LARGEST_COUNTED {
                continue;
            }
            let per_task = count as f64 / TASKS as f64;
            bytes += size as f64 * per_task;
            listing.push(format!("{size} B × {per_task:.2}"));
        }
        (bytes, listing.join(", "))
    }
}

/// What the tasks of a round share.
#[derive(Default)]
struct Round {
    /// The tasks that have started to wait (or are about to, on this very poll).
    counted_in: AtomicUsize,
    /// Set by the last task to count in.
    all_waiting: Event,
    /// Set by the spawner once it has measured: every task returns.
    release: Event,
}

/// The future every variant spawns `TASKS` of.
async fn idle(round: Arc<Round>) {
    if round.counted_in.fetch_add(1, Ordering::AcqRel) + 1 == TASKS {
        round.all_waiting.set();
    }
    round.release.wait().await;
}

/// One round of a variant: `spawn_all` spawns the tasks of `round` and returns something to
/// join them by; `join_all` joins them. Returns the growth of the heap between before the
/// spawns and when every task waits.
async fn round<J, S, SF, JF>(spawn_all: &mut S, join_all: &mut J) -> Snapshot
where
    S: FnMut(Arc<Round>) -> SF,
    SF: Future,
    J: FnMut(SF::Output) -> JF,
    JF: Future<Output = ()>,
{
    let round = Arc::new(Round::default());
    let before = Snapshot::take();
    let joiner = spawn_all(Arc::clone(&round)).await;
    round.all_waiting.wait().await;
    let grown = Snapshot::take().since(&before);
    round.release.set();
    join_all(joiner).await;
    grown
}

/// A warm-up round, then the measured one.
async fn measure<J, S, SF, JF>(mut spawn_all: S, mut join_all: J) -> Snapshot
where
    S: FnMut(Arc<Round>) -> SF,
    SF: Future,
    J: FnMut(SF::Output) -> JF,
    JF: Future<Output = ()>,
{
    round(&mut spawn_all, &mut join_all).await;
    round(&mut spawn_all, &mut join_all).await
}

fn native_tokio() -> Snapshot {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(measure(
        |round| async move {
            (0..TASKS)
                .map(|_| tokio::spawn(idle(Arc::clone(&round))))
                .collect::<Vec<_>>()
        },
        |handles| async move {
            for handle in handles {
                handle.await.unwrap();
            }
        },
    ))
}

fn native_smol() -> Snapshot {
    common::on_native_smol(1, |executor| {
        measure(
            move |round| {
                let executor = Arc::clone(&executor);
                async move {
                    (0..TASKS)
                        .map(|_| executor.spawn(idle(Arc::clone(&round))))
                        .collect::<Vec<_>>()
                }
            },
            |tasks| async move {
                for task in tasks {
                    task.await;
                }
            },
        )
    })
}

/// A round of anyio's: the group spawns the tasks, waits until all wait, measures, releases
/// them, and ends when they have.
async fn anyio_round() -> Snapshot {
    let round = Arc::new(Round::default());
    anyio::task_group(|tg| async move {
        let before = Snapshot::take();
        for _ in 0..TASKS {
            tg.spawn(idle(Arc::clone(&round)));
        }
        round.all_waiting.wait().await;
        let grown = Snapshot::take().since(&before);
        round.release.set();
        Ok::<_, std::convert::Infallible>(grown)
    })
    .await
    .unwrap()
    .expect("nothing cancels the group")
}

fn anyio_on(runner: anyio::Runner) -> Snapshot {
    runner
        .run(async {
            anyio_round().await;
            anyio_round().await
        })
        .unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter means another target was asked for.
    if std::env::args().skip(1).any(|arg| !arg.starts_with('-')) {
        return;
    }
    println!("{TASKS} idle tasks, each waiting on an anyio::sync::Event; one thread per runtime");
    println!(
        "| {:<6} | {:>15} | {:>14} | {:>15} |",
        "", "native B/task", "anyio B/task", "ours ÷ native"
    );
    println!("|{:-<8}|{:->17}|{:->16}|{:->17}|", "", ":", ":", ":");
    let tokio = (
        native_tokio(),
        anyio_on(anyio::Runner::tokio().current_thread()),
    );
    let smol = (native_smol(), anyio_on(anyio::Runner::smol().threads(1)));
    for (backend, (native, ours)) in [("tokio", &tokio), ("smol", &smol)] {
        println!(
            "| {backend:<6} | {:>15.1} | {:>14.1} | {:>15.2} |",
            native.per_task(),
            ours.per_task(),
            ours.per_task() / native.per_task()
        );
    }
    println!("where they go, per task: blocks of its own (size × blocks), and the rest: shared");
    println!("buffers that grow with the tasks (lists of handles, of waiters, of children)");
    for (backend, (native, ours)) in [("tokio", &tokio), ("smol", &smol)] {
        for (side, snapshot) in [("native", native), ("anyio", ours)] {
            let (own, listing) = snapshot.held_blocks();
            println!(
                "  {side} {backend}: {listing} = {own:.0} B; shared {:.1} B",
                snapshot.per_task() - own
            );
        }
    }
}
