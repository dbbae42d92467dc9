//! [`CancelScope`], its [`CancelHandle`], and [`Scoped`], the future that runs a body in it.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use super::context::{self, Frame};
use super::deadline::Deadline;
use super::node::{CancelKind, Holds, ScopeNode, Verdict};
use crate::backend;

/// The backend's clock, or the system's when no backend runs the caller (a handle used from a
/// plain thread).
fn current_time() -> Instant {
    match backend::current() {
        Ok(active) => backend::now(active),
        Err(_) => Instant::now(),
    }
}

/// A region of code that can be cancelled as a whole, by a call or by a deadline (AnyIO's and
/// Trio's `CancelScope`).
///
/// Build the scope, take [`handle`](CancelScope::handle)s to control it from anywhere, then
/// [`run`](CancelScope::run) a future in it. When the scope is cancelled, the future is dropped
/// at its next suspension point and `run` completes with `None`. See the
/// [module docs](crate::cancel) for the rules: which scope takes a cancellation, shields, and
/// what defers a drop.
///
/// A scope is used once: `run` takes it by value.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use anyio::CancelScope;
///
/// anyio::run(async {
///     let scope = CancelScope::new();
///     let handle = scope.handle();
///     let outcome = scope
///         .run(async {
///             handle.cancel();
///             anyio::sleep(Duration::from_secs(3600)).await; // dropped here
///             unreachable!();
///         })
///         .await;
///     assert_eq!(outcome, None::<()>);
///     assert!(handle.cancelled_caught());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct CancelScope {
    deadline: Option<Instant>,
    shield: bool,
    /// Created by the first [`handle`](CancelScope::handle); otherwise on demand while running.
    node: OnceCell<Arc<ScopeNode>>,
}

impl CancelScope {
    /// A scope with no deadline that is not shielded.
    ///
    /// # Examples
    /// ```
    /// let scope = anyio::CancelScope::new();
    /// assert_eq!(scope.get_deadline(), None);
    /// ```
    pub fn new() -> Self {
        CancelScope {
            deadline: None,
            shield: false,
            node: OnceCell::new(),
        }
    }

    /// Sets the deadline on the backend's clock ([`current_time`](crate::current_time)): when
    /// it passes, the scope is cancelled. A deadline that has already passed cancels the body
    /// at its first suspension point.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let deadline = anyio::current_time() + Duration::from_millis(10);
    ///     let outcome = anyio::CancelScope::new()
    ///         .deadline(deadline)
    ///         .run(anyio::sleep_forever())
    ///         .await;
    ///     assert_eq!(outcome, None);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        if let Some(node) = self.node.get() {
            node.set_deadline(Some(deadline), current_time);
        }
        self
    }

    /// Shields the body from the cancellation of enclosing scopes (its own still applies).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let outer = anyio::CancelScope::new();
    ///     let cancel = outer.handle();
    ///     let done = outer
    ///         .run(async {
    ///             cancel.cancel();
    ///             // Cleanup that must finish even though the outer scope is cancelled:
    ///             anyio::CancelScope::new()
    ///                 .shield(true)
    ///                 .run(anyio::sleep(std::time::Duration::from_millis(1)))
    ///                 .await
    ///         })
    ///         .await;
    ///     // The shielded sleep completed; the outer body was then dropped at its next
    ///     // suspension point (there was none, so it completed too).
    ///     assert_eq!(done, Some(Some(())));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn shield(mut self, shield: bool) -> Self {
        self.shield = shield;
        if let Some(node) = self.node.get() {
            node.set_shield(shield);
        }
        self
    }

    /// The deadline set so far.
    ///
    /// # Examples
    /// ```
    /// let deadline = std::time::Instant::now();
    /// assert_eq!(anyio::CancelScope::new().deadline(deadline).get_deadline(), Some(deadline));
    /// ```
    pub fn get_deadline(&self) -> Option<Instant> {
        match self.node.get() {
            Some(node) => node.deadline(),
            None => self.deadline,
        }
    }

    /// A handle that cancels the scope, moves its deadline and toggles its shield, from any
    /// task or thread, before, during or after it runs.
    ///
    /// # Examples
    /// ```
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// handle.cancel(); // before it runs: honoured at its first suspension point
    /// assert!(handle.cancel_called());
    /// ```
    pub fn handle(&self) -> CancelHandle {
        let node = self
            .node
            .get_or_init(|| ScopeNode::new(self.deadline, self.shield, false));
        CancelHandle {
            node: Arc::clone(node),
        }
    }

    /// Runs `future` in this scope.
    ///
    /// The returned future completes with `Some(output)` when the body completes, and with
    /// `None` when this scope's cancellation dropped the body. A body that completes without
    /// suspending again completes normally even if the scope was cancelled meanwhile.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let outcome = anyio::CancelScope::new().run(async { 1 + 1 }).await;
    ///     assert_eq!(outcome, Some(2));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn run<F: IntoFuture>(self, future: F) -> Scoped<F::IntoFuture> {
        Scoped {
            body: Body::Running {
                future: future.into_future(),
            },
            timer: Deadline::new(),
            scope: ScopeState {
                node: self.node.into_inner(),
                deadline: self.deadline,
                shield: self.shield,
                started: false,
                expired: false,
            },
        }
    }
}

