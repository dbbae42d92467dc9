//! [`walk`]: a directory tree as a stream of directories, each with the names in it (Python's
//! `Path.walk`).

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::batch::{self, Ancestors, BATCH, Batched, Entered, Work};
use super::error::with_path;

/// Walks the directory tree under `root`: one [`WalkEntry`] per directory, with the names of
/// the subdirectories and of the other entries in it (Python's `Path.walk`).
///
/// The entries come as a [`Stream`](futures_core::Stream) (or one by one with
/// [`Walk::next_entry`]). Set the order and whether symbolic links are followed on the
/// [`Walk`] before asking for the first entry:
///
/// - [`top_down`](Walk::top_down) (the default): a directory comes before everything under
///   it, and its subdirectories are walked in the order of its `dirs`; you can then keep the
///   walk out of some of them ([`skip_subdir`](Walk::skip_subdir),
///   [`skip_current_dir`](Walk::skip_current_dir)). `top_down(false)` gives a directory after
///   everything under it (to remove a tree, say).
/// - [`follow_symlinks`](Walk::follow_symlinks) (off by default): a symbolic link is listed
///   in `files` whatever it points to, and never walked into. On, a link to a directory is
///   listed in `dirs` and walked like one.
///
/// The work runs on worker threads, in batches of about 128 entries read or directories
/// opened per thread hop (so neither one hop per entry, nor the whole tree in one go). One
/// directory's names are collected whole before its entry comes, as Python does; a huge
/// directory takes several hops to list. The walk reads ahead by at most one batch.
///
/// Where Python takes an `on_error` callback, errors here are items of the stream: a
/// directory that cannot be listed gives an `Err` naming it instead of its entry, and the walk
/// goes on with the rest. Stop at the first error with `?`, or skip them; the
/// [`Stream`](futures_core::Stream) combinators make either a line.
///
/// # Errors
/// Items of the stream, each naming its path, after which the walk goes on:
/// - a directory that cannot be listed, or whose listing fails midway (its entry is not
///   given, and nothing under it is walked), including `root` itself (not found, not a
///   directory, permission denied);
/// - with `follow_symlinks`, a directory whose metadata cannot be read, and a symbolic link
///   that leads back to a directory containing it: its name is in its parent's `dirs`, but it
///   is not walked into again (the error is the system's `ELOOP`, "too many levels of symbolic
///   links", on Unix). Python's `Path.walk` keeps no such record and recurses until the
///   system refuses the path.
///
/// # Cancel safety
/// A cancelled [`next_entry`](Walk::next_entry) loses no entry: the batch it was waiting
/// for is kept for the next call.
/// Like anyio's other operations, it is a cancellation point even when an item found ahead
/// serves it: in a cancelled scope it hands out nothing.
///
/// # Examples
/// ```
/// use std::ffi::OsString;
///
/// anyio::run(async {
///     let root = std::env::temp_dir().join(format!("anyio-doc-walk-{}", std::process::id()));
///     anyio::fs::create_dir_all(root.join("src/bin")).await?;
///     anyio::fs::write(root.join("src/lib.rs"), "").await?;
///     anyio::fs::write(root.join("src/bin/tool.rs"), "").await?;
///
///     let mut walk = anyio::fs::walk(&root);
///     let mut seen = Vec::new();
///     while let Some(entry) = walk.next_entry().await? {
///         let dir = entry.dir.strip_prefix(&root).unwrap().to_owned();
///         seen.push((dir, entry.dirs, entry.files));
///     }
///     let names = |names: &[&str]| names.iter().map(OsString::from).collect::<Vec<_>>();
///     assert_eq!(
///         seen,
///         [
///             ("".into(), names(&["src"]), names(&[])),
///             ("src".into(), names(&["bin"]), names(&["lib.rs"])),
///             ("src/bin".into(), names(&[]), names(&["tool.rs"])),
///         ]
///     );
///     anyio::fs::remove_dir_all(&root).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn walk(root: impl AsRef<Path>) -> Walk {
    let root = root.as_ref().to_owned();
    Walk {
        batched: Batched::new(Tree {
            top_down: true,
            follow_symlinks: false,
            stack: vec![Frame::Visit {
                dir: root.clone(),
                ancestors: None,
            }],
            listing: None,
        }),
        root,
        started: false,
        top_down: true,
        current: None,
        skipped: Vec::new(),
    }
}

