//! [`CapacityLimiter`]: a semaphore whose tokens are lent to named borrowers, one each, with a
//! total that can change while tokens are out.
//!
//! Unlike the other primitives this one keeps its whole state under one short lock: it has to
//! know *who* holds each token (to refuse a second borrow and a release without a token), so
//! every borrow and release touches a map anyway. The lock is never held across an await.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::borrower::Borrower;
use super::shim::{Mutex, lock};
use super::waiters::{Key, Removed, Standing, WaiterList, WakeList};
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::{Gate, gate};

/// A token-lending limit on how many borrowers do something at once (AnyIO's
/// `CapacityLimiter`): at most [`total_tokens`](Self::total_tokens) at a time, each borrower
/// holding at most one token.
///
/// - **Borrowers.** [`acquire`](Self::acquire) borrows for the calling anyio task;
///   [`acquire_on_behalf_of`](Self::acquire_on_behalf_of) for any [`Borrower`], such as one
///   made for a job on a thread. Borrowing again while holding (or waiting for) a token is an
///   error, [`CapacityLimiterError::AlreadyBorrowing`], rather than a second token or a
///   deadlock.
/// - **Adjustable.** [`set_total_tokens`](Self::set_total_tokens) changes the total at any
///   time, down to 0 and back up. Lowering it takes no token back: borrowers keep theirs, and
///   new ones wait until enough have been returned. Raising it serves the waiters in order.
/// - **Fair.** Waiters are served first come, first served, and a token freed for the first
///   waiter is reserved for it: a [`try_acquire`](Self::try_acquire) in between fails rather
///   than taking it.
/// - **Release by guard.** A [`CapacityToken`] gives its token back when dropped.
///   [`CapacityToken::forget`] keeps the token out after the guard is gone; then
///   [`release_on_behalf_of`](Self::release_on_behalf_of) gives it back, and errs with
///   [`CapacityLimiterError::NotBorrowing`] for a borrower that holds no token.
///
/// `Send + Sync`. Borrowing a free token does not yield (but once per cooperative budget).
///
/// # Examples
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// use anyio::sync::CapacityLimiter;
///
/// anyio::run(async {
///     let limiter = Arc::new(CapacityLimiter::new(2));
///     let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
///     let (shared, running2, peak2) = (limiter.clone(), running.clone(), peak.clone());
///     anyio::task_group(|tg| async move {
///         for _ in 0..6 {
///             let (limiter, running, peak) = (shared.clone(), running2.clone(), peak2.clone());
///             tg.spawn(async move {
///                 let _token = limiter.acquire().await.unwrap();
///                 peak.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
///                 anyio::lowlevel::checkpoint().await;
///                 running.fetch_sub(1, SeqCst);
///             });
///         }
///     })
///     .await
///     .unwrap();
///     assert!(peak.load(SeqCst) <= 2);
///     assert_eq!(limiter.borrowed_tokens(), 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct CapacityLimiter {
    state: Mutex<State>,
}

/// What a borrower known to the limiter is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holding {
    /// In line for a token.
    Waiting,
    /// Served: a token is reserved for it, but its future has not collected it yet. It
    /// cannot be released by [`CapacityLimiter::release_on_behalf_of`]; the future collects
    /// it (becoming `Token`) or, dropped, gives it back.
    Reserved(u64),
    /// Holds a token (or was handed one and has not yet run). The number tells this loan from
    /// an earlier or later one of the same borrower, so that a guard whose token was already
    /// given back by [`CapacityLimiter::release_on_behalf_of`] cannot give back a newer one.
    Token(u64),
}

#[derive(Debug)]
struct State {
    total: usize,
    /// Tokens lent out, including those reserved for served waiters that have not run yet.
    borrowed: usize,
    borrowers: BTreeMap<Borrower, Holding>,
    waiters: WaiterList<Borrower>,
    next_loan: u64,
}

impl State {
    /// Lends a token to `borrower` (as `Token`, or as `Reserved` for a served waiter),
    /// returning the loan's number.
    fn lend(&mut self, borrower: Borrower, holding: fn(u64) -> Holding) -> u64 {
        self.borrowed += 1;
        self.next_loan += 1;
        self.borrowers.insert(borrower, holding(self.next_loan));
        self.next_loan
    }