impl Default for CancelScope {
    fn default() -> Self {
        CancelScope::new()
    }
}

impl fmt::Debug for CancelScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelScope")
            .field("deadline", &self.get_deadline())
            .field(
                "shield",
                &self.node.get().map_or(self.shield, |n| n.shield()),
            )
            .field(
                "cancel_called",
                &self.node.get().is_some_and(|n| n.cancel_called()),
            )
            .finish()
    }
}

/// Controls a [`CancelScope`] from anywhere: other tasks, other OS threads, before the scope
/// runs or after it finished. Cheap to clone; `Send + Sync`.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// anyio::run(async {
///     let scope = anyio::CancelScope::new();
///     let handle = scope.handle();
///     std::thread::spawn(move || {
///         std::thread::sleep(Duration::from_millis(10));
///         handle.cancel();
///     });
///     assert_eq!(scope.run(anyio::sleep_forever()).await, None);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct CancelHandle {
    node: Arc<ScopeNode>,
}

impl CancelHandle {
    pub(crate) fn from_node(node: Arc<ScopeNode>) -> Self {
        CancelHandle { node }
    }

    /// Cancels the scope. Idempotent; a no-op once the scope has finished.
    ///
    /// # Examples
    /// ```
    /// let scope = anyio::CancelScope::new();
    /// scope.handle().cancel();
    /// assert!(scope.handle().cancel_called());
    /// ```
    pub fn cancel(&self) {
        self.node.cancel(CancelKind::Explicit);
    }

    /// Cancels the scope, saying why (AnyIO's `cancel(reason)`). Only the first cancellation
    /// counts: a scope already cancelled keeps its reason.
    ///
    /// # Examples
    /// ```
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// handle.cancel_with_reason("shutting down");
    /// handle.cancel_with_reason("too late");
    /// assert_eq!(handle.cancel_reason().as_deref(), Some("shutting down"));
    /// ```
    pub fn cancel_with_reason(&self, reason: impl Into<Cow<'static, str>>) {
        self.node
            .cancel_because(CancelKind::Explicit, Some(reason.into()));
    }

    /// Why the scope was cancelled: the reason given to
    /// [`cancel_with_reason`](Self::cancel_with_reason), or for a deadline the one given to
    /// [`FailAt::with_reason`](crate::FailAt::with_reason). `None` when it was cancelled
    /// without a reason, or not at all.
    ///
    /// # Examples
    /// See [`cancel_with_reason`](Self::cancel_with_reason).
    /// ```
    /// assert_eq!(anyio::CancelScope::new().handle().cancel_reason(), None);
    /// ```
    pub fn cancel_reason(&self) -> Option<Cow<'static, str>> {
        if self.node.cancel_called() {
            self.node.reason()
        } else {
            None
        }
    }

    /// Whether the scope was cancelled, by [`cancel`](Self::cancel) or by its deadline.
    ///
    /// # Examples
    /// ```
    /// assert!(!anyio::CancelScope::new().handle().cancel_called());
    /// ```
    pub fn cancel_called(&self) -> bool {
        self.node.cancel_called()
    }

    /// Whether the scope's deadline passed (rather than [`cancel`](Self::cancel) being called).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let scope = anyio::CancelScope::new().deadline(anyio::current_time());
    ///     let handle = scope.handle();
    ///     scope.run(anyio::sleep_forever()).await;
    ///     assert!(handle.deadline_reached());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn deadline_reached(&self) -> bool {
        self.node.cancel_kind() == Some(CancelKind::Deadline)
    }

    /// Whether the scope finished because its own cancellation dropped its body.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let scope = anyio::CancelScope::new();
    ///     let handle = scope.handle();
    ///     handle.cancel();
    ///     scope.run(anyio::lowlevel::checkpoint()).await;
    ///     assert!(handle.cancelled_caught());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn cancelled_caught(&self) -> bool {
        self.node.cancelled_caught()
    }

    /// The scope's deadline.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::CancelScope::new().handle().deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline()
    }

    /// Moves the deadline (earlier, later, or away with `None`); a running scope re-arms its
    /// timer, and a deadline already passed cancels a running scope at once (a scope that has
    /// not started yet is cancelled when it starts). No effect once the scope is cancelled or
    /// finished.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let scope = anyio::CancelScope::new().deadline(anyio::current_time() + Duration::from_secs(3600));
    ///     let handle = scope.handle();
    ///     handle.set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    ///     assert_eq!(scope.run(anyio::sleep_forever()).await, None);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.node.set_deadline(deadline, current_time);
    }

    /// Whether the scope shields its body from enclosing cancellations.
    ///
    /// # Examples
    /// ```
    /// assert!(anyio::CancelScope::new().shield(true).handle().shield());
    /// ```
    pub fn shield(&self) -> bool {
        self.node.shield()
    }

    /// Switches the shield on or off while the scope runs; switching it off lets a pending
    /// cancellation of an enclosing scope through.
    ///
    /// # Examples
    /// ```
    /// let scope = anyio::CancelScope::new();
    /// scope.handle().set_shield(true);
    /// assert!(scope.handle().shield());
    /// ```
    pub fn set_shield(&self, shield: bool) {
        self.node.set_shield(shield);
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancel_called", &self.cancel_called())
            .field("cancelled_caught", &self.cancelled_caught())
            .field("deadline", &self.deadline())
            .field("shield", &self.shield())
            .finish()
    }
}

