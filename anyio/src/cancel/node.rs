//! One node of the scope tree: the state of a cancel scope that is shared beyond the future
//! running it (with its handles, its descendants and its timer).
//!
//! Flags that every poll reads (cancelled? shielded?) are atomics, so walking up the tree to
//! find out whether a scope is *effectively* cancelled takes no lock. Everything else (the
//! deadline, the waker, the list of children) sits behind a mutex that no code holds while it
//! takes another one: a walk locks one node at a time.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;
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

/// Bumped by every change that can make a scope effectively cancelled: a cancellation, or a
/// shield switched off (entering a node under a cancelled scope needs no bump: the entering
/// thread looks at the node afresh). So a thread that found its innermost scope not cancelled
/// while the count had some value knows, as long as the count still has it, that the scope is
/// still not cancelled, without walking its ancestors again (see
/// `context::pending_cancellation`). Plain std atomics under loom too: the models do not
/// involve the thread's frames.
static CANCEL_EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The current value of the count of changes that can cancel a scope (see [`CANCEL_EPOCH`]).
#[inline]
pub(crate) fn cancel_epoch() -> u64 {
    CANCEL_EPOCH.load(Ordering::Acquire)
}

/// Counts a change that can cancel a scope, after making it.
fn bump_cancel_epoch() {
    CANCEL_EPOCH.fetch_add(1, Ordering::AcqRel);
}

/// How a scope was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CancelKind {
    /// `cancel()` was called.
    Explicit,
    /// The deadline passed.
    Deadline,
}

/// One hold, in the low half of [`ScopeNode::holds`].
const HOLD: usize = 1;
/// One release, in the high half of [`ScopeNode::holds`]: every release bumps this epoch in
/// the same atomic operation that takes the hold away.
const EPOCH: usize = 1 << (usize::BITS / 2);
/// The count of holds.
const HOLD_COUNT: usize = EPOCH - 1;

/// What [`ScopeNode::holds`] was before a body was polled: compared with its value after the
/// poll, it tells whether a hold was released meanwhile (see [`ScopeNode::verdict`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Holds(usize);

/// What the future running a scope does with its body after polling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Keep it: it is not cancelled, or something inside holds it.
    Keep,
    /// Drop it: it is cancelled and nothing holds it.
    Drop,
    /// It is cancelled, but a hold was released while it was being polled (on another thread,
    /// or by a shield exiting in it): whatever it gathered when the hold went (a child's error,
    /// a panic, a value) may not have been seen yet. Poll it once more before deciding.
    PollAgain,
}

/// What a node carries beside the scope state: nothing for a plain scope, the handle's state
/// for a task's root scope (so a child costs one allocation less), the group for a task
/// group's scope.
pub(crate) trait NodeExtra: Send + Sync + 'static {
    /// The group whose children's root scopes to wake when the node is cancelled, besides
    /// the nodes in its list of children: a task group's scope lists its children's roots in
    /// the group (under the lock it takes anyway to count them), so that spawning touches one
    /// lock, not two.
    fn fanout(&self) -> Option<Arc<dyn Fanout>> {
        None
    }
}

impl NodeExtra for () {}

/// A task group's scope carries its group.
impl NodeExtra for Weak<dyn Fanout> {
    fn fanout(&self) -> Option<Arc<dyn Fanout>> {
        self.upgrade()
    }
}

/// A node of the scope tree.
///
/// `X` is what the node carries beside the scope state; the tree itself only sees
/// `ScopeNode<dyn NodeExtra>` (the default), to which an `Arc<ScopeNode<X>>` coerces.
pub(crate) struct ScopeNode<X: ?Sized = dyn NodeExtra> {
    /// The enclosing scope. `None` inside: the scope has no parent.
    parent: ParentLink,
    /// The root scope of a task spawned into a task group. Holds stop here: a shield or a group
    /// inside a task holds the scopes of that task only (the group holds the rest).
    task_root: bool,
    flags: AtomicU8,
    /// How many shields and live task groups inside this scope's body (in the same task) keep
    /// the body from being dropped (low half), and how many times a hold was released (high
    /// half, wrapping): one word, so that a release is seen together with its count.
    holds: AtomicUsize,
    inner: Mutex<Inner>,
    /// Last, so that the node can be unsized.
    pub(crate) extra: X,
}

