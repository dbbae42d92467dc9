//! [`TcpListener`]: accepts TCP connections on whichever backend runs the caller.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll, ready};

use socket2::{Domain, Protocol, Socket, Type};

use super::TcpStream;
use crate::backend::wait_point::WaitPoint;
use crate::backend::{Direction, Registered};
use crate::cancel::gate::{gated_io, poll_io_gate};
use crate::net::attributes::provide_ip_attributes;
use crate::streams::{
    AsyncResource, AttributeRequest, Listener, StreamError, TypedAttributeProvider,
    is_about_one_connection,
};

/// The most connections a listener lets wait to be accepted (AnyIO's cap; the system may
/// lower it further).
pub(super) const DEFAULT_BACKLOG: i32 = 65_536;

/// A socket that accepts TCP connections (AnyIO's `SocketListener` for TCP).
///
/// [`bind`](Self::bind) sets `SO_REUSEADDR` (so a restarted server can bind its port at once)
/// and, on an IPv6 address, `IPV6_V6ONLY` (so the same port can be bound on IPv4 beside it).
///
/// # Examples
/// ```
/// use anyio::net::{TcpListener, TcpStream};
///
/// anyio::run(async {
///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (_server, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TcpListener {
    /// `None` once closed.
    io: Option<Registered<std::net::TcpListener>>,
}

impl TcpListener {
    /// Listens on `address` (port 0: a port the system picks), with a backlog of 65,536.
    ///
    /// # Errors
    /// The system's error, its message naming the address: the address is in use, not local,
    /// and so on.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::TcpListener;
    ///
    /// anyio::run(async {
    ///     let first = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let taken = first.local_addr().unwrap();
    ///     let error = TcpListener::bind(taken).unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn bind(address: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::bind_with_backlog(address, DEFAULT_BACKLOG)
    }

    /// [`bind`](Self::bind), with at most `backlog` connections waiting to be accepted.
    ///
    /// # Errors
    /// As [`bind`](Self::bind).
    ///
    /// # Examples
    /// ```
    /// use anyio::net::TcpListener;
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind_with_backlog("[::1]:0".parse().unwrap(), 16).unwrap();
    ///     assert!(listener.local_addr().unwrap().is_ipv6());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn bind_with_backlog(address: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
        TcpListener::bind_with(address, backlog, false, true)
    }

    /// Binds and listens, with `SO_REUSEPORT` if `reuse_port`; an IPv6 socket takes IPv4
    /// connections too unless `only_v6`.
    pub(super) fn bind_with(
        address: SocketAddr,
        backlog: i32,
        reuse_port: bool,
        only_v6: bool,
    ) -> io::Result<TcpListener> {
        let name = |error: io::Error| {
            io::Error::new(error.kind(), format!("cannot listen on {address}: {error}"))
        };
        let socket = Socket::new(
            Domain::for_address(address),
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )
        .map_err(name)?;
        socket.set_reuse_address(true).map_err(name)?;
        if reuse_port {
            socket.set_reuse_port(true).map_err(name)?;
        }
        if address.is_ipv6() {
            socket.set_only_v6(only_v6).map_err(name)?;
        }
        socket.bind(&address.into()).map_err(name)?;
        socket.listen(backlog).map_err(name)?;
        let io = Registered::new(std::net::TcpListener::from(socket)).map_err(name)?;
        Ok(TcpListener { io: Some(io) })
    }

    /// Waits for a connection and accepts it.
    ///
    /// A connection that failed before it could be accepted (`ECONNABORTED`, `ECONNRESET`,
    /// `EPERM` from a firewall, `EPROTO` and the other network errors Linux passes on from
    /// the new connection) is skipped, and the next one waited for, as Trio's listeners do:
    /// the caller could do nothing with it.
    ///
    /// # Errors
    /// [`StreamError::Closed`] (as an `io::Error`) once the listener is closed. Running out
    /// of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) is returned at once
    /// rather than waited out, so that the caller may free some; accepting works again once
    /// it has, and the connections wait in the backlog meanwhile.
    /// [`serve`](Listener::serve) waits and retries by itself. Any other error is the
    /// system's, and means the listener is broken.
    ///
    /// # Cancel safety
    /// Cancel safe: an accept dropped before it returned has accepted nothing, and one polled
    /// in a cancelled scope accepts nothing.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        let io = self.registered_io()?;
        loop {
            // Each attempt passes the gate: a flood of failing connections neither outlives a
            // cancellation nor keeps the task from yielding.
            match gated_io(
                WaitPoint::Accept,
                io.io(Direction::Read, accept_nonblocking),
            )
            .await
            {
                Ok((stream, peer)) => return adopt(stream, peer),
                Err(error) if is_about_one_connection(&error) => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Polls for a connection to accept, for code that multiplexes by hand: `Ready` with the
    /// connection, or `Pending` after arranging for `cx` to be woken when one may be there.
    ///
    /// Skips the connections that failed before they could be accepted, as
    /// [`accept`](Self::accept) does.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    ///
    /// # Examples
    /// ```
    /// use std::future::poll_fn;
    /// use anyio::net::{TcpListener, TcpStream};
    ///
    /// anyio::run(async {
    ///     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let _client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (_server, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn poll_accept(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let io = self.registered_io()?;
        loop {
            let unit = ready!(poll_io_gate(cx, WaitPoint::Accept));
            let accepted = ready!(io.poll_io(cx, Direction::Read, accept_nonblocking));
            unit.made_progress();
            match accepted {
                Ok((stream, peer)) => return Poll::Ready(adopt(stream, peer)),
                Err(error) if is_about_one_connection(&error) => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }

    /// The address the listener is bound to: with the port the system picked, if it was 0.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`TcpListener`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.registered_io()?.get_ref().local_addr()
    }

    /// Takes over a bound, listening std listener, making it non-blocking.
    ///
    /// # Errors
    /// When it cannot be registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let address = std_listener.local_addr().unwrap();
    ///     let listener = anyio::net::TcpListener::from_std(std_listener).unwrap();
    ///     assert_eq!(listener.local_addr().unwrap(), address);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Some(Registered::new(listener)?),
        })
    }

    /// Gives the socket back as a std listener (still non-blocking).
    ///
    /// # Errors
    /// Once closed; a failure to deregister.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let listener = anyio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let std_listener = listener.into_std().unwrap();
    ///     assert!(std_listener.local_addr().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_std(mut self) -> io::Result<std::net::TcpListener> {
        match self.io.take() {
            Some(io) => io.into_inner(),
            None => Err(StreamError::Closed.into()),
        }
    }

    fn registered_io(&self) -> io::Result<&Registered<std::net::TcpListener>> {
        self.io.as_ref().ok_or_else(|| StreamError::Closed.into())
    }
}

