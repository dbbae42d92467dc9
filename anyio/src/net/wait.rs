//! Waiting for a file descriptor to become readable or writable (AnyIO's `wait_readable` and
//! `wait_writable`), for descriptors that anyio does not manage.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, Mutex, OnceLock};

use crate::BusyResourceError;
use crate::backend::{Direction, Watched};

/// Waits until `fd` can be read from without blocking (AnyIO's `wait_readable`).
///
/// The descriptor is watched while somebody waits on it, and its flags are left alone. One
/// task at a time may wait on a descriptor in each direction.
///
/// # Errors
/// A `ResourceBusy` error carrying [`BusyResourceError`] while another task waits for the
/// same descriptor to be readable; the reactor's error if the descriptor cannot be watched
/// (one that anyio or the runtime already watches, such as an anyio socket's, cannot be
/// watched a second time: use the socket's own operations).
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

async fn wait(fd: BorrowedFd<'_>, direction: Direction) -> io::Result<()> {
    // The waiter's borrow of `fd` lasts until it is dropped, after the wait.
    let waiter = Waiter::claim(fd.as_raw_fd(), direction)?;
    waiter.watched.ready(direction).await
}

/// A descriptor being waited on: its watch, and which directions have a waiter.
struct Entry {
    watched: Arc<Watched>,
    reading: bool,
    writing: bool,
}

impl Entry {
    fn waiting(&mut self, direction: Direction) -> &mut bool {
        match direction {
            Direction::Read => &mut self.reading,
            Direction::Write => &mut self.writing,
        }
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
                    reading: false,
                    writing: false,
                })
            }
        };
        let waiting = entry.waiting(direction);
        if *waiting {
            return Err(BusyResourceError::new(match direction {
                Direction::Read => "waiting to read from",
                Direction::Write => "waiting to write to",
            })
            .into());
        }
        *waiting = true;
        Ok(Waiter {
            fd,
            direction,
            watched: Arc::clone(&entry.watched),
        })
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut entries = entries()
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(entry) = entries.get_mut(&self.fd) {
            *entry.waiting(self.direction) = false;
            if !entry.reading && !entry.writing {
                entries.remove(&self.fd);
            }
        }
    }
}
