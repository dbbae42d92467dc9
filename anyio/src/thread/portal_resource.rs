//! An async resource held by a thread through a portal (AnyIO's
//! `BlockingPortal.wrap_async_context_manager`).
//!
//! Rust has no async context managers; an async resource is set up by async code and torn down
//! by async code that must run in the same task (a task group's scope, a connection's close).
//! [`BlockingPortal::wrap_resource`] runs both in one portal task: the task sets the resource up,
//! lends a value to the calling thread with [`ResourceLease::lend`], and waits there until the
//! thread drops its [`PortalResource`] guard; then it tears down.

use std::fmt;
use std::ops::{Deref, DerefMut};

use super::error::CallError;
use super::oneshot;
use super::portal::{BlockingPortal, PortalTask};
use crate::task::TaskStatus;

/// How the thread let go of a [`PortalResource`], for the tear-down code to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Release {
    /// Released normally (dropped, or [`PortalResource::release`]).
    Returned,
    /// Dropped while the thread was panicking (AnyIO's `__aexit__` with an exception).
    Panicking,
    /// The guard vanished without a release (its thread's portal call failed).
    Lost,
}

/// Hands the set-up resource's value to the thread; see [`BlockingPortal::wrap_resource`].
///
/// # Examples
/// See [`BlockingPortal::wrap_resource`].
pub struct ResourceLease<V> {
    status: TaskStatus<(V, oneshot::Sender<Release>)>,
}

impl<V: Send + 'static> ResourceLease<V> {
    /// Lends `value` to the thread and waits until the thread releases it; returns how.
    ///
    /// # Cancel safety
    /// If the portal cancels the task meanwhile, the task is dropped here and its tear-down
    /// does not run (as with any cancelled task: use drop guards for clean-up that must run).
    pub async fn lend(self, value: V) -> Release {
        let (sender, receiver) = oneshot::channel();
        self.status.started((value, sender));
        receiver.await.unwrap_or(Release::Lost)
    }
}

impl<V> fmt::Debug for ResourceLease<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceLease").finish_non_exhaustive()
    }
}

/// A resource held through a portal: derefs to the lent value; dropping it (or
/// [`release`](Self::release)) runs the tear-down in the portal and waits for it.
///
/// # Examples
/// See [`BlockingPortal::wrap_resource`].
pub struct PortalResource<V> {
    value: Option<V>,
    release: Option<oneshot::Sender<Release>>,
    task: Option<PortalTask<()>>,
}

impl BlockingPortal {
    /// Runs `resource` as a portal task that sets a resource up, lends a value to this thread,
    /// and tears the resource down when the returned guard is released (AnyIO's
    /// `wrap_async_context_manager`).
    ///
    /// Release the guard before stopping the portal: a clean stop waits for the task, which
    /// waits for the guard, so stopping (or dropping a
    /// [`PortalThread`](super::from_thread::PortalThread)) on the thread that holds the guard
    /// would wait for ever.
    ///
    /// # Errors
    /// As [`start_task`](Self::start_task): [`CallError::NotStarted`] when the task returned
    /// without lending anything.
    ///
    /// # Panics
    /// A panic in the set-up is re-raised here.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// use std::sync::Arc;
    /// use anyio::from_thread::Release;
    /// use anyio::sync::Event;
    ///
    /// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::tokio())?;
    /// let closed = Arc::new(Event::new());
    /// let closed_in_task = closed.clone();
    /// let connection = portal
    ///     .wrap_resource(move |lease| async move {
    ///         // Set-up (connect, open a task group...), in the portal's event loop.
    ///         let how = lease.lend("connection #1").await;
    ///         // Tear-down, in the same task.
    ///         assert_eq!(how, Release::Returned);
    ///         closed_in_task.set();
    ///     })
    ///     .unwrap();
    /// assert_eq!(*connection, "connection #1");
    /// connection.release().unwrap();
    /// assert!(closed.is_set());
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn wrap_resource<V, S, F>(&self, resource: S) -> Result<PortalResource<V>, CallError>
    where
        V: Send + 'static,
        S: FnOnce(ResourceLease<V>) -> F,
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let (task, (value, release)) =
            self.start_task(move |status| resource(ResourceLease { status }))?;
        Ok(PortalResource {
            value: Some(value),
            release: Some(release),
            task: Some(task),
        })
    }
}

impl<V> PortalResource<V> {
    /// Releases the resource and waits for its tear-down.
    ///
    /// # Errors
    /// As [`PortalTask::wait`] for the tear-down.
    ///
    /// # Panics
    /// A panic in the tear-down is re-raised here.
    pub fn release(mut self) -> Result<(), CallError> {
        self.finish(Release::Returned)
    }

    fn finish(&mut self, how: Release) -> Result<(), CallError> {
        // The value goes first: the tear-down may need what it borrowed from the resource.
        drop(self.value.take());
        if let Some(release) = self.release.take() {
            let _ = release.send(how);
        }
        match self.task.take() {
            Some(task) => task.wait(),
            None => Ok(()),
        }
    }
}

impl<V> Deref for PortalResource<V> {
    type Target = V;

    fn deref(&self) -> &V {
        self.value
            .as_ref()
            .expect("the value is lent until release")
    }
}

impl<V> DerefMut for PortalResource<V> {
    fn deref_mut(&mut self) -> &mut V {
        self.value
            .as_mut()
            .expect("the value is lent until release")
    }
}

impl<V> Drop for PortalResource<V> {
    fn drop(&mut self) {
        let how = if std::thread::panicking() {
            Release::Panicking
        } else {
            Release::Returned
        };
        // Errors have nowhere to go from a drop; `release` returns them.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.finish(how)));
    }
}

impl<V: fmt::Debug> fmt::Debug for PortalResource<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalResource")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}
