//! `anyio::fs`, on every backend: path operations and their errors, and `AsyncFile` through its
//! own methods and both I/O trait families, with cancellation mid-operation.
#![cfg(feature = "macros")]

use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyio::fs::{self, AsyncFile, PathError};
use futures_lite::future::poll_once;

/// A fresh directory for one test (removed at the end by the test; named by test and backend).
async fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "anyio-fs-{}-{name}-{}-{}",
        std::process::id(),
        anyio::current_async_library().unwrap(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).await.unwrap();
    dir
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn path_of(error: &std::io::Error) -> &Path {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PathError>())
        .expect("the error names its path")
        .path()
}

#[anyio::test]
async fn path_operations_do_what_std_does() {
    let dir = scratch("ops").await;
    let a = dir.join("a.txt");
    fs::write(&a, "alpha").await.unwrap();
    assert!(fs::exists(&a).await.unwrap());
    assert_eq!(fs::read_to_string(&a).await.unwrap(), "alpha");
    assert_eq!(fs::metadata(&a).await.unwrap().len(), 5);
    let b = dir.join("sub/b.txt");
    fs::create_dir_all(b.parent().unwrap()).await.unwrap();
    assert_eq!(fs::copy(&a, &b).await.unwrap(), 5);
    fs::rename(&b, dir.join("sub/c.txt")).await.unwrap();
    assert!(!fs::exists(&b).await.unwrap());
    fs::hard_link(&a, dir.join("hard")).await.unwrap();
    fs::symlink(&a, dir.join("soft")).await.unwrap();
    assert_eq!(fs::read_link(dir.join("soft")).await.unwrap(), a);
    assert!(
        fs::symlink_metadata(dir.join("soft"))
            .await
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::canonicalize(dir.join("soft")).await.unwrap(),
        fs::canonicalize(&a).await.unwrap()
    );
    fs::remove_file(dir.join("soft")).await.unwrap();
    fs::remove_dir_all(&dir).await.unwrap();
    assert!(!fs::exists(&dir).await.unwrap());
}

