//! [`Borrower`]: who holds a [`CapacityLimiter`](super::CapacityLimiter) token.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::task::TaskId;
use crate::task::info::current_task_id;

/// The holder of a [`CapacityLimiter`](super::CapacityLimiter) token: an anyio task, or a
/// borrower made with [`Borrower::unique`] for work that is not a task of its own (a job on a
/// thread, a connection, a request).
///
/// A limiter lends each borrower at most one token, which is how it catches a task that asks
/// twice. Borrowers are small `Copy` values, compared by identity.
///
/// # Examples
/// ```
/// use anyio::sync::Borrower;
///
/// let job = Borrower::unique();
/// assert_ne!(job, Borrower::unique());
/// anyio::run(async {
///     let me = anyio::get_current_task().unwrap().id();
///     assert_eq!(Borrower::current(), Some(Borrower::from(me)));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Borrower(Kind);

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Task(TaskId),
    Unique(u64),
}

impl Borrower {
    /// The anyio task this is called from, or `None` outside anyio's tasks.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Borrower::current(), None);
    /// ```
    pub fn current() -> Option<Borrower> {
        current_task_id().map(Borrower::from)
    }

    /// A borrower equal to no other: not to any task, nor to any other `unique()` borrower.
    ///
    /// # Examples
    /// ```
    /// let a = anyio::sync::Borrower::unique();
    /// assert_eq!(a, a);
    /// assert_ne!(a, anyio::sync::Borrower::unique());
    /// ```
    pub fn unique() -> Borrower {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Borrower(Kind::Unique(NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    /// The task this borrower stands for, if it stands for a task.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::sync::Borrower::unique().task(), None);
    /// ```
    pub fn task(self) -> Option<TaskId> {
        match self.0 {
            Kind::Task(id) => Some(id),
            Kind::Unique(_) => None,
        }
    }

    /// The current task, or else a unique borrower: what an `acquire` without an explicit
    /// borrower borrows as.
    pub(crate) fn current_or_unique() -> Borrower {
        Borrower::current().unwrap_or_else(Borrower::unique)
    }
}

impl From<TaskId> for Borrower {
    fn from(id: TaskId) -> Borrower {
        Borrower(Kind::Task(id))
    }
}

impl fmt::Debug for Borrower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Task(id) => write!(f, "Borrower(task {id})"),
            Kind::Unique(n) => write!(f, "Borrower(#{n})"),
        }
    }
}

impl fmt::Display for Borrower {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Task(id) => write!(f, "task {id}"),
            Kind::Unique(n) => write!(f, "borrower #{n}"),
        }
    }
}
