//! The sync primitives beside `tokio::sync` (on tokio) and `async-lock` / `event-listener`
//! (on smol), in the same run: uncontended lock + unlock, semaphore acquire + release, event
//! set + wait, a lock contended by 2, 4 and 8 tasks on two threads, uncontended `RwLock` reads
//! and writes, and a `CapacityLimiter` borrow. And `event_wait_set`: the wait on an event that
//! is already set, which is little more than the gate every operation passes (the cancellation
//! check, the budget and the wait point), in the main future and in a spawned task.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

mod common;

use common::timed;

/// Times `iters` runs of `op` on a current-thread tokio runner.
fn on_tokio<F, Fut>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, op: F)
where
    F: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future,
{
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            anyio::Runner::tokio()
                .current_thread()
                .run(timed(iters, op))
                .unwrap()
        })
    });
}

/// Times `iters` runs of `op` on a one-thread smol runner.
fn on_smol<F, Fut>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, op: F)
where
    F: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future,
{
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            anyio::Runner::smol()
                .threads(1)
                .run(timed(iters, op))
                .unwrap()
        })
    });
}

static ANYIO_MUTEX: anyio::sync::Mutex<u64> = anyio::sync::Mutex::new(0);
static TOKIO_MUTEX: tokio::sync::Mutex<u64> = tokio::sync::Mutex::const_new(0);
static ASYNC_LOCK_MUTEX: async_lock::Mutex<u64> = async_lock::Mutex::new(0);

static ANYIO_SEMAPHORE: anyio::sync::Semaphore = anyio::sync::Semaphore::new(1);
static TOKIO_SEMAPHORE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("lock_unlock/tokio");
    on_tokio(&mut group, "native", || async {
        *TOKIO_MUTEX.lock().await += 1
    });
    on_tokio(&mut group, "anyio", || async {
        *ANYIO_MUTEX.lock().await += 1
    });
    group.finish();
    let mut group = c.benchmark_group("lock_unlock/async-lock");
    on_smol(&mut group, "native", || async {
        *ASYNC_LOCK_MUTEX.lock().await += 1
    });
    on_smol(&mut group, "anyio", || async {
        *ANYIO_MUTEX.lock().await += 1
    });
    group.finish();

    let mut group = c.benchmark_group("semaphore_acquire_release/tokio");
    on_tokio(&mut group, "native", || async {
        drop(black_box(TOKIO_SEMAPHORE.acquire().await.unwrap()))
    });
    on_tokio(&mut group, "anyio", || async {
        drop(black_box(ANYIO_SEMAPHORE.acquire().await))
    });
    group.finish();
    let mut group = c.benchmark_group("semaphore_acquire_release/async-lock");
    let semaphore: &'static async_lock::Semaphore =
        Box::leak(Box::new(async_lock::Semaphore::new(1)));
    on_smol(&mut group, "native", move || async move {
        drop(black_box(semaphore.acquire().await))
    });
    on_smol(&mut group, "anyio", || async {
        drop(black_box(ANYIO_SEMAPHORE.acquire().await))
    });
    group.finish();
}

/// An event-listener flag: the pattern smol code uses for a one-shot event.
struct ListenerFlag {
    set: AtomicBool,
    event: event_listener::Event,
}

impl ListenerFlag {
    fn set(&self) {
        self.set.store(true, Ordering::Release);
        self.event.notify(usize::MAX);
    }

    async fn wait(&self) {
        loop {
            if self.set.load(Ordering::Acquire) {
                return;
            }
            let listener = self.event.listen();
            if self.set.load(Ordering::Acquire) {
                return;
            }
            listener.await;
        }
    }
}

fn events(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_new_set_wait/tokio");
    on_tokio(&mut group, "native", || async {
        let notify = tokio::sync::Notify::new();
        notify.notify_one();
        black_box(&notify).notified().await;
    });
    on_tokio(&mut group, "anyio", || async {
        let event = anyio::sync::Event::new();
        event.set();
        black_box(&event).wait().await;
    });
    group.finish();
    let mut group = c.benchmark_group("event_new_set_wait/event-listener");
    on_smol(&mut group, "native", || async {
        let flag = ListenerFlag {
            set: AtomicBool::new(false),
            event: event_listener::Event::new(),
        };
        flag.set();
        black_box(&flag).wait().await;
    });
    on_smol(&mut group, "anyio", || async {
        let event = anyio::sync::Event::new();
        event.set();
        black_box(&event).wait().await;
    });
    group.finish();
}

