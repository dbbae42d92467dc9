//! Sockets made elsewhere (by std, or inherited from a service manager) taken over by anyio on
//! every backend: `UnixListener::from_std` and `ConnectedUdpSocket::from_std` make blocking
//! sockets non-blocking, and an unconnected UDP socket is refused as a connected one.
#![cfg(feature = "macros")]

use std::io;
use std::time::Duration;

use anyio::net::{ConnectedUdpSocket, UdpSocket, UnixListener, UnixStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream};

/// How long a test may wait before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

#[anyio::test(timeout = 30)]
async fn a_std_unix_listener_is_taken_over_and_made_non_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sock");
    // std's listeners block: were it left so, this accept would block the event loop's
    // thread, and the deadline below could never fire.
    let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut listener = UnixListener::from_std(std_listener).unwrap();
    let nothing = anyio::move_on_after(Duration::from_millis(20), listener.accept()).await;
    assert!(nothing.is_none(), "accepted a connection nobody made");

    let mut client = UnixStream::connect(&path).await.unwrap();
    let mut server = anyio::fail_after(LIMIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    client.send(b"over a listener made by std").await.unwrap();
    let mut buf = [0; 64];
    let n = server.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"over a listener made by std");
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
}

#[anyio::test(timeout = 30)]
async fn a_connected_std_udp_socket_is_taken_over_and_made_non_blocking() {
    for any in ["127.0.0.1:0", "[::1]:0"] {
        let server = UdpSocket::bind(any.parse().unwrap()).unwrap();
        let std_socket = std::net::UdpSocket::bind(any).unwrap();
        std_socket.connect(server.local_addr().unwrap()).unwrap();
        let client = ConnectedUdpSocket::from_std(std_socket).unwrap();
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());

        let mut buf = [0; 64];
        let nothing =
            anyio::move_on_after(Duration::from_millis(20), client.receive(&mut buf)).await;
        assert!(nothing.is_none(), "received a datagram nobody sent");

        client.send(b"ping").await.unwrap();
        let (n, from) = anyio::fail_after(LIMIT, server.receive_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (&buf[..n], from),
            (&b"ping"[..], client.local_addr().unwrap())
        );
        server.send_to(b"pong", from).await.unwrap();
        let n = anyio::fail_after(LIMIT, client.receive(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"pong");
    }
}

#[anyio::test(timeout = 30)]
async fn an_unconnected_udp_socket_is_not_a_connected_one() {
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let error = ConnectedUdpSocket::from_std(std_socket).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("not connected"), "{error}");
}
