//! Helpers for testing async code: [`wait_all_tasks_blocked`], and virtual time.
//!
//! Both need a runtime that keeps track of its tasks: every `#[anyio::test]` runs on one, and
//! [`Runner::track_blocking`](crate::Runner::track_blocking) or
//! [`Runner::virtual_time`](crate::Runner::virtual_time) start one elsewhere.
//!
//! # What "blocked" means
//! A task is *runnable* while it is being polled, and from the moment it is woken until its
//! next poll; otherwise it is *blocked*: waiting on a lock, an event, a stream, a sleep, a
//! socket, a thread or a process. Only the tasks anyio runs are seen: those spawned into task
//! groups (and by anyio's own servers, portals and helpers) and the future given to the runner.
//! Native tasks (`tokio::spawn`, `smol::spawn`), plain threads and the blocking pool are not.
//!
//! A task waiting on a socket counts as blocked until the runtime's reactor has seen its
//! readiness and woken it: data that a peer has sent but the reactor has not yet reported does
//! not make the task runnable. (Trio has the same rule.)
//!
//! # Virtual time
//! Under [`Runner::virtual_time`](crate::Runner::virtual_time), or
//! `#[anyio::test(virtual_time)]`, anyio's clock ([`current_time`](crate::current_time)) stands
//! still while any anyio task is runnable, and when none is, it jumps to the earliest deadline
//! of anyio's timers ([`sleep`](crate::sleep), [`fail_after`](crate::fail_after), a scope's
//! deadline) and fires every timer due by then. A test of an hour-long timeout finishes at once,
//! and timers due at the same moment fire in the order they were armed, so a test sees the
//! same order of events on every backend.
//!
//! - **Threads and processes hold the clock**: while a [`to_thread`](crate::to_thread) call or
//!   a blocking file operation is in flight, the clock does not jump, since its caller waits
//!   for real work to finish, not for time to pass. A thread waiting in
//!   [`from_thread::run`](crate::from_thread::run) for a task of the loop lends its hold
//!   meanwhile: the task it waits on may sleep.
//! - **Sockets do not**: a task waiting on a socket is blocked, so the clock may jump past a
//!   deadline around real I/O before the peer's data arrives (Trio's autojumping clock behaves
//!   the same way). Under virtual time, put deadlines around in-memory streams rather than
//!   sockets.
//! - **Native timers run on real time**: `tokio::time::sleep` and `async_io::Timer` are not
//!   anyio's, and do not see the virtual clock.
//! - **A native `tokio::task::yield_now` is not seen**: tokio defers its wake until after the
//!   task's poll, so the task looks blocked in between and the clock may jump (and
//!   `wait_all_tasks_blocked` return) while it loops. Yield with
//!   [`checkpoint`](crate::lowlevel::checkpoint), which anyio notes. (tokio's cooperative
//!   budget running out, which defers a wake the same way, is seen.)
//!
//! # Examples
//! ```
//! use std::time::Duration;
//!
//! anyio::Runner::from_env()?.virtual_time().run(async {
//!     let start = anyio::current_time();
//!     anyio::sleep(Duration::from_secs(3600)).await; // returns at once
//!     assert_eq!(anyio::current_time() - start, Duration::from_secs(3600));
//! })?;
//! # Ok::<(), anyio::RunError>(())
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::backend::{self, instruments};

/// Waits until every other task anyio runs on this runtime is blocked (AnyIO's and Trio's
/// `wait_all_tasks_blocked`): none is being polled or waiting for its poll. Several tasks may
/// wait at once; they return together.
///
/// The runtime must keep track of its tasks: see the [module docs](self) for which do, and for
/// what counts as blocked.
///
/// # Cancel safety
/// Cancel safe: it holds no state. It yields to the scheduler until the condition holds, so a
/// cancelled scope drops it at once.
///
/// # Panics
/// When first polled on a runtime that does not keep track of its tasks (not started by
/// `#[anyio::test]`, [`Runner::track_blocking`](crate::Runner::track_blocking) or
/// [`Runner::virtual_time`](crate::Runner::virtual_time)), or outside any runtime.
///
/// # Examples
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use anyio::sync::Lock;
///
/// anyio::Runner::from_env()?.track_blocking().run(async {
///     let lock = Arc::new(Lock::new());
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let written = Arc::clone(&log);
///     anyio::task_group(|tg| async move {
///         let held = lock.lock().await;
///         for name in ["first", "second"] {
///             let (lock, log) = (Arc::clone(&lock), Arc::clone(&written));
///             tg.spawn(async move {
///                 let _held = lock.lock().await;
///                 log.lock().unwrap().push(name);
///             });
///             // Now `name` waits on the lock, so the next child queues behind it.
///             anyio::testing::wait_all_tasks_blocked().await;
///         }
///         drop(held);
///     })
///     .await
///     .unwrap();
///     assert_eq!(*log.lock().unwrap(), ["first", "second"]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn wait_all_tasks_blocked() -> WaitAllTasksBlocked {
    WaitAllTasksBlocked { waiting: None }
}

/// The future returned by [`wait_all_tasks_blocked`].
///
/// # Examples
/// ```
/// let waiting: anyio::testing::WaitAllTasksBlocked = anyio::testing::wait_all_tasks_blocked();
/// anyio::Runner::from_env()?.track_blocking().run(waiting)?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct WaitAllTasksBlocked {
    /// The runtime's instruments, and the calling task's place among the waiters.
    waiting: Option<(Arc<instruments::Instruments>, instruments::WaitingGuard)>,
}

impl Future for WaitAllTasksBlocked {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let active = backend::current_or_panic("anyio::testing::wait_all_tasks_blocked");
        let (instruments, guard) = self.waiting.get_or_insert_with(|| {
            let Some(instruments) = instruments::current() else {
                panic!(
                    "anyio::testing::wait_all_tasks_blocked: this runtime does not keep track of \
                     its tasks; run the code under #[anyio::test], or with \
                     Runner::track_blocking() or Runner::virtual_time()"
                );
            };
            // A native task waiting here is not among the runnable tasks it counts.
            let guard = instruments.wait_for_blocked(instruments::current_task(&instruments));
            (instruments, guard)
        });
        if instruments.all_others_blocked(guard) {
            self.waiting = None;
            return Poll::Ready(());
        }
        backend::schedule_yield(active, cx);
        Poll::Pending
    }
}
