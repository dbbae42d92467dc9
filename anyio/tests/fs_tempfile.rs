//! Temporary files and directories of `anyio::fs`, on every backend: AnyIO's tempfile tests
//! that mean something in Rust, removal at close, on drop and after a panic, keeping, and the
//! spooled file's rollover (at the boundary, against a reference, and cancelled mid-way).
#![cfg(feature = "macros")]

use std::future::Future;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::fs::{
    self, NamedTemporaryFile, PathError, SpooledTemporaryFile, TemporaryDirectory, TemporaryFile,
};
use futures_lite::FutureExt;
use futures_lite::future::poll_once;

fn path_of(error: &std::io::Error) -> &Path {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PathError>())
        .expect("the error names its path")
        .path()
}

fn name_of(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

/// Runs the future `body` makes on a runner of this test's backend, on a thread of its own, and
/// waits for it. When a runner returns it has joined its worker threads, so whatever was removed
/// in the background during `body` is gone by then: no waiting on the clock.
async fn on_a_runner_of_its_own<T, F, B>(body: B) -> T
where
    B: FnOnce() -> F + Send + 'static,
    F: Future<Output = T>,
    T: Send + 'static,
{
    let backend = anyio::current_async_library().unwrap();
    anyio::to_thread::run_sync(move || {
        // A thread of its own: a runtime cannot start on a thread of another one's pool.
        std::thread::spawn(move || anyio::Runner::new(backend).run(body()).unwrap())
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
    .await
}

/// A deterministic source of sizes and offsets (xorshift64).
struct Dice(u64);

impl Dice {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i + seed) * 31 % 251) as u8).collect()
}

// ---- TemporaryFile -------------------------------------------------------------------------

#[anyio::test]
async fn a_temporary_file_reads_back_what_was_written_and_closes() {
    let data = b"temporary file data";
    let mut file = TemporaryFile::new().await.unwrap();
    assert_eq!(file.path(), None, "it has no name");
    file.write_all(data).await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, data);
    file.aclose().await.unwrap();
    assert!(file.write_all(b"x").await.is_err(), "closed");

    let dir = TemporaryDirectory::new().await.unwrap();
    let mut file = TemporaryFile::new_in(dir.path()).await.unwrap();
    file.write_all(b"in a directory of mine").await.unwrap();
    file.flush().await.unwrap();
    // Never a name in the directory (or one removed at once).
    let mut listing = fs::read_dir(dir.path()).await.unwrap();
    assert!(listing.next_entry().await.unwrap().is_none());
    let mut plain: fs::AsyncFile = file.into_file();
    assert_eq!(plain.metadata().await.unwrap().len(), 22);
}

#[anyio::test]
async fn a_temporary_file_in_a_missing_directory_is_an_error_naming_it() {
    let error = TemporaryFile::new_in("/no/such/dir").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
}

#[anyio::test]
async fn temporary_files_pass_both_io_families_through() {
    {
        use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        let mut file = TemporaryFile::new().await.unwrap();
        AsyncWriteExt::write_all(&mut file, b"futures")
            .await
            .unwrap();
        AsyncSeekExt::seek(&mut file, SeekFrom::Start(0))
            .await
            .unwrap();
        let mut back = String::new();
        AsyncReadExt::read_to_string(&mut file, &mut back)
            .await
            .unwrap();
        assert_eq!(back, "futures");
        AsyncWriteExt::close(&mut file).await.unwrap();
    }
    #[cfg(feature = "tokio")]
    {
        use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        let mut file = NamedTemporaryFile::new().await.unwrap();
        AsyncWriteExt::write_all(&mut file, b"tokio").await.unwrap();
        AsyncSeekExt::seek(&mut file, SeekFrom::Start(1))
            .await
            .unwrap();
        let mut back = String::new();
        AsyncReadExt::read_to_string(&mut file, &mut back)
            .await
            .unwrap();
        assert_eq!(back, "okio");
        AsyncWriteExt::shutdown(&mut file).await.unwrap();
        // Shut down is closed, not removed: that is `aclose`'s, or the drop's.
        assert!(fs::exists(file.path()).await.unwrap());
        // A closed file can still be persisted, and closed (removed) again.
        let dir = TemporaryDirectory::new().await.unwrap();
        file.persist(dir.path().join("kept")).await.unwrap();
        assert_eq!(fs::read(file.path()).await.unwrap(), b"tokio");
        let mut other = NamedTemporaryFile::new().await.unwrap();
        AsyncWriteExt::shutdown(&mut other).await.unwrap();
        other.aclose().await.unwrap();
        assert!(!fs::exists(other.path()).await.unwrap());
    }
}

