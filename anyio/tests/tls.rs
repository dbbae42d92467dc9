//! TLS on every backend, over TCP on 127.0.0.1 and ::1, UNIX socket pairs and tokio's
//! in-memory duplex: echo, ends of streams (close_notify, ragged EOF, half close, aclose),
//! failed handshakes, the listener's timeout and its survival of bad clients, ALPN and
//! attributes, both families of I/O traits, and cancellation mid-flight.
#![cfg(feature = "macros")]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyio::TaskGroup;
use anyio::net::{RemoteAddress, TcpConnector, TcpListener, TcpStream, UnixStream};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
    TypedAttributeProvider,
};
use anyio::tls::{
    AlpnProtocol, CipherSuite, PeerCertificate, ServerSide, StandardCompatible, TlsAcceptor,
    TlsConnector, TlsListener, TlsStream, TlsVersion,
};
use futures_lite::future::{poll_once, zip};

mod common;
#[path = "support/tls.rs"]
mod support;

use common::recorder;
use support::{tls_configs, tls_configs_with_alpn, tls_pair};

/// How long a test may wait for the network before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

/// Both ends of a session over any transport pair: (client, server).
async fn handshake<S>(client: S, server: S, name: &str) -> (TlsStream<S>, TlsStream<S>)
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let (client_config, server_config) = tls_configs();
    let (client, server) = zip(
        TlsConnector::new(client_config).connect(name, client),
        TlsAcceptor::new(server_config).accept(server),
    )
    .await;
    (client.unwrap(), server.unwrap())
}

/// A loopback TCP pair: (client, server).
async fn tcp_pair(address: &str) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(address.parse().unwrap()).unwrap();
    let address = listener.local_addr().unwrap();
    let (client, accepted) = zip(TcpStream::connect(address), listener.accept()).await;
    (client.unwrap(), accepted.unwrap().0)
}

/// Receives until the end of the stream, or the first error.
async fn receive_to_end(stream: &mut impl ByteReceiveStream) -> Result<Vec<u8>, StreamError> {
    let mut all = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.receive(&mut buf).await {
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(StreamError::EndOfStream) => return Ok(all),
            Err(error) => return Err(error),
        }
    }
}

#[anyio::test]
async fn an_echo_over_both_loopbacks_with_ip_names() {
    for (address, name) in [("127.0.0.1:0", "127.0.0.1"), ("[::1]:0", "::1")] {
        anyio::fail_after(LIMIT, async {
            let (client, server) = tcp_pair(address).await;
            let (mut client, mut server) = handshake(client, server, name).await;
            // More than one TLS record (16 KiB) and more than a socket buffer at once.
            let message: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            let (sent, echoed) = zip(
                async {
                    client.send(&message).await.unwrap();
                    client.send_eof().await.unwrap();
                    receive_to_end(&mut client).await.unwrap()
                },
                async {
                    let mut buf = [0; 10_000];
                    loop {
                        match server.receive(&mut buf).await {
                            Ok(n) => server.send(&buf[..n]).await.unwrap(),
                            Err(StreamError::EndOfStream) => break,
                            Err(error) => panic!("{error}"),
                        }
                    }
                    server.aclose().await.unwrap();
                },
            )
            .await;
            let () = echoed;
            assert_eq!(sent, message, "over {address}");
        })
        .await
        .unwrap();
    }
}

