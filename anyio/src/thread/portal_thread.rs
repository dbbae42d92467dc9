//! [`start_blocking_portal`]: a portal with a runtime on a thread of its own.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::portal::{BlockingPortal, blocking_portal};
use crate::runtime::{RunError, Runner};

/// Starts `runner`'s runtime on a new thread, named `<backend>-portal-<n>`, with a blocking
/// portal into it (AnyIO's `start_blocking_portal`): the way for a synchronous program to use
/// async code.
///
/// The returned [`PortalThread`] derefs to the [`BlockingPortal`]. Stopping or dropping it
/// stops the portal and joins the thread (after the calls still running finish; dropping it
/// while panicking cancels them instead).
///
/// # Errors
/// What [`Runner::run`] would return for `runner` (an option of another backend, a backend
/// that is not compiled in), or [`RunError::Build`] when the thread cannot start.
///
/// # Panics
/// A panic of the runtime before it served any call is re-raised here.
///
/// # Examples
/// ```
/// # #[cfg(feature = "tokio")] {
/// use std::time::Duration;
///
/// // A synchronous program with an async task to do.
/// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::tokio())?;
/// let slept = portal
///     .call(async {
///         anyio::sleep(Duration::from_millis(1)).await;
///         "done"
///     })
///     .unwrap();
/// assert_eq!(slept, "done");
/// portal.shut_down(false)?; // or let it drop
/// # }
/// # Ok::<(), anyio::RunError>(())
/// ```
pub fn start_blocking_portal(runner: Runner) -> Result<PortalThread, RunError> {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let backend = runner.backend();
    let name = format!(
        "{backend}-portal-{}",
        STARTED.fetch_add(1, Ordering::Relaxed) + 1
    );
    let (portal_sender, portal_receiver) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            runner
                .run(blocking_portal(|portal| async move {
                    // The starter may be gone (it panicked): then nobody stops the portal.
                    if portal_sender.send(portal.clone()).is_ok() {
                        portal.sleep_until_stopped().await;
                    }
                }))
                .map(|_| ())
        })
        .map_err(|source| RunError::Build { backend, source })?;
    match portal_receiver.recv() {
        Ok(portal) => Ok(PortalThread {
            portal,
            thread: Some(thread),
        }),
        // The runner returned (or panicked) before it opened the portal.
        Err(mpsc::RecvError) => match thread.join() {
            Ok(Err(error)) => Err(error),
            Ok(Ok(())) => unreachable!("a portal thread returns only after its portal opened"),
            Err(payload) => std::panic::resume_unwind(payload),
        },
    }
}

/// A blocking portal with its runtime on a thread of its own; see [`start_blocking_portal`].
///
/// Derefs to the [`BlockingPortal`]; clone that to hand the portal to other threads. The
/// runtime runs until [`shut_down`](Self::shut_down) or until this is dropped. A clean shut-down
/// waits for the calls still running, so cancel (or finish) a call the same thread is waiting
/// for before it shuts the portal down, or pass `cancel_remaining`.
///
/// # Examples
/// ```
/// # #[cfg(feature = "smol")] {
/// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::smol())?;
/// let backend = portal.call_sync(|| anyio::current_async_library().unwrap());
/// assert_eq!(backend, Ok(anyio::Backend::Smol));
/// # }
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct PortalThread {
    portal: BlockingPortal,
    thread: Option<JoinHandle<Result<(), RunError>>>,
}

impl PortalThread {
    /// Stops the portal ([`BlockingPortal::stop`]) and waits for its thread: after the calls
    /// still running have finished, or been cancelled with `cancel_remaining`.
    ///
    /// # Errors
    /// The runtime's [`RunError`], if it failed.
    ///
    /// # Panics
    /// A panic that ended the portal's runtime is re-raised here.
    ///
    /// # Examples
    /// ```
    /// # #[cfg(feature = "tokio")] {
    /// let portal = anyio::from_thread::start_blocking_portal(anyio::Runner::tokio())?;
    /// let forever = portal.start_task_soon(anyio::sleep_forever()).unwrap();
    /// portal.shut_down(true)?; // cancels `forever` instead of waiting for it
    /// assert!(forever.is_finished());
    /// # }
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn shut_down(mut self, cancel_remaining: bool) -> Result<(), RunError> {
        self.stop_and_join(cancel_remaining)
    }

    fn stop_and_join(&mut self, cancel_remaining: bool) -> Result<(), RunError> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.portal.stop(cancel_remaining);
        if thread.thread().id() == std::thread::current().id() {
            // Dropped by a call running on the portal's own thread: it cannot join itself.
            return Ok(());
        }
        match thread.join() {
            Ok(result) => result,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}

impl Deref for PortalThread {
    type Target = BlockingPortal;

    fn deref(&self) -> &BlockingPortal {
        &self.portal
    }
}

impl Drop for PortalThread {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.stop_and_join(panicking)
        }));
        // A drop has nowhere to return an error; a panic is re-raised unless one is unwinding.
        if let Err(payload) = stopped {
            if !panicking {
                std::panic::resume_unwind(payload);
            }
        }
    }
}

impl fmt::Debug for PortalThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalThread")
            .field("portal", &self.portal)
            .field(
                "thread",
                &self.thread.as_ref().map(|thread| thread.thread().name()),
            )
            .finish()
    }
}
