//! Memory object streams beside native channels, in the same run: each iteration moves a batch
//! of 10,000 `u64` messages from producer tasks to consumer tasks, spawned fresh for the
//! iteration, and is timed from the first spawn until every task has finished.
//!
//! - `spsc_bounded_1024`: one producer, one consumer, a buffer of 1024;
//! - `mpmc_bounded_1024`: four producers, four consumers, a buffer of 1024 (`mpsc_bounded_1024`
//!   for tokio's mpsc, which has one consumer: four producers, one consumer);
//! - `rendezvous`: one producer, one consumer, no buffer (tokio's mpsc and async-channel
//!   cannot have a buffer of 0);
//! - `spsc_unbounded`: one producer, one consumer, no limit on the buffer.
//!
//! Each group is named after the native channel, and holds it (`native`) beside anyio's stream
//! (`anyio`) on the same runtime, spawned the same way, so that only the channel differs:
//! tokio's mpsc, flume and kanal on a native two-worker tokio runtime (`tokio::spawn`),
//! async-channel on a native two-thread smol executor. The function named `native` in each
//! group is the baseline for `cargo run -p bench-table`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_executor::Executor;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

mod common;

/// The messages one iteration moves, whatever the number of producers and consumers.
const MESSAGES: u64 = 10_000;

/// A channel as the scenarios use it: a cloneable sender, and receivers for the consumers.
trait Channel {
    type Sender: Clone + Send + Sync + 'static;
    type Receiver: Send + 'static;

    /// Sends `message`, waiting for room; the stream is never closed while sending.
    fn send(sender: &Self::Sender, message: u64) -> impl Future<Output = ()> + Send;

    /// The next message, or `None` once every sender is gone and the buffer is drained.
    fn receive(receiver: &mut Self::Receiver) -> impl Future<Output = Option<u64>> + Send;

    /// `count` receivers sharing the messages, made from the one the channel came with.
    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver>;
}

struct TokioMpsc;

impl Channel for TokioMpsc {
    type Sender = tokio::sync::mpsc::Sender<u64>;
    type Receiver = tokio::sync::mpsc::Receiver<u64>;

    async fn send(sender: &Self::Sender, message: u64) {
        sender.send(message).await.unwrap();
    }

    async fn receive(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv().await
    }

    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver> {
        assert_eq!(count, 1, "tokio's mpsc has a single consumer");
        vec![receiver]
    }
}

struct TokioUnbounded;

impl Channel for TokioUnbounded {
    type Sender = tokio::sync::mpsc::UnboundedSender<u64>;
    type Receiver = tokio::sync::mpsc::UnboundedReceiver<u64>;

    async fn send(sender: &Self::Sender, message: u64) {
        sender.send(message).unwrap();
    }

    async fn receive(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv().await
    }

    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver> {
        assert_eq!(count, 1, "tokio's mpsc has a single consumer");
        vec![receiver]
    }
}

struct Flume;

impl Channel for Flume {
    type Sender = flume::Sender<u64>;
    type Receiver = flume::Receiver<u64>;

    async fn send(sender: &Self::Sender, message: u64) {
        sender.send_async(message).await.unwrap();
    }

    async fn receive(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv_async().await.ok()
    }

    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver> {
        vec![receiver; count]
    }
}

struct AsyncChannel;

impl Channel for AsyncChannel {
    type Sender = async_channel::Sender<u64>;
    type Receiver = async_channel::Receiver<u64>;

    async fn send(sender: &Self::Sender, message: u64) {
        sender.send(message).await.unwrap();
    }

    async fn receive(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv().await.ok()
    }

    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver> {
        vec![receiver; count]
    }
}

struct Kanal;

impl Channel for Kanal {
    type Sender = kanal::AsyncSender<u64>;
    type Receiver = kanal::AsyncReceiver<u64>;

    async fn send(sender: &Self::Sender, message: u64) {
        sender.send(message).await.unwrap();
    }

