//! [`Listener`]: something that accepts incoming connections, and serves them.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::{AcceptRetry, AsyncResource, Drained, Shutdown, StreamError, TypedAttributeProvider};
use crate::TaskGroup;

/// Something that accepts incoming connections (AnyIO's `Listener`): a
/// [`TcpListener`](crate::net::TcpListener), a [`UnixListener`](crate::net::UnixListener),
/// either as a [`SocketListener`](crate::net::SocketListener), a
/// [`MultiListener`](crate::net::MultiListener) of several, and `tls::TlsListener` over any of
/// them.
///
/// # Examples
/// ```
/// use anyio::net::{TcpListener, TcpStream};
/// use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener};
///
/// /// Greets whoever connects, until cancelled or the listener fails.
/// async fn greet(mut listener: impl Listener<Stream = TcpStream>) -> std::io::Error {
///     listener
///         .serve(|mut stream| async move {
///             let _ = stream.send(b"hello\n").await;
///         })
///         .await
/// }
///
/// anyio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let address = listener.local_addr().unwrap();
///     let greeting = anyio::task_group(|tg| async move {
///         tg.spawn(async move {
///             greet(listener).await;
///         });
///         let client = TcpStream::connect(address).await.unwrap();
///         let mut client = BufferedByteReceiveStream::new(client);
///         let line = client.receive_until(b"\n", 64).await.unwrap();
///         tg.cancel(); // stops the server
///         Ok::<_, std::io::Error>(line)
///     })
///     .await;
///     assert_eq!(greeting.unwrap(), Some(b"hello".to_vec()));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub trait Listener: AsyncResource + TypedAttributeProvider {
    /// What an accepted connection is.
    type Stream: Send + 'static;

    /// Waits for a connection and accepts it.
    ///
    /// anyio's socket listeners skip, and wait for the next connection after, a connection
    /// that failed before it could be accepted (aborted or reset by its peer, refused by a
    /// firewall, or with a network error pending: `ECONNABORTED`, `ECONNRESET`, `EPERM`,
    /// `EPROTO` and the like); they return a shortage of resources to the caller, who may be
    /// able to free some, rather than wait for it.
    ///
    /// # Errors
    /// [`StreamError::Closed`] (inside the `io::Error`) once the listener is closed. Running
    /// out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) is returned as
    /// the system's error, and accepting works again once some are freed: the connections
    /// meanwhile wait in the listen backlog. Any other error is the system's, and means the
    /// listener is broken.
    ///
    /// # Cancel safety
    /// Each implementation says; those of this crate are cancel safe (a dropped accept has
    /// accepted nothing).
    fn accept(&mut self) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Accepts connections forever, running `handler` on each in a task of its own (AnyIO's
    /// `serve`), and returns the error that stopped it: [`StreamError::Closed`] once the
    /// listener is closed, or an accept error that says the listener is broken.
    ///
    /// Nothing else stops it:
    /// - A connection that failed before it was accepted (`ECONNABORTED`, `ECONNRESET`,
    ///   `EPROTO`, `EPERM` from a firewall, and the like) is skipped.
    /// - Running out of resources (`EMFILE` or `ENFILE`, too many open files; `ENOBUFS`,
    ///   `ENOMEM`; `ENOSPC`, the reactor's limit on watched descriptors) is waited out, as Trio's `serve_listeners` does: `serve` sleeps 100 ms on
    ///   the backend's clock (a cancellable [`sleep`](crate::sleep)) and tries again, until
    ///   accepting works. Connections keep queueing in the listen backlog meanwhile, and are
    ///   served once descriptors are freed (by connections that end, say). It costs one
    ///   accept call per 100 ms, not a busy loop. The shortage is logged through `tracing`
    ///   (target `anyio::serve`) once when it starts, as an error naming the system's error,
    ///   and once when it ends, as info with the number of failed attempts and how long it
    ///   lasted; not at every retry. A server that keeps running short, accepting a
    ///   connection now and then, logs at most one such error per 10 seconds, which counts
    ///   the shortages since the last one.
    ///
    /// What happens on a connection is the handler's business: it returns `()`, so a failure
    /// on one connection cannot stop the others or the server. When `serve` itself is
    /// cancelled, or stops, the handlers still running are cancelled and waited for.
    ///
    /// # Panics
    /// A handler that panics (when called, while running, or when its finished future is
    /// dropped) does not stop the server, although a task group re-raises its children's
    /// panics: the panic is caught in the connection's own task and logged as a `tracing`
    /// error (target `anyio::serve`, with the panic's message when it is a string, and the
    /// peer's address when the listener knows it, as `tls::TlsListener` does). The
    /// handler's future is dropped at once, and with it the stream it held, which closes that
    /// connection without more ado; the other connections go on, new ones are accepted, and a
    /// handler whose call panicked is called again for the next. The panic hook (which prints
    /// the message, by default) has run by then, as for any panic; under `panic = "abort"`
    /// there is nothing to catch.
    ///
    /// # Cancel safety
    /// Cancelling it cancels every handler and waits for them to wind down; the listener stays
    /// open.
    ///
    /// # Examples
    /// See [`Listener`].
    fn serve<H, F>(&mut self, mut handler: H) -> impl Future<Output = io::Error> + Send
    where
        Self: Sized,
        H: FnMut(Self::Stream) -> F + Send,
        F: Future<Output = ()> + Send + 'static,
    {
        async move {
            let served = crate::task_group(|tg: TaskGroup<Infallible>| async move {
                let mut retry = AcceptRetry::default();
                loop {
                    retry.pause().await;
                    match self.accept().await {
                        Ok(stream) => {
                            retry.succeeded();
                            if let Some(handling) = contain(&mut handler, stream, None) {
                                tg.spawn(handling);
                            }
                        }
                        Err(error) => {
                            if let Some(fatal) = retry.failed(error) {
                                tg.cancel();
                                return Ok(fatal);
                            }
                        }
                    }
                }
            })
            .await;
            match served {
                Ok(Some(error)) => error,
                // Only cancellation ends the group without the body's error: an enclosing
                // scope dropped `serve` (this value is never seen), or the group was cancelled.
                Ok(None) | Err(_) => StreamError::Closed.into(),
            }
        }
    }

    /// Serves as [`serve`](Self::serve) does until `stop` completes, then shuts down
    /// gracefully, and returns how many connections were in flight and how many of them had
    /// to be cancelled ([`Drained`]):
    ///
    /// 1. The listener is closed: new connections are refused (those waiting in the backlog
    ///    are reset).
    /// 2. Every handler is told, through the [`Shutdown`] it was given, so that a connection
    ///    open for more than one exchange can finish the one in flight and close
    ///    ([`Shutdown::watch`] calls hyper's `graceful_shutdown`, say).
    /// 3. The connections get `grace` (on anyio's clock) to finish; those still running then
    ///    are cancelled, as by a cancel scope's deadline, and waited for. It returns as soon
    ///    as the last connection ends, which may be at once.
    ///
    /// Accept failures and panics of handlers are handled as by [`serve`](Self::serve). The
    /// listener is consumed: it is closed once the stop begins.
    ///
    /// # Errors
    /// An accept error that means the listener is broken (see [`serve`](Self::serve)): the
    /// shutdown then goes as if `stop` had completed (the connections in flight get their
    /// grace period), and the error is returned at the end.
    ///
    /// # Panics
    /// As [`serve`](Self::serve): a handler's panic is caught, logged and ends its
    /// connection only.
    ///
    /// # Cancel safety
    /// Cancelling it cancels every handler at once, without a grace period, and waits for
    /// them to wind down; the listener is closed.
    ///
    /// # Examples
    /// A connection in flight when the stop comes is served to its end; the server then
    /// returns:
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// use anyio::net::{TcpListener, TcpStream};
    /// use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener, Shutdown};
    /// use anyio::sync::Event;
    ///
    /// anyio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let address = listener.local_addr().unwrap();
    ///     let (accepted, stop) = (Arc::new(Event::new()), Arc::new(Event::new()));
    ///     let stopping = {
    ///         let stop = Arc::clone(&stop);
    ///         async move { stop.wait().await }
    ///     };
    ///     // Answers one message, after the stop has begun (so that it is in flight then).
    ///     let handler = {
    ///         let accepted = Arc::clone(&accepted);
    ///         move |mut stream: TcpStream, shutdown: Shutdown| {
    ///             accepted.set();
    ///             async move {
    ///                 shutdown.started().await;
    ///                 let mut buf = [0; 64];
    ///                 if let Ok(n) = stream.receive(&mut buf).await {
    ///                     let _ = stream.send(&buf[..n]).await;
    ///                 }
    ///             }
    ///         }
    ///     };
    ///     anyio::task_group(|tg| async move {
    ///         let grace = Duration::from_secs(10);
    ///         let server = tg.spawn(listener.serve_graceful(handler, stopping, grace));
    ///         let mut client = TcpStream::connect(address).await?;
    ///         accepted.wait().await;
    ///         stop.set();
    ///         client.send(b"ping").await?;
    ///         let mut echo = Vec::new();
    ///         let mut buf = [0; 4];
    ///         while echo.len() < 4 {
    ///             let n = client.receive(&mut buf).await.unwrap();
    ///             echo.extend_from_slice(&buf[..n]);
    ///         }
    ///         assert_eq!(echo, b"ping");
    ///         let drained = server.await.unwrap();
    ///         assert_eq!((drained.in_flight(), drained.cancelled()), (1, 0));
    ///         assert!(TcpStream::connect(address).await.is_err()); // refused
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    fn serve_graceful<H, F, S>(
        self,
        handler: H,
        stop: S,
        grace: Duration,
    ) -> impl Future<Output = io::Result<Drained>> + Send
    where
        Self: Sized,
        H: FnMut(Self::Stream, Shutdown) -> F + Send,
        F: Future<Output = ()> + Send + 'static,
        S: Future<Output = ()> + Send,
    {
        super::graceful::serve_graceful(self, handler, stop, grace)
    }
}