// ---- NamedTemporaryFile --------------------------------------------------------------------

#[anyio::test]
async fn a_named_temporary_file_is_there_while_open_and_gone_after_close() {
    let data = b"named temporary file data";
    let mut file = NamedTemporaryFile::new().await.unwrap();
    let path = file.path().to_owned();
    assert!(fs::exists(&path).await.unwrap());
    assert!(name_of(&path).starts_with("tmp"), "{path:?}");
    assert_eq!(
        fs::AsyncFile::path(&file),
        Some(path.as_path()),
        "its errors name it"
    );
    file.write_all(data).await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, data);
    assert_eq!(
        fs::read(&path).await.unwrap(),
        data,
        "others see it by name"
    );
    file.aclose().await.unwrap();
    assert!(!fs::exists(&path).await.unwrap());
    // As AnyIO's: using the file after the block is an error.
    assert!(file.write_all(b"should fail").await.is_err());
    file.aclose().await.unwrap(); // nothing left to do
}

#[anyio::test]
async fn a_named_temporary_file_takes_a_prefix_a_suffix_and_a_directory() {
    let dir = TemporaryDirectory::new().await.unwrap();
    let file = NamedTemporaryFile::builder()
        .prefix("report-")
        .suffix(".csv")
        .dir(dir.path())
        .create()
        .await
        .unwrap();
    assert_eq!(file.path().parent(), Some(dir.path()));
    let name = name_of(file.path());
    assert!(
        name.starts_with("report-") && name.ends_with(".csv"),
        "{name}"
    );
    assert!(name.len() > "report-.csv".len(), "a random part between");

    let plain = NamedTemporaryFile::builder()
        .prefix("")
        .dir(dir.path())
        .create()
        .await
        .unwrap();
    assert!(!name_of(plain.path()).starts_with("tmp"));

    let error = NamedTemporaryFile::new_in("/no/such/dir")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
    assert!(
        NamedTemporaryFile::builder()
            .prefix("a/b")
            .dir(dir.path())
            .create()
            .await
            .is_err(),
        "a prefix that is no name"
    );
}

#[anyio::test]
async fn a_kept_named_file_stays() {
    let dir = TemporaryDirectory::new().await.unwrap();

    // Built not to be removed.
    let mut kept = NamedTemporaryFile::builder()
        .delete(false)
        .dir(dir.path())
        .create()
        .await
        .unwrap();
    kept.write_all(b"one").await.unwrap();
    let one = kept.path().to_owned();
    kept.aclose().await.unwrap();
    assert_eq!(fs::read(&one).await.unwrap(), b"one");

    // Kept after the fact, then closed as a plain file (a drop would write its buffer in
    // the background, at a moment nobody can wait for).
    let mut file = NamedTemporaryFile::new_in(dir.path()).await.unwrap();
    file.write_all(b"two").await.unwrap();
    let (mut file, two) = file.keep();
    file.aclose().await.unwrap();
    drop(file);
    assert_eq!(fs::read(&two).await.unwrap(), b"two");

    // Persisted: moved into place, then dropped without a flush of its own.
    let three = dir.path().join("three.txt");
    let mut file = NamedTemporaryFile::new_in(dir.path()).await.unwrap();
    let temporary = file.path().to_owned();
    file.write_all(b"three").await.unwrap();
    file.persist(&three).await.unwrap();
    assert_eq!(file.path(), three);
    assert_eq!(fs::AsyncFile::path(&file), Some(three.as_path()));
    assert!(!fs::exists(&temporary).await.unwrap());
    drop(file);
    assert_eq!(fs::read(&three).await.unwrap(), b"three");

    // A persist that fails names both paths and leaves the file temporary.
    let mut file = NamedTemporaryFile::new_in(dir.path()).await.unwrap();
    let temporary = file.path().to_owned();
    let error = file.persist("/no/such/dir/four").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), temporary.as_path());
    let inner = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<fs::PathError>())
        .unwrap();
    assert_eq!(inner.destination(), Some(Path::new("/no/such/dir/four")));
    assert!(error.to_string().contains(name_of(&temporary)), "{error}");
    assert_eq!(file.path(), temporary);
    file.aclose().await.unwrap();
    assert!(!fs::exists(&temporary).await.unwrap());

    let mut left = Vec::new();
    let mut listing = fs::read_dir(dir.path()).await.unwrap();
    while let Some(entry) = listing.next_entry().await.unwrap() {
        left.push(entry.path());
    }
    left.sort();
    let mut expected = vec![one, two, three];
    expected.sort();
    assert_eq!(left, expected);
}

