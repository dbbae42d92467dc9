//! A `tracing` span per anyio task (feature `tracing`), so that a subscriber shows the tree of
//! tasks and which task each event came from.
//!
//! The span is `task` at the INFO level, target `anyio::task`, with the fields `task.id`,
//! `task.name` and `task.parent` (the parent task's id, 0 for none). It is entered at every
//! poll of the task (and when the task is dropped), and its parent span is the span that was
//! current where the task was spawned: the spawning task's, or a span of the caller's inside
//! it. Without a subscriber that wants it, creating it costs one check of the callsite's
//! interest, and a child task carries nothing but an empty pointer for it.
//!
//! Without the feature, a task has no span and this module only supplies the empty stand-in.

#[cfg(feature = "tracing")]
use std::future::Future;

use super::info::Identity;
#[cfg(feature = "tracing")]
use super::info::TaskInfo;

/// `future`, run inside the task's span.
#[cfg(feature = "tracing")]
pub(crate) fn instrument<F: Future>(
    future: F,
    task: &TaskInfo,
) -> tracing::instrument::Instrumented<F> {
    use tracing::Instrument;
    future.instrument(span_of(task.identity()))
}

#[cfg(feature = "tracing")]
fn span_of(task: &Identity) -> tracing::Span {
    tracing::info_span!(
        target: "anyio::task",
        "task",
        task.id = task.id().as_u64(),
        task.name = task.name(),
        task.parent = task.parent_id().map_or(0, |parent| parent.as_u64()),
    )
}

/// A child task's span, boxed only when a subscriber wants it: spawning many children under no
/// subscriber then moves and stores one null pointer per child instead of a 40-byte span that
/// every poll and the drop would enter for nothing.
#[cfg(feature = "tracing")]
#[derive(Debug)]
pub(crate) struct TaskSpan(Option<Box<tracing::Span>>);

#[cfg(feature = "tracing")]
impl TaskSpan {
    pub(crate) fn new(task: &Identity) -> TaskSpan {
        // A program that never set a subscriber (most of those that do not trace) pays one
        // relaxed load here, not the macro's look at the callsite's interest. The function is
        // hidden from tracing's docs, but tracing's own exported macros expand to calls of it
        // in their users' crates, so it stays for as long as tracing 0.1 does. Scoped
        // subscribers (`set_default`, `with_default`) set it too.
        if !tracing::dispatcher::has_been_set() {
            return TaskSpan(None);
        }
        let span = span_of(task);
        TaskSpan((!span.is_disabled()).then(|| Box::new(span)))
    }

    /// Enters the span, if there is one, until the guard drops.
    #[inline]
    pub(crate) fn enter(&self) -> Option<tracing::span::Entered<'_>> {
        self.0.as_deref().map(tracing::Span::enter)
    }
}

/// Without the `tracing` feature: no span, nothing stored.
#[cfg(not(feature = "tracing"))]
#[derive(Debug)]
pub(crate) struct TaskSpan;

#[cfg(not(feature = "tracing"))]
impl TaskSpan {
    pub(crate) fn new(_task: &Identity) -> TaskSpan {
        TaskSpan
    }

    /// Nothing to enter: the guard is empty.
    #[inline]
    pub(crate) fn enter(&self) -> NotEntered {
        NotEntered
    }
}

/// The guard of a span that does not exist.
#[cfg(not(feature = "tracing"))]
#[derive(Debug)]
pub(crate) struct NotEntered;
