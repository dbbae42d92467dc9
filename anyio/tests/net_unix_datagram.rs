//! UNIX domain datagram sockets on every backend: paths and the abstract namespace, stale
//! socket files, bad paths, connected sockets and pairs, the object-stream view, one user per
//! direction, cancellation of each operation, closing, and typed attributes.
#![cfg(feature = "macros")]

use std::io;
use std::os::unix::net::UnixDatagram as StdDatagram;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{
    AddressFamily, ConnectedUnixDatagram, Family, LocalUnixAddress, RawSocket, RemoteUnixAddress,
    UnixDatagram,
};
use anyio::streams::{
    AsyncResource, ObjectReceiveStream, ObjectSendStream, StreamError, TypedAttributeProvider,
};
use futures_lite::future::poll_once;

/// How long a test may wait for a datagram before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

/// A fresh directory for one test's sockets, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "anyio-dgram-{test}-{}-{:?}",
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

/// Sends small datagrams through `filler` (a duplicate of a socket's descriptor, so sharing
/// its non-blocking mode) until the system would block; returns how many went. With `to`,
/// each goes there; otherwise to the connected peer.
fn fill(filler: &StdDatagram, to: Option<&std::path::Path>) -> u32 {
    filler.set_nonblocking(true).unwrap();
    for i in 0..1_000_000u32 {
        let sent = match to {
            Some(path) => filler.send_to(&i.to_be_bytes(), path),
            None => filler.send(&i.to_be_bytes()),
        };
        match sent {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return i,
            Err(error) => panic!("{error}"),
        }
    }
    panic!("the queue never filled up");
}

#[anyio::test]
async fn datagrams_go_both_ways_between_paths() {
    let dir = TempDir::new("both-ways");
    let (a_path, b_path) = (dir.path("a.sock"), dir.path("b.sock"));
    let a = UnixDatagram::bind(&a_path).unwrap();
    let b = UnixDatagram::bind(&b_path).unwrap();
    assert_eq!(b.extra(Family).unwrap(), AddressFamily::Unix);
    assert_eq!(
        b.extra(LocalUnixAddress).unwrap().as_pathname(),
        Some(b_path.as_path())
    );
    assert!(b.extra(RemoteUnixAddress).is_err(), "not connected");
    for n in 0..3u8 {
        a.send_to(&[n; 100], &b_path).await.unwrap();
        let mut buf = [0; 200];
        let (len, from) = anyio::fail_after(LIMIT, b.receive_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..len], &[n; 100]);
        b.send_to(&buf[..len], from.as_pathname().unwrap())
            .await
            .unwrap();
        let (len, from) = anyio::fail_after(LIMIT, a.receive_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (&buf[..len], from.as_pathname()),
            (&[n; 100][..], Some(b_path.as_path()))
        );
    }
    // A datagram too long for the buffer is cut to fit.
    a.send_to(&[7; 50], &b_path).await.unwrap();
    let mut small = [0; 10];
    let (len, _) = b.receive_from(&mut small).await.unwrap();
    assert_eq!(&small[..len], &[7; 10]);
}

#[cfg(target_os = "linux")]
#[anyio::test]
async fn the_abstract_namespace_works_without_files() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!(
        "\0anyio-dgram-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    );
    let server = UnixDatagram::bind(&name).unwrap();
    let client_name = format!("{name}-client");
    let client = UnixDatagram::bind(&client_name)
        .unwrap()
        .connect(&name)
        .unwrap();
    client.send(b"abstract").await.unwrap();
    let mut buf = [0; 16];
    let (n, from) = anyio::fail_after(LIMIT, server.receive_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"abstract");
    assert_eq!(from.as_abstract_name(), Some(&client_name.as_bytes()[1..]));
    let unbound = UnixDatagram::unbound().unwrap();
    unbound.send_to(b"anonymous", &name).await.unwrap();
    let (n, from) = anyio::fail_after(LIMIT, server.receive_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from.is_unnamed()), (&b"anonymous"[..], true));
}

