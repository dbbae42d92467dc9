//! Graceful serving: stop accepting, give the connections in flight a grace period, then
//! cancel what is left ([`Listener::serve_graceful`]).

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::listener::contain;
use super::{AcceptRetry, Listener};
use crate::TaskGroup;
use crate::sync::{Event, EventWait};

/// What the connection handlers of [`Listener::serve_graceful`] are told: whether the server
/// has begun to shut down. Clones share the one notice.
///
/// A handler that keeps a connection open for more than one exchange (HTTP keep-alive, a
/// WebSocket) should wind it down once the shutdown starts: finish the exchange in flight,
/// then close. [`watch`](Self::watch) runs the connection's future and calls a hook on it
/// when that moment comes (hyper's `graceful_shutdown`, say).
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// use anyio::net::TcpListener;
/// use anyio::streams::{ByteSendStream, Listener, Shutdown};
///
/// /// Sends a tick every millisecond until the server shuts down, then says goodbye.
/// async fn ticker(mut stream: anyio::net::TcpStream, shutdown: Shutdown) {
///     while !shutdown.is_started() {
///         let tick = anyio::move_on_after(Duration::from_millis(1), shutdown.started()).await;
///         if tick.is_none() && stream.send(b"tick\n").await.is_err() {
///             return;
///         }
///     }
///     let _ = stream.send(b"goodbye\n").await;
/// }
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     // Nobody connects; the stop comes at once.
///     let drained = listener
///         .serve_graceful(ticker, async {}, Duration::from_secs(1))
///         .await
///         .unwrap();
///     assert_eq!(drained.in_flight(), 0);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct Shutdown {
    started: Arc<Event>,
}

impl Shutdown {
    fn new() -> Self {
        Shutdown {
            started: Arc::new(Event::new()),
        }
    }

    /// Whether the shutdown has started: the server no longer accepts connections.
    ///
    /// # Examples
    /// See [`Shutdown`].
    pub fn is_started(&self) -> bool {
        self.started.is_set()
    }

    /// Waits until the shutdown starts; at once if it has.
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped wait has changed nothing.
    ///
    /// # Examples
    /// See [`Shutdown`].
    pub fn started(&self) -> EventWait<'_> {
        self.started.wait()
    }

    /// Runs `future` to its end, and calls `on_shutdown` on it once, when the shutdown
    /// starts (at once, if it has), so that it can wind down by itself: hyper's
    /// `graceful_shutdown` on a connection finishes the request in flight, then closes.
    /// `future` is polled again right after the call.
    ///
    /// # Cancel safety
    /// As cancel safe as `future`: cancelling drops it.
    ///
    /// # Examples
    /// ```
    /// use std::future::Future;
    /// use std::pin::Pin;
    /// use std::sync::Arc;
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    ///
    /// use anyio::net::{TcpListener, TcpStream};
    /// use anyio::streams::{ByteReceiveStream, Listener, Shutdown, StreamError};
    /// use anyio::sync::Event;
    ///
    /// /// Stands for a connection that would go on forever, unless told to wind down.
    /// struct Endless {
    ///     winding_down: bool,
    /// }
    ///
    /// impl Endless {
    ///     fn wind_down(self: Pin<&mut Self>) {
    ///         self.get_mut().winding_down = true;
    ///     }
    /// }
    ///
    /// impl Future for Endless {
    ///     type Output = &'static str;
    ///     fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<&'static str> {
    ///         // `watch` polls again right after `wind_down`: no waker needed for it.
    ///         if self.winding_down { Poll::Ready("wound down") } else { Poll::Pending }
    ///     }
    /// }
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let address = listener.local_addr().unwrap();
    ///     let (accepted, stop) = (Arc::new(Event::new()), Arc::new(Event::new()));
    ///     let handler = {
    ///         let accepted = Arc::clone(&accepted);
    ///         move |stream: TcpStream, shutdown: Shutdown| {
    ///             accepted.set();
    ///             async move {
    ///                 let endless = Endless { winding_down: false };
    ///                 assert_eq!(shutdown.watch(endless, Endless::wind_down).await, "wound down");
    ///                 drop(stream);
    ///             }
    ///         }
    ///     };
    ///     let stopping = {
    ///         let stop = Arc::clone(&stop);
    ///         async move { stop.wait().await }
    ///     };
    ///     anyio::task_group(|tg| async move {
    ///         let grace = Duration::from_secs(10);
    ///         let server = tg.spawn(listener.serve_graceful(handler, stopping, grace));
    ///         let mut client = TcpStream::connect(address).await?;
    ///         accepted.wait().await;
    ///         stop.set();
    ///         let mut buf = [0; 8];
    ///         assert!(matches!(client.receive(&mut buf).await, Err(StreamError::EndOfStream)));
    ///         let drained = server.await.unwrap();
    ///         assert_eq!((drained.in_flight(), drained.cancelled()), (1, 0));
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn watch<F, G>(&self, future: F, on_shutdown: G) -> Watch<'_, F, G>
    where
        F: Future,
        G: FnOnce(Pin<&mut F>),
    {
        Watch {
            future,
            started: self.started(),
            on_shutdown: Some(on_shutdown),
        }
    }
}

