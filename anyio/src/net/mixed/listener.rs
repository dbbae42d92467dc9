//! [`SocketListener`]: a TCP or UNIX listener, accepting [`SocketStream`]s.

use std::io;

use super::SocketStream;
use crate::net::{TcpListener, UnixListener};
use crate::streams::{
    AsyncResource, AttributeRequest, Listener, StreamError, TypedAttributeProvider,
};

/// A listener of either kind (AnyIO's `SocketListener`), whose connections are
/// [`SocketStream`]s: the way to put TCP and UNIX listeners in one
/// [`MultiListener`](crate::net::MultiListener) and serve them with one handler.
///
/// An enum rather than a boxed listener: the stream type has to be one type anyway, the two
/// kinds are known, and matching keeps what only one kind has (its local address) at hand
/// without a downcast or an allocation per accept. Accepting, closing, attributes and
/// [`serve`](Listener::serve) behave as the listener inside's.
///
/// # Examples
/// A server on a TCP port and a UNIX socket at once:
/// ```
/// use anyio::net::{MultiListener, SocketListener, TcpListener, TcpStream, UnixListener, UnixStream};
/// use anyio::streams::{BufferedByteReceiveStream, ByteSendStream, Listener};
///
/// anyio::run(async {
///     let dir = std::env::temp_dir().join(format!("anyio-doc-mixed-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("server.sock");
///     let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let address = tcp.local_addr().unwrap();
///     let mut both = MultiListener::new(vec![
///         SocketListener::from(tcp),
///         SocketListener::from(UnixListener::bind(&path).unwrap()),
///     ]);
///     let path_for_client = path.clone();
///     let greetings = anyio::task_group(|tg| async move {
///         tg.spawn(async move {
///             both.serve(|mut stream| async move {
///                 let _ = stream.send(b"hello\n").await;
///             })
///             .await;
///         });
///         let tcp = TcpStream::connect(address).await?;
///         let unix = UnixStream::connect(&path_for_client).await?;
///         let tcp_line = BufferedByteReceiveStream::new(tcp).receive_until(b"\n", 64).await?;
///         let unix_line = BufferedByteReceiveStream::new(unix).receive_until(b"\n", 64).await?;
///         tg.cancel(); // stops the server
///         Ok::<_, std::io::Error>((tcp_line, unix_line))
///     })
///     .await;
///     let hello = b"hello".to_vec();
///     assert_eq!(greetings.unwrap(), Some((hello.clone(), hello)));
///     # std::fs::remove_dir_all(&dir).unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SocketListener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A UNIX domain stream listener.
    Unix(UnixListener),
}

impl From<TcpListener> for SocketListener {
    fn from(listener: TcpListener) -> SocketListener {
        SocketListener::Tcp(listener)
    }
}

impl From<UnixListener> for SocketListener {
    fn from(listener: UnixListener) -> SocketListener {
        SocketListener::Unix(listener)
    }
}

impl TypedAttributeProvider for SocketListener {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        match self {
            SocketListener::Tcp(listener) => listener.provide_attributes(request),
            SocketListener::Unix(listener) => listener.provide_attributes(request),
        }
    }
}

impl AsyncResource for SocketListener {
    /// Closes the listener inside. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        match self {
            SocketListener::Tcp(listener) => listener.aclose().await,
            SocketListener::Unix(listener) => listener.aclose().await,
        }
    }
}

impl Listener for SocketListener {
    type Stream = SocketStream;

    /// The listener inside's accept: cancel safe.
    async fn accept(&mut self) -> io::Result<SocketStream> {
        match self {
            SocketListener::Tcp(listener) => Ok(TcpListener::accept(listener).await?.0.into()),
            SocketListener::Unix(listener) => Ok(UnixListener::accept(listener).await?.into()),
        }
    }
}
