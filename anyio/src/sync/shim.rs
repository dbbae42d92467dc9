//! The lock and atomics of the primitives: loom's under `--cfg anyio_loom`, so that the model
//! checker explores their interleavings, std's otherwise.

#[cfg(anyio_loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize};
#[cfg(anyio_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(not(anyio_loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize};
#[cfg(not(anyio_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: no code of ours panics while holding a primitive's lock,
/// and a panic elsewhere must not make the primitive unusable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
