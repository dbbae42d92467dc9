//! One node of the scope tree: the state of a cancel scope that is shared beyond the future
//! running it (with its handles, its descendants and its timer).
//!
//! Flags that every poll reads (cancelled? shielded?) are atomics, so walking up the tree to
//! find out whether a scope is *effectively* cancelled takes no lock. Everything else (the
//! deadline, the waker, the list of children) sits behind a mutex that no code holds while it
//! takes another one: a walk locks one node at a time.

use std::fmt;
use std::sync::{Arc, OnceLock, Weak};

// Under `--cfg anyio_loom` the lock and the atomics that order the tree's protocol are loom's, so the
// model checker explores their interleavings (see the `loom_model` tests below). Loom has no
// `Weak` or `OnceLock`: the reference counts and the once-set parent link stay std's.
#[cfg(anyio_loom)]
use loom::sync::atomic::{AtomicU8, AtomicUsize};
#[cfg(anyio_loom)]
use loom::sync::{Mutex, MutexGuard};
use std::sync::atomic::Ordering;
#[cfg(not(anyio_loom))]
use std::sync::atomic::{AtomicU8, AtomicUsize};
#[cfg(not(anyio_loom))]
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

use crate::slab::Slab;

/// `cancel()` was called on the scope, or its deadline passed.
const CANCEL_CALLED: u8 = 1 << 0;
/// The cancellation came from the deadline (only meaningful with `CANCEL_CALLED`).
const BY_DEADLINE: u8 = 1 << 1;
/// The scope shields its body from the cancellation of its ancestors.
const SHIELD: u8 = 1 << 2;
/// The scope's future has started running its body.
const ENTERED: u8 = 1 << 3;
/// The scope's future has finished or been dropped; the node is inert.
const EXITED: u8 = 1 << 4;
/// The scope completed as cancelled (its body was dropped by its own cancellation).
const CAUGHT: u8 = 1 << 5;

/// Something beside the children list that has scopes to wake when a node is cancelled: a
/// task group's children.
pub(crate) trait Fanout: Send + Sync {
    /// The root scopes of the live children.
    fn roots(&self) -> Vec<Arc<ScopeNode>>;
}

/// Why a scope was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CancelReason {
    /// `cancel()` was called.
    Explicit,
    /// The deadline passed.
    Deadline,
}

/// What a node carries beside the scope state: nothing for a plain scope, the handle's state
/// for a task's root scope (so a child costs one allocation less).
pub(crate) trait NodeExtra: Send + Sync + 'static {}

impl NodeExtra for () {}

/// A node of the scope tree.
///
/// `X` is what the node carries beside the scope state; the tree itself only sees
/// `ScopeNode<dyn NodeExtra>` (the default), to which an `Arc<ScopeNode<X>>` coerces.
pub(crate) struct ScopeNode<X: ?Sized = dyn NodeExtra> {
    /// Set once, when the scope is entered. `None` inside: the scope has no parent.
    parent: OnceLock<Option<Arc<ScopeNode>>>,
    /// The root scope of a task spawned into a task group. Holds stop here: a shield or a group
    /// inside a task holds the scopes of that task only (the group holds the rest).
    task_root: bool,
    flags: AtomicU8,
    /// For a task group's scope: the group, which lists its children's root scopes itself (under
    /// the lock it takes anyway to count them), so that spawning touches one lock, not two.
    fanout: OnceLock<Weak<dyn Fanout>>,
    /// How many shields and live task groups inside this scope's body (in the same task) keep
    /// the body from being dropped.
    holds: AtomicUsize,
    inner: Mutex<Inner>,
    /// Last, so that the node can be unsized.
    pub(crate) extra: X,
}

#[derive(Default)]
struct Inner {
    deadline: Option<Instant>,
    /// The waker of the task that runs the scope's future.
    waker: Option<Waker>,
    /// The scopes entered inside this one (in any task), to wake when this one is cancelled.
    children: Slab<Weak<ScopeNode>>,
    /// Our slot in the parent's `children`.
    slot: Option<usize>,
    /// Whether this scope's shield currently holds its ancestors.
    shield_holds: bool,
}

