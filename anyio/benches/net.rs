//! TCP over loopback: anyio's `net::TcpStream` beside the native socket it replaces, in the
//! same run, on the same single-threaded runtime, with the echo server as a task on the same
//! thread as the client.
//!
//! - `echo_rtt_64`: one connection, set up before the clock starts; each iteration is one round
//!   trip: the client writes 64 bytes and reads the 64 the server echoes back.
//! - `throughput_100_conns`: 100 connections, set up before the clock starts; each iteration
//!   spawns one client task per connection, each doing 100 round trips of 64 bytes (10,000 in
//!   all), and ends when every task has finished.
//!
//! Each group is named `<scenario>/<backend>` and holds:
//! - `native`: tokio's `TcpStream` with tokio's `AsyncReadExt` / `AsyncWriteExt` (`read_exact`,
//!   `write_all`), or smol's (async-net's) `TcpStream` with futures-lite's;
//! - `anyio`: anyio's `TcpStream` and `TcpListener` through `ByteSendStream::send` and
//!   `ByteReceiveStream::receive` (receiving until the 64 bytes are in);
//! - `anyio_io_traits`: anyio's `TcpStream` through the native family of I/O traits, the very
//!   calls `native` makes (tokio's `AsyncRead` / `AsyncWrite` on tokio, futures-io's on smol).
//!
//! anyio turns `TCP_NODELAY` on; the native sockets get it too, so that both send alike.
//! Runtimes: a native current-thread tokio runtime (`tokio::spawn`), and a native one-thread
//! smol executor (`Executor::spawn`, driven by `async_io::block_on`); anyio finds the backend by
//! itself (a tokio context, or else smol). The function named `native` in each group is the
//! baseline for `cargo run -p bench-table`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::streams::{ByteReceiveStream, ByteSendStream, StreamError};
use async_executor::Executor;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

mod common;

/// The size of a message, and of its echo.
const MESSAGE: usize = 64;

/// The connections of `throughput_100_conns`.
const CONNECTIONS: usize = 100;

/// The round trips each connection of `throughput_100_conns` makes per iteration.
const ROUND_TRIPS: usize = 100;

/// Where the listeners bind: loopback, a port the system picks.
fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// One end of a TCP connection, as a group drives it.
trait Connection: Sized + Send + 'static {
    /// `count` connected pairs of (client, server) ends, over loopback.
    fn pairs(count: usize) -> impl Future<Output = Vec<(Self, Self)>>;

    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> impl Future<Output = ()> + Send;

    /// Fills `buf`; `false` if the stream ended (or failed) first.
    fn read_exact(&mut self, buf: &mut [u8]) -> impl Future<Output = bool> + Send;
}

/// tokio's `TcpStream`, with tokio's I/O traits.
struct NativeTokio(tokio::net::TcpStream);

impl Connection for NativeTokio {
    async fn pairs(count: usize) -> Vec<(Self, Self)> {
        let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut pairs = Vec::with_capacity(count);
        for _ in 0..count {
            let client = tokio::net::TcpStream::connect(address).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            client.set_nodelay(true).unwrap();
            server.set_nodelay(true).unwrap();
            pairs.push((NativeTokio(client), NativeTokio(server)));
        }
        pairs
    }

