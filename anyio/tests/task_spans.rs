//! A `tracing` span per task (feature `tracing`), on every backend.
//!
//! In a test binary of its own: the test installs a scoped subscriber, and tracing keeps its
//! callsites' interest in process-wide state, so tests that make spans on other threads of the
//! same process at the same time (the task-dump tests spawn tasks too) can leave a callsite
//! cached as uninteresting while this test's subscriber is being registered.
#![cfg(feature = "tracing")]

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
