//! A `tracing` subscriber that records anyio's log events as text, for tests that check what
//! anyio logs. One is installed for the whole test binary (a process has one global
//! subscriber); tests running at the same time add their events too, so each test looks for
//! its own (by its peer's address, or its own message).

use std::sync::{Mutex, Once};

static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Recorder;

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("anyio::")
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    /// Records "LEVEL target field=value ...".
    fn event(&self, event: &tracing::Event<'_>) {
        let metadata = event.metadata();
        let mut text = format!("{} {} ", metadata.level(), metadata.target());
        event.record(
            &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                text += &format!("{}={value:?} ", field.name());
            },
        );
        EVENTS.lock().unwrap().push(text);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Installs the recording subscriber (once for the whole test binary).
pub fn record_events() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing::subscriber::set_global_default(Recorder).unwrap());
}

/// A copy of the events recorded so far (a copy: a test failing with the lock held would
/// poison it for the others).
pub fn events() -> Vec<String> {
    EVENTS.lock().unwrap().clone()
}