    /// Serves the line while tokens are available, passing over waiters whose cancellation is
    /// pending (they leave the line and the borrowers); the wakers are woken after unlocking.
    fn serve(&mut self) -> WakeList {
        let mut woken = WakeList::default();
        while self.borrowed < self.total {
            let borrowers = &mut self.borrowers;
            let Some(&mut borrower) = self.waiters.front_live(|evicted| {
                borrowers.remove(&evicted);
            }) else {
                break;
            };
            self.lend(borrower, Holding::Reserved);
            if let Some(waker) = self.waiters.grant_front() {
                woken.push(waker);
            }
        }
        woken
    }

    /// Takes back `borrower`'s token if it holds loan `loan` (any loan, for `None`).
    fn take_back(&mut self, borrower: Borrower, loan: Option<u64>) -> Result<WakeList, ()> {
        match self.borrowers.get(&borrower) {
            Some(&Holding::Token(held)) if loan.is_none_or(|loan| loan == held) => {
                self.borrowers.remove(&borrower);
                self.borrowed -= 1;
                Ok(self.serve())
            }
            _ => Err(()),
        }
    }

    fn try_lend(&mut self, borrower: Borrower) -> Result<u64, CapacityLimiterError> {
        if self.borrowers.contains_key(&borrower) {
            return Err(CapacityLimiterError::AlreadyBorrowing(borrower));
        }
        // Every change of `borrowed` or `total` serves the line, so while anybody waits no
        // token is free: this check also keeps a newcomer behind the waiters.
        debug_assert!(self.waiters.is_empty() || self.borrowed >= self.total);
        if self.borrowed >= self.total {
            return Err(CapacityLimiterError::WouldBlock);
        }
        Ok(self.lend(borrower, Holding::Token))
    }
}

/// What went wrong when borrowing or giving back a [`CapacityLimiter`] token.
///
/// # Examples
/// ```
/// use anyio::sync::{Borrower, CapacityLimiter, CapacityLimiterError};
///
/// let limiter = CapacityLimiter::new(1);
/// let job = Borrower::unique();
/// let _token = limiter.try_acquire_on_behalf_of(job).unwrap();
/// let again = limiter.try_acquire_on_behalf_of(job).unwrap_err();
/// assert_eq!(again, CapacityLimiterError::AlreadyBorrowing(job));
/// assert!(again.to_string().contains("already holds or waits for a token"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CapacityLimiterError {
    /// The borrower already holds a token of this limiter, or waits for one.
    AlreadyBorrowing(Borrower),
    /// The borrower holds no token of this limiter to give back.
    NotBorrowing(Borrower),
    /// No token is free, or others wait for one (from the `try_*` calls only).
    WouldBlock,
}

impl fmt::Display for CapacityLimiterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapacityLimiterError::AlreadyBorrowing(borrower) => write!(
                f,
                "{borrower} already holds or waits for a token of this capacity limiter"
            ),
            CapacityLimiterError::NotBorrowing(borrower) => write!(
                f,
                "{borrower} holds no token of this capacity limiter to release"
            ),
            CapacityLimiterError::WouldBlock => f.write_str("the operation would block"),
        }
    }
}

impl std::error::Error for CapacityLimiterError {}

/// What [`CapacityLimiter::statistics`] reports.
///
/// # Examples
/// ```
/// let limiter = anyio::sync::CapacityLimiter::new(3);
/// let _token = limiter.try_acquire().unwrap();
/// let stats = limiter.statistics();
/// assert_eq!((stats.borrowed_tokens, stats.total_tokens), (1, 3));
/// assert_eq!(stats.borrowers.len(), 1);
/// assert_eq!(stats.tasks_waiting, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapacityLimiterStatistics {
    /// Tokens lent out (including any reserved for a waiter that has not run yet).
    pub borrowed_tokens: usize,
    /// The limit.
    pub total_tokens: usize,
    /// Who holds the borrowed tokens, in no particular order.
    pub borrowers: Vec<Borrower>,
    /// Borrowers waiting for a token.
    pub tasks_waiting: usize,
}

