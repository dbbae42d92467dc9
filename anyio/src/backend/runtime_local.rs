//! Values that belong to one runtime (AnyIO keeps its default thread limiter in a `RunVar`).
//!
//! A runtime is named by a [`RuntimeKey`]: tokio's runtime id, or the smol executor that anyio's
//! runner publishes on its threads (one shared key for code under a native smol runner, which
//! anyio serves from one process-wide executor). When a value is first stored for a runtime, a
//! task that never finishes is spawned on it holding a guard; runtimes drop their remaining
//! tasks when they shut down, and the guard's drop removes the value. So the table holds only
//! values of runtimes that are alive, under anyio's runner and native runners alike.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use super::SpawnTarget;
use crate::runtime::NoEventLoopError;

/// Which runtime runs the calling code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RuntimeKey {
    #[cfg(feature = "tokio")]
    Tokio(::tokio::runtime::Id),
    /// The address of the executor; 0 for the process-wide one.
    #[cfg(feature = "smol")]
    Smol(usize),
}

impl RuntimeKey {
    fn of(target: &SpawnTarget) -> RuntimeKey {
        match target {
            #[cfg(feature = "tokio")]
            SpawnTarget::Tokio(handle) => RuntimeKey::Tokio(handle.id()),
            #[cfg(feature = "smol")]
            SpawnTarget::Smol(executor) => RuntimeKey::Smol(
                executor
                    .as_ref()
                    .map_or(0, |executor| std::sync::Arc::as_ptr(executor) as usize),
            ),
        }
    }
}

/// A value per live runtime; declare it as a `static`.
#[derive(Debug)]
pub(crate) struct RuntimeLocal<T> {
    values: Mutex<Option<HashMap<RuntimeKey, T>>>,
}

impl<T: Clone + Send + 'static> RuntimeLocal<T> {
    pub(crate) const fn new() -> Self {
        RuntimeLocal {
            values: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<HashMap<RuntimeKey, T>>> {
        // Only map operations run under the lock: it cannot be poisoned mid-update.
        self.values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value of the runtime that runs the calling code, made by `init` if it has none.
    pub(crate) fn get_or_init(
        &'static self,
        init: impl FnOnce() -> T,
    ) -> Result<T, NoEventLoopError> {
        Ok(self.get_or_init_in(SpawnTarget::current()?, init))
    }

    /// The value of the runtime that `target` spawns on, made by `init` if it has none.
    pub(crate) fn get_or_init_in(
        &'static self,
        target: SpawnTarget,
        init: impl FnOnce() -> T,
    ) -> T {
        let key = RuntimeKey::of(&target);
        let value = {
            let mut values = self.lock();
            let values = values.get_or_insert_with(HashMap::new);
            if let Some(value) = values.get(&key) {
                return value.clone();
            }
            let value = init();
            values.insert(key, value.clone());
            value
        };
        // The process-wide smol executor never ends (and starting its threads only to park a
        // task there would be waste): its values stay.
        #[cfg(feature = "smol")]
        if key == RuntimeKey::Smol(0) {
            return value;
        }
        // Spawned after the lock is let go: a runtime that is shutting down drops the task (and
        // runs the guard's drop, which takes the lock) inside `spawn`.
        let guard = Forget { local: self, key };
        target.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        value
    }
}

/// Removes a runtime's value when the runtime drops the task that holds it.
struct Forget<T: 'static> {
    local: &'static RuntimeLocal<T>,
    key: RuntimeKey,
}

impl<T: 'static> Drop for Forget<T> {
    fn drop(&mut self) {
        let mut values = self
            .local
            .values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(values) = values.as_mut() {
            values.remove(&self.key);
        }
    }
}
