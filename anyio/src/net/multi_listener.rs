//! [`MultiListener`]: several listeners accepting as one.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::Poll;

use crate::streams::{
    AsyncResource, AttributeRequest, Listener, StreamError, TypedAttributeProvider,
};

/// Several listeners that accept as one (AnyIO's `MultiListener`): what
/// [`create_tcp_listener`](super::create_tcp_listener) returns, one listener per address of
/// the host.
///
/// [`accept`](Listener::accept) takes the first connection any of them has, starting with a
/// different listener each time so that none is starved, and returns the first error any of
/// them has; [`serve`](Listener::serve) serves them all in one task group, and like every
/// `serve` waits out a shortage of descriptors or memory on any of them (100 ms between
/// attempts, logged once) instead of stopping; [`aclose`](AsyncResource::aclose) closes them
/// all. Typed attributes are the first listener's (then the next's, for what it lacks).
///
/// The listeners are of one type, so that their connections are: to serve TCP and UNIX
/// listeners together, make each a [`SocketListener`](super::SocketListener), whose
/// connections are [`SocketStream`](super::SocketStream)s (see there for an example).
///
/// # Examples
/// ```
/// use anyio::net::{MultiListener, TcpListener, TcpStream};
/// use anyio::streams::Listener;
///
/// anyio::run(async {
///     let v4 = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let v6 = TcpListener::bind("[::1]:0".parse().unwrap()).unwrap();
///     let v6_address = v6.local_addr().unwrap();
///     let mut both = MultiListener::new(vec![v4, v6]);
///     let _client = TcpStream::connect(v6_address).await.unwrap();
///     let server = both.accept().await.unwrap();
///     assert_eq!(server.local_addr().unwrap(), v6_address);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct MultiListener<L> {
    listeners: Vec<L>,
    /// The listener the next accept polls first.
    next: usize,
}

impl<L> MultiListener<L> {
    /// Accepts from all of `listeners`.
    ///
    /// # Examples
    /// See [`MultiListener`].
    pub fn new(listeners: Vec<L>) -> Self {
        MultiListener { listeners, next: 0 }
    }

    /// The listeners.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    ///     assert_eq!(listener.listeners().len(), 1);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn listeners(&self) -> &[L] {
        &self.listeners
    }

    /// The listeners, apart.
    ///
    /// # Examples
    /// ```
    /// let listeners: Vec<anyio::net::TcpListener> = anyio::net::MultiListener::new(Vec::new()).into_inner();
    /// assert!(listeners.is_empty());
    /// ```
    pub fn into_inner(self) -> Vec<L> {
        self.listeners
    }
}

impl<L> FromIterator<L> for MultiListener<L> {
    /// Accepts from all of the listeners.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{MultiListener, SocketListener, TcpListener, create_tcp_listener};
    ///
    /// anyio::run(async {
    ///     let tcp = create_tcp_listener(Some("localhost"), 0).await.unwrap();
    ///     let extra = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let all: MultiListener<SocketListener> = tcp
    ///         .into_inner()
    ///         .into_iter()
    ///         .chain([extra])
    ///         .map(SocketListener::from)
    ///         .collect();
    ///     assert!(all.listeners().len() >= 2);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    fn from_iter<I: IntoIterator<Item = L>>(listeners: I) -> Self {
        MultiListener::new(listeners.into_iter().collect())
    }
}

impl<L> Extend<L> for MultiListener<L> {
    /// Accepts from these listeners too.
    ///
    /// # Examples
    /// ```
    /// use anyio::net::{MultiListener, TcpListener};
    ///
    /// anyio::run(async {
    ///     let mut all = MultiListener::new(Vec::new());
    ///     all.extend([TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap()]);
    ///     assert_eq!(all.listeners().len(), 1);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    fn extend<I: IntoIterator<Item = L>>(&mut self, listeners: I) {
        self.listeners.extend(listeners);
    }
}

impl<L: TypedAttributeProvider> TypedAttributeProvider for MultiListener<L> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        for listener in &self.listeners {
            listener.provide_attributes(request);
        }
    }
}

impl<L: Listener> AsyncResource for MultiListener<L> {
    /// Closes every listener, and reports the first failure.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        let mut result = Ok(());
        for listener in &mut self.listeners {
            let closed = listener.aclose().await;
            if result.is_ok() {
                result = closed;
            }
        }
        result
    }
}

impl<L: Listener> Listener for MultiListener<L> {
    type Stream = L::Stream;

    /// Cancel safe when the listeners' accepts are: the accepts that lose the race are
    /// dropped, having accepted nothing.
    async fn accept(&mut self) -> io::Result<L::Stream> {
        if self.listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a MultiListener with no listeners accepts nothing",
            ));
        }
        let start = self.next % self.listeners.len();
        self.next = start + 1;
        let (before, from_start) = self.listeners.split_at_mut(start);
        // One accept per listener, raced; boxed because their number is known only now.
        type Accept<'a, S> = Pin<Box<dyn Future<Output = io::Result<S>> + Send + 'a>>;
        let mut accepts: Vec<Accept<'_, L::Stream>> = from_start
            .iter_mut()
            .chain(before.iter_mut())
            .map(|listener| Box::pin(listener.accept()) as Accept<'_, L::Stream>)
            .collect();
        poll_fn(|cx| {
            for accept in &mut accepts {
                if let Poll::Ready(result) = accept.as_mut().poll(cx) {
                    return Poll::Ready(result);
                }
            }
            Poll::Pending
        })
        .await
    }
}
