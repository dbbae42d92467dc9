//! I/O errors that name the path they concern.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The error inside the `io::Error`s of [`anyio::fs`](super): what was being done, to which path,
/// and the system's error as its [`source`](std::error::Error::source).
///
/// The `io::Error` keeps the system error's [`kind`](io::Error::kind); reach this with
/// [`io::Error::get_ref`] and `downcast_ref` for the path.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let error = anyio::fs::read("/no/such/file").await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
///     assert!(error.to_string().starts_with("cannot read /no/such/file: "));
///     let inner = error.get_ref().unwrap().downcast_ref::<anyio::fs::PathError>().unwrap();
///     assert_eq!(inner.path(), std::path::Path::new("/no/such/file"));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct PathError {
    action: &'static str,
    path: PathBuf,
    /// The second path of an operation on two (a rename's destination, a copy's).
    destination: Option<PathBuf>,
    source: io::Error,
}

impl PathError {
    /// The path the failed operation concerned; for an operation on two paths (a rename, a
    /// copy, a link), the first: the source.
    ///
    /// # Examples
    /// See [`PathError`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The second path of an operation on two: a rename's or a copy's destination, a link's
    /// name. `None` for operations on one path.
    ///
    /// # Examples
    /// ```
    /// use std::path::Path;
    ///
    /// anyio::run(async {
    ///     let error = anyio::fs::rename("/no/such/file", "/tmp/x").await.unwrap_err();
    ///     let inner = error.get_ref().unwrap().downcast_ref::<anyio::fs::PathError>().unwrap();
    ///     assert_eq!(inner.path(), Path::new("/no/such/file"));
    ///     assert_eq!(inner.destination(), Some(Path::new("/tmp/x")));
    ///     assert!(error.to_string().starts_with("cannot rename /no/such/file to /tmp/x: "));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn destination(&self) -> Option<&Path> {
        self.destination.as_deref()
    }

    /// What was being done ("read", "open", …).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let error = anyio::fs::remove_file("/no/such/file").await.unwrap_err();
    ///     let inner = error.get_ref().unwrap().downcast_ref::<anyio::fs::PathError>().unwrap();
    ///     assert_eq!(inner.action(), "remove");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn action(&self) -> &'static str {
        self.action
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {} {}", self.action, self.path.display())?;
        if let Some(destination) = &self.destination {
            write!(f, " to {}", destination.display())?;
        }
        write!(f, ": {}", self.source)
    }
}

impl std::error::Error for PathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `error`, naming `path` and `action`, with the same kind.
pub(crate) fn with_path(action: &'static str, path: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        PathError {
            action,
            path: path.to_owned(),
            destination: None,
            source: error,
        },
    )
}

/// `error`, naming two paths (a rename or a copy).
pub(crate) fn with_paths(
    action: &'static str,
    from: &Path,
    to: &Path,
    error: io::Error,
) -> io::Error {
    io::Error::new(
        error.kind(),
        PathError {
            action,
            path: from.to_owned(),
            destination: Some(to.to_owned()),
            source: error,
        },
    )
}
