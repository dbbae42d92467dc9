//! [`TaskGroupFuture`]: runs a task group's body in the group's scope, then waits for the
//! children and decides how the group ends.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::child::Ending;
use super::error::TaskGroupError;
use super::group::{CLOSED, GroupShared, TaskGroup, UNSTARTED};
use super::info;
use super::result::BodyResult;
use crate::backend::wait_point::WaitPoint;
use crate::backend::{self, SpawnTarget};
use crate::cancel::context::{self, Frame};
use crate::cancel::deadline::Deadline;
use crate::cancel::gate::{Gate, gate};
use crate::cancel::node::{CancelKind, ScopeNode, Verdict};

pin_project! {
    /// The future returned by [`task_group`](crate::task_group).
    ///
    /// # Examples
    /// ```
    /// let group: anyio::TaskGroupFuture<_> = anyio::task_group(|_tg| async { Ok::<_, ()>(1) });
    /// assert_eq!(anyio::run(group)?.unwrap(), Some(1));
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TaskGroupFuture<Fut>
    where
        Fut: Future,
        Fut::Output: BodyResult,
    {
        #[pin]
        body: Body<Fut>,
        // The group's node, moved into the frame stack for each poll of the body (so a poll
        // costs no reference counting).
        node: Option<Arc<ScopeNode>>,
        // The body's value, once it returned one.
        value: Option<<Fut::Output as BodyResult>::Ok>,
        // The group's own deadline (set through `cancel_scope()`).
        #[pin]
        timer: Deadline,
        guard: AbortOnDrop<<Fut::Output as BodyResult>::Error>,
    }
}

