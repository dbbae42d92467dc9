//! [`Listener`]: something that accepts incoming connections, and serves them.

use std::convert::Infallible;
use std::future::Future;
use std::io;

use super::{AsyncResource, StreamError, TypedAttributeProvider};
use crate::TaskGroup;

/// Something that accepts incoming connections (AnyIO's `Listener`): a
/// [`TcpListener`](crate::net::TcpListener), a [`MultiListener`](crate::net::MultiListener) of
/// several, and the UNIX and TLS listeners to come.
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
    /// # Errors
    /// [`StreamError::Closed`] (inside the `io::Error`) once the listener is closed; the
    /// system's error otherwise, after which accepting may go on.
    ///
    /// # Cancel safety
    /// Each implementation says; those of this crate are cancel safe (a dropped accept has
    /// accepted nothing).
    fn accept(&mut self) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Accepts connections forever, running `handler` on each in a task of its own (AnyIO's
    /// `serve`), and returns the error that stopped it: [`StreamError::Closed`] once the
    /// listener is closed, or an accept error that is not about one connection (such as
    /// running out of file descriptors).
    ///
    /// A connection that failed before it was accepted (aborted or reset by its peer) is
    /// skipped. What happens on a connection is the handler's business: it returns `()`, so a
    /// failure on one connection cannot stop the others or the server. When `serve` itself is
    /// cancelled, or stops, the handlers still running are cancelled and waited for.
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
                loop {
                    match self.accept().await {
                        Ok(stream) => {
                            tg.spawn(handler(stream));
                        }
                        Err(error) if is_about_one_connection(&error) => {}
                        Err(error) => {
                            tg.cancel();
                            return Ok(error);
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
}

/// Whether an accept error concerns only the connection being accepted, so that accepting may
/// go on at once.
pub(crate) fn is_about_one_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}
