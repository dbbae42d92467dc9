//! `getnameinfo` on every backend, on loopback addresses only and without depending on DNS:
//! numeric answers, scope ids, names from local files, and cancellation.
#![cfg(feature = "macros")]

use std::net::{SocketAddr, SocketAddrV6};
use std::time::Duration;

use anyio::net::{NameInfoFlags, getnameinfo};
use futures_lite::future::poll_once;

/// How long a test may wait for a lookup before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

fn numeric() -> NameInfoFlags {
    NameInfoFlags::new()
        .numeric_host(true)
        .numeric_service(true)
}

async fn name_of(address: SocketAddr, flags: NameInfoFlags) -> (String, String) {
    anyio::fail_after(LIMIT, getnameinfo(address, flags))
        .await
        .unwrap()
        .unwrap()
}

#[anyio::test]
async fn numeric_answers_for_both_loopbacks() {
    for (address, host, service) in [
        ("127.0.0.1:80", "127.0.0.1", "80"),
        ("[::1]:443", "::1", "443"),
        ("127.0.0.1:0", "127.0.0.1", "0"),
        ("[::ffff:127.0.0.1]:65535", "::ffff:127.0.0.1", "65535"),
    ] {
        let answer = name_of(address.parse().unwrap(), numeric()).await;
        assert_eq!(answer, (host.to_owned(), service.to_owned()), "{address}");
        let datagram = name_of(address.parse().unwrap(), numeric().datagram(true)).await;
        assert_eq!(datagram, answer, "{address} for UDP");
    }
}

#[anyio::test]
async fn a_link_local_address_keeps_its_scope() {
    let address = SocketAddrV6::new("fe80::1".parse().unwrap(), 22, 1, 1);
    let (host, service) = name_of(address.into(), numeric()).await;
    assert!(host.starts_with("fe80::1%"), "{host}");
    assert_eq!(service, "22");
}

#[anyio::test]
async fn service_names_come_from_local_files() {
    // /etc/services names port 80 "http" where it exists; without it, the number comes back.
    let flags = NameInfoFlags::new().numeric_host(true);
    let (host, service) = name_of("127.0.0.1:80".parse().unwrap(), flags).await;
    assert_eq!(host, "127.0.0.1");
    assert!(["http", "80"].contains(&service.as_str()), "{service}");
}

#[anyio::test]
async fn a_cancelled_lookup_leaves_nothing_behind() {
    let address = "[::1]:8080".parse().unwrap();
    {
        let mut lookup = Box::pin(getnameinfo(address, numeric()));
        // Dropped after its first poll, while the blocking thread may still run it.
        let _ = poll_once(&mut lookup).await;
    }
    let answer = name_of(address, numeric()).await;
    assert_eq!(answer, ("::1".to_owned(), "8080".to_owned()));
}

#[test]
fn outside_anyio_it_does_not_panic() {
    let outcome =
        futures_lite::future::block_on(getnameinfo("127.0.0.1:1".parse().unwrap(), numeric()));
    if cfg!(feature = "smol") {
        // smol's blocking pool works under any executor: smol is the backend.
        assert_eq!(outcome.unwrap(), ("127.0.0.1".to_owned(), "1".to_owned()));
    } else {
        let error = outcome.unwrap_err();
        assert!(
            error
                .get_ref()
                .is_some_and(|inner| inner.is::<anyio::NoEventLoopError>()),
            "{error}"
        );
    }
}
