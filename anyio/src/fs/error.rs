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
    source: io::Error,
}

impl PathError {
    /// The path the failed operation concerned.
    ///
    /// # Examples
    /// See [`PathError`].
    pub fn path(&self) -> &Path {
        &self.path
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
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            self.path.display(),
            self.source
        )
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
    let mut path = from.as_os_str().to_owned();
    path.push(" to ");
    path.push(to.as_os_str());
    with_path(action, Path::new(&path), error)
}
