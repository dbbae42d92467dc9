//! `anyio::process::open_process` and `Process`: the standard streams
//! through anyio's stream traits and both `AsyncRead`/`AsyncWrite` families, waiting,
//! signals and exit statuses, closing, and settings seen from the child.

use std::io::ErrorKind;
use std::sync::Arc;

use anyio::process::{Command, Stdio, open_process, run_process};
use anyio::streams::{
    AsyncResource, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, StreamError,
};

#[anyio::test]
async fn all_three_streams_are_pipes_by_default() {
    let mut process = open_process(["sh", "-c", "read line; echo \"got $line\"; echo err >&2"])
        .await
        .unwrap();
    let stdin = process.stdin.as_mut().unwrap();
    stdin.send(b"hello\n").await.unwrap();
    let mut stdout = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
    assert_eq!(stdout.receive_until(b"\n", 64).await.unwrap(), b"got hello");
    let mut stderr = BufferedByteReceiveStream::new(process.stderr.take().unwrap());
    assert_eq!(stderr.receive_until(b"\n", 64).await.unwrap(), b"err");
    // Both end when the child does.
    let mut buf = [0; 8];
    assert!(matches!(
        stdout.receive(&mut buf).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(process.wait().await.unwrap().success());
}

#[anyio::test]
async fn streams_that_are_not_pipes_are_none() {
    let mut command = Command::new("true");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let process = open_process(&command).await.unwrap();
    assert!(process.stdin.is_none() && process.stdout.is_none() && process.stderr.is_none());
    process.wait().await.unwrap();
}

/// AnyIO's `test_terminate`, with a shell standing in for Python: the child reports ready
/// through its output, streamed line by line, then handles `SIGTERM` with an exit code.
#[anyio::test]
async fn output_streams_line_by_line_and_terminate_is_catchable() {
    let mut process = open_process([
        "sh",
        "-c",
        // `sleep & wait` keeps the shell able to run its trap at once.
        "trap 'kill $!; exit 2' TERM; echo ready; echo set; sleep 30 & wait",
    ])
    .await
    .unwrap();
    let mut stdout = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
    assert_eq!(stdout.receive_until(b"\n", 100).await.unwrap(), b"ready");
    assert_eq!(stdout.receive_until(b"\n", 100).await.unwrap(), b"set");
    process.terminate().unwrap();
    let status = process.wait().await.unwrap();
    assert_eq!(status.code(), Some(2));
    assert_eq!(status.to_string(), "exit code 2");
}

#[anyio::test]
async fn signals_end_the_child_and_the_status_says_which() {
    for (signal, shown) in [
        (libc::SIGTERM, "killed by signal 15 (SIGTERM)"),
        (libc::SIGKILL, "killed by signal 9 (SIGKILL)"),
        (libc::SIGHUP, "killed by signal 1 (SIGHUP)"),
    ] {
        let process = open_process(["sleep", "30"]).await.unwrap();
        assert_eq!(process.returncode(), None);
        assert_eq!(process.try_wait().unwrap(), None);
        match signal {
            libc::SIGTERM => process.terminate().unwrap(),
            libc::SIGKILL => process.kill().unwrap(),
            other => process.send_signal(other).unwrap(),
        }
        let status = process.wait().await.unwrap();
        assert_eq!(status.signal(), Some(signal));
        assert_eq!(status.code(), None);
        assert!(!status.success());
        assert_eq!(status.to_string(), shown);
        // Known from now on, and signalling is a no-op.
        assert_eq!(process.returncode(), Some(status));
        assert_eq!(process.wait().await.unwrap(), status);
        process.kill().unwrap();
        process.terminate().unwrap();
    }
}

#[anyio::test]
async fn an_invalid_signal_is_an_error() {
    let process = open_process(["sleep", "30"]).await.unwrap();
    let error = process.send_signal(12345).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    process.kill().unwrap();
    process.wait().await.unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn several_tasks_wait_at_once() {
    let process = Arc::new(open_process(["sleep", "30"]).await.unwrap());
    let statuses = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (waiting, all_waiting) = anyio::create_memory_object_stream::<()>(3);
    anyio::task_group(|tg| {
        let process = Arc::clone(&process);
        let statuses = Arc::clone(&statuses);
        async move {
            for _ in 0..3 {
                let process = Arc::clone(&process);
                let statuses = Arc::clone(&statuses);
                let waiting = waiting.clone();
                tg.spawn(async move {
                    // Parked on the exit before the child is killed.
                    let mut wait = std::pin::pin!(process.wait());
                    assert!(futures_lite::future::poll_once(&mut wait).await.is_none());
                    waiting.send(()).await.unwrap();
                    let status = wait.await.unwrap();
                    statuses.lock().unwrap().push(status);
                });
            }
            drop(waiting);
            for _ in 0..3 {
                all_waiting.receive().await.unwrap();
            }
            process.kill().unwrap();
        }
    })
    .await
    .unwrap();
    let statuses = statuses.lock().unwrap();
    assert_eq!(statuses.len(), 3);
    assert!(statuses.iter().all(|s| s.signal() == Some(libc::SIGKILL)));
}

#[anyio::test]
async fn both_io_trait_families_work_on_the_pipes() {
    // futures-io's traits.
    let mut process = open_process(["cat"]).await.unwrap();
    let mut stdin = process.stdin.take().unwrap();
    let mut stdout = process.stdout.take().unwrap();
    futures_lite::AsyncWriteExt::write_all(&mut stdin, b"futures ")
        .await
        .unwrap();
    let bufs = [
        std::io::IoSlice::new(b"vectored"),
        std::io::IoSlice::new(b"!"),
    ];
    let n = futures_lite::AsyncWriteExt::write_vectored(&mut stdin, &bufs)
        .await
        .unwrap();
    assert_eq!(n, 9);
    futures_lite::AsyncWriteExt::flush(&mut stdin)
        .await
        .unwrap();
    futures_lite::AsyncWriteExt::close(&mut stdin)
        .await
        .unwrap();
    let mut text = String::new();
    futures_lite::AsyncReadExt::read_to_string(&mut stdout, &mut text)
        .await
        .unwrap();
    assert_eq!(text, "futures vectored!");
    // Closed: sending fails.
    assert!(matches!(
        stdin.send(b"late").await,
        Err(StreamError::Closed)
    ));
    process.wait().await.unwrap();

    // tokio's traits (they work under either backend: they are only traits).
    #[cfg(feature = "tokio")]
    {
        tokio_traits().await;
    }
}

#[cfg(feature = "tokio")]
async fn tokio_traits() {
    let mut process = open_process(["cat"]).await.unwrap();
    let mut stdin = process.stdin.take().unwrap();
    let mut stdout = process.stdout.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, b"tokio")
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut stdin)
        .await
        .unwrap();
    let mut bytes = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut stdout, &mut bytes)
        .await
        .unwrap();
    assert_eq!(bytes, b"tokio");
    process.wait().await.unwrap();
}