pin_project! {
    /// The future returned by [`Shutdown::watch`].
    ///
    /// # Examples
    /// See [`Shutdown::watch`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Watch<'a, F, G> {
        #[pin]
        future: F,
        #[pin]
        started: EventWait<'a>,
        // `None` once called.
        on_shutdown: Option<G>,
    }
}

impl<F, G> Future for Watch<'_, F, G>
where
    F: Future,
    G: FnOnce(Pin<&mut F>),
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        if this.on_shutdown.is_some() && this.started.poll(cx).is_ready() {
            if let Some(hook) = this.on_shutdown.take() {
                hook(this.future.as_mut());
            }
        }
        this.future.poll(cx)
    }
}

impl<F, G> fmt::Debug for Watch<'_, F, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("told", &self.on_shutdown.is_none())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("started", &self.is_started())
            .finish()
    }
}

/// How a [`Listener::serve_graceful`] ended: the connections that were in flight when the
/// stop began, and those of them still running when the grace period ran out, which were
/// cancelled.
///
/// # Examples
/// See [`Listener::serve_graceful`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drained {
    in_flight: usize,
    cancelled: usize,
}

impl Drained {
    /// The connections still being served when the stop began.
    ///
    /// # Examples
    /// See [`Listener::serve_graceful`].
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The connections cancelled when the grace period ran out (none if every connection
    /// finished in time).
    ///
    /// # Examples
    /// See [`Listener::serve_graceful`].
    pub fn cancelled(&self) -> usize {
        self.cancelled
    }
}

/// [`Listener::serve_graceful`]'s body.
pub(super) async fn serve_graceful<L, H, F, S>(
    mut listener: L,
    mut handler: H,
    stop: S,
    grace: Duration,
) -> io::Result<Drained>
where
    L: Listener,
    H: FnMut(L::Stream, Shutdown) -> F + Send,
    F: Future<Output = ()> + Send + 'static,
    S: Future<Output = ()> + Send,
{
    let shutdown = Shutdown::new();
    // Connections whose handler has not finished: each adds one when spawned and takes it
    // back when its handler returns, so those the grace period cuts short stay counted.
    let running = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let served = crate::task_group(|tg: TaskGroup<Infallible>| {
        let shutdown = shutdown.clone();
        let running = Arc::clone(&running);
        let in_flight = Arc::clone(&in_flight);
        async move {
            let fatal = {
                let mut accepting = pin!(accept_loop(
                    &mut listener,
                    &mut handler,
                    &tg,
                    &shutdown,
                    &running
                ));
                let mut stop = pin!(stop);
                poll_fn(|cx| {
                    if stop.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(None);
                    }
                    accepting.as_mut().poll(cx).map(Some)
                })
                .await
            };
            // Closed now, so that new connections are refused (those in the backlog reset).
            drop(listener);
            in_flight.store(running.load(Ordering::Acquire), Ordering::Release);
            shutdown.started.set();
            // A grace too long to represent is no deadline at all.
            let deadline = crate::current_time().checked_add(grace);
            tg.cancel_scope().set_deadline(deadline);
            Ok::<_, Infallible>(fatal)
        }
    })
    .await;
    let drained = Drained {
        in_flight: in_flight.load(Ordering::Acquire),
        cancelled: running.load(Ordering::Acquire),
    };
    match served {
        Ok(Some(Some(fatal))) => Err(fatal),
        // The body returns right after setting the deadline, without suspending, so the
        // group has its value even when the deadline has passed; nothing can fail in it.
        Ok(Some(None)) | Ok(None) => Ok(drained),
        Err(error) => Err(io::Error::other(error)),
    }
}

/// Accepts connections and spawns their handlers into `tg` until the listener breaks; returns
/// the error that broke it.
async fn accept_loop<L, H, F>(
    listener: &mut L,
    handler: &mut H,
    tg: &TaskGroup<Infallible>,
    shutdown: &Shutdown,
    running: &Arc<AtomicUsize>,
) -> io::Error
where
    L: Listener,
    H: FnMut(L::Stream, Shutdown) -> F + Send,
    F: Future<Output = ()> + Send + 'static,
{
    let mut retry = AcceptRetry::default();
    loop {
        retry.pause().await;
        match listener.accept().await {
            Ok(stream) => {
                retry.succeeded();
                let notice = shutdown.clone();
                let handling = contain(|stream| handler(stream, notice), stream, None);
                if let Some(handling) = handling {
                    let running = Arc::clone(running);
                    running.fetch_add(1, Ordering::AcqRel);
                    tg.spawn(async move {
                        handling.await;
                        // Not reached when cancelled: the connection stays counted.
                        running.fetch_sub(1, Ordering::AcqRel);
                    });
                }
            }
            Err(error) => {
                if let Some(fatal) = retry.failed(error) {
                    return fatal;
                }
            }
        }
    }
}
