//! An HTTP/1 and HTTP/2 server on hyper, served by anyio on either backend, that shuts down
//! gracefully on Ctrl+C or `SIGTERM`.
//!
//! ```text
//! cargo run -p anyio --example hyper_server --all-features
//! ANYIO_BACKEND=smol cargo run -p anyio --example hyper_server --all-features
//! curl http://127.0.0.1:<port>/                          # HTTP/1.1
//! curl --http2-prior-knowledge http://127.0.0.1:<port>/  # HTTP/2 over cleartext (h2c)
//! ```
//!
//! hyper-util's auto builder tells HTTP/1 from HTTP/2 by the connection's first bytes. anyio
//! gives it what hyper needs from a runtime (`anyio::hyper`): the connection's streams through
//! `HyperIo`, a timer on anyio's clock, and an executor that makes each HTTP/2 stream a child
//! task of its connection's task group. `Listener::serve_graceful` runs the connections; when
//! the stop comes it refuses new ones, asks each connection to close after the request in
//! flight (hyper's `graceful_shutdown`: keep-alive connections close, HTTP/2 sends `GOAWAY`),
//! and cancels whatever still runs when the grace period ends.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::io;
use std::time::Duration;

use anyio::hyper::{AnyioTimer, HyperIo, TaskGroupExecutor};
use anyio::net::{TcpListener, TcpStream};
use anyio::signal::{Signal, open_signal_receiver};
use anyio::streams::{Drained, Listener, Shutdown};
use hyper::body::{Body, Incoming};
use hyper::service::{Service, service_fn};
use hyper::{Request, Response};
use hyper_util::server::conn::auto;

/// How long a client may take to send a request's head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the connections in flight get once the stop came.
const GRACE: Duration = Duration::from_secs(10);

/// Serves one connection with `service`, HTTP/1 or HTTP/2, whichever the client speaks, until
/// it ends; once `shutdown` starts, the connection closes after the requests in flight.
pub(crate) async fn serve_connection<S, B>(stream: TcpStream, service: S, shutdown: Shutdown)
where
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    // One group per connection: its HTTP/2 streams are the connection's children, so a
    // connection cancelled at the end of the grace period takes its streams along.
    let served = anyio::task_group(|streams| async move {
        let mut builder = auto::Builder::new(TaskGroupExecutor::new(streams));
        builder
            .http1()
            .timer(AnyioTimer)
            .header_read_timeout(HEADER_READ_TIMEOUT);
        builder.http2().timer(AnyioTimer);
        let connection = builder.serve_connection(HyperIo::new(stream), service);
        shutdown
            .watch(connection, auto::Connection::graceful_shutdown)
            .await
    })
    .await;
    // A client that goes away mid-request ends its own connection, nothing more.
    if let Err(error) = served {
        eprintln!("a connection failed: {error}");
    }
}

/// Serves `listener` with `service` until `stop` completes, then shuts down gracefully
/// within `grace` (see `Listener::serve_graceful`).
///
/// # Errors
/// An accept error that means the listener is broken.
pub(crate) async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    stop: impl Future<Output = ()> + Send,
    grace: Duration,
) -> io::Result<Drained>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let handler = move |stream, shutdown| serve_connection(stream, service.clone(), shutdown);
    listener.serve_graceful(handler, stop, grace).await
}

/// Says hello, naming the protocol and the backend.
pub(crate) async fn hello(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let backend = anyio::current_async_library().map_or("no backend".into(), |b| b.to_string());
    let text = format!("hello over {:?} on {backend}\n", request.version());
    Ok(Response::new(text))
}

fn main() -> Result<(), Box<dyn Error>> {
    anyio::run(async {
        // Opened before serving, so that a signal sent at start-up is not missed.
        let mut signals = open_signal_receiver([Signal::SIGTERM, Signal::SIGINT])?;
        let listener = TcpListener::bind("127.0.0.1:0".parse()?)?;
        println!(
            "serving HTTP/1 and HTTP/2 on http://{} with {}; stop with Ctrl+C",
            listener.local_addr()?,
            anyio::current_async_library()?
        );
        let stop = async move {
            if let Ok(signal) = signals.receive().await {
                println!("{signal}: no new connections; {GRACE:?} for those in flight");
            }
        };
        let drained = serve(listener, service_fn(hello), stop, GRACE).await?;
        println!(
            "stopped: {} connections were in flight, {} were cut at the end of the grace period",
            drained.in_flight(),
            drained.cancelled()
        );
        Ok::<_, Box<dyn Error>>(())
    })?
}
