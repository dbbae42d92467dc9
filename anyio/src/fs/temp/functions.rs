//! [`mkstemp`], [`mkdtemp`] and [`gettempdir`]: temporary names that nothing removes, and where
//! they go.

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};

use super::cleanup::{Cleanup, Kind};
use super::naming::Naming;
use super::{directory, named};
use crate::fs::AsyncFile;
use crate::to_thread;

/// Creates a file with a fresh random name, `prefix` + random + `suffix`, in `dir` (or the
/// system's directory, [`gettempdir`]), and opens it for reading and writing (AnyIO's and
/// Python's `mkstemp`, in the name's order: Python's is suffix, prefix, dir).
///
/// The file is created exclusively and is readable and writable by its owner only. **It is
/// never removed by anyio**: that is the caller's job, as in Python. For one that is, see
/// [`NamedTemporaryFile`](crate::fs::NamedTemporaryFile). The `AsyncFile` names the path
/// too ([`AsyncFile::path`]); Python gives a raw descriptor instead.
///
/// # Errors
/// The system's error, naming the directory (missing, full, read-only), or a prefix or suffix
/// that makes no valid name.
///
/// # Cancel safety
/// The file is created on a worker thread, which a cancellation waits for; a file created for
/// a caller that is gone is removed, so a cancelled call leaves nothing behind.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let (mut file, path) = anyio::fs::mkstemp("mkstemp_", ".txt", None).await?;
///     assert!(path.file_name().unwrap().to_str().unwrap().starts_with("mkstemp_"));
///     file.write_all(b"mkstemp").await?;
///     file.aclose().await?;
///     assert_eq!(anyio::fs::read(&path).await?, b"mkstemp");
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mkstemp(
    prefix: impl AsRef<OsStr>,
    suffix: impl AsRef<OsStr>,
    dir: Option<&Path>,
) -> impl Future<Output = io::Result<(AsyncFile, PathBuf)>> + Send + 'static {
    let naming = Naming::new(prefix.as_ref(), suffix.as_ref(), dir);
    async move {
        let (file, path, cleanup) = to_thread::run_sync(move || {
            let (file, path) = named::create_kept(&naming)?;
            // Until the caller has the path, nobody else can remove the file.
            let cleanup = Cleanup::new(path.clone(), Kind::File);
            Ok::<_, io::Error>((file, path, cleanup))
        })
        .await?;
        cleanup.disarm();
        let mut file = AsyncFile::from_std(file);
        file.set_path(&path);
        Ok((file, path))
    }
}

/// Creates a directory with a fresh random name, `prefix` + random + `suffix`, in `dir` (or the
/// system's directory, [`gettempdir`]), and returns its path (AnyIO's and Python's `mkdtemp`).
///
/// The directory is accessible to its owner only. **It is never removed by anyio**; for one
/// that is, see [`TemporaryDirectory`](crate::fs::TemporaryDirectory).
///
/// # Errors
/// The system's error, naming the parent directory, or a prefix or suffix that makes no valid
/// name.
///
/// # Cancel safety
/// The directory is created on a worker thread, which a cancellation waits for; a directory
/// created for a caller that is gone is removed, so a cancelled call leaves nothing behind.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let path = anyio::fs::mkdtemp("mkdtemp_", "", None).await?;
///     assert!(anyio::fs::metadata(&path).await?.is_dir());
///     anyio::fs::remove_dir_all(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mkdtemp(
    prefix: impl AsRef<OsStr>,
    suffix: impl AsRef<OsStr>,
    dir: Option<&Path>,
) -> impl Future<Output = io::Result<PathBuf>> + Send + 'static {
    let naming = Naming::new(prefix.as_ref(), suffix.as_ref(), dir);
    async move {
        let (path, cleanup) = to_thread::run_sync(move || {
            let path = directory::create_kept(&naming)?;
            // Until the caller has the path, nobody else can remove the directory.
            let cleanup = Cleanup::new(path.clone(), Kind::Directory);
            Ok::<_, io::Error>((path, cleanup))
        })
        .await?;
        cleanup.disarm();
        Ok(path)
    }
}

/// The directory where temporary files and directories go unless told otherwise
/// ([`std::env::temp_dir`]: `TMPDIR`, or else `/tmp`, on Unix).
///
/// Not async, unlike AnyIO's: Python's `gettempdir` tries to create a file in each candidate
/// directory to pick one, which blocks, whereas `std::env::temp_dir` only reads the
/// environment. The directory is not checked to exist.
///
/// # Examples
/// ```
/// let dir = anyio::fs::gettempdir();
/// assert_eq!(dir, std::env::temp_dir());
/// ```
pub fn gettempdir() -> PathBuf {
    std::env::temp_dir()
}
