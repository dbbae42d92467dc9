//! TLS 1.3 over loopback TCP: anyio's `tls::TlsStream` over anyio's `net::TcpStream` beside
//! the native TLS stream it replaces (`tokio-rustls` on tokio, `futures-rustls` on smol), in
//! the same run, on the same single-threaded runtime, with the echo server as a task on the
//! same thread as the client.
//!
//! - `tls_echo_64B`: one session, connected and past its handshake before the clock starts;
//!   each iteration is one round trip: the client writes 64 bytes and reads the 64 the server
//!   echoes back.
//!
//! All three use the same rustls (0.23), the same `ring` crypto provider and the same
//! certificate (rcgen, made once), so that only the I/O layer around rustls differs.
//!
//! Each group is named `<scenario>/<backend>` and holds:
//! - `native`: `tokio-rustls` over tokio's `TcpStream` with tokio's `AsyncReadExt` /
//!   `AsyncWriteExt` (`read_exact`, `write_all` then `flush`), or `futures-rustls` over smol's
//!   (async-net's) `TcpStream` with futures-lite's;
//! - `anyio`: anyio's `TlsStream` over anyio's `TcpStream`, through `ByteSendStream::send`
//!   (which flushes) and `ByteReceiveStream::receive` (receiving until the 64 bytes are in);
//! - `anyio_io_traits`: anyio's `TlsStream` over anyio's `TcpStream` through the native family
//!   of I/O traits, the very calls `native` makes (tokio's `AsyncRead` / `AsyncWrite` on
//!   tokio, futures-io's on smol).
//!
//! anyio turns `TCP_NODELAY` on; the native sockets get it too, so that both send alike.
//! Runtimes: a native current-thread tokio runtime (`tokio::spawn`), and a native one-thread
//! smol executor (`Executor::spawn`, driven by `async_io::block_on`); anyio finds the backend by
//! itself (a tokio context, or else smol). The function named `native` in each group is the
//! baseline for `cargo run -p bench-table`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyio::streams::{ByteReceiveStream, ByteSendStream, StreamError};
use async_executor::Executor;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use futures_lite::future::zip;
use rustls::{ClientConfig, ProtocolVersion, ServerConfig};

mod common;
#[path = "../tests/support/tls.rs"]
mod support;

/// The size of a message, and of its echo.
const MESSAGE: usize = 64;

/// The name the client asks for, and the certificate is made for.
const SERVER_NAME: &str = "localhost";

/// Where the listeners bind: loopback, a port the system picks.
fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The client and server configurations every function uses: one certificate, made once.
fn configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    static CONFIGS: OnceLock<(Arc<ClientConfig>, Arc<ServerConfig>)> = OnceLock::new();
    CONFIGS.get_or_init(support::tls_configs).clone()
}

/// One end of a TLS session, as a group drives it.
trait Connection: Sized + Send + 'static {
    /// A connected (client, server) pair of TLS 1.3 sessions over loopback, past the handshake.
    fn pair() -> impl Future<Output = (Self, Self)>;

    /// Writes all of `data`, and flushes it.
    fn write_all(&mut self, data: &[u8]) -> impl Future<Output = ()> + Send;

    /// Fills `buf`; `false` if the stream ended (or failed) first.
    fn read_exact(&mut self, buf: &mut [u8]) -> impl Future<Output = bool> + Send;
}

/// `tokio-rustls` over tokio's `TcpStream`, with tokio's I/O traits.
struct NativeTokio(tokio_rustls::TlsStream<tokio::net::TcpStream>);

impl Connection for NativeTokio {
    async fn pair() -> (Self, Self) {
        let (client_config, server_config) = configs();
        let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let connector = tokio_rustls::TlsConnector::from(client_config);
        let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let (client, server) = zip(
            async {
                let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                connector.connect(name, tcp).await.unwrap()
            },
            async {
                let (tcp, _) = listener.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                acceptor.accept(tcp).await.unwrap()
            },
        )
        .await;
        assert_eq!(
            client.get_ref().1.protocol_version(),
            Some(ProtocolVersion::TLSv1_3)
        );
        (NativeTokio(client.into()), NativeTokio(server.into()))
    }

