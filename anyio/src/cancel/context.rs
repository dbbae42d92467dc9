//! The current scope: a thread-local stack of the scopes being polled right now.
//!
//! Each scope's future pushes a frame for the duration of every poll of its body and pops it
//! after. A scope nested in that body, or a task spawned from it, finds its parent on top of the
//! stack, on any executor and any thread, without the body passing anything down.
//!
//! Frames are lazy: a scope gets a tree node (an `Arc` allocation, and a link into its parent's
//! list of children) only once something needs it: a handle, a nested scope or task that needs
//! a parent, or the body suspending with a deadline or a shield. A scope around a future that
//! completes in its first poll therefore costs no allocation at all.

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use super::node::{CancelKind, ScopeNode};

/// One scope being polled on this thread.
#[derive(Debug)]
pub(crate) struct Frame {
    /// Which waker the scope is polled with (its data pointer): frames pushed by the same
    /// task's poll share it. Code polled with another waker inside a scope's poll (a nested
    /// executor's `block_on`, or a combinator that makes its own wakers) does not wait on the
    /// scope's suspension, so the scope cannot drop it: it is not treated as inside it.
    pub(crate) waker: *const (),
    /// The scope's node, once it has one. Moved in for the poll and back out after, so a poll
    /// costs no reference-count traffic.
    pub(crate) node: Option<Arc<ScopeNode>>,
    /// The scope's settings, used if the node has to be created during this poll.
    pub(crate) deadline: Option<Instant>,
    pub(crate) shield: bool,
    /// The scope's own deadline has already passed (noticed without a node).
    pub(crate) expired: bool,
}

thread_local! {
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    /// What the frames say about a pending cancellation, kept up to date by every change to
    /// `FRAMES` on this thread, so that the check every operation makes is one load of a
    /// thread-local without a destructor (no registration check, no `RefCell` borrow) and
    /// one atomic load.
    static TOP: Cell<Top> = const { Cell::new(FREE) };
}

/// The frames, summarised from the innermost out to the first that decides, for code polled
/// with the innermost frame's waker.
#[derive(Clone, Copy, Debug)]
struct Top {
    /// The innermost frame's waker (see [`Frame::waker`]).
    waker: *const (),
    state: TopState,
}

#[derive(Clone, Copy, Debug)]
enum TopState {
    /// No frame, or a shield without a node first, or frames of another waker: nothing can
    /// cancel the code but its own (unnoticed) deadline.
    Free,
    /// A frame without a node whose deadline has passed.
    Expired,
    /// The nearest frame with a node. Invariant: this node is held by an `Arc` in a frame that
    /// is on this thread's `FRAMES` now (every push, pop and node creation recomputes `TOP`).
    Node(NonNull<ScopeNode>),
}

const FREE: Top = Top {
    waker: std::ptr::null(),
    state: TopState::Free,
};

fn summarize(frames: &[Frame]) -> Top {
    let Some(innermost) = frames.last() else {
        return FREE;
    };
    let waker = innermost.waker;
    let mut state = TopState::Free;
    for frame in frames.iter().rev() {
        if frame.waker != waker {
            break;
        }
        if let Some(node) = &frame.node {
            state = TopState::Node(NonNull::from(&**node));
            break;
        }
        if frame.expired {
            state = TopState::Expired;
            break;
        }
        if frame.shield {
            break;
        }
    }
    Top { waker, state }
}

/// Pops its frame when dropped, so a panicking body leaves the stack as it found it.
#[derive(Debug)]
pub(crate) struct FrameGuard {
    depth: usize,
    finished: bool,
}

/// Pushes `frame` for the duration of one poll.
pub(crate) fn push(frame: Frame) -> FrameGuard {
    push_summarized(frame, summarize)
}

/// [`push`] for a task's root scope, the first frame of its task's poll: its node is known,
/// so the summary is that node, with no walk over the frames below (another task's, or none).
pub(crate) fn push_root(waker: *const (), node: Arc<ScopeNode>) -> FrameGuard {
    // The node stays where it is while its `Arc` moves into the frame, which holds it for as
    // long as the summary names it, as `TOP`'s invariant asks.
    let top = Top {
        waker,
        state: TopState::Node(NonNull::from(&*node)),
    };
    let frame = Frame {
        waker,
        node: Some(node),
        deadline: None,
        shield: false,
        expired: false,
    };
    push_summarized(frame, |_| top)
}

/// Pushes `frame` and sets `TOP` to what `summary` says of the frames with it on top.
#[inline]
fn push_summarized(frame: Frame, summary: impl FnOnce(&[Frame]) -> Top) -> FrameGuard {
    let depth = FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        frames.push(frame);
        TOP.set(summary(&frames));
        frames.len()
    });
    FrameGuard {
        depth,
        finished: false,
    }
}

impl FrameGuard {
    /// Pops the frame and returns it, with the node that a nested scope may have created.
    pub(crate) fn finish(mut self) -> Frame {
        self.finished = true;
        pop(self.depth)
    }
}