    async fn write_all(&mut self, data: &[u8]) {
        tokio::io::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        tokio::io::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// smol's (async-net's) `TcpStream`, with futures-lite's I/O traits.
struct NativeSmol(smol::net::TcpStream);

impl Connection for NativeSmol {
    async fn pairs(count: usize) -> Vec<(Self, Self)> {
        let listener = smol::net::TcpListener::bind(loopback()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut pairs = Vec::with_capacity(count);
        for _ in 0..count {
            let client = smol::net::TcpStream::connect(address).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            client.set_nodelay(true).unwrap();
            server.set_nodelay(true).unwrap();
            pairs.push((NativeSmol(client), NativeSmol(server)));
        }
        pairs
    }

    async fn write_all(&mut self, data: &[u8]) {
        futures_lite::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        futures_lite::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// anyio's connected pairs, on the backend running the caller.
async fn anyio_pairs(count: usize) -> Vec<(anyio::net::TcpStream, anyio::net::TcpStream)> {
    let mut listener = anyio::net::TcpListener::bind(loopback()).unwrap();
    let address = listener.local_addr().unwrap();
    let mut pairs = Vec::with_capacity(count);
    for _ in 0..count {
        let client = anyio::net::TcpStream::connect(address).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        pairs.push((client, server));
    }
    pairs
}

/// anyio's `TcpStream`, with anyio's `ByteSendStream` / `ByteReceiveStream`.
struct Anyio(anyio::net::TcpStream);

impl Connection for Anyio {
    async fn pairs(count: usize) -> Vec<(Self, Self)> {
        let pairs = anyio_pairs(count).await;
        pairs
            .into_iter()
            .map(|(c, s)| (Anyio(c), Anyio(s)))
            .collect()
    }

    async fn write_all(&mut self, data: &[u8]) {
        self.0.send(data).await.unwrap();
    }

    async fn read_exact(&mut self, mut buf: &mut [u8]) -> bool {
        while !buf.is_empty() {
            match self.0.receive(buf).await {
                Ok(n) => buf = &mut buf[n..],
                Err(StreamError::EndOfStream) => return false,
                Err(error) => panic!("{error}"),
            }
        }
        true
    }
}

/// anyio's `TcpStream`, with tokio's I/O traits (the calls of [`NativeTokio`]).
struct AnyioTokioTraits(anyio::net::TcpStream);

impl Connection for AnyioTokioTraits {
    async fn pairs(count: usize) -> Vec<(Self, Self)> {
        let pairs = anyio_pairs(count).await;
        let wrap = |(c, s)| (AnyioTokioTraits(c), AnyioTokioTraits(s));
        pairs.into_iter().map(wrap).collect()
    }

    async fn write_all(&mut self, data: &[u8]) {
        tokio::io::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        tokio::io::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// anyio's `TcpStream`, with futures-lite's I/O traits (the calls of [`NativeSmol`]).
struct AnyioFuturesTraits(anyio::net::TcpStream);

impl Connection for AnyioFuturesTraits {
    async fn pairs(count: usize) -> Vec<(Self, Self)> {
        let pairs = anyio_pairs(count).await;
        let wrap = |(c, s)| (AnyioFuturesTraits(c), AnyioFuturesTraits(s));
        pairs.into_iter().map(wrap).collect()
    }

    async fn write_all(&mut self, data: &[u8]) {
        futures_lite::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        futures_lite::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// Echoes `MESSAGE`-byte messages until the client goes away.
async fn echo<C: Connection>(mut server: C) {
    let mut buf = [0; MESSAGE];
    while server.read_exact(&mut buf).await {
        server.write_all(&buf).await;
    }
}

/// One round trip: a message out, its echo back.
async fn round_trip<C: Connection>(client: &mut C, out: &[u8; MESSAGE], back: &mut [u8; MESSAGE]) {
    client.write_all(out).await;
    assert!(client.read_exact(back).await, "the echo server went away");
}

/// The runtime all three functions of a group run on.
#[derive(Clone, Copy)]
enum Runtime {
    /// A native current-thread tokio runtime; tasks go to `tokio::spawn`.
    Tokio,
    /// A native smol executor on the calling thread alone; tasks go to `Executor::spawn`.
    Smol,
}

/// A spawned task, awaited for its output.
type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Spawns tasks on the runtime `main` runs on.
enum Spawner {
    Tokio,
    Smol(Arc<Executor<'static>>),
}

impl Spawner {
    fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) -> Task<T> {
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
    /// Runs `main` on a fresh runtime of this kind, on the calling thread.
    fn run<Fut: Future>(self, main: impl FnOnce(Spawner) -> Fut) -> Fut::Output {
        match self {
            Runtime::Tokio => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(main(Spawner::Tokio)),
            Runtime::Smol => common::on_native_smol(1, |executor| main(Spawner::Smol(executor))),
        }
    }
}

/// Times `iters` round trips over one connection of kind `C`, made before the clock starts.
fn bench_rtt<C: Connection>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, rt: Runtime) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.run(|spawner| async move {
                let (mut client, server) = C::pairs(1).await.pop().unwrap();
                let _server = spawner.spawn(echo(server));
                let out = [7; MESSAGE];
                let mut back = [0; MESSAGE];
                round_trip(&mut client, &out, &mut back).await; // the server task is running
                let start = Instant::now();
                for _ in 0..iters {
                    round_trip(&mut client, &out, &mut back).await;
                }
                let elapsed = start.elapsed();
                assert_eq!(back, out);
                elapsed
            })
        })
    });
}

/// Times `iters` batches of `ROUND_TRIPS` round trips on each of `CONNECTIONS` connections of
/// kind `C` at once, one client task per connection, the connections made before the clock
/// starts.
fn bench_throughput<C: Connection>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    rt: Runtime,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.run(|spawner| async move {
                let mut clients = Vec::with_capacity(CONNECTIONS);
                let mut servers = Vec::with_capacity(CONNECTIONS);
                for (client, server) in C::pairs(CONNECTIONS).await {
                    clients.push(client);
                    servers.push(spawner.spawn(echo(server)));
                }
                let mut elapsed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let tasks: Vec<Task<C>> = clients
                        .drain(..)
                        .map(|mut client| {
                            spawner.spawn(async move {
                                let out = [7; MESSAGE];
                                let mut back = [0; MESSAGE];
                                for _ in 0..ROUND_TRIPS {
                                    round_trip(&mut client, &out, &mut back).await;
                                }
                                client
                            })
                        })
                        .collect();
                    for task in tasks {
                        clients.push(task.await);
                    }
                    elapsed += start.elapsed();
                }
                drop(clients); // the servers see the end of their streams, and return
                for server in servers {
                    server.await;
                }
                elapsed
            })
        })
    });
}