    async fn write_all(&mut self, data: &[u8]) {
        tokio::io::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::flush(&mut self.0).await.unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        tokio::io::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// `futures-rustls` over smol's (async-net's) `TcpStream`, with futures-lite's I/O traits.
struct NativeSmol(futures_rustls::TlsStream<smol::net::TcpStream>);

impl Connection for NativeSmol {
    async fn pair() -> (Self, Self) {
        let (client_config, server_config) = configs();
        let listener = smol::net::TcpListener::bind(loopback()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let connector = futures_rustls::TlsConnector::from(client_config);
        let acceptor = futures_rustls::TlsAcceptor::from(server_config);
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let (client, server) = zip(
            async {
                let tcp = smol::net::TcpStream::connect(address).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                connector.connect(name, tcp).await.unwrap()
            },
            async {
                let (tcp, _) = listener.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                acceptor.accept(tcp).await.unwrap()
            },
        )
        .await;
        assert_eq!(
            client.get_ref().1.protocol_version(),
            Some(ProtocolVersion::TLSv1_3)
        );
        (NativeSmol(client.into()), NativeSmol(server.into()))
    }

    async fn write_all(&mut self, data: &[u8]) {
        futures_lite::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
        futures_lite::AsyncWriteExt::flush(&mut self.0)
            .await
            .unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        futures_lite::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// anyio's TLS stream over anyio's TCP stream.
type AnyioTls = anyio::tls::TlsStream<anyio::net::TcpStream>;

/// anyio's (client, server) pair, on the backend running the caller.
async fn anyio_pair() -> (AnyioTls, AnyioTls) {
    let (client, server) = support::tls_pair(configs().0, configs().1).await;
    assert_eq!(client.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    (client, server)
}

/// anyio's `TlsStream`, with anyio's `ByteSendStream` / `ByteReceiveStream`.
struct Anyio(AnyioTls);

impl Connection for Anyio {
    async fn pair() -> (Self, Self) {
        let (client, server) = anyio_pair().await;
        (Anyio(client), Anyio(server))
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

/// anyio's `TlsStream`, with tokio's I/O traits (the calls of [`NativeTokio`]).
struct AnyioTokioTraits(AnyioTls);

impl Connection for AnyioTokioTraits {
    async fn pair() -> (Self, Self) {
        let (client, server) = anyio_pair().await;
        (AnyioTokioTraits(client), AnyioTokioTraits(server))
    }

    async fn write_all(&mut self, data: &[u8]) {
        tokio::io::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::flush(&mut self.0).await.unwrap();
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> bool {
        tokio::io::AsyncReadExt::read_exact(&mut self.0, buf)
            .await
            .is_ok()
    }
}

/// anyio's `TlsStream`, with futures-lite's I/O traits (the calls of [`NativeSmol`]).
struct AnyioFuturesTraits(AnyioTls);

impl Connection for AnyioFuturesTraits {
    async fn pair() -> (Self, Self) {
        let (client, server) = anyio_pair().await;
        (AnyioFuturesTraits(client), AnyioFuturesTraits(server))
    }

    async fn write_all(&mut self, data: &[u8]) {
        futures_lite::AsyncWriteExt::write_all(&mut self.0, data)
            .await
            .unwrap();
        futures_lite::AsyncWriteExt::flush(&mut self.0)
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

/// Times `iters` round trips over one session of kind `C`, made before the clock starts.
fn bench_rtt<C: Connection>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, rt: Runtime) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.run(|spawner| async move {
                let (mut client, server) = C::pair().await;
                let _server = spawner.spawn(echo(server));
                let out = [7; MESSAGE];
                let mut back = [0; MESSAGE];
                // The server task is running, and the client has read the session tickets.
                round_trip(&mut client, &out, &mut back).await;
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

fn tls_echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("tls_echo_64B/tokio");
    bench_rtt::<NativeTokio>(&mut group, "native", Runtime::Tokio);
    bench_rtt::<Anyio>(&mut group, "anyio", Runtime::Tokio);
    bench_rtt::<AnyioTokioTraits>(&mut group, "anyio_io_traits", Runtime::Tokio);
    group.finish();

    let mut group = c.benchmark_group("tls_echo_64B/smol");
    bench_rtt::<NativeSmol>(&mut group, "native", Runtime::Smol);
    bench_rtt::<Anyio>(&mut group, "anyio", Runtime::Smol);
    bench_rtt::<AnyioFuturesTraits>(&mut group, "anyio_io_traits", Runtime::Smol);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = tls_echo
}
criterion_main!(benches);
