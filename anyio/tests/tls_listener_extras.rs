//! What a TLS listener tells beyond its connections, on every backend: the
//! `StandardCompatible` attribute, the hook for failed and timed-out handshakes (which
//! replaces the warning), TLS over TCP and UNIX listeners together, and the rustls error of a
//! failed `connect_tls` at hand.
#![cfg(all(feature = "macros", feature = "tls"))]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyio::net::{
    LocalPort, MultiListener, SocketListener, TcpConnector, TcpListener, TcpStream, UnixListener,
    UnixStream, connect_tcp,
};
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener, TypedAttributeProvider};
use anyio::tls::{HandshakeError, StandardCompatible, TlsAcceptor, TlsConnector, TlsListener};
use futures_lite::future::zip;

mod common;
#[path = "support/tls.rs"]
mod support;

use common::recorder;
use support::tls_configs;

/// How long a test may wait before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

#[anyio::test(timeout = 30)]
async fn a_tls_listener_says_whether_its_streams_are_standard_compatible() {
    for compatible in [true, false] {
        let (_, server_config) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = tcp.local_addr().unwrap().port();
        let acceptor = TlsAcceptor::new(server_config).standard_compatible(compatible);
        let listener = TlsListener::new(tcp, acceptor);
        assert_eq!(listener.extra(StandardCompatible).unwrap(), compatible);
        // The listener underneath still answers for itself.
        assert_eq!(listener.extra(LocalPort).unwrap(), port);
    }
}

/// What the hook saw of one failed handshake.
#[derive(Debug, PartialEq)]
struct Seen {
    peer: Option<SocketAddr>,
    timeout: bool,
    kind: std::io::ErrorKind,
    rustls: bool,
}

impl Seen {
    fn of(error: &HandshakeError) -> Seen {
        Seen {
            peer: error.peer(),
            timeout: error.is_timeout(),
            kind: error.kind(),
            rustls: error.rustls_error().is_some(),
        }
    }
}

#[anyio::test(timeout = 30)]
async fn the_hook_hears_of_failed_and_timed_out_handshakes_while_serving() {
    recorder::record_events();
    let (client_config, server_config) = tls_configs();
    let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = tcp.local_addr().unwrap();
    let (seen, heard) = anyio::create_unbounded_memory_object_stream::<Seen>();
    let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
        .handshake_timeout(Duration::from_millis(100))
        .on_handshake_error(move |error| {
            let _ = seen.try_send(Seen::of(error));
        });
    let outcome = anyio::fail_after(
        LIMIT,
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                listener
                    .serve(|mut stream| async move {
                        let _ = stream.send(b"welcome").await;
                    })
                    .await;
            });
            let silent = TcpStream::connect(address).await?;
            let mut garbage = TcpStream::connect(address).await?;
            garbage.send(b"this is not a ClientHello").await?;
            let mut reports = vec![
                heard.receive().await.unwrap(),
                heard.receive().await.unwrap(),
            ];
            reports.sort_by_key(|seen| seen.timeout);
            // A good client is still served after both.
            let tcp = TcpStream::connect(address).await?;
            let mut good = TlsConnector::new(client_config)
                .connect("localhost", tcp)
                .await?;
            let mut buf = [0; 16];
            let n = good.receive(&mut buf).await.unwrap();
            tg.cancel();
            let peers = (garbage.local_addr()?, silent.local_addr()?);
            Ok::<_, std::io::Error>((reports, peers, buf[..n].to_vec()))
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    let (reports, (garbage, silent), welcome) = outcome;
    assert_eq!(welcome, b"welcome");
    assert_eq!(
        reports,
        [
            Seen {
                peer: Some(garbage),
                timeout: false,
                kind: std::io::ErrorKind::InvalidData,
                rustls: true,
            },
            Seen {
                peer: Some(silent),
                timeout: true,
                kind: std::io::ErrorKind::TimedOut,
                rustls: false,
            },
        ]
    );
    // The hook replaces the warning.
    let events = recorder::events();
    for peer in [garbage, silent] {
        let peer = peer.to_string();
        assert!(
            !events.iter().any(|event| event.contains(&peer)),
            "{peer} was logged: {events:?}"
        );
    }
}

