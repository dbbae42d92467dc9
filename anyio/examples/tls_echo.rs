//! A TLS echo server and its client, on loopback, with a certificate made on the spot.
//!
//! ```text
//! cargo run -p anyio --example tls_echo --all-features
//! ANYIO_BACKEND=smol cargo run -p anyio --example tls_echo --all-features
//! ```
//!
//! The server wraps the listeners of `create_tcp_listener` in a `TlsListener`, which runs
//! each handshake in the connection's own task under a timeout. A client that does not speak
//! TLS is dropped (and logged, through `tracing`) while the server goes on; then a real
//! client connects with `connect_tls`, agrees on a protocol by ALPN, and reads its lines back.

use std::sync::Arc;
use std::time::Duration;

use anyio::CancelScope;
use anyio::net::{TcpConnector, TcpStream, create_tcp_listener};
use anyio::streams::{
    BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
};
use anyio::tls::{TlsAcceptor, TlsConnector, TlsListener, TlsStream};
use rustls::pki_types::PrivateKeyDer;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A self-signed certificate for `localhost`, and the configurations of both sides: the
/// client trusts that certificate alone, and both offer the protocol `echo/1`.
fn configs() -> Result<(rustls::ClientConfig, rustls::ServerConfig), Error> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let certificate = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![certificate.clone()], key)?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate)?;
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    server.alpn_protocols = vec![b"echo/1".to_vec()];
    client.alpn_protocols = vec![b"echo/1".to_vec()];
    Ok((client, server))
}

/// Sends back everything the peer sends, until it half-closes.
async fn echo(mut stream: TlsStream<TcpStream>) {
    let peer = stream.get_ref().peer_addr().ok();
    let mut buf = [0; 4096];
    let outcome: Result<(), StreamError> = async {
        loop {
            match stream.receive(&mut buf).await {
                Ok(n) => stream.send(&buf[..n]).await?,
                Err(StreamError::EndOfStream) => return stream.send_eof().await,
                Err(error) => return Err(error),
            }
        }
    }
    .await;
    if let Err(error) = outcome {
        eprintln!("  server: the connection from {peer:?} failed: {error}");
    }
}

async fn client(port: u16, config: rustls::ClientConfig) -> Result<(), Error> {
    // First, somebody who does not speak TLS: the server drops them and goes on.
    let mut stranger = TcpStream::connect(([127, 0, 0, 1], port).into()).await?;
    stranger.send(b"GET / HTTP/1.1\r\n\r\n").await?;
    let mut buf = [0; 64];
    match stranger.receive(&mut buf).await {
        Ok(n) => println!("  stranger: the server answered {n} bytes (a TLS alert) and hung up"),
        Err(error) => println!("  stranger: the server hung up ({error})"),
    }

    let connector = TlsConnector::new(Arc::new(config));
    let stream = TcpConnector::new("localhost", port)
        .connect_tls(&connector)
        .await?;
    println!(
        "  client: {:?} to {} with {:?}, protocol {:?}",
        stream.protocol_version().unwrap(),
        stream.get_ref().peer_addr()?,
        stream.cipher_suite().unwrap().suite(),
        String::from_utf8_lossy(stream.alpn_protocol().unwrap_or_default()),
    );
    let mut stream = BufferedByteReceiveStream::new(stream);
    for line in ["hello", "private", "world"] {
        stream.send(format!("{line}\n").as_bytes()).await?;
    }
    stream.send_eof().await?; // close_notify: the end of what we send
    loop {
        match stream.receive_until(b"\n", 1024).await {
            Ok(line) => println!("  client: echoed {:?}", String::from_utf8_lossy(&line)),
            Err(StreamError::IncompleteRead) => return Ok(()),
            Err(error) => return Err(error.into()),
        }
    }
}

fn main() -> Result<(), Error> {
    let (client_config, server_config) = configs()?;
    anyio::run(async move {
        let tcp = create_tcp_listener(Some("localhost"), 0).await?;
        let port = tcp.listeners()[0].local_addr()?.port();
        println!("  server: listening on localhost:{port}");
        let mut listener = TlsListener::new(tcp, TlsAcceptor::new(Arc::new(server_config)))
            .handshake_timeout(Duration::from_secs(5));
        let serving = CancelScope::new();
        let stop = serving.handle();
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                serving.run(listener.serve(echo)).await;
            });
            if let Err(error) = client(port, client_config).await {
                eprintln!("  client failed: {error}");
            }
            stop.cancel();
        })
        .await
        .expect("nothing fails");
        println!("  on {}: done", anyio::current_async_library()?);
        Ok(())
    })?
}
