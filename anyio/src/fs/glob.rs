//! [`glob`] and [`rglob`]: the paths under a directory that match a pattern (Python's
//! `Path.glob` and `Path.rglob`), as a stream.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::batch::{self, Ancestors, BATCH, Batched, Entered, Work};
use super::error::with_path;
use super::pattern::{Part, Pattern};

/// The paths under `root` that match `pattern`, as a stream (Python's `Path.glob`).
///
/// The pattern is relative to `root`, with `/` between components (on Windows, `\` too),
/// and pathlib's syntax within a component:
///
/// | pattern | matches |
/// | --- | --- |
/// | `*` | any run of characters, including none |
/// | `?` | one character |
/// | `[abc]`, `[a-z]` | one character of the set (a `]` first in it is one of them) |
/// | `[!abc]` | one character not in the set |
/// | `**` | as a whole component: any number of directories, including none |
/// | a trailing `/` | directories only |
///
/// As in Python's pathlib, `*`, `?` and sets match a leading dot: `*` matches `.git`, and
/// `**` goes into hidden directories (filter the names if you want them left out). A
/// pattern that ends in `**` matches every file and directory under where it starts, that
/// directory included (`**` alone gives `root` itself too), as pathlib does from Python 3.13
/// (3.12 gave directories only; write `**/` for that). `**` does not go through symbolic
/// links unless [`follow_symlinks`](Glob::follow_symlinks) is set; the other components
/// follow them, as in pathlib.
///
/// Matching is case-sensitive, except on Windows (Python's default; see
/// [`case_sensitive`](Glob::case_sensitive)). A character that is not valid Unicode in a file
/// name (each byte of it) matches `?`, `*` and `[!…]`, and nothing else.
///
/// The paths are `root` joined with what matched, in no particular order (directories are
/// searched depth first, each in the order the system lists it): sort them if you need an
/// order. Each comes once. A component without wildcards is looked up rather than listed
/// (`src/**/*.rs` does not list the whole of `root`), and `..` is taken as it is.
/// The search runs on worker threads in batches of about 128 entries read or paths looked up
/// per thread hop, and reads ahead by at most one batch.
///
/// # Errors
/// An invalid pattern at once, as an error of kind
/// [`InvalidInput`](io::ErrorKind::InvalidInput) naming it and saying what is wrong: an
/// empty pattern, an absolute one, one made only of `.` components, `**` as part of a
/// component (`a**`), or a `[` without its `]` (Python's pathlib takes that `[` literally;
/// here a set left open is taken for a typo: write `[[]` to match a `[`).
///
/// Then, as items of the stream, each naming its path, after which the search goes on: a
/// directory that cannot be listed, a path whose metadata cannot be read. A path that is not
/// there, or that is under something that is not a directory, is no match, not an error
/// (so a `root` that does not exist gives an empty stream, as in Python); Python also leaves
/// out every other error, where here you choose: skip the `Err` items, or stop with `?`.
///
/// # Cancel safety
/// A cancelled [`next_path`](Glob::next_path) loses no path: the batch it was waiting for is
/// kept for the next call.
/// Like anyio's other operations, it is a cancellation point even when an item found ahead
/// serves it: in a cancelled scope it hands out nothing.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let root = std::env::temp_dir().join(format!("anyio-doc-glob-{}", std::process::id()));
///     anyio::fs::create_dir_all(root.join("src/bin")).await?;
///     for file in ["README.md", "src/lib.rs", "src/bin/tool.rs", "src/notes.txt"] {
///         anyio::fs::write(root.join(file), "").await?;
///     }
///
///     let mut sources = anyio::fs::glob(&root, "**/*.rs")?;
///     let mut found = Vec::new();
///     while let Some(path) = sources.next_path().await? {
///         found.push(path.strip_prefix(&root).unwrap().to_owned());
///     }
///     found.sort();
///     assert_eq!(found, [std::path::Path::new("src/bin/tool.rs"), "src/lib.rs".as_ref()]);
///
///     let error = anyio::fs::glob(&root, "src/[ab").unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
///     assert!(error.to_string().contains("src/[ab"), "{error}");
///     anyio::fs::remove_dir_all(&root).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn glob(root: impl AsRef<Path>, pattern: impl AsRef<str>) -> io::Result<Glob> {
    let (root, pattern) = (root.as_ref(), pattern.as_ref());
    let parsed =
        Pattern::parse(pattern, false).map_err(|error| with_path("search", root, error))?;
    Ok(Glob::new(root, pattern.to_owned(), parsed))
}

