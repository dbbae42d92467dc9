//! [`TlsListener`]: a listener whose connections are TLS sessions.

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use super::{HandshakeError, StandardCompatible, TlsAcceptor, TlsStream};
use crate::net::RemoteAddress;
use crate::streams::{
    AcceptRetry, AsyncResource, AttributeRequest, Contained, Listener, StreamError,
    TypedAttributeProvider, contain,
};
use crate::{TaskGroup, create_memory_object_stream};

/// How long a client has to finish its handshake, unless told otherwise (AnyIO's default).
const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// A listener that runs the server's TLS handshake on every connection it accepts (AnyIO's
/// `TLSListener`).
///
/// A handshake that fails, or does not finish within the
/// [handshake timeout](Self::handshake_timeout) (30 seconds unless told otherwise), drops
/// its connection and is logged as a `tracing` warning (target `anyio::tls`, with the peer's
/// address), or handed to the [hook](Self::on_handshake_error) if there is one; the listener
/// goes on. Its typed attributes are the listener underneath's, and
/// [`StandardCompatible`](super::StandardCompatible): whether the streams it accepts are. [`serve`](Listener::serve) runs each handshake in the
/// connection's own task, so a slow client holds up nobody; [`accept`](Listener::accept) runs
/// them one after another.
///
/// # Examples
/// ```
/// # mod tls_support {
/// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
/// # }
/// # use tls_support::*;
/// # let (client_config, server_config) = tls_configs();
/// use anyio::net::{TcpListener, TcpStream};
/// use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener};
/// use anyio::tls::{TlsAcceptor, TlsConnector, TlsListener};
///
/// anyio::run(async move {
///     let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let address = tcp.local_addr().unwrap();
///     let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config));
///     let line = anyio::task_group(|tg| async move {
///         tg.spawn(async move {
///             listener.serve(|mut stream| async move {
///                 let _ = stream.send(b"hello over TLS\n").await;
///             }).await;
///         });
///         let tcp = TcpStream::connect(address).await?;
///         let stream = TlsConnector::new(client_config).connect("localhost", tcp).await?;
///         let line = BufferedByteReceiveStream::new(stream).receive_until(b"\n", 64).await?;
///         tg.cancel(); // stops the server
///         Ok::<_, std::io::Error>(line)
///     })
///     .await;
///     assert_eq!(line.unwrap(), Some(b"hello over TLS".to_vec()));
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct TlsListener<L> {
    listener: L,
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
    on_handshake_error: Option<Arc<HandshakeErrorHook>>,
}

/// What [`TlsListener::on_handshake_error`] keeps.
type HandshakeErrorHook = dyn Fn(&HandshakeError) + Send + Sync;

impl<L> TlsListener<L> {
    /// Wraps `listener`, shaking hands with `acceptor`.
    ///
    /// # Examples
    /// See [`TlsListener`].
    pub fn new(listener: L, acceptor: TlsAcceptor) -> TlsListener<L> {
        TlsListener {
            listener,
            acceptor,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            on_handshake_error: None,
        }
    }

