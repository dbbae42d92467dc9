//! Connection churn: 20,000 short connections to a server on loopback, each one connect, one
//! 64-byte message echoed back, and a close. The server is anyio's [`Listener::serve`] on an
//! `anyio::net::TcpListener`, beside the native accept-and-spawn loop of the same runtime, in
//! the same run; everything but the server is the same on both sides.
//!
//! - Server, `native`: tokio's `TcpListener` with `tokio::spawn` per connection, or smol's
//!   (async-net's) `TcpListener` with async-executor's `spawn` per connection; the handler sets
//!   `TCP_NODELAY` (anyio sets it on every stream it accepts) and echoes with the runtime's own
//!   I/O traits.
//! - Server, `anyio`: `serve` with a handler that echoes through anyio's `ByteReceiveStream` /
//!   `ByteSendStream`.
//! - Clients, on both sides: the runtime's native `TcpStream`s, from 32 tasks at once, each
//!   making its share of the connections one after the other. On tokio the 32 tasks are
//!   `tokio::spawn`ed on both sides; on smol, async-executor's tasks beside the native server
//!   and an anyio task group's children beside anyio's (anyio's smol runner does not hand out
//!   its executor), which is 32 spawns per 20,000 connections.
//! - Runtimes: two threads each (a two-worker tokio runtime, a two-thread smol executor), built
//!   natively beside the native server and by `anyio::Runner` beside anyio's.
//!
//! The server closes each connection first (the client reads until the end of the stream
//! before it closes its end), so that the `TIME_WAIT` states stay on the server's side, where
//! they do not take the client's ephemeral ports: a run makes hundreds of thousands of
//! connections, and the ephemeral range holds some 28,000 ports.
//!
//! The function named `native` in each group is the baseline for `cargo run -p bench-table`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::net::TcpListener;
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener, StreamError};
use async_executor::Executor;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

mod common;

/// The connections of one iteration.
const CONNECTIONS: usize = 20_000;

/// The clients connecting at once.
const CLIENTS: usize = 32;

/// The size of the message, and of its echo.
const MESSAGE: usize = 64;

/// Where the listeners bind: loopback, a port the system picks.
fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// One client's connections, with tokio's `TcpStream`.
async fn tokio_client(address: SocketAddr, connections: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = [0; MESSAGE];
    for _ in 0..connections {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(&[7; MESSAGE]).await.unwrap();
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0, "the server closes");
    }
}

/// One client's connections, with smol's `TcpStream`.
async fn smol_client(address: SocketAddr, connections: usize) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let mut buf = [0; MESSAGE];
    for _ in 0..connections {
        let mut stream = smol::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(&[7; MESSAGE]).await.unwrap();
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0, "the server closes");
    }
}

/// `iters` times [`CONNECTIONS`] connections from [`CLIENTS`] tokio tasks; the time it took.
async fn tokio_clients(address: SocketAddr, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| tokio::spawn(tokio_client(address, CONNECTIONS / CLIENTS)))
            .collect();
        for client in clients {
            client.await.unwrap();
        }
    }
    start.elapsed()
}

/// The native tokio server: accept, spawn, echo once, close.
async fn native_tokio_server(listener: tokio::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        // A connection that failed before it was accepted is skipped.
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            stream.set_nodelay(true).unwrap();
            let mut buf = [0; MESSAGE];
            if stream.read_exact(&mut buf).await.is_ok() {
                let _ = stream.write_all(&buf).await;
            }
        });
    }
}

/// The native smol server: accept, spawn, echo once, close.
async fn native_smol_server(listener: smol::net::TcpListener, executor: Arc<Executor<'static>>) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    loop {
        // A connection that failed before it was accepted is skipped.
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        executor
            .spawn(async move {
                stream.set_nodelay(true).unwrap();
                let mut buf = [0; MESSAGE];
                if stream.read_exact(&mut buf).await.is_ok() {
                    let _ = stream.write_all(&buf).await;
                }
            })
            .detach();
    }
}

/// anyio's handler: echo once, close.
async fn anyio_echo(mut stream: anyio::net::TcpStream) {
    let mut buf = [0; MESSAGE];
    let mut received = 0;
    while received < MESSAGE {
        match stream.receive(&mut buf[received..]).await {
            Ok(n) => received += n,
            Err(StreamError::EndOfStream) => return,
            Err(error) => panic!("{error}"),
        }
    }
    let _ = stream.send(&buf).await;
}

/// Runs `clients` against anyio's server in a task group, and stops the server after.
async fn against_anyio_server<C, Fut>(clients: C) -> Duration
where
    C: FnOnce(SocketAddr) -> Fut + Send + 'static,
    Fut: Future<Output = Duration> + Send,
{
    let mut listener = TcpListener::bind(loopback()).unwrap();
    let address = listener.local_addr().unwrap();
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            listener.serve(anyio_echo).await;
        });
        let elapsed = clients(address).await;
        tg.cancel();
        Ok::<_, Infallible>(elapsed)
    })
    .await
    .unwrap()
    .expect("the group is cancelled only after the clients")
}

fn tokio_churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("churn_20k/tokio");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
                    let address = listener.local_addr().unwrap();
                    let server = tokio::spawn(native_tokio_server(listener));
                    let elapsed = tokio_clients(address, iters).await;
                    server.abort();
                    elapsed
                })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::tokio()
                .worker_threads(2)
                .run(against_anyio_server(move |address| {
                    tokio_clients(address, iters)
                }))
                .unwrap()
        })
    });
    group.finish();
}

fn smol_churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("churn_20k/smol");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            common::on_native_smol(2, |executor| async move {
                let listener = smol::net::TcpListener::bind(loopback()).await.unwrap();
                let address = listener.local_addr().unwrap();
                let server = executor.spawn(native_smol_server(listener, Arc::clone(&executor)));
                let start = Instant::now();
                for _ in 0..iters {
                    let clients: Vec<_> = (0..CLIENTS)
                        .map(|_| executor.spawn(smol_client(address, CONNECTIONS / CLIENTS)))
                        .collect();
                    for client in clients {
                        client.await;
                    }
                }
                let elapsed = start.elapsed();
                drop(server); // cancels it
                elapsed
            })
        })
    });
    group.bench_function("anyio", |b| {
        b.iter_custom(|iters| {
            anyio::Runner::smol()
                .threads(2)
                .run(against_anyio_server(move |address| async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        anyio::task_group(|tg| async move {
                            for _ in 0..CLIENTS {
                                tg.spawn(smol_client(address, CONNECTIONS / CLIENTS));
                            }
                        })
                        .await
                        .unwrap();
                    }
                    start.elapsed()
                }))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        // Ten iterations of 20,000 connections take some 15 s.
        .measurement_time(Duration::from_secs(15));
    targets = tokio_churn, smol_churn
}
criterion_main!(benches);