    async fn receive(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv().await.ok()
    }

    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver> {
        vec![receiver; count]
    }
}

struct Anyio;

impl Channel for Anyio {
    type Sender = anyio::streams::memory::MemoryObjectSender<u64>;
    type Receiver = anyio::streams::memory::MemoryObjectReceiver<u64>;

    async fn send(sender: &Self::Sender, message: u64) {
        sender.send(message).await.unwrap();
    }

    async fn receive(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.receive().await.ok()
    }

    fn consumers(receiver: Self::Receiver, count: usize) -> Vec<Self::Receiver> {
        vec![receiver; count]
    }
}

/// The runtime both functions of a group run on.
#[derive(Clone, Copy)]
enum Runtime {
    /// A native multi-thread tokio runtime with two workers; tasks go to `tokio::spawn`.
    Tokio,
    /// A native smol executor on two threads; tasks go to `Executor::spawn`.
    Smol,
}

/// A task spawned on the runtime, awaited for its output.
type Task = Pin<Box<dyn Future<Output = u64> + Send>>;

/// Spawns tasks on the runtime `main` runs on.
enum Spawner {
    Tokio,
    Smol(Arc<Executor<'static>>),
}

impl Spawner {
    fn spawn(&self, task: impl Future<Output = u64> + Send + 'static) -> Task {
        match self {
            Spawner::Tokio => {
                let handle = tokio::spawn(task);
                Box::pin(async move { handle.await.unwrap() })
            }
            Spawner::Smol(executor) => Box::pin(executor.spawn(task)),
        }
    }
}

impl Runtime {
    /// Runs `main` on a fresh runtime of this kind.
    fn run<Fut: Future>(self, main: impl FnOnce(Spawner) -> Fut) -> Fut::Output {
        match self {
            Runtime::Tokio => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(main(Spawner::Tokio)),
            Runtime::Smol => common::on_native_smol(2, |executor| main(Spawner::Smol(executor))),
        }
    }
}

/// Moves `MESSAGES` from `producers` tasks to `consumers` tasks over a fresh channel, and
/// returns once every task has finished (the consumers once every sender is gone).
async fn transfer<C: Channel>(
    spawner: &Spawner,
    (sender, receiver): (C::Sender, C::Receiver),
    producers: usize,
    consumers: usize,
) {
    let receiving: Vec<Task> = C::consumers(receiver, consumers)
        .into_iter()
        .map(|mut receiver| {
            spawner.spawn(async move {
                let mut sum = 0;
                while let Some(message) = C::receive(&mut receiver).await {
                    sum += message;
                }
                sum
            })
        })
        .collect();
    let share = MESSAGES / producers as u64;
    let sending: Vec<Task> = vec![sender; producers]
        .into_iter()
        .enumerate()
        .map(|(producer, sender)| {
            let first = producer as u64 * share;
            spawner.spawn(async move {
                for message in first..first + share {
                    C::send(&sender, message).await;
                }
                0
            })
        })
        .collect();
    for task in sending {
        task.await;
    }
    let mut sum = 0;
    for task in receiving {
        sum += task.await;
    }
    assert_eq!(
        sum,
        MESSAGES * (MESSAGES - 1) / 2,
        "a message was lost or duplicated"
    );
}

/// Times `iters` transfers over channels made by `make`, on a fresh `runtime`.
fn bench<C: Channel>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    runtime: Runtime,
    make: fn() -> (C::Sender, C::Receiver),
    (producers, consumers): (usize, usize),
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            runtime.run(|spawner| async move {
                let start = Instant::now();
                for _ in 0..iters {
                    transfer::<C>(&spawner, make(), producers, consumers).await;
                }
                start.elapsed()
            })
        })
    });
}

type AnyioStream = (
    anyio::streams::memory::MemoryObjectSender<u64>,
    anyio::streams::memory::MemoryObjectReceiver<u64>,
);

/// A way of moving the messages, compared for several native channels.
struct Scenario {
    name: &'static str,
    producers: usize,
    consumers: usize,
    sample_size: usize,
    anyio: fn() -> AnyioStream,
}

