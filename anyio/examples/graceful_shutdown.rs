//! A server that shuts down gracefully when it is told to stop by a signal.
//!
//! ```text
//! cargo run -p anyio --example graceful_shutdown --all-features
//! ```
//!
//! It serves a line-echo protocol on 127.0.0.1 (the port is printed) until `SIGTERM` (what a
//! service manager sends) or `SIGINT` (Ctrl+C) arrives. Then it stops accepting, so that new
//! connections are refused, gives the connections in flight a grace period to finish, cancels
//! those still running when it ends, and returns. Try it with `nc 127.0.0.1 <port>` in another
//! terminal, then Ctrl+C the server: the `nc` session keeps working until you end it or the
//! grace period runs out.
//!
//! The shape is the one every anyio server can take: one task group holds the connections, a
//! cancel scope around the accept loop stops accepting, and a deadline set on the scope around
//! the whole group bounds the time the connections get.

use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyio::CancelScope;
use anyio::net::{TcpListener, TcpStream};
use anyio::signal::{Signal, SignalReceiver, open_signal_receiver};
use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError};

/// How long the connections in flight get once a signal came.
const GRACE: Duration = Duration::from_secs(10);

/// Echoes what the peer sends until it half-closes. Errors end this connection only: a server
/// logs them rather than letting one connection take the others down.
async fn echo(mut stream: TcpStream) {
    let mut buf = [0; 4096];
    let outcome: Result<(), StreamError> = async {
        loop {
            match stream.receive(&mut buf).await {
                Ok(n) => stream.send(&buf[..n]).await?,
                Err(StreamError::EndOfStream) => return stream.send_eof().await,
                Err(error) => return Err(error),
            }
        }
    }
    .await;
    if let Err(error) = outcome {
        eprintln!("a connection failed: {error}");
    }
}

/// Serves `listener` until one of the signals of `signals` arrives; then stops accepting (the
/// listener is closed, so new connections are refused), lets the connections in flight finish
/// within `grace`, cancels those still running after it, and returns the signal.
///
/// # Errors
/// An error receiving the signal.
pub(crate) async fn serve_until_signalled(
    mut listener: TcpListener,
    mut signals: SignalReceiver,
    grace: Duration,
) -> io::Result<Signal> {
    // Around everything, connections included: it gets a deadline when the signal comes.
    let server = CancelScope::new();
    let shutdown = server.handle();
    // Around the accept loop only: cancelled when the signal comes.
    let accepting = CancelScope::new();
    let stop_accepting = accepting.handle();

    let received = Arc::new(OnceLock::new());
    let served = server
        .run(anyio::task_group(|connections| {
            let received = Arc::clone(&received);
            async move {
                connections.spawn(async move {
                    let signal = signals.receive().await?;
                    eprintln!("{signal}: no new connections; {grace:?} for those in flight");
                    received.get_or_init(|| signal);
                    stop_accepting.cancel();
                    shutdown.set_deadline(Some(Instant::now() + grace));
                    Ok::<_, io::Error>(())
                });
                accepting
                    .run(async {
                        loop {
                            match listener.accept().await {
                                Ok((stream, _peer)) => drop(connections.spawn(echo(stream))),
                                // A failed accept (a connection reset before it was taken, say)
                                // concerns that connection only.
                                Err(error) => eprintln!("accept failed: {error}"),
                            }
                        }
                    })
                    .await;
                // New connections are refused from here on. The group then waits for the
                // connections in flight, or until the deadline cancels them.
                drop(listener);
                Ok::<_, io::Error>(())
            }
        }))
        .await;
    match served {
        Some(Err(error)) => return Err(io::Error::other(error)),
        Some(Ok(_)) => {}
        None => eprintln!("the grace period ran out; the connections left were closed"),
    }
    received
        .get()
        .copied()
        .ok_or_else(|| io::Error::other("the server stopped without a signal"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    anyio::run(async {
        // Opened before serving, so that a signal sent at start-up is not missed.
        let signals = open_signal_receiver([Signal::SIGTERM, Signal::SIGINT])?;
        let listener = TcpListener::bind("127.0.0.1:0".parse()?)?;
        println!(
            "echoing on {} with {}; stop with Ctrl+C or `kill {}`",
            listener.local_addr()?,
            anyio::current_async_library()?,
            std::process::id()
        );
        let signal = serve_until_signalled(listener, signals, GRACE).await?;
        println!("stopped by {signal}");
        Ok::<_, Box<dyn std::error::Error>>(())
    })?
}
