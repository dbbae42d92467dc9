//! A non-blocking file descriptor registered with the running backend's reactor: tokio's
//! `AsyncFd` or async-io's `Async`. Every anyio socket is one of these, so that each readiness
//! wait is matched on the backend in this one place.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll, ready};

use super::Active;

/// `T`, registered with the reactor of the backend it was made on.
#[derive(Debug)]
pub(crate) enum Registered<T: AsFd + AsRawFd> {
    #[cfg(feature = "tokio")]
    Tokio(::tokio::io::unix::AsyncFd<T>),
    #[cfg(feature = "smol")]
    Smol(async_io::Async<T>),
}

/// A std type that owns its file descriptor, which stays open and the same for as long as the
/// value lives (what tokio's `AsyncFd::register` asks of its caller): the sockets, and
/// `OwnedFd` itself (the read end of a signal receiver's pipe, a child process's pipes and
/// pidfd).
pub(crate) trait OwnsFd: AsFd + AsRawFd {}

impl OwnsFd for std::os::fd::OwnedFd {}
impl OwnsFd for std::net::TcpStream {}
impl OwnsFd for std::net::TcpListener {}
impl OwnsFd for std::net::UdpSocket {}
impl OwnsFd for std::os::unix::net::UnixStream {}
impl OwnsFd for std::os::unix::net::UnixListener {}
impl OwnsFd for std::os::unix::net::UnixDatagram {}

/// Which readiness an operation waits for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl<T: AsFd + AsRawFd> Registered<T> {
    /// Registers `io`, which must already be non-blocking, with the reactor of the backend
    /// running the caller.
    pub(crate) fn new(io: T) -> io::Result<Self>
    where
        T: OwnsFd,
    {
        match super::current().map_err(io::Error::other)? {
            #[cfg(feature = "tokio")]
            Active::Tokio => {
                // SAFETY: `T: OwnsFd` owns its file descriptor: it stays open and the same for
                // as long as the value lives, here inside the `AsyncFd`.
                let fd = unsafe { ::tokio::io::unix::AsyncFd::register(io) }?;
                Ok(Registered::Tokio(fd))
            }
            #[cfg(feature = "smol")]
            Active::Smol => Ok(Registered::Smol(async_io::Async::new_nonblocking(io)?)),
        }
    }

    /// The registered object.
    pub(crate) fn get_ref(&self) -> &T {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(fd) => fd.get_ref(),
            #[cfg(feature = "smol")]
            Registered::Smol(source) => source.get_ref(),
        }
    }

    /// Runs `op` (a non-blocking system call on the object) until it does not report
    /// `WouldBlock`, waiting for `direction`'s readiness in between.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(fd) => loop {
                let mut ready = match direction {
                    Direction::Read => ready!(fd.poll_read_ready(cx))?,
                    Direction::Write => ready!(fd.poll_write_ready(cx))?,
                };
                // `try_io` clears the readiness when `op` would block, so the next poll waits.
                if let Ok(result) = ready.try_io(|fd| op(fd.get_ref())) {
                    return Poll::Ready(result);
                }
            },
            #[cfg(feature = "smol")]
            Registered::Smol(source) => loop {
                // async-io's readiness is an edge since the last wait: try first, then wait.
                match op(source.get_ref()) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    result => return Poll::Ready(result),
                }
                match direction {
                    Direction::Read => ready!(source.poll_readable(cx))?,
                    Direction::Write => ready!(source.poll_writable(cx))?,
                }
            },
        }
    }

    /// [`poll_io`](Self::poll_io) as a future, for operations that are `async` anyway. On smol
    /// each wait is a fresh readiness future: a waiting `poll_readable` leaves async-io's
    /// readiness marked once a later call succeeds without it, and the next operation would
    /// then try the system call once for nothing (one wasted `recvfrom` per receive).
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(_) => {
                std::future::poll_fn(|cx| self.poll_io(cx, direction, &mut op)).await
            }
            #[cfg(feature = "smol")]
            Registered::Smol(source) => loop {
                match op(source.get_ref()) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    result => return result,
                }
                match direction {
                    Direction::Read => source.readable().await?,
                    Direction::Write => source.writable().await?,
                }
            },
        }
    }

    /// [`io`](Self::io) for an object that several tasks may wait on at once (a process's exit
    /// descriptor): each waiter waits in the reactor's list of its own instead of the one slot
    /// that [`poll_io`](Self::poll_io) keeps per direction, where a second waiter would take
    /// the first one's place.
    pub(crate) async fn io_shared<R>(
        &self,
        direction: Direction,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(fd) => {
                let mut op = op;
                loop {
                    let mut ready = match direction {
                        Direction::Read => fd.readable().await?,
                        Direction::Write => fd.writable().await?,
                    };
                    // As in `poll_io`: a `WouldBlock` clears the readiness, so the next turn
                    // waits.
                    if let Ok(result) = ready.try_io(|fd| op(fd.get_ref())) {
                        return result;
                    }
                }
            }
            // async-io keeps a list of waiters per direction already.
            #[cfg(feature = "smol")]
            Registered::Smol(_) => self.io(direction, op).await,
        }
    }

    /// [`poll_io`](Self::poll_io) for a transfer of up to `len` bytes on a *stream* (a stream
    /// socket, a pipe). On Linux, whose epoll anyio's reactors use edge-triggered, a transfer
    /// that moves fewer bytes than offered has emptied the receive buffer (a read) or filled
    /// the send buffer (a write): the readiness is cleared at once, so the next transfer waits
    /// for the next edge instead of trying a system call that can only fail with `WouldBlock`
    /// (tokio's own sockets and pipes do the same). Not for datagram sockets, where a short
    /// datagram says nothing about the ones queued behind it.
    pub(crate) fn poll_stream(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(fd) => {
                let mut op = op;
                loop {
                    let mut ready = match direction {
                        Direction::Read => ready!(fd.poll_read_ready(cx))?,
                        Direction::Write => ready!(fd.poll_write_ready(cx))?,
                    };
                    if let Ok(result) = ready.try_io(|fd| op(fd.get_ref())) {
                        // Not a `let` chain: those need Rust 1.88, and the library 1.85.
                        let short = matches!(result, Ok(n) if 0 < n && n < len);
                        if short && cfg!(any(target_os = "linux", target_os = "android")) {
                            // Only the readiness this guard saw is cleared: an edge that came
                            // after the transfer stays.
                            ready.clear_ready();
                        }
                        return Poll::Ready(result);
                    }
                }
            }
            // async-io's readiness is a count of edges, not a flag this could clear.
            #[cfg(feature = "smol")]
            Registered::Smol(_) => {
                let _ = len;
                self.poll_io(cx, direction, op)
            }
        }
    }

    /// [`poll_stream`](Self::poll_stream) as a future, as [`io`](Self::io) is.
    pub(crate) async fn stream(
        &self,
        direction: Direction,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(_) => {
                let mut op = op;
                std::future::poll_fn(|cx| self.poll_stream(cx, direction, len, &mut op)).await
            }
            #[cfg(feature = "smol")]
            Registered::Smol(_) => {
                let _ = len;
                self.io(direction, op).await
            }
        }
    }

    /// Deregisters the object and gives it back.
    pub(crate) fn into_inner(self) -> io::Result<T> {
        match self {
            #[cfg(feature = "tokio")]
            Registered::Tokio(fd) => Ok(fd.into_inner()),
            #[cfg(feature = "smol")]
            Registered::Smol(source) => source.into_inner(),
        }
    }
}

