//! `anyio::compat::tokio`: tokio-only code (timers, sockets, `tokio::spawn`) under the smol
//! backend through the background runtime, cancelled by anyio's scopes and dropped inside the
//! runtime's context; under tokio, a pass-through that leaves tokio's own runtime in charge.
#![cfg(all(feature = "macros", feature = "tokio", feature = "smol"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyio::Backend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The name of the background runtime's threads (as the module docs give it).
const BACKGROUND_THREAD: &str = "anyio-compat-tokio";

/// The name of the thread that runs a task spawned with `tokio::spawn` from here.
async fn spawned_task_thread() -> Option<String> {
    tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
        .await
        .unwrap()
}

#[anyio::test(timeout = 30)]
async fn tokio_timers_run_on_every_backend() {
    let start = std::time::Instant::now();
    anyio::compat::tokio(async { tokio::time::sleep(Duration::from_millis(20)).await }).await;
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[anyio::test(backends(smol), timeout = 30)]
async fn without_the_wrapper_tokio_panics_as_the_docs_say() {
    let panic = std::panic::catch_unwind(|| tokio::time::sleep(Duration::from_millis(1)))
        .expect_err("tokio::time made a timer without a runtime");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap();
    assert!(
        message.contains(
            "there is no reactor running, must be called from the context of a Tokio 1.x runtime"
        ),
        "{message}"
    );
}

#[anyio::test(timeout = 30)]
async fn a_tokio_tcp_echo_over_loopback_works_on_every_backend() {
    let echoed = anyio::compat::tokio(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            let mut buf = [0; 64];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, std::io::Error>(());
                }
                stream.write_all(&buf[..n]).await?;
            }
        });
        let mut client = tokio::net::TcpStream::connect(address).await?;
        let mut echoed = Vec::new();
        for message in [&b"one"[..], b"two", b"three"] {
            client.write_all(message).await?;
            let mut buf = vec![0; message.len()];
            client.read_exact(&mut buf).await?;
            echoed.extend_from_slice(&buf);
        }
        client.shutdown().await?;
        server.await??;
        Ok::<_, std::io::Error>(echoed)
    })
    .await
    .unwrap();
    assert_eq!(echoed, b"onetwothree");
}

#[anyio::test(timeout = 30)]
async fn a_cancel_scope_drops_the_wrapped_future_at_its_wait() {
    let guard = DropWitness::default();
    let drops = Arc::clone(&guard.in_context);
    let waited = anyio::move_on_after(
        Duration::from_millis(20),
        anyio::compat::tokio(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }),
    )
    .await;
    assert!(waited.is_none(), "the hour-long sleep was not cancelled");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "not dropped in tokio's context"
    );
}

#[anyio::test(timeout = 30)]
async fn a_completed_future_is_dropped_in_the_runtime_context() {
    let guard = DropWitness::default();
    let drops = Arc::clone(&guard.in_context);
    let mut wrapped = std::pin::pin!(anyio::compat::tokio(async move {
        let _guard = guard;
        tokio::task::yield_now().await;
    }));
    (&mut wrapped).await;
    // Dropped when it completed, before the wrapper itself is.
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[anyio::test(backends(smol), timeout = 30)]
async fn under_smol_anyio_code_inside_stays_on_smol_and_tokio_tasks_go_to_the_background() {
    let (library, thread) = anyio::compat::tokio(async {
        // anyio's own operations inside, beside tokio's.
        anyio::sleep(Duration::from_millis(1)).await;
        let library = anyio::current_async_library().unwrap();
        (library, spawned_task_thread().await)
    })
    .await;
    assert_eq!(library, Backend::Smol);
    assert_eq!(thread.as_deref(), Some(BACKGROUND_THREAD));
}

#[anyio::test(backends(tokio), timeout = 30)]
async fn under_tokio_the_wrapper_passes_through() {
    let (library, thread) = anyio::compat::tokio(async {
        let library = anyio::current_async_library().unwrap();
        (library, spawned_task_thread().await)
    })
    .await;
    assert_eq!(library, Backend::Tokio);
    // The test's own runtime ran the task: no background runtime was entered.
    assert_ne!(thread.as_deref(), Some(BACKGROUND_THREAD));
}

#[anyio::test(backends(smol), timeout = 30)]
async fn a_task_group_inside_a_wrapped_future_cancels_its_tokio_children() {
    let guard = DropWitness::default();
    let drops = Arc::clone(&guard.in_context);
    let outcome = anyio::compat::tokio(anyio::task_group(|tg| async move {
        tg.spawn(anyio::compat::tokio(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }));
        anyio::testing::wait_all_tasks_blocked().await;
        tg.cancel();
        Ok::<_, std::io::Error>(())
    }))
    .await;
    assert!(outcome.is_ok());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

/// Counts the drops that happen where a tokio runtime context is entered.
#[derive(Default)]
struct DropWitness {
    in_context: Arc<AtomicUsize>,
}

impl Drop for DropWitness {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            self.in_context.fetch_add(1, Ordering::SeqCst);
        }
    }
}