/// The paths anywhere under `root` whose end matches `pattern`: [`glob`] with `**/` before
/// the pattern (Python's `Path.rglob`).
///
/// `rglob(root, "*.rs")` finds the `.rs` files at any depth, `rglob(root, "")` every
/// directory, `root` included (as in Python).
///
/// # Errors
/// As [`glob`]'s, for the pattern as given.
///
/// # Cancel safety
/// As [`glob`]'s.
///
/// # Examples
/// ```
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let root = std::env::temp_dir().join(format!("anyio-doc-rglob-{}", std::process::id()));
///     anyio::fs::create_dir_all(root.join("a/b")).await?;
///     for file in ["top.txt", "a/b/deep.txt", "a/b/other.md"] {
///         anyio::fs::write(root.join(file), "").await?;
///     }
///     let mut texts: Vec<_> = anyio::fs::rglob(&root, "*.txt")?.try_collect().await?;
///     texts.sort();
///     assert_eq!(texts, [root.join("a/b/deep.txt"), root.join("top.txt")]);
///     anyio::fs::remove_dir_all(&root).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rglob(root: impl AsRef<Path>, pattern: impl AsRef<str>) -> io::Result<Glob> {
    let (root, pattern) = (root.as_ref(), pattern.as_ref());
    let parsed = Pattern::parse(pattern, true).map_err(|error| with_path("search", root, error))?;
    Ok(Glob::new(root, format!("**/{pattern}"), parsed))
}

/// The stream of the paths that match a pattern; see [`glob`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let root = std::env::temp_dir().join(format!("anyio-doc-g-{}", std::process::id()));
///     anyio::fs::create_dir_all(&root).await?;
///     anyio::fs::write(root.join("a.txt"), "").await?;
///     let mut texts = anyio::fs::glob(&root, "*.txt")?;
///     assert_eq!(texts.next_path().await?, Some(root.join("a.txt")));
///     assert_eq!(texts.next_path().await?, None);
///     anyio::fs::remove_dir_all(&root).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Glob {
    batched: Batched<Search>,
    root: PathBuf,
    pattern: String,
    started: bool,
}

impl Glob {
    fn new(root: &Path, pattern: String, parsed: Pattern) -> Self {
        Glob {
            batched: Batched::new(Search {
                rules: Rules {
                    pattern: parsed,
                    case_sensitive: !cfg!(windows),
                    follow_symlinks: false,
                },
                root: Some(root.to_owned()),
                stack: Vec::new(),
                listing: None,
            }),
            root: root.to_owned(),
            pattern,
            started: false,
        }
    }

