//! `wait_readable` and `wait_writable` on descriptors anyio does not manage, on every
//! backend: readiness, one waiter per direction, and cancellation.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::pin::pin;
use std::time::Duration;

use anyio::net::{wait_readable, wait_writable};
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
