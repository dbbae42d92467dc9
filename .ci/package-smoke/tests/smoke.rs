//! Runs anyio from its published package: both backends, a task group with a deadline, a memory
//! stream, TCP, TLS (with the package's own test certificates), files, and `#[anyio::test]`.

use std::time::Duration;

use anyio::streams::{ByteReceiveStream, ByteSendStream};
use anyio::{Backend, Runner};

// The certificates of the package's TLS tests, from the package itself.
mod tls_support {
    include!("../../anyio/tests/support/tls.rs");
}

#[test]
fn both_backends_run_a_task_group_under_a_deadline() {
    assert_eq!(Backend::available().collect::<Vec<_>>(), Backend::ALL);
    for backend in Backend::ALL {
        let seen = Runner::new(backend)
            .run(async {
                let (tx, rx) = anyio::create_memory_object_stream::<u32>(1);
                let sum = anyio::task_group(|tg| async move {
                    tg.spawn(async move {
                        for n in 1..=3 {
                            tx.send(n).await.unwrap();
                        }
                        Ok(())
                    });
                    let mut sum = 0;
                    while let Ok(n) = rx.receive().await {
                        sum += n;
                    }
                    Ok::<_, std::io::Error>(sum)
                })
                .await
                .unwrap();
                assert_eq!(sum, Some(6));
                let late = anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever());
                assert_eq!(late.await, None);
                anyio::current_async_library().unwrap()
            })
            .unwrap();
        assert_eq!(seen, backend);
    }
}

#[anyio::test]
async fn tcp_and_tls_over_loopback() {
    let mut listener = anyio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (client, accepted) = futures_lite::future::zip(
        anyio::net::connect_tcp("127.0.0.1", port),
        listener.accept(),
    )
    .await;
    let (mut client, (mut server, _)) = (client.unwrap(), accepted.unwrap());
    client.send(b"plain").await.unwrap();
    let mut buf = [0; 16];
    let n = server.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"plain");

    let (client_config, server_config) = tls_support::tls_configs();
    let (mut client, mut server) = tls_support::tls_pair(client_config, server_config).await;
    client.send(b"secret").await.unwrap();
    let n = server.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"secret");
}

#[anyio::test]
async fn files() {
    let path = std::env::temp_dir().join(format!("anyio-smoke-{}", std::process::id()));
    anyio::fs::write(&path, "hello").await.unwrap();
    assert_eq!(anyio::fs::read_to_string(&path).await.unwrap(), "hello");
    anyio::fs::remove_file(&path).await.unwrap();
}
