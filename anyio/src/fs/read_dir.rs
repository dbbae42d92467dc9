//! [`read_dir`]: a directory's entries as a stream, fetched in batches on worker threads.

use std::collections::VecDeque;
use std::fmt;
use std::fs::DirEntry;
use std::future::{Future, poll_fn};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::error::with_path;
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::poll_gate;
use crate::to_thread::{self, RunSync};

/// How many entries one thread hop fetches.
const BATCH: usize = 128;

type Fetch = Box<dyn FnOnce() -> Batch + Send>;

/// What a hop brings back: the directory handle, the entries, and an error that ended it.
struct Batch {
    dir: std::fs::ReadDir,
    entries: VecDeque<io::Result<DirEntry>>,
    done: bool,
}

enum State {
    Idle(Option<std::fs::ReadDir>),
    Busy(RunSync<Fetch, Batch>),
}

/// Opens the directory at `path` for listing (`std::fs::read_dir`).
///
/// The entries come as a [`Stream`](futures_core::Stream) (or one by one with
/// [`ReadDir::next_entry`]), fetched 128 per thread hop, so a huge directory is neither
/// listed in one go nor one hop per entry. The entries are `std::fs::DirEntry`s: their `path`,
/// `file_name` and (on Linux, usually) `file_type` cost nothing, but `metadata` is a system
/// call; use [`metadata`](super::metadata) on the entry's path for that.
///
/// # Errors
/// The system's error opening the directory, naming the path; an error reading an entry is
/// an item of the stream.
///
/// # Cancel safety
/// A cancelled [`next_entry`](ReadDir::next_entry) loses no entry: the batch it was fetching
/// is kept for the next call.
/// Like anyio's other operations, it is a cancellation point even when an item found ahead
/// serves it: in a cancelled scope it hands out nothing.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let dir = std::env::temp_dir().join(format!("anyio-doc-ls-{}", std::process::id()));
///     anyio::fs::create_dir_all(&dir).await?;
///     for name in ["a", "b", "c"] {
///         anyio::fs::write(dir.join(name), name).await?;
///     }
///     let mut listing = anyio::fs::read_dir(&dir).await?;
///     let mut names = Vec::new();
///     while let Some(entry) = listing.next_entry().await? {
///         names.push(entry.file_name().into_string().unwrap());
///     }
///     names.sort();
///     assert_eq!(names, ["a", "b", "c"]);
///     anyio::fs::remove_dir_all(&dir).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dir(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<ReadDir>> + Send + 'static {
    let path = path.as_ref().to_owned();
    async move {
        let opened = {
            let path = path.clone();
            to_thread::run_sync(move || {
                std::fs::read_dir(&path).map_err(|error| with_path("list", &path, error))
            })
            .await?
        };
        Ok(ReadDir {
            state: State::Idle(Some(opened)),
            entries: VecDeque::new(),
            path,
        })
    }
}

/// The entries of a directory; see [`read_dir`].
///
/// # Examples
/// With the [`Stream`](futures_core::Stream) combinators of `futures-lite`:
/// ```
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let listing = anyio::fs::read_dir("/").await?;
///     let count = listing.count().await;
///     assert!(count > 0);
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReadDir {
    state: State,
    entries: VecDeque<io::Result<DirEntry>>,
    path: PathBuf,
}

impl ReadDir {
    /// The next entry; `None` when there are no more.
    ///
    /// # Errors
    /// An error reading the entry, naming the directory.
    ///
    /// # Cancel safety
    /// Cancel safe: see [`read_dir`].
    ///
    /// # Examples
    /// See [`read_dir`].
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_entry(cx)).await.transpose()
    }

    /// Behind the gate (see `file::poll_gate`): an entry read ahead is not handed out in a
    /// cancelled scope, and handing them out spends the task's budget.
    fn poll_entry(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<DirEntry>>> {
        let unit = ready!(poll_gate(cx, WaitPoint::Directory));
        let entry = ready!(self.poll_entry_ungated(cx));
        unit.made_progress();
        Poll::Ready(entry)
    }

    fn poll_entry_ungated(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<DirEntry>>> {
        loop {
            if let Some(entry) = self.entries.pop_front() {
                return Poll::Ready(Some(
                    entry.map_err(|error| with_path("list", &self.path, error)),
                ));
            }
            match &mut self.state {
                State::Idle(None) => return Poll::Ready(None),
                State::Idle(dir) => {
                    let mut dir = dir.take().expect("matched above");
                    let fetch: Fetch = Box::new(move || {
                        let mut entries = VecDeque::with_capacity(BATCH);
                        let mut done = true;
                        for entry in dir.by_ref() {
                            entries.push_back(entry);
                            if entries.len() == BATCH {
                                done = false;
                                break;
                            }
                        }
                        Batch { dir, entries, done }
                    });
                    // The batch belongs to the listing, not to the caller: a dropped
                    // `next_entry` leaves it here for the next one.
                    self.state = State::Busy(to_thread::run_sync(fetch).abandon_on_cancel());
                }
                State::Busy(fetch) => {
                    let batch = ready!(Pin::new(fetch).poll(cx));
                    self.entries = batch.entries;
                    self.state = State::Idle((!batch.done).then_some(batch.dir));
                }
            }
        }
    }

    /// The directory being listed.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let listing = anyio::fs::read_dir("/").await?;
    ///     assert_eq!(listing.path(), std::path::Path::new("/"));
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_entry(cx)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("path", &self.path)
            .field("buffered", &self.entries.len())
            .finish_non_exhaustive()
    }
}
