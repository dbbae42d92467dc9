//! [`NamedTemporaryFile`]: a temporary file with a path, removed when done with.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::cleanup::{Cleanup, Kind};
use super::forward::wraps_async_file;
use super::naming::Naming;
use crate::fs::AsyncFile;
use crate::fs::error::{with_path, with_paths};
use crate::to_thread;

/// A temporary file with a path (AnyIO's `NamedTemporaryFile`), removed by
/// [`aclose`](Self::aclose) or when dropped, unless kept.
///
/// It is an [`AsyncFile`] opened for reading and writing (through `Deref`/`DerefMut`, and the
/// `AsyncRead`, `AsyncWrite` and `AsyncSeek` traits of both I/O families, passed through), whose
/// errors name its path. Name it with [`builder`](Self::builder); keep it with
/// [`keep`](Self::keep), [`persist`](Self::persist), or
/// [`delete(false)`](NamedTemporaryFileBuilder::delete).
///
/// Its name is random and it is created exclusively, readable and writable by its owner only.
/// Another program may open it by its path while it exists.
///
/// # Examples
/// ```
/// use std::io::SeekFrom;
///
/// anyio::run(async {
///     let mut file = anyio::fs::NamedTemporaryFile::new().await?;
///     let path = file.path().to_owned();
///     file.write_all(b"named temporary file data").await?;
///     file.flush().await?;
///     // Anything may open it by its path meanwhile.
///     assert_eq!(anyio::fs::read(&path).await?, b"named temporary file data");
///
///     file.aclose().await?;
///     assert!(!anyio::fs::exists(&path).await?);
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NamedTemporaryFile {
    // First: the file is closed before its path is removed when the value is dropped (Windows
    // removes an open file only once it is closed).
    file: AsyncFile,
    path: PathBuf,
    /// `None` once kept (or persisted); taken by a worker while it removes the file.
    cleanup: Option<Cleanup>,
}

wraps_async_file!(NamedTemporaryFile);

impl NamedTemporaryFile {
    /// Creates a named temporary file in the system's directory for them
    /// ([`gettempdir`](crate::fs::gettempdir)), its name starting with `tmp`.
    ///
    /// # Errors
    /// The system's error, naming the directory.
    ///
    /// # Cancel safety
    /// The file is created on a worker thread, which a cancellation waits for; a file created
    /// for a caller that is gone is removed.
    ///
    /// # Examples
    /// See [`NamedTemporaryFile`].
    pub async fn new() -> io::Result<NamedTemporaryFile> {
        NamedTemporaryFile::builder().create().await
    }

    /// Creates a named temporary file in `dir`.
    ///
    /// # Errors
    /// The system's error, naming `dir`.
    ///
    /// # Cancel safety
    /// As [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let dir = anyio::fs::TemporaryDirectory::new().await?;
    ///     let file = anyio::fs::NamedTemporaryFile::new_in(dir.path()).await?;
    ///     assert_eq!(file.path().parent(), Some(dir.path()));
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn new_in(dir: impl AsRef<Path>) -> io::Result<NamedTemporaryFile> {
        NamedTemporaryFile::builder().dir(dir).create().await
    }

    /// A builder, to choose the prefix, suffix and directory, and whether the file is removed.
    ///
    /// # Examples
    /// See [`NamedTemporaryFileBuilder`].
    pub fn builder() -> NamedTemporaryFileBuilder {
        NamedTemporaryFileBuilder {
            naming: Naming::default(),
            delete: true,
        }
    }

    /// The file's path.
    ///
    /// # Examples
    /// See [`NamedTemporaryFile`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the file from being removed, and gives back the file and its path (as `tempfile`'s
    /// `NamedTempFile::keep`, or AnyIO's `delete=False` decided late).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::NamedTemporaryFile::new().await?;
    ///     file.write_all(b"kept").await?;
    ///     let (mut file, path) = file.keep();
    ///     file.aclose().await?;
    ///     assert_eq!(anyio::fs::read(&path).await?, b"kept");
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep(self) -> (AsyncFile, PathBuf) {
        let NamedTemporaryFile {
            file,
            path,
            cleanup,
        } = self;
        if let Some(cleanup) = cleanup {
            cleanup.disarm();
        }
        (file, path)
    }