/// A raw file descriptor that somebody else owns, in the shape the reactors take.
struct Unowned(std::os::fd::RawFd);

impl AsRawFd for Unowned {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0
    }
}

impl AsFd for Unowned {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        // SAFETY: `Watched::new`'s caller keeps the descriptor open for as long as the
        // `Watched` (which holds this value) lives.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(self.0) }
    }
}

/// A descriptor anyio does not own, watched for both directions by the reactor of the
/// backend running the caller, without changing its flags. Several tasks may wait on it at
/// once, in either direction.
#[derive(Debug)]
pub(crate) struct Watched(WatchedBy);

#[derive(Debug)]
enum WatchedBy {
    #[cfg(feature = "tokio")]
    Tokio(::tokio::io::unix::AsyncFd<Unowned>),
    #[cfg(feature = "smol")]
    Smol(async_io::Async<Unowned>),
}

impl std::fmt::Debug for Unowned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fd {}", self.0)
    }
}

impl Watched {
    /// Watches `fd`.
    ///
    /// # Safety
    /// `fd` must stay open, and refer to the same file, for as long as the returned value
    /// lives.
    pub(crate) unsafe fn new(fd: std::os::fd::RawFd) -> io::Result<Watched> {
        match super::current().map_err(io::Error::other)? {
            #[cfg(feature = "tokio")]
            Active::Tokio => {
                // SAFETY: the caller keeps `fd` open and the same while this value lives;
                // dropping the `AsyncFd` deregisters it.
                let registered = unsafe { ::tokio::io::unix::AsyncFd::register(Unowned(fd)) }?;
                Ok(Watched(WatchedBy::Tokio(registered)))
            }
            #[cfg(feature = "smol")]
            Active::Smol => {
                let registered = async_io::Async::new_nonblocking(Unowned(fd))?;
                Ok(Watched(WatchedBy::Smol(registered)))
            }
        }
    }

    /// Waits until the descriptor is ready for `direction`.
    pub(crate) async fn ready(&self, direction: Direction) -> io::Result<()> {
        match &self.0 {
            #[cfg(feature = "tokio")]
            WatchedBy::Tokio(fd) => {
                match direction {
                    Direction::Read => drop(fd.readable().await?),
                    Direction::Write => drop(fd.writable().await?),
                }
                Ok(())
            }
            #[cfg(feature = "smol")]
            WatchedBy::Smol(source) => match direction {
                Direction::Read => source.readable().await,
                Direction::Write => source.writable().await,
            },
        }
    }
}