// ---- TemporaryDirectory --------------------------------------------------------------------

#[anyio::test]
async fn a_temporary_directory_is_removed_with_its_contents_by_close() {
    let dir = TemporaryDirectory::new().await.unwrap();
    let path = dir.path().to_owned();
    assert!(fs::metadata(&path).await.unwrap().is_dir());
    assert!(name_of(&path).starts_with("tmp"));
    fs::write(path.join("test.txt"), "temp dir test")
        .await
        .unwrap();
    fs::create_dir_all(path.join("a/b/c")).await.unwrap();
    fs::write(path.join("a/b/c/deep.txt"), "deep")
        .await
        .unwrap();
    // A link out of it: removal does not follow it.
    let outside = NamedTemporaryFile::new().await.unwrap();
    fs::symlink(outside.path(), path.join("a/link"))
        .await
        .unwrap();
    dir.aclose().await.unwrap();
    assert!(!fs::exists(&path).await.unwrap());
    assert!(fs::exists(outside.path()).await.unwrap());
    // As AnyIO's: the directory is gone for good.
    let error = fs::write(path.join("nonexistent.txt"), "should fail")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[anyio::test]
async fn a_temporary_directory_takes_a_prefix_a_suffix_a_parent_and_can_be_kept() {
    let parent = TemporaryDirectory::new().await.unwrap();
    let dir = TemporaryDirectory::builder()
        .prefix("build-")
        .suffix(".d")
        .dir(parent.path())
        .create()
        .await
        .unwrap();
    assert_eq!(dir.path().parent(), Some(parent.path()));
    let name = name_of(dir.path()).to_owned();
    assert!(name.starts_with("build-") && name.ends_with(".d"), "{name}");

    let kept = dir.keep();
    let unremoved = TemporaryDirectory::builder()
        .delete(false)
        .dir(parent.path())
        .create()
        .await
        .unwrap();
    let unremoved_path = unremoved.path().to_owned();
    unremoved.aclose().await.unwrap();
    assert!(fs::exists(&kept).await.unwrap());
    assert!(fs::exists(&unremoved_path).await.unwrap());

    // Removed by someone else first: closing is no error.
    let gone = TemporaryDirectory::new_in(parent.path()).await.unwrap();
    fs::remove_dir(gone.path()).await.unwrap();
    gone.aclose().await.unwrap();

    let path = parent.path().to_owned();
    parent.aclose().await.unwrap();
    assert!(!fs::exists(&path).await.unwrap());

    let error = TemporaryDirectory::new_in("/no/such/dir")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
}

// ---- Removal on drop -----------------------------------------------------------------------

#[anyio::test]
async fn dropped_temporaries_are_removed_in_the_background() {
    let (file, dir, kept) = on_a_runner_of_its_own(|| async {
        let mut file = NamedTemporaryFile::new().await.unwrap();
        file.write_all(b"buffered, never flushed").await.unwrap();
        let dir = TemporaryDirectory::new().await.unwrap();
        fs::write(dir.path().join("inside"), "x").await.unwrap();
        let kept = NamedTemporaryFile::builder()
            .delete(false)
            .create()
            .await
            .unwrap();
        let paths = (
            file.path().to_owned(),
            dir.path().to_owned(),
            kept.path().to_owned(),
        );
        drop((file, dir, kept));
        paths
    })
    .await;
    assert!(!fs::exists(&file).await.unwrap());
    assert!(!fs::exists(&dir).await.unwrap());
    assert!(fs::exists(&kept).await.unwrap());
    fs::remove_file(&kept).await.unwrap();
}

#[anyio::test]
async fn temporaries_are_removed_when_a_panic_unwinds_through_their_owner() {
    let seen = Arc::new(Mutex::new(Vec::<PathBuf>::new()));
    let record = Arc::clone(&seen);
    on_a_runner_of_its_own(move || async move {
        // A panic in the body itself.
        let body = {
            let record = Arc::clone(&record);
            async move {
                let dir = TemporaryDirectory::new().await.unwrap();
                let file = NamedTemporaryFile::new().await.unwrap();
                record.lock().unwrap().push(dir.path().to_owned());
                record.lock().unwrap().push(file.path().to_owned());
                panic!("the body fails while it holds them");
            }
        };
        let unwound = std::panic::AssertUnwindSafe(body).catch_unwind().await;
        assert!(unwound.is_err());

        // A panic in a spawned task, re-raised by its task group.
        let group = anyio::task_group(move |tg: anyio::TaskGroup<std::io::Error>| async move {
            tg.spawn(async move {
                let dir = TemporaryDirectory::new().await?;
                record.lock().unwrap().push(dir.path().to_owned());
                if dir.path().exists() {
                    panic!("a task fails while it holds one");
                }
                Ok(())
            });
            Ok(())
        });
        let unwound = std::panic::AssertUnwindSafe(group).catch_unwind().await;
        assert!(unwound.is_err(), "the group re-raises the task's panic");
    })
    .await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for path in seen {
        assert!(!fs::exists(&path).await.unwrap(), "{path:?} is still there");
    }
}

#[test]
fn temporaries_dropped_outside_any_runtime_are_removed_at_once() {
    let (file, dir) = anyio::run(async {
        let dir = TemporaryDirectory::new().await.unwrap();
        fs::write(dir.path().join("inside"), "x").await.unwrap();
        (NamedTemporaryFile::new().await.unwrap(), dir)
    })
    .unwrap();
    let (file_path, dir_path) = (file.path().to_owned(), dir.path().to_owned());
    assert!(file_path.exists() && dir_path.exists());
    drop(file);
    drop(dir);
    assert!(!file_path.exists());
    assert!(!dir_path.exists());
}

// ---- mkstemp, mkdtemp, gettempdir ----------------------------------------------------------

#[anyio::test]
async fn mkstemp_makes_a_file_that_stays() {
    let (mut file, path) = fs::mkstemp("mkstemp_", ".txt", None).await.unwrap();
    assert_eq!(path.parent(), Some(fs::gettempdir().as_path()));
    let name = name_of(&path);
    assert!(
        name.starts_with("mkstemp_") && name.ends_with(".txt"),
        "{name}"
    );
    assert_eq!(file.path(), Some(path.as_path()));
    file.write_all(b"mkstemp").await.unwrap();
    file.aclose().await.unwrap();
    drop(file);
    assert_eq!(fs::read(&path).await.unwrap(), b"mkstemp");
    fs::remove_file(&path).await.unwrap();

    let dir = TemporaryDirectory::new().await.unwrap();
    let (file, path) = fs::mkstemp("", "", Some(dir.path())).await.unwrap();
    drop(file);
    assert_eq!(path.parent(), Some(dir.path()));
    assert!(fs::exists(&path).await.unwrap());

    let error = fs::mkstemp("x", "", Some(Path::new("/no/such/dir")))
        .await
        .unwrap_err();
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
}

#[anyio::test]
async fn mkdtemp_makes_a_directory_that_stays() {
    let path = fs::mkdtemp("mkdtemp_", "", None).await.unwrap();
    assert!(fs::metadata(&path).await.unwrap().is_dir());
    assert!(name_of(&path).starts_with("mkdtemp_"));
    fs::remove_dir_all(&path).await.unwrap();

    let parent = TemporaryDirectory::new().await.unwrap();
    let inner = fs::mkdtemp("", ".d", Some(parent.path())).await.unwrap();
    assert_eq!(inner.parent(), Some(parent.path()));
    assert!(name_of(&inner).ends_with(".d"));

    let error = fs::mkdtemp("x", "", Some(Path::new("/no/such/dir")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
}

#[test]
fn gettempdir_is_the_systems() {
    assert_eq!(fs::gettempdir(), std::env::temp_dir());
}

#[test]
fn the_temporaries_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<TemporaryFile>();
    send::<NamedTemporaryFile>();
    send::<SpooledTemporaryFile>();
    send::<TemporaryDirectory>();
    send::<fs::NamedTemporaryFileBuilder>();
    send::<fs::TemporaryDirectoryBuilder>();
}

// ---- SpooledTemporaryFile ------------------------------------------------------------------

#[anyio::test]
async fn a_spooled_file_rolls_over_past_max_size_and_not_at_it() {
    // AnyIO's: 5 bytes stay, 11 roll over.
    let mut file = SpooledTemporaryFile::new(10);
    assert_eq!(file.write(b"12345").await.unwrap(), 5);
    assert!(!file.is_rolled_over());
    file.write_all(b"67890X").await.unwrap();
    assert!(file.is_rolled_over());

    // AnyIO's exact boundary: 10 bytes stay, the 11th rolls over.
    let mut file = SpooledTemporaryFile::new(10);
    file.write_all(b"0123456789").await.unwrap();
    assert!(!file.is_rolled_over());
    file.write_all(b"x").await.unwrap();
    assert!(file.is_rolled_over());
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).await.unwrap();
    assert_eq!(back, "0123456789x");

    // AnyIO's writelines: what fits stays and reads back; more rolls over.
    let mut file = SpooledTemporaryFile::new(20);
    for line in [&b"hello"[..], b"world"] {
        file.write_all(line).await.unwrap();
    }
    assert!(!file.is_rolled_over());
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, b"helloworld");
    file.write_all(b"1234567890123456").await.unwrap();
    assert!(file.is_rolled_over());

    // Overwriting inside max_size does not grow the file, so it stays in memory.
    let mut file = SpooledTemporaryFile::new(4);
    file.write_all(b"abcd").await.unwrap();
    file.seek(SeekFrom::Start(1)).await.unwrap();
    file.write_all(b"XYZ").await.unwrap();
    assert!(!file.is_rolled_over());
    // A max_size of 0 rolls over at the first byte (unlike Python's "never").
    let mut file = SpooledTemporaryFile::new(0);
    file.write_all(b"").await.unwrap();
    assert!(!file.is_rolled_over());
    file.write_all(b"a").await.unwrap();
    assert!(file.is_rolled_over());
}