#[anyio::test]
async fn binding_replaces_a_stale_socket_file_but_nothing_else() {
    let dir = TempDir::new("stale");
    let path = dir.path("s.sock");
    let first = UnixDatagram::bind(&path).unwrap();
    drop(first);
    assert!(path.exists(), "closing leaves the socket file");
    let second = UnixDatagram::bind(&path).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    sender.send_to(b"to the new one", &path).await.unwrap();
    let mut buf = [0; 32];
    let (n, _) = anyio::fail_after(LIMIT, second.receive_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"to the new one");

    let file = dir.path("not-a-socket");
    std::fs::write(&file, b"keep me").unwrap();
    let error = UnixDatagram::bind(&file).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{error}");
    assert!(error.to_string().contains("not-a-socket"), "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[anyio::test]
async fn bad_paths_are_clear_errors() {
    let too_long = "x".repeat(200);
    for error in [
        UnixDatagram::bind("").unwrap_err(),
        UnixDatagram::bind(&too_long).unwrap_err(),
        UnixDatagram::unbound()
            .unwrap()
            .connect(&too_long)
            .unwrap_err(),
    ] {
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{error}");
    }
    let socket = UnixDatagram::unbound().unwrap();
    match socket.send_to(b"x", &too_long).await {
        Err(StreamError::InvalidInput(message)) => assert!(message.contains("too long")),
        outcome => panic!("expected InvalidInput, got {outcome:?}"),
    }
    assert!(matches!(
        socket.send_to(b"x", "").await,
        Err(StreamError::InvalidInput(_))
    ));
    let dir = TempDir::new("bad-paths");
    let missing = dir.path("missing.sock");
    match socket.send_to(b"x", &missing).await {
        Err(StreamError::Broken(Some(error))) => {
            assert_eq!(error.kind(), io::ErrorKind::NotFound);
        }
        outcome => panic!("expected NotFound, got {outcome:?}"),
    }
    let error = socket.connect(&missing).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(error.to_string().contains("missing.sock"), "{error}");
}

#[anyio::test]
async fn a_connected_socket_talks_to_its_peer_only() {
    let dir = TempDir::new("connected");
    let (server_path, client_path) = (dir.path("server.sock"), dir.path("client.sock"));
    let server = UnixDatagram::bind(&server_path).unwrap();
    let client = UnixDatagram::bind(&client_path)
        .unwrap()
        .connect(&server_path)
        .unwrap();
    assert_eq!(
        client.extra(RemoteUnixAddress).unwrap().as_pathname(),
        Some(server_path.as_path())
    );
    assert_eq!(
        client.local_addr().unwrap().as_pathname(),
        Some(client_path.as_path())
    );
    // The system refuses a stranger's datagram to a socket connected elsewhere.
    let stranger = UnixDatagram::unbound().unwrap();
    match stranger.send_to(b"not for you", &client_path).await {
        Err(StreamError::Broken(Some(error))) => {
            assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
        }
        outcome => panic!("expected a refusal, got {outcome:?}"),
    }
    server.send_to(b"for you", &client_path).await.unwrap();
    let mut buf = [0; 32];
    let n = anyio::fail_after(LIMIT, client.receive(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"for you");
    client.send(b"reply").await.unwrap();
    let (n, from) = server.receive_from(&mut buf).await.unwrap();
    assert_eq!(
        (&buf[..n], from.as_pathname()),
        (&b"reply"[..], Some(client_path.as_path()))
    );
}

#[anyio::test]
async fn pairs_and_std_sockets() {
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(a.extra(RemoteUnixAddress).unwrap().is_unnamed());
    assert!(b.peer_addr().unwrap().is_unnamed());
    a.send(b"first").await.unwrap();
    a.send(b"second").await.unwrap();
    let mut buf = [0; 16];
    for expected in [&b"first"[..], b"second"] {
        let n = anyio::fail_after(LIMIT, b.receive(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], expected);
    }
    let debug = format!("{a:?}");
    assert!(debug.starts_with("ConnectedUnixDatagram"), "{debug}");

    let (std_a, std_b) = StdDatagram::pair().unwrap();
    let wrapped = UnixDatagram::from_std(std_a).unwrap();
    assert!(format!("{wrapped:?}").starts_with("UnixDatagram"));
    std_b.send(b"from std").unwrap();
    let (n, from) = anyio::fail_after(LIMIT, wrapped.receive_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from.is_unnamed()), (&b"from std"[..], true));
}

#[anyio::test]
async fn the_object_stream_view_carries_datagrams_and_addresses() {
    let dir = TempDir::new("objects");
    let (a_path, b_path) = (dir.path("a.sock"), dir.path("b.sock"));
    let mut a = UnixDatagram::bind(&a_path).unwrap();
    let mut b = UnixDatagram::bind(&b_path).unwrap();
    a.send((b"one".to_vec(), b_path.clone())).await.unwrap();
    a.send((&b"two"[..], b_path.as_path())).await.unwrap();
    for expected in [&b"one"[..], b"two"] {
        let (datagram, from) = anyio::fail_after(LIMIT, b.receive())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (datagram.as_slice(), from.as_pathname()),
            (expected, Some(a_path.as_path()))
        );
    }
    // A failed send hands the pair back.
    let missing = dir.path("missing.sock");
    let error = a.send((vec![1, 2, 3], missing.clone())).await.unwrap_err();
    assert!(
        matches!(error.error(), StreamError::Broken(Some(_))),
        "{error}"
    );
    assert_eq!(error.into_item(), (vec![1, 2, 3], missing));

    // A datagram longer than UDP's limit comes whole through the object view.
    let (mut c, mut d): (ConnectedUnixDatagram, ConnectedUnixDatagram) =
        UnixDatagram::pair().unwrap();
    let big = vec![5; 100_000];
    ObjectSendStream::send(&mut c, &big[..]).await.unwrap();
    ObjectSendStream::send(&mut c, b"small".to_vec())
        .await
        .unwrap();
    let received = anyio::fail_after(LIMIT, ObjectReceiveStream::receive(&mut d))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received, big);
    assert_eq!(
        ObjectReceiveStream::receive(&mut d).await.unwrap(),
        b"small"
    );
}

