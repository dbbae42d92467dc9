//! [`TemporaryFile`]: a temporary file without a name.

use std::io;
use std::path::Path;

use super::forward::wraps_async_file;
use crate::fs::AsyncFile;
use crate::fs::error::with_path;
use crate::to_thread;

/// A temporary file without a name (AnyIO's `TemporaryFile`, the `tempfile` crate's
/// [`tempfile()`](tempfile::tempfile)): nothing else can open it, and the system frees its
/// space when it is closed, however the process ends.
///
/// It is an [`AsyncFile`] (through `Deref`/`DerefMut`, and the `AsyncRead`, `AsyncWrite` and
/// `AsyncSeek` traits of both I/O families, passed through), opened for reading and writing.
/// A wrapper rather than a plain `AsyncFile`, so that the three temporary files have one shape
/// (`new`, `new_in`, `aclose`, then the file's own methods) and a signature can say which it
/// takes; [`into_file`](Self::into_file) gives the `AsyncFile` itself.
///
/// On Linux the file is made with `O_TMPFILE` and never has a name; elsewhere it gets a random
/// one that is removed at once. Either way a prefix or suffix would hardly ever be seen, so
/// there is none to choose.
///
/// # Examples
/// ```
/// use std::io::SeekFrom;
///
/// anyio::run(async {
///     let mut scratch = anyio::fs::TemporaryFile::new().await?;
///     scratch.write_all(b"temporary file data").await?;
///     scratch.seek(SeekFrom::Start(0)).await?;
///     let mut back = String::new();
///     scratch.read_to_string(&mut back).await?;
///     assert_eq!(back, "temporary file data");
///     scratch.aclose().await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TemporaryFile {
    file: AsyncFile,
}

wraps_async_file!(TemporaryFile);

impl TemporaryFile {
    /// Creates a temporary file in the system's directory for them ([`gettempdir`]).
    ///
    /// [`gettempdir`]: crate::fs::gettempdir
    ///
    /// # Errors
    /// The system's error, naming the directory (it is missing, full or read-only).
    ///
    /// # Cancel safety
    /// The file is created on a worker thread, which a cancellation waits for; a file created
    /// for a caller that is gone is closed, which frees it.
    ///
    /// # Examples
    /// See [`TemporaryFile`].
    pub async fn new() -> io::Result<TemporaryFile> {
        TemporaryFile::create(None).await
    }

    /// Creates a temporary file in `dir`, on the file system that holds `dir`.
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
    ///     let error = anyio::fs::TemporaryFile::new_in("/no/such/dir").await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    ///     assert!(error.to_string().contains("/no/such/dir"));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn new_in(dir: impl AsRef<Path>) -> io::Result<TemporaryFile> {
        TemporaryFile::create(Some(dir.as_ref())).await
    }

    async fn create(dir: Option<&Path>) -> io::Result<TemporaryFile> {
        let dir = dir.map(Path::to_owned);
        let file = to_thread::run_sync(move || {
            let dir = dir.unwrap_or_else(std::env::temp_dir);
            tempfile::tempfile_in(&dir)
                .map_err(|error| with_path("create a temporary file in", &dir, error))
        })
        .await?;
        Ok(TemporaryFile {
            file: AsyncFile::from_std(file),
        })
    }

    /// The `AsyncFile` (the temporary file is still freed when that is closed).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let file: anyio::fs::AsyncFile = anyio::fs::TemporaryFile::new().await?.into_file();
    ///     assert_eq!(file.path(), None);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_file(self) -> AsyncFile {
        self.file
    }
}
