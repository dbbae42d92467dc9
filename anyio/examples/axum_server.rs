//! An axum `Router` served by anyio, on smol as well as on tokio, shutting down gracefully on
//! Ctrl+C or `SIGTERM`.
//!
//! ```text
//! ANYIO_BACKEND=smol cargo run -p anyio --example axum_server --all-features
//! curl http://127.0.0.1:<port>/hello/world
//! ```
//!
//! `axum::serve` takes a tokio listener, so it runs on tokio only. A `Router` is a tower
//! service, though, and hyper-util's `TowerToHyperService` makes it a hyper service: served
//! through `anyio::hyper` like any other (HTTP/1 and HTTP/2 by hyper-util's auto builder), it
//! runs on either backend, and stops with `Listener::serve_graceful`.

use std::error::Error;
use std::io;
use std::time::Duration;

use anyio::hyper::{AnyioTimer, HyperIo, TaskGroupExecutor};
use anyio::net::{TcpListener, TcpStream};
use anyio::signal::{Signal, open_signal_receiver};
use anyio::streams::{Drained, Listener, Shutdown};
use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;

/// How long the connections in flight get once the stop came.
const GRACE: Duration = Duration::from_secs(10);

/// The application: plain axum, nothing anyio-specific.
pub(crate) fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "an axum app served by anyio\n" }))
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move {
                let backend =
                    anyio::current_async_library().map_or("none".into(), |b| b.to_string());
                format!("hello, {name}, from {backend}\n")
            }),
        )
}

/// Serves one connection with `app` until it ends, or closes it after the request in flight
/// once `shutdown` starts.
async fn serve_connection(stream: TcpStream, app: Router, shutdown: Shutdown) {
    let served = anyio::task_group(|streams| async move {
        let mut builder = auto::Builder::new(TaskGroupExecutor::new(streams));
        builder.http1().timer(AnyioTimer);
        builder.http2().timer(AnyioTimer);
        let service = TowerToHyperService::new(app);
        let connection = builder.serve_connection(HyperIo::new(stream), service);
        shutdown
            .watch(connection, auto::Connection::graceful_shutdown)
            .await
    })
    .await;
    if let Err(error) = served {
        eprintln!("a connection failed: {error}");
    }
}

/// Serves `app` on `listener` until `stop` completes, then shuts down gracefully within
/// `grace`.
///
/// # Errors
/// An accept error that means the listener is broken.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    stop: impl Future<Output = ()> + Send,
    grace: Duration,
) -> io::Result<Drained> {
    let handler = move |stream, shutdown| serve_connection(stream, app.clone(), shutdown);
    listener.serve_graceful(handler, stop, grace).await
}

fn main() -> Result<(), Box<dyn Error>> {
    anyio::run(async {
        let mut signals = open_signal_receiver([Signal::SIGTERM, Signal::SIGINT])?;
        let listener = TcpListener::bind("127.0.0.1:0".parse()?)?;
        println!(
            "serving axum on http://{} with {}; stop with Ctrl+C",
            listener.local_addr()?,
            anyio::current_async_library()?
        );
        let stop = async move {
            let _ = signals.receive().await;
        };
        let drained = serve(listener, app(), stop, GRACE).await?;
        println!("stopped; {} connections cut short", drained.cancelled());
        Ok::<_, Box<dyn Error>>(())
    })?
}
