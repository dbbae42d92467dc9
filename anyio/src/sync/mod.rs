//! Synchronization primitives for tasks (AnyIO's `anyio` locks, events and semaphores).
//!
//! | Primitive | What it does |
//! |---|---|
//! | [`Event`] | a one-shot flag that tasks wait for |
//! | [`Future`] | a value (or an error) set once, that any number of tasks wait for |
//! | [`Lock`] | a fair lock around a critical section |
//! | [`Mutex`] | a fair lock around a value |
//! | [`Condition`] | a [`Mutex`] whose holders wait to be notified of a change |
//! | [`RwLock`] | a fair lock around a value that many may read or one may write |
//! | [`Semaphore`] | a count of permits, with an optional maximum |
//! | [`CapacityLimiter`] | lends a limited number of tokens, one per borrower |
//! | [`Barrier`] | lets a set number of tasks meet before any goes on |
//! | [`ResourceGuard`] | refuses a second concurrent user with [`BusyResourceError`](crate::BusyResourceError) |
//!
//! They work under any executor (tokio, smol, or another one), need no runtime to be created,
//! and are `Send + Sync` where the data they protect allows.
//!
//! # Fairness
//! Every wait is first come, first served. A released lock or permit goes *directly* to the
//! first task in line: it is that task's before it even runs, so a `try_*` call in between
//! fails instead of taking it, and a task arriving later queues behind. This is AnyIO's
//! behaviour, and what keeps a busy lock from starving a waiter.
//!
//! # Cancellation
//! Every wait is cancel safe. A wait dropped while in line leaves it; a wait dropped after it
//! was handed its lock or permit but before it ran passes them on to the next task in line.
//! Nothing leaks and nothing is lost, whichever moment the drop lands on. Once a wait has
//! returned its guard, the guard holds the lock: anyio's cancellation by drop never takes back
//! what an operation already completed.
//!
//! Every wait is a cancellation point, even one that could complete at once (AnyIO's
//! operations checkpoint before acting): in a cancelled scope a wait takes nothing and
//! suspends, so that the scope drops it there. And a hand-off passes over waiters whose
//! cancellation is pending: a released lock or permit, a notification, goes to the first
//! waiter in line whose scope is *not* cancelled, instead of to a task about to be dropped.
//!
//! The uncontended paths are one atomic operation plus that check (a thread-local load and an
//! atomic load), and do not yield: a lock that is free is taken without suspending. So that a
//! loop of them cannot starve the other tasks of its thread, every completed operation spends
//! a unit of the task's cooperative budget, and the task yields once every 128 of them, as
//! tokio's own primitives do (see [`cancel`](crate::cancel)).
//!
//! # Examples
//! ```
//! use anyio::sync::{Event, Mutex};
//!
//! anyio::run(async {
//!     let log = Mutex::new(Vec::new());
//!     let done = Event::new();
//!     log.lock().await.push("started");
//!     done.set();
//!     done.wait().await;
//!     assert_eq!(*log.lock().await, ["started"]);
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

mod barrier;
mod borrower;
mod capacity_limiter;
mod condition;
mod event;
mod future;
mod lock;
#[cfg(all(test, anyio_loom))]
mod loom_model;
mod mutex;
mod permits;
mod resource_guard;
mod rwlock;
mod semaphore;
pub(crate) mod shim;
pub(crate) mod waiters;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use borrower::Borrower;
pub use capacity_limiter::{
    CapacityAcquire, CapacityLimiter, CapacityLimiterError, CapacityLimiterStatistics,
    CapacityToken, OwnedCapacityAcquire, OwnedCapacityToken,
};
pub use condition::{Condition, ConditionGuard, ConditionLock, ConditionStatistics, ConditionWait};
pub use event::{Event, EventStatistics, EventWait};
pub use future::{Future, FutureError, FutureSetError, FutureStatistics, FutureStatus, FutureWait};
pub use lock::{Lock, LockAcquire, LockGuard};
pub use mutex::{LockStatistics, Mutex, MutexGuard, MutexLock, OwnedMutexGuard, OwnedMutexLock};
pub use resource_guard::{ResourceGuard, ResourceInUse};
pub use rwlock::{
    OwnedRwLockRead, OwnedRwLockReadGuard, OwnedRwLockWrite, OwnedRwLockWriteGuard, RwLock,
    RwLockRead, RwLockReadGuard, RwLockWrite, RwLockWriteGuard,
};
pub use semaphore::{
    OwnedSemaphoreAcquire, OwnedSemaphorePermit, Semaphore, SemaphoreAcquire, SemaphorePermit,
    SemaphoreStatistics, SemaphoreValueError,
};
