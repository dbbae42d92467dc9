//! A hyper HTTP/1 server over loopback: served by anyio beside the same server on plain tokio
//! and on plain smol, in the same run, loaded by the same in-process client.
//!
//! - `hyper_get_seq`: one keep-alive connection, made before the clock starts; each iteration
//!   is one GET answered with a 13-byte body, read to its end.
//! - `hyper_get_16x50`: 16 keep-alive connections, made before the clock starts; each iteration
//!   spawns one client task per connection, each sending 50 GETs one after the other (800 in
//!   all), and ends when every task has finished.
//!
//! Each group is named `<scenario>/<backend>` and holds:
//! - `native`: the server as written for the runtime alone. tokio: `tokio::net::TcpListener`,
//!   `tokio::spawn`, hyper-util's `TokioIo` and `TokioTimer`. smol: `smol::net::TcpListener`,
//!   `Executor::spawn`, and a small adapter of futures-io to hyper's I/O traits and a timer on
//!   `async_io::Timer`, both written here as smol-hyper does it;
//! - `anyio`: `anyio::net::TcpListener::serve`, with `anyio::hyper::HyperIo` and `AnyioTimer`
//!   (the adapter that works in every build);
//! - `anyio_tokio_io` (tokio only): the same, with hyper-util's `TokioIo` over anyio's stream.
//!
//! Every server is hyper's `http1::Builder` with a timer, so hyper arms its header-read timeout
//! (30 s by default) on every request: the timer's sleeps and resets are part of the cost.
//! The client is the same in every function of a group: hyper's `http1` client connection over
//! the runtime's own `TcpStream`. `TCP_NODELAY` is on everywhere (anyio turns it on).
//! Runtimes: a native current-thread tokio runtime for all three tokio functions (anyio finds
//! it); a native one-thread smol executor for smol's `native`, and anyio's one-thread smol
//! runner for smol's `anyio` (under a native smol executor, anyio spawns on a thread pool of its
//! own, as the crate docs say: anyio's runner is how anyio runs on smol). The function named `native` is the baseline for `cargo run -p bench-table`.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use anyio::streams::Listener;
use async_executor::Executor;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};

mod common;

/// The connections of `hyper_get_16x50`.
const CONNECTIONS: usize = 16;

/// The requests each connection of `hyper_get_16x50` sends per iteration.
const REQUESTS: usize = 50;

/// The body of every response.
const BODY: &[u8] = b"Hello, World!";

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A futures-io stream as hyper I/O, for the plain smol server and client: each read zeroes
/// the part of hyper's buffer it offers (futures-io reads into initialized memory only).
struct SmolIo<T>(T);

impl<T: futures_io::AsyncRead + Unpin> Read for SmolIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let space = buf.initialize_unfilled();
        let len = space.len();
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, space))?;
        assert!(n <= len);
        // SAFETY: `initialize_unfilled` initialized all `len` bytes, and `n <= len`.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: futures_io::AsyncWrite + Unpin> Write for SmolIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// hyper's timer on `async_io::Timer`, for the plain smol server.
#[derive(Clone, Copy)]
struct SmolTimer;

struct SmolSleep(async_io::Timer);

impl Future for SmolSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl hyper::rt::Sleep for SmolSleep {}

