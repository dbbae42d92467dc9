//! [`open_file`] and [`wrap_file`]: AnyIO's names for making an [`AsyncFile`].

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use super::file::AsyncFile;

/// Opens the file at `path` with `options` (AnyIO's `open_file`, with `std`'s `OpenOptions` in
/// place of a mode string); the same as [`AsyncFile::with_options`].
///
/// # Errors
/// The system's error, naming the path: a missing file, a directory opened for writing,
/// permission denied, a path with a NUL byte in it.
///
/// # Cancel safety
/// As [`AsyncFile::with_options`]: a cancelled call leaves nothing open, but may have created
/// or truncated the file.
///
/// # Examples
/// ```
/// use std::fs::OpenOptions;
///
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-open-{}", std::process::id()));
///     let mut options = OpenOptions::new();
///     options.read(true).write(true).create(true).truncate(true);
///     let mut file = anyio::fs::open_file(&path, options).await?;
///     file.write_all(b"read me back").await?;
///     file.seek(std::io::SeekFrom::Start(0)).await?;
///     let mut text = String::new();
///     file.read_to_string(&mut text).await?;
///     assert_eq!(text, "read me back");
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn open_file(path: impl AsRef<Path>, options: OpenOptions) -> io::Result<AsyncFile> {
    AsyncFile::with_options(path, options).await
}

/// Wraps an open `std::fs::File` (AnyIO's `wrap_file`); the same as [`AsyncFile::from_std`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let mut file = anyio::fs::wrap_file(std::fs::File::open("/")?);
///     assert!(file.metadata().await?.is_dir());
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wrap_file(file: File) -> AsyncFile {
    AsyncFile::from_std(file)
}
