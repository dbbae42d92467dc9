//! A hyper client over `anyio::net::connect_tcp`, speaking HTTP/1.1 or HTTP/2, on either
//! backend.
//!
//! ```text
//! cargo run -p anyio --example hyper_server --all-features   # prints its port
//! cargo run -p anyio --example hyper_client --all-features -- 127.0.0.1 <port> /
//! ANYIO_BACKEND=smol cargo run -p anyio --example hyper_client --all-features -- 127.0.0.1 <port> /
//! ```
//!
//! It sends one request over HTTP/1.1, then the same over HTTP/2 (cleartext, prior knowledge),
//! and prints each answer. hyper runs a client connection as a future of its own, beside the
//! requests: here it is a child task of the group the requests run in, so it can never outlive
//! them. HTTP/2 also needs an executor for its background work (`TaskGroupExecutor`, the same
//! group) and a timer for its keep-alive pings (`AnyioTimer`).

use std::error::Error;

use anyio::hyper::{AnyioTimer, HyperIo, TaskGroupExecutor};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Version};

/// Any error of the client: connecting, hyper's, a malformed request.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// GETs `path` from `host:port` over `version` (HTTP/1.1 or HTTP/2) on a connection of its
/// own, and returns the status and the body as text.
///
/// # Errors
/// Connecting, a protocol error, a body that is not UTF-8.
pub(crate) async fn get(
    host: &str,
    port: u16,
    path: &str,
    version: Version,
) -> Result<(StatusCode, String), BoxError> {
    let io = HyperIo::new(anyio::net::connect_tcp(host, port).await?);
    let request = Request::get(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .body(Empty::<Bytes>::new())?;
    let answer = anyio::task_group(|tg| async move {
        let response = if version == Version::HTTP_2 {
            let executor = TaskGroupExecutor::new(tg.clone());
            let (mut sender, connection) = hyper::client::conn::http2::Builder::new(executor)
                .timer(AnyioTimer)
                .handshake(io)
                .await?;
            tg.spawn(async move {
                // Ends once the sender is dropped; an error then concerns no request.
                let _ = connection.await;
            });
            sender.send_request(request).await?
        } else {
            let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
            tg.spawn(async move {
                let _ = connection.await;
            });
            sender.send_request(request).await?
        };
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok::<_, BoxError>((status, String::from_utf8(body.to_vec())?))
    })
    .await;
    match answer {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) => Err("the request was cancelled".into()),
        Err(errors) => Err(errors.into_first()),
    }
}

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: hyper_client HOST PORT [PATH]";
    let host = args.next().ok_or(usage)?;
    let port: u16 = args.next().ok_or(usage)?.parse()?;
    let path = args.next().unwrap_or_else(|| "/".to_owned());
    anyio::run(async move {
        for version in [Version::HTTP_11, Version::HTTP_2] {
            let (status, body) = get(&host, port, &path, version).await?;
            print!("{version:?} {status}: {body}");
        }
        Ok::<_, BoxError>(())
    })?
}