#[anyio::test]
async fn a_second_concurrent_receiver_is_busy_and_a_cancelled_one_takes_nothing() {
    let dir = TempDir::new("busy-receiver");
    let path = dir.path("r.sock");
    let socket = Arc::new(UnixDatagram::bind(&path).unwrap());
    let mut buf = [0; 8];
    let mut first = Box::pin(socket.receive_from(&mut buf));
    assert!(poll_once(&mut first).await.is_none());
    let mut other = [0; 8];
    match socket.receive_from(&mut other).await {
        Err(StreamError::Busy(busy)) => assert_eq!(busy.action(), "receiving on"),
        outcome => panic!("expected a busy error, got {outcome:?}"),
    }
    drop(first); // cancelled mid-flight: it releases the socket and takes nothing
    let sender = UnixDatagram::unbound().unwrap();
    sender.send_to(b"after", &path).await.unwrap();
    let (n, _) = anyio::fail_after(LIMIT, socket.receive_from(&mut other))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&other[..n], b"after");

    // The same for a connected socket, and for the object-stream receive.
    let (mut a, b) = UnixDatagram::pair().unwrap();
    {
        let mut receiving = Box::pin(ObjectReceiveStream::receive(&mut a));
        assert!(poll_once(&mut receiving).await.is_none());
    }
    let mut buf = [0; 8];
    let mut first = Box::pin(a.receive(&mut buf));
    assert!(poll_once(&mut first).await.is_none());
    assert!(matches!(
        a.receive(&mut [0; 8]).await,
        Err(StreamError::Busy(_))
    ));
    drop(first);
    b.send(b"kept").await.unwrap();
    let n = anyio::fail_after(LIMIT, a.receive(&mut other))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&other[..n], b"kept");
}

