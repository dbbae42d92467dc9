//! `anyio::hyper` and `Listener::serve_graceful` with real hyper servers and clients over
//! loopback, on every backend: the examples' HTTP/1 + HTTP/2 server, client and axum app, the
//! graceful stop (a slow request in flight completes, new connections are refused, keep-alive
//! connections close, a request slower than the grace period is cancelled), the timer (hyper's
//! header-read timeout) and the executor (its tasks are children of its group).
#![cfg(all(feature = "macros", feature = "hyper"))]

use std::convert::Infallible;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyio::hyper::{HyperIo, TaskGroupExecutor};
use anyio::net::{TcpListener, TcpStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream, StreamError};
use anyio::sync::Event;
use anyio::{TaskGroup, TaskHandle};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::{http1, http2};
use hyper::rt::Executor;
use hyper::service::service_fn;
use hyper::{Request, Response, Version};

#[allow(dead_code)] // its `main` is not called here
#[path = "../examples/hyper_server.rs"]
mod server;

#[allow(dead_code)]
#[path = "../examples/hyper_client.rs"]
mod client;

#[allow(dead_code)]
#[path = "../examples/axum_server.rs"]
mod axum_app;

fn bind() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// An event to stop a server with, and the future the server waits on.
fn stop_switch() -> (Arc<Event>, impl Future<Output = ()> + Send + 'static) {
    let stop = Arc::new(Event::new());
    let stopping = {
        let stop = Arc::clone(&stop);
        async move { stop.wait().await }
    };
    (stop, stopping)
}

fn backend() -> String {
    anyio::current_async_library().unwrap().to_string()
}

