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
//! `Listener::serve_graceful` does the work: it serves until a future completes (here, the
//! arrival of a signal), then closes the listener, gives the connections in flight the grace
//! period, and cancels those still running when it ends. Underneath it is the shape any anyio
//! server can take by hand: one task group holds the connections, and a deadline set on the
//! group's cancel scope bounds the time they get.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::net::{TcpListener, TcpStream};
use anyio::signal::{Signal, SignalReceiver, open_signal_receiver};
use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError};

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
/// An error receiving the signal, or an accept error that broke the listener.
pub(crate) async fn serve_until_signalled(
    listener: TcpListener,
    mut signals: SignalReceiver,
    grace: Duration,
) -> io::Result<Signal> {
    let received = Arc::new(Mutex::new(None));
    let stop = {
        let received = Arc::clone(&received);
        async move {
            let signal = signals.receive().await;
            if let Ok(signal) = &signal {
                eprintln!("{signal}: no new connections; {grace:?} for those in flight");
            }
            *received
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(signal);
        }
    };
    // An echo connection serves its peer to the end: it has nothing to wind down early.
    let drained = listener
        .serve_graceful(|stream, _shutdown| echo(stream), stop, grace)
        .await?;
    if drained.cancelled() > 0 {
        eprintln!(
            "the grace period ran out; {} connections left were closed",
            drained.cancelled()
        );
    }
    let received = received
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    received.unwrap_or_else(|| Err(io::Error::other("the server stopped without a signal")))
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
