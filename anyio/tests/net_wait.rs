//! `wait_readable` and `wait_writable` on descriptors anyio does not manage, on every
//! backend: readiness, one waiter per direction, cancellation, and `notify_closing`.
#![cfg(feature = "macros")]

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{notify_closing, wait_readable, wait_writable};
use anyio::sync::Event;
use anyio::{ClosedResourceError, TaskGroup};
use futures_lite::future::poll_once;

const LIMIT: Duration = Duration::from_secs(10);

#[anyio::test]
async fn a_wait_ends_when_the_descriptor_is_ready() {
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    {
        let mut waiting = pin!(wait_readable(reader.as_fd()));
        assert!(
            poll_once(&mut waiting).await.is_none(),
            "nothing to read yet"
        );
        writer.write_all(b"now").unwrap();
        anyio::fail_after(LIMIT, waiting).await.unwrap().unwrap();
    }
    anyio::fail_after(LIMIT, wait_writable(writer.as_fd()))
        .await
        .unwrap()
        .unwrap();
}

#[anyio::test]
async fn one_waiter_per_direction_and_a_cancelled_wait_lets_go() {
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut first = Box::pin(wait_readable(reader.as_fd()));
    assert!(poll_once(&mut first).await.is_none());
    let busy = wait_readable(reader.as_fd()).await.unwrap_err();
    assert_eq!(busy.kind(), io::ErrorKind::ResourceBusy);
    assert!(busy.to_string().contains("waiting to read from"), "{busy}");
    // The other direction is free.
    anyio::fail_after(LIMIT, wait_writable(reader.as_fd()))
        .await
        .unwrap()
        .unwrap();
    drop(first); // cancelled mid-wait
    writer.write_all(b"x").unwrap();
    anyio::fail_after(LIMIT, wait_readable(reader.as_fd()))
        .await
        .unwrap()
        .unwrap();
}

#[anyio::test]
async fn a_descriptor_anyio_already_watches_is_a_clear_error() {
    let (stream, _peer) = anyio::net::UnixStream::pair().unwrap();
    let fd = anyio::streams::TypedAttributeProvider::extra(&stream, anyio::net::RawSocket).unwrap();
    // SAFETY: `stream` owns the descriptor and outlives this borrow.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let error = wait_readable(borrowed).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{error}");
}

/// Fills `socket`'s send buffer, so that it stays unwritable until its peer reads.
fn fill(socket: &UnixStream) {
    socket.set_nonblocking(true).unwrap();
    let chunk = [0; 4096];
    loop {
        match (&*socket).write(&chunk) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
            Err(error) => panic!("{error}"),
        }
    }
}

/// Whether `error` is the one a wait ends with when told that its descriptor is closing.
fn is_closed(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotConnected
        && error
            .get_ref()
            .is_some_and(|inner| inner.is::<ClosedResourceError>())
}

#[anyio::test]
async fn notify_closing_wakes_the_waiters_of_both_directions_from_another_task() {
    let (socket, peer) = UnixStream::pair().unwrap();
    fill(&socket); // unwritable, with nothing to read: neither wait ends by itself
    let socket = Arc::new(socket);
    let errors = anyio::fail_after(
        LIMIT,
        anyio::task_group(|tg: TaskGroup<io::Error>| {
            let socket = Arc::clone(&socket);
            async move {
                let mut waiters = Vec::new();
                for readable in [true, false] {
                    let started = Arc::new(Event::new());
                    let (socket, signal) = (Arc::clone(&socket), Arc::clone(&started));
                    waiters.push(tg.spawn(async move {
                        let mut waiting = pin!(async {
                            if readable {
                                wait_readable(socket.as_fd()).await
                            } else {
                                wait_writable(socket.as_fd()).await
                            }
                        });
                        // Polled once, the wait is under way; only then is the notice given.
                        assert!(poll_once(&mut waiting).await.is_none());
                        signal.set();
                        Ok::<io::Error, io::Error>(waiting.await.unwrap_err())
                    }));
                    started.wait().await;
                }
                notify_closing(socket.as_fd());
                let mut errors = Vec::new();
                for waiter in waiters {
                    errors.push(waiter.await.unwrap());
                }
                Ok(errors)
            }
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert_eq!(errors.len(), 2);
    for error in &errors {
        assert!(is_closed(error), "{error}");
    }
    // A wait that starts after the notice is not affected by it.
    (&peer).write_all(b"x").unwrap();
    anyio::fail_after(LIMIT, wait_readable(socket.as_fd()))
        .await
        .unwrap()
        .unwrap();
    // The descriptor can now be closed, and a new one (perhaps with the same number) waited on.
    drop(Arc::try_unwrap(socket).expect("the waiters are gone"));
    let (reader, mut writer) = UnixStream::pair().unwrap();
    writer.write_all(b"y").unwrap();
    anyio::fail_after(LIMIT, wait_readable(reader.as_fd()))
        .await
        .unwrap()
        .unwrap();
}

#[anyio::test]
async fn notify_closing_with_nobody_waiting_does_nothing() {
    let (reader, mut writer) = UnixStream::pair().unwrap();
    notify_closing(reader.as_fd());
    let mut waiting = pin!(wait_readable(reader.as_fd()));
    assert!(
        poll_once(&mut waiting).await.is_none(),
        "an earlier notice does not end a later wait"
    );
    writer.write_all(b"x").unwrap();
    anyio::fail_after(LIMIT, waiting).await.unwrap().unwrap();
}

#[anyio::test]
async fn a_woken_wait_holds_its_direction_until_dropped() {
    let (socket, mut peer) = UnixStream::pair().unwrap();
    let mut first = Box::pin(wait_readable(socket.as_fd()));
    assert!(poll_once(&mut first).await.is_none());
    notify_closing(socket.as_fd());
    let busy = wait_readable(socket.as_fd()).await.unwrap_err();
    assert_eq!(busy.kind(), io::ErrorKind::ResourceBusy, "{busy}");
    let error = anyio::fail_after(LIMIT, first.as_mut())
        .await
        .unwrap()
        .unwrap_err();
    assert!(is_closed(&error), "{error}");
    drop(first);
    peer.write_all(b"x").unwrap();
    anyio::fail_after(LIMIT, wait_readable(socket.as_fd()))
        .await
        .unwrap()
        .unwrap();
}