impl CapacityLimiter {
    /// A limiter lending at most `total_tokens` tokens at a time. Zero is allowed (everyone
    /// waits until the total is raised); `usize::MAX` means no limit.
    ///
    /// # Examples
    /// ```
    /// static DOWNLOADS: anyio::sync::CapacityLimiter = anyio::sync::CapacityLimiter::new(4);
    /// assert_eq!(DOWNLOADS.total_tokens(), 4);
    /// ```
    #[cfg(not(anyio_loom))]
    pub const fn new(total_tokens: usize) -> CapacityLimiter {
        CapacityLimiter {
            state: Mutex::new(State {
                total: total_tokens,
                borrowed: 0,
                borrowers: BTreeMap::new(),
                waiters: WaiterList::new(),
                next_loan: 0,
            }),
        }
    }

    /// A limiter lending at most `total_tokens` tokens at a time.
    #[cfg(anyio_loom)]
    pub fn new(total_tokens: usize) -> CapacityLimiter {
        CapacityLimiter {
            state: Mutex::new(State {
                total: total_tokens,
                borrowed: 0,
                borrowers: BTreeMap::new(),
                waiters: WaiterList::new(),
                next_loan: 0,
            }),
        }
    }

    /// Borrows a token for the calling anyio task, waiting in line if none is free. Outside
    /// anyio's tasks, each call borrows as a new [`Borrower::unique`]. The borrower is fixed
    /// when this is called, not when the future is first polled.
    ///
    /// The future resolves to `Err(`[`CapacityLimiterError::AlreadyBorrowing`]`)` when the
    /// task already holds a token of this limiter or waits for one. Completes at once, without
    /// yielding, when a token is free and nobody waits.
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait leaves the line, and a token reserved for it in the
    /// meantime goes to the next borrower in line. Once this returns, the token is held.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let limiter = anyio::sync::CapacityLimiter::new(1);
    ///     let token = limiter.acquire().await.unwrap();
    ///     assert_eq!(limiter.available_tokens(), 0);
    ///     assert!(limiter.acquire().await.is_err(), "a task borrows once");
    ///     drop(token);
    ///     assert_eq!(limiter.available_tokens(), 1);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn acquire(&self) -> CapacityAcquire<'_> {
        self.acquire_on_behalf_of(Borrower::current_or_unique())
    }

    /// Borrows a token for `borrower`, waiting in line if none is free.
    ///
    /// The future resolves to `Err(`[`CapacityLimiterError::AlreadyBorrowing`]`)` when
    /// `borrower` already holds a token of this limiter or waits for one.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Borrower, CapacityLimiter};
    ///
    /// anyio::run(async {
    ///     let limiter = CapacityLimiter::new(2);
    ///     let (a, b) = (Borrower::unique(), Borrower::unique());
    ///     let _ta = limiter.acquire_on_behalf_of(a).await.unwrap();
    ///     let tb = limiter.acquire_on_behalf_of(b).await.unwrap();
    ///     assert_eq!(tb.borrower(), b);
    ///     assert_eq!(limiter.borrowed_tokens(), 2);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn acquire_on_behalf_of(&self, borrower: Borrower) -> CapacityAcquire<'_> {
        CapacityAcquire {
            inner: Borrowing::new(self, borrower),
        }
    }

    /// Like [`acquire`](Self::acquire), for a limiter in an `Arc`: the token keeps the limiter
    /// alive and can move into a spawned task or a thread.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let limiter = Arc::new(anyio::sync::CapacityLimiter::new(1));
    ///     let token = Arc::clone(&limiter).acquire_owned().await.unwrap();
    ///     std::thread::spawn(move || drop(token)).join().unwrap();
    ///     assert_eq!(limiter.available_tokens(), 1);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> OwnedCapacityAcquire {
        self.acquire_owned_on_behalf_of(Borrower::current_or_unique())
    }

    /// Like [`acquire_on_behalf_of`](Self::acquire_on_behalf_of), for a limiter in an `Arc`.
    ///
    /// # Cancel safety
    /// As [`acquire`](Self::acquire).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use anyio::sync::{Borrower, CapacityLimiter};
    ///
    /// anyio::run(async {
    ///     let limiter = Arc::new(CapacityLimiter::new(1));
    ///     let job = Borrower::unique();
    ///     let token = Arc::clone(&limiter).acquire_owned_on_behalf_of(job).await.unwrap();
    ///     assert_eq!(token.borrower(), job);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn acquire_owned_on_behalf_of(self: Arc<Self>, borrower: Borrower) -> OwnedCapacityAcquire {
        OwnedCapacityAcquire {
            inner: Borrowing::new(self, borrower),
        }
    }

    /// Borrows a token for the calling anyio task if one is free and nobody waits (AnyIO's
    /// `acquire_nowait`).
    ///
    /// # Errors
    /// [`CapacityLimiterError::AlreadyBorrowing`] when the task holds or waits for a token of
    /// this limiter; [`CapacityLimiterError::WouldBlock`] when no token is free or others
    /// wait.
    ///
    /// # Examples
    /// ```
    /// let limiter = anyio::sync::CapacityLimiter::new(1);
    /// let token = limiter.try_acquire().unwrap();
    /// assert!(limiter.try_acquire().is_err());
    /// drop(token);
    /// assert!(limiter.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<CapacityToken<'_>, CapacityLimiterError> {
        self.try_acquire_on_behalf_of(Borrower::current_or_unique())
    }

    /// Borrows a token for `borrower` if one is free and nobody waits.
    ///
    /// # Errors
    /// As [`try_acquire`](Self::try_acquire), for `borrower`.
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Borrower, CapacityLimiter, CapacityLimiterError};
    ///
    /// let limiter = CapacityLimiter::new(1);
    /// let _held = limiter.try_acquire_on_behalf_of(Borrower::unique()).unwrap();
    /// let refused = limiter.try_acquire_on_behalf_of(Borrower::unique()).unwrap_err();
    /// assert_eq!(refused, CapacityLimiterError::WouldBlock);
    /// ```
    pub fn try_acquire_on_behalf_of(
        &self,
        borrower: Borrower,
    ) -> Result<CapacityToken<'_>, CapacityLimiterError> {
        let loan = lock(&self.state).try_lend(borrower)?;
        Ok(CapacityToken {
            limiter: self,
            borrower,
            loan,
        })
    }

    /// Gives back the token `borrower` holds: one kept out by [`CapacityToken::forget`].
    /// (A token whose guard is still alive may be given back too; its guard then does
    /// nothing when dropped.)
    ///
    /// # Errors
    /// [`CapacityLimiterError::NotBorrowing`] when `borrower` holds no token of this limiter
    /// (it never borrowed, gave the token back already, or is still waiting for one, even if
    /// a token is already reserved for a wait that has not run yet).
    ///
    /// # Examples
    /// ```
    /// use anyio::sync::{Borrower, CapacityLimiter, CapacityLimiterError};
    ///
    /// let limiter = CapacityLimiter::new(1);
    /// let job = Borrower::unique();
    /// let borrower = limiter.try_acquire_on_behalf_of(job).unwrap().forget();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// limiter.release_on_behalf_of(borrower).unwrap();
    /// assert_eq!(
    ///     limiter.release_on_behalf_of(job),
    ///     Err(CapacityLimiterError::NotBorrowing(job))
    /// );
    /// ```
    pub fn release_on_behalf_of(&self, borrower: Borrower) -> Result<(), CapacityLimiterError> {
        let woken = lock(&self.state)
            .take_back(borrower, None)
            .map_err(|()| CapacityLimiterError::NotBorrowing(borrower))?;
        woken.wake();
        Ok(())
    }

    /// The most tokens lent at a time.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::CapacityLimiter::new(8).total_tokens(), 8);
    /// ```
    pub fn total_tokens(&self) -> usize {
        lock(&self.state).total
    }

    /// Changes the most tokens lent at a time. Raising it serves waiting borrowers, in order;
    /// lowering it takes back no token already lent, so more than `total` may stay out until
    /// their borrowers give them back.
    ///
    /// # Examples
    /// ```
    /// let limiter = anyio::sync::CapacityLimiter::new(1);
    /// let token = limiter.try_acquire_on_behalf_of(anyio::sync::Borrower::unique()).unwrap();
    /// limiter.set_total_tokens(0);
    /// assert_eq!((limiter.borrowed_tokens(), limiter.available_tokens()), (1, 0));
    /// drop(token);
    /// limiter.set_total_tokens(2);
    /// assert_eq!(limiter.available_tokens(), 2);
    /// ```
    pub fn set_total_tokens(&self, total_tokens: usize) {
        let woken = {
            let mut state = lock(&self.state);
            state.total = total_tokens;
            state.serve()
        };
        woken.wake();
    }

    /// Tokens lent out now (including any reserved for a waiter that has not run yet).
    ///
    /// # Examples
    /// ```
    /// let limiter = anyio::sync::CapacityLimiter::new(2);
    /// let _token = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// ```
    pub fn borrowed_tokens(&self) -> usize {
        lock(&self.state).borrowed
    }

    /// Tokens free to borrow now: the total less those lent, or 0 when more are out than the
    /// total allows (after it was lowered).
    ///
    /// # Examples
    /// ```
    /// let limiter = anyio::sync::CapacityLimiter::new(2);
    /// let _token = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.available_tokens(), 1);
    /// ```
    pub fn available_tokens(&self) -> usize {
        let state = lock(&self.state);
        state.total.saturating_sub(state.borrowed)
    }

    /// A snapshot of the limiter's state.
    ///
    /// # Examples
    /// ```
    /// let limiter = anyio::sync::CapacityLimiter::new(1);
    /// let token = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.statistics().borrowers, [token.borrower()]);
    /// ```
    pub fn statistics(&self) -> CapacityLimiterStatistics {
        let state = lock(&self.state);
        CapacityLimiterStatistics {
            borrowed_tokens: state.borrowed,
            total_tokens: state.total,
            borrowers: state
                .borrowers
                .iter()
                .filter(|(_, holding)| !matches!(holding, Holding::Waiting))
                .map(|(&borrower, _)| borrower)
                .collect(),
            tasks_waiting: state.waiters.len(),
        }
    }

    /// Gives back loan `loan` of `borrower`, unless it was given back already.
    fn release(&self, borrower: Borrower, loan: u64) {
        let woken = lock(&self.state).take_back(borrower, Some(loan));
        if let Ok(woken) = woken {
            woken.wake();
        }
    }
}

