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
//!
//! A task's root scope is not a frame: it always has a node, and every poll of every task
//! enters it, so it sits in a cell of its own ([`push_root`]) that a poll sets and puts back
//! without touching the stack. Walks over the frames end at it.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use super::node::{self, CancelKind, NodeExtra, ScopeNode};

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
    /// The cancel epoch (see `node::cancel_epoch`) at which the node that `TOP` names was last
    /// found not cancelled, or [`UNKNOWN`]: while the epoch stays there, it still is not. Reset
    /// by every change of `TOP` ([`set_top`]).
    static CLEAR_AT: Cell<u64> = const { Cell::new(UNKNOWN) };
    /// The root scope of the task being polled on this thread, if an anyio task is.
    static ROOT: Cell<Root> = const { Cell::new(NO_ROOT) };
}

/// A task's root scope as the task's future holds it: an `Arc` of a node, whatever the node
/// carries beside the scope state (a child's handle state and identity).
pub(crate) trait RootScope: Sync {
    /// The node.
    fn scope(&self) -> &ScopeNode;

    /// A new reference to the node, for a nested scope's parent link or a waiter.
    fn share(&self) -> Arc<ScopeNode>;
}

impl<X: NodeExtra> RootScope for Arc<ScopeNode<X>> {
    fn scope(&self) -> &ScopeNode {
        &**self
    }

    fn share(&self) -> Arc<ScopeNode> {
        Arc::clone(self) as Arc<ScopeNode>
    }
}

impl RootScope for Arc<ScopeNode> {
    fn scope(&self) -> &ScopeNode {
        self
    }

    fn share(&self) -> Arc<ScopeNode> {
        Arc::clone(self)
    }
}

/// The root scope of the task being polled, set for the length of its poll by [`push_root`].
#[derive(Clone, Copy, Debug)]
struct Root {
    /// The root, borrowed from the task's future for the length of its poll. Invariant: while
    /// this is set, what it points to is alive and not moved (the [`RootGuard`] that set it
    /// borrows it and puts the previous root back when dropped).
    node: Option<NonNull<dyn RootScope>>,
    /// The waker the task is polled with (see [`Frame::waker`]).
    waker: *const (),
    /// How many frames were on the stack when the task's poll began: those belong to the
    /// polls around it (a nested executor's caller), and walks end at the root before them.
    depth: usize,
}

const NO_ROOT: Root = Root {
    node: None,
    waker: std::ptr::null(),
    depth: 0,
};

impl Root {
    /// The root.
    fn get(&self) -> Option<&dyn RootScope> {
        // SAFETY: by `Root::node`'s invariant the root is alive and in place while `ROOT`
        // holds this root, and callers use the reference before anything can change `ROOT`.
        self.node.map(|node| unsafe { node.as_ref() })
    }

    /// The root's node.
    fn node(&self) -> Option<&ScopeNode> {
        self.get().map(RootScope::scope)
    }

    /// The frames of the task's own poll (all of them when no task is being polled).
    fn own<'f>(&self, frames: &'f [Frame]) -> &'f [Frame] {
        &frames[self.depth.min(frames.len())..]
    }

    fn own_mut<'f>(&self, frames: &'f mut [Frame]) -> &'f mut [Frame] {
        let start = self.depth.min(frames.len());
        &mut frames[start..]
    }
}

/// The frames, summarised from the innermost out to the first that decides (the task's root
/// scope, under them all, decides when none does), for code polled with the innermost frame's
/// waker.
#[derive(Clone, Copy, Debug)]
struct Top {
    /// The innermost frame's waker (see [`Frame::waker`]).
    waker: *const (),
    state: TopState,
    /// How many frames are on the stack.
    frames: usize,
}

/// `CLEAR_AT` before the node of `TOP` was looked at.
const UNKNOWN: u64 = u64::MAX;

#[derive(Clone, Copy, Debug)]
enum TopState {
    /// No frame, or a shield without a node first, or frames of another waker: nothing can
    /// cancel the code but its own (unnoticed) deadline.
    Free,
    /// A frame without a node whose deadline has passed.
    Expired,
    /// The nearest frame with a node, or the task's root. Invariant: this node is held by an
    /// `Arc` in a frame that is on this thread's `FRAMES` now, or by the root in `ROOT` (every
    /// push, pop and node creation recomputes `TOP`, and a root's guard puts back the `TOP` of
    /// the frames below it when it puts back their root).
    Node(NonNull<ScopeNode>),
}

const FREE: Top = Top {
    waker: std::ptr::null(),
    state: TopState::Free,
    frames: 0,
};

/// Sets `TOP`, forgetting what was known of its node.
#[inline]
fn set_top(top: Top) {
    TOP.set(top);
    CLEAR_AT.set(UNKNOWN);
}

fn summarize(frames: &[Frame]) -> Top {
    let root = ROOT.get();
    let own = root.own(frames);
    let Some(innermost) = own.last() else {
        return match root.node() {
            Some(node) => Top {
                waker: root.waker,
                state: TopState::Node(NonNull::from(node)),
                frames: frames.len(),
            },
            None => Top {
                frames: frames.len(),
                ..FREE
            },
        };
    };
    let waker = innermost.waker;
    let mut state = None;
    for frame in own.iter().rev() {
        if frame.waker != waker {
            state = Some(TopState::Free);
            break;
        }
        if let Some(node) = &frame.node {
            state = Some(TopState::Node(NonNull::from(&**node)));
            break;
        }
        if frame.expired {
            state = Some(TopState::Expired);
            break;
        }
        if frame.shield {
            state = Some(TopState::Free);
            break;
        }
    }
    // No frame decided: the task's root does, if the frames are the task's own.
    let state = state.unwrap_or_else(|| match root.node() {
        Some(node) if root.waker == waker => TopState::Node(NonNull::from(node)),
        _ => TopState::Free,
    });
    Top {
        waker,
        state,
        frames: frames.len(),
    }
}