impl Drop for FrameGuard {
    fn drop(&mut self) {
        if !self.finished {
            drop(pop(self.depth));
        }
    }
}

fn pop(depth: usize) -> Frame {
    FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        debug_assert_eq!(frames.len(), depth, "scope frames popped out of order");
        let frame = frames
            .pop()
            .expect("a scope frame was pushed for this poll");
        TOP.set(summarize(&frames));
        frame
    })
}

/// Whether any scope is being polled on this thread (so an event loop polls the code).
pub(crate) fn in_scope() -> bool {
    FRAMES.with(|frames| !frames.borrow().is_empty())
}

/// The node of the innermost scope being polled on this thread, created (with its ancestors')
/// if it has none yet. `None` outside every scope.
pub(crate) fn current() -> Option<Arc<ScopeNode>> {
    FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        let node = materialize(&mut frames);
        TOP.set(summarize(&frames));
        node
    })
}

/// [`current`], for an operation polled with `waker`: `None` when the innermost frame belongs
/// to another waker (the operation runs under a combinator's or a nested executor's own waker,
/// and the scope could not drop it at its suspension anyway: see [`Frame::waker`]).
pub(crate) fn current_for(waker: &Waker) -> Option<Arc<ScopeNode>> {
    if TOP.get().waker != waker.data() {
        return None;
    }
    current()
}

/// Gives the top frame a node, linked under the frame below it.
fn materialize(frames: &mut [Frame]) -> Option<Arc<ScopeNode>> {
    let (top, below) = frames.split_last_mut()?;
    if let Some(node) = &top.node {
        if !node.is_entered() {
            // A scope with a handle is entered on its first poll, before its frame is pushed;
            // this only happens if a nested scope asks during that very push.
            node.enter(materialize(below));
        }
        return Some(Arc::clone(node));
    }
    let parent = materialize(below);
    let node = ScopeNode::new(top.deadline, top.shield, false);
    node.enter(parent);
    if top.expired {
        node.cancel(CancelKind::Deadline);
    }
    top.node = Some(Arc::clone(&node));
    Some(node)
}

/// Whether the code being polled is effectively cancelled, without creating any node: walks the
/// frames from the innermost out to the first one that has a node (whose ancestors then answer)
/// or that shields. A lazy frame cannot have been cancelled by anyone but its own deadline,
/// which `now` is asked about only if such a frame has one.
pub(crate) fn cancelled(now: impl Fn() -> Instant) -> bool {
    FRAMES.with(|frames| {
        for frame in frames.borrow().iter().rev() {
            if let Some(node) = &frame.node {
                return node.effectively_cancelled();
            }
            if frame.expired || frame.deadline.is_some_and(|deadline| deadline <= now()) {
                return true;
            }
            if frame.shield {
                return false;
            }
        }
        false
    })
}

/// Whether the code being polled is known to be effectively cancelled, for an operation deciding
/// whether it may complete: like [`cancelled`], but without reading the clock. A deadline that
/// passed unnoticed counts only once its scope has noticed (at the body's next suspension, or
/// before the scope polls its body again: see `Scoped`), which keeps this to one thread-local
/// access and an atomic load per scope node walked.
/// `waker` is the one the operation is polled with: code polled with another waker than the
/// innermost scope's is not inside it (see [`Frame::waker`]).
#[inline]
pub(crate) fn pending_cancellation(waker: &Waker) -> bool {
    let top = TOP.get();
    if top.waker != waker.data() {
        return false;
    }
    match top.state {
        TopState::Free => false,
        TopState::Expired => true,
        // SAFETY: by `TopState::Node`'s invariant the node is kept alive by an `Arc` in a frame
        // on this thread's stack right now: frames leave the stack only in `pop`, which
        // recomputes `TOP` before anything else runs on this thread.
        TopState::Node(node) => unsafe { node.as_ref() }.effectively_cancelled(),
    }
}

/// The scope whose cancellation would cancel the code being polled, for a waiter to leave with
/// the primitive it waits on: whoever hands things over can then pass over a waiter whose
/// cancellation is pending (DESIGN §4 rule 9) with a lock-free look at the tree.
///
/// Creates no node: frames without one can only be cancelled by their own deadline (nobody
/// holds a handle to them), which the waiter itself notices when it is polled. So the walk
/// skips them, and stops with `None` at a shield without a node (nothing outside it can
/// cancel the waiter).
///
/// Only the frames polled with `waker` (the waiter's) count, as for [`pending_cancellation`].
pub(crate) fn waiter_scope(waker: &Waker) -> Option<Arc<ScopeNode>> {
    FRAMES.with(|frames| {
        for frame in frames.borrow().iter().rev() {
            if frame.waker != waker.data() {
                return None;
            }
            if let Some(node) = &frame.node {
                return Some(Arc::clone(node));
            }
            if frame.shield {
                return None;
            }
        }
        None
    })
}
