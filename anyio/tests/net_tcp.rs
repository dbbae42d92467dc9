//! TCP streams and listeners on every backend, over 127.0.0.1 and ::1: echo, half close,
//! local and remote closes, refused connections, cancellation, both families of I/O traits,
//! typed attributes, std conversions, and concurrent connections on two threads.
#![cfg(feature = "macros")]

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use anyio::TaskGroup;
use anyio::net::{
    AddressFamily, Family, LocalAddress, LocalPort, RawSocket, RemoteAddress, RemotePort,
    TcpListener, TcpStream,
};
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
    TypedAttributeProvider,
};
use futures_lite::future::poll_once;

mod common;

use common::recorder;

/// How long a test may wait for the network before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

fn loopback_v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn loopback_v6() -> SocketAddr {
    "[::1]:0".parse().unwrap()
}

/// A connected pair: (client, server).
async fn pair(address: SocketAddr) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(address).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Receives until the end of the stream.
async fn receive_to_end(stream: &mut TcpStream) -> Result<Vec<u8>, StreamError> {
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
async fn an_echo_over_both_loopbacks() {
    for address in [loopback_v4(), loopback_v6()] {
        let (mut client, mut server) = pair(address).await;
        let message = vec![7u8; 100_000]; // more than a socket buffer holds at once
        let echoed = anyio::fail_after(LIMIT, async {
            futures_lite::future::zip(
                async {
                    client.send(&message).await.unwrap();
                    client.send_eof().await.unwrap();
                    receive_to_end(&mut client).await.unwrap()
                },
                async {
                    let received = receive_to_end(&mut server).await.unwrap();
                    server.send(&received).await.unwrap();
                    server.send_eof().await.unwrap();
                },
            )
            .await
            .0
        })
        .await
        .expect("the echo completes");
        assert_eq!(echoed, message, "{address}");
    }
}

#[anyio::test]
async fn send_eof_half_closes() {
    let (mut client, mut server) = pair(loopback_v4()).await;
    client.send(b"request").await.unwrap();
    client.send_eof().await.unwrap();
    client.send_eof().await.unwrap(); // again: nothing more to do
    assert!(matches!(
        client.send(b"more").await,
        Err(StreamError::Closed)
    ));
    let request = anyio::fail_after(LIMIT, receive_to_end(&mut server))
        .await
        .unwrap();
    assert_eq!(request.unwrap(), b"request");
    server.send(b"reply").await.unwrap();
    server.aclose().await.unwrap();
    let reply = anyio::fail_after(LIMIT, receive_to_end(&mut client))
        .await
        .unwrap();
    assert_eq!(reply.unwrap(), b"reply", "receiving goes on after send_eof");
}

#[anyio::test]
async fn a_closed_stream_fails_with_closed() {
    let (mut client, _server) = pair(loopback_v4()).await;
    client.aclose().await.unwrap();
    client.aclose().await.unwrap();
    assert!(matches!(
        client.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(client.send_eof().await, Err(StreamError::Closed)));
    let error = futures_lite::AsyncWriteExt::write(&mut client, b"x")
        .await
        .unwrap_err();
    assert!(matches!(StreamError::from(error), StreamError::Closed));
    assert!(client.local_addr().is_err());
    assert!(client.extra(LocalAddress).is_err());
}

#[anyio::test]
async fn a_peer_that_closes_ends_receives_and_breaks_sends() {
    let (mut client, mut server) = pair(loopback_v4()).await;
    server.aclose().await.unwrap();
    let end = anyio::fail_after(LIMIT, client.receive(&mut [0; 4]))
        .await
        .unwrap();
    assert!(matches!(end, Err(StreamError::EndOfStream)), "{end:?}");
    // The first send may still be accepted locally; the peer's reset then breaks the next.
    let broken = anyio::fail_after(LIMIT, async {
        loop {
            if let Err(error) = client.send(&[0; 1024]).await {
                return error;
            }
            anyio::lowlevel::checkpoint().await;
        }
    })
    .await
    .expect("a send fails once the peer has reset the connection");
    match broken {
        StreamError::Broken(Some(cause)) => assert!(
            matches!(
                cause.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{cause}"
        ),
        other => panic!("expected a broken stream, got {other:?}"),
    }
}

#[anyio::test]
async fn a_refused_connection_names_the_address() {
    let address = TcpListener::bind(loopback_v4())
        .unwrap()
        .local_addr()
        .unwrap(); // the listener is dropped at once: nobody listens there
    let error = TcpStream::connect(address).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    assert!(error.to_string().contains(&address.to_string()), "{error}");
}

#[anyio::test]
async fn a_cancelled_receive_takes_no_bytes() {
    let (mut client, mut server) = pair(loopback_v4()).await;
    assert!(poll_once(pin!(server.receive(&mut [0; 4]))).await.is_none());
    let cancelled =
        anyio::move_on_after(Duration::from_millis(5), server.receive(&mut [0; 4])).await;
    assert!(cancelled.is_none());
    client.send(b"data").await.unwrap();
    let mut buf = [0; 8];
    let n = anyio::fail_after(LIMIT, server.receive(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"data");
}

#[anyio::test]
async fn a_cancelled_accept_accepts_nothing_and_a_closed_listener_fails() {
    let mut listener = TcpListener::bind(loopback_v6()).unwrap();
    let address = listener.local_addr().unwrap();
    assert!(poll_once(pin!(listener.accept())).await.is_none());
    let client = TcpStream::connect(address).await.unwrap();
    let (_server, peer) = anyio::fail_after(LIMIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    listener.aclose().await.unwrap();
    let error = listener.accept().await.unwrap_err();
    assert!(matches!(StreamError::from(error), StreamError::Closed));
}

#[anyio::test]
async fn both_families_of_io_traits_work_on_every_backend() {
    let (mut client, mut server) = pair(loopback_v4()).await;
    {
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        client.write_all(b"futures-io").await.unwrap();
        let mut buf = [0; 10];
        anyio::fail_after(LIMIT, server.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf, b"futures-io");
    }
    #[cfg(feature = "tokio")]
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        server.write_all(b"tokio").await.unwrap();
        server.shutdown().await.unwrap();
        let mut reply = Vec::new();
        anyio::fail_after(LIMIT, client.read_to_end(&mut reply))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reply, b"tokio");
    }
}

#[anyio::test]
async fn typed_attributes_describe_both_ends() {
    let mut listener = TcpListener::bind(loopback_v6()).unwrap();
    let address = listener.local_addr().unwrap();
    assert_eq!(listener.extra(LocalAddress).unwrap(), address);
    assert_eq!(listener.extra(LocalPort).unwrap(), address.port());
    assert!(
        listener.extra(RemoteAddress).is_err(),
        "a listener has no peer"
    );
    let client = TcpStream::connect(address).await.unwrap();
    let (server, peer) = listener.accept().await.unwrap();
    assert_eq!(client.extra(RemoteAddress).unwrap(), address);
    assert_eq!(client.extra(RemotePort).unwrap(), address.port());
    assert_eq!(client.extra(LocalAddress).unwrap(), peer);
    assert_eq!(server.extra(RemoteAddress).unwrap(), peer);
    assert_eq!(server.extra(Family).unwrap(), AddressFamily::Ipv6);
    assert!(client.extra(RawSocket).unwrap() >= 0);
    assert!(client.nodelay().unwrap(), "TCP_NODELAY is on by default");
    assert!(server.nodelay().unwrap());
}

#[anyio::test]
async fn std_sockets_convert_both_ways() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = std_listener.local_addr().unwrap();
    let mut listener = TcpListener::from_std(std_listener).unwrap();
    let unconnected =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    assert!(
        TcpStream::from_std(unconnected.into()).is_err(),
        "not connected"
    );
    let std_client = std::net::TcpStream::connect(address).unwrap();
    let mut client = TcpStream::from_std(std_client).unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let std_server = server.into_std().unwrap();
    std_server.set_nonblocking(false).unwrap();
    client.send(b"std").await.unwrap();
    let mut buf = [0; 3];
    std::io::Read::read_exact(&mut &std_server, &mut buf).unwrap();
    assert_eq!(&buf, b"std");
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn many_connections_on_two_threads() {
    const CONNECTIONS: u32 = 20;
    let mut listener = TcpListener::bind(loopback_v4()).unwrap();
    let address = listener.local_addr().unwrap();
    let served = anyio::task_group(|tg: TaskGroup<StreamError>| async move {
        let server_group = tg.clone();
        // The server: one echo task per connection.
        tg.spawn(async move {
            for _ in 0..CONNECTIONS {
                let (mut stream, _) = listener.accept().await?;
                server_group.spawn(async move {
                    let received = receive_to_end(&mut stream).await?;
                    stream.send(&received).await?;
                    stream.send_eof().await
                });
            }
            Ok::<(), StreamError>(())
        });
        // The clients, all at once.
        let clients = tg.clone();
        for n in 0..CONNECTIONS {
            clients.spawn(async move {
                let mut stream = TcpStream::connect(address).await?;
                let message = n.to_be_bytes().repeat(1000);
                stream.send(&message).await?;
                stream.send_eof().await?;
                let echoed = receive_to_end(&mut stream).await?;
                assert_eq!(echoed, message, "client {n}");
                Ok::<(), StreamError>(())
            });
        }
        Ok(())
    });
    anyio::fail_after(LIMIT, served)
        .await
        .expect("every connection is served in time")
        .expect("no task fails");
}

#[anyio::test]
async fn connect_tcp_resolves_names_and_reports_bad_input() {
    let mut listener = TcpListener::bind(loopback_v4()).unwrap();
    let port = listener.local_addr().unwrap().port();
    let stream = anyio::fail_after(LIMIT, anyio::net::connect_tcp("localhost", port))
        .await
        .unwrap()
        .unwrap();
    let (_server, peer) = listener.accept().await.unwrap();
    assert_eq!(stream.local_addr().unwrap(), peer);

    let bound = anyio::net::TcpConnector::new("127.0.0.1", port)
        .local_address("127.0.0.1:0".parse().unwrap())
        .connect()
        .await
        .unwrap();
    assert!(bound.local_addr().unwrap().ip().is_loopback());
    let wrong_family = anyio::net::TcpConnector::new("127.0.0.1", port)
        .local_address("[::1]:0".parse().unwrap())
        .connect()
        .await
        .unwrap_err();
    assert!(wrong_family.attempts().is_empty(), "{wrong_family}");

    let port_zero = anyio::net::connect_tcp("localhost", 0).await.unwrap_err();
    assert_eq!(port_zero.kind(), io::ErrorKind::InvalidInput);
    let bad_host = anyio::net::connect_tcp("bad host!", 80).await.unwrap_err();
    assert_eq!(bad_host.kind(), io::ErrorKind::InvalidInput);
    assert!(
        bad_host.to_string().contains("not a host name"),
        "{bad_host}"
    );

    drop(listener);
    let refused = anyio::net::connect_tcp("127.0.0.1", port)
        .await
        .unwrap_err();
    assert_eq!(refused.attempts().len(), 1);
    assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    let as_io = io::Error::from(refused);
    assert_eq!(as_io.kind(), io::ErrorKind::ConnectionRefused);
}

#[anyio::test]
async fn getaddrinfo_answers_literals_at_once_and_names_off_the_loop() {
    let v6 = anyio::net::getaddrinfo("[::1]", 443).await.unwrap();
    assert_eq!(v6, ["[::1]:443".parse::<SocketAddr>().unwrap()]);
    let local = anyio::net::getaddrinfo("localhost", 80).await.unwrap();
    assert!(!local.is_empty());
    assert!(local.iter().all(|address| address.ip().is_loopback()));
    let mut unique = local.clone();
    unique.dedup();
    assert_eq!(unique.len(), local.len(), "no address twice");
    let error = anyio::net::getaddrinfo("", 80).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

/// Echoes what the peer sends until it stops, ignoring failures: a handler for `serve`.
async fn echo(mut stream: TcpStream) {
    if let Ok(received) = receive_to_end(&mut stream).await {
        let _ = stream.send(&received).await;
        let _ = stream.send_eof().await;
    }
}

#[anyio::test]
async fn serve_runs_a_handler_per_connection_and_survives_failed_ones() {
    use anyio::streams::Listener;
    let mut listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    let address = listener.listeners()[0].local_addr().unwrap();
    let scope = anyio::CancelScope::new();
    let stop = scope.handle();
    let outcome = anyio::task_group(|tg: TaskGroup<StreamError>| async move {
        tg.spawn(async move {
            scope.run(listener.serve(echo)).await;
        });
        // A client that vanishes mid-conversation: its handler fails, the server goes on.
        let mut rude = TcpStream::connect(address).await?;
        rude.send(b"half a mess").await?;
        rude.aclose().await?;
        for n in 0..5u8 {
            let mut client = TcpStream::connect(address).await?;
            client.send(&[n; 100]).await?;
            client.send_eof().await?;
            assert_eq!(receive_to_end(&mut client).await?, [n; 100]);
        }
        stop.cancel(); // serving stops when its scope is cancelled
        Ok(())
    });
    anyio::fail_after(LIMIT, outcome)
        .await
        .expect("served in time")
        .expect("every client was served");
}

#[anyio::test]
async fn serve_returns_the_error_that_stops_accepting() {
    use anyio::streams::Listener;
    let mut nothing = anyio::net::MultiListener::<TcpListener>::new(Vec::new());
    let error = nothing.serve(echo).await;
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[anyio::test]
async fn a_multi_listener_accepts_on_every_address() {
    use anyio::streams::Listener;
    let v4 = TcpListener::bind(loopback_v4()).unwrap();
    let v6 = TcpListener::bind(loopback_v6()).unwrap();
    let addresses = [v4.local_addr().unwrap(), v6.local_addr().unwrap()];
    let mut both = anyio::net::MultiListener::new(vec![v4, v6]);
    assert_eq!(
        both.extra(LocalAddress).unwrap(),
        addresses[0],
        "the first listener's"
    );
    for round in 0..4 {
        let address = addresses[round % 2];
        let client = TcpStream::connect(address).await.unwrap();
        let server = anyio::fail_after(LIMIT, both.accept())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(server.local_addr().unwrap(), address);
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    }
    both.aclose().await.unwrap();
    let error = both.accept().await.unwrap_err();
    assert!(matches!(StreamError::from(error), StreamError::Closed));
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn split_halves_receive_and_send_in_separate_tasks() {
    let mut listener = TcpListener::bind(loopback_v4()).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let message: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    let expected = message.clone();
    let echoed = anyio::fail_after(
        LIMIT,
        anyio::task_group(|tg: TaskGroup<StreamError>| async move {
            tg.spawn(async move {
                let mut server = server;
                let received = receive_to_end(&mut server).await?;
                server.send(&received).await?;
                server.send_eof().await
            });
            let (mut reader, mut writer) = client.into_split();
            tg.spawn(async move {
                writer.send(&message).await?;
                drop(writer); // dropping the sending half ends the stream for the peer
                Ok::<(), StreamError>(())
            });
            let mut echoed = Vec::new();
            let mut buf = [0; 4096];
            loop {
                match reader.receive(&mut buf).await {
                    Ok(n) => echoed.extend_from_slice(&buf[..n]),
                    Err(StreamError::EndOfStream) => return Ok(echoed),
                    Err(error) => return Err(error),
                }
            }
        }),
    )
    .await
    .expect("the echo completes")
    .expect("no task fails");
    assert_eq!(echoed, Some(expected));
}

#[anyio::test]
async fn halves_reunite_only_with_their_own_and_close_apart() {
    let (client, mut server) = pair(loopback_v4()).await;
    let (other, _other_server) = pair(loopback_v4()).await;
    let (reader, writer) = client.into_split();
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
    let n = anyio::fail_after(LIMIT, server.receive(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"whole again");

    let (mut reader, mut writer) = whole.into_split();
    reader.aclose().await.unwrap();
    assert!(matches!(
        reader.receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
    writer.send(b"still sending").await.unwrap();
    writer.aclose().await.unwrap();
    writer.aclose().await.unwrap();
    assert!(matches!(writer.send(b"x").await, Err(StreamError::Closed)));
    let rest = anyio::fail_after(LIMIT, receive_to_end(&mut server))
        .await
        .unwrap();
    assert_eq!(rest.unwrap(), b"still sending");
}

/// The recorded `anyio::serve` event that mentions `needle`, waiting for it (by checkpoints,
/// boundedly): the connection's task logs the panic after unwinding has already dropped the
/// stream, so a client may see its connection closed, on another thread, just before the
/// event is recorded. Panics if it never comes.
async fn serve_event_about(needle: &str) -> String {
    let find = || {
        recorder::events()
            .into_iter()
            .find(|event| event.contains("anyio::serve") && event.contains(needle))
    };
    common::until(|| find().is_some()).await;
    find().expect("the event was recorded")
}

/// Sends `message` and half-closes, then receives until the end: one round of `echo`.
async fn echo_round(address: SocketAddr, message: &[u8]) -> Result<Vec<u8>, StreamError> {
    let mut client = TcpStream::connect(address).await?;
    client.send(message).await?;
    client.send_eof().await?;
    receive_to_end(&mut client).await
}

/// Receives exactly `n` bytes, however the network splits them.
async fn receive_exactly(stream: &mut TcpStream, n: usize) -> Result<Vec<u8>, StreamError> {
    let mut all = vec![0; n];
    let mut filled = 0;
    while filled < n {
        filled += stream.receive(&mut all[filled..]).await?;
    }
    Ok(all)
}

/// Whether the server closed `client`'s connection: the end of the stream, or a reset when it
/// closed with bytes unread.
async fn closed_by_server(client: &mut TcpStream) -> bool {
    matches!(
        client.receive(&mut [0; 16]).await,
        Err(StreamError::EndOfStream | StreamError::Broken(_))
    )
}

#[anyio::test]
async fn serve_contains_a_handler_that_panics_and_logs_it() {
    use anyio::streams::Listener;
    recorder::record_events();
    let mut listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    let address = listener.listeners()[0].local_addr().unwrap();
    // A formatted message (a `String` payload), unique to this run of the test.
    let message = format!("the handler on port {} panics", address.port());
    let panic_message = message.clone();
    let mut connections = 0;
    let scope = anyio::CancelScope::new();
    let stop = scope.handle();
    let outcome = anyio::task_group(|tg: TaskGroup<StreamError>| async move {
        tg.spawn(async move {
            let serving = listener.serve(move |stream| {
                connections += 1;
                let panics = connections == 1;
                let message = panic_message.clone();
                async move {
                    if panics {
                        panic!("{message}");
                    }
                    echo(stream).await;
                }
            });
            scope.run(serving).await;
        });
        // The first connection's handler panics: its stream is dropped, closing it.
        let mut first = TcpStream::connect(address).await?;
        assert!(closed_by_server(&mut first).await);
        let event = serve_event_about(&message).await;
        assert!(event.starts_with("ERROR "), "{event}");
        assert!(event.contains("panicked"), "{event}");
        // The server goes on accepting, and serving.
        for n in 0..3u8 {
            assert_eq!(echo_round(address, &[n; 100]).await?, [n; 100]);
        }
        stop.cancel();
        Ok(())
    });
    anyio::fail_after(LIMIT, outcome)
        .await
        .expect("served in time")
        .expect("every other client was served");
}

#[anyio::test]
async fn serve_contains_a_handler_that_panics_when_called() {
    use anyio::streams::Listener;
    recorder::record_events();
    let mut listener = TcpListener::bind(loopback_v6()).unwrap();
    let address = listener.local_addr().unwrap();
    let message = format!("the handler for port {} panics when called", address.port());
    let panic_message = message.clone();
    let mut connections = 0;
    let scope = anyio::CancelScope::new();
    let stop = scope.handle();
    let outcome = anyio::task_group(|tg: TaskGroup<StreamError>| async move {
        tg.spawn(async move {
            let serving = listener.serve(move |stream| {
                connections += 1;
                if connections == 1 {
                    panic!("{panic_message}"); // before any future is made
                }
                echo(stream)
            });
            scope.run(serving).await;
        });
        let mut first = TcpStream::connect(address).await?;
        assert!(closed_by_server(&mut first).await);
        let event = serve_event_about(&message).await;
        assert!(event.starts_with("ERROR "), "{event}");
        assert_eq!(echo_round(address, b"second").await?, b"second");
        stop.cancel();
        Ok(())
    });
    anyio::fail_after(LIMIT, outcome)
        .await
        .expect("served in time")
        .expect("the second client was served");
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn on_two_threads_a_panicking_handler_leaves_the_others_running() {
    use anyio::streams::Listener;
    recorder::record_events();
    // A literal message (a `&str` payload), one per backend: both run at the same time.
    let tokio = anyio::current_async_library().unwrap() == anyio::Backend::Tokio;
    let message = if tokio {
        "a tokio handler told to panic"
    } else {
        "a smol handler told to panic"
    };
    let mut listener = TcpListener::bind(loopback_v4()).unwrap();
    let address = listener.local_addr().unwrap();
    let scope = anyio::CancelScope::new();
    let stop = scope.handle();
    let outcome = anyio::task_group(|tg: TaskGroup<StreamError>| async move {
        tg.spawn(async move {
            // Panics if the first byte it receives is `!`; echoes otherwise, as it receives.
            let serving = listener.serve(move |mut stream: TcpStream| async move {
                let mut buf = [0; 64];
                while let Ok(n) = stream.receive(&mut buf).await {
                    if buf[0] == b'!' {
                        if tokio {
                            panic!("a tokio handler told to panic");
                        } else {
                            panic!("a smol handler told to panic");
                        }
                    }
                    if stream.send(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            scope.run(serving).await;
        });
        // A connection whose handler is running while another's panics.
        let mut steady = TcpStream::connect(address).await?;
        steady.send(b"hello").await?;
        assert_eq!(receive_exactly(&mut steady, 5).await?, b"hello");

        let mut doomed = TcpStream::connect(address).await?;
        doomed.send(b"!").await?;
        assert!(closed_by_server(&mut doomed).await);
        let event = serve_event_about(message).await;
        assert!(event.starts_with("ERROR "), "{event}");

        // The running handler goes on, and new connections are served.
        steady.send(b"again").await?;
        assert_eq!(receive_exactly(&mut steady, 5).await?, b"again");
        let mut fresh = TcpStream::connect(address).await?;
        fresh.send(b"fresh").await?;
        assert_eq!(receive_exactly(&mut fresh, 5).await?, b"fresh");
        stop.cancel();
        Ok(())
    });
    anyio::fail_after(LIMIT, outcome)
        .await
        .expect("served in time")
        .expect("the other clients were served");
}