#[anyio::test]
async fn send_eof_is_a_half_close_the_peer_can_still_answer() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (mut client, mut server) = handshake(client, server, "localhost").await;
        client.send(b"question").await.unwrap();
        client.send_eof().await.unwrap();
        client.send_eof().await.unwrap(); // a second time is harmless
        assert!(matches!(
            client.send(b"more").await,
            Err(StreamError::Closed)
        ));

        assert_eq!(receive_to_end(&mut server).await.unwrap(), b"question");
        server.send(b"answer").await.unwrap();
        server.send_eof().await.unwrap();
        assert_eq!(receive_to_end(&mut client).await.unwrap(), b"answer");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_ragged_eof_is_broken_unless_not_standard_compatible() {
    for standard_compatible in [true, false] {
        anyio::fail_after(LIMIT, async {
            let (client, server) = tcp_pair("127.0.0.1:0").await;
            let (client_config, server_config) = tls_configs();
            let acceptor = TlsAcceptor::new(server_config).standard_compatible(standard_compatible);
            let (client, server) = zip(
                TlsConnector::new(client_config).connect("localhost", client),
                acceptor.accept(server),
            )
            .await;
            let (mut client, mut server) = (client.unwrap(), server.unwrap());
            client.send(b"cut short").await.unwrap();
            // The transport ends without close_notify: what an attacker could do.
            let mut tcp = client.into_inner();
            tcp.send_eof().await.unwrap();

            let mut buf = [0; 64];
            let n = server.receive(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"cut short");
            let end = server.receive(&mut buf).await;
            if standard_compatible {
                let Err(StreamError::Broken(Some(cause))) = end else {
                    panic!("expected a broken stream, got {end:?}");
                };
                assert_eq!(cause.kind(), io::ErrorKind::UnexpectedEof);
                assert!(cause.to_string().contains("close_notify"), "{cause}");
            } else {
                assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
            }
        })
        .await
        .unwrap();
    }
}