impl fmt::Debug for CapacityLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("CapacityLimiter")
            .field("total_tokens", &state.total)
            .field("borrowed_tokens", &state.borrowed)
            .field("tasks_waiting", &state.waiters.len())
            .finish()
    }
}

/// A token borrowed from a [`CapacityLimiter`]; given back when dropped.
///
/// # Examples
/// ```
/// let limiter = anyio::sync::CapacityLimiter::new(1);
/// let token: anyio::sync::CapacityToken<'_> = limiter.try_acquire().unwrap();
/// drop(token);
/// assert_eq!(limiter.borrowed_tokens(), 0);
/// ```
#[must_use = "the token is given back as soon as it is dropped"]
pub struct CapacityToken<'a> {
    limiter: &'a CapacityLimiter,
    borrower: Borrower,
    loan: u64,
}

impl CapacityToken<'_> {
    /// Who holds the token.
    ///
    /// # Examples
    /// ```
    /// let job = anyio::sync::Borrower::unique();
    /// let limiter = anyio::sync::CapacityLimiter::new(1);
    /// assert_eq!(limiter.try_acquire_on_behalf_of(job).unwrap().borrower(), job);
    /// ```
    pub fn borrower(&self) -> Borrower {
        self.borrower
    }

    /// Drops the guard but keeps the token out, returning its borrower, for
    /// [`CapacityLimiter::release_on_behalf_of`] to give back later.
    ///
    /// # Examples
    /// ```
    /// let limiter = anyio::sync::CapacityLimiter::new(1);
    /// let borrower = limiter.try_acquire().unwrap().forget();
    /// assert_eq!(limiter.borrowed_tokens(), 1);
    /// limiter.release_on_behalf_of(borrower).unwrap();
    /// ```
    pub fn forget(self) -> Borrower {
        let borrower = self.borrower;
        std::mem::forget(self);
        borrower
    }
}

