//! An echo server and its client, on loopback, on every backend.
//!
//! ```text
//! cargo run -p anyio --example echo --all-features
//! ANYIO_BACKEND=smol cargo run -p anyio --example echo --all-features
//! ```
//!
//! The server listens on every address of `localhost` with `create_tcp_listener` and serves
//! each connection in a task of its own; the client connects by Happy Eyeballs with
//! `connect_tcp`, sends a few lines, half-closes, and reads the echo back line by line.

use anyio::CancelScope;
use anyio::net::{TcpStream, connect_tcp, create_tcp_listener};
use anyio::streams::{
    BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream, Listener, StreamError,
};

/// Sends back everything the peer sends, until it half-closes.
async fn echo(mut stream: TcpStream) {
    let peer = stream.peer_addr().ok();
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

async fn client(port: u16) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let stream = connect_tcp("localhost", port).await?;
    println!(
        "  client: connected from {} to {}",
        stream.local_addr()?,
        stream.peer_addr()?
    );
    let mut stream = BufferedByteReceiveStream::new(stream);
    for line in ["hello", "structured", "concurrency"] {
        stream.send(format!("{line}\n").as_bytes()).await?;
    }
    stream.send_eof().await?;
    loop {
        match stream.receive_until(b"\n", 1024).await {
            Ok(line) => println!("  client: echoed {:?}", String::from_utf8_lossy(&line)),
            Err(StreamError::IncompleteRead) => return Ok(()),
            Err(error) => return Err(error.into()),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    anyio::run(async {
        let mut listener = create_tcp_listener(Some("localhost"), 0).await?;
        let port = listener.listeners()[0].local_addr()?.port();
        for inner in listener.listeners() {
            println!("  server: listening on {}", inner.local_addr()?);
        }
        let serving = CancelScope::new();
        let stop = serving.handle();
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                serving.run(listener.serve(echo)).await;
            });
            if let Err(error) = client(port).await {
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