/// Calls `handler` on a connection's `stream`, and returns its future wrapped so that a panic
/// of it stays in the connection's task ([`Contained`]); `None` if the call itself panicked
/// (logged, and the stream dropped, as for a panic in the future). `peer` is the connection's
/// peer, for the log, when the listener knows it.
pub(crate) fn contain<S, H, F>(
    handler: H,
    stream: S,
    peer: Option<SocketAddr>,
) -> Option<Contained<F>>
where
    H: FnOnce(S) -> F,
    F: Future<Output = ()>,
{
    match panic::catch_unwind(AssertUnwindSafe(|| handler(stream))) {
        Ok(future) => Some(Contained::new(future, peer)),
        Err(payload) => {
            report_panic(&*payload, peer);
            None
        }
    }
}

pin_project! {
    /// A connection's task: a future whose panic (while polled, or while dropped once it has
    /// finished or panicked) is caught and logged instead of reaching the task group.
    pub(crate) struct Contained<F> {
        // `None` once finished or panicked: dropped at once, so the connection closes then.
        #[pin]
        future: Option<F>,
        peer: Option<SocketAddr>,
    }
}

impl<F> Contained<F> {
    /// Contains `future`, the work on the connection to `peer` (when known).
    pub(crate) fn new(future: F, peer: Option<SocketAddr>) -> Self {
        Contained {
            future: Some(future),
            peer,
        }
    }
}

impl<F: Future<Output = ()>> Future for Contained<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(())) => {}
            Err(payload) => report_panic(&*payload, *this.peer),
        }
        // Dropped here rather than with the task, under the same guard: the stream it holds
        // closes now, and a destructor that panics is contained too.
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            report_panic(&*payload, *this.peer);
        }
        Poll::Ready(())
    }
}

/// Logs a connection's panic: its message when it is a string (as `panic!` makes them).
fn report_panic(payload: &(dyn Any + Send), peer: Option<SocketAddr>) {
    let message = crate::error::panic_message(payload);
    tracing::error!(
        target: "anyio::serve",
        ?peer,
        panic = message,
        "a connection's task panicked; its connection was dropped"
    );
}