    /// Whether letters must match in case (Python's `case_sensitive`): `true` by default,
    /// except on Windows, whose file systems ignore case.
    ///
    /// Without it, a letter matches either case (Unicode's simple case mappings), in sets
    /// and ranges too, and components without wildcards are matched against the listing
    /// rather than looked up, so that the paths found are spelled as on disk.
    ///
    /// Set it before asking for the first path; it changes nothing in a search already
    /// started.
    ///
    /// # Examples
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// anyio::run(async {
    ///     let root = std::env::temp_dir().join(format!("anyio-doc-case-{}", std::process::id()));
    ///     anyio::fs::create_dir_all(&root).await?;
    ///     anyio::fs::write(root.join("Notes.TXT"), "").await?;
    ///     let found: Vec<_> =
    ///         anyio::fs::glob(&root, "*.txt")?.case_sensitive(false).try_collect().await?;
    ///     assert_eq!(found, [root.join("Notes.TXT")]);
    ///     anyio::fs::remove_dir_all(&root).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn case_sensitive(mut self, case_sensitive: bool) -> Self {
        if let Some(search) = self.unstarted() {
            search.rules.case_sensitive = case_sensitive;
        }
        self
    }

    /// Whether `**` goes through symbolic links to directories (Python 3.13's
    /// `recurse_symlinks`; `false` by default).
    ///
    /// Off, `**` stays inside the tree (a link is matched, not walked into, by `**`; a
    /// component after it still follows links, as in pathlib). On, `**` walks into linked
    /// directories too, but never round a loop: a directory the search has come through on
    /// its way down, at the same place in the pattern, is not searched again (every path
    /// round the loop names something found already), and that is no error. The search
    /// knows the directories on the way down by device and inode numbers on Unix (by
    /// canonical path elsewhere), at the cost of one `stat` per directory. Python's pathlib
    /// keeps no such record.
    ///
    /// Set it before asking for the first path; it changes nothing in a search already
    /// started.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(unix)] {
    /// use futures_lite::StreamExt;
    ///
    /// anyio::run(async {
    ///     let root = std::env::temp_dir().join(format!("anyio-doc-gl-{}", std::process::id()));
    ///     anyio::fs::create_dir_all(root.join("real")).await?;
    ///     anyio::fs::write(root.join("real/a.txt"), "").await?;
    ///     anyio::fs::symlink("real", root.join("link")).await?;
    ///
    ///     let found: Vec<_> = anyio::fs::glob(&root, "**/*.txt")?.try_collect().await?;
    ///     assert_eq!(found, [root.join("real/a.txt")]);
    ///
    ///     let glob = anyio::fs::glob(&root, "**/*.txt")?.follow_symlinks(true);
    ///     let mut found: Vec<_> = glob.try_collect().await?;
    ///     found.sort();
    ///     assert_eq!(found, [root.join("link/a.txt"), root.join("real/a.txt")]);
    ///     anyio::fs::remove_dir_all(&root).await
    /// })??;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn follow_symlinks(mut self, follow_symlinks: bool) -> Self {
        if let Some(search) = self.unstarted() {
            search.rules.follow_symlinks = follow_symlinks;
        }
        self
    }

    fn unstarted(&mut self) -> Option<&mut Search> {
        if self.started {
            return None;
        }
        self.batched.work_mut()
    }

    /// The next path that matches; `None` when the search is over.
    ///
    /// # Errors
    /// A directory that cannot be searched, naming it (see [`glob`]). The search goes on
    /// after it: call again for the next path.
    ///
    /// # Cancel safety
    /// Cancel safe: see [`glob`].
    ///
    /// # Examples
    /// See [`glob`].
    pub async fn next_path(&mut self) -> io::Result<Option<PathBuf>> {
        poll_fn(|cx| self.poll_path(cx)).await.transpose()
    }

    fn poll_path(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<PathBuf>>> {
        self.started = true;
        self.batched.poll_next(cx, |_| {})
    }

    /// The directory searched.
    ///
    /// # Examples
    /// ```
    /// let glob = anyio::fs::glob("/etc", "*.conf")?;
    /// assert_eq!(glob.root(), std::path::Path::new("/etc"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The pattern, as given to [`glob`] (with `**/` before it for [`rglob`]).
    ///
    /// # Examples
    /// ```
    /// let glob = anyio::fs::rglob("/etc", "*.conf")?;
    /// assert_eq!(glob.pattern(), "**/*.conf");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pattern(&self) -> &str {
        &self.pattern
    }
}

impl futures_core::Stream for Glob {
    type Item = io::Result<PathBuf>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_path(cx)
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Glob")
            .field("root", &self.root)
            .field("pattern", &self.pattern)
            .field("batches", &self.batched)
            .finish_non_exhaustive()
    }
}

/// Where in the pattern a search stands: indices of its parts still to match, sorted, without
/// repeats; `parts.len()` stands for "matched to the end".
type States = Vec<usize>;

fn add(states: &mut States, state: usize) {
    if let Err(at) = states.binary_search(&state) {
        states.insert(at, state);
    }
}

/// The search's state on its way between the stream and the worker threads.
struct Search {
    rules: Rules,
    /// Not yet looked at (the first batch checks that it is a directory).
    root: Option<PathBuf>,
    /// Depth first: the next directory to search on top.
    stack: Vec<Visit>,
    /// The directory being listed, which a batch may leave halfway for the next one.
    listing: Option<Listing>,
}

struct Rules {
    pattern: Pattern,
    case_sensitive: bool,
    follow_symlinks: bool,
}

/// A directory to search, and the parts of the pattern its entries are to match.
struct Visit {
    dir: PathBuf,
    states: States,
    ancestors: Option<Arc<Ancestors<States>>>,
}

struct Listing {
    entries: std::fs::ReadDir,
    visit: Visit,
    /// Its subdirectories to search, in listing order (pushed when the listing ends, so that
    /// the first is searched first).
    children: Vec<Visit>,
}

impl Work for Search {
    type Item = io::Result<PathBuf>;

