//! Temporary files and directories (AnyIO's `TemporaryFile`, `NamedTemporaryFile`,
//! `SpooledTemporaryFile`, `TemporaryDirectory`, `mkstemp`, `mkdtemp`, `gettempdir`).
//!
//! Names are made and files created by the [`tempfile`] crate (securely: a random name,
//! created exclusively, readable by its owner only), on a worker thread through
//! [`to_thread`](crate::to_thread), as every blocking call of [`anyio::fs`](super) is.
//!
//! Which one:
//!
//! - [`TemporaryFile`]: scratch bytes that nobody else opens. It has no name, and the system
//!   frees it when it is closed, even if the process dies.
//! - [`NamedTemporaryFile`]: a file with a path, to hand to other code or another program.
//!   Removed at `aclose` or on drop, unless kept ([`keep`](NamedTemporaryFile::keep),
//!   [`persist`](NamedTemporaryFile::persist), or built with
//!   [`delete(false)`](NamedTemporaryFileBuilder::delete)).
//! - [`SpooledTemporaryFile`]: scratch bytes that are usually few. They stay in memory up to a
//!   size, and move to a `TemporaryFile` past it.
//! - [`TemporaryDirectory`]: a directory to fill. Removed with its contents at `aclose` or on
//!   drop, unless kept.
//! - [`mkstemp`], [`mkdtemp`]: a file or directory that outlives you; never removed by anyio.
//!
//! Removal on drop runs on a worker thread in the background when the value is dropped on a
//! thread anyio knows runs an event loop (anyio's runners, a tokio runtime's threads: a
//! removal can block, on a large tree or a slow disk), and at once, blocking, otherwise (a
//! plain thread, a worker, a native `smol::block_on` executor, which cannot be told from a
//! plain thread); its error has nobody to go to (call `aclose` to see it). An unnamed
//! [`TemporaryFile`] has nothing to remove: the system frees it when its descriptor is
//! closed, on the thread that drops it. It happens when a panic
//! unwinds through the owner too, but not when the process is killed or aborts: then named files
//! and directories stay where they are, as with any temporary file library.
//!
//! # Examples
//! ```
//! anyio::run(async {
//!     let dir = anyio::fs::TemporaryDirectory::new().await?;
//!     anyio::fs::write(dir.path().join("input.txt"), "some input").await?;
//!     // ... hand `dir.path()` to a program that reads and writes in it ...
//!     let path = dir.path().to_owned();
//!     dir.aclose().await?;
//!     assert!(!anyio::fs::exists(&path).await?);
//!     Ok::<(), std::io::Error>(())
//! })??;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cleanup;
mod directory;
mod forward;
mod functions;
mod memory;
mod named;
mod naming;
mod spooled;
mod spooled_io;
mod unnamed;

pub use directory::{TemporaryDirectory, TemporaryDirectoryBuilder};
pub use functions::{gettempdir, mkdtemp, mkstemp};
pub use named::{NamedTemporaryFile, NamedTemporaryFileBuilder};
pub use spooled::SpooledTemporaryFile;
pub use unnamed::TemporaryFile;