pin_project! {
    #[project = BodyProj]
    enum Body<F> {
        Running { #[pin] future: F },
        // The body returned or was dropped; the group waits for its children.
        Waiting,
        // The group is over and has completed.
        Done,
        // The group is over, ended by an enclosing scope's cancellation, which drops this
        // future next (unless that cancellation is withdrawn first).
        Abandoned,
    }
}

impl<Fut> TaskGroupFuture<Fut>
where
    Fut: Future,
    Fut::Output: BodyResult,
{
    pub(crate) fn new(future: Fut, guard: AbortOnDrop<<Fut::Output as BodyResult>::Error>) -> Self {
        TaskGroupFuture {
            body: Body::Running { future },
            node: Some(Arc::clone(&guard.shared.node)),
            value: None,
            timer: Deadline::new(),
            guard,
        }
    }
}

/// Aborts the children if the group's future is dropped before it completed.
pub(crate) struct AbortOnDrop<E> {
    pub(crate) shared: Arc<GroupShared<E>>,
}

impl<E> Drop for AbortOnDrop<E> {
    fn drop(&mut self) {
        let shared = &self.shared;
        let previous = shared.live.fetch_or(CLOSED, Ordering::AcqRel);
        shared.lock().listing = None;
        match previous & !(UNSTARTED | CLOSED) {
            live if live > 0 => {
                shared.aborted.store(true, Ordering::Release);
                shared.node.cancel(CancelKind::Explicit);
                // The holds are released by the last child to finish, as always.
                shared.node.exit(false);
            }
            _ => shared.node.exit(false),
        }
    }
}

impl<Fut> Future for TaskGroupFuture<Fut>
where
    Fut: Future,
    Fut::Output: BodyResult,
    <Fut::Output as BodyResult>::Error: Send + 'static,
{
    type Output = Result<
        Option<<Fut::Output as BodyResult>::Ok>,
        TaskGroupError<<Fut::Output as BodyResult>::Error>,
    >;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let shared = &this.guard.shared;
        if shared.live.load(Ordering::Acquire) & UNSTARTED != 0 {
            let _ = shared
                .host
                .set(info::get_current_task().map(|task| task.id()));
            let _ = shared.target.set(SpawnTarget::current());
            let tasks: Arc<dyn info::ListsTasks> = Arc::clone(shared) as _;
            shared.lock().listing = Some(info::list_group(Arc::downgrade(&tasks)));
            shared.node.enter(context::current());
            // A deadline set through `cancel_scope()` before the group started, and already
            // past, cancels it at once, as for any scope.
            if let Some(deadline) = shared.node.deadline() {
                if let Ok(active) = backend::current() {
                    if deadline <= backend::now(active) {
                        shared.node.cancel(CancelKind::Deadline);
                    }
                }
            }
            shared.live.fetch_and(!UNSTARTED, Ordering::AcqRel);
        } else {
            // A deadline that passed since the last poll is noticed before the body runs.
            this.timer.as_mut().notice(&shared.node, cx);
        }

        if let BodyProj::Running { future } = this.body.as_mut().project() {
            let before = shared.node.holds();
            let node_slot = &mut *this.node;
            let guard = context::push(Frame {
                waker: cx.waker().data(),
                node: node_slot.take(),
                deadline: None,
                shield: false,
                expired: false,
            });
            let polled = panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
            *node_slot = guard.finish().node;
            match polled {
                Ok(Poll::Ready(output)) => {
                    this.body.set(Body::Waiting);
                    match output.into_result() {
                        Ok(value) => *this.value = Some(value),
                        Err(error) => shared.body_failed(Ending::Failed(error)),
                    }
                }
                Err(payload) => {
                    this.body.set(Body::Waiting);
                    shared.body_failed(Ending::Panicked(payload));
                }
                Ok(Poll::Pending) => {
                    shared.node.register_waker(cx.waker());
                    this.timer.as_mut().watch_arm(&shared.node, cx);
                    match shared.node.verdict_on_any_cancellation(before) {
                        Verdict::Keep => return Poll::Pending,
                        Verdict::PollAgain => {
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        // The group is cancelled (its own cancel, a failure, or an enclosing
                        // scope): drop the body here, then wait for the children.
                        Verdict::Drop => this.body.set(Body::Waiting),
                    }
                }
            }
        }

        match this.body.as_mut().project() {
            BodyProj::Done => panic!("`anyio::TaskGroupFuture` polled after it completed"),
            BodyProj::Abandoned => {
                // The enclosing scope drops us, unless its cancellation no longer reaches here
                // (a shield was switched on in between): then nobody will, and the group ends
                // as it would have.
                if context::pending_cancellation(cx.waker()) {
                    return Poll::Pending;
                }
                this.body.set(Body::Done);
                return Poll::Ready(Ok(this.value.take()));
            }
            _ => {}
        }

        // Waiting for the children; the group's deadline still applies to them.
        crate::backend::wait_point::note(WaitPoint::TaskGroup);
        shared.node.register_waker(cx.waker());
        this.timer.as_mut().watch_arm(&shared.node, cx);
        if shared.live.load(Ordering::Acquire) & !(UNSTARTED | CLOSED) != 0 {
            return Poll::Pending;
        }
        // The exit is an operation like any other: a cancellation point, and a unit of the
        // task's budget, so that a loop of groups that never suspend stays cancellable and fair.
        let gate = gate(cx, WaitPoint::TaskGroup);
        if let Gate::Yield = gate {
            return Poll::Pending;
        }
        // Close the group, unless a child was spawned just now.
        if shared
            .live
            .compare_exchange(0, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Poll::Pending;
        }
        let (errors, panic) = {
            let mut state = shared.lock();
            state.listing = None;
            (std::mem::take(&mut state.errors), state.panic.take())
        };
        this.body.set(Body::Done);
        if let Some(payload) = panic {
            shared.node.exit(false);
            panic::resume_unwind(payload);
        }
        // Errors beat cancellation.
        if !errors.is_empty() {
            shared.node.exit(false);
            return Poll::Ready(Err(TaskGroupError::new(errors)));
        }
        let unit = match gate {
            Gate::Proceed(unit) => unit,
            // An enclosing scope is cancelled: it takes the cancellation and drops this future
            // with its body, even if the group's own body returned a value.
            Gate::Cancelled | Gate::Yield => {
                this.body.set(Body::Abandoned);
                shared.node.exit(false);
                return Poll::Pending;
            }
        };
        unit.made_progress();
        match this.value.take() {
            Some(value) => {
                shared.node.exit(false);
                Poll::Ready(Ok(Some(value)))
            }
            // The body was dropped by the group's own cancellation (an enclosing one would have
            // stopped us above): the group takes it, as a cancel scope does.
            None => {
                shared.node.exit(true);
                Poll::Ready(Ok(None))
            }
        }
    }
}

impl<Fut> fmt::Debug for TaskGroupFuture<Fut>
where
    Fut: Future,
    Fut::Output: BodyResult,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupFuture")
            .field(
                "group",
                &TaskGroup {
                    shared: Arc::clone(&self.guard.shared),
                },
            )
            .finish()
    }
}