/// The link from a node to its parent.
enum ParentLink {
    /// Known when the node was made: a task's root scope, made under its group's scope.
    Fixed(Arc<ScopeNode>),
    /// Set once, when the scope is entered: a scope made before it runs (one with a handle).
    /// A `OnceLock` costs a little at every set (even through `OnceLock::from`), which a spawn
    /// should not pay.
    OnEntry(OnceLock<Option<Arc<ScopeNode>>>),
}

impl ParentLink {
    #[inline]
    fn get(&self) -> Option<&Arc<ScopeNode>> {
        match self {
            ParentLink::Fixed(parent) => Some(parent),
            ParentLink::OnEntry(parent) => parent.get().and_then(Option::as_ref),
        }
    }
}

/// The state behind the node's lock. Every task's root scope carries one, so it is kept small:
/// what is rare (a reason, a list of children) is boxed, and the slot and the shield's hold
/// share a word.
#[derive(Default)]
struct Inner {
    deadline: Option<Instant>,
    /// The waker of the task that runs the scope's future.
    waker: Option<Waker>,
    /// The scopes entered inside this one (in any task), to wake when this one is cancelled.
    /// Boxed when the first one comes (and kept): most nodes never get one (a task that
    /// suspends in no nested scope with a deadline or a handle), and the box is 8 bytes where
    /// an empty list is 32.
    children: Option<Box<Slab<Weak<ScopeNode>>>>,
    /// Why the scope was cancelled, once it was. Before that, the reason a deadline will give
    /// (set by `fail_after(..).with_reason(..)`): the first cancellation keeps or replaces it.
    reason: Option<Box<Cow<'static, str>>>,
    /// Our key in the parent's `children` (see `Slab::insert_keyed`), if we are listed there:
    /// four bytes.
    slot: Option<NonZeroU32>,
    /// Whether this scope's shield currently holds its ancestors.
    shield_holds: bool,
}

impl fmt::Debug for ScopeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeNode")
            .field("task_root", &self.task_root)
            .field("flags", &self.flags.load(Ordering::Relaxed))
            .field("holds", &(self.holds.load(Ordering::Relaxed) & HOLD_COUNT))
            .field("has_parent", &self.parent().is_some())
            .finish_non_exhaustive()
    }
}

impl<X: NodeExtra> ScopeNode<X> {
    /// The root scope of a task spawned into the group whose scope is `group`, carrying
    /// `extra`: entered from the start, and not listed among `group`'s children (the group's
    /// [`Fanout`] lists it once the task suspends). Built whole rather than entered later, so
    /// that a spawn writes the parent link with the allocation.
    pub(crate) fn task_root(group: Arc<ScopeNode>, extra: X) -> Arc<ScopeNode<X>> {
        Arc::new(ScopeNode {
            parent: ParentLink::Fixed(group),
            task_root: true,
            flags: AtomicU8::new(ENTERED),
            holds: AtomicUsize::new(0),
            inner: Mutex::new(Inner::default()),
            extra,
        })
    }
}

impl ScopeNode<Weak<dyn Fanout>> {
    /// A task group's scope, not entered yet: cancelling it also wakes the children that
    /// `group` lists.
    pub(crate) fn for_group(group: Weak<dyn Fanout>) -> ScopeNode<Weak<dyn Fanout>> {
        ScopeNode::unentered(None, false, false, group)
    }
}

impl<X: NodeExtra> ScopeNode<X> {
    fn unentered(deadline: Option<Instant>, shield: bool, task_root: bool, extra: X) -> Self {
        ScopeNode {
            parent: ParentLink::OnEntry(OnceLock::new()),
            task_root,
            flags: AtomicU8::new(if shield { SHIELD } else { 0 }),
            holds: AtomicUsize::new(0),
            inner: Mutex::new(Inner {
                deadline,
                ..Inner::default()
            }),
            extra,
        }
    }
}