impl Drop for CapacityToken<'_> {
    fn drop(&mut self) {
        self.limiter.release(self.borrower, self.loan);
    }
}

impl fmt::Debug for CapacityToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityToken")
            .field("borrower", &self.borrower)
            .finish_non_exhaustive()
    }
}

/// A token borrowed from a [`CapacityLimiter`] in an `Arc`; given back when dropped.
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let limiter = Arc::new(anyio::sync::CapacityLimiter::new(1));
///     let token: anyio::sync::OwnedCapacityToken = Arc::clone(&limiter).acquire_owned().await.unwrap();
///     assert!(Arc::ptr_eq(token.limiter(), &limiter));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "the token is given back as soon as it is dropped"]
pub struct OwnedCapacityToken {
    limiter: Arc<CapacityLimiter>,
    borrower: Borrower,
    loan: u64,
}

impl OwnedCapacityToken {
    /// Who holds the token.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use anyio::sync::{Borrower, CapacityLimiter};
    ///
    /// anyio::run(async {
    ///     let job = Borrower::unique();
    ///     let limiter = Arc::new(CapacityLimiter::new(1));
    ///     assert_eq!(limiter.acquire_owned_on_behalf_of(job).await.unwrap().borrower(), job);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn borrower(&self) -> Borrower {
        self.borrower
    }

    /// The limiter the token was borrowed from.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let limiter = Arc::new(anyio::sync::CapacityLimiter::new(3));
    ///     let token = Arc::clone(&limiter).acquire_owned().await.unwrap();
    ///     assert_eq!(token.limiter().total_tokens(), 3);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn limiter(&self) -> &Arc<CapacityLimiter> {
        &self.limiter
    }
}