#[anyio::test]
async fn a_spooled_file_makes_no_file_until_it_must() {
    // A directory that does not exist: any attempt to make a file there fails.
    let mut file = SpooledTemporaryFile::new_in(100, "/no/such/dir");
    for _ in 0..10 {
        file.write_all(&[7; 10]).await.unwrap();
    }
    file.set_len(50).await.unwrap();
    file.set_len(100).await.unwrap();
    file.flush().await.unwrap();
    assert!(!file.is_rolled_over());
    let error = file.write_all(b"!").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
    assert!(error.to_string().contains("roll over"), "{error}");
    // The bytes stayed in memory, whole, and the position did not move.
    assert!(!file.is_rolled_over());
    assert_eq!(file.stream_position().await.unwrap(), 100);
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back.len(), 100);
    assert!(back[..50].iter().all(|&b| b == 7) && back[50..].iter().all(|&b| b == 0));
    assert!(file.rollover().await.is_err());
    assert!(file.set_len(101).await.is_err());
}

#[anyio::test]
async fn a_spooled_file_keeps_bytes_and_position_across_an_explicit_rollover() {
    let data = pattern(10_000, 1);
    let mut file = SpooledTemporaryFile::new(usize::MAX);
    file.write_all(&data).await.unwrap();
    file.seek(SeekFrom::Start(3_000)).await.unwrap();
    file.rollover().await.unwrap();
    assert!(file.is_rolled_over());
    file.rollover().await.unwrap(); // nothing more to do
    assert_eq!(file.stream_position().await.unwrap(), 3_000);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert!(rest == data[3_000..]);
    // Writes, seeks and reads go to the file now.
    file.seek(SeekFrom::End(-10)).await.unwrap();
    file.write_all(b"0123456789ABC").await.unwrap();
    assert_eq!(file.seek(SeekFrom::Current(-5)).await.unwrap(), 10_003 - 5);
    let mut five = [0; 5];
    file.read_exact(&mut five).await.unwrap();
    assert_eq!(&five, b"89ABC");
    file.set_len(4).await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, data[..4]);
    assert!(format!("{file:?}").contains("file"));
    file.aclose().await.unwrap();
    assert!(!file.is_rolled_over());
    assert!(file.read(&mut five).await.is_err());
    file.aclose().await.unwrap(); // closing again does nothing
}