/// Accepts a connection that is non-blocking (and close-on-exec) from the start: `accept4`
/// with `SOCK_NONBLOCK`, one system call where std's `accept` and `set_nonblocking` take two
/// (`accept4`, then `ioctl(FIONBIO)`), for every connection a server takes.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn accept_nonblocking(
    listener: &std::net::TcpListener,
) -> io::Result<(std::net::TcpStream, SocketAddr)> {
    let (socket, peer) =
        socket2::SockRef::from(listener).accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)?;
    let peer = peer.as_socket().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "an accepted TCP connection has no IP address",
        )
    })?;
    Ok((socket.into(), peer))
}

/// Accepts a connection and makes it non-blocking (where there is no `accept4`).
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn accept_nonblocking(
    listener: &std::net::TcpListener,
) -> io::Result<(std::net::TcpStream, SocketAddr)> {
    let (stream, peer) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok((stream, peer))
}

/// A connection just accepted (non-blocking already), registered.
fn adopt(stream: std::net::TcpStream, peer: SocketAddr) -> io::Result<(TcpStream, SocketAddr)> {
    Ok((TcpStream::registered(Registered::new(stream)?)?, peer))
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TcpListener");
        match self.registered_io() {
            Ok(io) => debug
                .field("local", &io.get_ref().local_addr().ok())
                .field("fd", &io.get_ref().as_raw_fd()),
            Err(_) => debug.field("closed", &true),
        }
        .finish()
    }
}

impl TypedAttributeProvider for TcpListener {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        if let Ok(io) = self.registered_io() {
            let listener = io.get_ref();
            provide_ip_attributes(
                request,
                || listener.local_addr().ok(),
                || None,
                listener.as_raw_fd(),
            );
        }
    }
}

impl AsyncResource for TcpListener {
    /// Closes the socket at once; later accepts fail with [`StreamError::Closed`]. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        drop(self.io.take());
        Ok(())
    }
}

impl Listener for TcpListener {
    type Stream = TcpStream;

    /// [`TcpListener::accept`], without the peer's address (the stream has it as an
    /// attribute).
    async fn accept(&mut self) -> io::Result<TcpStream> {
        Ok(TcpListener::accept(self).await?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::accept_nonblocking;

    #[test]
    fn accepted_connections_are_non_blocking_and_close_on_exec() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, peer) = accept_nonblocking(&listener).unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert!(socket2::SockRef::from(&accepted).nonblocking().unwrap());
        let flags = rustix::io::fcntl_getfd(&accepted).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
    }
}