    /// How long a client may take over its handshake before it is dropped (AnyIO's
    /// `handshake_timeout`; 30 seconds by default).
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// use std::time::Duration;
    /// use anyio::tls::{TlsAcceptor, TlsListener};
    ///
    /// anyio::run(async move {
    ///     let tcp = anyio::net::TcpListener::bind("[::1]:0".parse().unwrap()).unwrap();
    ///     let listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
    ///         .handshake_timeout(Duration::from_secs(5));
    ///     assert_eq!(listener.timeout(), Duration::from_secs(5));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn handshake_timeout(mut self, timeout: Duration) -> TlsListener<L> {
        self.handshake_timeout = timeout;
        self
    }

    /// Calls `hook` on every handshake that fails or times out, instead of logging it
    /// (AnyIO's `TLSListener.handle_handshake_error`): to count failures, log them your own
    /// way, or ban a client. The connection has been dropped by then; the listener goes on.
    ///
    /// The hook runs in the connection's handshake task under [`serve`](Listener::serve), and
    /// in the caller's under [`accept`](Listener::accept), so it should return promptly.
    ///
    /// # Panics
    /// A panic of the hook is the handshake's: under [`serve`](Listener::serve) it is caught
    /// and logged, as a handler's is, and serving goes on; from
    /// [`accept`](Listener::accept) it reaches the caller.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// use std::sync::{Arc, Mutex};
    /// use anyio::net::{TcpListener, TcpStream};
    /// use anyio::streams::{ByteSendStream, Listener};
    /// use anyio::tls::{TlsAcceptor, TlsListener};
    ///
    /// anyio::run(async move {
    ///     let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let address = tcp.local_addr().unwrap();
    ///     let failures = Arc::new(Mutex::new(Vec::new()));
    ///     let seen = Arc::clone(&failures);
    ///     let mut listener = TlsListener::new(tcp, TlsAcceptor::new(server_config))
    ///         .on_handshake_error(move |error| {
    ///             let why = (error.peer().is_some(), error.is_timeout(), error.rustls_error().is_some());
    ///             seen.lock().unwrap().push(why);
    ///         });
    ///     let mut client = TcpStream::connect(address).await.unwrap();
    ///     client.send(b"GET / HTTP/1.1\r\n\r\n").await.unwrap(); // not TLS
    ///     assert!(anyio::move_on_after(std::time::Duration::from_millis(200), listener.accept()).await.is_none());
    ///     assert_eq!(*failures.lock().unwrap(), [(true, false, true)]);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn on_handshake_error<H>(mut self, hook: H) -> TlsListener<L>
    where
        H: Fn(&HandshakeError) + Send + Sync + 'static,
    {
        self.on_handshake_error = Some(Arc::new(hook));
        self
    }

    /// The handshake timeout.
    ///
    /// # Examples
    /// See [`handshake_timeout`](Self::handshake_timeout).
    pub fn timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The listener underneath.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// use anyio::tls::{TlsAcceptor, TlsListener};
    ///
    /// anyio::run(async move {
    ///     let tcp = anyio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let listener = TlsListener::new(tcp, TlsAcceptor::new(server_config));
    ///     assert!(listener.get_ref().local_addr().unwrap().ip().is_loopback());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn get_ref(&self) -> &L {
        &self.listener
    }

    /// Takes the listener underneath back.
    ///
    /// # Examples
    /// ```
    /// # mod tls_support {
    /// #     include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls.rs"));
    /// # }
    /// # use tls_support::*;
    /// # let (_, server_config) = tls_configs();
    /// use anyio::tls::{TlsAcceptor, TlsListener};
    ///
    /// anyio::run(async move {
    ///     let tcp = anyio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let listener = TlsListener::new(tcp, TlsAcceptor::new(server_config));
    ///     let tcp: anyio::net::TcpListener = listener.into_inner();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_inner(self) -> L {
        self.listener
    }
}

/// Runs the server's handshake on `transport`, whose peer is `peer` (when known), under
/// `timeout`; a failure is logged (or given to `hook`), and the connection dropped.
async fn handshake<S>(
    acceptor: &TlsAcceptor,
    timeout: Duration,
    hook: Option<&HandshakeErrorHook>,
    transport: S,
    peer: Option<SocketAddr>,
) -> Option<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let failure = match crate::fail_after(timeout, acceptor.accept(transport)).await {
        Ok(Ok(stream)) => return Some(stream),
        Ok(Err(error)) => HandshakeError::failed(peer, error),
        Err(_) => HandshakeError::timed_out(peer, timeout),
    };
    match hook {
        Some(hook) => hook(&failure),
        None if failure.is_timeout() => {
            tracing::warn!(target: "anyio::tls", ?peer, ?timeout, "TLS handshake timed out; connection dropped");
        }
        None => {
            tracing::warn!(target: "anyio::tls", ?peer, error = %failure, "TLS handshake failed; connection dropped");
        }
    }
    None
}

/// What [`TlsListener::serve`] waits for: a new connection, or one whose handshake is done.
enum Next<A, H> {
    Accepted(A),
    Handshaken(H),
}

