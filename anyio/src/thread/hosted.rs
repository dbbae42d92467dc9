//! A future run in an event loop on behalf of a thread: one anyio task whose root scope is a
//! child of the scope its host (the task that started the thread) was in, if it has one, so
//! that cancelling the host cancels the call. Its outcome goes back to the waiting thread.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::error::{CallError, RunFinishedError};
use super::oneshot;
use crate::backend::coop;
use crate::backend::instruments::{Instruments, Lend};
use crate::cancel::context;
use crate::cancel::node::{ScopeNode, Verdict};
use crate::task::{self, TaskId, TaskInfo};

/// How a call ended, for the thread that waits for it.
pub(crate) enum Reply<T> {
    Returned(T),
    Panicked(Box<dyn Any + Send>),
    Cancelled,
}

/// The caller's view of a call's reply: its value, a re-raised panic, or why there is none (a
/// call dropped unfinished was dropped by its runtime shutting down).
pub(crate) fn settle<T>(reply: Result<Reply<T>, oneshot::Closed>) -> Result<T, CallError> {
    match reply {
        Ok(Reply::Returned(value)) => Ok(value),
        Ok(Reply::Panicked(payload)) => panic::resume_unwind(payload),
        Ok(Reply::Cancelled) => Err(CallError::Cancelled),
        Err(oneshot::Closed) => Err(RunFinishedError::new().into()),
    }
}

pin_project! {
    /// The task that runs one call.
    pub(crate) struct Hosted<F: Future> {
        #[pin]
        body: Option<F>,
        root: Option<Arc<ScopeNode>>,
        task: TaskInfo,
        reply: Option<oneshot::Sender<Reply<F::Output>>>,
        registration: Option<task::Registration>,
        // The instruments whose clock the calling thread holds: lent from the first poll
        // until the reply (see `Instruments::lend_hold`).
        clock: Option<Arc<Instruments>>,
        lent: Option<Lend>,
    }

    impl<F: Future> PinnedDrop for Hosted<F> {
        // Dropped unfinished (the runtime shut down): the reply channel closes, which the
        // waiting thread reads as "the run finished".
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.body.is_some() {
                if let Some(root) = this.root.as_ref() {
                    root.exit(true);
                }
            }
        }
    }
}

impl<F: Future> Hosted<F> {
    /// A call of `future` under `host` (the host's scope, if it had one).
    pub(crate) fn new(
        future: F,
        host: Option<Arc<ScopeNode>>,
        parent: Option<TaskId>,
        reply: oneshot::Sender<Reply<F::Output>>,
        clock: Option<Arc<Instruments>>,
    ) -> Self {
        let root = ScopeNode::new(None, false, true);
        root.enter(host);
        let info = TaskInfo::new("anyio::from_thread::run".into(), parent);
        Hosted {
            body: Some(future),
            root: Some(root),
            registration: Some(task::register(&info)),
            task: info,
            reply: Some(reply),
            clock,
            lent: None,
        }
    }
}

impl<F: Future> Future for Hosted<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.body.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        coop::refill();
        if let Some(clock) = this.clock.take() {
            *this.lent = Some(clock.lend_hold());
        }
        let root = this.root.as_ref().expect("a running call has its root");
        let before = root.holds();
        let polled = task::with_current(this.task, || {
            let _root = context::push_root(cx.waker().data(), root);
            panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        });
        let reply = match polled {
            Ok(Poll::Ready(value)) => Reply::Returned(value),
            Err(payload) => Reply::Panicked(payload),
            Ok(Poll::Pending) => {
                root.register_waker(cx.waker());
                match root.verdict(before) {
                    Verdict::Keep => return Poll::Pending,
                    Verdict::PollAgain => {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    Verdict::Drop => Reply::Cancelled,
                }
            }
        };
        let cancelled = matches!(reply, Reply::Cancelled);
        this.body.set(None);
        root.exit(cancelled);
        this.registration.take();
        // The thread works again once it has the reply: its hold is its own again.
        this.lent.take();
        if let Some(sender) = this.reply.take() {
            // A waiter that went away (a portal handle dropped) does not want the value; it is
            // dropped here, in the event loop.
            let _ = sender.send(reply);
        }
        Poll::Ready(())
    }
}
