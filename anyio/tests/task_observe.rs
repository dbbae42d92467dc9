//! Observing tasks: `task::dump()` and `TaskInfo::waiting_on`, on every backend. The span per
//! task (feature `tracing`) is tested in `task_spans.rs`.
#![cfg(feature = "macros")]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{TcpListener, TcpStream};
use anyio::streams::ByteReceiveStream;
use anyio::sync::{Event, Lock};
use anyio::testing::wait_all_tasks_blocked;

/// A name unique to this test's runtime: `cargo test` runs the tests of both backends at once
/// in one process, and the dump shows the tasks of every runtime in it.
fn unique(name: &str) -> String {
    format!("{name}-{}", anyio::get_current_task().unwrap().id())
}

#[anyio::test(timeout = 30)]
async fn the_dump_is_a_tree_of_what_each_task_waits_on() {
    let (server, connection, ticker) = (unique("server"), unique("connection"), unique("ticker"));
    let names = [server.clone(), connection.clone(), ticker.clone()];
    let event = Arc::new(Event::new());
    let (send, receive) = anyio::create_memory_object_stream::<u32>(1);
    let waiter = Arc::clone(&event);
    anyio::task_group(|tg| async move {
        tg.spawn_named(server, async move {
            anyio::task_group(|inner| async move {
                inner.spawn_named(connection, async move {
                    let _ = receive.receive().await;
                });
                waiter.wait().await;
            })
            .await
            .unwrap();
        });
        tg.spawn_named(ticker, anyio::sleep(Duration::from_secs(3600)));
        let [server, connection, ticker] = names;
        let main_id = anyio::get_current_task().unwrap().id();
        wait_all_tasks_blocked().await;
        let dump = anyio::task::dump();
        let text = dump.to_string();
        let line = |name: &str| {
            text.lines()
                .find(|line| line.contains(&format!(" {name}: ")))
                .unwrap_or_else(|| panic!("no line for {name} in\n{text}"))
                .to_owned()
        };
        let main = text
            .lines()
            .find(|line| line.starts_with(&format!("#{main_id} anyio::run: ")))
            .unwrap_or_else(|| panic!("no line for the main task in\n{text}"));
        assert!(main.ends_with(": running"), "{text}");
        assert!(line(&server).starts_with("  #"), "{text}");
        assert!(line(&server).ends_with("waits on an event"), "{text}");
        assert!(line(&connection).starts_with("    #"), "{text}");
        assert!(
            line(&connection).ends_with("waits on a receive on a memory object stream"),
            "{text}"
        );
        assert!(line(&ticker).starts_with("  #"), "{text}");
        assert!(
            line(&ticker).ends_with("waits on a sleep or a deadline"),
            "{text}"
        );
        // Tree order: a task comes before its children, siblings in spawn order.
        let order: Vec<(anyio::TaskId, String)> = dump
            .tasks()
            .map(|task| (task.id(), task.name().to_owned()))
            .collect();
        let position = |name: &str| order.iter().position(|(_, n)| n == name).unwrap();
        let main_position = order.iter().position(|(id, _)| *id == main_id).unwrap();
        assert!(main_position < position(&server));
        assert!(position(&server) < position(&connection));
        assert!(position(&connection) < position(&ticker));
        tg.cancel();
        drop(send);
    })
    .await
    .unwrap();
    event.set();
}

#[anyio::test(timeout = 30)]
async fn a_pending_cancellation_shows_in_the_dump() {
    let release = Arc::new(Event::new());
    let shielded = unique("shielded");
    let pattern = format!(" {shielded}: ");
    anyio::task_group(|tg| async move {
        let waiter = Arc::clone(&release);
        let handle = tg.spawn_named(shielded, async move {
            anyio::CancelScope::new()
                .shield(true)
                .run(waiter.wait())
                .await;
        });
        wait_all_tasks_blocked().await;
        let text = anyio::task::dump().to_string();
        let line = text.lines().find(|line| line.contains(&pattern)).unwrap();
        assert!(line.ends_with("waits on an event"), "{text}");
        handle.cancel();
        let text = anyio::task::dump().to_string();
        let line = text.lines().find(|line| line.contains(&pattern)).unwrap();
        assert!(
            line.ends_with("waits on an event (cancellation pending)"),
            "{text}"
        );
        release.set();
    })
    .await
    .unwrap();
}

#[anyio::test(timeout = 30, worker_threads = 2, threads = 2)]
async fn waiting_on_names_the_operation() {
    let lock = Arc::new(Lock::new());
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let client = TcpStream::connect(address).await.unwrap();
    let holder = Arc::clone(&lock);
    let held = holder.lock().await;
    anyio::task_group(|tg| async move {
        let lock = Arc::clone(&lock);
        let locking = tg.spawn(async move {
            let _held = lock.lock().await;
        });
        let mut listener = listener;
        let accepting = tg.spawn(async move {
            let (mut server, _) = listener.accept().await.unwrap();
            let _ = listener.accept().await;
            let mut buffer = [0; 8];
            let _ = server.receive(&mut buffer).await;
        });
        let threading = tg.spawn(anyio::to_thread::run_sync(|| {
            std::thread::sleep(Duration::from_millis(200));
        }));
        wait_all_tasks_blocked().await;
        assert_eq!(locking.info().waiting_on(), Some("a lock or a semaphore"));
        assert_eq!(accepting.info().waiting_on(), Some("a listener's accept"));
        assert_eq!(threading.info().waiting_on(), Some("a worker thread"));
        assert_eq!(anyio::get_current_task().unwrap().waiting_on(), None);
        drop(client);
        tg.cancel();
    })
    .await
    .unwrap();
    drop(held);
}

#[anyio::test(timeout = 30)]
async fn a_future_that_is_not_anyio_s_is_named_as_such() {
    anyio::task_group(|tg| async move {
        let (_keep, never) = async_channel::bounded::<()>(1);
        let native = tg.spawn(async move {
            let _ = never.recv().await;
        });
        wait_all_tasks_blocked().await;
        assert_eq!(
            native.info().waiting_on(),
            Some("something that is not an anyio operation")
        );
        tg.cancel();
    })
    .await
    .unwrap();
}