/// One directory of a [`walk`]: its path and the names in it (Python's `(dirpath, dirnames,
/// filenames)`).
///
/// The names are in the order the system listed them (sort them if you need an order), and
/// are `OsString`s because a file name need not be valid Unicode (use `to_str` or
/// `to_string_lossy` where you want text). Join a name to `dir` for its path.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let root = std::env::temp_dir().join(format!("anyio-doc-entry-{}", std::process::id()));
///     anyio::fs::create_dir_all(root.join("docs")).await?;
///     anyio::fs::write(root.join("README"), "").await?;
///
///     let mut walk = anyio::fs::walk(&root);
///     let anyio::fs::WalkEntry { dir, dirs, files } = walk.next_entry().await?.unwrap();
///     assert_eq!(dir, root);
///     assert_eq!(dirs, ["docs"]);
///     assert_eq!(files, ["README"]);
///     assert_eq!(dir.join(&files[0]), root.join("README"));
///     anyio::fs::remove_dir_all(&root).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkEntry {
    /// The directory: the walk's root, or a path under it (the root joined with the names on
    /// the way down).
    pub dir: PathBuf,
    /// The names of its subdirectories (with `follow_symlinks`, also of its symbolic links to
    /// directories).
    pub dirs: Vec<OsString>,
    /// The names of everything else in it: files, and symbolic links unless they are followed
    /// to directories, special files.
    pub files: Vec<OsString>,
}

/// The stream of a directory tree's [`WalkEntry`]s; see [`walk`].
///
/// # Examples
/// Counting the files of a tree with the [`Stream`](futures_core::Stream) combinators of
/// `futures-lite`, skipping directories that cannot be listed:
/// ```
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let root = std::env::temp_dir().join(format!("anyio-doc-count-{}", std::process::id()));
///     anyio::fs::create_dir_all(root.join("a/b")).await?;
///     for file in ["one", "a/two", "a/b/three"] {
///         anyio::fs::write(root.join(file), "").await?;
///     }
///     let files = anyio::fs::walk(&root)
///         .filter_map(Result::ok)
///         .fold(0, |count, entry| count + entry.files.len())
///         .await;
///     assert_eq!(files, 3);
///     anyio::fs::remove_dir_all(&root).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Walk {
    batched: Batched<Tree>,
    root: PathBuf,
    started: bool,
    top_down: bool,
    /// The directory of the last entry given top-down: the one whose subdirectories
    /// `skip_subdir` and `skip_current_dir` keep the walk out of.
    current: Option<PathBuf>,
    /// Subtrees to drop from the batch on a worker thread when it comes back.
    skipped: Vec<PathBuf>,
}

