//! `anyio::fs::walk`, `glob` and `rglob` (and `read_dir` as AnyIO's `iterdir`), on every
//! backend: against synchronous reference walks, pathlib's pattern semantics, pruning while a
//! batch is read ahead or away on a thread, symbolic link loops, cancellation mid-walk.
#![cfg(feature = "macros")]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::fs::{self, PathError, WalkEntry};
use futures_lite::StreamExt;
use futures_lite::future::poll_once;

/// A fresh directory for one test (removed at the end by the test; named by test and backend).
async fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "anyio-walk-{}-{name}-{}-{}",
        std::process::id(),
        anyio::current_async_library().unwrap(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).await.unwrap();
    dir
}

/// Makes `paths` under `root` on a worker thread: a path ending in `/` is a directory, any
/// other an empty file (its parents made as needed).
async fn make(root: &Path, paths: &[&str]) {
    let root = root.to_owned();
    let paths: Vec<String> = paths.iter().map(|path| path.to_string()).collect();
    anyio::to_thread::run_sync(move || {
        for path in paths {
            let full = root.join(&path);
            if path.ends_with('/') {
                std::fs::create_dir_all(&full).unwrap();
            } else {
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(&full, "").unwrap();
            }
        }
    })
    .await;
}

fn path_of(error: &std::io::Error) -> &Path {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PathError>())
        .expect("the error names its path")
        .path()
}

fn names(names: &[&str]) -> BTreeSet<OsString> {
    names.iter().map(OsString::from).collect()
}

fn sorted(names: &[OsString]) -> BTreeSet<OsString> {
    names.iter().cloned().collect()
}

/// Every entry of a walk that must have no error.
async fn entries(walk: fs::Walk) -> Vec<WalkEntry> {
    walk.try_collect().await.unwrap()
}

/// The paths a pattern matches under `root`, relative to it (`""` for `root` itself).
async fn matched(root: &Path, pattern: &str) -> BTreeSet<String> {
    let found: Vec<PathBuf> = fs::glob(root, pattern)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    relative(root, found)
}

fn relative(root: &Path, found: Vec<PathBuf>) -> BTreeSet<String> {
    let count = found.len();
    let set: BTreeSet<String> = found
        .into_iter()
        .map(|path| {
            let path = path.strip_prefix(root).unwrap();
            path.to_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(set.len(), count, "a path came twice");
    set
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|path| path.to_string()).collect()
}

/// The directories under `dir` (it included) with the names in each, by std's recursion.
fn reference_walk(
    dir: &Path,
    out: &mut BTreeMap<PathBuf, (BTreeSet<OsString>, BTreeSet<OsString>)>,
) {
    let (mut dirs, mut files) = (BTreeSet::new(), BTreeSet::new());
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            dirs.insert(entry.file_name());
        } else {
            files.insert(entry.file_name());
        }
    }
    out.insert(dir.to_owned(), (dirs.clone(), files));
    for name in dirs {
        reference_walk(&dir.join(name), out);
    }
}

/// The order a depth-first walk gives, from the subdirectory order the walk reported.
fn depth_first(dir: &Path, by_dir: &HashMap<PathBuf, WalkEntry>, top_down: bool) -> Vec<PathBuf> {
    let mut order = Vec::new();
    if top_down {
        order.push(dir.to_owned());
    }
    for name in &by_dir[dir].dirs {
        order.extend(depth_first(&dir.join(name), by_dir, top_down));
    }
    if !top_down {
        order.push(dir.to_owned());
    }
    order
}

/// A tree of `levels` levels below the root, `fanout` subdirectories and `files` files in
/// each directory: big enough to take many batches.
async fn make_tree(root: &Path, levels: usize, fanout: usize, files: usize) {
    let root = root.to_owned();
    anyio::to_thread::run_sync(move || {
        let mut dirs = vec![root];
        for level in 0..=levels {
            let mut next = Vec::new();
            for dir in &dirs {
                std::fs::create_dir_all(dir).unwrap();
                for file in 0..files {
                    std::fs::write(dir.join(format!("f{file}")), "").unwrap();
                }
                if level < levels {
                    next.extend((0..fanout).map(|sub| dir.join(format!("d{sub}"))));
                }
            }
            dirs = next;
        }
    })
    .await;
}

