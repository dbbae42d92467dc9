//! `anyio::fs` on every backend: files as anyio byte streams (AnyIO's `streams/test_file.py`),
//! a file's lines and its `AsyncBufRead`, AnyIO's `open_file`/`wrap_file` cases of
//! `test_fileio.py`, the cancellation gate of buffered reads and writes, and the errors of a
//! closed file and a file the system refuses.
#![cfg(feature = "macros")]

use std::fs::OpenOptions;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::fs::{
    self, AsyncFile, FileDescriptor, FilePath, FileReadStream, FileWriteStream, PathError,
};
use anyio::streams::TypedAttributeProvider;
use anyio::streams::{AsyncResource, ByteReceiveStream, ByteSendStream, StreamError};
use futures_lite::StreamExt;
use futures_lite::future::poll_once;

/// A fresh directory for one test, named by test and backend; removed by the test.
async fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "anyio-fss-{}-{name}-{}-{}",
        std::process::id(),
        anyio::current_async_library().unwrap(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).await.unwrap();
    dir
}

fn path_of(error: &std::io::Error) -> &Path {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PathError>())
        .expect("the error names its path")
        .path()
}

async fn hello_file(name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name).await;
    let path = dir.join("data.txt");
    fs::write(&path, "Hello").await.unwrap();
    (dir, path)
}