impl Drop for OwnedCapacityToken {
    fn drop(&mut self) {
        self.limiter.release(self.borrower, self.loan);
    }
}

impl fmt::Debug for OwnedCapacityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCapacityToken")
            .field("borrower", &self.borrower)
            .finish_non_exhaustive()
    }
}

/// A borrow in progress, shared by the borrowed and owned futures. `L` reaches the limiter.
struct Borrowing<L: Deref<Target = CapacityLimiter>> {
    limiter: Option<L>,
    borrower: Borrower,
    /// Set while in line.
    key: Option<Key>,
}

impl<L: Deref<Target = CapacityLimiter>> Borrowing<L> {
    fn new(limiter: L, borrower: Borrower) -> Self {
        Borrowing {
            limiter: Some(limiter),
            borrower,
            key: None,
        }
    }

    /// Leaves the line; a token reserved for this wait goes to the next borrower in line.
    fn leave(&mut self) {
        let (Some(key), Some(limiter)) = (self.key.take(), &self.limiter) else {
            return;
        };
        let woken = {
            let mut state = lock(&limiter.state);
            match state.waiters.remove(key) {
                Removed::Queued(borrower) => {
                    state.borrowers.remove(&borrower);
                    WakeList::default()
                }
                // Served but never ran: its token goes to the next in line.
                Removed::Granted(borrower) => {
                    state.borrowers.remove(&borrower);
                    state.borrowed -= 1;
                    state.serve()
                }
                // Its entry went with the eviction.
                Removed::Evicted => WakeList::default(),
            }
        };
        woken.wake();
    }

