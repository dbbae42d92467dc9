//! [`KillOnCancel`]: runs an operation on a child so that, if the caller is cancelled, the
//! child is killed and reaped before the cancellation goes through (AnyIO's shielded wait in
//! `Process.aclose` and `run_process`). No child outlives a cancelled scope.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::ExitStatus;
use super::child::Child;
use crate::CancelScope;
use crate::cancel::context;

/// The kill-and-wait of a cancelled operation, shielded.
type Cleanup<'a> = Pin<Box<dyn Future<Output = Option<io::Result<ExitStatus>>> + Send + 'a>>;

enum Stage<'a> {
    Working,
    /// The caller was cancelled: the child was sent `SIGKILL`, and this waits for it.
    Reaping(Cleanup<'a>),
    /// The child was reaped; waiting to be dropped.
    Reaped,
}

pin_project! {
    /// `work` (an operation on `child`), unless the caller is cancelled: then the child is
    /// killed, and reaped in a shielded scope, which holds the cancelled scopes from dropping
    /// this future until it is done (DESIGN §4 rule 3).
    ///
    /// Dropped by other means (a `select!`, a timeout outside anyio's scopes), it cannot wait;
    /// the [`Child`]'s own drop kills the child and reaps it in the background then.
    pub(super) struct KillOnCancel<'a, F> {
        child: &'a Child,
        #[pin]
        work: F,
        stage: Stage<'a>,
    }
}

impl<'a, F> KillOnCancel<'a, F> {
    pub(super) fn new(child: &'a Child, work: F) -> Self {
        KillOnCancel {
            child,
            work,
            stage: Stage::Working,
        }
    }
}

impl<'a, F, T> Future for KillOnCancel<'a, F>
where
    F: Future<Output = io::Result<T>>,
{
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.project();
        loop {
            match this.stage {
                Stage::Working => {
                    // Checked before the work is polled: its operations would only suspend in
                    // a cancelled scope, and the scope would drop this future right after.
                    if !context::pending_cancellation(cx.waker()) {
                        return this.work.poll(cx);
                    }
                    // An error means the child is gone already; the wait says how it ended.
                    let _ = this.child.send_signal(libc::SIGKILL);
                    let child: &'a Child = this.child;
                    let reap = CancelScope::new().shield(true).run(child.wait());
                    *this.stage = Stage::Reaping(Box::pin(reap));
                }
                Stage::Reaping(reap) => {
                    if reap.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *this.stage = Stage::Reaped;
                }
                Stage::Reaped => {
                    // The cancelled scope drops this future now, at this suspension.
                    if context::pending_cancellation(cx.waker()) {
                        return Poll::Pending;
                    }
                    // The cancellation went away meanwhile (a shield switched on around this
                    // code): nobody will drop it, so it ends, with the child killed.
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::Interrupted,
                        "the process was killed when the operation was cancelled",
                    )));
                }
            }
        }
    }
}