/// AnyIO's `_run_filestream_test`: "Hel", "lo", then the end of the stream.
async fn read_hello(stream: &mut FileReadStream) {
    let mut buf = [0; 3];
    assert_eq!(stream.receive(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf, b"Hel");
    let n = stream.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"lo");
    assert!(matches!(
        stream.receive(&mut buf).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn a_read_stream_reads_a_path_or_a_file_then_ends() {
    let (dir, path) = hello_file("read").await;
    let mut stream = FileReadStream::open(&path).await.unwrap();
    read_hello(&mut stream).await;
    stream.aclose().await.unwrap();

    let std_file = std::fs::File::open(&path).unwrap();
    let mut stream = FileReadStream::new(fs::wrap_file(std_file));
    read_hello(&mut stream).await;
    assert!(
        stream.extra(FilePath).is_err(),
        "a wrapped file has no path"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_read_stream_refuses_an_empty_buffer_and_a_receive_after_close() {
    let (dir, path) = hello_file("refuse").await;
    let mut stream = FileReadStream::open(&path).await.unwrap();
    assert!(matches!(
        stream.receive(&mut []).await,
        Err(StreamError::InvalidInput(_))
    ));
    stream.aclose().await.unwrap();
    stream.aclose().await.unwrap();
    assert!(matches!(
        stream.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(stream.seek(SeekFrom::Start(0)).await.is_err());
    assert!(
        stream.extra(FileDescriptor).is_err(),
        "a closed stream has no descriptor"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_read_stream_seeks_and_tells() {
    let (dir, path) = hello_file("seek").await;
    let mut stream = FileReadStream::open(&path).await.unwrap();
    assert_eq!(stream.seek(SeekFrom::Start(2)).await.unwrap(), 2);
    assert_eq!(stream.stream_position().await.unwrap(), 2);
    let mut buf = [0; 16];
    let n = stream.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"llo");
    assert_eq!(stream.stream_position().await.unwrap(), 5);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn file_streams_provide_their_path_and_descriptor() {
    let (dir, path) = hello_file("attrs").await;
    let stream = FileReadStream::open(&path).await.unwrap();
    assert_eq!(stream.extra(FilePath).unwrap(), path);
    let fd = stream.extra(FileDescriptor).unwrap();
    assert!(fd > 2, "{fd}");
    // The descriptor is the file's: the system says it is open on our path.
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
    assert_eq!(link, std::fs::canonicalize(&path).unwrap());

    let written = dir.join("written.txt");
    let stream = FileWriteStream::create(&written).await.unwrap();
    assert_eq!(stream.extra(FilePath).unwrap(), written);
    assert!(stream.extra(FileDescriptor).unwrap() > 2);
    drop(stream);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_write_stream_writes_appends_and_refuses_after_close() {
    let dir = scratch("write").await;
    let path = dir.join("written_data.txt");
    let mut stream = FileWriteStream::create(&path).await.unwrap();
    stream.send(b"Hel").await.unwrap();
    stream.send(b"lo").await.unwrap();
    stream.aclose().await.unwrap();
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "Hello");

    let mut stream = FileWriteStream::append(&path).await.unwrap();
    stream.send(b", World!").await.unwrap();
    stream.aclose().await.unwrap();
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "Hello, World!");

    assert!(matches!(
        stream.send(b"foo").await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(stream.flush().await, Err(StreamError::Closed)));
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_write_error_is_a_broken_stream_naming_the_path() {
    // Writing to a file opened read-only fails in the system call: at the flush or the close.
    let (dir, path) = hello_file("broken").await;
    let mut stream = FileWriteStream::new(AsyncFile::open(&path).await.unwrap());
    stream.send(b"x").await.unwrap(); // accepted into the buffer
    let error = stream.flush().await.unwrap_err();
    let StreamError::Broken(Some(cause)) = &error else {
        panic!("expected a broken stream, got {error:?}");
    };
    assert_eq!(path_of(cause), path.as_path());
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn lines_come_without_their_newlines_whatever_the_buffer_boundaries() {
    let dir = scratch("lines").await;
    let path = dir.join("lines.txt");
    // Lines of every length around the 64 KiB buffer, so that some straddle two refills.
    let lines: Vec<String> = (0..200).map(|i| "x".repeat(i * 997 % 70_000)).collect();
    let mut text = lines.join("\n");
    text.push_str("\r\nlast without newline");
    fs::write(&path, &text).await.unwrap();

    let mut expected = lines.clone();
    expected.push("last without newline".to_owned());
    let got: Vec<String> = AsyncFile::open(&path)
        .await
        .unwrap()
        .lines()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "the lines differ");

    // AnyIO's async iteration case.
    fs::write(&path, "blah blah\nfoo foo\nbar bar")
        .await
        .unwrap();
    let mut lines = AsyncFile::open(&path).await.unwrap().lines();
    for expected in ["blah blah", "foo foo", "bar bar"] {
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some(expected));
    }
    assert_eq!(lines.next_line().await.unwrap(), None);
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_line_that_is_not_utf8_is_an_error_and_the_next_line_follows() {
    let dir = scratch("utf8").await;
    let path = dir.join("mixed");
    fs::write(&path, b"good\n\xff\xfe bad\nafter\n")
        .await
        .unwrap();
    let mut lines = AsyncFile::open(&path).await.unwrap().lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("good"));
    let error = lines.next_line().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidData);
    assert_eq!(path_of(&error), path.as_path());
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("after"));
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_cancelled_next_line_keeps_the_part_it_read() {
    let dir = scratch("linecancel").await;
    let path = dir.join("long");
    // A line longer than the first refill: reading it takes at least two thread hops.
    let long = "y".repeat(200_000);
    fs::write(&path, format!("{long}\nshort\n")).await.unwrap();
    // The file's only limiter token is held here at first: the first poll cannot fetch
    // anything (however fast the worker thread would be), so at least one call is dropped
    // with its read in flight.
    let limiter = std::sync::Arc::new(anyio::sync::CapacityLimiter::new(1));
    let held = limiter.clone().acquire_owned().await.unwrap();
    let file = AsyncFile::open(&path)
        .await
        .unwrap()
        .with_limiter(limiter.clone());
    let mut lines = file.lines();
    // Start and drop the read at each stage until a whole line comes back.
    let mut drops = 0;
    let mut held = Some(held);
    let line = loop {
        let mut next = Box::pin(lines.next_line());
        if let Some(line) = poll_once(&mut next).await {
            break line.unwrap();
        }
        drop(next);
        drops += 1;
        // Let the fetch start now, and go on before asking again.
        drop(held.take());
        anyio::lowlevel::checkpoint().await;
    };
    assert!(drops >= 1, "the first poll had no token to fetch with");
    assert_eq!(line.as_deref(), Some(long.as_str()));
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("short"));
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn the_read_ahead_is_an_async_buf_read_of_both_families() {
    let dir = scratch("bufread").await;
    let path = dir.join("records");
    fs::write(&path, "a;bb;ccc;").await.unwrap();

    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut record = Vec::new();
    futures_lite::AsyncBufReadExt::read_until(&mut file, b';', &mut record)
        .await
        .unwrap();
    assert_eq!(record, b"a;");

    record.clear();
    #[cfg(feature = "tokio")]
    tokio::io::AsyncBufReadExt::read_until(&mut file, b';', &mut record)
        .await
        .unwrap();
    #[cfg(not(feature = "tokio"))]
    futures_lite::AsyncBufReadExt::read_until(&mut file, b';', &mut record)
        .await
        .unwrap();
    assert_eq!(record, b"bb;");

    // What the buffer held and was not consumed is where the file goes on.
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "ccc;");
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn buffered_reads_and_writes_do_not_complete_in_a_cancelled_scope() {
    let (dir, path) = hello_file("gate").await;
    let mut file = AsyncFile::open(&path).await.unwrap();
    let mut first = [0; 1];
    file.read_exact(&mut first).await.unwrap(); // "Hello" is in the buffer now
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            handle.cancel();
            let mut more = [0; 4];
            file.read(&mut more).await
        })
        .await;
    assert!(
        outcome.is_none(),
        "a read in a cancelled scope does not complete"
    );
    // The cancelled read took nothing.
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "ello");

    let out = dir.join("out");
    let mut file = AsyncFile::create(&out).await.unwrap();
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            handle.cancel();
            file.write(b"never").await
        })
        .await;
    assert!(
        outcome.is_none(),
        "a write in a cancelled scope does not complete"
    );
    file.write_all(b"kept").await.unwrap();
    file.aclose().await.unwrap();
    assert_eq!(fs::read(&out).await.unwrap(), b"kept");
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn open_file_and_wrap_file_do_what_anyio_s_do() {
    let dir = scratch("open").await;
    let path = dir.join("testdata");
    let testdata: Vec<u8> = (0..10u8).flat_map(|i| [i; 1000]).collect();
    fs::write(&path, &testdata).await.unwrap();

    let mut options = OpenOptions::new();
    options.read(true);
    let mut file = fs::open_file(&path, options.clone()).await.unwrap();
    let mut data = Vec::new();
    file.read_to_end(&mut data).await.unwrap();
    file.aclose().await.unwrap();
    assert_eq!(data, testdata);

    let mut file = fs::open_file(&path, options).await.unwrap();
    let mut buffer = [0; 100];
    assert_eq!(file.read(&mut buffer).await.unwrap(), 100);
    assert_eq!(&buffer[..], &testdata[..100]);

    let mut options = OpenOptions::new();
    options.append(true);
    let mut file = fs::open_file(&path, options).await.unwrap();
    file.write_all(&[b'f'; 1000]).await.unwrap();
    file.aclose().await.unwrap();
    assert_eq!(fs::metadata(&path).await.unwrap().len(), 11_000);

    let wrapped_path = dir.join("wrapped");
    let mut wrapped = fs::wrap_file(std::fs::File::create(&wrapped_path).unwrap());
    wrapped.write_all(b"dummydata").await.unwrap();
    wrapped.aclose().await.unwrap();
    assert_eq!(
        fs::read_to_string(&wrapped_path).await.unwrap(),
        "dummydata"
    );
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_closed_file_refuses_everything_naming_its_path() {
    let (dir, path) = hello_file("closed").await;
    let mut file = AsyncFile::open(&path).await.unwrap();
    file.aclose().await.unwrap();
    file.aclose().await.unwrap(); // twice is harmless
    let error = file.read(&mut [0; 4]).await.unwrap_err();
    assert_eq!(path_of(&error), path.as_path());
    assert!(error.to_string().contains("closed"), "{error}");
    let error = file.write(b"x").await.unwrap_err();
    assert_eq!(path_of(&error), path.as_path());
    assert!(file.seek(SeekFrom::Start(0)).await.is_err());
    assert!(file.metadata().await.is_err());
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn permission_denied_is_the_system_s_answer_naming_the_path() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = hello_file("perm").await;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root is not denied; whatever the system answers std, anyio answers the same.
    match std::fs::File::open(&path) {
        Err(std_error) => {
            assert_eq!(std_error.kind(), ErrorKind::PermissionDenied);
            let error = AsyncFile::open(&path).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::PermissionDenied);
            assert_eq!(path_of(&error), path.as_path());
        }
        Ok(_) => {
            let mut file = AsyncFile::open(&path).await.unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "Hello");
        }
    }
    // A directory opened for writing is refused by every user.
    let mut options = OpenOptions::new();
    options.write(true);
    let error = fs::open_file(&dir, options).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::IsADirectory);
    assert_eq!(path_of(&error), dir.as_path());
    fs::remove_dir_all(&dir).await.unwrap();
}

#[anyio::test]
async fn a_carriage_return_ends_a_line_only_before_a_newline_as_in_std() {
    let dir = scratch("cr").await;
    let path = dir.join("cr");
    for text in ["a\r\nb\r", "a\r", "\r", "a\rb\r\n\r\r\n"] {
        fs::write(&path, text).await.unwrap();
        let got: Vec<String> = AsyncFile::open(&path)
            .await
            .unwrap()
            .lines()
            .try_collect()
            .await
            .unwrap();
        let reference: Vec<String> = std::io::BufRead::lines(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, reference, "{text:?}");
    }
    fs::remove_dir_all(&dir).await.unwrap();
}
