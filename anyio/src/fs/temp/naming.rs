//! How a temporary file or directory is named: prefix, random part, suffix, in a directory.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The prefix, suffix and parent directory of a temporary name.
#[derive(Debug, Clone)]
pub(super) struct Naming {
    prefix: OsString,
    suffix: OsString,
    dir: Option<PathBuf>,
}

impl Default for Naming {
    fn default() -> Naming {
        // Python's prefix: visible names (the tempfile crate's default, ".tmp", hides them).
        Naming {
            prefix: OsString::from("tmp"),
            suffix: OsString::new(),
            dir: None,
        }
    }
}

impl Naming {
    pub(super) fn new(prefix: &OsStr, suffix: &OsStr, dir: Option<&Path>) -> Naming {
        Naming {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            dir: dir.map(Path::to_owned),
        }
    }

    pub(super) fn set_prefix(&mut self, prefix: &OsStr) {
        prefix.clone_into(&mut self.prefix);
    }

    pub(super) fn set_suffix(&mut self, suffix: &OsStr) {
        suffix.clone_into(&mut self.suffix);
    }

    pub(super) fn set_dir(&mut self, dir: &Path) {
        self.dir = Some(dir.to_owned());
    }

    /// The parent directory: the one given, or the system's (read when the name is made, so
    /// that a change of `TMPDIR` meanwhile counts).
    pub(super) fn dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// The `tempfile` builder that makes names of this shape.
    pub(super) fn builder(&self) -> tempfile::Builder<'_, '_> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(&self.prefix).suffix(&self.suffix);
        builder
    }
}
