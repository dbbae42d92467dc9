//! [`UnixStream`]: a UNIX domain stream connection on whichever backend runs the caller.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, recvmsg, sendmsg,
};

use socket2::{Domain, Socket, Type};

use super::address::{LocalUnixAddress, RemoteUnixAddress, socket_address};
use crate::backend::{Direction, Registered};
use crate::net::attributes::{AddressFamily, Family, RawSocket};
use crate::net::socket_stream::{SocketStream, byte_socket_traits};
use crate::streams::{AttributeRequest, StreamError, TypedAttributeProvider};

/// A UNIX domain stream connection (AnyIO's `UNIXSocketStream`), with the same semantics as a
/// [`TcpStream`](crate::net::TcpStream): a
/// [`ByteStream`](crate::streams::ByteStream) whose receive never returns 0 bytes, a half
/// close by `send_eof`, `Closed` after `aclose`, and `AsyncRead` + `AsyncWrite` of both
/// families.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes; a send dropped midway may have
/// sent a first part of its bytes. Connecting is cancel safe.
///
/// # Examples
/// ```
/// use anyio::net::UnixStream;
/// use anyio::streams::{ByteReceiveStream, ByteSendStream};
///
/// anyio::run(async {
///     let (mut a, mut b) = UnixStream::pair().unwrap();
///     a.send(b"over a socket pair").await.unwrap();
///     let mut buf = [0; 64];
///     let n = b.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"over a socket pair");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct UnixStream {
    pub(super) inner: SocketStream<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`; a path that starts with a NUL byte names a socket in
    /// Linux's abstract namespace.
    ///
    /// # Errors
    /// `InvalidInput` for an empty path or one too long for a socket address (107 bytes on
    /// Linux); otherwise the system's error (no such file, connection refused, ...). The
    /// message names the path.
    ///
    /// # Cancel safety
    /// Cancel safe: a connect dropped before it returned closes its socket.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::UnixStream;
    ///
    /// anyio::run(async {
    ///     let long = "x".repeat(200);
    ///     let error = UnixStream::connect(&long).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    ///     assert!(error.to_string().contains("at most"), "{error}");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let name = |error: io::Error| {
            io::Error::new(error.kind(), format!("cannot connect to {path:?}: {error}"))
        };
        let address = socket_address(path)?;
        let socket =
            Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None).map_err(name)?;
        match socket.connect(&address) {
            Ok(()) => {}
            // The listener's queue is full or the connection is under way: wait for it.
            Err(error)
                if error.raw_os_error() == Some(libc::EINPROGRESS)
                    || error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(name(error)),
        }
        let io = Registered::new(std::os::unix::net::UnixStream::from(socket)).map_err(name)?;
        io.io(Direction::Write, |socket| match socket.take_error()? {
            Some(error) => Err(error),
            None => Ok(()),
        })
        .await
        .map_err(name)?;
        Ok(UnixStream::registered(io))
    }

    /// Two connected sockets (`socketpair`).
    ///
    /// # Errors
    /// When the system cannot make them.
    ///
    /// # Examples
    /// See [`UnixStream`].
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Takes over a connected std stream, making it non-blocking.
    ///
    /// # Errors
    /// When it cannot be registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     let stream = anyio::net::UnixStream::from_std(a).unwrap();
    ///     assert!(stream.local_addr().unwrap().is_unnamed());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream::registered(Registered::new(stream)?))
    }

    pub(super) fn registered(io: Registered<std::os::unix::net::UnixStream>) -> UnixStream {
        UnixStream {
            inner: SocketStream::new(io),
        }
    }

    /// Gives the socket back as a std stream (still non-blocking).
    ///
    /// # Errors
    /// Once closed; a failure to deregister.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let (a, _b) = anyio::net::UnixStream::pair().unwrap();
    ///     assert!(a.into_std().is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.inner.into_inner()
    }

    /// The local address (unnamed for a socket that was never bound, as a connecting one).
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`from_std`](Self::from_std).
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.inner.socket()?.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`UnixListener`](crate::net::UnixListener).
    pub fn peer_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.inner.socket()?.peer_addr()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("UnixStream");
        match self.inner.socket() {
            Ok(socket) => debug
                .field("local", &socket.local_addr().ok())
                .field("peer", &socket.peer_addr().ok())
                .field("fd", &socket.as_raw_fd()),
            Err(_) => debug.field("closed", &true),
        }
        .finish()
    }
}

impl TypedAttributeProvider for UnixStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        provide(&self.inner, request);
    }
}

/// The attributes of a UNIX stream, which its split halves tell as well.
pub(super) fn provide(
    inner: &SocketStream<std::os::unix::net::UnixStream>,
    request: &mut AttributeRequest<'_>,
) {
    if let Ok(socket) = inner.socket() {
        request
            .provide_optional::<LocalUnixAddress>(|| socket.local_addr().ok())
            .provide_optional::<RemoteUnixAddress>(|| socket.peer_addr().ok())
            .provide::<Family>(|| AddressFamily::Unix)
            .provide::<RawSocket>(|| socket.as_raw_fd());
    }
}

byte_socket_traits!(UnixStream);

/// The most bytes one [`UnixStream::receive_fds`] takes: the size of its buffer when the
/// caller's limit is larger.
const MAX_FDS_MESSAGE: usize = 64 * 1024;

/// The most descriptors one message can carry (Linux's `SCM_MAX_FD`): room for more is never
/// used.
const SCM_MAX_FD: usize = 253;

impl UnixStream {
    /// Sends `message` with the file descriptors `fds` attached (`SCM_RIGHTS`), AnyIO's
    /// `send_fds`: the peer receives copies of them with
    /// [`receive_fds`](Self::receive_fds).
    ///
    /// # Errors
    /// [`StreamError::InvalidInput`] if `message` or `fds` is empty (a descriptor must travel
    /// with at least one byte); otherwise as a send.
    ///
    /// # Cancel safety
    /// Not cancel safe once the first bytes went: the descriptors travel with them, and a send
    /// dropped midway may have sent a first part of `message`.
    ///
    /// # Examples
    /// See [`receive_fds`](Self::receive_fds).
    pub async fn send_fds(
        &mut self,
        message: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), StreamError> {
        if message.is_empty() || fds.is_empty() {
            return Err(StreamError::InvalidInput(
                "send_fds needs at least one byte and one file descriptor",
            ));
        }
        if self.inner.eof_sent() {
            return Err(StreamError::Closed);
        }
        let io = self.inner.registered_io()?;
        let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len()))];
        let sent = io
            .io(Direction::Write, |socket| {
                let mut control = SendAncillaryBuffer::new(&mut space);
                if !control.push(SendAncillaryMessage::ScmRights(fds)) {
                    return Err(io::Error::other(
                        "the descriptors do not fit the control buffer",
                    ));
                }
                sendmsg(
                    socket,
                    &[IoSlice::new(message)],
                    &mut control,
                    SendFlags::NOSIGNAL,
                )
                .map_err(io::Error::from)
            })
            .await?;
        // The descriptors went with the first bytes; the rest of the message follows plainly.
        self.inner.send(&message[sent..]).await
    }

    /// Receives up to `max_bytes` bytes (64 KiB at most in one call, whatever `max_bytes`
    /// says) and the file descriptors sent with them, at most `max_fds` of them (AnyIO's
    /// `receive_fds`). The descriptors arrive close-on-exec, and
    /// are closed when the `OwnedFd`s are dropped.
    ///
    /// # Errors
    /// [`StreamError::InvalidInput`] if `max_bytes` or `max_fds` is 0;
    /// [`StreamError::EndOfStream`] once the peer has closed; [`StreamError::Broken`] if more
    /// descriptors arrived than `max_fds` allows (all of them are closed, and the message's
    /// bytes dropped: the message cannot be taken as meant); otherwise as a receive.
    ///
    /// # Cancel safety
    /// Cancel safe: a receive dropped before it returned has taken nothing.
    ///
    /// # Examples
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsFd;
    /// use anyio::net::UnixStream;
    ///
    /// anyio::run(async {
    ///     let (mut a, mut b) = UnixStream::pair().unwrap();
    ///     // The descriptor to pass: one end of another socket pair.
    ///     let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     a.send_fds(b"take this", &[reader.as_fd()]).await.unwrap();
    ///     let (message, fds) = b.receive_fds(64, 4).await.unwrap();
    ///     assert_eq!(message, b"take this");
    ///     assert_eq!(fds.len(), 1);
    ///     // The received descriptor is the same socket: what `writer` writes, it reads.
    ///     writer.write_all(b"!").unwrap();
    ///     let mut received = std::os::unix::net::UnixStream::from(fds.into_iter().next().unwrap());
    ///     let mut byte = [0; 1];
    ///     received.read_exact(&mut byte).unwrap();
    ///     assert_eq!(&byte, b"!");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn receive_fds(
        &mut self,
        max_bytes: usize,
        max_fds: usize,
    ) -> Result<(Vec<u8>, Vec<OwnedFd>), StreamError> {
        if max_bytes == 0 || max_fds == 0 {
            return Err(StreamError::InvalidInput(
                "receive_fds needs room for at least one byte and one file descriptor",
            ));
        }
        let io = self.inner.registered_io()?;
        // The buffers are sized by what can arrive, not by the limits alone: a caller's
        // `usize::MAX` ("no limit") must not become an allocation (or overflow the control
        // buffer's size).
        let mut message = vec![0; max_bytes.min(MAX_FDS_MESSAGE)];
        let room = max_fds.min(SCM_MAX_FD);
        let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(room))];
        let (received, fds, truncated) = io
            .io(Direction::Read, |socket| {
                let mut control = RecvAncillaryBuffer::new(&mut space);
                let outcome = recvmsg(
                    socket,
                    &mut [IoSliceMut::new(&mut message)],
                    &mut control,
                    RecvFlags::CMSG_CLOEXEC,
                )
                .map_err(io::Error::from)?;
                let mut fds = Vec::new();
                for part in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(received) = part {
                        fds.extend(received);
                    }
                }
                let truncated = outcome.flags.contains(ReturnFlags::CTRUNC);
                Ok((outcome.bytes, fds, truncated))
            })
            .await?;
        // The control buffer is rounded up for alignment, so it may hold a few more than
        // asked for; those count as too many as well (and are closed when dropped here).
        if truncated || fds.len() > max_fds {
            return Err(StreamError::Broken(Some(io::Error::other(format!(
                "more file descriptors arrived than the {max_fds} asked for; they were closed"
            )))));
        }
        if received == 0 && fds.is_empty() {
            return Err(StreamError::EndOfStream);
        }
        message.truncate(received);
        Ok((message, fds))
    }
}