impl Walk {
    /// Whether a directory comes before the directories under it (`true`, the default) or
    /// after them (Python's `top_down`).
    ///
    /// Either way each directory comes once, and the walk goes depth first: top-down, a
    /// directory, then the whole walk of each of its subdirectories in the order of its
    /// `dirs`; bottom-up, the whole walk of each subdirectory, then the directory.
    ///
    /// Set it before asking for the first entry; it changes nothing in a walk already started.
    ///
    /// # Examples
    /// Removing a tree's files, then each directory once it is empty:
    /// ```
    /// anyio::run(async {
    ///     let root = std::env::temp_dir().join(format!("anyio-doc-up-{}", std::process::id()));
    ///     anyio::fs::create_dir_all(root.join("a/b")).await?;
    ///     anyio::fs::write(root.join("a/b/file"), "").await?;
    ///
    ///     let mut walk = anyio::fs::walk(&root).top_down(false);
    ///     while let Some(entry) = walk.next_entry().await? {
    ///         for file in &entry.files {
    ///             anyio::fs::remove_file(entry.dir.join(file)).await?;
    ///         }
    ///         anyio::fs::remove_dir(&entry.dir).await?;
    ///     }
    ///     assert!(!anyio::fs::exists(&root).await?);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn top_down(mut self, top_down: bool) -> Self {
        if let Some(tree) = self.unstarted() {
            tree.top_down = top_down;
        }
        if !self.started {
            self.top_down = top_down;
        }
        self
    }

    /// Whether symbolic links to directories are walked into (Python's `follow_symlinks`;
    /// `false` by default).
    ///
    /// Off, every symbolic link is listed in `files` and none is followed, so the walk stays
    /// inside the tree. On, a link to a directory is listed in `dirs` and walked like a
    /// directory (its entries' paths go through the link); a link that leads back to a
    /// directory containing it is walked into once, not again: an error item names it
    /// instead. The walk knows the directories on the way down by device and inode numbers
    /// on Unix (by canonical path elsewhere), which costs one `stat` per directory.
    ///
    /// A directory reached through two links that are not a loop is walked once for each.
    ///
    /// Set it before asking for the first entry; it changes nothing in a walk already started.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(unix)] {
    /// use std::ffi::OsString;
    ///
    /// anyio::run(async {
    ///     let root = std::env::temp_dir().join(format!("anyio-doc-links-{}", std::process::id()));
    ///     anyio::fs::create_dir_all(root.join("real")).await?;
    ///     anyio::fs::symlink("real", root.join("link")).await?;
    ///
    ///     let top = anyio::fs::walk(&root).next_entry().await?.unwrap();
    ///     assert_eq!(top.dirs, ["real"]);
    ///     assert_eq!(top.files, ["link"]);
    ///
    ///     let top = anyio::fs::walk(&root).follow_symlinks(true).next_entry().await?.unwrap();
    ///     let mut dirs = top.dirs;
    ///     dirs.sort();
    ///     assert_eq!(dirs, ["link", "real"]);
    ///     assert_eq!(top.files, Vec::<OsString>::new());
    ///     anyio::fs::remove_dir_all(&root).await
    /// })??;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn follow_symlinks(mut self, follow_symlinks: bool) -> Self {
        if let Some(tree) = self.unstarted() {
            tree.follow_symlinks = follow_symlinks;
        }
        self
    }

    fn unstarted(&mut self) -> Option<&mut Tree> {
        if self.started {
            return None;
        }
        self.batched.work_mut()
    }

    /// The next directory; `None` when the walk is over.
    ///
    /// # Errors
    /// A directory that cannot be walked, naming it (see [`walk`]). The walk goes on after
    /// it: call again for the next entry.
    ///
    /// # Cancel safety
    /// Cancel safe: see [`walk`].
    ///
    /// # Examples
    /// See [`walk`].
    pub async fn next_entry(&mut self) -> io::Result<Option<WalkEntry>> {
        poll_fn(|cx| self.poll_entry(cx)).await.transpose()
    }

    fn poll_entry(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<WalkEntry>>> {
        self.started = true;
        let skipped = &mut self.skipped;
        let found = std::task::ready!(self.batched.poll_next(cx, |batch| {
            // Asked for while this batch was away: nothing under these has been handed out,
            // so dropping them now is as if the walk had never gone there.
            for dir in skipped.drain(..) {
                batch.work.skip(&dir);
                batch.items.retain(|found| !found.path().starts_with(&dir));
            }
        }));
        self.current = None;
        Poll::Ready(found.map(|found| match found {
            Found::Entry(entry) => {
                if self.top_down {
                    self.current = Some(entry.dir.clone());
                }
                Ok(entry)
            }
            Found::Failed { error, .. } => Err(error),
        }))
    }

    /// Keeps the walk out of the subdirectory `name` of the directory it gave last, as
    /// removing the name from `dirnames` does in Python (top-down walks only).
    ///
    /// The entry you hold is yours and the walk does not read it back, so say here what to
    /// leave out. The walk may already have read ahead into that subdirectory (a batch
    /// reaches past the entry given); whatever it found there is dropped unseen, so the result
    /// is the same as if it had never gone there.
    ///
    /// Does nothing when `name` is not one of the last entry's `dirs`, after an error item,
    /// and in a bottom-up walk (which gives a directory after everything under it).
    ///
    /// # Examples
    /// Leaving out hidden directories:
    /// ```
    /// anyio::run(async {
    ///     let root = std::env::temp_dir().join(format!("anyio-doc-skip-{}", std::process::id()));
    ///     anyio::fs::create_dir_all(root.join(".git/objects")).await?;
    ///     anyio::fs::create_dir_all(root.join("src")).await?;
    ///
    ///     let mut walk = anyio::fs::walk(&root);
    ///     let mut dirs = Vec::new();
    ///     while let Some(entry) = walk.next_entry().await? {
    ///         for name in &entry.dirs {
    ///             if name.to_string_lossy().starts_with('.') {
    ///                 walk.skip_subdir(name);
    ///             }
    ///         }
    ///         dirs.push(entry.dir);
    ///     }
    ///     assert_eq!(dirs, [root.clone(), root.join("src")]);
    ///     anyio::fs::remove_dir_all(&root).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_subdir(&mut self, name: impl AsRef<OsStr>) {
        let Some(current) = &self.current else {
            return;
        };
        // Only a plain name: `..` or a path would reach outside the current directory.
        let mut components = Path::new(name.as_ref()).components();
        if let (Some(Component::Normal(name)), None) = (components.next(), components.next()) {
            let dir = current.join(name);
            self.skip(dir);
        }
    }

    /// Keeps the walk out of every subdirectory of the directory it gave last (top-down walks
    /// only): walkdir's `skip_current_dir`, or clearing `dirnames` in Python.
    ///
    /// What [`skip_subdir`](Walk::skip_subdir) does for one name, for all of them; does
    /// nothing in the same cases.
    ///
    /// # Examples
    /// Only the first two levels of a tree:
    /// ```
    /// anyio::run(async {
    ///     let root = std::env::temp_dir().join(format!("anyio-doc-depth-{}", std::process::id()));
    ///     anyio::fs::create_dir_all(root.join("a/b/c")).await?;
    ///
    ///     let mut walk = anyio::fs::walk(&root);
    ///     let mut dirs = Vec::new();
    ///     while let Some(entry) = walk.next_entry().await? {
    ///         if entry.dir != root {
    ///             walk.skip_current_dir();
    ///         }
    ///         dirs.push(entry.dir);
    ///     }
    ///     assert_eq!(dirs, [root.clone(), root.join("a")]);
    ///     anyio::fs::remove_dir_all(&root).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_current_dir(&mut self) {
        if let Some(current) = self.current.clone() {
            self.skip(current);
        }
    }

    /// Drops `dir` and everything under it from the walk: what is found and waiting, what is
    /// yet to be walked, and (when a batch is away) what that batch brings back.
    fn skip(&mut self, dir: PathBuf) {
        self.batched
            .ready_mut()
            .retain(|found| !found.path().starts_with(&dir));
        if let Some(tree) = self.batched.work_mut() {
            tree.skip(&dir);
        } else if self.batched.is_busy() {
            self.skipped.push(dir);
        }
    }

    /// The directory the walk started from.
    ///
    /// # Examples
    /// ```
    /// let walk = anyio::fs::walk("/");
    /// assert_eq!(walk.root(), std::path::Path::new("/"));
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl futures_core::Stream for Walk {
    type Item = io::Result<WalkEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_entry(cx)
    }
}

