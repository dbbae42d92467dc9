//! [`TemporaryDirectory`]: a directory removed with its contents when done with.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use super::cleanup::{Cleanup, Kind};
use super::naming::Naming;
use crate::fs::error::with_path;
use crate::to_thread;

/// A temporary directory (AnyIO's `TemporaryDirectory`), removed with everything in it by
/// [`aclose`](Self::aclose) or when dropped, unless kept with [`keep`](Self::keep) or built with
/// [`delete(false)`](TemporaryDirectoryBuilder::delete).
///
/// Its name is random and it is created exclusively, accessible to its owner only. Removal
/// does not follow symbolic links out of it.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dir = anyio::fs::TemporaryDirectory::new().await?;
///     let path = dir.path().to_owned();
///     anyio::fs::create_dir_all(path.join("a/b")).await?;
///     anyio::fs::write(path.join("a/b/c.txt"), "temp dir test").await?;
///     dir.aclose().await?;
///     assert!(!anyio::fs::exists(&path).await?);
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TemporaryDirectory {
    path: PathBuf,
    /// `None` when it is not to be removed.
    cleanup: Option<Cleanup>,
}

impl TemporaryDirectory {
    /// Creates a temporary directory in the system's directory for them
    /// ([`gettempdir`](crate::fs::gettempdir)), its name starting with `tmp`.
    ///
    /// # Errors
    /// The system's error, naming the parent directory.
    ///
    /// # Cancel safety
    /// The directory is created on a worker thread, which a cancellation waits for; a directory
    /// created for a caller that is gone is removed.
    ///
    /// # Examples
    /// See [`TemporaryDirectory`].
    pub async fn new() -> io::Result<TemporaryDirectory> {
        TemporaryDirectory::builder().create().await
    }

    /// Creates a temporary directory in `dir`.
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
    ///     let outer = anyio::fs::TemporaryDirectory::new().await?;
    ///     let inner = anyio::fs::TemporaryDirectory::new_in(outer.path()).await?;
    ///     assert_eq!(inner.path().parent(), Some(outer.path()));
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn new_in(dir: impl AsRef<Path>) -> io::Result<TemporaryDirectory> {
        TemporaryDirectory::builder().dir(dir).create().await
    }

    /// A builder, to choose the prefix, suffix and parent directory, and whether the directory
    /// is removed.
    ///
    /// # Examples
    /// See [`TemporaryDirectoryBuilder`].
    pub fn builder() -> TemporaryDirectoryBuilder {
        TemporaryDirectoryBuilder {
            naming: Naming::default(),
            delete: true,
        }
    }

    /// The directory's path.
    ///
    /// # Examples
    /// See [`TemporaryDirectory`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the directory from being removed, and gives back its path (`tempfile`'s
    /// `TempDir::keep`, formerly `into_path`).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = anyio::fs::TemporaryDirectory::new().await?.keep();
    ///     assert!(anyio::fs::metadata(&path).await?.is_dir());
    ///     anyio::fs::remove_dir_all(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep(self) -> PathBuf {
        let TemporaryDirectory { path, cleanup } = self;
        if let Some(cleanup) = cleanup {
            cleanup.disarm();
        }
        path
    }

    /// Removes the directory and everything in it, unless it is kept (AnyIO's `cleanup`,
    /// leaving the `async with` block). A directory already removed is not an error.
    ///
    /// # Errors
    /// The system's error removing the directory or something in it (a file that another
    /// program holds open on Windows, a subdirectory without write permission), naming the
    /// directory. Part of its contents may be gone by then; nothing retries it.
    ///
    /// # Cancel safety
    /// The removal runs on a worker thread, which a cancellation waits for; it completes even if
    /// the future is dropped by other means.
    ///
    /// # Examples
    /// See [`TemporaryDirectory`].
    pub async fn aclose(self) -> io::Result<()> {
        match self.cleanup {
            Some(cleanup) => to_thread::run_sync(move || cleanup.remove_now()).await,
            None => Ok(()),
        }
    }
}

/// Options for a [`TemporaryDirectory`]: its name's prefix and suffix, its parent directory,
/// and whether it is removed.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let parent = anyio::fs::TemporaryDirectory::new().await?;
///     let dir = anyio::fs::TemporaryDirectory::builder()
///         .prefix("build-")
///         .dir(parent.path())
///         .create()
///         .await?;
///     assert_eq!(dir.path().parent(), Some(parent.path()));
///     let name = dir.path().file_name().unwrap().to_str().unwrap();
///     assert!(name.starts_with("build-"));
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TemporaryDirectoryBuilder {
    naming: Naming,
    delete: bool,
}

impl Default for TemporaryDirectoryBuilder {
    fn default() -> TemporaryDirectoryBuilder {
        TemporaryDirectory::builder()
    }
}

impl TemporaryDirectoryBuilder {
    /// What the name starts with (`tmp` unless set; may be empty).
    ///
    /// # Examples
    /// See [`TemporaryDirectoryBuilder`].
    pub fn prefix(mut self, prefix: impl AsRef<OsStr>) -> TemporaryDirectoryBuilder {
        self.naming.set_prefix(prefix.as_ref());
        self
    }

    /// What the name ends with (nothing unless set).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let dir = anyio::fs::TemporaryDirectory::builder().suffix(".d").create().await?;
    ///     assert_eq!(dir.path().extension().unwrap(), "d");
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suffix(mut self, suffix: impl AsRef<OsStr>) -> TemporaryDirectoryBuilder {
        self.naming.set_suffix(suffix.as_ref());
        self
    }

    /// The directory to create it in (the system's, [`gettempdir`], unless set).
    ///
    /// [`gettempdir`]: crate::fs::gettempdir
    ///
    /// # Examples
    /// See [`TemporaryDirectoryBuilder`].
    pub fn dir(mut self, dir: impl AsRef<Path>) -> TemporaryDirectoryBuilder {
        self.naming.set_dir(dir.as_ref());
        self
    }

    /// Whether the directory is removed at `aclose` and on drop (`true` unless set; AnyIO's
    /// `delete`).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let dir = anyio::fs::TemporaryDirectory::builder().delete(false).create().await?;
    ///     let path = dir.path().to_owned();
    ///     dir.aclose().await?;
    ///     assert!(anyio::fs::exists(&path).await?);
    ///     anyio::fs::remove_dir(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(mut self, delete: bool) -> TemporaryDirectoryBuilder {
        self.delete = delete;
        self
    }

    /// Creates the directory.
    ///
    /// # Errors
    /// The system's error, naming the parent directory, or a prefix or suffix that makes no
    /// valid name.
    ///
    /// # Cancel safety
    /// As [`TemporaryDirectory::new`] (with `delete(false)`, a directory created for a caller
    /// that is gone stays).
    ///
    /// # Examples
    /// See [`TemporaryDirectoryBuilder`].
    pub async fn create(self) -> io::Result<TemporaryDirectory> {
        let TemporaryDirectoryBuilder { naming, delete } = self;
        to_thread::run_sync(move || {
            let path = create_kept(&naming)?;
            // Made on the worker: a directory created for a caller that is gone is removed.
            let cleanup = delete.then(|| Cleanup::new(path.clone(), Kind::Directory));
            Ok(TemporaryDirectory { path, cleanup })
        })
        .await
    }
}

/// Creates a directory named by `naming`, which nothing removes (blocking).
pub(super) fn create_kept(naming: &Naming) -> io::Result<PathBuf> {
    let dir = naming.dir();
    let created = naming
        .builder()
        .tempdir_in(&dir)
        .map_err(|error| with_path("create a temporary directory in", &dir, error))?;
    Ok(created.keep())
}
