//! Observing tasks: `task::dump()`, `TaskInfo::waiting_on`, and (feature `tracing`) a span per
//! task, on every backend.
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

#[cfg(feature = "tracing")]
mod spans {
    //! A minimal subscriber that records each span's fields and its parent span.

    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Debug, Default)]
    pub(super) struct SpanRecord {
        pub(super) name: String,
        pub(super) task_id: u64,
        pub(super) task_parent: u64,
        pub(super) parent_span: Option<u64>,
    }

    #[derive(Default)]
    pub(super) struct Recorder {
        next: AtomicU64,
        pub(super) spans: Mutex<HashMap<u64, SpanRecord>>,
        stack: Mutex<Vec<u64>>,
        /// The span current at each event: the task's.
        pub(super) events: Mutex<Vec<Option<u64>>>,
    }

    struct Fields<'a>(&'a mut SpanRecord);

    impl Visit for Fields<'_> {
        fn record_u64(&mut self, field: &Field, value: u64) {
            match field.name() {
                "task.id" => self.0.task_id = value,
                "task.parent" => self.0.task_parent = value,
                _ => {}
            }
        }

        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "task.name" {
                self.0.name = value.to_owned();
            }
        }

        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "task.name" {
                self.0.name = format!("{value:?}");
            }
        }
    }

    /// The subscriber: shares its records with the test.
    pub(super) struct Shared(pub(super) Arc<Recorder>);

    impl std::ops::Deref for Shared {
        type Target = Recorder;

        fn deref(&self) -> &Recorder {
            &self.0
        }
    }

    impl Subscriber for Shared {
        fn enabled(&self, _metadata: &Metadata<'_>) -> bool {
            true
        }

        fn new_span(&self, attributes: &Attributes<'_>) -> Id {
            let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
            let mut record = SpanRecord::default();
            attributes.record(&mut Fields(&mut record));
            record.parent_span = if attributes.is_contextual() {
                self.stack.lock().unwrap().last().copied()
            } else {
                attributes.parent().map(Id::into_u64)
            };
            self.spans.lock().unwrap().insert(id, record);
            Id::from_u64(id)
        }

        fn record(&self, _span: &Id, _values: &Record<'_>) {}

        fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

        fn event(&self, _event: &Event<'_>) {
            let current = self.stack.lock().unwrap().last().copied();
            self.events.lock().unwrap().push(current);
        }

        fn enter(&self, span: &Id) {
            self.stack.lock().unwrap().push(span.into_u64());
        }

        fn exit(&self, span: &Id) {
            let mut stack = self.stack.lock().unwrap();
            if let Some(position) = stack.iter().rposition(|id| *id == span.into_u64()) {
                stack.remove(position);
            }
        }
    }
}

#[cfg(feature = "tracing")]
#[test]
fn each_task_runs_in_a_span_under_its_parent_s() {
    use std::sync::Arc;

    for backend in anyio::Backend::available() {
        let recorder = Arc::new(spans::Recorder::default());
        let _default = tracing::subscriber::set_default(spans::Shared(Arc::clone(&recorder)));
        let runner = match backend {
            anyio::Backend::Smol => anyio::Runner::new(backend).threads(1),
            _ => anyio::Runner::new(backend).current_thread(),
        };
        let (parent_id, child_id) = runner
            .run(async {
                let parent = anyio::get_current_task().unwrap().id().as_u64();
                let child = anyio::task_group(|tg| async move {
                    let handle = tg.spawn_named("worker", async {
                        tracing::info!("inside the worker");
                        Ok::<_, ()>(anyio::get_current_task().unwrap().id().as_u64())
                    });
                    handle.await.map_err(|_| ())
                })
                .await
                .unwrap()
                .unwrap();
                (parent, child)
            })
            .unwrap();
        let spans = recorder.spans.lock().unwrap().clone();
        let (worker_span, worker) = spans
            .iter()
            .find(|(_, record)| record.name == "worker")
            .unwrap_or_else(|| panic!("{backend}: no span for the worker: {spans:?}"));
        assert_eq!(worker.task_id, child_id, "{backend}");
        assert_eq!(worker.task_parent, parent_id, "{backend}");
        let parent_span = worker.parent_span.expect("the worker's span has a parent");
        let main = &spans[&parent_span];
        assert_eq!(main.name, "anyio::run", "{backend}");
        assert_eq!(main.task_id, parent_id, "{backend}");
        // The worker's event was recorded inside the worker's span.
        let events = recorder.events.lock().unwrap().clone();
        assert!(
            events.contains(&Some(*worker_span)),
            "{backend}: {events:?}"
        );
    }
}
