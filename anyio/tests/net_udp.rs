//! UDP sockets on every backend, over 127.0.0.1 and ::1: datagrams both ways, connected
//! sockets, the object-stream view, one receiver at a time, cancellation, closing, and
//! typed attributes.
#![cfg(feature = "macros")]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{LocalPort, RemoteAddress, UdpSocket};
use anyio::streams::{
    AsyncResource, ObjectReceiveStream, ObjectSendStream, StreamError, TypedAttributeProvider,
};
use futures_lite::future::poll_once;

/// How long a test may wait for a datagram before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

fn bind(address: &str) -> UdpSocket {
    UdpSocket::bind(address.parse().unwrap()).unwrap()
}

#[anyio::test]
async fn datagrams_go_both_ways_on_both_loopbacks() {
    for any in ["127.0.0.1:0", "[::1]:0"] {
        let (a, b) = (bind(any), bind(any));
        let b_address = b.local_addr().unwrap();
        for n in 0..3u8 {
            a.send_to(&[n; 100], b_address).await.unwrap();
            let mut buf = [0; 200];
            let (len, from) = anyio::fail_after(LIMIT, b.receive_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (&buf[..len], from),
                (&[n; 100][..], a.local_addr().unwrap())
            );
        }
    }
}

#[anyio::test]
async fn a_connected_socket_talks_to_its_peer_only() {
    let server = bind("127.0.0.1:0");
    let stranger = bind("127.0.0.1:0");
    let client = bind("127.0.0.1:0")
        .connect(server.local_addr().unwrap())
        .unwrap();
    assert_eq!(
        client.extra(RemoteAddress).unwrap(),
        server.local_addr().unwrap()
    );
    // A datagram from a stranger is filtered out by the system; the peer's gets through.
    stranger
        .send_to(b"not for you", client.local_addr().unwrap())
        .await
        .unwrap();
    server
        .send_to(b"for you", client.local_addr().unwrap())
        .await
        .unwrap();
    let mut buf = [0; 32];
    let n = anyio::fail_after(LIMIT, client.receive(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"for you");
    client.send(b"reply").await.unwrap();
    let (n, from) = server.receive_from(&mut buf).await.unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"reply"[..], client.local_addr().unwrap())
    );
}

#[anyio::test]
async fn the_object_stream_view_carries_datagrams_and_addresses() {
    let mut a = bind("127.0.0.1:0");
    let mut b = bind("127.0.0.1:0");
    let b_address = b.local_addr().unwrap();
    a.send((b"one".to_vec(), b_address)).await.unwrap();
    a.send((&b"two"[..], b_address)).await.unwrap();
    for expected in [&b"one"[..], b"two"] {
        let (datagram, from): (Vec<u8>, SocketAddr) = anyio::fail_after(LIMIT, b.receive())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (datagram.as_slice(), from),
            (expected, a.local_addr().unwrap())
        );
    }
    let mut connected = bind("127.0.0.1:0").connect(b_address).unwrap();
    let too_large = ObjectSendStream::send(&mut connected, vec![9; 70_000])
        .await
        .unwrap_err();
    assert!(
        matches!(too_large.error(), StreamError::Broken(Some(_))),
        "{too_large}"
    );
    assert_eq!(
        too_large.into_item().len(),
        70_000,
        "the datagram comes back"
    );
    ObjectSendStream::send(&mut connected, b"fits".to_vec())
        .await
        .unwrap();
    let (datagram, _) = b.receive().await.unwrap();
    assert_eq!(datagram, b"fits");
}

#[anyio::test]
async fn a_second_concurrent_receiver_is_busy_and_a_cancelled_one_takes_nothing() {
    let socket = Arc::new(bind("127.0.0.1:0"));
    let mut buf = [0; 8];
    let mut first = Box::pin(socket.receive_from(&mut buf));
    assert!(poll_once(&mut first).await.is_none());
    let mut other = [0; 8];
    match socket.receive_from(&mut other).await {
        Err(StreamError::Busy(busy)) => assert_eq!(busy.action(), "receiving on"),
        outcome => panic!("expected a busy error, got {outcome:?}"),
    }
    drop(first); // cancelled mid-flight: it releases the socket and takes nothing
    let sender = bind("127.0.0.1:0");
    sender
        .send_to(b"after", socket.local_addr().unwrap())
        .await
        .unwrap();
    let (n, _) = anyio::fail_after(LIMIT, socket.receive_from(&mut other))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&other[..n], b"after");
}

#[anyio::test]
async fn a_closed_socket_fails_with_closed() {
    let mut socket = bind("[::1]:0");
    let port = socket.extra(LocalPort).unwrap();
    assert_ne!(port, 0);
    socket.aclose().await.unwrap();
    assert!(matches!(
        socket.receive_from(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    let target = "[::1]:9".parse().unwrap();
    assert!(matches!(
        socket.send_to(b"x", target).await,
        Err(StreamError::Closed)
    ));
    assert!(socket.local_addr().is_err());
    let error = ObjectSendStream::send(&mut socket, (b"x".to_vec(), target))
        .await
        .unwrap_err();
    assert!(matches!(error.error(), StreamError::Closed));
    assert_eq!(error.into_item().0, b"x", "the datagram comes back");
}

#[anyio::test]
async fn binding_a_taken_port_is_a_clear_error() {
    let first = bind("127.0.0.1:0");
    let error = UdpSocket::bind(first.local_addr().unwrap()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    assert!(
        error
            .to_string()
            .contains(&first.local_addr().unwrap().to_string()),
        "{error}"
    );
}
