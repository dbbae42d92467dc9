//! `anyio::compat::tokio`: tokio-only code in the wrapper beside the same code on tokio, in
//! the same run.
//!
//! - `passthrough/tokio`: under the tokio backend the wrapper should cost nothing; `native`
//!   awaits `tokio::task::yield_now()`, `compat` awaits it wrapped.
//! - `tcp_rtt`: round trips of a 64-byte message over loopback through `tokio::net` sockets.
//!   `native` is a current-thread tokio runtime; `compat-smol` is the same code in wrapped
//!   futures on anyio's smol runner (one thread), whose tokio I/O the background runtime
//!   drives; `compat-tokio` is the wrapped code on anyio's tokio runner.
//! - `channel_rtt`: round trips through two tokio channels between two tasks: what entering
//!   the context costs per poll, with no I/O (tokio's channels need no runtime).

use std::future::Future;
use std::time::{Duration, Instant};

use anyio::compat;
use common::timed;
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

const MESSAGE: usize = 64;

fn native_tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn on_anyio_tokio<T>(main: impl Future<Output = T> + Send + 'static) -> T
where
    T: Send + 'static,
{
    anyio::Runner::tokio().current_thread().run(main).unwrap()
}

fn on_anyio_smol<T>(main: impl Future<Output = T> + Send + 'static) -> T
where
    T: Send + 'static,
{
    anyio::Runner::smol().threads(1).run(main).unwrap()
}

fn passthrough(c: &mut Criterion) {
    let mut group = c.benchmark_group("passthrough/tokio");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| on_anyio_tokio(timed(iters, tokio::task::yield_now)))
    });
    group.bench_function("compat", |b| {
        b.iter_custom(|iters| {
            on_anyio_tokio(timed(iters, || compat::tokio(tokio::task::yield_now())))
        })
    });
    group.finish();
}

/// A connected pair of tokio TCP sockets over loopback (in a runtime's context).
async fn tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    (client, server)
}

/// Echoes fixed-size messages until the client goes.
async fn echo(mut server: tokio::net::TcpStream) {
    let mut buf = [0; MESSAGE];
    while server.read_exact(&mut buf).await.is_ok() {
        server.write_all(&buf).await.unwrap();
    }
}

/// `iters` round trips over `client`.
async fn round_trips(client: &mut tokio::net::TcpStream, iters: u64) -> Duration {
    let out = [7; MESSAGE];
    let mut back = [0; MESSAGE];
    let start = Instant::now();
    for _ in 0..iters {
        client.write_all(&out).await.unwrap();
        client.read_exact(&mut back).await.unwrap();
    }
    start.elapsed()
}

/// The wrapped benchmark: the echo server is an anyio task, both ends in wrapped futures.
async fn wrapped_tcp_rtt(iters: u64) -> Duration {
    let (mut client, server) = compat::tokio(tcp_pair()).await;
    anyio::task_group(|tg| async move {
        tg.spawn(compat::tokio(echo(server)));
        let elapsed = compat::tokio(round_trips(&mut client, iters)).await;
        drop(client); // the server's read ends, and so does its task
        Ok::<_, std::convert::Infallible>(elapsed)
    })
    .await
    .unwrap()
    .expect("the group was not cancelled")
}

fn tcp_rtt(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_rtt");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            native_tokio().block_on(async {
                let (mut client, server) = tcp_pair().await;
                let server = tokio::spawn(echo(server));
                let elapsed = round_trips(&mut client, iters).await;
                drop(client);
                server.await.unwrap();
                elapsed
            })
        })
    });
    group.bench_function("compat-smol", |b| {
        b.iter_custom(|iters| on_anyio_smol(wrapped_tcp_rtt(iters)))
    });
    group.bench_function("compat-tokio", |b| {
        b.iter_custom(|iters| on_anyio_tokio(wrapped_tcp_rtt(iters)))
    });
    group.finish();
}

/// `iters` round trips between this task and one that answers each ping, through tokio's
/// channels; `wrap` wraps each end's loop.
async fn channel_round_trips<W, Fut>(iters: u64, wrap: W) -> Duration
where
    W: Fn(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (ping, mut pinged) = tokio::sync::mpsc::channel::<u64>(1);
    let (pong, mut ponged) = tokio::sync::mpsc::channel::<u64>(1);
    let answerer = wrap(Box::pin(async move {
        while let Some(n) = pinged.recv().await {
            if pong.send(n).await.is_err() {
                break;
            }
        }
    }));
    let elapsed = std::sync::Arc::new(std::sync::Mutex::new(Duration::ZERO));
    let measured = std::sync::Arc::clone(&elapsed);
    let asker = wrap(Box::pin(async move {
        let start = Instant::now();
        for n in 0..iters {
            ping.send(n).await.unwrap();
            assert_eq!(ponged.recv().await, Some(n));
        }
        *measured.lock().unwrap() = start.elapsed();
    }));
    anyio::task_group(|tg| async move {
        tg.spawn(answerer);
        tg.spawn(asker);
        Ok::<_, std::convert::Infallible>(())
    })
    .await
    .unwrap();
    *elapsed.lock().unwrap()
}

fn channel_rtt(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel_rtt");
    group.bench_function("native", |b| {
        b.iter_custom(|iters| on_anyio_tokio(channel_round_trips(iters, |f| f)))
    });
    group.bench_function("compat-smol", |b| {
        b.iter_custom(|iters| on_anyio_smol(channel_round_trips(iters, compat::tokio)))
    });
    group.bench_function("unwrapped-smol", |b| {
        b.iter_custom(|iters| on_anyio_smol(channel_round_trips(iters, |f| f)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = passthrough, tcp_rtt, channel_rtt
}
criterion_main!(benches);
