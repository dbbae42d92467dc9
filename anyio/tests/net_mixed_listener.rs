//! TCP and UNIX listeners in one `MultiListener` on every backend, through `SocketListener`
//! and `SocketStream`: one handler serves both, `accept` takes from either, attributes say
//! which kind a connection is, closing closes both, and both I/O trait families work.
#![cfg(feature = "macros")]

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use anyio::net::{
    AddressFamily, Family, MultiListener, RemoteAddress, SocketListener, SocketStream, TcpListener,
    TcpStream, UnixListener, UnixStream,
};
use anyio::streams::{
    AsyncResource, BufferedByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
    TypedAttributeProvider,
};

/// How long a test may wait before it fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

/// A TCP listener on 127.0.0.1 and a UNIX one in `dir`, as one; with the TCP address and the
/// UNIX path.
fn both(dir: &tempfile::TempDir) -> (MultiListener<SocketListener>, std::net::SocketAddr, PathBuf) {
    let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = tcp.local_addr().unwrap();
    let path = dir.path().join("server.sock");
    let unix = UnixListener::bind(&path).unwrap();
    let listener = [SocketListener::from(tcp), SocketListener::from(unix)]
        .into_iter()
        .collect();
    (listener, address, path)
}

/// Says which kind of connection the handler got, then echoes a line.
async fn kind_and_echo(stream: SocketStream) {
    let kind: &[u8] = match stream.extra(Family) {
        Ok(AddressFamily::Unix) => b"unix\n",
        Ok(_) => b"tcp\n",
        Err(_) => b"?\n",
    };
    let mut stream = BufferedByteReceiveStream::new(stream);
    let Ok(line) = stream.receive_until(b"\n", 64).await else {
        return;
    };
    let stream = stream.get_mut();
    let _ = stream.send(kind).await;
    let _ = stream.send(&line).await;
    let _ = stream.send_eof().await;
}

/// Sends `line` and a newline, and receives everything until the end of the stream.
async fn ask(mut stream: impl ByteStream, line: &[u8]) -> Vec<u8> {
    stream.send(line).await.unwrap();
    stream.send(b"\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0; 64];
    loop {
        match stream.receive(&mut buf).await {
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(StreamError::EndOfStream) => return answer,
            Err(error) => panic!("{error}"),
        }
    }
}

#[anyio::test(timeout = 30)]
async fn one_handler_serves_tcp_and_unix_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (mut listener, address, path) = both(&dir);
    let answers = anyio::fail_after(
        LIMIT,
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                listener.serve(kind_and_echo).await;
            });
            let tcp = ask(TcpStream::connect(address).await?, b"over tcp").await;
            let unix = ask(UnixStream::connect(&path).await?, b"over unix").await;
            tg.cancel();
            Ok::<_, io::Error>((tcp, unix))
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert_eq!(answers.0, b"tcp\nover tcp");
    assert_eq!(answers.1, b"unix\nover unix");
}

#[anyio::test(timeout = 30)]
async fn accept_takes_from_either_and_close_closes_both() {
    let dir = tempfile::tempdir().unwrap();
    let (mut listener, address, path) = both(&dir);

    let client = UnixStream::connect(&path).await.unwrap();
    let accepted = anyio::fail_after(LIMIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(accepted, SocketStream::Unix(_)));
    assert!(
        accepted.extra(RemoteAddress).is_err(),
        "a UNIX peer has no IP address"
    );
    drop(client);

    let client = TcpStream::connect(address).await.unwrap();
    let accepted = anyio::fail_after(LIMIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let SocketStream::Tcp(tcp) = &accepted else {
        panic!("expected a TCP connection, got {accepted:?}");
    };
    assert_eq!(tcp.peer_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(
        accepted.extra(RemoteAddress).unwrap(),
        client.local_addr().unwrap()
    );

    listener.aclose().await.unwrap();
    for one in listener.into_inner() {
        let mut one = MultiListener::new(vec![one]);
        let error = one.accept().await.unwrap_err();
        assert!(matches!(StreamError::from(error), StreamError::Closed));
    }
}

#[anyio::test(timeout = 30)]
async fn both_io_trait_families_work_on_either_kind() {
    use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};

    let dir = tempfile::tempdir().unwrap();
    let (mut listener, address, path) = both(&dir);
    let clients = [
        SocketStream::from(TcpStream::connect(address).await.unwrap()),
        SocketStream::from(UnixStream::connect(&path).await.unwrap()),
    ];
    for mut client in clients {
        let mut server = anyio::fail_after(LIMIT, listener.accept())
            .await
            .unwrap()
            .unwrap();
        client.write_all(b"futures-io").await.unwrap();
        client.close().await.unwrap(); // a half close, as send_eof
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"futures-io");

        // tokio's traits, when anyio implements them (feature `tokio`).
        #[cfg(feature = "tokio")]
        {
            tokio::io::AsyncWriteExt::write_all(&mut server, b"tokio")
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::shutdown(&mut server)
                .await
                .unwrap();
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut client, &mut got)
                .await
                .unwrap();
            assert_eq!(got, b"tokio");
        }
    }
}