// AnyIO's test_fileio.py, the parts for `Path.walk`, `glob`, `rglob` and `iterdir`.

#[anyio::test]
async fn walk_gives_the_root_then_its_subdirectory() {
    let root = scratch("walk").await;
    make(&root, &["subdir/file1", "subdir/file2"]).await;
    let mut walk = fs::walk(&root);
    let first = walk.next_entry().await.unwrap().unwrap();
    assert_eq!(first.dir, root);
    assert_eq!(first.dirs, ["subdir"]);
    assert!(first.files.is_empty());
    let second = walk.next_entry().await.unwrap().unwrap();
    assert_eq!(second.dir, root.join("subdir"));
    assert!(second.dirs.is_empty());
    assert_eq!(sorted(&second.files), names(&["file1", "file2"]));
    assert!(walk.next_entry().await.unwrap().is_none());
    assert!(
        walk.next_entry().await.unwrap().is_none(),
        "a finished walk stays finished"
    );
    fs::remove_dir_all(&root).await.unwrap();
}

/// test_fileio.py's `populated_tmpdir`.
async fn populated(name: &str) -> PathBuf {
    let root = scratch(name).await;
    make(
        &root,
        &[
            "testfile",
            "testfile2",
            "subdir/dummyfile1.txt",
            "subdir/dummyfile2.txt",
            "sibdir/dummyfile1.txt",
            "sibdir/dummyfile2.txt",
        ],
    )
    .await;
    root
}

#[anyio::test]
async fn glob_and_rglob_find_the_text_files_in_subdirectories() {
    let root = populated("pathlib").await;
    let expected = set(&[
        "sibdir/dummyfile1.txt",
        "sibdir/dummyfile2.txt",
        "subdir/dummyfile1.txt",
        "subdir/dummyfile2.txt",
    ]);
    assert_eq!(matched(&root, "**/*.txt").await, expected);
    let found: Vec<PathBuf> = fs::rglob(&root, "*.txt")
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(relative(&root, found), expected);

    // iterdir
    let listing: Vec<_> = fs::read_dir(&root)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let listed: BTreeSet<OsString> = listing.iter().map(|entry| entry.file_name()).collect();
    assert_eq!(
        listed,
        names(&["sibdir", "subdir", "testfile", "testfile2"])
    );
    fs::remove_dir_all(&root).await.unwrap();
}

// Walks against std's.

#[anyio::test]
async fn walks_match_a_synchronous_reference_in_both_orders() {
    let root = scratch("reference").await;
    // 1 + 3 + 9 + 27 directories of 20 files: 800 files, a few dozen batches.
    make_tree(&root, 3, 3, 20).await;
    make(&root, &["empty/", ".hidden/inner/file", "d0/d1/.dot"]).await;
    let mut reference = BTreeMap::new();
    reference_walk(&root, &mut reference);

    for top_down in [true, false] {
        let walked = entries(fs::walk(&root).top_down(top_down)).await;
        let found: BTreeMap<PathBuf, (BTreeSet<OsString>, BTreeSet<OsString>)> = walked
            .iter()
            .map(|entry| {
                (
                    entry.dir.clone(),
                    (sorted(&entry.dirs), sorted(&entry.files)),
                )
            })
            .collect();
        assert_eq!(found.len(), walked.len(), "a directory came twice");
        assert_eq!(found, reference);

        // Depth first: top-down, each directory, then the whole walk of each of its
        // subdirectories in the order of its `dirs`; bottom-up, the same, the directory last.
        let by_dir: HashMap<PathBuf, WalkEntry> = walked
            .iter()
            .map(|entry| (entry.dir.clone(), entry.clone()))
            .collect();
        let order: Vec<PathBuf> = walked.into_iter().map(|entry| entry.dir).collect();
        assert_eq!(
            order,
            depth_first(&root, &by_dir, top_down),
            "top_down: {top_down}"
        );
    }
    fs::remove_dir_all(&root).await.unwrap();
}