fn echo_rtt(c: &mut Criterion) {
    let mut group = c.benchmark_group("echo_rtt_64/tokio");
    bench_rtt::<NativeTokio>(&mut group, "native", Runtime::Tokio);
    bench_rtt::<Anyio>(&mut group, "anyio", Runtime::Tokio);
    bench_rtt::<AnyioTokioTraits>(&mut group, "anyio_io_traits", Runtime::Tokio);
    group.finish();

    let mut group = c.benchmark_group("echo_rtt_64/smol");
    bench_rtt::<NativeSmol>(&mut group, "native", Runtime::Smol);
    bench_rtt::<Anyio>(&mut group, "anyio", Runtime::Smol);
    bench_rtt::<AnyioFuturesTraits>(&mut group, "anyio_io_traits", Runtime::Smol);
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("throughput_100_conns/tokio");
    bench_throughput::<NativeTokio>(&mut group, "native", Runtime::Tokio);
    bench_throughput::<Anyio>(&mut group, "anyio", Runtime::Tokio);
    bench_throughput::<AnyioTokioTraits>(&mut group, "anyio_io_traits", Runtime::Tokio);
    group.finish();

    let mut group = c.benchmark_group("throughput_100_conns/smol");
    bench_throughput::<NativeSmol>(&mut group, "native", Runtime::Smol);
    bench_throughput::<Anyio>(&mut group, "anyio", Runtime::Smol);
    bench_throughput::<AnyioFuturesTraits>(&mut group, "anyio_io_traits", Runtime::Smol);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = echo_rtt, throughput
}
criterion_main!(benches);