impl ScopeNode {
    /// A node that is not entered yet.
    pub(crate) fn new(deadline: Option<Instant>, shield: bool, task_root: bool) -> Arc<ScopeNode> {
        Arc::new(ScopeNode::unentered(deadline, shield, task_root, ()))
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
        self.parent.get()
    }

    pub(crate) fn is_entered(&self) -> bool {
        self.flag(ENTERED)
    }

    /// Links the node under `parent` and marks it running. Called once, by the scope's future.
    ///
    /// # Panics
    /// If `parent` already lists 2^32 - 1 scopes entered inside it, which no program comes near
    /// (nothing is listed then).
    pub(crate) fn enter(self: &Arc<Self>, parent: Option<Arc<ScopeNode>>) {
        if let Some(parent) = &parent {
            let slot = parent
                .lock()
                .children
                .get_or_insert_with(Box::default)
                .insert_keyed(Arc::downgrade(self));
            let slot = slot.expect("a cancel scope lists fewer than 2^32 - 1 scopes inside it");
            self.lock().slot = Some(slot);
        }
        debug_assert!(
            matches!(self.parent, ParentLink::OnEntry(_)),
            "a task's root scope is made entered"
        );
        if let ParentLink::OnEntry(link) = &self.parent {
            let _ = link.set(parent);
        }
        self.flags.fetch_or(ENTERED, Ordering::AcqRel);
        let mut inner = self.lock();
        if self.flag(SHIELD) && !inner.shield_holds {
            inner.shield_holds = true;
            drop(inner);
            self.hold_ancestors();
        }
    }