static SET_EVENT: std::sync::LazyLock<anyio::sync::Event> = std::sync::LazyLock::new(|| {
    let event = anyio::sync::Event::new();
    event.set();
    event
});
static SET_FLAG: AtomicBool = AtomicBool::new(true);

/// The wait on an event that is already set: the operation's gate and one load, beside the
/// same load in a plain `async` block. `anyio-in-a-task` runs the loop in a task spawned into a
/// task group, where the gate reads the task's scope (and its ancestors').
fn gate(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_wait_set/tokio");
    on_tokio(&mut group, "native", || async {
        black_box(SET_FLAG.load(Ordering::Acquire))
    });
    on_tokio(&mut group, "anyio", || SET_EVENT.wait());
    group.bench_function("anyio-in-a-task", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::tokio()
                .current_thread()
                .run(in_a_task(iters))
                .unwrap()
        })
    });
    group.finish();
    let mut group = c.benchmark_group("event_wait_set/smol");
    on_smol(&mut group, "native", || async {
        black_box(SET_FLAG.load(Ordering::Acquire))
    });
    on_smol(&mut group, "anyio", || SET_EVENT.wait());
    group.bench_function("anyio-in-a-task", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::smol()
                .threads(1)
                .run(in_a_task(iters))
                .unwrap()
        })
    });
    group.finish();
}

/// `iters` waits on [`SET_EVENT`], timed in a task spawned into a task group.
async fn in_a_task(iters: u64) -> Duration {
    let (tell, told) = std::sync::mpsc::channel();
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            tell.send(timed(iters, || SET_EVENT.wait()).await).unwrap();
        });
    })
    .await
    .unwrap();
    told.recv().unwrap()
}

const ROUNDS: usize = 1_000;

/// `tasks` tasks on two threads, each taking the lock `ROUNDS` times.
async fn contend<M, F, Fut>(tasks: usize, lock: Arc<M>, take: F)
where
    M: Send + Sync + 'static,
    F: Fn(Arc<M>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    anyio::task_group(|tg| async move {
        for _ in 0..tasks {
            let lock = Arc::clone(&lock);
            tg.spawn(async move {
                for _ in 0..ROUNDS {
                    take(Arc::clone(&lock)).await;
                }
            });
        }
    })
    .await
    .unwrap();
}

/// Times `iters` contended runs of `op` with `tasks` tasks on a fresh two-thread runner.
fn bench_contended(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    runner: fn() -> anyio::Runner,
    tasks: usize,
    op: fn(usize) -> Contended,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            runner()
                .run(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        op(tasks).await;
                    }
                    start.elapsed()
                })
                .unwrap()
        })
    });
}

fn contended(c: &mut Criterion) {
    let tokio: fn() -> anyio::Runner = || anyio::Runner::tokio().worker_threads(2);
    let smol: fn() -> anyio::Runner = || anyio::Runner::smol().threads(2);
    for tasks in [2, 4, 8] {
        let mut group = c.benchmark_group(format!("contended_lock_{tasks}_tasks/tokio"));
        group.sample_size(20);
        bench_contended(&mut group, "native", tokio, tasks, tokio_contended);
        bench_contended(&mut group, "anyio", tokio, tasks, anyio_contended);
        group.finish();

        let mut group = c.benchmark_group(format!("contended_lock_{tasks}_tasks/async-lock"));
        group.sample_size(20);
        bench_contended(&mut group, "native", smol, tasks, async_lock_contended);
        bench_contended(&mut group, "anyio", smol, tasks, anyio_contended);
        group.finish();
    }
}

type Contended = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

fn tokio_contended(tasks: usize) -> Contended {
    Box::pin(contend(
        tasks,
        Arc::new(tokio::sync::Mutex::new(0u64)),
        |m| async move {
            *m.lock().await += 1;
        },
    ))
}

fn async_lock_contended(tasks: usize) -> Contended {
    Box::pin(contend(
        tasks,
        Arc::new(async_lock::Mutex::new(0u64)),
        |m| async move {
            *m.lock().await += 1;
        },
    ))
}