impl fmt::Debug for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("root", &self.root)
            .field("current", &self.current)
            .field("batches", &self.batched)
            .finish_non_exhaustive()
    }
}

/// What a batch finds: a directory's entry, or the error that stood for it.
enum Found {
    Entry(WalkEntry),
    Failed { path: PathBuf, error: io::Error },
}

impl Found {
    /// The directory it concerns: what skipping a subtree drops it by.
    fn path(&self) -> &Path {
        match self {
            Found::Entry(entry) => &entry.dir,
            Found::Failed { path, .. } => path,
        }
    }
}

/// The walk's state on its way between the stream and the worker threads.
struct Tree {
    top_down: bool,
    follow_symlinks: bool,
    /// Depth first: the next directory to open, or (bottom-up) to give, on top.
    stack: Vec<Frame>,
    /// The directory being read, which a batch may leave halfway for the next one.
    listing: Option<Listing>,
}

enum Frame {
    /// A directory to list, with the directories above it when links are followed.
    Visit {
        dir: PathBuf,
        ancestors: Option<Arc<Ancestors<()>>>,
    },
    /// Bottom-up: a listed directory to give once everything under it has been given.
    Give(WalkEntry),
}

impl Frame {
    fn path(&self) -> &Path {
        match self {
            Frame::Visit { dir, .. } => dir,
            Frame::Give(entry) => &entry.dir,
        }
    }
}

