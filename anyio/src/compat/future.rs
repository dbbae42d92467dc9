//! [`TokioCompat`]: a future that runs inside a tokio runtime context whichever backend polls
//! it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::background;
use crate::backend::{self, Active};

/// How a [`TokioCompat`] runs its future, decided at its first poll (the backend that runs a
/// future does not change between polls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Not polled yet.
    Undecided,
    /// tokio runs the caller: its context is already there, the wrapper only passes polls on.
    Native,
    /// Another backend runs the caller: each poll (and the drop) enters the background
    /// runtime.
    Background,
}

impl Mode {
    /// This mode, or if undecided the one for the backend that runs the caller.
    fn or_decide(self) -> Mode {
        if self != Mode::Undecided {
            return self;
        }
        match backend::current() {
            Ok(Active::Tokio) => Mode::Native,
            _ => Mode::Background,
        }
    }
}

pin_project! {
    /// A future that tokio-only code can run in under either backend: what
    /// [`compat::tokio`](super::tokio()) returns. See [the module](super) for what it does and
    /// costs.
    ///
    /// # Panics
    /// When polled after it has completed, as most futures do; under smol, when the background
    /// tokio runtime cannot be started (the system refuses it a thread or an epoll
    /// descriptor), with the system's error.
    ///
    /// # Cancel safety
    /// As cancel safe as the future it wraps: dropping it drops that future (inside the
    /// runtime's context) wherever it was waiting.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use anyio::compat::TokioCompat;
    ///
    /// anyio::Runner::new(anyio::Backend::Smol).run(async {
    ///     let nap: TokioCompat<_> = anyio::compat::tokio(async {
    ///         tokio::time::sleep(Duration::from_millis(1)).await;
    ///     });
    ///     nap.await;
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct TokioCompat<F> {
        // `None` once it has completed: dropped then, inside the runtime's context.
        #[pin]
        future: Option<F>,
        mode: Mode,
    }

    impl<F> PinnedDrop for TokioCompat<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.future.is_none() || this.mode.or_decide() == Mode::Native {
                return;
            }
            // tokio resources deregister from their driver when dropped, and some libraries
            // make new ones in destructors: both need the runtime's context. A future never
            // polled needs it too if it holds resources made elsewhere, but is no reason to
            // start the runtime.
            let mut future = this.future;
            match background::started() {
                Some(runtime) => {
                    let _context = runtime.enter();
                    let _backend = backend::enter(Active::Smol);
                    future.set(None);
                }
                None => future.set(None),
            }
        }
    }
}

impl<F> TokioCompat<F> {
    /// Wraps `future`; [`compat::tokio`](super::tokio()) says the same in fewer words.
    ///
    /// # Examples
    /// ```
    /// use anyio::compat::TokioCompat;
    ///
    /// anyio::Runner::new(anyio::Backend::Smol).run(async {
    ///     let answer = TokioCompat::new(async { tokio::task::spawn(async { 42 }).await }).await;
    ///     assert_eq!(answer.unwrap(), 42);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn new(future: F) -> TokioCompat<F> {
        TokioCompat {
            future: Some(future),
            mode: Mode::Undecided,
        }
    }
}

impl<F: Future> Future for TokioCompat<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        *this.mode = this.mode.or_decide();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`anyio::compat::TokioCompat` polled after it completed");
        };
        if *this.mode == Mode::Native {
            let polled = future.poll(cx);
            if polled.is_ready() {
                this.future.set(None);
            }
            return polled;
        }
        let runtime = match background::runtime() {
            Ok(runtime) => runtime,
            Err(error) => panic!(
                "anyio::compat: cannot start the background tokio runtime that tokio-only code \
                 needs under smol: {error}"
            ),
        };
        let _context = runtime.enter();
        // With the multi-thread runtime entered, anyio's detection would take this thread for
        // a tokio one: the anyio code inside keeps running on smol, where its tasks belong.
        let _backend = backend::enter(Active::Smol);
        let polled = future.poll(cx);
        if polled.is_ready() {
            this.future.set(None);
        }
        polled
    }
}

impl<F> fmt::Debug for TokioCompat<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioCompat")
            .field("mode", &self.mode)
            .field("completed", &self.future.is_none())
            .finish_non_exhaustive()
    }
}