#[anyio::test(timeout = 30)]
async fn the_auto_builder_serves_http1_and_http2() {
    let (listener, port) = bind();
    let (stop, stopping) = stop_switch();
    let grace = Duration::from_secs(10);
    anyio::task_group(|tg| async move {
        let server = tg.spawn(server::serve(
            listener,
            service_fn(server::hello),
            stopping,
            grace,
        ));
        for version in [Version::HTTP_11, Version::HTTP_2] {
            let (status, body) = client::get("127.0.0.1", port, "/", version).await.unwrap();
            assert_eq!(status, 200);
            assert_eq!(body, format!("hello over {version:?} on {}\n", backend()));
        }
        stop.set();
        assert_eq!(server.await.unwrap().cancelled(), 0);
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2, timeout = 30)]
async fn an_axum_router_is_served_over_http1_and_http2() {
    let (listener, port) = bind();
    let (stop, stopping) = stop_switch();
    anyio::task_group(|tg| async move {
        let grace = Duration::from_secs(10);
        let server = tg.spawn(axum_app::serve(listener, axum_app::app(), stopping, grace));
        for version in [Version::HTTP_11, Version::HTTP_2] {
            let (status, body) = client::get("127.0.0.1", port, "/hello/anyio", version)
                .await
                .unwrap();
            assert_eq!(status, 200, "{version:?}");
            assert_eq!(body, format!("hello, anyio, from {}\n", backend()));
            let (status, _) = client::get("127.0.0.1", port, "/nowhere", version)
                .await
                .unwrap();
            assert_eq!(status, 404, "{version:?}");
        }
        stop.set();
        assert_eq!(server.await.unwrap().cancelled(), 0);
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

/// A service whose every request waits until the test releases it.
#[derive(Clone, Default)]
struct Gates {
    /// Set when a request has arrived.
    arrived: Arc<Event>,
    /// Set by the test to let the requests answer.
    release: Arc<Event>,
}

impl Gates {
    async fn answer(self, _: Request<Incoming>) -> Result<Response<String>, Infallible> {
        self.arrived.set();
        self.release.wait().await;
        Ok(Response::new("slow and steady\n".to_owned()))
    }
}

/// A client connection kept open by the test, so that it can see the server close it.
enum Sender {
    Http1(http1::SendRequest<Empty<Bytes>>),
    Http2(http2::SendRequest<Empty<Bytes>>),
}

impl Sender {
    /// Connects over `version`; the connection runs in a task of `tg`, whose handle says
    /// whether it ended without an error.
    async fn connect(
        tg: &TaskGroup<io::Error>,
        port: u16,
        version: Version,
    ) -> (Sender, TaskHandle<bool>) {
        let io = HyperIo::new(
            TcpStream::connect(([127, 0, 0, 1], port).into())
                .await
                .unwrap(),
        );
        if version == Version::HTTP_2 {
            let (sender, connection) = http2::Builder::new(TaskGroupExecutor::new(tg.clone()))
                .handshake(io)
                .await
                .unwrap();
            let connection = tg.spawn(async move { Ok(connection.await.is_ok()) });
            (Sender::Http2(sender), connection)
        } else {
            let (sender, connection) = http1::handshake(io).await.unwrap();
            let connection = tg.spawn(async move { Ok(connection.await.is_ok()) });
            (Sender::Http1(sender), connection)
        }
    }

    /// Sends a GET of `/` and collects the answer.
    fn get(&mut self) -> impl Future<Output = hyper::Result<(u16, Bytes)>> + Send + 'static {
        let request = Request::get("http://localhost/")
            .body(Empty::new())
            .unwrap();
        let response: Pin<Box<dyn Future<Output = _> + Send>> = match self {
            Sender::Http1(sender) => Box::pin(sender.send_request(request)),
            Sender::Http2(sender) => Box::pin(sender.send_request(request)),
        };
        async move {
            let response = response.await?;
            let status = response.status().as_u16();
            Ok((status, response.into_body().collect().await?.to_bytes()))
        }
    }

    fn is_closed(&self) -> bool {
        match self {
            Sender::Http1(sender) => sender.is_closed(),
            Sender::Http2(sender) => sender.is_closed(),
        }
    }
}

/// Connects until the server refuses: it stops accepting soon after the stop. A connection
/// accepted meanwhile is closed at once (its handler sees the shutdown); one still in the
/// backlog when the listener closed is reset.
async fn wait_until_refused(port: u16) {
    anyio::fail_after(Duration::from_secs(10), async {
        loop {
            match TcpStream::connect(([127, 0, 0, 1], port).into()).await {
                Ok(stream) => drop(stream),
                Err(error) if error.kind() == ErrorKind::ConnectionRefused => return,
                Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
                Err(error) => panic!("unexpected connect error: {error}"),
            }
            anyio::lowlevel::checkpoint().await;
        }
    })
    .await
    .expect("the server stopped accepting within 10 s");
}

/// The stop comes while a slow request is in flight on a keep-alive connection: new
/// connections are refused, the request completes with 200, the server then closes the
/// connection by itself, and returns.
async fn a_slow_request_in_flight_completes(version: Version) {
    let (listener, port) = bind();
    let (stop, stopping) = stop_switch();
    let gates = Gates::default();
    let service = {
        let gates = gates.clone();
        service_fn(move |request| gates.clone().answer(request))
    };
    anyio::task_group(|tg| async move {
        let grace = Duration::from_secs(30);
        let server = tg.spawn(server::serve(listener, service, stopping, grace));
        let (mut sender, connection) = Sender::connect(&tg, port, version).await;
        let request = tg.spawn({
            let response = sender.get();
            async move { Ok(response.await) }
        });
        gates.arrived.wait().await;

        let stopped = Instant::now();
        stop.set();
        wait_until_refused(port).await;
        gates.release.set();
        let (status, body) = request.await.unwrap().unwrap();
        assert_eq!((status, &body[..]), (200, &b"slow and steady\n"[..]));

        // The client keeps its side open: the server closes the keep-alive connection.
        assert!(connection.await.unwrap(), "{version:?}: a clean close");
        assert!(sender.is_closed());
        let drained = server.await.unwrap();
        assert_eq!((drained.in_flight(), drained.cancelled()), (1, 0));
        assert!(
            stopped.elapsed() < grace,
            "returned without waiting out the grace"
        );
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test(timeout = 30)]
async fn a_slow_http1_request_in_flight_completes_after_the_stop() {
    a_slow_request_in_flight_completes(Version::HTTP_11).await;
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2, timeout = 30)]
async fn a_slow_http2_request_in_flight_completes_after_the_stop() {
    a_slow_request_in_flight_completes(Version::HTTP_2).await;
}

/// A request that outlasts the grace period is cancelled with its connection; the server
/// returns once the grace period is over.
async fn a_request_slower_than_the_grace_is_cancelled(version: Version) {
    let (listener, port) = bind();
    let (stop, stopping) = stop_switch();
    let gates = Gates::default(); // never released
    let service = {
        let gates = gates.clone();
        service_fn(move |request| gates.clone().answer(request))
    };
    anyio::task_group(|tg| async move {
        let grace = Duration::from_millis(200);
        let server = tg.spawn(server::serve(listener, service, stopping, grace));
        let (mut sender, _connection) = Sender::connect(&tg, port, version).await;
        let request = tg.spawn({
            let response = sender.get();
            async move { Ok(response.await) }
        });
        gates.arrived.wait().await;

        let stopped = Instant::now();
        stop.set();
        let outcome = request.await.unwrap();
        assert!(outcome.is_err(), "{version:?}: {outcome:?}");
        let drained = server.await.unwrap();
        assert!(
            stopped.elapsed() >= grace,
            "cancelled only when the grace ran out"
        );
        assert_eq!((drained.in_flight(), drained.cancelled()), (1, 1));
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

#[anyio::test(timeout = 30)]
async fn an_http1_request_slower_than_the_grace_is_cancelled() {
    a_request_slower_than_the_grace_is_cancelled(Version::HTTP_11).await;
}

#[anyio::test(timeout = 30)]
async fn an_http2_request_slower_than_the_grace_is_cancelled() {
    a_request_slower_than_the_grace_is_cancelled(Version::HTTP_2).await;
}

/// hyper's header-read timeout works: it runs on `AnyioTimer`, here on virtual time, so the
/// 30 s the example allows pass at once.
#[anyio::test(virtual_time, timeout = 30)]
async fn the_header_read_timeout_closes_a_silent_client() {
    let (listener, port) = bind();
    let (stop, stopping) = stop_switch();
    anyio::task_group(|tg| async move {
        let grace = Duration::from_secs(1);
        let server = tg.spawn(server::serve(
            listener,
            service_fn(server::hello),
            stopping,
            grace,
        ));
        let start = anyio::current_time();
        let mut client = TcpStream::connect(([127, 0, 0, 1], port).into()).await?;
        client.send(b"GET / HTTP/1.1\r\nHost: loc").await?; // and nothing more
        let mut answer = Vec::new();
        let mut buf = [0; 256];
        loop {
            match client.receive(&mut buf).await {
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(StreamError::EndOfStream | StreamError::Broken(_)) => break,
                Err(error) => panic!("{error}"),
            }
        }
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        assert!(anyio::current_time() - start >= Duration::from_secs(30));
        stop.set();
        assert_eq!(server.await.unwrap().cancelled(), 0);
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[anyio::test(timeout = 30)]
async fn the_executor_spawns_children_of_its_group() {
    let ran = Arc::new(Event::new());
    let executor = anyio::task_group(|tg| {
        let ran = Arc::clone(&ran);
        async move {
            let executor = TaskGroupExecutor::new(tg.clone());
            let running = Arc::clone(&ran);
            executor.execute(async move {
                running.set();
                anyio::sleep_forever().await;
            });
            ran.wait().await;
            // The child never ends by itself: the group completes because cancelling the
            // group cancels it.
            tg.cancel();
            Ok::<_, Infallible>(executor)
        }
    })
    .await
    .unwrap()
    .expect("the body returned before it suspended again");

    // The group has completed: a task handed over now is dropped, not run, and nothing panics.
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(Arc::clone(&dropped));
    executor.execute(async move {
        let _guard = guard;
        unreachable!("a closed group runs nothing");
    });
    assert!(dropped.load(Ordering::SeqCst));
}

/// The module docs say that hyper-util's `TokioIo` works over anyio's streams on both
/// backends (anyio's streams implement tokio's traits without a tokio runtime).
#[cfg(feature = "tokio")]
#[anyio::test(timeout = 30)]
async fn tokio_io_works_over_anyio_streams_on_every_backend() {
    use anyio::streams::Listener;
    use hyper_util::rt::TokioIo;

    let (mut listener, port) = bind();
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            listener
                .serve(|stream| async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(server::hello))
                        .await;
                })
                .await;
        });
        let stream = TcpStream::connect(([127, 0, 0, 1], port).into()).await?;
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tg.spawn(async move {
            let _ = connection.await;
        });
        let request = Request::get("http://localhost/").body(Empty::<Bytes>::new());
        let response = sender.send_request(request.unwrap()).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("hello over HTTP/1.1 on {}\n", backend()));
        tg.cancel();
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
}