struct Listing {
    entries: std::fs::ReadDir,
    found: WalkEntry,
    ancestors: Option<Arc<Ancestors<()>>>,
}

impl Work for Tree {
    type Item = Found;

    fn advance(&mut self, out: &mut VecDeque<Found>) -> bool {
        let mut budget = BATCH;
        while budget > 0 {
            if let Some(listing) = &mut self.listing {
                match read_some(listing, &mut budget, self.follow_symlinks) {
                    Ok(false) => {}
                    Ok(true) => {
                        if let Some(listing) = self.listing.take() {
                            self.listed(listing, out);
                        }
                    }
                    Err(error) => {
                        if let Some(listing) = self.listing.take() {
                            let path = listing.found.dir;
                            let error = with_path("list", &path, error);
                            out.push_back(Found::Failed { path, error });
                        }
                    }
                }
                continue;
            }
            let Some(frame) = self.stack.pop() else {
                return false;
            };
            budget -= 1;
            match frame {
                Frame::Give(entry) => out.push_back(Found::Entry(entry)),
                Frame::Visit { dir, ancestors } => self.open(dir, ancestors, out),
            }
        }
        self.listing.is_some() || !self.stack.is_empty()
    }
}

/// Reads entries of `listing` until it ends (`true`) or the budget is spent (`false`).
fn read_some(listing: &mut Listing, budget: &mut usize, follow_symlinks: bool) -> io::Result<bool> {
    while *budget > 0 {
        let Some(entry) = listing.entries.next() else {
            return Ok(true);
        };
        let entry = entry?;
        *budget -= 1;
        // The type comes with the listing on most systems; only a followed link costs a
        // `stat`. An entry whose type cannot be read is not a directory, as in Python.
        let is_dir = match entry.file_type() {
            Ok(kind) if kind.is_dir() => true,
            Ok(kind) if kind.is_symlink() && follow_symlinks => {
                batch::is_dir_following(&entry.path())
            }
            _ => false,
        };
        let names = if is_dir {
            &mut listing.found.dirs
        } else {
            &mut listing.found.files
        };
        names.push(entry.file_name());
    }
    Ok(false)
}

impl Tree {
    fn open(
        &mut self,
        dir: PathBuf,
        ancestors: Option<Arc<Ancestors<()>>>,
        out: &mut VecDeque<Found>,
    ) {
        let ancestors = if self.follow_symlinks {
            match batch::enter(&dir, (), ancestors.as_ref()) {
                Ok(Entered::New(chain)) => Some(chain),
                Ok(Entered::Loop) => {
                    let error = with_path("walk into", &dir, batch::loop_error());
                    out.push_back(Found::Failed { path: dir, error });
                    return;
                }
                Err(error) => {
                    let error = with_path("walk into", &dir, error);
                    out.push_back(Found::Failed { path: dir, error });
                    return;
                }
            }
        } else {
            // Without links, a walk cannot come back to where it has been.
            None
        };
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                self.listing = Some(Listing {
                    entries,
                    found: WalkEntry {
                        dir,
                        dirs: Vec::new(),
                        files: Vec::new(),
                    },
                    ancestors,
                });
            }
            Err(error) => {
                let error = with_path("list", &dir, error);
                out.push_back(Found::Failed { path: dir, error });
            }
        }
    }

    /// A directory read to its end: its entry, and its subdirectories to walk next.
    fn listed(&mut self, listing: Listing, out: &mut VecDeque<Found>) {
        let Listing {
            found, ancestors, ..
        } = listing;
        let children: Vec<Frame> = found
            .dirs
            .iter()
            .rev()
            .map(|name| Frame::Visit {
                dir: found.dir.join(name),
                ancestors: ancestors.clone(),
            })
            .collect();
        if self.top_down {
            out.push_back(Found::Entry(found));
        } else {
            self.stack.push(Frame::Give(found));
        }
        // Reversed, so that the first subdirectory is on top and walked first.
        self.stack.extend(children);
    }

    /// Drops what is yet to be walked at `dir` and under it.
    fn skip(&mut self, dir: &Path) {
        self.stack.retain(|frame| !frame.path().starts_with(dir));
        if self
            .listing
            .as_ref()
            .is_some_and(|listing| listing.found.dir.starts_with(dir))
        {
            self.listing = None;
        }
    }
}