impl fmt::Debug for ScopeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeNode")
            .field("task_root", &self.task_root)
            .field("flags", &self.flags.load(Ordering::Relaxed))
            .field("holds", &self.holds.load(Ordering::Relaxed))
            .field("has_parent", &self.parent().is_some())
            .finish_non_exhaustive()
    }
}

impl<X: NodeExtra> ScopeNode<X> {
    /// A node that is not entered yet, carrying `extra`.
    pub(crate) fn with_extra(
        deadline: Option<Instant>,
        shield: bool,
        task_root: bool,
        extra: X,
    ) -> Arc<ScopeNode<X>> {
        Arc::new(ScopeNode {
            parent: OnceLock::new(),
            task_root,
            flags: AtomicU8::new(if shield { SHIELD } else { 0 }),
            fanout: OnceLock::new(),
            holds: AtomicUsize::new(0),
            inner: Mutex::new(Inner {
                deadline,
                ..Inner::default()
            }),
            extra,
        })
    }
}

impl ScopeNode {
    /// A node that is not entered yet.
    pub(crate) fn new(deadline: Option<Instant>, shield: bool, task_root: bool) -> Arc<ScopeNode> {
        ScopeNode::with_extra(deadline, shield, task_root, ())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code panics while holding the lock, but a poisoned lock must not take the whole
        // scope tree down with it: the data is plain state that stays consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn flag(&self, flag: u8) -> bool {
        self.flags.load(Ordering::Acquire) & flag != 0
    }

    pub(crate) fn parent(&self) -> Option<&Arc<ScopeNode>> {
        self.parent.get().and_then(Option::as_ref)
    }

    pub(crate) fn is_entered(&self) -> bool {
        self.flag(ENTERED)
    }

    /// Links the node under `parent` and marks it running. Called once, by the scope's future.
    pub(crate) fn enter(self: &Arc<Self>, parent: Option<Arc<ScopeNode>>) {
        if let Some(parent) = &parent {
            let slot = parent.lock().children.insert(Arc::downgrade(self));
            self.lock().slot = Some(slot);
        }
        let _ = self.parent.set(parent);
        self.flags.fetch_or(ENTERED, Ordering::AcqRel);
        let mut inner = self.lock();
        if self.flag(SHIELD) && !inner.shield_holds {
            inner.shield_holds = true;
            drop(inner);
            self.hold_ancestors();
        }
    }

    /// Makes `fanout` wake its scopes when this node is cancelled. Set once, by a task group.
    pub(crate) fn set_fanout(&self, fanout: Weak<dyn Fanout>) {
        let _ = self.fanout.set(fanout);
    }

    /// Links a task's root scope under `parent` without listing it there: the parent's
    /// [`Fanout`] (its task group) lists it.
    pub(crate) fn enter_unlisted(&self, parent: Arc<ScopeNode>) {
        let _ = self.parent.set(Some(parent));
        self.flags.fetch_or(ENTERED, Ordering::AcqRel);
    }

    /// Marks the scope finished, releases what it holds and unlinks it from its parent.
    /// Idempotent.
    pub(crate) fn exit(&self, caught: bool) {
        let previous = self
            .flags
            .fetch_or(EXITED | if caught { CAUGHT } else { 0 }, Ordering::AcqRel);
        if previous & EXITED != 0 || previous & ENTERED == 0 {
            return;
        }
        let (slot, shield_holds) = {
            let mut inner = self.lock();
            inner.waker = None;
            (inner.slot.take(), std::mem::take(&mut inner.shield_holds))
        };
        if shield_holds {
            self.release_ancestors();
        }
        if let (Some(parent), Some(slot)) = (self.parent(), slot) {
            parent.lock().children.remove(slot);
        }
    }