#[anyio::test]
async fn a_child_that_exits_without_reading_breaks_the_pipe() {
    let mut process = open_process(Command::new("true").stdout(Stdio::null()))
        .await
        .unwrap();
    assert!(process.wait().await.unwrap().success());
    let stdin = process.stdin.as_mut().unwrap();
    // More than the pipe holds: should a child spawned by another thread at this moment
    // still hold a copy of the reading end (until its `exec` closes it), the send waits for
    // it to let go instead of fitting in the pipe.
    let data = vec![0; 1024 * 1024];
    // Rust ignores SIGPIPE, so this is an error, not the end of the test process.
    match stdin.send(&data).await {
        Err(StreamError::Broken(Some(cause))) => {
            assert_eq!(cause.kind(), ErrorKind::BrokenPipe)
        }
        other => panic!("expected a broken pipe, got {other:?}"),
    }
}

#[anyio::test]
async fn receiving_into_an_empty_buffer_is_refused() {
    let mut process = open_process(["true"]).await.unwrap();
    let stdout = process.stdout.as_mut().unwrap();
    assert!(matches!(
        stdout.receive(&mut []).await,
        Err(StreamError::InvalidInput(_))
    ));
    process.wait().await.unwrap();
}

#[anyio::test]
async fn aclose_closes_the_streams_and_waits() {
    let mut process = open_process(["sh", "-c", "cat; exit 3"]).await.unwrap();
    // `cat` ends when its input closes, which aclose does first.
    let status = process.aclose().await.unwrap();
    assert_eq!(status.code(), Some(3));
    let mut buf = [0; 4];
    assert!(matches!(
        process.stdin.as_mut().unwrap().send(b"x").await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        process.stdout.as_mut().unwrap().receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        process.stderr.as_mut().unwrap().receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
    // Closing again, through the resource trait, is harmless.
    AsyncResource::aclose(&mut process).await.unwrap();
}

#[anyio::test]
async fn wait_with_output_reads_what_is_left() {
    let process = open_process(["sh", "-c", "echo out; echo err >&2; exit 5"])
        .await
        .unwrap();
    let done = process.wait_with_output().await.unwrap();
    assert_eq!(done.stdout, b"out\n");
    assert_eq!(done.stderr, b"err\n");
    assert_eq!(done.status.code(), Some(5));
    assert_eq!(done.args, ["sh", "-c", "echo out; echo err >&2; exit 5"]);
}

#[anyio::test]
async fn pipes_chain_children_together() {
    // printf 'c\nb\na\n' | head -n 2, with the pipe between them handed over.
    let mut printf = open_process(
        Command::new("printf")
            .arg("c\\nb\\na\\n")
            .stdin(Stdio::null())
            .stderr(Stdio::null()),
    )
    .await
    .unwrap();
    let out = printf.stdout.take().unwrap().into_owned_fd().unwrap();
    let mut head = Command::new("head");
    head.args(["-n", "2"]).stdin(Stdio::from(out));
    let done = run_process(head).await.unwrap();
    assert_eq!(done.stdout, b"c\nb\n");
    printf.wait().await.unwrap();
}

#[anyio::test]
async fn a_new_session_and_a_process_group_are_the_childs_own() {
    let pid = |process: &anyio::process::Process| libc::pid_t::try_from(process.pid()).unwrap();
    // SAFETY: `getsid` and `getpgid` only read ids of a process.
    let (our_session, our_group) = unsafe { (libc::getsid(0), libc::getpgid(0)) };

    let plain = open_process(["sleep", "30"]).await.unwrap();
    // SAFETY: as above, for our child (not reaped: it runs until killed below).
    unsafe {
        assert_eq!(libc::getsid(pid(&plain)), our_session);
        assert_eq!(libc::getpgid(pid(&plain)), our_group);
    }

    let session = open_process(Command::new("sleep").arg("30").start_new_session(true))
        .await
        .unwrap();
    // SAFETY: as above.
    unsafe {
        assert_eq!(libc::getsid(pid(&session)), pid(&session));
        assert_eq!(libc::getpgid(pid(&session)), pid(&session));
    }

    let group = open_process(Command::new("sleep").arg("30").process_group(0))
        .await
        .unwrap();
    // SAFETY: as above.
    unsafe {
        assert_eq!(libc::getsid(pid(&group)), our_session);
        assert_eq!(libc::getpgid(pid(&group)), pid(&group));
    }
    for process in [plain, session, group] {
        process.kill().unwrap();
        process.wait().await.unwrap();
    }
}

#[anyio::test]
async fn the_debug_output_shows_the_command() {
    let process = open_process(["sleep", "30"]).await.unwrap();
    let shown = format!("{process:?}");
    assert!(shown.contains("sleep 30"), "{shown}");
    assert!(shown.contains(&process.pid().to_string()), "{shown}");
    let command = format!("{:?}", Command::new("ls").arg("-l").env("A", "1"));
    assert!(
        command.contains("\"ls\"") && command.contains("\"A\""),
        "{command}"
    );
    process.kill().unwrap();
    process.wait().await.unwrap();
}