impl<L> Listener for TlsListener<L>
where
    L: Listener,
    L::Stream: AsyncRead + AsyncWrite + TypedAttributeProvider + Unpin,
{
    type Stream = TlsStream<L::Stream>;

    /// Accepts connections, and returns the first whose handshake succeeds.
    ///
    /// # Cancel safety
    /// Cancel safe as the listener underneath is; a connection whose handshake was under
    /// way is dropped.
    async fn accept(&mut self) -> io::Result<TlsStream<L::Stream>> {
        loop {
            let transport = self.listener.accept().await?;
            let peer = transport.extra(RemoteAddress).ok();
            let hook = self.on_handshake_error.as_deref();
            if let Some(stream) = handshake(
                &self.acceptor,
                self.handshake_timeout,
                hook,
                transport,
                peer,
            )
            .await
            {
                return Ok(stream);
            }
        }
    }

    /// As [`Listener::serve`], with each handshake in a task of its own: the handler is
    /// called on the connections whose handshake succeeds, as they do. The listener
    /// underneath must have a cancel-safe `accept` (anyio's have).
    ///
    /// Accept errors are handled as [`Listener::serve`] says: a connection that failed before
    /// it was accepted is skipped, and running out of descriptors or memory is logged once
    /// and waited out (100 ms between attempts) while the handshakes under way go on; only a
    /// closed or broken listener underneath stops it.
    ///
    /// # Panics
    /// As [`Listener::serve`]: a handler's panic is caught in its connection's task and logged
    /// as a `tracing` error (target `anyio::serve`, with the peer's address), its stream is
    /// dropped, and serving goes on. A panic during a handshake is contained the same way.
    async fn serve<H, F>(&mut self, mut handler: H) -> io::Error
    where
        Self: Sized,
        H: FnMut(Self::Stream) -> F + Send,
        F: Future<Output = ()> + Send + 'static,
    {
        // Handshake tasks hand their streams (with their peers' addresses, for the logs) back
        // here, where the handler is: it need not be shared between tasks.
        let (handshaken, ready) =
            create_memory_object_stream::<(Self::Stream, Option<SocketAddr>)>(0);
        let served = crate::task_group(|tg: TaskGroup<Infallible>| async move {
            let mut retry = AcceptRetry::default();
            loop {
                let next = {
                    // The pause after a shortage is raced too: handshakes go on finishing, and
                    // their connections being served, while accepting waits.
                    let mut accept = pin!(async {
                        retry.pause().await;
                        self.listener.accept().await
                    });
                    let mut receive = pin!(ready.receive());
                    poll_fn(|cx| {
                        if let Poll::Ready(stream) = receive.as_mut().poll(cx) {
                            return Poll::Ready(Next::Handshaken(stream));
                        }
                        accept.as_mut().poll(cx).map(Next::Accepted)
                    })
                    .await
                };
                match next {
                    Next::Handshaken(Ok((stream, peer))) => {
                        if let Some(handling) = contain(&mut handler, stream, peer) {
                            tg.spawn(handling);
                        }
                    }
                    // Never: this loop holds a sender.
                    Next::Handshaken(Err(_)) => {}
                    Next::Accepted(Ok(transport)) => {
                        retry.succeeded();
                        let acceptor = self.acceptor.clone();
                        let timeout = self.handshake_timeout;
                        let hook = self.on_handshake_error.clone();
                        let handshaken = handshaken.clone();
                        let peer = transport.extra(RemoteAddress).ok();
                        tg.spawn(Contained::new(
                            async move {
                                let shaken =
                                    handshake(&acceptor, timeout, hook.as_deref(), transport, peer);
                                if let Some(stream) = shaken.await {
                                    // Fails only when serving has stopped.
                                    let _ = handshaken.send((stream, peer)).await;
                                }
                            },
                            peer,
                        ));
                    }
                    Next::Accepted(Err(error)) => {
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
            Ok(None) | Err(_) => StreamError::Closed.into(),
        }
    }
}

impl<L: AsyncResource> AsyncResource for TlsListener<L> {
    /// Closes the listener underneath.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.listener.aclose().await
    }
}

impl<L: TypedAttributeProvider> TypedAttributeProvider for TlsListener<L> {
    /// [`StandardCompatible`] (AnyIO's `TLSAttribute.standard_compatible` of a
    /// `TLSListener`), then the listener underneath's attributes.
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request.provide::<StandardCompatible>(|| self.acceptor.is_standard_compatible());
        self.listener.provide_attributes(request);
    }
}

impl<L: fmt::Debug> fmt::Debug for TlsListener<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("listener", &self.listener)
            .field("acceptor", &self.acceptor)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("on_handshake_error", &self.on_handshake_error.is_some())
            .finish()
    }
}