#[anyio::test]
async fn a_spooled_file_reads_and_writes_past_its_end_as_a_file_does() {
    let mut file = SpooledTemporaryFile::new(100);
    file.write_all(b"ab").await.unwrap();
    assert_eq!(file.seek(SeekFrom::Start(5)).await.unwrap(), 5);
    let mut buf = [1; 4];
    assert_eq!(file.read(&mut buf).await.unwrap(), 0);
    file.write_all(b"c").await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, b"ab\0\0\0c");
    let error = file.seek(SeekFrom::Current(-100)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    // Far past max_size: the write rolls over, and the file has the hole.
    file.seek(SeekFrom::Start(1_000)).await.unwrap();
    file.write_all(b"z").await.unwrap();
    assert!(file.is_rolled_over());
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back.len(), 1_001);
    assert_eq!(&back[..6], b"ab\0\0\0c");
    assert_eq!(back[1_000], b'z');
}

/// Writes, seeks and reads of random sizes around `max_size` through `file`, checked against a
/// `Vec` and a position kept beside it, then the whole file read back.
async fn random_operations_match_a_reference(seed: u64, max_size: usize) {
    let mut dice = Dice(seed);
    let source = pattern(4 * max_size + 1_000, seed as usize);
    let mut file = SpooledTemporaryFile::new(max_size);
    let mut reference: Vec<u8> = Vec::new();
    let mut position = 0usize;
    let mut rolled_at = None;
    for step in 0..300 {
        match dice.below(10) {
            0..=5 => {
                let len = dice.below(max_size / 3 + 2);
                let start = dice.below(source.len() - len);
                let chunk = &source[start..start + len];
                file.write_all(chunk).await.unwrap();
                if reference.len() < position + len {
                    reference.resize(position + len, 0);
                }
                reference[position..position + len].copy_from_slice(chunk);
                position += len;
                if rolled_at.is_none() {
                    if reference.len() > max_size {
                        assert!(file.is_rolled_over(), "step {step}: past max_size");
                        rolled_at = Some(step);
                    } else {
                        assert!(!file.is_rolled_over(), "step {step}: within max_size");
                    }
                }
            }
            6 | 7 => {
                let target = dice.below(reference.len() + 20);
                let to = match dice.below(3) {
                    0 => SeekFrom::Start(target as u64),
                    1 => SeekFrom::End(target as i64 - reference.len() as i64),
                    _ => SeekFrom::Current(target as i64 - position as i64),
                };
                assert_eq!(file.seek(to).await.unwrap(), target as u64, "step {step}");
                position = target;
            }
            _ => {
                let mut buf = vec![0; dice.below(max_size / 2 + 2)];
                let mut got = 0;
                while got < buf.len() {
                    let n = file.read(&mut buf[got..]).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                let expected = reference.get(position..).unwrap_or(&[]);
                let expected = &expected[..expected.len().min(buf.len())];
                assert_eq!(&buf[..got], expected, "step {step}: read at {position}");
                position += got;
            }
        }
    }
    assert!(rolled_at.is_some(), "seed {seed} never crossed max_size");
    assert_eq!(file.stream_position().await.unwrap(), position as u64);
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert!(back == reference, "seed {seed}: the contents differ");
}

#[anyio::test]
async fn a_spooled_file_matches_a_reference_through_random_operations_around_max_size() {
    for (seed, max_size) in [(1, 1_000), (2, 4_096), (3, 97), (4, 65_536), (5, 200_000)] {
        random_operations_match_a_reference(seed, max_size).await;
    }
}

#[anyio::test]
async fn a_spooled_file_rolls_over_through_the_futures_traits() {
    use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
    let data = pattern(300_000, 7);
    let mut file = SpooledTemporaryFile::new(100_000);
    let mut written = 0;
    let mut chunk = 1;
    while written < data.len() {
        let end = (written + chunk).min(data.len());
        AsyncWriteExt::write_all(&mut file, &data[written..end])
            .await
            .unwrap();
        assert_eq!(file.is_rolled_over(), end > 100_000, "at {end}");
        written = end;
        chunk = chunk * 7 % 40_001 + 1;
    }
    AsyncWriteExt::flush(&mut file).await.unwrap();
    AsyncSeekExt::seek(&mut file, SeekFrom::Start(0))
        .await
        .unwrap();
    let mut back = Vec::new();
    AsyncReadExt::read_to_end(&mut file, &mut back)
        .await
        .unwrap();
    assert!(back == data);
    AsyncWriteExt::close(&mut file).await.unwrap();
    assert!(file.write_all(b"x").await.is_err());
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn a_spooled_file_rolls_over_through_the_tokio_traits() {
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
    let data = pattern(300_000, 9);
    let mut file = SpooledTemporaryFile::new(100_000);
    AsyncWriteExt::write_all(&mut file, &data[..50_000])
        .await
        .unwrap();
    assert_eq!(
        AsyncSeekExt::seek(&mut file, SeekFrom::Current(-10))
            .await
            .unwrap(),
        49_990
    );
    let mut ten = [0; 10];
    AsyncReadExt::read_exact(&mut file, &mut ten).await.unwrap();
    assert_eq!(ten, data[49_990..50_000]);
    AsyncWriteExt::write_all(&mut file, &data[50_000..])
        .await
        .unwrap();
    assert!(file.is_rolled_over());
    assert_eq!(
        AsyncSeekExt::seek(&mut file, SeekFrom::Start(0))
            .await
            .unwrap(),
        0
    );
    let mut back = Vec::new();
    AsyncReadExt::read_to_end(&mut file, &mut back)
        .await
        .unwrap();
    assert!(back == data);
    AsyncWriteExt::shutdown(&mut file).await.unwrap();
}

#[anyio::test]
async fn a_rollover_cancelled_mid_way_loses_and_repeats_no_byte() {
    let data = pattern(500_000, 3);

    // A write that crosses max_size, dropped after its first poll: the rollover it started goes
    // on, and the write accepted nothing.
    let mut file = SpooledTemporaryFile::new(200_000);
    file.write_all(&data[..150_000]).await.unwrap();
    let accepted = {
        let write = std::pin::pin!(file.write(&data[150_000..]));
        match poll_once(write).await {
            Some(result) => result.unwrap(),
            None => 0,
        }
    };
    file.write_all(&data[150_000 + accepted..]).await.unwrap();
    assert!(file.is_rolled_over());
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert!(
        back == data,
        "bytes were lost or repeated (accepted {accepted})"
    );

    // An explicit rollover under a deadline already passed, then one dropped after its first
    // poll, each followed by other operations.
    for drop_after_poll in [false, true] {
        let mut file = SpooledTemporaryFile::new(usize::MAX);
        file.write_all(&data[..300_000]).await.unwrap();
        file.seek(SeekFrom::Start(123)).await.unwrap();
        if drop_after_poll {
            let rollover = std::pin::pin!(file.rollover());
            if let Some(result) = poll_once(rollover).await {
                result.unwrap();
            }
        } else if let Some(result) = anyio::move_on_after(Duration::ZERO, file.rollover()).await {
            result.unwrap();
        }
        assert_eq!(file.stream_position().await.unwrap(), 123);
        file.write_all(&data[300_000..]).await.unwrap();
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).await.unwrap();
        let mut expected = data[..300_000].to_vec();
        expected.truncate(123);
        expected.extend_from_slice(&data[300_000..]);
        expected.extend_from_slice(&data[123 + 200_000..300_000]);
        assert!(back == expected, "bytes were lost or repeated");
        file.rollover().await.unwrap();
        assert!(file.is_rolled_over());
    }
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn rollovers_cancelled_by_short_deadlines_lose_no_byte() {
    let data = pattern(200_000, 5);
    let mut cancelled = 0;
    for round in 0..20 {
        let max_size = 10_000 + round * 3_000;
        let mut file = SpooledTemporaryFile::new(max_size);
        let mut written = 0;
        let mut chunk = 777 + round * 100;
        while written < data.len() {
            let end = (written + chunk).min(data.len());
            // Deadlines so short that writes that start a rollover are cancelled while it runs.
            match anyio::move_on_after(Duration::from_micros(50), file.write(&data[written..end]))
                .await
            {
                Some(n) => written += n.unwrap(),
                None => cancelled += 1,
            }
            chunk = chunk * 7 % 30_011 + 1;
        }
        assert!(file.is_rolled_over());
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).await.unwrap();
        assert!(
            back == data,
            "round {round}: bytes were lost or repeated ({cancelled} writes cancelled)"
        );
    }
}

#[anyio::test]
async fn a_persist_cancelled_before_its_rename_leaves_the_file_temporary() {
    let dir = TemporaryDirectory::new().await.unwrap();
    let target = dir.path().join("persisted");
    let parent = dir.path().to_owned();
    // On a runner of its own, which has joined its threads (and any removal in the
    // background) when it returns.
    let (file, path) = on_a_runner_of_its_own({
        let target = target.clone();
        move || async move {
            let mut file = NamedTemporaryFile::new_in(&parent).await.unwrap();
            let path = file.path().to_owned();
            let scope = anyio::CancelScope::new();
            let handle = scope.handle();
            let outcome = scope
                .run(async {
                    handle.cancel();
                    file.persist(&target).await
                })
                .await;
            assert!(outcome.is_none(), "the persist was cancelled");
            (file, path)
        }
    })
    .await;
    assert!(!fs::exists(&target).await.unwrap(), "nothing was renamed");
    assert!(
        fs::exists(&path).await.unwrap(),
        "the file is still there, still temporary"
    );
    let mut file = file;
    file.aclose().await.unwrap();
    assert!(!fs::exists(&path).await.unwrap(), "and removed at close");
}

#[anyio::test]
async fn a_spooled_file_refuses_sizes_memory_cannot_hold_instead_of_panicking() {
    let mut file = SpooledTemporaryFile::new(usize::MAX);
    file.write_all(b"abc").await.unwrap();
    let far = 1 << 63;
    file.seek(SeekFrom::Start(far)).await.unwrap();
    let error = file.write(b"x").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutOfMemory);
    let error = file.set_len(far).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutOfMemory);
    // Nothing moved.
    assert!(!file.is_rolled_over());
    assert_eq!(file.stream_position().await.unwrap(), far);
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, b"abc");
}
