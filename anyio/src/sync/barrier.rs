//! [`Barrier`]: tasks wait until a set number of them have arrived.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::shim::{Mutex, lock};
use super::waiters::{Key, WaiterList};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};

/// Lets `n` tasks meet: each [`wait`](Self::wait) returns once `n` waits are in progress, and
/// the barrier then starts over for the next round. Not in AnyIO; tokio users know it.
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use anyio::sync::Barrier;
///
/// anyio::run(async {
///     let barrier = Arc::new(Barrier::new(3));
///     anyio::task_group(|tg| async move {
///         for _ in 0..3 {
///             let barrier = Arc::clone(&barrier);
///             tg.spawn(async move {
///                 let arrival = barrier.wait().await;
///                 // Exactly one of the three is told it is the leader.
///                 if arrival.is_leader() {
///                     println!("everybody is here");
///                 }
///             });
///         }
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Barrier {
    parties: usize,
    line: Mutex<WaiterList<()>>,
}

impl Barrier {
    /// A barrier for `parties` tasks. A barrier for 0 or 1 task lets every wait through.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Barrier::new(4).parties(), 4);
    /// ```
    pub fn new(parties: usize) -> Barrier {
        Barrier {
            parties,
            line: Mutex::new(WaiterList::new()),
        }
    }

    /// How many tasks each round waits for.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Barrier::new(2).parties(), 2);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Waits until `parties` tasks are waiting; the last to arrive is the leader, and returns
    /// at once.
    ///
    /// # Cancel safety
    /// Cancel safe: a wait dropped before the round completes no longer counts as arrived.
    /// Once the round has completed, it stays completed for everyone in it.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let barrier = anyio::sync::Barrier::new(1);
    ///     assert!(barrier.wait().await.is_leader());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
        }
    }

    /// How many tasks wait for the current round to complete.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Barrier::new(2).tasks_waiting(), 0);
    /// ```
    pub fn tasks_waiting(&self) -> usize {
        lock(&self.line).len()
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("tasks_waiting", &self.tasks_waiting())
            .finish()
    }
}

/// What a completed [`Barrier::wait`] tells its task.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let arrival: anyio::sync::BarrierWaitResult = anyio::sync::Barrier::new(1).wait().await;
///     assert!(arrival.is_leader());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this task arrived last and completed the round (one per round).
    ///
    /// # Examples
    /// See [`Barrier`].
    /// ```
    /// anyio::run(async {
    ///     assert!(anyio::sync::Barrier::new(0).wait().await.is_leader());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

/// The future of [`Barrier::wait`].
///
/// # Cancel safety
/// Cancel safe: see [`Barrier::wait`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let barrier = anyio::sync::Barrier::new(1);
///     let waiting: anyio::sync::BarrierWait<'_> = barrier.wait();
///     waiting.await;
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<Key>,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let barrier = self.barrier;
        let unit = match gate(cx, WaitPoint::Barrier) {
            Gate::Proceed(unit) => unit,
            Gate::Yield => return Poll::Pending,
            Gate::Cancelled => {
                // A cancelled wait leaves the line; if polled again uncancelled, it arrives anew.
                if let Some(key) = self.key.take() {
                    lock(&barrier.line).remove(key);
                }
                return Poll::Pending;
            }
        };
        let mut line = lock(&barrier.line);
        match self.key {
            Some(key) if line.is_granted(key) => {
                line.remove(key);
                self.key = None;
                unit.made_progress();
                Poll::Ready(BarrierWaitResult { leader: false })
            }
            Some(key) => {
                line.update_waker(key, cx.waker());
                Poll::Pending
            }
            None if line.len() + 1 >= barrier.parties => {
                // The last to arrive: release the round, and lead it.
                let wakers = line.grant(usize::MAX, false);
                drop(line);
                wakers.wake();
                unit.made_progress();
                Poll::Ready(BarrierWaitResult { leader: true })
            }
            None => {
                self.key = Some(line.push_back(cx.waker().clone(), ()));
                Poll::Pending
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock(&self.barrier.line).remove(key);
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("arrived", &self.key.is_some())
            .finish()
    }
}
