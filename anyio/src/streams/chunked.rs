//! [`ChunkedByteStream`]: a byte stream over a stream of byte chunks.

use std::fmt;

use super::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream,
    ObjectReceiveStream, ObjectSendStream, ObjectStream, StreamError, TypedAttributeProvider,
};

/// A byte stream over an object stream whose items are chunks of bytes: a
/// [memory object stream](super::memory) of `Vec<u8>`, say. A receive returns bytes from the
/// current chunk, splitting a chunk larger than the caller's buffer over several receives and
/// skipping empty ones; a send sends one `Vec<u8>` chunk.
///
/// This is how AnyIO's `BufferedByteReceiveStream` accepts an `ObjectReceiveStream[bytes]`:
/// put a `ChunkedByteStream` under a [`BufferedByteReceiveStream`](super::BufferedByteReceiveStream).
/// Two memory object streams, [stapled](super::StapledStream) and chunked, also make an
/// in-memory byte pipe for tests.
///
/// # Examples
/// ```
/// use anyio::streams::{BufferedByteReceiveStream, ChunkedByteStream};
///
/// anyio::run(async {
///     let (tx, rx) = anyio::create_memory_object_stream::<Vec<u8>>(4);
///     for chunk in [&b"GET / HT"[..], b"TP/1.1\r", b"\n"] {
///         tx.send(chunk.to_vec()).await.unwrap();
///     }
///     let mut stream = BufferedByteReceiveStream::new(ChunkedByteStream::new(rx));
///     assert_eq!(stream.receive_until(b"\r\n", 100).await.unwrap(), b"GET / HTTP/1.1");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct ChunkedByteStream<R: ObjectReceiveStream> {
    inner: R,
    /// The chunk being received, and how much of it was.
    current: Option<(R::Item, usize)>,
    closed: bool,
}

impl<R: ObjectReceiveStream> ChunkedByteStream<R> {
    /// Receives the bytes of `inner`'s chunks (and sends through it, if it sends).
    ///
    /// # Examples
    /// See [`ChunkedByteStream`].
    pub fn new(inner: R) -> Self {
        ChunkedByteStream {
            inner,
            current: None,
            closed: false,
        }
    }

    /// The inner stream.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = anyio::create_memory_object_stream::<Vec<u8>>(1);
    /// let stream = anyio::streams::ChunkedByteStream::new(rx);
    /// assert_eq!(stream.get_ref().statistics().open_send_streams, 1);
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner stream, mutably. Receiving through it skips the rest of the current chunk.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = anyio::create_memory_object_stream::<Vec<u8>>(1);
    /// let mut stream = anyio::streams::ChunkedByteStream::new(rx);
    /// stream.get_mut().close();
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner stream, and what is left of the chunk being received, which would otherwise
    /// be lost.
    ///
    /// # Examples
    /// ```
    /// let (_tx, rx) = anyio::create_memory_object_stream::<Vec<u8>>(1);
    /// let (_rx, rest) = anyio::streams::ChunkedByteStream::new(rx).into_parts();
    /// assert!(rest.is_empty());
    /// ```
    pub fn into_parts(self) -> (R, Vec<u8>)
    where
        R::Item: AsRef<[u8]>,
    {
        let rest = match &self.current {
            Some((chunk, taken)) => chunk.as_ref()[*taken..].to_vec(),
            None => Vec::new(),
        };
        (self.inner, rest)
    }
}

impl<R: ObjectReceiveStream + fmt::Debug> fmt::Debug for ChunkedByteStream<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedByteStream")
            .field("inner", &self.inner)
            .field("in_chunk", &self.current.is_some())
            .finish()
    }
}

impl<R: ObjectReceiveStream> TypedAttributeProvider for ChunkedByteStream<R> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.inner.provide_attributes(request);
    }
}

impl<R: ObjectReceiveStream<Item: Send>> AsyncResource for ChunkedByteStream<R> {
    /// Closes the inner stream, dropping the rest of the chunk being received.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.closed = true;
        self.current = None;
        self.inner.aclose().await
    }
}

impl<R: ObjectReceiveStream<Item: AsRef<[u8]> + Send>> ByteReceiveStream for ChunkedByteStream<R> {
    /// Cancel safe when the inner stream's receive is (as a memory object stream's is): a
    /// chunk is kept from the moment it is received.
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if buf.is_empty() {
            return Err(crate::streams::EMPTY_BUFFER);
        }
        loop {
            if let Some((chunk, taken)) = &mut self.current {
                let rest = &chunk.as_ref()[*taken..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    *taken += n;
                    return Ok(n);
                }
            }
            self.current = None;
            let chunk = self.inner.receive().await?;
            self.current = Some((chunk, 0));
        }
    }
}

impl<R> ByteSendStream for ChunkedByteStream<R>
where
    R: ObjectReceiveStream<Item: Send> + ObjectSendStream<Vec<u8>>,
{
    /// Sends `data` as one chunk, with the inner stream's cancel safety: on a memory object
    /// stream, a send dropped before it returned has sent nothing. Sending nothing sends no
    /// chunk.
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if data.is_empty() {
            return Ok(());
        }
        Ok(self.inner.send(data.to_vec()).await?)
    }
}

impl<R> ByteStream for ChunkedByteStream<R>
where
    R: ObjectReceiveStream<Item: AsRef<[u8]> + Send> + ObjectStream<Vec<u8>>,
{
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        self.inner.send_eof().await
    }
}