    /// Sets the reason a deadline will give, before the scope is cancelled.
    pub(crate) fn set_deadline_reason(&self, reason: Option<Cow<'static, str>>) {
        let mut inner = self.lock();
        if !self.flag(CANCEL_CALLED) {
            inner.reason = reason.map(Box::new);
        }
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
            if let Some(children) = parent.lock().children.as_mut() {
                children.remove_keyed(slot);
            }
        }
    }

    /// [`exit`](Self::exit) for a task's root scope whose task never suspended: no waker was
    /// ever registered on it, it has no slot in a parent's list and it holds nothing (a root
    /// is never a shield), so marking it is all there is to do, without the lock.
    pub(crate) fn exit_unsuspended(&self, caught: bool) {
        debug_assert!(self.task_root, "only a task's root scope exits this way");
        self.flags
            .fetch_or(EXITED | if caught { CAUGHT } else { 0 }, Ordering::AcqRel);
    }

    /// Cancels the scope: its future drops its body at the next suspension point, and every
    /// task running under it (unless shielded from it) is woken to do the same. A no-op once
    /// the scope has exited, and on a scope already cancelled.
    pub(crate) fn cancel(&self, kind: CancelKind) {
        self.cancel_because(kind, None);
    }

    /// [`cancel`](Self::cancel), giving a reason. An explicit cancellation replaces the reason
    /// a deadline would have given; a deadline keeps it. The first cancellation's reason stays.
    pub(crate) fn cancel_because(&self, kind: CancelKind, reason: Option<Cow<'static, str>>) {
        let kind_flag = match kind {
            CancelKind::Explicit => CANCEL_CALLED,
            CancelKind::Deadline => CANCEL_CALLED | BY_DEADLINE,
        };
        {
            // The flag changes under the lock, so that the reason is written once, by the
            // cancellation that took effect, before anyone can see the scope as cancelled.
            let mut inner = self.lock();
            let mut current = self.flags.load(Ordering::Acquire);
            loop {
                if current & (EXITED | CANCEL_CALLED) != 0 {
                    return;
                }
                match self.flags.compare_exchange_weak(
                    current,
                    current | kind_flag,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(actual) => current = actual,
                }
            }
            // An explicit cancellation says why (or not); a deadline keeps the reason it was
            // given beforehand unless this call brings one.
            if kind == CancelKind::Explicit || reason.is_some() {
                inner.reason = reason.map(Box::new);
            }
        }
        bump_cancel_epoch();
        self.wake_tree();
    }

    /// The reason given for the cancellation (or, before it, for a deadline), if any.
    pub(crate) fn reason(&self) -> Option<Cow<'static, str>> {
        self.lock().reason.as_deref().cloned()
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
                    .flat_map(|children| children.iter())
                    .filter_map(Weak::upgrade)
                    .collect::<Vec<_>>(),
            )
        };
        if let Some(fanout) = self.extra.fanout() {
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

    /// How the scope was cancelled, if it was.
    pub(crate) fn cancel_kind(&self) -> Option<CancelKind> {
        let flags = self.flags.load(Ordering::Acquire);
        match (flags & CANCEL_CALLED != 0, flags & BY_DEADLINE != 0) {
            (false, _) => None,
            (true, false) => Some(CancelKind::Explicit),
            (true, true) => Some(CancelKind::Deadline),
        }
    }

    pub(crate) fn cancelled_caught(&self) -> bool {
        self.flag(CAUGHT)
    }

    pub(crate) fn shield(&self) -> bool {
        self.flag(SHIELD)
    }

    /// The scope, or an ancestor up to and including the nearest shield, is cancelled.
    #[inline]
    pub(crate) fn effectively_cancelled(&self) -> bool {
        let flags = self.flags.load(Ordering::Acquire);
        if flags & CANCEL_CALLED != 0 {
            return true;
        }
        if flags & SHIELD != 0 {
            return false;
        }
        self.parent()
            .is_some_and(|parent| parent.ancestors_cancelled())
    }

    /// [`effectively_cancelled`](Self::effectively_cancelled), out of line, for the walk up.
    #[inline(never)]
    fn ancestors_cancelled(&self) -> bool {
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

    /// The holds before a poll of the body, for [`verdict`](Self::verdict).
    pub(crate) fn holds(&self) -> Holds {
        Holds(self.holds.load(Ordering::Acquire))
    }

    /// What the scope's future does with its body after polling it, given the holds `before`
    /// the poll.
    ///
    /// A plain scope drops its body only where the cancellation belongs (attribution: the
    /// outermost effectively cancelled scope takes it; a scope whose own ancestor is cancelled
    /// is dropped along with that ancestor's body). A task's root scope and a task group's own
    /// scope drop it on any effective cancellation. Either way, not while something holds the
    /// body, and not before the body has been polled once after the last hold was released.
    pub(crate) fn verdict(&self, before: Holds) -> Verdict {
        let cancelled = if self.task_root {
            self.effectively_cancelled()
        } else {
            self.is_cancellation_origin()
        };
        self.verdict_if(cancelled, before)
    }

    /// [`verdict`](Self::verdict) for a task group's own scope: any effective cancellation.
    pub(crate) fn verdict_on_any_cancellation(&self, before: Holds) -> Verdict {
        self.verdict_if(self.effectively_cancelled(), before)
    }

    fn verdict_if(&self, cancelled: bool, before: Holds) -> Verdict {
        if !cancelled {
            return Verdict::Keep;
        }
        let now = self.holds.load(Ordering::Acquire);
        if now & HOLD_COUNT != 0 {
            Verdict::Keep
        } else if now & !HOLD_COUNT != before.0 & !HOLD_COUNT {
            Verdict::PollAgain
        } else {
            Verdict::Drop
        }
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
        self.take_hold();
        if !self.task_root {
            self.hold_ancestors();
        }
    }

    /// Gives back a hold taken by [`hold_self_and_ancestors`](Self::hold_self_and_ancestors).
    pub(crate) fn release_self_and_ancestors(&self) {
        self.give_back_hold();
        if !self.task_root {
            self.release_ancestors();
        }
    }

    fn take_hold(&self) {
        self.holds.fetch_add(HOLD, Ordering::AcqRel);
    }

    /// Takes one hold away and bumps the release epoch, in one step.
    fn give_back_hold(&self) {
        self.holds
            .fetch_add(EPOCH.wrapping_sub(HOLD), Ordering::AcqRel);
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

    /// Moves the deadline and wakes the scope's task to re-arm its timer; on a running scope,
    /// a deadline that has already passed (by `now`, asked only then) cancels it at once. No
    /// effect once the scope is cancelled or has exited.
    pub(crate) fn set_deadline(&self, deadline: Option<Instant>, now: impl FnOnce() -> Instant) {
        if self.flag(CANCEL_CALLED | EXITED) {
            return;
        }
        let waker = {
            let mut inner = self.lock();
            inner.deadline = deadline;
            inner.waker.clone()
        };
        if self.flag(ENTERED) && deadline.is_some_and(|deadline| deadline <= now()) {
            self.cancel(CancelKind::Deadline);
            return;
        }
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
            bump_cancel_epoch();
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
        if shield {
            // A body that suspended because it was cancelled from outside may go on now.
            self.wake();
        } else {
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
                ancestor.take_hold();
            } else {
                ancestor.give_back_hold();
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

    use super::{CancelKind, Holds, Ordering, ScopeNode, Verdict};

    /// Whether the scope's future would drop its body now, with no hold released since `before`.
    fn drops(node: &ScopeNode, before: Holds) -> bool {
        node.verdict(before) == Verdict::Drop
    }

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
                thread::spawn(move || node.cancel(CancelKind::Explicit))
            };
            node.register_waker(&waker);
            let dropped = drops(&node, node.holds());
            canceller.join().unwrap();
            assert!(dropped || woken.0.load(Ordering::SeqCst) == 1);
            assert!(drops(&node, node.holds()));
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
            let before = outer.holds();
            assert!(!drops(&outer, before) || !outer.cancel_called());

            let cancel = {
                let outer = Arc::clone(&outer);
                thread::spawn(move || outer.cancel(CancelKind::Explicit))
            };
            let unshield = {
                let shielded = Arc::clone(&shielded);
                thread::spawn(move || shielded.set_shield(false))
            };
            let dropped = drops(&outer, before);
            cancel.join().unwrap();
            unshield.join().unwrap();
            assert_eq!(outer.holds.load(Ordering::SeqCst) & super::HOLD_COUNT, 0);
            assert!(drops(&outer, outer.holds()));
            assert!(
                !drops(&shielded, shielded.holds()),
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
                thread::spawn(move || group.cancel(CancelKind::Explicit))
            };
            root.enter(Some(Arc::clone(&group)));
            root.register_waker(&waker);
            let dropped = drops(&root, root.holds());
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
            outer.cancel(CancelKind::Explicit);
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
            assert!(!drops(&outer, outer.holds()));
            inner.release_ancestors();
            other.join().unwrap();
            assert_eq!(outer.holds.load(Ordering::SeqCst) & super::HOLD_COUNT, 0);
            assert!(drops(&outer, outer.holds()));
        });
    }

    /// A hold released on another thread while the body is being polled (DESIGN §4 rule 11):
    /// the releasing thread records a result and then gives the hold back; the polling thread
    /// snapshots the holds, "polls" (reads the result), and asks for a verdict. It may drop the
    /// body only if that poll saw the result; otherwise it must poll again.
    #[test]
    fn a_hold_released_during_a_poll_forces_another_poll() {
        loom::model(|| {
            let outer = ScopeNode::new(None, false, false);
            outer.enter(None);
            outer.cancel(CancelKind::Explicit);
            let group = ScopeNode::new(None, false, false);
            group.enter(Some(Arc::clone(&outer)));
            group.hold_ancestors();
            let result = Arc::new(AtomicUsize::new(0));
            let child = {
                let (group, result) = (Arc::clone(&group), Arc::clone(&result));
                thread::spawn(move || {
                    result.store(1, Ordering::Release);
                    group.release_ancestors();
                })
            };
            let before = outer.holds();
            let seen = result.load(Ordering::Acquire);
            match outer.verdict(before) {
                Verdict::Drop => assert_eq!(seen, 1, "dropped a body that missed the result"),
                Verdict::PollAgain => {
                    child.join().unwrap();
                    return;
                }
                Verdict::Keep => {}
            }
            child.join().unwrap();
            let before = outer.holds();
            assert_eq!(result.load(Ordering::Acquire), 1);
            assert_eq!(outer.verdict(before), Verdict::Drop);
        });
    }
}