    /// Cancels the scope: its future drops its body at the next suspension point, and every
    /// task running under it (unless shielded from it) is woken to do the same. A no-op once
    /// the scope has exited, and on a scope already cancelled.
    pub(crate) fn cancel(&self, reason: CancelReason) {
        let reason_flag = match reason {
            CancelReason::Explicit => CANCEL_CALLED,
            CancelReason::Deadline => CANCEL_CALLED | BY_DEADLINE,
        };
        let mut current = self.flags.load(Ordering::Acquire);
        loop {
            if current & (EXITED | CANCEL_CALLED) != 0 {
                return;
            }
            match self.flags.compare_exchange_weak(
                current,
                current | reason_flag,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.wake_tree();
    }

    /// Wakes this scope's task and, below it, every scope that is not shielded from it.
    fn wake_tree(&self) {
        let (waker, mut children) = {
            let inner = self.lock();
            (
                inner.waker.clone(),
                inner
                    .children
                    .iter()
                    .filter_map(Weak::upgrade)
                    .collect::<Vec<_>>(),
            )
        };
        if let Some(fanout) = self.fanout.get().and_then(Weak::upgrade) {
            children.extend(fanout.roots());
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        for child in children {
            if !child.flag(SHIELD) {
                child.wake_tree();
            }
        }
    }

    /// Whether `cancel()` was called or the deadline passed.
    pub(crate) fn cancel_called(&self) -> bool {
        self.flag(CANCEL_CALLED)
    }

    /// Why the scope was cancelled, if it was.
    pub(crate) fn cancel_reason(&self) -> Option<CancelReason> {
        let flags = self.flags.load(Ordering::Acquire);
        match (flags & CANCEL_CALLED != 0, flags & BY_DEADLINE != 0) {
            (false, _) => None,
            (true, false) => Some(CancelReason::Explicit),
            (true, true) => Some(CancelReason::Deadline),
        }
    }

    pub(crate) fn cancelled_caught(&self) -> bool {
        self.flag(CAUGHT)
    }

    pub(crate) fn shield(&self) -> bool {
        self.flag(SHIELD)
    }

    /// The scope, or an ancestor up to and including the nearest shield, is cancelled.
    pub(crate) fn effectively_cancelled(&self) -> bool {
        let mut node = self;
        loop {
            let flags = node.flags.load(Ordering::Acquire);
            if flags & CANCEL_CALLED != 0 {
                return true;
            }
            if flags & SHIELD != 0 {
                return false;
            }
            match node.parent() {
                Some(parent) => node = parent,
                None => return false,
            }
        }
    }

    /// Whether the scope's future should drop its body now: the scope is where the
    /// cancellation belongs (for a task root: it is cancelled at all), and nothing inside the
    /// body holds it.
    pub(crate) fn should_drop_body(&self) -> bool {
        if self.task_root {
            return self.should_drop_on_any_cancellation();
        }
        if self.holds.load(Ordering::Acquire) != 0 {
            return false;
        }
        // Attribution: the outermost effectively cancelled scope takes the cancellation; a
        // scope whose own ancestor is cancelled is dropped along with that ancestor's body.
        self.is_cancellation_origin()
    }

    /// For a task root or a task group's own scope: the body goes as soon as the scope is
    /// effectively cancelled, whichever scope the cancellation belongs to, unless held.
    pub(crate) fn should_drop_on_any_cancellation(&self) -> bool {
        self.holds.load(Ordering::Acquire) == 0 && self.effectively_cancelled()
    }

    /// Whether the cancellation that reached this scope is its own: it was cancelled and no
    /// ancestor visible through it is.
    pub(crate) fn is_cancellation_origin(&self) -> bool {
        self.cancel_called() && !self.cancelled_from_above()
    }

    /// Wakes the task running the scope's future.
    pub(crate) fn wake(&self) {
        let waker = self.lock().waker.clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Keeps this scope and every enclosing one in its task from dropping their bodies (a
    /// `start()` waiting for its child holds the caller's scopes this way).
    pub(crate) fn hold_self_and_ancestors(&self) {
        self.holds.fetch_add(1, Ordering::AcqRel);
        if !self.task_root {
            self.hold_ancestors();
        }
    }

    /// Gives back a hold taken by [`hold_self_and_ancestors`](Self::hold_self_and_ancestors).
    pub(crate) fn release_self_and_ancestors(&self) {
        self.holds.fetch_sub(1, Ordering::AcqRel);
        if !self.task_root {
            self.release_ancestors();
        }
    }

    /// An ancestor visible through this scope (it is not shielded) is effectively cancelled.
    fn cancelled_from_above(&self) -> bool {
        !self.shield()
            && self
                .parent()
                .is_some_and(|parent| parent.effectively_cancelled())
    }

    /// Remembers the waker of the task running the scope's future.
    pub(crate) fn register_waker(&self, waker: &Waker) {
        let mut inner = self.lock();
        match &inner.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => inner.waker = Some(waker.clone()),
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.lock().deadline
    }

    /// Moves the deadline and wakes the scope's task to re-arm its timer. No effect once the
    /// scope is cancelled or has exited.
    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        if self.flag(CANCEL_CALLED | EXITED) {
            return;
        }
        let waker = {
            let mut inner = self.lock();
            inner.deadline = deadline;
            inner.waker.clone()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Switches the shield on or off; on a running scope this takes or gives back its hold on
    /// the enclosing scopes, and switching it off lets a pending outer cancellation through.
    pub(crate) fn set_shield(&self, shield: bool) {
        let mut inner = self.lock();
        if shield {
            self.flags.fetch_or(SHIELD, Ordering::AcqRel);
        } else {
            self.flags.fetch_and(!SHIELD, Ordering::AcqRel);
        }
        let running = self.flag(ENTERED) && !self.flag(EXITED);
        let change = running && inner.shield_holds != shield;
        if change {
            inner.shield_holds = shield;
        }
        drop(inner);
        if change {
            if shield {
                self.hold_ancestors();
            } else {
                self.release_ancestors();
            }
        }
        if !shield {
            // Either this scope's body or an enclosing one may now be dropped.
            self.wake_tree();
        }
    }

    /// Keeps every enclosing scope in this task from dropping its body.
    pub(crate) fn hold_ancestors(&self) {
        self.adjust_ancestor_holds(true);
    }

    /// Gives back a hold taken by [`hold_ancestors`](Self::hold_ancestors).
    pub(crate) fn release_ancestors(&self) {
        self.adjust_ancestor_holds(false);
    }

    /// Adds or removes one hold on each enclosing scope up to and including the task's root.
    fn adjust_ancestor_holds(&self, hold: bool) {
        if self.task_root {
            return;
        }
        let mut node = self.parent();
        while let Some(ancestor) = node {
            if hold {
                ancestor.holds.fetch_add(1, Ordering::AcqRel);
            } else {
                ancestor.holds.fetch_sub(1, Ordering::AcqRel);
            }
            if ancestor.task_root {
                break;
            }
            node = ancestor.parent();
        }
    }

    /// The earliest deadline of this scope and its ancestors up to the nearest shield; the
    /// current time if one of them is already cancelled.
    pub(crate) fn effective_deadline(&self, now: impl Fn() -> Instant) -> Option<Instant> {
        let mut earliest: Option<Instant> = None;
        let mut node = self;
        loop {
            if node.cancel_called() {
                return Some(now());
            }
            if let Some(deadline) = node.deadline() {
                earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
            }
            if node.shield() {
                return earliest;
            }
            match node.parent() {
                Some(parent) => node = parent,
                None => return earliest,
            }
        }
    }
}

/// Loom models of the tree's cancel, hold and wake paths. Run with
/// `RUSTFLAGS="--cfg anyio_loom" cargo test -p anyio --lib --release loom_model`.
#[cfg(all(test, anyio_loom))]
mod loom_model {
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use loom::sync::atomic::AtomicUsize;
    use loom::thread;

    use super::{CancelReason, Ordering, ScopeNode};

    /// A waker that counts its wake-ups in a loom atomic.
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    /// A cancel from another thread is never lost: the scope's future either sees the flag
    /// after registering its waker, or is woken.
    #[test]
    fn cancel_races_with_waker_registration() {
        loom::model(|| {
            let node = ScopeNode::new(None, false, false);
            node.enter(None);
            let (woken, waker) = counting_waker();
            let canceller = {
                let node = Arc::clone(&node);
                thread::spawn(move || node.cancel(CancelReason::Explicit))
            };
            node.register_waker(&waker);
            let dropped = node.should_drop_body();
            canceller.join().unwrap();
            assert!(dropped || woken.0.load(Ordering::SeqCst) == 1);
            assert!(node.should_drop_body());
        });
    }

    /// A shield switched off on one thread while the outer scope is cancelled on another: the
    /// hold is given back exactly once, and the task is woken or sees the drop.
    #[test]
    fn shield_toggle_races_with_outer_cancel() {
        loom::model(|| {
            let outer = ScopeNode::new(None, false, false);
            outer.enter(None);
            let shielded = ScopeNode::new(None, true, false);
            shielded.enter(Some(Arc::clone(&outer)));
            let (woken, waker) = counting_waker();
            outer.register_waker(&waker);
            shielded.register_waker(&waker);
            assert!(!outer.should_drop_body() || !outer.cancel_called());

            let cancel = {
                let outer = Arc::clone(&outer);
                thread::spawn(move || outer.cancel(CancelReason::Explicit))
            };
            let unshield = {
                let shielded = Arc::clone(&shielded);
                thread::spawn(move || shielded.set_shield(false))
            };
            let dropped = outer.should_drop_body();
            cancel.join().unwrap();
            unshield.join().unwrap();
            assert_eq!(outer.holds.load(Ordering::SeqCst), 0);
            assert!(outer.should_drop_body());
            assert!(
                !shielded.should_drop_body(),
                "the outer scope takes the cancellation"
            );
            assert!(dropped || woken.0.load(Ordering::SeqCst) >= 1);
        });
    }

    /// A task's root scope entering under a group that another thread cancels: the root is
    /// either woken by the cancellation's walk or sees it when it checks.
    #[test]
    fn task_root_entry_races_with_group_cancel() {
        loom::model(|| {
            let group = ScopeNode::new(None, false, false);
            group.enter(None);
            let root = ScopeNode::new(None, false, true);
            let (woken, waker) = counting_waker();
            let canceller = {
                let group = Arc::clone(&group);
                thread::spawn(move || group.cancel(CancelReason::Explicit))
            };
            root.enter(Some(Arc::clone(&group)));
            root.register_waker(&waker);
            let dropped = root.should_drop_body();
            canceller.join().unwrap();
            assert!(dropped || woken.0.load(Ordering::SeqCst) == 1);
            root.exit(true);
        });
    }

    /// Holds taken and given back on two threads leave the count where it started, and a
    /// scope with holds never drops its body.
    #[test]
    fn holds_from_two_threads_balance() {
        loom::model(|| {
            let outer = ScopeNode::new(None, false, false);
            outer.enter(None);
            outer.cancel(CancelReason::Explicit);
            let inner = ScopeNode::new(None, false, false);
            inner.enter(Some(Arc::clone(&outer)));
            inner.hold_ancestors();
            let other = {
                let inner = Arc::clone(&inner);
                thread::spawn(move || {
                    inner.hold_ancestors();
                    inner.release_ancestors();
                })
            };
            assert!(!outer.should_drop_body());
            inner.release_ancestors();
            other.join().unwrap();
            assert_eq!(outer.holds.load(Ordering::SeqCst), 0);
            assert!(outer.should_drop_body());
        });
    }
}