impl Scenario {
    /// The group `<scenario>/<native>`: the native channel made by `make` beside anyio's
    /// stream, on the same runtime, with the same tasks.
    fn compare<N: Channel>(
        &self,
        c: &mut Criterion,
        native: &str,
        runtime: Runtime,
        make: fn() -> (N::Sender, N::Receiver),
    ) {
        let shape = (self.producers, self.consumers);
        let mut group = c.benchmark_group(format!("{}/{native}", self.name));
        group.sample_size(self.sample_size);
        bench::<N>(&mut group, "native", runtime, make, shape);
        bench::<Anyio>(&mut group, "anyio", runtime, self.anyio, shape);
        group.finish();
    }
}

fn spsc_bounded(c: &mut Criterion) {
    let scenario = Scenario {
        name: "spsc_bounded_1024",
        producers: 1,
        consumers: 1,
        sample_size: 20,
        anyio: || anyio::create_memory_object_stream(1024),
    };
    scenario.compare::<TokioMpsc>(c, "tokio-mpsc", Runtime::Tokio, || {
        tokio::sync::mpsc::channel(1024)
    });
    scenario.compare::<Flume>(c, "flume", Runtime::Tokio, || flume::bounded(1024));
    scenario.compare::<AsyncChannel>(c, "async-channel", Runtime::Smol, || {
        async_channel::bounded(1024)
    });
    scenario.compare::<Kanal>(c, "kanal", Runtime::Tokio, || kanal::bounded_async(1024));
}

fn mpmc_bounded(c: &mut Criterion) {
    // tokio's mpsc has one consumer: four producers feed it.
    let scenario = Scenario {
        name: "mpsc_bounded_1024",
        producers: 4,
        consumers: 1,
        sample_size: 20,
        anyio: || anyio::create_memory_object_stream(1024),
    };
    scenario.compare::<TokioMpsc>(c, "tokio-mpsc", Runtime::Tokio, || {
        tokio::sync::mpsc::channel(1024)
    });
    let scenario = Scenario {
        name: "mpmc_bounded_1024",
        consumers: 4,
        ..scenario
    };
    scenario.compare::<Flume>(c, "flume", Runtime::Tokio, || flume::bounded(1024));
    scenario.compare::<AsyncChannel>(c, "async-channel", Runtime::Smol, || {
        async_channel::bounded(1024)
    });
    scenario.compare::<Kanal>(c, "kanal", Runtime::Tokio, || kanal::bounded_async(1024));
}

/// tokio's mpsc and async-channel cannot have a buffer of 0.
fn rendezvous(c: &mut Criterion) {
    let scenario = Scenario {
        name: "rendezvous",
        producers: 1,
        consumers: 1,
        sample_size: 10,
        anyio: || anyio::create_memory_object_stream(0),
    };
    scenario.compare::<Flume>(c, "flume", Runtime::Tokio, || flume::bounded(0));
    scenario.compare::<Kanal>(c, "kanal", Runtime::Tokio, || kanal::bounded_async(0));
}

fn spsc_unbounded(c: &mut Criterion) {
    let scenario = Scenario {
        name: "spsc_unbounded",
        producers: 1,
        consumers: 1,
        sample_size: 20,
        anyio: anyio::create_unbounded_memory_object_stream,
    };
    scenario.compare::<TokioUnbounded>(
        c,
        "tokio-mpsc",
        Runtime::Tokio,
        tokio::sync::mpsc::unbounded_channel,
    );
    scenario.compare::<Flume>(c, "flume", Runtime::Tokio, flume::unbounded);
    scenario.compare::<AsyncChannel>(c, "async-channel", Runtime::Smol, async_channel::unbounded);
    scenario.compare::<Kanal>(c, "kanal", Runtime::Tokio, kanal::unbounded_async);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = spsc_bounded, mpmc_bounded, rendezvous, spsc_unbounded
}
criterion_main!(benches);