fn anyio_contended(tasks: usize) -> Contended {
    Box::pin(contend(
        tasks,
        Arc::new(anyio::sync::Mutex::new(0u64)),
        |m| async move {
            *m.lock().await += 1;
        },
    ))
}

static ANYIO_RWLOCK: anyio::sync::RwLock<u64> = anyio::sync::RwLock::new(0);
static TOKIO_RWLOCK: tokio::sync::RwLock<u64> = tokio::sync::RwLock::const_new(0);
static ASYNC_LOCK_RWLOCK: async_lock::RwLock<u64> = async_lock::RwLock::new(0);

static ANYIO_LIMITER: anyio::sync::CapacityLimiter = anyio::sync::CapacityLimiter::new(1);

/// Uncontended reads and writes of an `RwLock`, and a `CapacityLimiter` borrow beside a
/// semaphore acquire (no runtime has a capacity limiter; the semaphore is the nearest thing).
fn rwlocks_and_limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("rwlock_read/tokio");
    on_tokio(&mut group, "native", || async {
        black_box(*TOKIO_RWLOCK.read().await);
    });
    on_tokio(&mut group, "anyio", || async {
        black_box(*ANYIO_RWLOCK.read().await);
    });
    group.finish();
    let mut group = c.benchmark_group("rwlock_read/async-lock");
    on_smol(&mut group, "native", || async {
        black_box(*ASYNC_LOCK_RWLOCK.read().await);
    });
    on_smol(&mut group, "anyio", || async {
        black_box(*ANYIO_RWLOCK.read().await);
    });
    group.finish();
    let mut group = c.benchmark_group("rwlock_write/tokio");
    on_tokio(&mut group, "native", || async {
        *TOKIO_RWLOCK.write().await += 1
    });
    on_tokio(&mut group, "anyio", || async {
        *ANYIO_RWLOCK.write().await += 1
    });
    group.finish();
    let mut group = c.benchmark_group("rwlock_write/async-lock");
    on_smol(&mut group, "native", || async {
        *ASYNC_LOCK_RWLOCK.write().await += 1
    });
    on_smol(&mut group, "anyio", || async {
        *ANYIO_RWLOCK.write().await += 1
    });
    group.finish();

    let mut group = c.benchmark_group("capacity_limiter_borrow/tokio-semaphore");
    on_tokio(&mut group, "native", || async {
        drop(black_box(TOKIO_SEMAPHORE.acquire().await.unwrap()))
    });
    on_tokio(&mut group, "anyio", || async {
        drop(black_box(ANYIO_LIMITER.acquire().await.unwrap()))
    });
    group.finish();
}

/// A send and a receive on a buffered stream by one task: no waiting, only the operations'
/// own costs (the memory stream's uncontended path).
fn send_receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("send_receive_uncontended/tokio-mpsc");
    let (tx, rx) = tokio::sync::mpsc::channel::<u64>(16);
    let native: &'static _ = Box::leak(Box::new((tx, tokio::sync::Mutex::new(rx))));
    on_tokio(&mut group, "native", move || async move {
        native.0.send(1).await.unwrap();
        // `try_lock` on an uncontended tokio mutex is one atomic: the receiver needs `&mut`.
        black_box(native.1.try_lock().unwrap().recv().await)
    });
    let anyio_stream: &'static _ =
        Box::leak(Box::new(anyio::create_memory_object_stream::<u64>(16)));
    on_tokio(&mut group, "anyio", move || async move {
        anyio_stream.0.send(1).await.unwrap();
        black_box(anyio_stream.1.receive().await.unwrap())
    });
    group.finish();
    let mut group = c.benchmark_group("send_receive_uncontended/async-channel");
    let native: &'static _ = Box::leak(Box::new(async_channel::bounded::<u64>(16)));
    on_smol(&mut group, "native", move || async move {
        native.0.send(1).await.unwrap();
        black_box(native.1.recv().await.unwrap())
    });
    on_smol(&mut group, "anyio", move || async move {
        anyio_stream.0.send(1).await.unwrap();
        black_box(anyio_stream.1.receive().await.unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = uncontended, send_receive, events, gate, contended, rwlocks_and_limiter
}
criterion_main!(benches);
