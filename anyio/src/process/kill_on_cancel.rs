//! [`KillOnCancel`]: runs an operation on a child so that, if the caller is cancelled, the
//! child is killed and reaped before the cancellation goes through (AnyIO's shielded wait in
//! `Process.aclose` and `run_process`). No child outlives a cancelled scope (nor, when it leads
//! a process group of its own, any process left in that group).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::ExitStatus;
use super::child::Child;
use crate::CancelScope;
use crate::cancel::context;
use crate::cancel::node::ScopeNode;

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
    /// killed, and reaped in a shielded scope (DESIGN §4 rule 3).
    ///
    /// From its first poll it holds the scopes around it (as `to_thread::run_sync` does, rule
    /// 5), so that a cancellation is always seen by a poll of this future, never only by the
    /// scope dropping it: one that arrives while the body is being polled (from another
    /// thread, or a deadline passing) would otherwise drop it at once, unseen, and leave the
    /// child to be reaped in the background. Held scopes are polled again when cancelled, so
    /// this future sees the cancellation at once, and lets go when the child is reaped.
    ///
    /// Dropped by other means (a `select!`, a timeout outside anyio's scopes), it cannot wait;
    /// the [`Child`]'s own drop kills the child and reaps it in the background then.
    pub(super) struct KillOnCancel<'a, F> {
        child: &'a Child,
        #[pin]
        work: F,
        stage: Stage<'a>,
        hold: Hold,
    }
}

impl<'a, F> KillOnCancel<'a, F> {
    pub(super) fn new(child: &'a Child, work: F) -> Self {
        KillOnCancel {
            child,
            work,
            stage: Stage::Working,
            hold: Hold(None),
        }
    }
}

/// The hold on the scopes around a [`KillOnCancel`], given back when dropped.
struct Hold(Option<Arc<ScopeNode>>);

impl Hold {
    fn take(&mut self, cx: &Context<'_>) {
        if self.0.is_none() {
            if let Some(node) = context::current_for(cx.waker()) {
                node.hold_self_and_ancestors();
                self.0 = Some(node);
            }
        }
    }

    fn release(&mut self) {
        if let Some(node) = self.0.take() {
            node.release_self_and_ancestors();
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.release();
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
                    // a cancelled scope.
                    if !context::pending_cancellation(cx.waker()) {
                        this.hold.take(cx);
                        let polled = this.work.poll(cx);
                        if polled.is_ready() {
                            this.hold.release();
                        }
                        return polled;
                    }
                    // An error means the child is gone already; the wait says how it ended.
                    let _ = this.child.kill_all();
                    let child: &'a Child = this.child;
                    let reap = CancelScope::new().shield(true).run(child.wait());
                    *this.stage = Stage::Reaping(Box::pin(reap));
                }
                Stage::Reaping(reap) => {
                    if reap.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *this.stage = Stage::Reaped;
                    // The scopes may drop this future now, once they have polled it again
                    // (they do: this release moves their epoch).
                    this.hold.release();
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
