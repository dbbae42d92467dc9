//! UNIX domain stream sockets on every backend: paths and the abstract namespace, stale
//! socket files, bad paths, half close, cancellation, both I/O trait families, and serving.
#![cfg(feature = "macros")]

use std::io;
use std::path::PathBuf;
use std::pin::pin;
use std::time::Duration;

use anyio::TaskGroup;
use anyio::net::{
    AddressFamily, Family, LocalUnixAddress, RemoteUnixAddress, UnixListener, UnixStream,
};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
    TypedAttributeProvider,
};
use futures_lite::future::poll_once;

/// How long a test may wait before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

/// A fresh directory for one test's sockets, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "anyio-{test}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Receives until the end of the stream.
async fn receive_to_end(stream: &mut impl ByteReceiveStream) -> Result<Vec<u8>, StreamError> {
    let mut all = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match stream.receive(&mut buf).await {
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(StreamError::EndOfStream) => return Ok(all),
            Err(error) => return Err(error),
        }
    }
}

#[anyio::test]
async fn a_conversation_over_a_path_with_a_half_close() {
    let dir = TempDir::new("conversation");
    let path = dir.path("s.sock");
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_eq!(listener.extra(Family).unwrap(), AddressFamily::Unix);
    let mut client = UnixStream::connect(&path).await.unwrap();
    let mut server = listener.accept().await.unwrap();
    client.send(b"question").await.unwrap();
    client.send_eof().await.unwrap();
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
    let question = anyio::fail_after(LIMIT, receive_to_end(&mut server))
        .await
        .unwrap();
    assert_eq!(question.unwrap(), b"question");
    server.send(b"answer").await.unwrap();
    server.aclose().await.unwrap();
    let answer = anyio::fail_after(LIMIT, receive_to_end(&mut client))
        .await
        .unwrap();
    assert_eq!(answer.unwrap(), b"answer");
    client.aclose().await.unwrap();
    assert!(matches!(
        client.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert_eq!(
        client.extra(LocalUnixAddress).ok().map(|a| a.is_unnamed()),
        None,
        "a closed stream has no attributes"
    );
}

#[anyio::test]
async fn a_stale_socket_file_is_replaced_but_nothing_else_is() {
    let dir = TempDir::new("stale");
    let path = dir.path("again.sock");
    drop(UnixListener::bind(&path).unwrap());
    assert!(path.exists(), "closing leaves the socket file");
    let mut listener = UnixListener::bind(&path).unwrap();
    let _client = UnixStream::connect(&path).await.unwrap();
    anyio::fail_after(LIMIT, listener.accept())
        .await
        .unwrap()
        .unwrap();

    let file = dir.path("not-a-socket");
    std::fs::write(&file, b"precious").unwrap();
    let error = UnixListener::bind(&file).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    assert!(error.to_string().contains("not-a-socket"), "{error}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"precious",
        "the file is untouched"
    );
}

#[cfg(target_os = "linux")]
#[anyio::test]
async fn the_abstract_namespace_needs_no_file() {
    let name = format!(
        "\0anyio-abstract-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    );
    let mut listener = UnixListener::bind(&name).unwrap();
    let mut client = UnixStream::connect(&name).await.unwrap();
    let mut server = anyio::fail_after(LIMIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    client.send(b"abstract").await.unwrap();
    let mut buf = [0; 16];
    let n = server.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"abstract");
}

#[anyio::test]
async fn bad_paths_are_clear_errors() {
    let long = "x".repeat(300);
    let error = UnixStream::connect(&long).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("300 bytes"), "{error}");
    assert_eq!(
        UnixListener::bind(&long).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
    assert_eq!(
        UnixStream::connect("").await.unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
    let dir = TempDir::new("missing");
    let missing = dir.path("nobody-here.sock");
    let error = UnixStream::connect(&missing).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(error.to_string().contains("nobody-here.sock"), "{error}");
}

#[anyio::test]
async fn a_cancelled_receive_takes_no_bytes_and_both_trait_families_work() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(poll_once(pin!(b.receive(&mut [0; 4]))).await.is_none());
    {
        use futures_lite::AsyncWriteExt;
        a.write_all(b"futures").await.unwrap();
    }
    let mut buf = [0; 7];
    {
        #[cfg(not(feature = "tokio"))]
        use futures_lite::AsyncReadExt; // the tokio family is not compiled in
        #[cfg(feature = "tokio")]
        use tokio::io::AsyncReadExt;
        anyio::fail_after(LIMIT, b.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(&buf, b"futures");
}

#[anyio::test]
async fn a_unix_listener_serves_each_connection() {
    let dir = TempDir::new("serve");
    let path = dir.path("serve.sock");
    let mut listener = UnixListener::bind(&path).unwrap();
    let outcome = anyio::task_group(|tg: TaskGroup<StreamError>| async move {
        tg.spawn(async move {
            // Runs until the group is cancelled below.
            listener
                .serve(|mut stream| async move {
                    let _ = stream.send(b"hi").await;
                })
                .await;
        });
        for _ in 0..3 {
            let mut client = UnixStream::connect(&path).await?;
            assert_eq!(receive_to_end(&mut client).await?, b"hi");
        }
        tg.cancel();
        Ok(())
    });
    anyio::fail_after(LIMIT, outcome)
        .await
        .expect("served in time")
        .expect("every client was greeted");
}

#[anyio::test]
async fn file_descriptors_travel_with_their_message() {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::os::fd::AsFd;
    let dir = TempDir::new("fds");
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.path("shared.txt"))
        .unwrap();
    file.write_all(b"contents").unwrap();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (other, _keep) = std::os::unix::net::UnixStream::pair().unwrap();
    a.send_fds(b"two descriptors", &[file.as_fd(), other.as_fd()])
        .await
        .unwrap();
    let (message, fds) = anyio::fail_after(LIMIT, b.receive_fds(64, 4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message, b"two descriptors");
    assert_eq!(fds.len(), 2);
    let mut received = std::fs::File::from(fds.into_iter().next().unwrap());
    received.seek(SeekFrom::Start(0)).unwrap();
    let mut contents = String::new();
    received.read_to_string(&mut contents).unwrap();
    assert_eq!(contents, "contents", "the same open file arrived");
}

#[anyio::test]
async fn fd_passing_rejects_empty_input_and_reports_lost_descriptors() {
    use std::os::fd::AsFd;
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (x, y) = std::os::unix::net::UnixStream::pair().unwrap();
    assert!(matches!(
        a.send_fds(b"", &[x.as_fd()]).await,
        Err(StreamError::InvalidInput(_))
    ));
    assert!(matches!(
        a.send_fds(b"m", &[]).await,
        Err(StreamError::InvalidInput(_))
    ));
    assert!(matches!(
        b.receive_fds(8, 0).await,
        Err(StreamError::InvalidInput(_))
    ));
    a.send_fds(b"m", &[x.as_fd(), y.as_fd()]).await.unwrap();
    let lost = anyio::fail_after(LIMIT, b.receive_fds(8, 1)).await.unwrap();
    assert!(
        matches!(lost, Err(StreamError::Broken(Some(_)))),
        "{lost:?}"
    );
    a.aclose().await.unwrap();
    let end = anyio::fail_after(LIMIT, b.receive_fds(8, 1)).await.unwrap();
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
}

#[anyio::test]
async fn split_halves_receive_and_send_in_separate_tasks() {
    let (stream, peer) = UnixStream::pair().unwrap();
    let message: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
    let expected = message.clone();
    let echoed = anyio::fail_after(
        LIMIT,
        anyio::task_group(|tg: TaskGroup<StreamError>| async move {
            tg.spawn(async move {
                let mut peer = peer;
                let received = receive_to_end(&mut peer).await?;
                peer.send(&received).await?;
                peer.send_eof().await
            });
            let (mut reader, mut writer) = stream.into_split();
            tg.spawn(async move {
                writer.send(&message).await?;
                drop(writer); // dropping the sending half ends the stream for the peer
                Ok::<(), StreamError>(())
            });
            receive_to_end(&mut reader).await
        }),
    )
    .await
    .expect("the echo completes")
    .expect("no task fails");
    assert_eq!(echoed, Some(expected));
}

#[anyio::test]
async fn halves_reunite_only_with_their_own_and_close_apart() {
    let (stream, mut peer) = UnixStream::pair().unwrap();
    let (other, _other_peer) = UnixStream::pair().unwrap();
    let (reader, writer) = stream.into_split();
    let (other_reader, other_writer) = other.into_split();
    let error = reader.reunite(other_writer).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the two halves came from different streams"
    );
    let (reader, other_writer) = error.into_parts();
    drop((other_reader, other_writer));
    let mut whole = reader.reunite(writer).unwrap();
    whole.send(b"whole again").await.unwrap();
    let mut buf = [0; 16];
    let n = anyio::fail_after(LIMIT, peer.receive(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"whole again");

    let (mut reader, mut writer) = whole.into_split();
    for family in [reader.extra(Family), writer.extra(Family)] {
        assert_eq!(family.unwrap(), AddressFamily::Unix);
    }
    assert!(writer.extra(RemoteUnixAddress).unwrap().is_unnamed());
    assert!(format!("{reader:?}").starts_with("UnixReadHalf"));
    assert!(format!("{writer:?}").starts_with("UnixWriteHalf"));
    // Closing the receiving half leaves the sending one working.
    reader.aclose().await.unwrap();
    assert!(matches!(
        reader.receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
    writer.send(b"still").await.unwrap();
    writer.send_eof().await.unwrap();
    assert!(matches!(writer.send(b"x").await, Err(StreamError::Closed)));
    let rest = anyio::fail_after(LIMIT, receive_to_end(&mut peer))
        .await
        .unwrap();
    assert_eq!(rest.unwrap(), b"still");
    writer.aclose().await.unwrap();
    assert!(matches!(writer.send(b"x").await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn cancelled_operations_on_halves_lose_nothing_and_both_trait_families_work() {
    let (stream, mut peer) = UnixStream::pair().unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // A receive cancelled mid-flight takes no bytes.
    assert!(poll_once(pin!(reader.receive(&mut [0; 4]))).await.is_none());
    peer.send(b"kept").await.unwrap();
    let mut buf = [0; 4];
    {
        #[cfg(not(feature = "tokio"))]
        use futures_lite::AsyncReadExt; // the tokio family is not compiled in
        #[cfg(feature = "tokio")]
        use tokio::io::AsyncReadExt;
        anyio::fail_after(LIMIT, reader.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(&buf, b"kept");
    // A send cancelled mid-flight (more than the socket buffers) sent a first part at most.
    let big: Vec<u8> = (0..4_000_000u32).map(|n| (n % 253) as u8).collect();
    assert!(poll_once(pin!(writer.send(&big))).await.is_none());
    let (sent, received) = futures_lite::future::zip(
        anyio::fail_after(LIMIT, async {
            use futures_lite::AsyncWriteExt;
            writer.write_all(b"end").await?;
            writer.close().await // a half close, as send_eof
        }),
        anyio::fail_after(LIMIT, receive_to_end(&mut peer)),
    )
    .await;
    sent.unwrap().unwrap();
    let received = received.unwrap().unwrap();
    let first_part = received.len() - 3;
    assert!(first_part < big.len(), "{first_part}");
    assert_eq!(&received[..first_part], &big[..first_part]);
    assert_eq!(&received[first_part..], b"end");
}
