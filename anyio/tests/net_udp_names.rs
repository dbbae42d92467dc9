//! UDP sockets from host names on every backend (AnyIO's `create_udp_socket(local_host=…)`
//! and `create_connected_udp_socket`): names resolved as TCP's are, families matched, and
//! clear errors for what cannot be made.
#![cfg(feature = "macros")]

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyio::net::{
    AddressFamily, UdpSocket, UdpSocketBuilder, create_connected_udp_socket, create_udp_socket,
};

/// How long a test may wait for a datagram before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

#[anyio::test(timeout = 30)]
async fn a_socket_bound_by_host_name_and_one_connected_by_host_name_talk() {
    let server = create_udp_socket("localhost", 0).await.unwrap();
    let server_address = server.local_addr().unwrap();
    assert!(server_address.ip().is_loopback());
    assert_ne!(server_address.port(), 0);

    let client = create_connected_udp_socket("localhost", server_address.port())
        .await
        .unwrap();
    // localhost's first address of any family: the server's, if the resolver lists the same
    // address first both times (it does: one lookup answers both, in the same order).
    assert_eq!(client.peer_addr().unwrap(), server_address);
    let local = client.local_addr().unwrap();
    assert_eq!(local.is_ipv6(), server_address.is_ipv6());

    client.send(b"by name").await.unwrap();
    let mut buf = [0; 64];
    let (n, from) = anyio::fail_after(LIMIT, server.receive_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from.port()), (&b"by name"[..], local.port()));
}

#[anyio::test(timeout = 30)]
async fn the_builder_binds_by_family_or_host_and_connects_within_that_family() {
    let v6 = UdpSocketBuilder::new()
        .family(AddressFamily::Ipv6)
        .bind()
        .await
        .unwrap();
    assert_eq!(
        v6.local_addr().unwrap().ip(),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    );

    let server = UdpSocket::bind("[::1]:0".parse().unwrap()).unwrap();
    let port = server.local_addr().unwrap().port();
    let client = UdpSocketBuilder::new()
        .local_host("::1")
        .connect("::1", port)
        .await
        .unwrap();
    assert_eq!(
        client.local_addr().unwrap().ip(),
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    );

    // Two sockets on one port with SO_REUSEPORT.
    let first = UdpSocketBuilder::new()
        .local_host("127.0.0.1")
        .reuse_port(true)
        .bind()
        .await
        .unwrap();
    let taken = first.local_addr().unwrap();
    let second = UdpSocketBuilder::new()
        .local_host("127.0.0.1")
        .local_port(taken.port())
        .reuse_port(true)
        .bind()
        .await
        .unwrap();
    assert_eq!(second.local_addr().unwrap(), taken);

    // Without a local host, a connected socket binds the remote family's unspecified address
    // (which the system then reports as the address it sends from).
    let client = UdpSocketBuilder::new()
        .connect("127.0.0.1", taken.port())
        .await
        .unwrap();
    assert!(client.local_addr().unwrap().is_ipv4());
}

#[anyio::test(timeout = 30)]
async fn what_cannot_be_made_is_a_clear_error() {
    let error = UdpSocketBuilder::new().bind().await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert!(
        error
            .to_string()
            .contains("local host or an address family"),
        "{error}"
    );

    let error = UdpSocketBuilder::new()
        .family(AddressFamily::Unix)
        .connect("127.0.0.1", 9)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);

    // The local host's family rules out the remote host's only address.
    let error = UdpSocketBuilder::new()
        .local_host("::1")
        .connect("127.0.0.1", 9)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(error.to_string().contains("\"127.0.0.1\""), "{error}");

    let error = UdpSocketBuilder::new()
        .local_host("127.0.0.1")
        .family(AddressFamily::Ipv6)
        .bind()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);

    let error = create_connected_udp_socket("not a host!", 9)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    let error = create_udp_socket("not a host!", 0).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);

    // A port in use (without SO_REUSEPORT) is the system's error, naming the address.
    let holder = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let taken: SocketAddr = holder.local_addr().unwrap();
    let error = create_udp_socket("127.0.0.1", taken.port())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    assert!(error.to_string().contains(&taken.to_string()), "{error}");
}
