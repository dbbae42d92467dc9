//! The graceful-shutdown example's server, on every backend, stopped by a signal the test sends
//! itself: the connection in flight is served to its end, new connections are refused, and
//! the server returns; or, when the connection outlasts the grace period, it is closed and the
//! server returns all the same.
//!
//! Each test and backend uses a signal of its own: `cargo test` runs the tests as threads of
//! one process, and every receiver of a signal sees every delivery.
#![cfg(feature = "macros")]

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use anyio::net::{TcpListener, TcpStream};
use anyio::signal::{Signal, open_signal_receiver};
use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError};

#[allow(dead_code)] // its `main` is not called here
#[path = "../examples/graceful_shutdown.rs"]
mod example;

/// The signal of one test on the running backend.
fn signal_for(on_tokio: Signal, on_smol: Signal) -> Signal {
    match anyio::current_async_library().unwrap() {
        anyio::Backend::Tokio => on_tokio,
        _ => on_smol,
    }
}

fn raise(signal: Signal) {
    // SAFETY: `raise` has no preconditions; the server's receiver handles the signal.
    assert_eq!(unsafe { libc::raise(signal.as_raw()) }, 0);
}

async fn connect(port: u16) -> std::io::Result<TcpStream> {
    TcpStream::connect(([127, 0, 0, 1], port).into()).await
}

/// Sends `line` and reads its echo.
async fn round_trip(stream: &mut TcpStream, line: &[u8]) {
    stream.send(line).await.unwrap();
    let mut echoed = Vec::new();
    let mut buf = [0; 64];
    while echoed.len() < line.len() {
        let n = stream.receive(&mut buf).await.unwrap();
        echoed.extend_from_slice(&buf[..n]);
    }
    assert_eq!(echoed, line);
}

/// Connects until the server refuses: it stops accepting soon after the signal. A connection
/// accepted meanwhile is closed at once (the server serves it to its quick end); one still in
/// the backlog when the listener closed is reset.
async fn wait_until_refused(port: u16) {
    anyio::fail_after(Duration::from_secs(10), async {
        loop {
            match connect(port).await {
                Ok(stream) => drop(stream),
                Err(error) if error.kind() == ErrorKind::ConnectionRefused => return,
                // Queued in the backlog as the listener closed: the next attempt is refused.
                Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
                Err(error) => panic!("unexpected connect error: {error}"),
            }
            anyio::lowlevel::checkpoint().await;
        }
    })
    .await
    .expect("the server stopped accepting within 10 s");
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn the_connection_in_flight_finishes_and_new_ones_are_refused() {
    let signal = signal_for(Signal::SIGUSR1, Signal::SIGUSR2);
    let signals = open_signal_receiver([signal]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = listener.local_addr().unwrap().port();
    let grace = Duration::from_secs(30);

    let stopped = anyio::task_group(|tg| async move {
        let server = tg.spawn(example::serve_until_signalled(listener, signals, grace));
        let mut in_flight = connect(port).await.unwrap();
        round_trip(&mut in_flight, b"before the signal\n").await;

        raise(signal);
        wait_until_refused(port).await;

        // Still served after the signal, until it ends itself.
        round_trip(&mut in_flight, b"after the signal\n").await;
        in_flight.send_eof().await.unwrap();
        let mut buf = [0; 8];
        assert!(matches!(
            in_flight.receive(&mut buf).await,
            Err(StreamError::EndOfStream)
        ));
        let started = Instant::now();
        let stopped_by = server.await.unwrap();
        assert!(
            started.elapsed() < grace,
            "the server returned once its last connection ended, not at the grace's end"
        );
        Ok::<_, std::io::Error>(stopped_by)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stopped, signal);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_connection_outlasting_the_grace_period_is_closed() {
    let signal = signal_for(Signal::SIGHUP, Signal::SIGWINCH);
    let signals = open_signal_receiver([signal]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = listener.local_addr().unwrap().port();
    let grace = Duration::from_millis(200);

    anyio::task_group(|tg| async move {
        let server = tg.spawn(example::serve_until_signalled(listener, signals, grace));
        let mut lingering = connect(port).await.unwrap();
        round_trip(&mut lingering, b"hello\n").await;

        let raised = Instant::now();
        raise(signal);
        // The client never ends its side: the server closes it when the grace period ends.
        let mut buf = [0; 8];
        let outcome = anyio::fail_after(Duration::from_secs(10), lingering.receive(&mut buf))
            .await
            .expect("the server closed the connection within 10 s");
        assert!(
            matches!(
                outcome,
                Err(StreamError::EndOfStream | StreamError::Broken(_))
            ),
            "{outcome:?}"
        );
        assert!(
            raised.elapsed() >= grace,
            "closed only once the grace period ran out"
        );
        assert_eq!(server.await.unwrap(), signal);
        Ok::<_, std::io::Error>(())
    })
    .await
    .unwrap();
}
