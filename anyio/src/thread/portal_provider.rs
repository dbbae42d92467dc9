//! [`BlockingPortalProvider`]: one portal thread shared by whoever needs it at the time.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use super::portal::BlockingPortal;
use super::portal_thread::{PortalThread, start_blocking_portal};
use crate::runtime::{Backend, RunError, Runner};

/// A reference-counted blocking portal (AnyIO's `BlockingPortalProvider`): the first
/// [`acquire`](Self::acquire) starts a portal thread, later ones share it, and when the last
/// [`PortalLease`] is dropped the portal is stopped and its thread joined. The next `acquire`
/// starts a new one.
///
/// For synchronous libraries that call async code from many threads without owning a
/// runtime. Cheap to clone; clones share the portal.
///
/// # Examples
/// ```
/// # #[cfg(feature = "tokio")] {
/// use anyio::from_thread::BlockingPortalProvider;
///
/// let provider = BlockingPortalProvider::new(anyio::Backend::Tokio);
/// let threads: Vec<_> = (0..3)
///     .map(|n| {
///         let provider = provider.clone();
///         std::thread::spawn(move || {
///             let portal = provider.acquire().unwrap();
///             portal.call(async move { n * 2 }).unwrap()
///         })
///     })
///     .collect();
/// let doubled: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
/// assert_eq!(doubled, [0, 2, 4]);
/// # }
/// ```
#[derive(Clone)]
pub struct BlockingPortalProvider {
    inner: Arc<Inner>,
}

struct Inner {
    runner: Box<dyn Fn() -> Runner + Send + Sync>,
    shared: Mutex<Shared>,
}

#[derive(Default)]
struct Shared {
    running: Option<PortalThread>,
    leases: usize,
}

impl BlockingPortalProvider {
    /// A provider whose portals run `backend` with its default options.
    ///
    /// # Examples
    /// See [`BlockingPortalProvider`].
    pub fn new(backend: Backend) -> Self {
        BlockingPortalProvider::with_runner(move || Runner::new(backend))
    }

    /// A provider whose portals run on the runners `make_runner` builds (one per portal).
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let provider = anyio::from_thread::BlockingPortalProvider::with_runner(|| {
    ///     anyio::Runner::tokio().current_thread()
    /// });
    /// assert_eq!(provider.acquire()?.call(async { 1 }), Ok(1));
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn with_runner(make_runner: impl Fn() -> Runner + Send + Sync + 'static) -> Self {
        BlockingPortalProvider {
            inner: Arc::new(Inner {
                runner: Box::new(make_runner),
                shared: Mutex::new(Shared::default()),
            }),
        }
    }

    /// A lease on the shared portal, starting it if nobody holds one.
    ///
    /// # Errors
    /// The [`RunError`] of a portal that could not start.
    ///
    /// # Examples
    /// See [`BlockingPortalProvider`].
    pub fn acquire(&self) -> Result<PortalLease, RunError> {
        let mut shared = self.inner.lock();
        let portal = match &shared.running {
            Some(running) => BlockingPortal::clone(running),
            None => {
                let running = start_blocking_portal((self.inner.runner)())?;
                let portal = BlockingPortal::clone(&running);
                shared.running = Some(running);
                portal
            }
        };
        shared.leases += 1;
        Ok(PortalLease {
            portal,
            provider: Arc::clone(&self.inner),
        })
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A share of a [`BlockingPortalProvider`]'s portal; derefs to the [`BlockingPortal`]. The
/// last lease dropped stops the portal and joins its thread.
///
/// # Examples
/// ```
/// # #[cfg(feature = "tokio")] {
/// let provider = anyio::from_thread::BlockingPortalProvider::new(anyio::Backend::Tokio);
/// let lease: anyio::from_thread::PortalLease = provider.acquire()?;
/// assert_eq!(lease.call_sync(|| 5), Ok(5));
/// # }
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct PortalLease {
    portal: BlockingPortal,
    provider: Arc<Inner>,
}

impl Deref for PortalLease {
    type Target = BlockingPortal;

    fn deref(&self) -> &BlockingPortal {
        &self.portal
    }
}

impl Drop for PortalLease {
    fn drop(&mut self) {
        let last = {
            let mut shared = self.provider.lock();
            shared.leases -= 1;
            if shared.leases == 0 {
                shared.running.take()
            } else {
                None
            }
        };
        // Stopped and joined outside the lock (the drop of `PortalThread` does both); a new
        // `acquire` meanwhile starts a fresh portal.
        drop(last);
    }
}

impl fmt::Debug for BlockingPortalProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.inner.lock();
        f.debug_struct("BlockingPortalProvider")
            .field("running", &shared.running.is_some())
            .field("leases", &shared.leases)
            .finish()
    }
}

impl fmt::Debug for PortalLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalLease")
            .field("portal", &self.portal)
            .finish()
    }
}