impl hyper::rt::Timer for SmolTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(async_io::Timer::after(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(async_io::Timer::at(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<SmolSleep>() {
            Some(mut ours) => ours.0.set_at(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// Which server a function runs.
#[derive(Clone, Copy)]
enum Server {
    Native,
    Anyio,
    AnyioTokioIo,
}

/// The runtime a function runs on.
#[derive(Clone, Copy)]
enum Runtime {
    /// A native current-thread tokio runtime; anyio, which finds it, spawns on it too.
    Tokio,
    /// A native one-thread smol executor.
    Smol,
    /// anyio's own one-thread smol runner: under a native smol executor anyio cannot reach that
    /// executor, and spawns its tasks on a pool of its own (see `lib.rs`, "Native runners"),
    /// so anyio's smol functions run on anyio's runner, with the same load generator.
    AnyioSmol,
}

/// A spawned task, awaited for its output.
type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Spawns tasks on the runtime `main` runs on.
#[derive(Clone)]
enum Spawner {
    Tokio,
    Smol(Arc<Executor<'static>>),
    Anyio(anyio::TaskGroup<Infallible>),
}

impl Spawner {
    fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        match self {
            Spawner::Tokio => {
                let handle = tokio::spawn(task);
                Box::pin(async move { handle.await.unwrap() })
            }
            Spawner::Smol(executor) => Box::pin(executor.spawn(task)),
            Spawner::Anyio(tg) => {
                let handle = tg.spawn(async move { Ok::<_, Infallible>(task.await) });
                Box::pin(async move { handle.await.unwrap() })
            }
        }
    }

    fn detach(&self, task: impl Future<Output = ()> + Send + 'static) {
        match self {
            Spawner::Tokio => drop(tokio::spawn(task)),
            Spawner::Smol(executor) => executor.spawn(task).detach(),
            Spawner::Anyio(tg) => drop(tg.spawn(task)),
        }
    }
}

impl Runtime {
    fn run<Fut: Future>(self, main: impl FnOnce(Spawner) -> Fut) -> Fut::Output {
        match self {
            Runtime::Tokio => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(main(Spawner::Tokio)),
            Runtime::Smol => common::on_native_smol(1, |executor| main(Spawner::Smol(executor))),
            Runtime::AnyioSmol => anyio::Runner::smol()
                .threads(1)
                .run(anyio::task_group(|tg| async move {
                    let output = main(Spawner::Anyio(tg.clone())).await;
                    tg.cancel(); // the client connections left, if any
                    Ok::<_, Infallible>(output)
                }))
                .unwrap()
                .unwrap()
                .expect("the body returned before it suspended again"),
        }
    }
}

/// A running server: its port, and how to stop it.
struct Running {
    port: u16,
    stop: Box<dyn FnOnce() -> Task<()>>,
}

/// Starts `server` on the runtime of `spawner`.
async fn start(server: Server, spawner: &Spawner) -> Running {
    match (server, spawner) {
        (Server::Native, Spawner::Tokio) => {
            let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let accepting = tokio::spawn(async move {
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .serve_connection(TokioIo::new(stream), service_fn(hello))
                            .await;
                    });
                }
            });
            let stop = Box::new(move || -> Task<()> {
                accepting.abort();
                Box::pin(async {})
            });
            Running { port, stop }
        }
        (Server::Native, Spawner::Anyio(_)) => unreachable!("the native servers run natively"),
        (Server::Native, Spawner::Smol(executor)) => {
            let listener = smol::net::TcpListener::bind(loopback()).await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let connections = Arc::clone(executor);
            let accepting = executor.spawn(async move {
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let serving = async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(SmolTimer)
                            .serve_connection(SmolIo(stream), service_fn(hello))
                            .await;
                    };
                    connections.spawn(serving).detach();
                }
            });
            let stop = Box::new(move || -> Task<()> {
                Box::pin(async move {
                    let _ = accepting.cancel().await;
                })
            });
            Running { port, stop }
        }
        (Server::Anyio | Server::AnyioTokioIo, _) => {
            let mut listener = anyio::net::TcpListener::bind(loopback()).unwrap();
            let port = listener.local_addr().unwrap().port();
            let scope = anyio::CancelScope::new();
            let cancel = scope.handle();
            let tokio_io = matches!(server, Server::AnyioTokioIo);
            let serving = spawner.spawn(scope.run(async move {
                listener
                    .serve(move |stream| async move {
                        let mut builder = hyper::server::conn::http1::Builder::new();
                        builder.timer(anyio::hyper::AnyioTimer);
                        let _ = if tokio_io {
                            builder
                                .serve_connection(TokioIo::new(stream), service_fn(hello))
                                .await
                        } else {
                            let io = anyio::hyper::HyperIo::new(stream);
                            builder.serve_connection(io, service_fn(hello)).await
                        };
                    })
                    .await
            }));
            let stop = Box::new(move || -> Task<()> {
                cancel.cancel();
                Box::pin(async move { drop(serving.await) })
            });
            Running { port, stop }
        }
    }
}

/// The load generator: a hyper HTTP/1 client connection over the runtime's own `TcpStream`.
async fn connect(port: u16, spawner: &Spawner) -> SendRequest<Empty<Bytes>> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    match spawner {
        Spawner::Tokio => {
            let stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            spawner.detach(async move { drop(connection.await) });
            sender
        }
        Spawner::Smol(_) | Spawner::Anyio(_) => {
            let stream = smol::net::TcpStream::connect(address).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (sender, connection) = hyper::client::conn::http1::handshake(SmolIo(stream))
                .await
                .unwrap();
            spawner.detach(async move { drop(connection.await) });
            sender
        }
    }
}