/// Pops its frame when dropped, so a panicking body leaves the stack as it found it.
#[derive(Debug)]
pub(crate) struct FrameGuard {
    depth: usize,
    finished: bool,
}

/// Pushes `frame` for the duration of one poll.
pub(crate) fn push(frame: Frame) -> FrameGuard {
    let depth = FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        frames.push(frame);
        set_top(summarize(&frames));
        frames.len()
    });
    FrameGuard {
        depth,
        finished: false,
    }
}

/// Makes `node` the root scope of the code polled until the guard drops: one poll of a task
/// (polled with `waker`). The frames on the stack now belong to the polls around this one
/// (another task's, or none), so walks end at the root before them. Nothing is pushed and
/// nothing moves: the root is lent by reference, and the guard puts back what was there.
#[inline]
pub(crate) fn push_root<'a>(
    waker: *const (),
    root: &'a (dyn RootScope + 'static),
) -> RootGuard<'a> {
    let top = TOP.get();
    let previous_root = ROOT.replace(Root {
        node: Some(NonNull::from(root)),
        waker,
        depth: top.frames,
    });
    set_top(Top {
        waker,
        state: TopState::Node(NonNull::from(root.scope())),
        frames: top.frames,
    });
    RootGuard {
        previous_root,
        previous_top: top,
        _root: PhantomData,
    }
}

/// Puts back the root and the summary that were there before [`push_root`], when dropped
/// (also when the poll panics). Every frame pushed during the poll has been popped by then:
/// their guards live inside the poll.
#[derive(Debug)]
pub(crate) struct RootGuard<'a> {
    previous_root: Root,
    previous_top: Top,
    /// The root stays borrowed while `ROOT` points to it.
    _root: PhantomData<&'a dyn RootScope>,
}

impl Drop for RootGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        debug_assert_eq!(
            TOP.get().frames,
            self.previous_top.frames,
            "a task's poll left scope frames behind"
        );
        ROOT.set(self.previous_root);
        set_top(self.previous_top);
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
        set_top(summarize(&frames));
        frame
    })
}

/// Whether any scope is being polled on this thread (so an event loop polls the code).
pub(crate) fn in_scope() -> bool {
    TOP.get().frames > 0 || ROOT.get().node.is_some()
}

/// The node of the innermost scope being polled on this thread, created (with its ancestors')
/// if it has none yet. `None` outside every scope.
pub(crate) fn current() -> Option<Arc<ScopeNode>> {
    FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        let root = ROOT.get();
        let node = materialize(root.own_mut(&mut frames), root.get());
        set_top(summarize(&frames));
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

/// Gives the top frame a node, linked under the frame below it; under the bottom frame lies
/// `root`, the root scope of the task being polled, if any.
fn materialize(frames: &mut [Frame], root: Option<&dyn RootScope>) -> Option<Arc<ScopeNode>> {
    let Some((top, below)) = frames.split_last_mut() else {
        return root.map(RootScope::share);
    };
    if let Some(node) = &top.node {
        if !node.is_entered() {
            // A scope with a handle is entered on its first poll, before its frame is pushed;
            // this only happens if a nested scope asks during that very push.
            node.enter(materialize(below, root));
        }
        return Some(Arc::clone(node));
    }
    let parent = materialize(below, root);
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
        let root = ROOT.get();
        for frame in root.own(&frames.borrow()).iter().rev() {
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
        root.node().is_some_and(|node| node.effectively_cancelled())
    })
}

/// Whether the code being polled is known to be effectively cancelled, for an operation deciding
/// whether it may complete: like [`cancelled`], but without reading the clock. A deadline that
/// passed unnoticed counts only once its scope has noticed (at the body's next suspension, or
/// before the scope polls its body again: see `Scoped`), which keeps this to one thread-local
/// access and an atomic load per scope node walked; and once the node was found not cancelled,
/// to one atomic load of the cancel epoch until something somewhere is cancelled.
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
        TopState::Node(node) => {
            // The epoch is read before the flags: a cancellation that the walk misses has
            // bumped it past `epoch`, so the next check walks again.
            let epoch = node::cancel_epoch();
            CLEAR_AT.get() != epoch && node_cancelled(node, epoch)
        }
    }
}

/// [`pending_cancellation`] for `TOP`'s node, not known to be clear at `epoch`: walks up from
/// it, and remembers a clear answer. Out of line, so that the check that comes first inlines
/// into every operation.
#[inline(never)]
fn node_cancelled(node: NonNull<ScopeNode>, epoch: u64) -> bool {
    // SAFETY: by `TopState::Node`'s invariant the node is kept alive by an `Arc` in a frame on
    // this thread's stack right now, or by the root in `ROOT`: frames leave the stack only in
    // `pop`, and a root only when its guard drops, both of which change `TOP` before anything
    // else runs on this thread; the caller read `node` from `TOP` just now.
    let cancelled = unsafe { node.as_ref() }.effectively_cancelled();
    if !cancelled {
        CLEAR_AT.set(epoch);
    }
    cancelled
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
        let root = ROOT.get();
        for frame in root.own(&frames.borrow()).iter().rev() {
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
        root.get()
            .filter(|_| root.waker == waker.data())
            .map(RootScope::share)
    })
}