#[anyio::test]
async fn ten_thousand_entries_are_walked_and_globbed() {
    const COUNT: usize = 10_000;
    let root = scratch("big").await;
    let made = root.clone();
    anyio::to_thread::run_sync(move || {
        for index in 0..COUNT {
            std::fs::write(made.join(format!("{index:05}.dat")), "").unwrap();
        }
        std::fs::create_dir(made.join("sub")).unwrap();
        std::fs::write(made.join("sub/last.dat"), "").unwrap();
    })
    .await;
    let walked = entries(fs::walk(&root)).await;
    assert_eq!(walked.len(), 2);
    assert_eq!(walked[0].files.len(), COUNT);
    assert_eq!(sorted(&walked[0].files).len(), COUNT);
    assert_eq!(walked[0].dirs, ["sub"]);
    assert_eq!(walked[1].files, ["last.dat"]);

    assert_eq!(matched(&root, "*.dat").await.len(), COUNT);
    assert_eq!(matched(&root, "**/*.dat").await.len(), COUNT + 1);
    assert_eq!(matched(&root, "0000?.dat").await.len(), 10);
    fs::remove_dir_all(&root).await.unwrap();
}

#[anyio::test]
async fn a_missing_root_is_one_error_naming_it() {
    let root = scratch("missing").await;
    let missing = root.join("nothing here");
    let mut walk = fs::walk(&missing);
    let error = walk.next_entry().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), missing);
    assert!(walk.next_entry().await.unwrap().is_none());

    // A file is no directory to walk.
    make(&root, &["file"]).await;
    let error = fs::walk(root.join("file")).next_entry().await.unwrap_err();
    assert_eq!(path_of(&error), root.join("file"));

    // A glob finds nothing there, as in Python.
    assert!(matched(&missing, "*").await.is_empty());
    assert!(matched(&root.join("file"), "*").await.is_empty());
    fs::remove_dir_all(&root).await.unwrap();
}

// Pruning.

#[anyio::test]
async fn a_top_down_walk_can_be_kept_out_of_subdirectories() {
    let root = scratch("prune").await;
    make(
        &root,
        &[
            ".git/objects/aa/file",
            "src/bin/tool.rs",
            "src/lib.rs",
            "docs/x/y/z/deep",
        ],
    )
    .await;

    // The whole tree is one batch: when the root comes, what is under it has been read
    // ahead already, and must be dropped unseen.
    let mut walk = fs::walk(&root);
    let mut dirs = BTreeSet::new();
    while let Some(entry) = walk.next_entry().await.unwrap() {
        for name in &entry.dirs {
            if name.to_str().unwrap().starts_with('.') {
                walk.skip_subdir(name);
            }
        }
        // Not a subdirectory, or not a plain name: nothing to skip.
        walk.skip_subdir("no-such-dir");
        walk.skip_subdir("..");
        walk.skip_subdir("src/bin");
        if entry.dir.ends_with("docs/x") {
            walk.skip_current_dir();
        }
        dirs.insert(entry.dir.strip_prefix(&root).unwrap().to_owned());
    }
    let expected: BTreeSet<PathBuf> = ["", "src", "src/bin", "docs", "docs/x"]
        .iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(dirs, expected);

    // Bottom-up, a directory comes after its subtree: skipping it changes nothing.
    let mut walk = fs::walk(&root).top_down(false);
    let mut count = 0;
    while let Some(entry) = walk.next_entry().await.unwrap() {
        walk.skip_current_dir();
        walk.skip_subdir(".git");
        let _ = entry;
        count += 1;
    }
    assert_eq!(count, 10);
    fs::remove_dir_all(&root).await.unwrap();
}