/// One GET, its body read to the end.
async fn get(sender: &mut SendRequest<Empty<Bytes>>) {
    let request = Request::get("/")
        .header(hyper::header::HOST, "localhost")
        .body(Empty::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], BODY);
}

fn bench_seq(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, rt: Runtime, server: Server) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.run(|spawner| async move {
                let running = start(server, &spawner).await;
                let mut sender = connect(running.port, &spawner).await;
                get(&mut sender).await; // the connection is up and served
                let start = Instant::now();
                for _ in 0..iters {
                    get(&mut sender).await;
                }
                let elapsed = start.elapsed();
                drop(sender);
                (running.stop)().await;
                elapsed
            })
        })
    });
}

fn bench_concurrent(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    rt: Runtime,
    server: Server,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.run(|spawner| async move {
                let running = start(server, &spawner).await;
                let mut senders = Vec::with_capacity(CONNECTIONS);
                for _ in 0..CONNECTIONS {
                    let mut sender = connect(running.port, &spawner).await;
                    get(&mut sender).await;
                    senders.push(sender);
                }
                let mut elapsed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let tasks: Vec<Task<_>> = senders
                        .drain(..)
                        .map(|mut sender| {
                            spawner.spawn(async move {
                                for _ in 0..REQUESTS {
                                    get(&mut sender).await;
                                }
                                sender
                            })
                        })
                        .collect();
                    for task in tasks {
                        senders.push(task.await);
                    }
                    elapsed += start.elapsed();
                }
                drop(senders);
                (running.stop)().await;
                elapsed
            })
        })
    });
}

fn sequential(c: &mut Criterion) {
    let mut group = c.benchmark_group("hyper_get_seq/tokio");
    bench_seq(&mut group, "native", Runtime::Tokio, Server::Native);
    bench_seq(&mut group, "anyio", Runtime::Tokio, Server::Anyio);
    bench_seq(
        &mut group,
        "anyio_tokio_io",
        Runtime::Tokio,
        Server::AnyioTokioIo,
    );
    group.finish();

    let mut group = c.benchmark_group("hyper_get_seq/smol");
    bench_seq(&mut group, "native", Runtime::Smol, Server::Native);
    bench_seq(&mut group, "anyio", Runtime::AnyioSmol, Server::Anyio);
    group.finish();
}

fn concurrent(c: &mut Criterion) {
    let mut group = c.benchmark_group("hyper_get_16x50/tokio");
    bench_concurrent(&mut group, "native", Runtime::Tokio, Server::Native);
    bench_concurrent(&mut group, "anyio", Runtime::Tokio, Server::Anyio);
    bench_concurrent(
        &mut group,
        "anyio_tokio_io",
        Runtime::Tokio,
        Server::AnyioTokioIo,
    );
    group.finish();

    let mut group = c.benchmark_group("hyper_get_16x50/smol");
    bench_concurrent(&mut group, "native", Runtime::Smol, Server::Native);
    bench_concurrent(&mut group, "anyio", Runtime::AnyioSmol, Server::Anyio);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = sequential, concurrent
}
criterion_main!(benches);