    /// Moves the file to `new_path` (replacing a file there) and keeps it there: it is no longer
    /// removed. The bytes written so far are handed to the system first (unless the file is
    /// closed, which did that), so `new_path` holds them when this returns.
    /// [`path`](Self::path) is `new_path` afterwards.
    ///
    /// # Errors
    /// An error writing the buffered bytes; or the system's error renaming, naming both paths:
    /// the file then stays where it was, still temporary. A rename cannot cross file systems
    /// (`ErrorKind::CrossesDevices`): create the file in the directory it is to end up in
    /// ([`new_in`](Self::new_in)).
    ///
    /// # Cancel safety
    /// Cancelled before the rename runs (while the buffered bytes go out, say), nothing is
    /// renamed and the file stays temporary. Cancelled once the rename runs on its worker
    /// thread (a scope's cancellation waits for it; a `select!` does not), the rename still
    /// completes or fails on its own: the file is then at `new_path` and kept, or still
    /// temporary where it was; [`path`](Self::path) still shows the old path either way.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let dir = anyio::fs::TemporaryDirectory::new().await?;
    ///     let report = dir.path().join("report.txt");
    ///     // Written under a temporary name, then moved into place whole.
    ///     let mut file = anyio::fs::NamedTemporaryFile::new_in(dir.path()).await?;
    ///     file.write_all(b"all or nothing").await?;
    ///     file.persist(&report).await?;
    ///     assert_eq!(file.path(), report);
    ///     drop(file);
    ///     assert_eq!(anyio::fs::read(&report).await?, b"all or nothing");
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn persist(&mut self, new_path: impl AsRef<Path>) -> io::Result<()> {
        if !self.file.is_closed() {
            self.file.flush().await?;
        }
        let from = self.path.clone();
        let to = new_path.as_ref().to_owned();
        // The removal stays here, armed, until the rename is known to be done. If this future
        // is dropped before the rename ran (even before its thread started), the file stays
        // temporary; after it ran, the removal is of a path that is gone, which does nothing.
        to_thread::run_sync({
            let to = to.clone();
            move || {
                std::fs::rename(&from, &to)
                    .map_err(|error| with_paths("persist", &from, &to, error))
            }
        })
        .await?;
        if let Some(cleanup) = self.cleanup.take() {
            cleanup.disarm();
        }
        self.file.set_path(&to);
        self.path = to;
        Ok(())
    }

    /// Closes the file (as [`AsyncFile::aclose`]), then removes it unless it is kept (AnyIO's
    /// `aclose`, leaving the `async with` block). A file already closed (through a trait's
    /// `poll_close`, say), or already removed by someone else, is not an error: what is left to
    /// do is done.
    ///
    /// # Errors
    /// An error writing the buffered bytes, or of an earlier write; or the system's error
    /// removing the file, naming it.
    ///
    /// # Cancel safety
    /// A cancelled close leaves the file to be removed when the value is dropped (or removes it
    /// on a worker thread, if that had started).
    ///
    /// # Examples
    /// See [`NamedTemporaryFile`].
    pub async fn aclose(&mut self) -> io::Result<()> {
        let closed = if self.file.is_closed() {
            Ok(())
        } else {
            self.file.aclose().await
        };
        let removed = match self.cleanup.take() {
            Some(cleanup) => to_thread::run_sync(move || cleanup.remove_now()).await,
            None => Ok(()),
        };
        closed.and(removed)
    }
}