#[anyio::test]
async fn skipping_while_a_batch_is_away_drops_what_it_brings() {
    let root = scratch("prune-away").await;
    // Both subdirectories are too big for the rest of the batch that lists the root: that
    // batch ends inside the listing of one of them, so the root's entry comes alone and the
    // next call has to send a batch out.
    make_tree(&root.join("drop"), 0, 0, 300).await;
    make_tree(&root.join("keep"), 0, 0, 300).await;
    make(&root, &["drop/deep/file"]).await;
    let mut walk = fs::walk(&root);
    let top = walk.next_entry().await.unwrap().unwrap();
    assert_eq!(top.dir, root);
    assert_eq!(sorted(&top.dirs), names(&["drop", "keep"]));

    // Held at the limiter, the batch is away when the skip comes.
    let limiter = anyio::to_thread::current_default_thread_limiter().unwrap();
    let tokens = limiter.total_tokens();
    limiter.set_total_tokens(0);
    {
        let next = std::pin::pin!(walk.next_entry());
        assert!(
            poll_once(next).await.is_none(),
            "the batch waits for a thread"
        );
    }
    walk.skip_subdir("drop");
    limiter.set_total_tokens(tokens);
    let mut seen = Vec::new();
    while let Some(entry) = walk.next_entry().await.unwrap() {
        assert_eq!(entry.files.len(), 300);
        seen.push(entry.dir);
    }
    assert_eq!(seen, [root.join("keep")]);
    fs::remove_dir_all(&root).await.unwrap();
}

// Symbolic links.

#[cfg(unix)]
#[anyio::test]
async fn a_symlink_loop_ends_with_an_error_naming_the_link() {
    let root = scratch("loop").await;
    make(&root, &["a/file", "c/inner/file", "b/"]).await;
    fs::symlink("..", root.join("a/up")).await.unwrap();
    fs::symlink(".", root.join("a/itself")).await.unwrap();
    fs::symlink("../c", root.join("b/to-c")).await.unwrap();
    fs::symlink("nowhere", root.join("broken")).await.unwrap();

    // Not followed: links are names in `files`, and the walk stays in the tree.
    let walked = entries(fs::walk(&root)).await;
    assert_eq!(walked.len(), 5);
    let a = walked
        .iter()
        .find(|entry| entry.dir == root.join("a"))
        .unwrap();
    assert_eq!(sorted(&a.files), names(&["file", "itself", "up"]));
    assert!(a.dirs.is_empty());

    // Followed: each loop is walked into once, then named by an error; `b/to-c` is no
    // loop, so `c` is walked twice (once through the link).
    let results: Vec<_> = fs::walk(&root).follow_symlinks(true).collect().await;
    let mut dirs = BTreeSet::new();
    let mut loops = BTreeSet::new();
    for result in results {
        match result {
            Ok(entry) => {
                if entry.dir == root.join("a") {
                    assert_eq!(sorted(&entry.dirs), names(&["itself", "up"]));
                    assert_eq!(entry.files, ["file"]);
                }
                if entry.dir == root {
                    assert_eq!(sorted(&entry.files), names(&["broken"]));
                }
                assert!(dirs.insert(entry.dir.strip_prefix(&root).unwrap().to_owned()));
            }
            Err(error) => {
                let source = error.get_ref().and_then(|inner| inner.source()).unwrap();
                let source = source.downcast_ref::<std::io::Error>().unwrap();
                assert_eq!(source.raw_os_error(), Some(libc::ELOOP), "{error}");
                assert!(error.to_string().contains("walk into"), "{error}");
                loops.insert(path_of(&error).strip_prefix(&root).unwrap().to_owned());
            }
        }
    }
    let dirs_expected: BTreeSet<PathBuf> = ["", "a", "b", "b/to-c", "b/to-c/inner", "c", "c/inner"]
        .iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(dirs, dirs_expected);
    let loops_expected: BTreeSet<PathBuf> =
        ["a/itself", "a/up"].iter().map(PathBuf::from).collect();
    assert_eq!(loops, loops_expected);

    // `**` stays out of links unless told; when it follows them, it leaves loops quietly.
    assert_eq!(
        matched(&root, "**/file").await,
        set(&["a/file", "c/inner/file"])
    );
    // Components other than `**` follow links, as in pathlib.
    assert_eq!(
        matched(&root, "*/*/file").await,
        set(&["a/itself/file", "c/inner/file"])
    );
    assert_eq!(
        matched(&root, "b/*/*/file").await,
        set(&["b/to-c/inner/file"])
    );
    let found: Vec<PathBuf> = fs::glob(&root, "**/file")
        .unwrap()
        .follow_symlinks(true)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        relative(&root, found),
        set(&["a/file", "b/to-c/inner/file", "c/inner/file"])
    );
    // Coming back to a directory further on in the pattern is no loop.
    for (pattern, expected) in [
        ("*/*/file", &["a/itself/file", "c/inner/file"][..]),
        ("a/../c/*", &["a/../c/inner"]),
        (
            "a/up/a/up/**/inner",
            &["a/up/a/up/b/to-c/inner", "a/up/a/up/c/inner"],
        ),
    ] {
        let found: Vec<PathBuf> = fs::glob(&root, pattern)
            .unwrap()
            .follow_symlinks(true)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(relative(&root, found), set(expected), "{pattern}");
    }
    fs::remove_dir_all(&root).await.unwrap();
}

