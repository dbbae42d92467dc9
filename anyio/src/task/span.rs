//! A `tracing` span per anyio task (feature `tracing`), so that a subscriber shows the tree of
//! tasks and which task each event came from.
//!
//! The span is `task` at the INFO level, target `anyio::task`, with the fields `task.id`,
//! `task.name` and `task.parent` (the parent task's id, 0 for none). It is entered at every
//! poll of the task (and when the task is dropped), and its parent span is the span that was
//! current where the task was spawned: the spawning task's, or a span of the caller's inside
//! it. Without a subscriber that wants it, creating it costs one check of the callsite's
//! interest.

use std::future::Future;

use super::info::TaskInfo;

/// `future`, run inside the task's span.
pub(crate) fn instrument<F: Future>(
    future: F,
    task: &TaskInfo,
) -> tracing::instrument::Instrumented<F> {
    use tracing::Instrument;
    let span = tracing::info_span!(
        target: "anyio::task",
        "task",
        task.id = task.id().as_u64(),
        task.name = task.name(),
        task.parent = task.parent_id().map_or(0, |parent| parent.as_u64()),
    );
    future.instrument(span)
}
