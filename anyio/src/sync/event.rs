//! [`Event`]: a flag that tasks wait for, set once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::shim::{AtomicUsize, Mutex, lock};
use super::waiters::{Key, WaiterList};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};

/// The event is set.
const SET: usize = 1;
/// Somebody waits (or did, and has not noticed the set yet): `set` must take the lock.
const WAITING: usize = 2;

/// A one-shot flag (AnyIO's `Event`): [`wait`](Self::wait) until some task calls
/// [`set`](Self::set). Once set, it stays set, and every wait, past and future, completes.
///
/// An event needs no runtime: it can be created, set and inspected anywhere, including from
/// plain threads, and waited for under any executor. Setting it takes no lock unless somebody
/// waits.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use anyio::sync::Event;
///
/// anyio::run(async {
///     let ready = Arc::new(Event::new());
///     anyio::task_group(|tg| async move {
///         let waiter = Arc::clone(&ready);
///         tg.spawn(async move {
///             waiter.wait().await;
///             println!("go!");
///         });
///         ready.set();
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Event {
    state: AtomicUsize,
    waiters: Mutex<WaiterList<()>>,
}

impl Event {
    /// An event that is not set.
    ///
    /// # Examples
    /// ```
    /// static SHUTDOWN: anyio::sync::Event = anyio::sync::Event::new();
    /// assert!(!SHUTDOWN.is_set());
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new() -> Event {
        Event {
            state: AtomicUsize::new(0),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// An event that is not set.
    #[cfg(anyio_loom)]
    pub fn new() -> Event {
        Event {
            state: AtomicUsize::new(0),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// Sets the event and wakes every waiting task. Setting it again does nothing.
    ///
    /// # Examples
    /// ```
    /// let event = anyio::sync::Event::new();
    /// event.set();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        let previous = self.state.fetch_or(SET, Ordering::AcqRel);
        if previous & SET != 0 || previous & WAITING == 0 {
            return;
        }
        let wakers = lock(&self.waiters).grant(usize::MAX, false);
        wakers.wake();
    }

    /// Whether the event is set.
    ///
    /// # Examples
    /// ```
    /// assert!(!anyio::sync::Event::new().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Waits until the event is set; completes at once, without yielding, if it is set
    /// already (unless the task has used up its cooperative budget).
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait just leaves the line; the event is unchanged. In a
    /// cancelled scope it does not complete, even on a set event (AnyIO: `wait` on a set event
    /// still checkpoints).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let event = anyio::sync::Event::new();
    ///     event.set();
    ///     event.wait().await; // already set: returns at once
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }

    /// A snapshot of the event's state.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Event::new().statistics().tasks_waiting, 0);
    /// ```
    pub fn statistics(&self) -> EventStatistics {
        EventStatistics {
            tasks_waiting: lock(&self.waiters).len(),
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}

/// What [`Event::statistics`] reports.
///
/// # Examples
/// ```
/// let stats = anyio::sync::Event::new().statistics();
/// assert_eq!(stats.tasks_waiting, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventStatistics {
    /// Tasks waiting in [`Event::wait`].
    pub tasks_waiting: usize,
}

/// The future of [`Event::wait`].
///
/// # Cancel safety
/// Cancel safe: see [`Event::wait`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let event = anyio::sync::Event::new();
///     let waiting: anyio::sync::EventWait<'_> = event.wait();
///     event.set();
///     waiting.await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<Key>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let event = self.event;
        let unit = match gate(cx, WaitPoint::Event) {
            Gate::Proceed(unit) => unit,
            Gate::Yield => return Poll::Pending,
            Gate::Cancelled => {
                if let Some(key) = self.key.take() {
                    lock(&event.waiters).remove(key);
                }
                return Poll::Pending;
            }
        };
        if event.is_set() {
            if let Some(key) = self.key.take() {
                lock(&event.waiters).remove(key);
            }
            unit.made_progress();
            return Poll::Ready(());
        }
        let mut waiters = lock(&event.waiters);
        match self.key {
            Some(key) => waiters.update_waker(key, cx.waker()),
            None => {
                // Announce the waiter before the last look at the flag: a `set` either sees
                // `WAITING` and serves the line (after we joined it, as it takes the lock), or
                // happened before, and the look below sees it.
                let previous = event.state.fetch_or(WAITING, Ordering::AcqRel);
                if previous & SET != 0 {
                    unit.made_progress();
                    return Poll::Ready(());
                }
                self.key = Some(waiters.push_back(cx.waker().clone(), ()));
            }
        }
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock(&self.event.waiters).remove(key);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("is_set", &self.event.is_set())
            .finish_non_exhaustive()
    }
}