#[anyio::test]
async fn bad_paths_are_errors_that_name_the_path() {
    let missing = Path::new("/no/such/dir/file");
    let error = fs::read(missing).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), missing);
    assert!(error.to_string().contains("/no/such/dir/file"), "{error}");

    let error = AsyncFile::open(missing).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(
        error
            .to_string()
            .starts_with("cannot open /no/such/dir/file: "),
        "{error}"
    );

    // A directory opens on Linux, but reading it is an error naming it.
    let dir = scratch("baddir").await;
    let mut file = AsyncFile::open(&dir).await.unwrap();
    let error = file.read(&mut [0; 8]).await.unwrap_err();
    assert_eq!(path_of(&error), dir.as_path());

    // An interior NUL is refused, not a panic.
    let error = fs::write("bad\0name", "x").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);

    let error = fs::rename(missing, dir.join("x")).await.unwrap_err();
    assert!(error.to_string().contains(" to "), "{error}");
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn ten_mebibytes_in_random_chunks_through_the_futures_traits() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let dir = scratch("futures").await;
    let path = dir.join("big");
    let data = pattern(10 << 20);
    let mut file = AsyncFile::create(&path).await.unwrap();
    let mut chunk = 1;
    let mut written = 0;
    while written < data.len() {
        let end = (written + chunk).min(data.len());
        file.write_all(&data[written..end]).await.unwrap();
        written = end;
        chunk = chunk * 7 % 70_001 + 1;
    }
    file.flush().await.unwrap();
    AsyncWriteExt::close(&mut file).await.unwrap();
    assert_eq!(fs::metadata(&path).await.unwrap().len(), data.len() as u64);

    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut back = Vec::new();
    let mut buf = vec![0; 90_000];
    let mut chunk = 3;
    loop {
        let n = AsyncReadExt::read(&mut file, &mut buf[..chunk])
            .await
            .unwrap();
        if n == 0 {
            break;
        }
        back.extend_from_slice(&buf[..n]);
        chunk = chunk * 5 % 89_999 + 1;
    }
    assert!(back == data, "the bytes read back differ");
    assert_eq!(file.seek(SeekFrom::Start(5)).await.unwrap(), 5);
    let mut five = [0; 5];
    AsyncReadExt::read_exact(&mut file, &mut five)
        .await
        .unwrap();
    assert_eq!(five, data[5..10]);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn ten_mebibytes_in_random_chunks_through_the_tokio_traits() {
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
    let dir = scratch("tokio").await;
    let path = dir.join("big");
    let data = pattern(10 << 20);
    let mut file = AsyncFile::create(&path).await.unwrap();
    let mut chunk = 1;
    let mut written = 0;
    while written < data.len() {
        let end = (written + chunk).min(data.len());
        AsyncWriteExt::write_all(&mut file, &data[written..end])
            .await
            .unwrap();
        written = end;
        chunk = chunk * 7 % 70_001 + 1;
    }
    AsyncWriteExt::shutdown(&mut file).await.unwrap();

    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut back = Vec::new();
    AsyncReadExt::read_to_end(&mut file, &mut back)
        .await
        .unwrap();
    assert!(back == data, "the bytes read back differ");
    assert_eq!(
        AsyncSeekExt::seek(&mut file, SeekFrom::End(-4))
            .await
            .unwrap(),
        data.len() as u64 - 4
    );
    let mut tail = Vec::new();
    AsyncReadExt::read_to_end(&mut file, &mut tail)
        .await
        .unwrap();
    assert_eq!(tail, data[data.len() - 4..]);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn reads_writes_and_seeks_keep_one_position() {
    let dir = scratch("position").await;
    let path = dir.join("mixed");
    fs::write(&path, b"0123456789").await.unwrap();
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    let mut file = AsyncFile::with_options(&path, options).await.unwrap();
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap(); // reads ahead the whole file
    assert_eq!(&two, b"01");
    file.write_all(b"ab").await.unwrap(); // lands at 2, not after the read-ahead
    assert_eq!(file.stream_position().await.unwrap(), 4);
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "456789");
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut all = String::new();
    file.read_to_string(&mut all).await.unwrap();
    assert_eq!(all, "01ab456789");
    file.set_len(3).await.unwrap();
    file.sync_all().await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 3);
    file.aclose().await.unwrap();
    assert!(
        file.read(&mut two).await.is_err(),
        "a closed file reads nothing"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_read_dropped_mid_way_loses_no_byte() {
    let dir = scratch("cancel-read").await;
    let path = dir.join("data");
    let data = pattern(1 << 20);
    fs::write(&path, &data).await.unwrap();
    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut first = Vec::new();
    {
        // Started (a thread fetches the first bytes), then cancelled by drop.
        let mut buf = vec![0; 300_000];
        let polled = {
            let read = std::pin::pin!(file.read(&mut buf));
            poll_once(read).await
        };
        if let Some(n) = polled {
            first.extend_from_slice(&buf[..n.unwrap()]);
        }
    }
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    first.extend_from_slice(&rest);
    assert!(first == data, "bytes were lost or repeated");
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_write_dropped_mid_way_either_happened_or_not() {
    let dir = scratch("cancel-write").await;
    let path = dir.join("data");
    let data = pattern(3 << 20);
    let mut file = AsyncFile::create(&path).await.unwrap();
    file.write_all(&data[..70_000]).await.unwrap(); // a full buffer goes out in the background
    let accepted = {
        let write = std::pin::pin!(file.write(&data[70_000..]));
        match poll_once(write).await {
            Some(result) => result.unwrap(),
            None => 0, // cancelled while the earlier write was still out: nothing accepted
        }
    };
    file.aclose().await.unwrap();
    let written = fs::read(&path).await.unwrap();
    assert_eq!(written.len(), 70_000 + accepted);
    assert!(
        written == data[..written.len()],
        "the file is not a prefix of the data"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_dropped_file_writes_its_buffer_in_the_background() {
    let dir = scratch("drop").await;
    let path = dir.join("data");
    let mut file = AsyncFile::create(&path).await.unwrap();
    file.write_all(b"buffered, not flushed").await.unwrap();
    drop(file);
    let start = Instant::now();
    while fs::read(&path).await.unwrap() != b"buffered, not flushed" {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the buffer never reached the file"
        );
        anyio::sleep(Duration::from_millis(1)).await;
    }
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_file_moves_between_tasks_and_wraps_a_std_file() {
    let dir = scratch("wrap").await;
    let path = dir.join("data");
    let std_file = std::fs::File::create(&path).unwrap();
    let mut file = AsyncFile::from_std(std_file);
    assert_eq!(file.path(), None);
    file.write_all(b"from std").await.unwrap();
    let file = anyio::task_group(|tg: anyio::TaskGroup<std::io::Error>| async move {
        let handle = tg.spawn(async move {
            file.flush().await?;
            Ok(file)
        });
        Ok(handle.await.unwrap())
    })
    .await
    .unwrap()
    .unwrap();
    let std_file = file.into_std().await.unwrap();
    drop(std_file);
    assert_eq!(fs::read(&path).await.unwrap(), b"from std");
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn the_end_of_the_file_is_read_once_and_then_looked_at_again() {
    let dir = scratch("end").await;
    let path = dir.join("grows");
    fs::write(&path, b"abc").await.unwrap();
    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut buf = [0; 16];
    assert_eq!(file.read(&mut buf).await.unwrap(), 3);
    assert_eq!(file.read(&mut buf).await.unwrap(), 0);
    // Another writer appends: the next read sees it.
    let mut appender = std::fs::OpenOptions::new();
    appender.append(true);
    let mut other = AsyncFile::with_options(&path, appender).await.unwrap();
    other.write_all(b"de").await.unwrap();
    other.aclose().await.unwrap();
    assert_eq!(file.read(&mut buf).await.unwrap(), 2);
    assert_eq!(&buf[..2], b"de");
    assert_eq!(file.read(&mut buf).await.unwrap(), 0);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn ten_thousand_entries_are_streamed_and_a_dropped_next_entry_loses_none() {
    use futures_lite::StreamExt;
    const COUNT: usize = 10_000;
    let dir = scratch("listing").await;
    let made = dir.clone();
    anyio::to_thread::run_sync(move || {
        for index in 0..COUNT {
            std::fs::write(made.join(format!("{index:05}")), "").unwrap();
        }
    })
    .await;
    let mut listing = fs::read_dir(&dir).await.unwrap();
    let mut names = std::collections::BTreeSet::new();
    // A first call dropped while its batch is being fetched.
    let polled = {
        let next = std::pin::pin!(listing.next_entry());
        poll_once(next).await
    };
    if let Some(entry) = polled {
        names.insert(entry.unwrap().unwrap().file_name());
    }
    while let Some(entry) = listing.next().await {
        assert!(
            names.insert(entry.unwrap().file_name()),
            "an entry came twice"
        );
    }
    assert_eq!(names.len(), COUNT);
    assert!(listing.next_entry().await.unwrap().is_none());
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn listing_a_missing_directory_is_an_error_naming_it() {
    let error = fs::read_dir("/no/such/dir").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(path_of(&error), Path::new("/no/such/dir"));
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn reads_cancelled_by_a_deadline_lose_no_byte() {
    let dir = scratch("deadline").await;
    let path = dir.join("data");
    let data = pattern(4 << 20);
    fs::write(&path, &data).await.unwrap();
    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut back = Vec::new();
    let mut buf = vec![0; 100_000];
    let mut cancelled = 0;
    loop {
        // Deadlines so short that many reads are cancelled while their thread fetches.
        match anyio::move_on_after(Duration::from_micros(50), file.read(&mut buf)).await {
            Some(n) => {
                let n = n.unwrap();
                if n == 0 {
                    break;
                }
                back.extend_from_slice(&buf[..n]);
            }
            None => cancelled += 1,
        }
    }
    assert!(
        back == data,
        "bytes were lost or repeated ({cancelled} reads cancelled)"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_file_holds_a_token_of_its_limiter_while_its_thread_works() {
    let dir = scratch("limiter").await;
    let path = dir.join("data");
    fs::write(&path, pattern(1000)).await.unwrap();
    let limiter = std::sync::Arc::new(anyio::sync::CapacityLimiter::new(1));
    let mut file = AsyncFile::open(&path)
        .await
        .unwrap()
        .with_limiter(limiter.clone());
    // With the only token taken, the file's read waits for it.
    let token = limiter.clone().acquire_owned().await.unwrap();
    let mut buf = [0; 10];
    {
        let read = std::pin::pin!(file.read(&mut buf));
        assert!(poll_once(read).await.is_none());
    }
    assert_eq!(
        limiter.statistics().tasks_waiting,
        1,
        "the file's hop waits in line"
    );
    drop(token);
    assert_eq!(file.read(&mut buf).await.unwrap(), 10);
    assert_eq!(limiter.borrowed_tokens(), 0);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_file_dropped_with_a_full_buffer_on_its_way_out_keeps_the_bytes() {
    let dir = scratch("drop-full").await;
    let path = dir.join("data");
    let data = pattern(100_000);
    let mut file = AsyncFile::create(&path).await.unwrap();
    // One call fills the buffer: its hop to the system is set up, not yet run.
    file.write_all(&data).await.unwrap();
    // Dropped off the event loop, a file writes what it holds before the drop returns.
    anyio::to_thread::run_sync(move || drop(file)).await;
    let written = fs::read(&path).await.unwrap();
    assert_eq!(written.len(), data.len(), "the buffered bytes were lost");
    assert!(written == data);

    // Dropped on the event loop, waiting for a limiter token: written in the background.
    let limiter = std::sync::Arc::new(anyio::sync::CapacityLimiter::new(1));
    let mut file = AsyncFile::create(&path)
        .await
        .unwrap()
        .with_limiter(limiter.clone());
    let token = limiter.clone().acquire_owned().await.unwrap();
    file.write_all(&data).await.unwrap();
    {
        // The hop waits in line for the token.
        let flush = std::pin::pin!(file.flush());
        assert!(poll_once(flush).await.is_none());
    }
    drop(file);
    drop(token);
    let start = Instant::now();
    while fs::read(&path).await.unwrap().len() != data.len() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the buffered bytes were lost"
        );
        anyio::lowlevel::checkpoint().await;
    }
    assert!(fs::read(&path).await.unwrap() == data);
    fs::remove_dir_all(&dir).await.unwrap();
}

/// Starts a seek of either trait family on `file` and drops it while it waits for the file's
/// limiter (whose only token the caller holds).
async fn drop_a_seek_in_flight(file: &mut AsyncFile, position: SeekFrom, tokio: bool) {
    #[cfg(feature = "tokio")]
    if tokio {
        // What tokio's `seek` future does once no other seek is in flight.
        tokio::io::AsyncSeek::start_seek(std::pin::Pin::new(&mut *file), position).unwrap();
        let complete = std::future::poll_fn(|cx| {
            tokio::io::AsyncSeek::poll_complete(std::pin::Pin::new(&mut *file), cx)
        });
        assert!(
            poll_once(complete).await.is_none(),
            "the seek waits for a token"
        );
        return;
    }
    let _ = tokio; // only `false` is passed without the tokio feature
    let seek = std::pin::pin!(futures_lite::AsyncSeekExt::seek(file, position));
    assert!(
        poll_once(seek).await.is_none(),
        "the seek waits for a token"
    );
}

/// A seek through either trait family's extension trait.
async fn trait_seek(file: &mut AsyncFile, position: SeekFrom, tokio: bool) -> std::io::Result<u64> {
    #[cfg(feature = "tokio")]
    if tokio {
        return tokio::io::AsyncSeekExt::seek(file, position).await;
    }
    let _ = tokio;
    futures_lite::AsyncSeekExt::seek(file, position).await
}

#[anyio::test]
async fn a_trait_seek_dropped_in_flight_leaves_the_next_seek_its_own() {
    let dir = scratch("trait-seek").await;
    let path = dir.join("digits");
    fs::write(&path, b"0123456789").await.unwrap();
    // futures-io, then tokio's (with its feature).
    for tokio in [false, true]
        .into_iter()
        .take(1 + usize::from(cfg!(feature = "tokio")))
    {
        let limiter = std::sync::Arc::new(anyio::sync::CapacityLimiter::new(1));
        let mut file = AsyncFile::open(&path)
            .await
            .unwrap()
            .with_limiter(limiter.clone());
        let mut one = [0; 1];

        // Dropped in flight, then settled by a read: the next seek is a seek of its own.
        let token = limiter.clone().acquire_owned().await.unwrap();
        drop_a_seek_in_flight(&mut file, SeekFrom::Start(5), tokio).await;
        drop(token);
        file.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"5", "the dropped seek went on");
        let at = trait_seek(&mut file, SeekFrom::Start(1), tokio).await;
        assert_eq!(at.unwrap(), 1, "tokio: {tokio}");
        file.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"1");

        // Dropped in flight, then another position asked for: it goes there.
        let token = limiter.clone().acquire_owned().await.unwrap();
        drop_a_seek_in_flight(&mut file, SeekFrom::Start(7), tokio).await;
        drop(token);
        let at = trait_seek(&mut file, SeekFrom::Start(3), tokio).await;
        assert_eq!(at.unwrap(), 3, "tokio: {tokio}");
        file.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"3");
    }
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_futures_seek_dropped_before_it_started_is_not_done_by_the_next_one() {
    use futures_lite::AsyncSeekExt;
    let dir = scratch("stale-seek").await;
    let path = dir.join("data");
    let data = pattern(100_000);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(true);
    let limiter = std::sync::Arc::new(anyio::sync::CapacityLimiter::new(1));
    let mut file = AsyncFile::with_options(&path, options)
        .await
        .unwrap()
        .with_limiter(limiter.clone());
    // A full buffer on its way out (waiting for the token): a seek waits for it to start.
    let token = limiter.clone().acquire_owned().await.unwrap();
    file.write_all(&data).await.unwrap();
    {
        let seek = std::pin::pin!(AsyncSeekExt::seek(&mut file, SeekFrom::Start(0)));
        assert!(
            poll_once(seek).await.is_none(),
            "the write is still going out"
        );
    }
    drop(token);
    assert_eq!(
        AsyncSeekExt::seek(&mut file, SeekFrom::End(0))
            .await
            .unwrap(),
        data.len() as u64,
        "the seek went where the dropped one asked"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[cfg(unix)]
#[anyio::test]
async fn a_partly_read_pipe_tells_its_metadata_and_closes() {
    use std::os::fd::FromRawFd;
    use std::os::unix::fs::FileTypeExt;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: `pipe` opened both descriptors, and nothing else owns them.
    let (reader, mut writer) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    };
    std::io::Write::write_all(&mut writer, b"first\nsecond\n").unwrap();
    drop(writer);
    let mut file = AsyncFile::from_std(reader);
    let mut first = [0; 6];
    file.read_exact(&mut first).await.unwrap(); // "second\n" is read ahead
    assert_eq!(&first, b"first\n");
    // Neither needs the read-ahead given back (which a pipe cannot take).
    assert!(file.metadata().await.unwrap().file_type().is_fifo());
    let mut rest = [0; 3];
    file.read_exact(&mut rest).await.unwrap();
    assert_eq!(&rest, b"sec", "the read-ahead is still there");
    file.aclose().await.unwrap();
}

#[anyio::test]
async fn errors_of_whole_reads_name_the_path() {
    let dir = scratch("whole-read-errors").await;
    let path = dir.join("latin1");
    fs::write(&path, b"caf\xe9").await.unwrap();
    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut text = String::new();
    let error = file.read_to_string(&mut text).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidData);
    assert_eq!(path_of(&error), path.as_path());

    let mut file = AsyncFile::open(&path).await.unwrap();
    let error = file.read_exact(&mut [0; 10]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(path_of(&error), path.as_path());
    fs::remove_dir_all(&dir).await.unwrap();
}

#[cfg(unix)]
#[anyio::test]
async fn a_file_dropped_before_its_read_started_does_not_read() {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: `pipe` opened both descriptors, and nothing else owns them.
    let (reader, mut writer) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    };
    let mut other_reader = reader.try_clone().unwrap();
    writer.write_all(b"x").unwrap();
    let limiter = std::sync::Arc::new(anyio::sync::CapacityLimiter::new(1));
    let mut file = AsyncFile::from_std(reader).with_limiter(limiter.clone());
    let token = limiter.clone().acquire_owned().await.unwrap();
    {
        // Cancelled while its hop waits for a token: nothing was read.
        let mut buf = [0; 1];
        let read = std::pin::pin!(file.read(&mut buf));
        assert!(poll_once(read).await.is_none());
    }
    // Dropped off the event loop, where anything a drop runs runs before it returns.
    anyio::to_thread::run_sync(move || drop(file)).await;
    drop(token);
    writer.write_all(b"y").unwrap();
    let mut first = [0; 1];
    other_reader.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"x", "the dropped file read from the pipe");
}
