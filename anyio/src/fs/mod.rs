//! Files and paths for async code (AnyIO's `anyio.open_file`, `AsyncFile` and `Path`
//! methods), on any backend.
//!
//! Operating systems have no portable non-blocking file I/O, so every operation here runs on a
//! worker thread through [`to_thread`](crate::to_thread), under its capacity limiter, as AnyIO's
//! do. That keeps the event loop free while a disk is slow, and ties no code to one runtime's
//! `fs` module.
//!
//! - **Whole files and paths:** [`read`], [`write()`], [`metadata`], [`create_dir_all`],
//!   [`rename`], … are free functions over `std::path::Path`, named as in `std::fs` (and
//!   `tokio::fs`, `async-fs`). An `anyio::fs::Path` type would repeat std's own path API for no
//!   gain; Rust code passes `&Path`, `PathBuf` and `&str` around already.
//! - **Directories:** [`read_dir`] streams a directory's entries, [`walk`] a whole tree (as
//!   Python's `Path.walk`), [`glob`] and [`rglob`] the paths that match a pattern; all fetched
//!   in batches on worker threads, never collected whole first.
//! - **Open files:** [`AsyncFile`] (made by [`open_file`], [`wrap_file`] or its own
//!   constructors), with reads and writes batched through buffers (one thread hop per 64 KiB to
//!   2 MiB, however small the calls), its [`lines`](AsyncFile::lines), and the `AsyncRead`/
//!   `AsyncBufRead`/`AsyncWrite`/`AsyncSeek` traits of both I/O families.
//! - **Files as anyio streams:** [`FileReadStream`] and [`FileWriteStream`] implement the byte
//!   stream traits of [`streams`](crate::streams), with the [`FilePath`] attribute.
//! - **Temporary files and directories:** [`TemporaryFile`], [`NamedTemporaryFile`],
//!   [`SpooledTemporaryFile`] (in memory until it grows past a size), [`TemporaryDirectory`],
//!   all removed when closed or dropped (on a worker thread when dropped on an anyio runner's
//!   or a tokio runtime's thread; at once elsewhere, including a native `smol::block_on`);
//!   [`mkstemp`] and [`mkdtemp`] for ones you remove yourself.
//!
//! Errors are `std::io::Error`s that keep the system's error kind and name the path (see
//! [`PathError`]).
//!
//! ## Cancel safety
//! A system call on a worker thread cannot be stopped. A path operation ([`read`],
//! [`write()`], [`rename`], …) cancelled by its scope waits for its thread (holding the
//! enclosing scopes, as [`to_thread::run_sync`](crate::to_thread::run_sync) does) and drops
//! its result: the operation has happened, or failed, by the time the cancellation takes
//! effect, and is never left half done by anyio. A future dropped by other means (a
//! `select!`) leaves the call to finish on its own. Open files, listings and walks keep an
//! operation in progress for their next call instead; each says what a cancellation does.
//!
//! ```
//! anyio::run(async {
//!     let dir = std::env::temp_dir().join(format!("anyio-doc-fs-{}", std::process::id()));
//!     anyio::fs::create_dir_all(&dir).await?;
//!     anyio::fs::write(dir.join("notes.txt"), "remember the milk\n").await?;
//!
//!     let mut file = anyio::fs::AsyncFile::open(dir.join("notes.txt")).await?;
//!     let mut text = String::new();
//!     file.read_to_string(&mut text).await?;
//!     assert_eq!(text, "remember the milk\n");
//!
//!     anyio::fs::remove_dir_all(&dir).await
//! })??;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod error;
mod file;
mod glob;
mod io_traits;
mod lines;
mod open;
mod ops;
mod pattern;
mod read_dir;
mod stream;
mod temp;
mod walk;

pub use error::PathError;
pub use file::AsyncFile;
pub use glob::{Glob, glob, rglob};
pub use lines::Lines;
pub use open::{open_file, wrap_file};
#[cfg(unix)]
pub use ops::symlink;
pub use ops::{
    canonicalize, copy, create_dir, create_dir_all, exists, hard_link, metadata, read, read_link,
    read_to_string, remove_dir, remove_dir_all, remove_file, rename, set_permissions,
    symlink_metadata, write,
};
pub use read_dir::{ReadDir, read_dir};
#[cfg(unix)]
pub use stream::FileDescriptor;
pub use stream::{FilePath, FileReadStream, FileWriteStream};
pub use temp::{
    NamedTemporaryFile, NamedTemporaryFileBuilder, SpooledTemporaryFile, TemporaryDirectory,
    TemporaryDirectoryBuilder, TemporaryFile, gettempdir, mkdtemp, mkstemp,
};
pub use walk::{Walk, WalkEntry, walk};