    /// On success, returns the limiter and the loan's number, for the token.
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        future: &str,
    ) -> Poll<Result<(L, u64), CapacityLimiterError>> {
        if self.limiter.is_none() {
            panic!("`{future}` polled after it completed");
        }
        let unit = match gate(cx, WaitPoint::CapacityLimiter) {
            Gate::Proceed(unit) => unit,
            Gate::Yield => return Poll::Pending,
            Gate::Cancelled => {
                self.leave();
                return Poll::Pending;
            }
        };
        let limiter = self.limiter.as_ref().expect("checked above");
        let mut state = lock(&limiter.state);
        if let Some(key) = self.key {
            if state.waiters.standing(key) == Standing::Evicted {
                // Passed over for a cancellation that was withdrawn since: start over.
                state.waiters.remove(key);
                self.key = None;
            }
        }
        let loan = match self.key {
            None => match state.try_lend(self.borrower) {
                Ok(loan) => loan,
                Err(CapacityLimiterError::WouldBlock) => {
                    self.key = Some(state.waiters.push_back(cx.waker().clone(), self.borrower));
                    state.borrowers.insert(self.borrower, Holding::Waiting);
                    return Poll::Pending;
                }
                Err(error) => {
                    drop(state);
                    self.limiter = None;
                    return Poll::Ready(Err(error));
                }
            },
            Some(key) if state.waiters.is_granted(key) => {
                state.waiters.remove(key);
                self.key = None;
                let holding = state.borrowers.get_mut(&self.borrower);
                match holding {
                    Some(holding @ &mut Holding::Reserved(loan)) => {
                        *holding = Holding::Token(loan);
                        loan
                    }
                    other => unreachable!("a served waiter has a reserved token, not {other:?}"),
                }
            }
            Some(key) => {
                state.waiters.update_waker(key, cx.waker());
                return Poll::Pending;
            }
        };
        drop(state);
        let limiter = self.limiter.take().expect("checked above");
        unit.made_progress();
        Poll::Ready(Ok((limiter, loan)))
    }
}

impl<L: Deref<Target = CapacityLimiter>> Drop for Borrowing<L> {
    fn drop(&mut self) {
        self.leave();
    }
}

/// The future of [`CapacityLimiter::acquire`] and
/// [`acquire_on_behalf_of`](CapacityLimiter::acquire_on_behalf_of).
///
/// # Cancel safety
/// Cancel safe: see [`CapacityLimiter::acquire`].
///
/// # Examples
/// ```
/// anyio::run(async {
///     let limiter = anyio::sync::CapacityLimiter::new(1);
///     let waiting: anyio::sync::CapacityAcquire<'_> = limiter.acquire();
///     assert!(waiting.await.is_ok());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct CapacityAcquire<'a> {
    inner: Borrowing<&'a CapacityLimiter>,
}

impl<'a> Future for CapacityAcquire<'a> {
    type Output = Result<CapacityToken<'a>, CapacityLimiterError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let borrower = self.inner.borrower;
        self.inner
            .poll(cx, "anyio::sync::CapacityLimiter::acquire")
            .map_ok(|(limiter, loan)| CapacityToken {
                limiter,
                borrower,
                loan,
            })
    }
}

impl fmt::Debug for CapacityAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapacityAcquire")
            .field("borrower", &self.inner.borrower)
            .finish_non_exhaustive()
    }
}

/// The future of [`CapacityLimiter::acquire_owned`] and
/// [`acquire_owned_on_behalf_of`](CapacityLimiter::acquire_owned_on_behalf_of).
///
/// # Cancel safety
/// Cancel safe: see [`CapacityLimiter::acquire`].
///
/// # Examples
/// ```
/// use std::sync::Arc;
///
/// anyio::run(async {
///     let limiter = Arc::new(anyio::sync::CapacityLimiter::new(1));
///     let waiting: anyio::sync::OwnedCapacityAcquire = limiter.acquire_owned();
///     assert!(waiting.await.is_ok());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct OwnedCapacityAcquire {
    inner: Borrowing<Arc<CapacityLimiter>>,
}

impl Future for OwnedCapacityAcquire {
    type Output = Result<OwnedCapacityToken, CapacityLimiterError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let borrower = self.inner.borrower;
        self.inner
            .poll(cx, "anyio::sync::CapacityLimiter::acquire_owned")
            .map_ok(|(limiter, loan)| OwnedCapacityToken {
                limiter,
                borrower,
                loan,
            })
    }
}

impl fmt::Debug for OwnedCapacityAcquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCapacityAcquire")
            .field("borrower", &self.inner.borrower)
            .finish_non_exhaustive()
    }
}