    fn advance(&mut self, out: &mut VecDeque<Self::Item>) -> bool {
        let mut budget = BATCH;
        if let Some(root) = self.root.take() {
            budget -= 1;
            self.start(root, out);
        }
        while budget > 0 {
            if let Some(listing) = &mut self.listing {
                let read = self.rules.read_some(listing, &mut budget, out);
                let ended = match read {
                    Ok(ended) => ended,
                    Err(error) => {
                        // What was read before the error is searched all the same.
                        out.push_back(Err(with_path("list", &listing.visit.dir, error)));
                        true
                    }
                };
                if ended {
                    if let Some(listing) = self.listing.take() {
                        self.stack.extend(listing.children.into_iter().rev());
                    }
                }
                continue;
            }
            let Some(visit) = self.stack.pop() else {
                return false;
            };
            budget -= 1;
            self.visit(visit, out);
        }
        self.listing.is_some() || !self.stack.is_empty()
    }
}

impl Search {
    fn start(&mut self, root: PathBuf, out: &mut VecDeque<io::Result<PathBuf>>) {
        match std::fs::metadata(&root) {
            Ok(metadata) if metadata.is_dir() => {}
            // Nothing to search in: no match, as in Python.
            Ok(_) => return,
            Err(error) if batch::is_absent(&error) => return,
            Err(error) => {
                out.push_back(Err(with_path("search", &root, error)));
                return;
            }
        }
        let mut states = States::new();
        self.rules.pattern.enter(0, &mut states);
        let end = self.rules.pattern.end();
        if states.last() == Some(&end) {
            // A pattern that can match no component at all (`**`) matches the root itself.
            states.pop();
            out.push_back(Ok(root.clone()));
        }
        if !states.is_empty() {
            self.stack.push(Visit {
                dir: root,
                states,
                ancestors: None,
            });
        }
    }

    fn visit(&mut self, visit: Visit, out: &mut VecDeque<io::Result<PathBuf>>) {
        let Visit {
            dir,
            states,
            ancestors,
        } = visit;
        let ancestors = if self.rules.follow_symlinks {
            // A directory met again at the same place in the pattern would be searched as
            // the first time, for ever; met at another place, the pattern has moved on, and
            // the search still ends (its components are finite, and so are directories).
            match batch::enter(&dir, states.clone(), ancestors.as_ref()) {
                Ok(Entered::New(chain)) => Some(chain),
                // Every path round the loop names something found on its first way round.
                Ok(Entered::Loop) => return,
                Err(error) if batch::is_absent(&error) => return,
                Err(error) => {
                    out.push_back(Err(with_path("search", &dir, error)));
                    return;
                }
            }
        } else {
            // Without links followed by `**`, the search cannot come back to where it has
            // been: every other part of the pattern takes it one component further.
            None
        };
        let rules = &self.rules;
        let listed = states.iter().any(|&state| rules.needs_listing(state));
        // `..` is never listed; a plain name is looked up when nothing else needs the
        // listing (with it, the listing matches the name). The same name at two places in
        // the pattern is looked up once, for both, so that its path comes once.
        let mut lookups: Vec<(&std::ffi::OsStr, States)> = Vec::new();
        for &state in &states {
            let Some(Part::Literal { name, .. }) = rules.pattern.part(state) else {
                continue;
            };
            if name != ".." && listed {
                continue;
            }
            match lookups.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, next)) => rules.pattern.enter(state + 1, next),
                None => {
                    let mut next = States::new();
                    rules.pattern.enter(state + 1, &mut next);
                    lookups.push((name, next));
                }
            }
        }
        let mut children = Vec::new();
        for (name, next) in lookups {
            rules.looked_up(&dir, name, next, &ancestors, out, &mut children);
        }
        let visit = Visit {
            dir,
            states,
            ancestors,
        };
        if listed {
            match std::fs::read_dir(&visit.dir) {
                Ok(entries) => {
                    self.listing = Some(Listing {
                        entries,
                        visit,
                        children,
                    });
                    return;
                }
                Err(error) if batch::is_absent(&error) => {}
                Err(error) => out.push_back(Err(with_path("list", &visit.dir, error))),
            }
        }
        self.stack.extend(children.into_iter().rev());
    }
}

impl Rules {
    /// Whether the part at `state` is matched against the directory's listing (rather than
    /// looked up by name).
    fn needs_listing(&self, state: usize) -> bool {
        match self.pattern.part(state) {
            Some(Part::Literal { name, .. }) => !self.case_sensitive && name != "..",
            Some(Part::Wildcard(_) | Part::Recursive) => true,
            None => false,
        }
    }

