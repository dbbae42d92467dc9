//! The engine under [`walk`](super::walk()) and [`glob`](super::glob()): a traversal that
//! lives on the stream and moves to a worker thread for one batch of work at a time.
//!
//! Like [`ReadDir`](super::ReadDir), a stream built on this asks for the next batch only when
//! it has handed out every item of the last one, so it reads ahead by at most one batch. The
//! batch in flight belongs to the stream, not to the call that started it: a dropped `next`
//! leaves it here for the next call, and no item is lost.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::poll_gate;
use crate::to_thread::{self, RunSync};

/// How much work one thread hop does: one unit per directory entry read and per directory
/// opened or path looked up. Enough to make the hop's own cost small beside it, small enough
/// that a hop of a huge tree (or one huge directory) ends soon and hands back what it found.
pub(super) const BATCH: usize = 128;

/// A traversal whose state moves to a worker thread for each batch.
pub(super) trait Work: Send + 'static {
    /// What the stream yields.
    type Item: Send + 'static;

    /// Does about [`BATCH`] units of work, appending what it finds to `out`; `false` once there
    /// is nothing left to do.
    fn advance(&mut self, out: &mut VecDeque<Self::Item>) -> bool;
}

/// What a hop brings back: the traversal, what it found, and whether there is more to do.
pub(super) struct Returned<W: Work> {
    pub(super) work: W,
    pub(super) items: VecDeque<W::Item>,
    more: bool,
}

type Hop<W> = RunSync<Box<dyn FnOnce() -> Returned<W> + Send>, Returned<W>>;

enum Stage<W: Work> {
    Idle(W),
    Busy(Hop<W>),
    Finished,
}

/// A traversal and the items it has found that the stream has not handed out yet.
pub(super) struct Batched<W: Work> {
    stage: Stage<W>,
    ready: VecDeque<W::Item>,
}

impl<W: Work> Batched<W> {
    pub(super) fn new(work: W) -> Self {
        Self {
            stage: Stage::Idle(work),
            ready: VecDeque::new(),
        }
    }

    /// The next item, running batches on worker threads as needed; `returned` sees each batch
    /// as it comes back, before any of its items is handed out. Behind the gate (see
    /// `file::poll_gate`): an item found ahead is not handed out in a cancelled scope, and
    /// handing them out spends the task's budget.
    pub(super) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        returned: impl FnMut(&mut Returned<W>),
    ) -> Poll<Option<W::Item>> {
        let unit = std::task::ready!(poll_gate(cx, WaitPoint::Directory));
        let item = std::task::ready!(self.poll_next_ungated(cx, returned));
        unit.made_progress();
        Poll::Ready(item)
    }

    fn poll_next_ungated(
        &mut self,
        cx: &mut Context<'_>,
        mut returned: impl FnMut(&mut Returned<W>),
    ) -> Poll<Option<W::Item>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Poll::Ready(Some(item));
            }
            match std::mem::replace(&mut self.stage, Stage::Finished) {
                Stage::Finished => return Poll::Ready(None),
                Stage::Idle(mut work) => {
                    let hop: Box<dyn FnOnce() -> Returned<W> + Send> = Box::new(move || {
                        let mut items = VecDeque::new();
                        let more = work.advance(&mut items);
                        Returned { work, items, more }
                    });
                    // Abandoned rather than waited for on cancellation: the hop stays here,
                    // so a cancelled caller loses nothing and the next call picks it up.
                    self.stage = Stage::Busy(to_thread::run_sync(hop).abandon_on_cancel());
                }
                Stage::Busy(mut hop) => match Pin::new(&mut hop).poll(cx) {
                    Poll::Pending => {
                        self.stage = Stage::Busy(hop);
                        return Poll::Pending;
                    }
                    Poll::Ready(mut batch) => {
                        returned(&mut batch);
                        self.ready = batch.items;
                        if batch.more {
                            self.stage = Stage::Idle(batch.work);
                        }
                    }
                },
            }
        }
    }

    /// The traversal, when it is here (not on a worker thread, and not finished).
    pub(super) fn work_mut(&mut self) -> Option<&mut W> {
        match &mut self.stage {
            Stage::Idle(work) => Some(work),
            Stage::Busy(_) | Stage::Finished => None,
        }
    }

    /// Whether a batch is being worked on a worker thread.
    pub(super) fn is_busy(&self) -> bool {
        matches!(self.stage, Stage::Busy(_))
    }

    /// The items found and not yet handed out.
    pub(super) fn ready_mut(&mut self) -> &mut VecDeque<W::Item> {
        &mut self.ready
    }
}

impl<W: Work> fmt::Debug for Batched<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Idle(_) => "idle",
            Stage::Busy(_) => "working on a thread",
            Stage::Finished => "finished",
        };
        f.debug_struct("Batched")
            .field("stage", &stage)
            .field("buffered", &self.ready.len())
            .finish()
    }
}

/// What identifies a directory however it was reached: the device and inode numbers on Unix.
#[cfg(unix)]
type DirId = (u64, u64);

/// What identifies a directory however it was reached: elsewhere, its canonical path (std
/// has no stable file index there).
#[cfg(not(unix))]
type DirId = std::path::PathBuf;

#[cfg(unix)]
fn dir_id(path: &Path) -> io::Result<DirId> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path)?;
    Ok((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn dir_id(path: &Path) -> io::Result<DirId> {
    std::fs::canonicalize(path)
}

/// The directories a traversal went through to reach one (the directory itself first): what
/// tells a symbolic link that leads back up from a new directory. `key` is what else must be
/// the same for a directory to count as visited again (a search's place in its pattern).
#[derive(Debug)]
pub(super) struct Ancestors<K> {
    id: DirId,
    key: K,
    parent: Option<Arc<Ancestors<K>>>,
}

/// What [`enter`] finds about a directory.
pub(super) enum Entered<K> {
    /// A directory not among its ancestors (with the same key): its chain, for its children.
    New(Arc<Ancestors<K>>),
    /// A directory that is one of its own ancestors, reached through a symbolic link.
    Loop,
}

/// Looks `dir` (with `key`) up among `parent`'s chain (a system call: the directory's
/// metadata).
pub(super) fn enter<K: PartialEq>(
    dir: &Path,
    key: K,
    parent: Option<&Arc<Ancestors<K>>>,
) -> io::Result<Entered<K>> {
    let id = dir_id(dir)?;
    let mut link = parent;
    while let Some(ancestor) = link {
        if ancestor.id == id && ancestor.key == key {
            return Ok(Entered::Loop);
        }
        link = ancestor.parent.as_ref();
    }
    Ok(Entered::New(Arc::new(Ancestors {
        id,
        key,
        parent: parent.cloned(),
    })))
}

/// The error for a directory that is one of its own ancestors: the system's "too many levels
/// of symbolic links" where it has one, so that its kind and code are the ones a system call
/// going round the loop would give.
pub(super) fn loop_error() -> io::Error {
    #[cfg(unix)]
    {
        io::Error::from_raw_os_error(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        io::Error::other("a symbolic link leads back to a directory that contains it")
    }
}

/// Whether `path` is a directory, following a symbolic link (a broken or unreadable link is
/// not one).
pub(super) fn is_dir_following(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| metadata.is_dir())
}

/// Whether an error only says that a path is not there (or not a directory): for a search,
/// no match rather than a failure.
pub(super) fn is_absent(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}