#[cfg(unix)]
#[anyio::test]
async fn a_path_the_pattern_reaches_two_ways_comes_once() {
    let root = scratch("twice").await;
    make(&root, &["a/", "t/a"]).await;
    fs::symlink("../t", root.join("a/a")).await.unwrap();
    // Through `a/a` (a link), the last two `a`s of the pattern both stand at `t/a`.
    assert_eq!(matched(&root, "**/a/a/a").await, set(&["a/a/a"]));
    assert_eq!(matched(&root, "**/a/a").await, set(&["a/a", "a/a/a"]));
    assert_eq!(matched(&root, "**/a").await, set(&["a", "a/a", "t/a"]));
    fs::remove_dir_all(&root).await.unwrap();
}

// Patterns.

#[anyio::test]
async fn patterns_match_as_in_pathlib() {
    let root = scratch("patterns").await;
    make(
        &root,
        &[
            "a.txt",
            "b.txt",
            ".hidden.txt",
            "abc",
            "acc",
            "bcd",
            "cab",
            "notes.md",
            "src/lib.rs",
            "src/a.txt",
            "src/bin/tool.rs",
            ".git/config",
            "empty/",
        ],
    )
    .await;
    let cases: &[(&str, &[&str])] = &[
        ("*.txt", &["a.txt", "b.txt", ".hidden.txt"]),
        ("**/*.rs", &["src/lib.rs", "src/bin/tool.rs"]),
        ("a?c", &["abc", "acc"]),
        ("[ab]*", &["a.txt", "b.txt", "abc", "acc", "bcd"]),
        (
            "[!a]*",
            &[
                "b.txt",
                ".hidden.txt",
                "bcd",
                "cab",
                "notes.md",
                "src",
                ".git",
                "empty",
            ],
        ),
        ("[a-b]?c", &["abc", "acc"]),
        ("*/", &["src", ".git", "empty"]),
        ("*/*.txt", &["src/a.txt"]),
        ("src/lib.rs", &["src/lib.rs"]),
        ("src/missing.rs", &[]),
        ("a.txt/x", &[]),
        ("./src//lib.rs", &["src/lib.rs"]),
        ("src/../notes.md", &["src/../notes.md"]),
        ("**/*.txt", &["a.txt", "b.txt", ".hidden.txt", "src/a.txt"]),
        ("**/bin", &["src/bin"]),
        ("**/**/bin", &["src/bin"]),
        (
            "src/**",
            &[
                "src",
                "src/lib.rs",
                "src/a.txt",
                "src/bin",
                "src/bin/tool.rs",
            ],
        ),
        ("**/", &["", "src", "src/bin", ".git", "empty"]),
        (
            "**",
            &[
                "",
                "a.txt",
                "b.txt",
                ".hidden.txt",
                "abc",
                "acc",
                "bcd",
                "cab",
                "notes.md",
                "src",
                "src/lib.rs",
                "src/a.txt",
                "src/bin",
                "src/bin/tool.rs",
                ".git",
                ".git/config",
                "empty",
            ],
        ),
        ("*.TXT", &[]),
    ];
    for (pattern, expected) in cases {
        assert_eq!(
            matched(&root, pattern).await,
            set(expected),
            "pattern {pattern:?}"
        );
    }

    let found: Vec<PathBuf> = fs::glob(&root, "*.TXT")
        .unwrap()
        .case_sensitive(false)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        relative(&root, found),
        set(&["a.txt", "b.txt", ".hidden.txt"])
    );
    let found: Vec<PathBuf> = fs::glob(&root, "SRC/LIB.RS")
        .unwrap()
        .case_sensitive(false)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        relative(&root, found),
        set(&["src/lib.rs"]),
        "spelled as on disk"
    );

    let rglobbed = |pattern: &'static str| {
        let root = root.clone();
        async move {
            let found: Vec<PathBuf> = fs::rglob(&root, pattern)
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            relative(&root, found)
        }
    };
    assert_eq!(
        rglobbed("*.txt").await,
        set(&["a.txt", "b.txt", ".hidden.txt", "src/a.txt"])
    );
    assert_eq!(rglobbed("bin/*.rs").await, set(&["src/bin/tool.rs"]));
    assert_eq!(
        rglobbed("").await,
        set(&["", "src", "src/bin", ".git", "empty"])
    );
    fs::remove_dir_all(&root).await.unwrap();
}

