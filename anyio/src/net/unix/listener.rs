//! [`UnixListener`]: accepts UNIX domain stream connections.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use socket2::{Domain, Socket, Type};

use super::UnixStream;
use super::address::{LocalUnixAddress, socket_address};
use crate::backend::wait_point::WaitPoint;
use crate::backend::{Direction, Registered};
use crate::cancel::gate::gated_io;
use crate::net::attributes::{AddressFamily, Family, RawSocket};
use crate::streams::{
    AsyncResource, AttributeRequest, Listener, StreamError, TypedAttributeProvider,
    is_about_one_connection,
};

/// A socket that accepts UNIX domain stream connections (AnyIO's `create_unix_listener`).
///
/// [`bind`](Self::bind) first removes a socket file left at the path by an earlier listener
/// (anything else at the path is an error), and does not remove it on close. A path that
/// starts with a NUL byte names a socket in Linux's abstract namespace, which has no file.
///
/// # Examples
/// ```
/// use anyio::net::{UnixListener, UnixStream};
///
/// anyio::run(async {
///     let dir = std::env::temp_dir().join(format!("anyio-doc-listener-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("server.sock");
///     let mut listener = UnixListener::bind(&path).unwrap();
///     let client = UnixStream::connect(&path).await.unwrap();
///     let server = listener.accept().await.unwrap();
///     assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
///     # drop((listener, client, server)); std::fs::remove_dir_all(&dir).unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct UnixListener {
    /// `None` once closed.
    io: Option<Registered<std::os::unix::net::UnixListener>>,
}

impl UnixListener {
    /// Listens at `path`, with a backlog of 65,536 (the system may cap it).
    ///
    /// # Errors
    /// `InvalidInput` for an empty path or one too long for a socket address; `AlreadyExists`
    /// if something other than a socket is at the path; otherwise the system's error. The
    /// message names the path.
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let name = |error: io::Error| {
            io::Error::new(error.kind(), format!("cannot listen at {path:?}: {error}"))
        };
        let address = socket_address(path)?;
        if path.as_os_str().as_bytes().first() != Some(&0) {
            remove_stale_socket(path).map_err(name)?;
        }
        let socket =
            Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None).map_err(name)?;
        socket.bind(&address).map_err(name)?;
        socket.listen(65_536).map_err(name)?;
        let io = Registered::new(std::os::unix::net::UnixListener::from(socket)).map_err(name)?;
        Ok(UnixListener { io: Some(io) })
    }

    /// Waits for a connection and accepts it.
    ///
    /// A connection that failed before it could be accepted (`ECONNABORTED` and the like) is
    /// skipped, and the next one waited for.
    ///
    /// # Errors
    /// [`StreamError::Closed`] (as an `io::Error`) once the listener is closed. Running out
    /// of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) is returned at once,
    /// and accepting works again once some are freed; [`serve`](Listener::serve) waits and
    /// retries by itself. Any other error is the system's, and means the listener is broken.
    ///
    /// # Cancel safety
    /// Cancel safe: an accept dropped before it returned has accepted nothing.
    ///
    /// # Examples
    /// See [`UnixListener`].
    pub async fn accept(&mut self) -> io::Result<UnixStream> {
        let io = self.registered_io()?;
        let stream = loop {
            match gated_io(
                WaitPoint::Accept,
                io.io(Direction::Read, |listener| listener.accept()),
            )
            .await
            {
                Ok((stream, _)) => break stream,
                Err(error) if is_about_one_connection(&error) => {}
                Err(error) => return Err(error),
            }
        };
        stream.set_nonblocking(true)?;
        Ok(UnixStream::registered(Registered::new(stream)?))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// Once closed, or if the system cannot tell.
    ///
    /// # Examples
    /// See [`LocalUnixAddress`].
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.registered_io()?.get_ref().local_addr()
    }

    /// Takes over a bound, listening std listener, making it non-blocking: one an earlier
    /// part of the program made, or one inherited from a service manager (systemd's socket
    /// activation passes listening sockets from descriptor 3 on; `UnixListener::from_raw_fd`
    /// of std turns one into a std listener).
    ///
    /// # Errors
    /// When it cannot be made non-blocking or registered with the reactor.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{UnixListener, UnixStream};
    ///
    /// anyio::run(async {
    ///     let dir = std::env::temp_dir().join(format!("anyio-doc-from-std-{}", std::process::id()));
    ///     std::fs::create_dir_all(&dir).unwrap();
    ///     let path = dir.join("server.sock");
    ///     let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    ///     let mut listener = UnixListener::from_std(std_listener).unwrap();
    ///     let _client = UnixStream::connect(&path).await.unwrap();
    ///     let _server = listener.accept().await.unwrap();
    ///     # drop((listener, _client, _server)); std::fs::remove_dir_all(&dir).unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Some(Registered::new(listener)?),
        })
    }

    fn registered_io(&self) -> io::Result<&Registered<std::os::unix::net::UnixListener>> {
        self.io.as_ref().ok_or_else(|| StreamError::Closed.into())
    }
}

/// Removes a socket file left at `path`; leaves the path alone if nothing is there, and fails
/// if something else is.
pub(super) fn remove_stale_socket(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
        Ok(metadata) if metadata.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "something other than a socket is at the path",
        )),
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("UnixListener");
        match self.registered_io() {
            Ok(io) => debug
                .field("local", &io.get_ref().local_addr().ok())
                .field("fd", &io.get_ref().as_raw_fd()),
            Err(_) => debug.field("closed", &true),
        }
        .finish()
    }
}

impl TypedAttributeProvider for UnixListener {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        if let Ok(io) = self.registered_io() {
            let listener = io.get_ref();
            request
                .provide_optional::<LocalUnixAddress>(|| listener.local_addr().ok())
                .provide::<Family>(|| AddressFamily::Unix)
                .provide::<RawSocket>(|| listener.as_raw_fd());
        }
    }
}

impl AsyncResource for UnixListener {
    /// Closes the socket at once (leaving its file); later accepts fail with
    /// [`StreamError::Closed`]. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        drop(self.io.take());
        Ok(())
    }
}

impl Listener for UnixListener {
    type Stream = UnixStream;

    async fn accept(&mut self) -> io::Result<UnixStream> {
        UnixListener::accept(self).await
    }
}
