//! [`ResourceGuard`]: one user at a time, or a [`BusyResourceError`].

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::BusyResourceError;

/// Refuses concurrent use of a resource instead of waiting for it (AnyIO's
/// `ResourceGuard`): a stream that must not be read by two tasks at once guards its reads with
/// one, and the second reader gets a [`BusyResourceError`] naming the action.
///
/// Not a lock: nobody waits, the check is one atomic swap. `Send + Sync`, usable in a
/// `static`.
///
/// # Examples
/// ```
/// use anyio::sync::ResourceGuard;
///
/// let reading = ResourceGuard::new("reading from");
/// let first = reading.enter().unwrap();
/// let error = reading.enter().unwrap_err();
/// assert_eq!(error.to_string(), "another task is already reading from this resource");
/// drop(first);
/// assert!(reading.enter().is_ok());
/// ```
pub struct ResourceGuard {
    action: &'static str,
    busy: AtomicBool,
}

impl ResourceGuard {
    /// A guard for a resource; `action` completes "another task is already ___ this
    /// resource" in the error ("reading from", "writing to", "using").
    ///
    /// # Examples
    /// ```
    /// static SENDING: anyio::sync::ResourceGuard = anyio::sync::ResourceGuard::new("sending to");
    /// assert!(!SENDING.is_busy());
    /// ```
    pub const fn new(action: &'static str) -> ResourceGuard {
        ResourceGuard {
            action,
            busy: AtomicBool::new(false),
        }
    }

    /// Marks the resource as in use until the returned token drops.
    ///
    /// # Errors
    /// [`BusyResourceError`] when the resource is already in use.
    ///
    /// # Examples
    /// ```
    /// let guard = anyio::sync::ResourceGuard::new("using");
    /// let in_use = guard.enter().unwrap();
    /// assert!(guard.is_busy());
    /// drop(in_use);
    /// assert!(!guard.is_busy());
    /// ```
    pub fn enter(&self) -> Result<ResourceInUse<'_>, BusyResourceError> {
        if self.busy.swap(true, Ordering::Acquire) {
            Err(BusyResourceError::new(self.action))
        } else {
            Ok(ResourceInUse { guard: self })
        }
    }

    /// Whether the resource is in use now.
    ///
    /// # Examples
    /// ```
    /// assert!(!anyio::sync::ResourceGuard::new("using").is_busy());
    /// ```
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }
}

impl fmt::Debug for ResourceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceGuard")
            .field("action", &self.action)
            .field("busy", &self.is_busy())
            .finish()
    }
}

/// Proof that a [`ResourceGuard`]'s resource is in use; frees it when dropped.
///
/// # Examples
/// ```
/// let guard = anyio::sync::ResourceGuard::new("using");
/// let in_use: anyio::sync::ResourceInUse<'_> = guard.enter().unwrap();
/// drop(in_use);
/// ```
#[must_use = "the resource is free again as soon as this is dropped"]
pub struct ResourceInUse<'a> {
    guard: &'a ResourceGuard,
}

impl Drop for ResourceInUse<'_> {
    fn drop(&mut self) {
        self.guard.busy.store(false, Ordering::Release);
    }
}

impl fmt::Debug for ResourceInUse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceInUse")
            .field("action", &self.guard.action)
            .finish()
    }
}