#[cfg(unix)]
#[anyio::test]
async fn names_that_are_not_utf8_are_walked_and_matched() {
    use std::os::unix::ffi::OsStrExt;
    let root = scratch("bytes").await;
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    fs::write(root.join(name), "").await.unwrap();
    let walked = entries(fs::walk(&root)).await;
    assert_eq!(walked[0].files, [name]);
    for pattern in ["*.txt", "caf?.txt", "caf[!e].txt", "c*"] {
        let found: Vec<PathBuf> = fs::glob(&root, pattern)
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(found, [root.join(name)], "{pattern}");
    }
    let found: Vec<PathBuf> = fs::glob(&root, "caf[e].txt")
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(found.is_empty());
    fs::remove_dir_all(&root).await.unwrap();
}

#[anyio::test]
async fn invalid_patterns_are_errors_naming_them() {
    let root = scratch("invalid").await;
    for pattern in ["", "a**", "src/**b/*", "[ab", "x/[!", "/etc/*", ".", "./"] {
        let error = fs::glob(&root, pattern).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{pattern:?}");
        assert!(
            error.to_string().contains(&format!("{pattern:?}")),
            "{error}"
        );
        assert_eq!(path_of(&error), root);
    }
    for pattern in ["/etc/*", "a**"] {
        let error = fs::rglob(&root, pattern).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{pattern:?}");
        assert!(
            error.to_string().contains(&format!("{pattern:?}")),
            "{error}"
        );
    }
    fs::remove_dir_all(&root).await.unwrap();
}

// Cancellation.