#[anyio::test]
async fn a_send_waits_for_room_a_second_sender_is_busy_and_a_cancelled_send_sends_nothing() {
    let (std_a, std_b) = StdDatagram::pair().unwrap();
    let filler = std_a.try_clone().unwrap();
    let mut a = ConnectedUnixDatagram::from_std(std_a).unwrap();
    let b = ConnectedUnixDatagram::from_std(std_b).unwrap();
    let queued = fill(&filler, None);
    assert!(queued > 0);
    let marker = u32::MAX.to_be_bytes();
    let mut first = Box::pin(a.send(&marker));
    assert!(poll_once(&mut first).await.is_none(), "the queue is full");
    match a.send(b"busy").await {
        Err(StreamError::Busy(busy)) => assert_eq!(busy.action(), "sending on"),
        outcome => panic!("expected a busy error, got {outcome:?}"),
    }
    drop(first); // cancelled mid-flight: it sends nothing
    {
        let mut object = Box::pin(ObjectSendStream::send(&mut a, marker));
        assert!(poll_once(&mut object).await.is_none(), "still full");
    }
    // A send started while the queue is full goes once the receiver makes room.
    let a = &a;
    let (sent, received) = futures_lite::future::zip(
        anyio::fail_after(LIMIT, a.send(b"after")),
        anyio::fail_after(LIMIT, async {
            let mut all = Vec::new();
            let mut buf = [0; 8];
            for _ in 0..=queued {
                let n = b.receive(&mut buf).await.unwrap();
                all.push(buf[..n].to_vec());
            }
            all
        }),
    )
    .await;
    sent.unwrap().unwrap();
    let received = received.unwrap();
    for (i, datagram) in received[..queued as usize].iter().enumerate() {
        assert_eq!(datagram[..], (i as u32).to_be_bytes());
    }
    assert_eq!(
        received[queued as usize], b"after",
        "no cancelled send got through"
    );
}

#[anyio::test]
async fn a_cancelled_send_to_sends_nothing() {
    let dir = TempDir::new("cancel-send-to");
    let path = dir.path("r.sock");
    let receiver = UnixDatagram::bind(&path).unwrap();
    let std_sender = StdDatagram::unbound().unwrap();
    let filler = std_sender.try_clone().unwrap();
    let mut sender = UnixDatagram::from_std(std_sender).unwrap();
    let queued = fill(&filler, Some(&path));
    assert!(queued > 0);
    let marker = u32::MAX.to_be_bytes();
    let mut first = Box::pin(sender.send_to(&marker, &path));
    assert!(poll_once(&mut first).await.is_none(), "the queue is full");
    assert!(matches!(
        sender.send_to(b"busy", &path).await,
        Err(StreamError::Busy(_))
    ));
    drop(first); // cancelled mid-flight: it sends nothing
    {
        let mut object = Box::pin(ObjectSendStream::send(&mut sender, (marker, &path)));
        assert!(poll_once(&mut object).await.is_none(), "still full");
    }
    let mut buf = [0; 8];
    for i in 0..queued {
        let (n, _) = anyio::fail_after(LIMIT, receiver.receive_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(buf[..n], i.to_be_bytes());
    }
    anyio::fail_after(LIMIT, sender.send_to(b"after", &path))
        .await
        .unwrap()
        .unwrap();
    let (n, _) = anyio::fail_after(LIMIT, receiver.receive_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"after", "no cancelled send got through");
}

#[anyio::test]
async fn a_closed_socket_fails_with_closed() {
    let dir = TempDir::new("closed");
    let path = dir.path("c.sock");
    let mut socket = UnixDatagram::bind(&path).unwrap();
    assert!(socket.extra(RawSocket).unwrap() >= 0);
    socket.aclose().await.unwrap();
    assert!(path.exists(), "closing leaves the socket file");
    assert!(matches!(
        socket.receive_from(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        socket.send_to(b"x", &path).await,
        Err(StreamError::Closed)
    ));
    assert!(socket.local_addr().is_err());
    assert!(socket.extra(RawSocket).is_err());
    assert!(format!("{socket:?}").contains("closed"));
    let error = ObjectSendStream::send(&mut socket, (b"x".to_vec(), path.clone()))
        .await
        .unwrap_err();
    assert!(matches!(error.error(), StreamError::Closed));
    assert_eq!(error.into_item().0, b"x", "the datagram comes back");
    let error = socket.connect(&path).unwrap_err();
    assert!(matches!(StreamError::from(error), StreamError::Closed));

    let (mut a, _b) = UnixDatagram::pair().unwrap();
    a.aclose().await.unwrap();
    assert!(matches!(a.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(
        a.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        ObjectReceiveStream::receive(&mut a).await,
        Err(StreamError::Closed)
    ));
    assert!(a.peer_addr().is_err());
}