#[anyio::test]
async fn aclose_sends_close_notify_and_closes_the_stream() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("[::1]:0").await;
        let (mut client, mut server) = handshake(client, server, "localhost").await;
        client.send(b"last words").await.unwrap();
        client.aclose().await.unwrap();
        client.aclose().await.unwrap(); // a second time is harmless
        let mut buf = [0; 16];
        assert!(matches!(
            client.receive(&mut buf).await,
            Err(StreamError::Closed)
        ));
        assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
        assert!(matches!(client.send_eof().await, Err(StreamError::Closed)));
        // A clean end, not a ragged one: close_notify came first.
        assert_eq!(receive_to_end(&mut server).await.unwrap(), b"last words");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_certificate_nobody_vouches_for_fails_both_sides() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (_, server_config) = tls_configs();
        let (stranger_config, _) = tls_configs(); // trusts another certificate
        let (client, server) = zip(
            TlsConnector::new(stranger_config).connect("localhost", client),
            TlsAcceptor::new(server_config).accept(server),
        )
        .await;
        let error = client.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let cause = error.get_ref().unwrap().downcast_ref::<rustls::Error>();
        assert!(
            matches!(cause, Some(rustls::Error::InvalidCertificate(_))),
            "{error}"
        );
        // The client told the server why, with an alert.
        let error = server.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_certificate_for_another_name_fails() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (client_config, server_config) = tls_configs();
        let (client, _server) = zip(
            TlsConnector::new(client_config).connect("example.com", client),
            TlsAcceptor::new(server_config).accept(server),
        )
        .await;
        let error = client.unwrap_err();
        let cause = error.get_ref().unwrap().downcast_ref::<rustls::Error>();
        assert!(
            matches!(
                cause,
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                        | rustls::CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{error}"
        );
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn bad_server_names_are_refused_before_any_handshake() {
    let (client, _server) = UnixStream::pair().unwrap();
    let (client_config, _) = tls_configs();
    let connector = TlsConnector::new(client_config);
    let mut client = client;
    for name in ["not a name!", "", "bücher.example"] {
        let error = connector.connect(name, &mut client).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{name:?}");
        assert!(error.to_string().contains(&format!("{name:?}")), "{error}");
    }
}

#[anyio::test]
async fn a_peer_that_speaks_no_tls_fails_the_handshake() {
    anyio::fail_after(LIMIT, async {
        let (mut client, server) = tcp_pair("127.0.0.1:0").await;
        let (_, server_config) = tls_configs();
        let (sent, accepted) = zip(
            async {
                client.send(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
                client
            },
            TlsAcceptor::new(server_config).accept(server),
        )
        .await;
        let error = accepted.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");
        drop(sent);

        // A peer that closes during the handshake.
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        drop(client);
        let (_, server_config) = tls_configs();
        let error = TlsAcceptor::new(server_config)
            .accept(server)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn alpn_certificates_and_attributes_through_to_the_socket() {
    anyio::fail_after(LIMIT, async {
        let (client_config, server_config) = tls_configs_with_alpn(&[b"h2", b"http/1.1"]);
        let (client, server) = tls_pair(client_config, server_config).await;
        assert_eq!(client.alpn_protocol(), Some(&b"h2"[..]));
        assert_eq!(server.extra(AlpnProtocol).unwrap(), Some(b"h2".to_vec()));
        let chain = client.peer_certificates().unwrap();
        assert_eq!(
            client.extra(PeerCertificate).unwrap().as_ref(),
            Some(&chain[0])
        );
        assert_eq!(server.extra(PeerCertificate).unwrap(), None);
        assert_eq!(
            client.extra(TlsVersion).unwrap(),
            rustls::ProtocolVersion::TLSv1_3
        );
        assert_eq!(
            client.extra(CipherSuite).unwrap(),
            server.cipher_suite().unwrap().suite()
        );
        assert!(!client.extra(ServerSide).unwrap() && server.extra(ServerSide).unwrap());
        assert!(client.extra(StandardCompatible).unwrap());
        // The transport's attributes come through.
        assert_eq!(
            client.extra(RemoteAddress).unwrap(),
            server.get_ref().local_addr().unwrap()
        );
        assert_eq!(server.server_name(), Some("localhost"));
        let debug = format!("{client:?}");
        assert!(
            debug.contains("TlsStream") && debug.contains("h2"),
            "{debug}"
        );

        // Without protocols in common, ALPN fails the handshake, as RFC 7301 says.
        let (client_config, _) = tls_configs_with_alpn(&[b"h2"]);
        let (_, server_config) = tls_configs_with_alpn(&[b"http/1.1"]);
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (client, server) = zip(
            TlsConnector::new(client_config).connect("localhost", client),
            TlsAcceptor::new(server_config).accept(server),
        )
        .await;
        assert!(client.is_err() && server.is_err());
    })
    .await
    .unwrap();
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn both_families_of_io_traits() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (mut client, mut server) = handshake(client, server, "localhost").await;
        let (_, received) = zip(
            async {
                futures_lite::AsyncWriteExt::write_all(&mut client, b"futures ")
                    .await
                    .unwrap();
                tokio::io::AsyncWriteExt::write_all(&mut client, b"and tokio")
                    .await
                    .unwrap();
                tokio::io::AsyncWriteExt::shutdown(&mut client)
                    .await
                    .unwrap();
            },
            async {
                let mut all = Vec::new();
                futures_lite::AsyncReadExt::read_to_end(&mut server, &mut all)
                    .await
                    .unwrap();
                all
            },
        )
        .await;
        assert_eq!(received, b"futures and tokio");

        // The other way, and the other family for each.
        futures_lite::AsyncWriteExt::write_all(&mut server, b"back")
            .await
            .unwrap();
        futures_lite::AsyncWriteExt::close(&mut server)
            .await
            .unwrap();
        let mut all = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut client, &mut all)
            .await
            .unwrap();
        assert_eq!(all, b"back");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn full_duplex_through_futures_split_halves() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (client, mut server) = handshake(client, server, "localhost").await;
        let (mut reader, mut writer) = futures_lite::io::split(client);
        let message: Vec<u8> = (0..1_000_000u32).map(|i| (i % 13) as u8).collect();
        // The client writes everything before reading, and the server echoes as it reads:
        // with neither side's buffers large enough, this works only if a TLS write waiting
        // for the transport does not stop the reading.
        let (((), ()), echoed) = zip(
            zip(
                async {
                    futures_lite::AsyncWriteExt::write_all(&mut writer, &message)
                        .await
                        .unwrap();
                    futures_lite::AsyncWriteExt::close(&mut writer)
                        .await
                        .unwrap();
                },
                async {
                    let mut buf = [0; 8192];
                    loop {
                        match server.receive(&mut buf).await {
                            Ok(n) => server.send(&buf[..n]).await.unwrap(),
                            Err(StreamError::EndOfStream) => break,
                            Err(error) => panic!("{error}"),
                        }
                    }
                    server.send_eof().await.unwrap();
                },
            ),
            async {
                let mut all = Vec::new();
                futures_lite::AsyncReadExt::read_to_end(&mut reader, &mut all)
                    .await
                    .unwrap();
                all
            },
        )
        .await;
        assert_eq!(echoed.len(), message.len());
        assert!(echoed == message);
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn over_a_unix_socket_pair_and_a_tokio_duplex() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = UnixStream::pair().unwrap();
        let (mut client, mut server) = handshake(client, server, "localhost").await;
        client.send(b"unix").await.unwrap();
        client.send_eof().await.unwrap();
        assert_eq!(receive_to_end(&mut server).await.unwrap(), b"unix");

        // A tokio::io object carries TLS inside a TokioIoStream, on either backend.
        #[cfg(feature = "tokio")]
        {
            use anyio::streams::TokioIoStream;
            let (client, server) = tokio::io::duplex(1024);
            let (client, server) = (TokioIoStream::new(client), TokioIoStream::new(server));
            let (mut client, mut server) = handshake(client, server, "localhost").await;
            let message = vec![42u8; 50_000]; // far more than the duplex buffers
            let (_, received) = zip(
                async {
                    client.send(&message).await.unwrap();
                    client.send_eof().await.unwrap();
                },
                receive_to_end(&mut server),
            )
            .await;
            assert_eq!(received.unwrap(), message);
        }
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_cancelled_receive_loses_nothing() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (mut client, mut server) = handshake(client, server, "localhost").await;
        let mut buf = [0; 64];
        {
            let mut receive = Box::pin(server.receive(&mut buf));
            assert!(poll_once(&mut receive).await.is_none(), "nothing sent yet");
        } // dropped mid-flight
        client.send(b"after the cancel").await.unwrap();
        // Records that arrive while a receive is being cancelled are kept too: cancel one
        // after the data is on its way, then receive.
        client.send(b", and more").await.unwrap();
        {
            let mut small = [0; 1];
            let mut receive = Box::pin(server.receive(&mut small));
            let _ = poll_once(&mut receive).await; // may or may not have data yet
        }
        client.send_eof().await.unwrap();
        let all = receive_to_end(&mut server).await.unwrap();
        // The cancelled one-byte receive may have returned its byte before it was dropped:
        // everything else is there, in order.
        let expected = b"after the cancel, and more";
        assert!(all == expected || all[..] == expected[1..], "{all:?}");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_cancelled_send_leaves_the_session_intact() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (mut client, mut server) = handshake(client, server, "localhost").await;
        let big = vec![b'a'; 8 << 20]; // more than the socket buffers hold: the send waits
        {
            let mut send = Box::pin(client.send(&big));
            assert!(
                poll_once(&mut send).await.is_none(),
                "the peer is not reading"
            );
        } // dropped mid-flight, part of it sent
        let (_, received) = zip(
            async {
                client.send(b"end").await.unwrap();
                client.send_eof().await.unwrap();
            },
            receive_to_end(&mut server),
        )
        .await;
        // A prefix of the cancelled send, then the next one: no record was torn.
        let received = received.unwrap();
        assert!(received.ends_with(b"end"));
        let prefix = &received[..received.len() - 3];
        assert!(prefix.len() < big.len() && prefix.iter().all(|&b| b == b'a'));
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_cancelled_handshake_drops_the_transport() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (client_config, server_config) = tls_configs();
        let connector = TlsConnector::new(client_config);
        {
            let mut connect = Box::pin(connector.connect("localhost", client));
            assert!(poll_once(&mut connect).await.is_none(), "ClientHello sent");
        } // dropped with its socket
        let error = TlsAcceptor::new(server_config)
            .accept(server)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ),
            "{error}"
        );
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn connect_tls_by_name_and_its_failures() {
    anyio::fail_after(LIMIT, async {
        let (client_config, server_config) = tls_configs();
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connector = TlsConnector::new(client_config);
        let acceptor = TlsAcceptor::new(server_config);
        let (client, server) = zip(
            TcpConnector::new("127.0.0.1", port)
                .tls_hostname("localhost")
                .connect_tls(&connector),
            async { acceptor.accept(listener.accept().await?.0).await },
        )
        .await;
        let (mut client, mut server) = (client.unwrap(), server.unwrap());
        client.send(b"hi").await.unwrap();
        let mut buf = [0; 8];
        let n = server.receive(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hi");

        // The host name is the TLS name by default: 127.0.0.1 is in the certificate.
        let (client, _server) = zip(
            TcpConnector::new("127.0.0.1", port).connect_tls(&connector),
            async { acceptor.accept(listener.accept().await?.0).await },
        )
        .await;
        assert!(client.is_ok());

        // A handshake that fails is a ConnectError whose source is the handshake's error.
        let (stranger, _) = tls_configs();
        let (client, _server) = zip(
            TcpConnector::new("127.0.0.1", port).connect_tls(&TlsConnector::new(stranger)),
            async { acceptor.accept(listener.accept().await?.0).await },
        )
        .await;
        let error = client.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.attempts().is_empty());
        assert!(
            error.to_string().contains("TLS handshake failed"),
            "{error}"
        );
        let source = std::error::Error::source(&error).unwrap();
        let source = source.downcast_ref::<io::Error>().unwrap();
        assert!(source.get_ref().unwrap().is::<rustls::Error>());
    })
    .await
    .unwrap();
}

/// A TCP connection that never says anything, and one that says something other than TLS.
async fn bad_clients(address: SocketAddr) -> (TcpStream, TcpStream) {
    let silent = TcpStream::connect(address).await.unwrap();
    let mut garbage = TcpStream::connect(address).await.unwrap();
    garbage.send(b"this is not a ClientHello").await.unwrap();
    (silent, garbage)
}

#[anyio::test]
async fn accept_drops_failed_and_slow_handshakes_and_goes_on() {
    anyio::fail_after(LIMIT, async {
        let (client_config, server_config) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = tcp.local_addr().unwrap();
        let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
            .handshake_timeout(Duration::from_millis(200));
        let (_silent, _garbage) = bad_clients(address).await;
        let (accepted, client) = zip(listener.accept(), async {
            let tcp = TcpStream::connect(address).await.unwrap();
            TlsConnector::new(client_config)
                .connect("localhost", tcp)
                .await
        })
        .await;
        let (mut server, mut client) = (accepted.unwrap(), client.unwrap());
        client.send(b"served").await.unwrap();
        let mut buf = [0; 16];
        let n = server.receive(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"served");

        listener.aclose().await.unwrap();
        let error = listener.accept().await.unwrap_err();
        assert!(matches!(StreamError::from(error), StreamError::Closed));
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn serve_shakes_hands_concurrently_and_survives_bad_clients() {
    anyio::fail_after(LIMIT, async {
        let (client_config, server_config) = tls_configs();
        let tcp = TcpListener::bind("[::1]:0".parse().unwrap()).unwrap();
        let address = tcp.local_addr().unwrap();
        // A timeout far beyond the test's limit: the silent client's handshake is still
        // waiting when the good clients are served, so they are served concurrently.
        let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
            .handshake_timeout(Duration::from_secs(3600));
        let connector = TlsConnector::new(client_config);
        let served = anyio::task_group(|tg: TaskGroup<io::Error>| async move {
            tg.spawn(async move {
                let error = listener
                    .serve(|mut stream| async move {
                        let mut buf = [0; 64];
                        while let Ok(n) = stream.receive(&mut buf).await {
                            if stream.send(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    })
                    .await;
                Err::<(), _>(error)
            });
            let (_silent, _garbage) = bad_clients(address).await;
            for i in 0..5u8 {
                let tcp = TcpStream::connect(address).await?;
                let mut stream = connector.connect("::1", tcp).await?;
                stream.send(&[i; 3]).await?;
                let mut buf = [0; 8];
                let n = stream.receive(&mut buf).await?;
                assert_eq!(&buf[..n], &[i; 3]);
            }
            tg.cancel();
            Ok(5)
        })
        .await;
        assert_eq!(served.unwrap(), Some(5));
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn serve_drops_a_handshake_that_times_out() {
    anyio::fail_after(LIMIT, async {
        let (_, server_config) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = tcp.local_addr().unwrap();
        let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
            .handshake_timeout(Duration::from_millis(50));
        let handled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let handler_ran = Arc::clone(&handled);
        let ended = anyio::task_group(|tg: TaskGroup<io::Error>| async move {
            tg.spawn(async move {
                let error = listener
                    .serve(move |_stream| {
                        handler_ran.store(true, std::sync::atomic::Ordering::SeqCst);
                        async {}
                    })
                    .await;
                Err::<(), _>(error)
            });
            // The server gives up on the silent client and closes its side.
            let mut silent = TcpStream::connect(address).await?;
            let mut buf = [0; 16];
            let end = silent.receive(&mut buf).await;
            tg.cancel();
            Ok(end)
        })
        .await;
        let end = ended.unwrap().unwrap();
        assert!(
            matches!(end, Err(StreamError::EndOfStream | StreamError::Broken(_))),
            "{end:?}"
        );
        assert!(!handled.load(std::sync::atomic::Ordering::SeqCst));
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn failed_and_timed_out_handshakes_are_logged_with_the_peer() {
    recorder::record_events();
    anyio::fail_after(LIMIT, async {
        let (client_config, server_config) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = tcp.local_addr().unwrap();
        let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
            .handshake_timeout(Duration::from_millis(100));
        let (silent, garbage) = bad_clients(address).await;
        // Accepting the good client means both bad ones were dealt with before it.
        let (accepted, client) = zip(listener.accept(), async {
            let tcp = TcpStream::connect(address).await.unwrap();
            TlsConnector::new(client_config)
                .connect("localhost", tcp)
                .await
        })
        .await;
        accepted.unwrap();
        client.unwrap();
        let events = recorder::events();
        let about = |client: &TcpStream| {
            let peer = client.local_addr().unwrap().to_string();
            events
                .iter()
                .find(|event| event.contains(&peer))
                .unwrap_or_else(|| panic!("no event about {peer} in {events:?}"))
                .clone()
        };
        let silent = about(&silent);
        assert!(
            silent.starts_with("WARN") && silent.contains("timed out"),
            "{silent}"
        );
        let garbage = about(&garbage);
        assert!(
            garbage.starts_with("WARN") && garbage.contains("failed"),
            "{garbage}"
        );
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn serve_contains_a_handler_that_panics_and_logs_it_with_the_peer() {
    recorder::record_events();
    anyio::fail_after(LIMIT, async {
        let (client_config, server_config) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = tcp.local_addr().unwrap();
        let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config));
        let connector = TlsConnector::new(client_config);
        let mut sessions = 0;
        let served = anyio::task_group(|tg: TaskGroup<io::Error>| async move {
            tg.spawn(async move {
                let error = listener
                    .serve(move |mut stream| {
                        sessions += 1;
                        let panics = sessions == 1;
                        async move {
                            if panics {
                                panic!("the first TLS handler panics");
                            }
                            let mut buf = [0; 64];
                            while let Ok(n) = stream.receive(&mut buf).await {
                                if stream.send(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    })
                    .await;
                Err::<(), _>(error)
            });
            // The first session's handler panics: the server drops the stream, unannounced.
            let tcp = TcpStream::connect(address).await?;
            let peer = tcp.local_addr()?.to_string();
            let mut first = connector.connect("localhost", tcp).await?;
            assert!(receive_to_end(&mut first).await.is_err());
            let events = recorder::events();
            let event = events
                .iter()
                .find(|event| event.contains(&peer) && event.contains("panicked"))
                .unwrap_or_else(|| panic!("no panic logged about {peer} in {events:?}"));
            assert!(
                event.starts_with("ERROR ") && event.contains("the first TLS handler panics"),
                "{event}"
            );
            // Serving goes on.
            for i in 0..3u8 {
                let tcp = TcpStream::connect(address).await?;
                let mut stream = connector.connect("localhost", tcp).await?;
                stream.send(&[i; 3]).await?;
                let mut buf = [0; 8];
                let n = stream.receive(&mut buf).await?;
                assert_eq!(&buf[..n], &[i; 3]);
            }
            tg.cancel();
            Ok(())
        })
        .await;
        served.unwrap();
    })
    .await
    .unwrap();
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_reader_and_a_writer_in_two_tasks_do_not_starve_each_other() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (client, mut server) = handshake(client, server, "localhost").await;
        let (mut reader, mut writer) = futures_lite::io::split(client);
        let message = vec![9u8; 16 << 20]; // far more than the socket buffers hold
        let expected = message.len();
        let received = anyio::task_group(|tg: TaskGroup<io::Error>| async move {
            // The writer fills the socket and waits for it; the reader waits for the end of
            // the stream meanwhile. A read must not take over the writer's wake-up.
            tg.spawn(async move {
                futures_lite::AsyncWriteExt::write_all(&mut writer, &message).await?;
                futures_lite::AsyncWriteExt::close(&mut writer).await
            });
            let reading = tg.spawn(async move {
                let mut all = Vec::new();
                futures_lite::AsyncReadExt::read_to_end(&mut reader, &mut all).await?;
                Ok(all.len())
            });
            let received = receive_to_end(&mut server).await.unwrap().len();
            server.send(b"done").await.unwrap();
            server.send_eof().await.unwrap();
            assert_eq!(reading.await.unwrap(), 4);
            Ok(received)
        })
        .await;
        assert_eq!(received.unwrap(), Some(expected));
    })
    .await
    .unwrap();
}

pin_project_lite::pin_project! {
    /// A transport whose next write fails with `Interrupted` when told to.
    struct InterruptOnce<S> {
        #[pin]
        inner: S,
        armed: bool,
    }
}

impl<S: futures_io::AsyncRead> futures_io::AsyncRead for InterruptOnce<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<io::Result<usize>> {
        self.project().inner.poll_read(cx, buf)
    }
}

impl<S: futures_io::AsyncWrite> futures_io::AsyncWrite for InterruptOnce<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        let this = self.project();
        if std::mem::take(this.armed) {
            return std::task::Poll::Ready(Err(io::ErrorKind::Interrupted.into()));
        }
        this.inner.poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

#[anyio::test]
async fn a_write_the_session_took_is_not_repeated_after_a_transport_error() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = UnixStream::pair().unwrap();
        let client = InterruptOnce {
            inner: client,
            armed: false,
        };
        let (mut client, mut server) = {
            let (client_config, server_config) = tls_configs();
            let (client, server) = zip(
                TlsConnector::new(client_config).connect("localhost", client),
                TlsAcceptor::new(server_config).accept(server),
            )
            .await;
            (client.unwrap(), server.unwrap())
        };
        client.get_mut().armed = true;
        // write_all retries Interrupted: had the write failed after rustls took the bytes,
        // they would go twice.
        futures_lite::AsyncWriteExt::write_all(&mut client, b"once")
            .await
            .unwrap();
        let flushed = futures_lite::AsyncWriteExt::flush(&mut client).await;
        assert_eq!(flushed.unwrap_err().kind(), io::ErrorKind::Interrupted);
        futures_lite::AsyncWriteExt::close(&mut client)
            .await
            .unwrap();
        assert_eq!(receive_to_end(&mut server).await.unwrap(), b"once");
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_cancelled_aclose_can_be_finished_by_another() {
    anyio::fail_after(LIMIT, async {
        let (client, server) = tcp_pair("127.0.0.1:0").await;
        let (client_config, server_config) = tls_configs();
        // No session tickets: the client never reads, and a TCP socket closed with unread
        // data (the tickets) ends with a reset, which would cut off what it sent last.
        let mut server_config = (*server_config).clone();
        server_config.send_tls13_tickets = 0;
        let (client, server) = zip(
            TlsConnector::new(client_config).connect("localhost", client),
            TlsAcceptor::new(Arc::new(server_config)).accept(server),
        )
        .await;
        let (mut client, mut server) = (client.unwrap(), server.unwrap());
        // Queue more than the socket takes, so that closing has to wait for the peer.
        let big = vec![1u8; 8 << 20];
        {
            let mut send = Box::pin(client.send(&big));
            assert!(poll_once(&mut send).await.is_none());
        }
        {
            let mut close = Box::pin(client.aclose());
            assert!(
                poll_once(&mut close).await.is_none(),
                "the peer is not reading"
            );
        } // cancelled: closed for us, the transport still open
        let mut buf = [0; 8];
        assert!(matches!(
            client.receive(&mut buf).await,
            Err(StreamError::Closed)
        ));
        assert!(client.get_ref().peer_addr().is_ok());

        let (closed, received) = zip(client.aclose(), receive_to_end(&mut server)).await;
        closed.unwrap();
        // The records queued before the close went, then close_notify: a clean end.
        let received = received.unwrap();
        assert!(!received.is_empty() && received.len() < big.len());
        assert!(
            client.get_ref().peer_addr().is_err(),
            "the transport is closed"
        );
    })
    .await
    .unwrap();
}
