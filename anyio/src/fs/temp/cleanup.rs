//! Removing a named temporary file or a temporary directory: at `aclose`, or when its owner is
//! dropped.

use std::io;
use std::path::PathBuf;

use crate::backend::{self, BlockingJob, BlockingWork, Leftover};
use crate::fs::error::with_path;

/// What is removed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    File,
    /// A directory and everything in it.
    Directory,
}

/// A temporary path, removed when this is dropped unless disarmed first.
///
/// Owners hold it in an `Option` beside their own copy of the path, so that it can be moved into
/// the closure of a worker thread: if the caller's future is dropped while that thread works,
/// the closure still owns the removal and nothing is left behind.
#[derive(Debug)]
pub(super) struct Cleanup {
    /// `None` once removed or disarmed.
    target: Option<(PathBuf, Kind)>,
}

impl Cleanup {
    pub(super) fn new(path: PathBuf, kind: Kind) -> Cleanup {
        Cleanup {
            target: Some((path, kind)),
        }
    }

    /// Leaves the path where it is.
    pub(super) fn disarm(mut self) {
        self.target = None;
    }

    /// Removes the path now, blocking (on a worker thread). A path already gone is not an
    /// error: what was asked for, its absence, holds.
    ///
    /// # Errors
    /// The system's error, naming the path.
    pub(super) fn remove_now(mut self) -> io::Result<()> {
        match self.target.take() {
            Some((path, kind)) => remove(&path, kind).map_err(|error| {
                let action = match kind {
                    Kind::File => "remove the temporary file",
                    Kind::Directory => "remove the temporary directory",
                };
                with_path(action, &path, error)
            }),
            None => Ok(()),
        }
    }
}

fn remove(path: &std::path::Path, kind: Kind) -> io::Result<()> {
    let removed = match kind {
        Kind::File => std::fs::remove_file(path),
        Kind::Directory => std::fs::remove_dir_all(path),
    };
    match removed {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(target) = self.target.take() else {
            return;
        };
        let job = Box::new(Removal(Some(target)));
        // An event loop's thread must not block on a removal (a large tree, a slow disk): it
        // goes to a worker. Any other thread (a worker, a plain thread, after the runtime) removes
        // at once, so nothing depends on a pool that may be gone before the job runs.
        let started = match backend::current() {
            Ok(active) if backend::runs_event_loop() => backend::execute_blocking(active, job),
            _ => Err(job as BlockingJob),
        };
        if let Err(mut job) = started {
            job.run();
        }
    }
}

/// A removal nobody waits for.
struct Removal(Option<(PathBuf, Kind)>);

impl Removal {
    fn remove(&mut self) {
        if let Some((path, kind)) = self.0.take() {
            // Nobody to report an error to: `aclose` is the way to see it.
            let _ = remove(&path, kind);
        }
    }
}

impl BlockingWork for Removal {
    fn run(&mut self) {
        self.remove();
    }

    fn wanted(&self) -> bool {
        false
    }

    fn deliver(self: Box<Self>) -> Option<Leftover> {
        None
    }

    fn discard(self: Box<Self>) {}
}

impl Drop for Removal {
    fn drop(&mut self) {
        // Dropped without running: a runtime shutting down drops the jobs it has not started.
        // The removal happens here instead, on the thread shutting it down.
        self.remove();
    }
}
