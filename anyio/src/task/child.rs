//! The future that runs one child of a task group as a runtime task.
//!
//! It plays the part of a cancel scope for the whole task (the task's *root* scope, a child of
//! the group's scope), catches the child's panic so that the group can re-raise it after the
//! siblings have finished, and reports the outcome to the group, the handle, or a waiting
//! `start()`.

use std::any::Any;
use std::future::Future;
use std::num::NonZeroU32;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::group::GroupShared;
use super::handle::{Outcome, TaskRoot};
use super::info;
use super::result::TaskResult;
use super::span::TaskSpan;
use super::start::StartShared;
use crate::backend::coop;
use crate::cancel::context;
use crate::cancel::node::{ScopeNode, Verdict};
use crate::slab;

/// How a child ended, for the group.
pub(crate) enum Ending<E> {
    Returned,
    Failed(E),
    Panicked(Box<dyn Any + Send>),
    Cancelled,
}

pin_project! {
    pub(crate) struct ChildTask<F, R: TaskResult<E>, E>
    where
        R::Ok: Send,
        R::Ok: 'static,
    {
        #[pin]
        body: Body<F>,
        group: Arc<GroupShared<E>>,
        // The child's root scope, which also carries its identity and the state it shares
        // with its handle: one reference serves all three.
        root: Arc<TaskRoot<R::Ok>>,
        // Boxed (a thin pointer): only children started with `TaskGroup::start` have one.
        start: Option<Box<Arc<dyn StartShared<E>>>>,
        // The child's key in its group's list (see `Slab::insert_keyed`), once it has
        // suspended. Four bytes, with the `start` box above, to keep the runtime's task small.
        slot: Option<NonZeroU32>,
        // Its tracing span, entered for every poll and for the drop of the body.
        span: TaskSpan,
    }

    impl<F, R: TaskResult<E>, E> PinnedDrop for ChildTask<F, R, E>
    where
        R::Ok: Send,
        R::Ok: 'static,
    {
        // A runtime that shuts down (or any executor dropping the task) ends a child without a
        // last poll; it still reports, so that nothing waits for it forever.
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let Body::Running { .. } = *this.body {
                let _entered = this.span.enter();
                this.body.set(Body::Done);
                this.root.extra.finish(Outcome::Cancelled);
                exit_root(&**this.root, this.slot.is_some(), true);
                let start = this.start.take().map(|start| *start);
                finish(this.group, slot_index(this.slot.take()), start, Ending::Cancelled);
            }
        }
    }
}

/// Exits a child's root scope; `suspended`: whether the child ever suspended (and so
/// registered its waker there and listed itself in its group).
fn exit_root(root: &ScopeNode, suspended: bool, caught: bool) {
    if suspended {
        root.exit(caught);
    } else {
        root.exit_unsuspended(caught);
    }
}

/// A child's slot in its group's list, as the group indexes it.
fn slot_index(slot: Option<NonZeroU32>) -> Option<usize> {
    slot.map(slab::index_of)
}

/// Hands a child's ending to the caller of `start()` (before `started()`) or to its group.
fn finish<E>(
    group: &GroupShared<E>,
    slot: Option<usize>,
    start: Option<Arc<dyn StartShared<E>>>,
    ending: Ending<E>,
) {
    match start {
        Some(start) if !start.is_started() => {
            start.child_ended(ending);
            group.child_done(slot, Ending::Returned);
        }
        _ => group.child_done(slot, ending),
    }
}

pin_project! {
    #[project = BodyProj]
    enum Body<F> {
        Running { #[pin] future: F },
        Done,
    }
}

impl<F, R, E> ChildTask<F, R, E>
where
    F: Future<Output = R>,
    R: TaskResult<E>,
    R::Ok: Send + 'static,
{
    #[inline]
    pub(crate) fn new(
        future: F,
        group: Arc<GroupShared<E>>,
        root: Arc<TaskRoot<R::Ok>>,
        start: Option<Arc<dyn StartShared<E>>>,
    ) -> Self {
        let span = TaskSpan::new(root.extra.identity());
        ChildTask {
            span,
            body: Body::Running { future },
            group,
            root,
            start: start.map(Box::new),
            slot: None,
        }
    }
}

impl<F, R, E> Future for ChildTask<F, R, E>
where
    F: Future<Output = R>,
    R: TaskResult<E>,
    R::Ok: Send + 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let BodyProj::Running { future } = this.body.as_mut().project() else {
            return Poll::Ready(());
        };
        // The task's own cooperative budget (smol; tokio refills its own).
        coop::refill();
        let shared: &Arc<TaskRoot<R::Ok>> = this.root;
        let root: &ScopeNode = &**shared;
        let before = root.holds();
        let polled = info::with_current(shared, || {
            let _root = context::push_root(cx.waker().data(), shared);
            panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        });
        let ending = match polled {
            Ok(Poll::Ready(output)) => match output.into_result() {
                Ok(value) => {
                    shared.extra.finish(Outcome::Finished(value));
                    Ending::Returned
                }
                Err(error) => {
                    shared.extra.finish(Outcome::Failed);
                    Ending::Failed(error)
                }
            },
            Err(payload) => {
                shared.extra.finish(Outcome::Panicked);
                Ending::Panicked(payload)
            }
            Ok(Poll::Pending) => {
                root.register_waker(cx.waker());
                if this.slot.is_none() {
                    // Listed before the cancellation check below: a cancellation of the group
                    // either finds this child in the list, or is seen by the check.
                    *this.slot = Some(this.group.list_child(shared));
                }
                if !this.group.is_aborted() {
                    match root.verdict(before) {
                        Verdict::Keep => return Poll::Pending,
                        Verdict::PollAgain => {
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        Verdict::Drop => {}
                    }
                }
                shared.extra.finish(Outcome::Cancelled);
                Ending::Cancelled
            }
        };
        // The body goes first (it may hold scopes of this task), then the root scope.
        this.body.set(Body::Done);
        exit_root(
            root,
            this.slot.is_some(),
            matches!(ending, Ending::Cancelled),
        );
        let start = this.start.take().map(|start| *start);
        finish(this.group, slot_index(this.slot.take()), start, ending);
        Poll::Ready(())
    }
}
