//! UNIX socket addresses: building them with clear errors, and their typed attributes.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use socket2::SockAddr;

use crate::streams::TypedAttribute;

/// The address a UNIX socket is bound to (AnyIO's `SocketAttribute.local_address` for UNIX
/// sockets); unnamed for a socket that was never bound.
///
/// # Examples
/// ```
/// use anyio::net::{LocalUnixAddress, UnixListener};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let dir = std::env::temp_dir().join(format!("anyio-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("local.sock");
///     let listener = UnixListener::bind(&path).unwrap();
///     assert_eq!(listener.extra(LocalUnixAddress).unwrap().as_pathname(), Some(path.as_path()));
///     # drop(listener); std::fs::remove_dir_all(&dir).unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LocalUnixAddress;

impl TypedAttribute for LocalUnixAddress {
    type Value = std::os::unix::net::SocketAddr;
}

/// The address of the peer a UNIX stream socket, or a connected UNIX datagram socket, is
/// connected to (AnyIO's `SocketAttribute.remote_address` for UNIX sockets).
///
/// # Examples
/// ```
/// use anyio::net::{RemoteUnixAddress, UnixStream};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let (a, _b) = UnixStream::pair().unwrap();
///     assert!(a.extra(RemoteUnixAddress).unwrap().is_unnamed());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RemoteUnixAddress;

impl TypedAttribute for RemoteUnixAddress {
    type Value = std::os::unix::net::SocketAddr;
}

/// The most bytes a UNIX socket path may have (the size of `sun_path`, less its terminating
/// NUL; an abstract name, which starts with NUL, may use the whole of it).
fn max_path_len(abstract_name: bool) -> usize {
    let sun_path = std::mem::size_of::<libc::sockaddr_un>()
        - std::mem::offset_of!(libc::sockaddr_un, sun_path);
    sun_path - usize::from(!abstract_name)
}

/// The socket address of `path`: a file system path, or, if it starts with a NUL byte, a name
/// in Linux's abstract namespace (as AnyIO takes them).
pub(super) fn socket_address(path: &Path) -> io::Result<SockAddr> {
    let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    match check_path(path) {
        Ok(()) => SockAddr::unix(path),
        Err(PathProblem::Empty) => invalid(PathProblem::Empty.message().to_owned()),
        Err(PathProblem::TooLong { len, max }) => invalid(format!(
            "the UNIX socket path {path:?} has {len} bytes; at most {max} fit in a socket address"
        )),
    }
}

/// What makes a path unusable as a UNIX socket address.
#[derive(Clone, Copy, Debug)]
pub(super) enum PathProblem {
    Empty,
    TooLong { len: usize, max: usize },
}

impl PathProblem {
    /// A message without the path, for errors that can only carry a static string.
    pub(super) fn message(self) -> &'static str {
        match self {
            PathProblem::Empty => "a UNIX socket path cannot be empty",
            PathProblem::TooLong { .. } => {
                "the UNIX socket path is too long to fit in a socket address"
            }
        }
    }
}

/// Whether `path` fits in a UNIX socket address.
pub(super) fn check_path(path: &Path) -> Result<(), PathProblem> {
    let bytes = path.as_os_str().as_bytes();
    let Some(&first) = bytes.first() else {
        return Err(PathProblem::Empty);
    };
    let max = max_path_len(first == 0);
    if bytes.len() > max {
        return Err(PathProblem::TooLong {
            len: bytes.len(),
            max,
        });
    }
    Ok(())
}
