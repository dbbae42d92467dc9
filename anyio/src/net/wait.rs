//! Waiting for a file descriptor to become readable or writable (AnyIO's `wait_readable` and
//! `wait_writable`), for descriptors that anyio does not manage, and waking those waits before
//! the descriptor is closed (AnyIO's `notify_closing`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::pin::pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use crate::backend::{Direction, Watched};
use crate::{BusyResourceError, ClosedResourceError};

/// Waits until `fd` can be read from without blocking (AnyIO's `wait_readable`).
///
/// The descriptor is watched while somebody waits on it, and its flags are left alone. One
/// task at a time may wait on a descriptor in each direction.
///
/// # Errors
/// A `ResourceBusy` error carrying [`BusyResourceError`] while another task waits for the
/// same descriptor to be readable; a `NotConnected` error carrying [`ClosedResourceError`]
/// once [`notify_closing`] is called for the descriptor during the wait; the reactor's error
/// if the descriptor cannot be watched (one that anyio or the runtime already watches, such as
/// an anyio socket's, cannot be watched a second time: use the socket's own operations).
///
/// # Cancel safety
/// Cancel safe: the wait ends, and the descriptor stops being watched unless another task
/// waits on it.
///
/// # Examples
/// ```
/// use std::io::Write;
/// use std::os::fd::AsFd;
///
/// anyio::run(async {
///     let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
///     writer.write_all(b"!").unwrap();
///     anyio::net::wait_readable(reader.as_fd()).await.unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn wait_readable(fd: BorrowedFd<'_>) -> io::Result<()> {
    wait(fd, Direction::Read).await
}

/// Waits until `fd` can be written to without blocking (AnyIO's `wait_writable`). As
/// [`wait_readable`], for the other direction.
///
/// # Errors
/// As [`wait_readable`].
///
/// # Cancel safety
/// As [`wait_readable`].
///
/// # Examples
/// ```
/// use std::os::fd::AsFd;
///
/// anyio::run(async {
///     let (socket, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
///     anyio::net::wait_writable(socket.as_fd()).await.unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn wait_writable(fd: BorrowedFd<'_>) -> io::Result<()> {
    wait(fd, Direction::Write).await
}

/// Wakes the tasks waiting in [`wait_readable`] or [`wait_writable`] on `fd`, which is about
/// to be closed (AnyIO's `notify_closing`): their waits fail with [`ClosedResourceError`].
/// Does nothing if nobody waits on it; waits that start afterwards are not affected.
///
/// Call it before closing a descriptor that another task may be waiting on, so that the wait
/// does not go on for a descriptor that is gone (or, worse, for whatever file next gets its
/// number). A woken wait still holds its direction until it is dropped: a second wait in the
/// same direction started before then is busy.
///
/// # Examples
/// ```
/// use std::os::fd::AsFd;
/// use anyio::net::{notify_closing, wait_readable};
///
/// anyio::run(async {
///     let (socket, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
///     let mut waiting = Box::pin(wait_readable(socket.as_fd()));
///     // The wait begins (nothing to read: it would go on for ever)...
///     assert!(futures_lite::future::poll_once(&mut waiting).await.is_none());
///     // ... and ends when told that the descriptor is closing.
///     notify_closing(socket.as_fd());
///     let error = waiting.await.unwrap_err();
///     assert!(error.get_ref().unwrap().is::<anyio::ClosedResourceError>());
///     drop(socket); // now the descriptor can be closed
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn notify_closing(fd: BorrowedFd<'_>) {
    let waiters: Vec<Arc<Closing>> = {
        let entries = entries()
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match entries.get(&fd.as_raw_fd()) {
            Some(entry) => [&entry.reading, &entry.writing]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    };
    // Woken outside the lock: a waker may run code of its own.
    for closing in waiters {
        closing.notify();
    }
}

async fn wait(fd: BorrowedFd<'_>, direction: Direction) -> io::Result<()> {
    // The waiter's borrow of `fd` lasts until it is dropped, after the wait.
    let waiter = Waiter::claim(fd.as_raw_fd(), direction)?;
    let mut ready = pin!(waiter.watched.ready(direction));
    std::future::poll_fn(|cx| {
        if waiter.closing.poll_notified(cx).is_ready() {
            return Poll::Ready(Err(ClosedResourceError::new().into()));
        }
        ready.as_mut().poll(cx)
    })
    .await
}

/// A descriptor being waited on: its watch, and each direction's waiter, by its closing
/// notice.
struct Entry {
    watched: Arc<Watched>,
    reading: Option<Arc<Closing>>,
    writing: Option<Arc<Closing>>,
}

impl Entry {
    fn waiting(&mut self, direction: Direction) -> &mut Option<Arc<Closing>> {
        match direction {
            Direction::Read => &mut self.reading,
            Direction::Write => &mut self.writing,
        }
    }
}

/// One waiter's notice that its descriptor is about to be closed.
#[derive(Default)]
struct Closing(Mutex<ClosingState>);

#[derive(Default)]
struct ClosingState {
    notified: bool,
    waker: Option<Waker>,
}

impl Closing {
    fn notify(&self) {
        let mut state = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        state.notified = true;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Ready once notified; otherwise wakes `cx`'s task when it is.
    fn poll_notified(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        if state.notified {
            return Poll::Ready(());
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

fn entries() -> &'static Mutex<HashMap<RawFd, Entry>> {
    static ENTRIES: OnceLock<Mutex<HashMap<RawFd, Entry>>> = OnceLock::new();
    ENTRIES.get_or_init(Mutex::default)
}

/// One task's wait on a descriptor in one direction; ended when dropped.
struct Waiter {
    fd: RawFd,
    direction: Direction,
    watched: Arc<Watched>,
    closing: Arc<Closing>,
}

impl Waiter {
    fn claim(fd: RawFd, direction: Direction) -> io::Result<Waiter> {
        let mut entries = entries()
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let entry = match entries.entry(fd) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(vacant) => {
                // SAFETY: every waiter on `fd` borrows it (see `wait`) until it is dropped,
                // and the watch is dropped with the last waiter's entry: the descriptor is
                // open and the same throughout.
                let watched = unsafe { Watched::new(fd) }?;
                vacant.insert(Entry {
                    watched: Arc::new(watched),
                    reading: None,
                    writing: None,
                })
            }
        };
        let waiting = entry.waiting(direction);
        if waiting.is_some() {
            return Err(BusyResourceError::new(match direction {
                Direction::Read => "waiting to read from",
                Direction::Write => "waiting to write to",
            })
            .into());
        }
        let closing = Arc::new(Closing::default());
        *waiting = Some(Arc::clone(&closing));
        Ok(Waiter {
            fd,
            direction,
            watched: Arc::clone(&entry.watched),
            closing,
        })
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut entries = entries()
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(entry) = entries.get_mut(&self.fd) {
            let waiting = entry.waiting(self.direction);
            if waiting
                .as_ref()
                .is_some_and(|closing| Arc::ptr_eq(closing, &self.closing))
            {
                *waiting = None;
            }
            if entry.reading.is_none() && entry.writing.is_none() {
                entries.remove(&self.fd);
            }
        }
    }
}