    /// Reads entries of `listing` until it ends (`true`) or the budget is spent (`false`),
    /// giving the ones that match.
    fn read_some(
        &self,
        listing: &mut Listing,
        budget: &mut usize,
        out: &mut VecDeque<io::Result<PathBuf>>,
    ) -> io::Result<bool> {
        let Listing {
            entries,
            visit,
            children,
        } = listing;
        while *budget > 0 {
            let Some(entry) = entries.next() else {
                return Ok(true);
            };
            let entry = entry?;
            *budget -= 1;
            let name = entry.file_name();
            // Reached by matching a component: links are followed into.
            let mut matched = States::new();
            // Reached by `**` going one directory deeper: links only when followed.
            let mut stayed = States::new();
            for &state in &visit.states {
                match self.pattern.part(state) {
                    Some(Part::Recursive) => self.pattern.enter(state, &mut stayed),
                    Some(part) if self.name_matches(part, &name) => {
                        self.pattern.enter(state + 1, &mut matched);
                    }
                    _ => {}
                }
            }
            if matched.is_empty() && stayed.is_empty() {
                continue;
            }
            let (real_dir, symlink) = match entry.file_type() {
                Ok(kind) => (kind.is_dir(), kind.is_symlink()),
                Err(_) => (false, false),
            };
            let found = Reached {
                path: visit.dir.join(&name),
                real_dir,
                symlink,
            };
            self.reached(found, matched, stayed, &visit.ancestors, out, children);
        }
        Ok(false)
    }

    /// Whether a listed `name` matches `part` (a component other than `**`).
    fn name_matches(&self, part: &Part, name: &std::ffi::OsStr) -> bool {
        match part {
            Part::Wildcard(wildcard) => wildcard.matches(name, self.case_sensitive),
            // Only here when the listing is read anyway; `..` is never listed, and was
            // looked up.
            Part::Literal { name: literal, .. } if self.case_sensitive => literal == name,
            Part::Literal {
                name: literal,
                exact,
            } => literal != ".." && exact.matches(name, false),
            Part::Recursive => false,
        }
    }

    /// A literal component, looked up rather than listed.
    fn looked_up(
        &self,
        dir: &Path,
        name: &std::ffi::OsStr,
        next: States,
        ancestors: &Option<Arc<Ancestors<States>>>,
        out: &mut VecDeque<io::Result<PathBuf>>,
        children: &mut Vec<Visit>,
    ) {
        let path = dir.join(name);
        let metadata = match std::fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) if batch::is_absent(&error) => return,
            Err(error) => {
                out.push_back(Err(with_path("search", &path, error)));
                return;
            }
        };
        let found = Reached {
            path,
            real_dir: metadata.is_dir(),
            symlink: metadata.is_symlink(),
        };
        self.reached(found, next, States::new(), ancestors, out, children);
    }

    /// A path the pattern reached: given when a state is at the end of the pattern, searched
    /// when others are left and it is a directory to go into.
    fn reached(
        &self,
        found: Reached,
        matched: States,
        stayed: States,
        ancestors: &Option<Arc<Ancestors<States>>>,
        out: &mut VecDeque<io::Result<PathBuf>>,
        children: &mut Vec<Visit>,
    ) {
        let end = self.pattern.end();
        // A link costs a `stat` to tell, and only when the answer matters.
        let mut followed: Option<bool> = None;
        let mut is_dir = |found: &Reached| {
            found.real_dir
                || *followed
                    .get_or_insert_with(|| found.symlink && batch::is_dir_following(&found.path))
        };
        let at_end = matched.last() == Some(&end) || stayed.last() == Some(&end);
        if at_end && (!self.pattern.dirs_only() || is_dir(&found)) {
            out.push_back(Ok(found.path.clone()));
        }
        let mut next = States::new();
        let more = |states: &States| states.first().is_some_and(|&state| state != end);
        if more(&matched) && is_dir(&found) {
            next.extend(matched.iter().copied().filter(|&state| state != end));
        }
        if more(&stayed) && (found.real_dir || (self.follow_symlinks && is_dir(&found))) {
            for state in stayed.into_iter().filter(|&state| state != end) {
                add(&mut next, state);
            }
        }
        if !next.is_empty() {
            children.push(Visit {
                dir: found.path,
                states: next,
                ancestors: ancestors.clone(),
            });
        }
    }
}

/// A path a search reached, with what its directory entry (or `lstat`) told of it.
struct Reached {
    path: PathBuf,
    real_dir: bool,
    symlink: bool,
}