pin_project! {
    /// The future returned by [`CancelScope::run`] and [`move_on_after`](crate::move_on_after):
    /// `Some(output)` when the body completes, `None` when the scope's own cancellation
    /// dropped it.
    ///
    /// Before it is first polled, [`handle`](Scoped::handle) gives a handle on its scope, to
    /// move the deadline or read the flags of a timeout (AnyIO's `with move_on_after(..) as
    /// scope`).
    ///
    /// # Cancel safety
    /// Dropping it drops the body, as dropping any future does, and leaves the scope finished.
    ///
    /// # Panics
    /// When polled after it completed, and when its deadline must be checked outside any
    /// runtime (see [`NoEventLoopError`](crate::NoEventLoopError)).
    ///
    /// # Examples
    /// ```
    /// let scoped: anyio::Scoped<_> = anyio::CancelScope::new().run(async { 5 });
    /// assert_eq!(anyio::run(scoped)?, Some(5));
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Scoped<F> {
        // Field order is drop order: the body (and every scope inside it) goes first.
        #[pin]
        body: Body<F>,
        #[pin]
        timer: Deadline,
        scope: ScopeState,
    }
}

pin_project! {
    #[project = BodyProj]
    enum Body<F> {
        Running { #[pin] future: F },
        // Dropped because an enclosing scope is cancelled: that scope drops this future next.
        Dropped,
        Done,
    }
}

/// The scope's own state; exits the node when dropped, however the future ends.
#[derive(Debug)]
struct ScopeState {
    node: Option<Arc<ScopeNode>>,
    deadline: Option<Instant>,
    shield: bool,
    started: bool,
    /// The deadline passed while the scope had no node (a node created later starts cancelled).
    expired: bool,
}

impl Drop for ScopeState {
    fn drop(&mut self) {
        if let Some(node) = &self.node {
            node.exit(false);
        }
    }
}

impl ScopeState {
    /// Enters the scope, on its first poll: links its node (if it has one) under the scope
    /// being polled around it, and cancels it at once if its deadline has already passed.
    fn enter(&mut self) {
        let deadline = match &self.node {
            Some(node) => node.deadline(),
            None => self.deadline,
        };
        if let Some(deadline) = deadline {
            let backend = backend::current_or_panic("anyio::CancelScope (deadline)");
            self.expired = deadline <= backend::now(backend);
        }
        if let Some(node) = &self.node {
            if !node.is_entered() {
                node.enter(context::current());
            }
            if self.expired {
                node.cancel(CancelKind::Deadline);
            }
        }
    }

    /// The node, created now if the scope has none yet (for a handle). A node made after the
    /// scope started is entered at the next poll, under the scope polled around it then:
    /// nothing inside the body can have needed it as a parent, or it would exist already.
    fn node(&mut self) -> &Arc<ScopeNode> {
        let (deadline, shield, expired) = (self.deadline, self.shield, self.expired);
        self.node.get_or_insert_with(|| {
            let node = ScopeNode::new(deadline, shield, false);
            if expired {
                node.cancel(CancelKind::Deadline);
            }
            node
        })
    }
}

impl<F> Scoped<F> {
    /// A handle on this scope: cancel it, move its deadline, switch its shield or read its
    /// flags from anywhere (AnyIO's `with move_on_after(..) as scope`). Call it before the
    /// future is pinned (before `.await`); each call gives a handle on the same scope.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let mut timeout = anyio::move_on_after(Duration::from_secs(3600), anyio::sleep_forever());
    ///     let scope = timeout.handle();
    ///     // Something else decides that an hour is too long:
    ///     scope.set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    ///     assert_eq!(timeout.await, None);
    ///     assert!(scope.cancelled_caught() && scope.deadline_reached());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn handle(&mut self) -> CancelHandle {
        CancelHandle::from_node(Arc::clone(self.scope.node()))
    }

    /// Sets the reason the scope's deadline gives, before it is cancelled (see
    /// [`CancelHandle::cancel_reason`]).
    pub(crate) fn set_deadline_reason(&mut self, reason: Cow<'static, str>) {
        self.scope.node().set_deadline_reason(Some(reason));
    }

    /// The reason the scope was cancelled for, if it has a node that knows one.
    pub(crate) fn cancel_reason(&self) -> Option<Cow<'static, str>> {
        let node = self.scope.node.as_ref()?;
        if node.cancel_called() {
            node.reason()
        } else {
            None
        }
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let future = match this.body.as_mut().project() {
            BodyProj::Running { future } => future,
            BodyProj::Dropped => {
                // Waiting for the enclosing scope that took the cancellation to drop us. If that
                // cancellation no longer reaches here (a shield was switched on in between),
                // nobody will: complete, as cancelled (the body is gone).
                if context::pending_cancellation(cx.waker()) {
                    return Poll::Pending;
                }
                this.body.set(Body::Done);
                return Poll::Ready(None);
            }
            BodyProj::Done => panic!("`anyio::Scoped` polled after it completed"),
        };
        let scope = &mut *this.scope;
        if !scope.started {
            scope.started = true;
            scope.enter();
        } else {
            // A deadline that passed since the last poll is noticed before the body runs
            // again, so that the operations in it see the cancellation instead of completing.
            match &scope.node {
                Some(node) => {
                    if !node.is_entered() {
                        node.enter(context::current());
                    }
                    this.timer.as_mut().notice(node, cx);
                }
                None => {
                    if !scope.expired && this.timer.as_mut().fired(cx) {
                        scope.expired = true;
                    }
                }
            }
        }

        let before = scope
            .node
            .as_ref()
            .map_or(Holds::default(), |node| node.holds());
        let guard = context::push(Frame {
            waker: cx.waker().data(),
            node: scope.node.take(),
            deadline: scope.deadline,
            shield: scope.shield,
            expired: scope.expired,
        });
        let polled = future.poll(cx);
        scope.node = guard.finish().node;

        if let Poll::Ready(output) = polled {
            this.body.set(Body::Done);
            if let Some(node) = &scope.node {
                node.exit(false);
            }
            return Poll::Ready(Some(output));
        }

        // The body is suspended. A scope nobody can reach (no handle, no shield, no nested
        // scope or task) needs no node: only its ancestors and its own deadline can cancel it.
        // The ancestors drop it along with their own bodies; the deadline it watches itself.
        if scope.node.is_none() && !scope.shield {
            let Some(deadline) = scope.deadline else {
                return Poll::Pending;
            };
            if !scope.expired && !this.timer.as_mut().arm(deadline, cx) {
                return Poll::Pending;
            }
            scope.expired = true;
            // The body goes first: what its drop does (a guard cancelling an enclosing scope)
            // decides which scope takes the cancellation.
            this.body.set(Body::Dropped);
            // Attribution: if an enclosing scope is cancelled too, it takes the cancellation.
            if context::cancelled(|| backend::now(backend::current_or_panic("anyio::CancelScope")))
            {
                return Poll::Pending;
            }
            this.body.set(Body::Done);
            return Poll::Ready(None);
        }
        let node = scope.node.get_or_insert_with(|| {
            let node = ScopeNode::new(scope.deadline, scope.shield, false);
            node.enter(context::current());
            node
        });
        if scope.expired {
            node.cancel(CancelKind::Deadline);
        }
        node.register_waker(cx.waker());
        this.timer.as_mut().watch_arm(node, cx);
        match node.verdict(before) {
            Verdict::Keep => Poll::Pending,
            Verdict::PollAgain => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Verdict::Drop => {
                this.body.set(Body::Dropped);
                // Dropping the body may have cancelled an enclosing scope (a drop guard in it):
                // then that scope takes the cancellation, and the code after this one never runs.
                if node.is_cancellation_origin() {
                    this.body.set(Body::Done);
                    node.exit(true);
                    Poll::Ready(None)
                } else {
                    node.exit(false);
                    Poll::Pending
                }
            }
        }
    }
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("deadline", &self.scope.deadline)
            .field("shield", &self.scope.shield)
            .field("running", &matches!(self.body, Body::Running { .. }))
            .finish()
    }
}