#[anyio::test(timeout = 30)]
async fn the_hook_hears_of_failures_that_accept_skips() {
    let (client_config, server_config) = tls_configs();
    let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = tcp.local_addr().unwrap();
    let (seen, heard) = anyio::create_unbounded_memory_object_stream::<Seen>();
    let mut listener =
        TlsListener::new(tcp, TlsAcceptor::new(server_config)).on_handshake_error(move |error| {
            let _ = seen.try_send(Seen::of(error));
        });
    let mut garbage = TcpStream::connect(address).await.unwrap();
    garbage.send(b"not TLS either").await.unwrap();
    let (accepted, client) = anyio::fail_after(
        LIMIT,
        zip(listener.accept(), async {
            let tcp = TcpStream::connect(address).await?;
            TlsConnector::new(client_config)
                .connect("localhost", tcp)
                .await
        }),
    )
    .await
    .unwrap();
    accepted.unwrap();
    client.unwrap();
    let report = heard.receive().await.unwrap();
    assert_eq!(report.peer, Some(garbage.local_addr().unwrap()));
    assert!(report.rustls && !report.timeout);
}

/// A fresh directory for one test's sockets, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[anyio::test(timeout = 30)]
async fn tls_serves_tcp_and_unix_clients_from_one_listener() {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "anyio-tls-mixed-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    )));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("server.sock");
    let (client_config, server_config) = tls_configs();
    let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = tcp.local_addr().unwrap();
    let both = MultiListener::new(vec![
        SocketListener::from(tcp),
        SocketListener::from(UnixListener::bind(&path).unwrap()),
    ]);
    let mut listener = TlsListener::new(both, TlsAcceptor::new(server_config));
    let connector = TlsConnector::new(client_config);
    let answers = anyio::fail_after(
        LIMIT,
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                listener
                    .serve(|mut stream| async move {
                        let _ = stream.send(b"private").await;
                    })
                    .await;
            });
            let mut answers = Vec::new();
            let mut buf = [0; 16];
            let tcp = TcpStream::connect(address).await?;
            let mut over_tcp = connector.connect("localhost", tcp).await?;
            let n = over_tcp.receive(&mut buf).await.unwrap();
            answers.push(buf[..n].to_vec());
            let unix = UnixStream::connect(&path).await?;
            let mut over_unix = connector.connect("localhost", unix).await?;
            let n = over_unix.receive(&mut buf).await.unwrap();
            answers.push(buf[..n].to_vec());
            tg.cancel();
            Ok::<_, std::io::Error>(answers)
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert_eq!(answers, [b"private".to_vec(), b"private".to_vec()]);
}

#[anyio::test(timeout = 30)]
async fn a_failed_connect_tls_gives_its_rustls_error_at_once() {
    let (_, server_config) = tls_configs();
    let (stranger, _) = tls_configs(); // trusts another certificate
    let mut tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = tcp.local_addr().unwrap().port();
    let (client, _server) = anyio::fail_after(
        LIMIT,
        zip(
            TcpConnector::new("127.0.0.1", port).connect_tls(&TlsConnector::new(stranger)),
            async {
                TlsAcceptor::new(server_config)
                    .accept(tcp.accept().await?.0)
                    .await
            },
        ),
    )
    .await
    .unwrap();
    let error = client.unwrap_err();
    assert!(
        matches!(
            error.rustls_error(),
            Some(anyio::tls::rustls::Error::InvalidCertificate(_))
        ),
        "{error:?}"
    );

    // No handshake, no rustls error: nobody listens on this port any more.
    drop(tcp);
    let error = connect_tcp("127.0.0.1", port).await.unwrap_err();
    assert!(error.rustls_error().is_none());
}