#[anyio::test]
async fn dropped_calls_lose_no_item() {
    let root = scratch("dropped").await;
    make_tree(&root, 2, 4, 150).await;
    let reference = entries(fs::walk(&root)).await;
    let expected: Vec<PathBuf> = reference.iter().map(|entry| entry.dir.clone()).collect();

    // Every other call dropped after one poll: while its batch is on a thread, or held at
    // the limiter.
    let limiter = anyio::to_thread::current_default_thread_limiter().unwrap();
    let tokens = limiter.total_tokens();
    let mut walk = fs::walk(&root);
    let mut order = Vec::new();
    let mut dropped = 0;
    for call in 0.. {
        if call % 2 == 0 {
            if call % 4 == 0 {
                limiter.set_total_tokens(0);
            }
            let polled = {
                let next = std::pin::pin!(walk.next_entry());
                poll_once(next).await
            };
            limiter.set_total_tokens(tokens);
            match polled {
                Some(entry) => order.extend(entry.unwrap().map(|entry| entry.dir)),
                None => dropped += 1,
            }
            continue;
        }
        match walk.next_entry().await.unwrap() {
            Some(entry) => order.push(entry.dir),
            None => break,
        }
    }
    assert!(dropped > 0);
    assert_eq!(order, expected);

    let all: BTreeSet<String> = matched(&root, "**").await;
    let mut glob = fs::glob(&root, "**").unwrap();
    let mut found = Vec::new();
    let mut dropped = 0;
    loop {
        limiter.set_total_tokens(0);
        let polled = {
            let next = std::pin::pin!(glob.next_path());
            poll_once(next).await
        };
        limiter.set_total_tokens(tokens);
        match polled {
            Some(path) => found.extend(path.unwrap()),
            None => dropped += 1,
        }
        match glob.next_path().await.unwrap() {
            Some(path) => found.push(path),
            None => break,
        }
    }
    assert!(dropped > 0);
    assert_eq!(relative(&root, found), all);
    assert_eq!(all.len(), 1 + 4 + 16 + 21 * 150);
    fs::remove_dir_all(&root).await.unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_walk_cancelled_by_deadlines_loses_no_entry() {
    use std::time::Duration;
    let root = scratch("deadline").await;
    make_tree(&root, 2, 4, 150).await;
    let expected: Vec<PathBuf> = entries(fs::walk(&root))
        .await
        .into_iter()
        .map(|entry| entry.dir)
        .collect();
    let mut walk = fs::walk(&root);
    let mut order = Vec::new();
    loop {
        // Deadlines so short that many calls are cancelled while their batch is away.
        match anyio::move_on_after(Duration::from_micros(50), walk.next_entry()).await {
            Some(Ok(Some(entry))) => order.push(entry.dir),
            Some(Ok(None)) => break,
            Some(Err(error)) => panic!("{error}"),
            None => {}
        }
    }
    assert_eq!(order, expected);
    fs::remove_dir_all(&root).await.unwrap();
}

#[test]
fn the_streams_are_send_and_debug() {
    fn send<T: Send>() {}
    send::<fs::Walk>();
    send::<fs::Glob>();
    send::<WalkEntry>();
    let walk = fs::walk("/");
    let text = format!("{walk:?}");
    assert!(text.starts_with("Walk") && text.contains("root"), "{text}");
    let glob = fs::rglob("/", "*.rs").unwrap();
    let text = format!("{glob:?}");
    assert!(text.contains("**/*.rs"), "{text}");
}

/// Runs `next` in a scope cancelled before it is polled: `None` if it did not complete.
async fn in_a_cancelled_scope<T>(next: impl std::future::Future<Output = T>) -> Option<T> {
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    handle.cancel();
    scope.run(next).await
}

#[anyio::test]
async fn items_read_ahead_are_not_handed_out_in_a_cancelled_scope() {
    let root = scratch("gate").await;
    make(&root, &["a/", "b/", "c.txt", "d.txt"]).await;

    // `read_dir`: the first call fetched every entry; the cancelled one takes none of them.
    let mut listing = fs::read_dir(&root).await.unwrap();
    let mut seen = BTreeSet::new();
    seen.insert(listing.next_entry().await.unwrap().unwrap().file_name());
    assert!(in_a_cancelled_scope(listing.next_entry()).await.is_none());
    while let Some(entry) = listing.next_entry().await.unwrap() {
        seen.insert(entry.file_name());
    }
    assert_eq!(seen, names(&["a", "b", "c.txt", "d.txt"]));

    // `walk`: the root's entry came with its subdirectories' in one batch.
    let mut walk = fs::walk(&root);
    let mut dirs = vec![walk.next_entry().await.unwrap().unwrap().dir];
    assert!(in_a_cancelled_scope(walk.next_entry()).await.is_none());
    while let Some(entry) = walk.next_entry().await.unwrap() {
        dirs.push(entry.dir);
    }
    assert_eq!(dirs.len(), 3, "{dirs:?}");

    // `glob`.
    let mut glob = fs::glob(&root, "*").unwrap();
    let mut paths = BTreeSet::new();
    paths.insert(glob.next_path().await.unwrap().unwrap());
    assert!(in_a_cancelled_scope(glob.next_path()).await.is_none());
    while let Some(path) = glob.next_path().await.unwrap() {
        paths.insert(path);
    }
    assert_eq!(paths.len(), 4);
    fs::remove_dir_all(&root).await.unwrap();
}
