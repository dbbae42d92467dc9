//! [`StapledStream`]: one two-way stream made of a sending stream and a receiving one.

use super::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream,
    ObjectReceiveStream, ObjectSendStream, ObjectStream, SendError, StreamError,
    TypedAttributeProvider,
};

/// A two-way stream made of a stream that sends and a stream that receives (AnyIO's
/// `StapledByteStream` and `StapledObjectStream` in one): a byte stream if both halves carry
/// bytes, an object stream if both carry objects.
///
/// - [`send_eof`](ObjectStream::send_eof) closes the sending half; receiving goes on.
/// - [`aclose`](AsyncResource::aclose) closes both halves, the sending one first, and reports
///   the first failure.
/// - Typed attributes are both halves', the receiving half's winning where both have one.
///
/// # Examples
/// ```
/// use anyio::streams::{ObjectReceiveStream, ObjectSendStream, StapledStream};
///
/// anyio::run(async {
///     // A stream that answers what it is sent, made of two memory object streams.
///     let (to_server, server_inbox) = anyio::create_memory_object_stream::<u32>(1);
///     let (server_outbox, from_server) = anyio::create_memory_object_stream::<u32>(1);
///     let mut client = StapledStream::new(to_server, from_server);
///     let mut server = StapledStream::new(server_outbox, server_inbox);
///
///     client.send(20).await.unwrap();
///     let question = server.receive().await.unwrap();
///     server.send(question + 1).await.unwrap();
///     assert_eq!(client.receive().await.unwrap(), 21);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StapledStream<S, R> {
    send: S,
    receive: R,
    /// `aclose` was called (and may have been cancelled before both halves were closed).
    closed: bool,
}

impl<S, R> StapledStream<S, R> {
    /// Staples `send`, which will do the sending, to `receive`, which will do the receiving.
    ///
    /// # Examples
    /// See [`StapledStream`].
    pub fn new(send: S, receive: R) -> Self {
        StapledStream {
            send,
            receive,
            closed: false,
        }
    }

    /// The sending half.
    ///
    /// # Examples
    /// ```
    /// let stapled = anyio::streams::StapledStream::new("send", "receive");
    /// assert_eq!(*stapled.send_stream(), "send");
    /// ```
    pub fn send_stream(&self) -> &S {
        &self.send
    }

    /// The receiving half.
    ///
    /// # Examples
    /// ```
    /// let stapled = anyio::streams::StapledStream::new("send", "receive");
    /// assert_eq!(*stapled.receive_stream(), "receive");
    /// ```
    pub fn receive_stream(&self) -> &R {
        &self.receive
    }

    /// The sending half, mutably.
    ///
    /// # Examples
    /// ```
    /// let mut stapled = anyio::streams::StapledStream::new(1, 2);
    /// *stapled.send_stream_mut() += 10;
    /// assert_eq!(stapled.into_parts(), (11, 2));
    /// ```
    pub fn send_stream_mut(&mut self) -> &mut S {
        &mut self.send
    }

    /// The receiving half, mutably.
    ///
    /// # Examples
    /// ```
    /// let mut stapled = anyio::streams::StapledStream::new(1, 2);
    /// *stapled.receive_stream_mut() += 10;
    /// assert_eq!(stapled.into_parts(), (1, 12));
    /// ```
    pub fn receive_stream_mut(&mut self) -> &mut R {
        &mut self.receive
    }

    fn check_open(&self) -> Result<(), StreamError> {
        if self.closed {
            Err(StreamError::Closed)
        } else {
            Ok(())
        }
    }

    /// The two halves apart: `(send, receive)`.
    ///
    /// # Examples
    /// ```
    /// let stapled = anyio::streams::StapledStream::new('s', 'r');
    /// assert_eq!(stapled.into_parts(), ('s', 'r'));
    /// ```
    pub fn into_parts(self) -> (S, R) {
        (self.send, self.receive)
    }
}

impl<S: TypedAttributeProvider, R: TypedAttributeProvider> TypedAttributeProvider
    for StapledStream<S, R>
{
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.receive.provide_attributes(request);
        self.send.provide_attributes(request);
    }
}

impl<S: AsyncResource, R: AsyncResource> AsyncResource for StapledStream<S, R> {
    /// Marks the stream closed first, so that even a cancelled close leaves it closed.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.closed = true;
        let sent = self.send.aclose().await;
        let received = self.receive.aclose().await;
        sent.and(received)
    }
}

impl<S: AsyncResource + TypedAttributeProvider, R: ObjectReceiveStream> ObjectReceiveStream
    for StapledStream<S, R>
{
    type Item = R::Item;

    /// The receiving half's receive, with its cancel safety.
    async fn receive(&mut self) -> Result<R::Item, StreamError> {
        self.check_open()?;
        self.receive.receive().await
    }
}

impl<T, S, R> ObjectSendStream<T> for StapledStream<S, R>
where
    T: Send,
    S: ObjectSendStream<T>,
    R: AsyncResource + TypedAttributeProvider,
{
    /// The sending half's send, with its cancel safety.
    async fn send(&mut self, item: T) -> Result<(), SendError<T>> {
        if self.closed {
            return Err(SendError::new(item, StreamError::Closed));
        }
        self.send.send(item).await
    }
}

impl<T, S, R> ObjectStream<T> for StapledStream<S, R>
where
    T: Send,
    S: ObjectSendStream<T>,
    R: ObjectReceiveStream<Item = T>,
{
    /// Closes the sending half.
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        self.check_open()?;
        self.send.aclose().await
    }
}

impl<S: AsyncResource + TypedAttributeProvider, R: ByteReceiveStream> ByteReceiveStream
    for StapledStream<S, R>
{
    /// The receiving half's receive, with its cancel safety.
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.check_open()?;
        self.receive.receive(buf).await
    }
}

impl<S: ByteSendStream, R: AsyncResource + TypedAttributeProvider> ByteSendStream
    for StapledStream<S, R>
{
    /// The sending half's send, with its cancel safety.
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        self.check_open()?;
        self.send.send(data).await
    }
}

impl<S: ByteSendStream, R: ByteReceiveStream> ByteStream for StapledStream<S, R> {
    /// Closes the sending half.
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        self.check_open()?;
        self.send.aclose().await
    }
}
