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
    /// The runtime that `target` spawns on.
    pub(crate) fn of(target: &SpawnTarget) -> RuntimeKey {
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

/// Names the runtime that runs the calling code for as long as the ticket lives. A
/// [`RuntimeKey`]'s smol form is an executor's address, which a later executor may reuse once
/// the first is freed; a ticket holds a weak reference to the executor, which keeps its
/// address from being reused, so a ticket of an ended runtime never names a live one.
#[derive(Debug)]
pub(crate) struct RuntimeTicket {
    key: RuntimeKey,
    #[cfg(feature = "smol")]
    _executor: Option<std::sync::Weak<async_executor::Executor<'static>>>,
}

impl RuntimeTicket {
    /// The ticket of the runtime that runs the calling code.
    pub(crate) fn current() -> Result<RuntimeTicket, NoEventLoopError> {
        let target = SpawnTarget::current()?;
        Ok(RuntimeTicket {
            key: RuntimeKey::of(&target),
            #[cfg(feature = "smol")]
            _executor: match &target {
                SpawnTarget::Smol(Some(executor)) => Some(std::sync::Arc::downgrade(executor)),
                _ => None,
            },
        })
    }

    /// Whether both tickets name the same runtime.
    pub(crate) fn same_runtime(&self, other: &RuntimeTicket) -> bool {
        self.key == other.key
    }
}

/// A value per live runtime; declare it as a `static`.
#[derive(Debug)]
pub(crate) struct RuntimeLocal<T> {
    /// A slot per runtime that was seen: present once its guard task was spawned, `None` while
    /// it holds no value.
    values: Mutex<Option<HashMap<RuntimeKey, Option<T>>>>,
}

impl<T: Clone + Send + 'static> RuntimeLocal<T> {
    pub(crate) const fn new() -> Self {
        RuntimeLocal {
            values: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<HashMap<RuntimeKey, Option<T>>>> {
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
        self.with_slot(target, |slot| slot.get_or_insert_with(init).clone())
    }

    /// The value of the runtime that runs the calling code, if it has one.
    pub(crate) fn get(&'static self) -> Result<Option<T>, NoEventLoopError> {
        let key = RuntimeKey::of(&SpawnTarget::current()?);
        Ok(self
            .lock()
            .as_ref()
            .and_then(|values| values.get(&key).cloned().flatten()))
    }

    /// The value of the runtime that `target` spawns on, if it has one.
    pub(crate) fn get_in(&'static self, target: &SpawnTarget) -> Option<T> {
        let key = RuntimeKey::of(target);
        self.lock()
            .as_ref()
            .and_then(|values| values.get(&key).cloned().flatten())
    }

    /// Replaces the value of the runtime that runs the calling code (`None`: no value), and
    /// returns the value it had.
    pub(crate) fn replace(&'static self, value: Option<T>) -> Result<Option<T>, NoEventLoopError> {
        let target = SpawnTarget::current()?;
        Ok(self.with_slot(target, |slot| std::mem::replace(slot, value)))
    }

    /// Runs `change` on the slot of the runtime that `target` spawns on. The first time a
    /// runtime is seen, a task holding a guard that removes its slot is spawned on it.
    fn with_slot<R>(
        &'static self,
        target: SpawnTarget,
        change: impl FnOnce(&mut Option<T>) -> R,
    ) -> R {
        let key = RuntimeKey::of(&target);
        let (result, first) = {
            let mut values = self.lock();
            let values = values.get_or_insert_with(HashMap::new);
            let first = !values.contains_key(&key);
            (change(values.entry(key).or_insert(None)), first)
        };
        // The process-wide smol executor never ends (and starting its threads only to park a
        // task there would be waste): its values stay.
        #[cfg(feature = "smol")]
        if key == RuntimeKey::Smol(0) {
            return result;
        }
        if first {
            // Spawned after the lock is let go: a runtime that is shutting down drops the task
            // (and runs the guard's drop, which takes the lock) inside `spawn`.
            let guard = Forget { local: self, key };
            target.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        result
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