/// Options for a [`NamedTemporaryFile`]: its name's prefix and suffix, its directory, and
/// whether it is removed.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dir = anyio::fs::TemporaryDirectory::new().await?;
///     let file = anyio::fs::NamedTemporaryFile::builder()
///         .prefix("report-")
///         .suffix(".csv")
///         .dir(dir.path())
///         .create()
///         .await?;
///     assert_eq!(file.path().parent(), Some(dir.path()));
///     let name = file.path().file_name().unwrap().to_str().unwrap();
///     assert!(name.starts_with("report-") && name.ends_with(".csv"));
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct NamedTemporaryFileBuilder {
    naming: Naming,
    delete: bool,
}

impl Default for NamedTemporaryFileBuilder {
    fn default() -> NamedTemporaryFileBuilder {
        NamedTemporaryFile::builder()
    }
}

impl NamedTemporaryFileBuilder {
    /// What the name starts with (`tmp` unless set; may be empty).
    ///
    /// # Examples
    /// See [`NamedTemporaryFileBuilder`].
    pub fn prefix(mut self, prefix: impl AsRef<OsStr>) -> NamedTemporaryFileBuilder {
        self.naming.set_prefix(prefix.as_ref());
        self
    }

    /// What the name ends with (nothing unless set), such as an extension.
    ///
    /// # Examples
    /// See [`NamedTemporaryFileBuilder`].
    pub fn suffix(mut self, suffix: impl AsRef<OsStr>) -> NamedTemporaryFileBuilder {
        self.naming.set_suffix(suffix.as_ref());
        self
    }

    /// The directory to create the file in (the system's, [`gettempdir`], unless set).
    ///
    /// [`gettempdir`]: crate::fs::gettempdir
    ///
    /// # Examples
    /// See [`NamedTemporaryFileBuilder`].
    pub fn dir(mut self, dir: impl AsRef<Path>) -> NamedTemporaryFileBuilder {
        self.naming.set_dir(dir.as_ref());
        self
    }

    /// Whether the file is removed at `aclose` and on drop (`true` unless set; AnyIO's `delete`).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::NamedTemporaryFile::builder().delete(false).create().await?;
    ///     let path = file.path().to_owned();
    ///     file.aclose().await?;
    ///     assert!(anyio::fs::exists(&path).await?);
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(mut self, delete: bool) -> NamedTemporaryFileBuilder {
        self.delete = delete;
        self
    }

    /// Creates the file.
    ///
    /// # Errors
    /// The system's error, naming the directory (missing, full, read-only), or a prefix or
    /// suffix that makes no valid name (one with a `/`).
    ///
    /// # Cancel safety
    /// As [`NamedTemporaryFile::new`] (with `delete(false)`, a file created for a caller that is
    /// gone stays).
    ///
    /// # Examples
    /// See [`NamedTemporaryFileBuilder`].
    pub async fn create(self) -> io::Result<NamedTemporaryFile> {
        let NamedTemporaryFileBuilder { naming, delete } = self;
        let (file, path, cleanup) = to_thread::run_sync(move || {
            let (file, path) = create_kept(&naming)?;
            // Made on the worker: a file created for a caller that is gone is removed.
            let cleanup = delete.then(|| Cleanup::new(path.clone(), Kind::File));
            Ok::<_, io::Error>((file, path, cleanup))
        })
        .await?;
        let mut file = AsyncFile::from_std(file);
        file.set_path(&path);
        Ok(NamedTemporaryFile {
            file,
            path,
            cleanup,
        })
    }
}

/// Creates a file named by `naming`, which nothing removes (blocking).
pub(super) fn create_kept(naming: &Naming) -> io::Result<(File, PathBuf)> {
    let dir = naming.dir();
    let created = naming
        .builder()
        .tempfile_in(&dir)
        .map_err(|error| with_path("create a temporary file in", &dir, error))?;
    // The crate's own removal (on drop, synchronous) is replaced by ours; if it cannot be
    // switched off, the file is removed here as the error is returned.
    created.keep().map_err(|refused| {
        let path = refused.file.path().to_owned();
        with_path("take over the temporary file", &path, refused.error)
    })
}
