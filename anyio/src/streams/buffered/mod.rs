//! [`BufferedByteReceiveStream`]: receive exactly `n` bytes, or up to a delimiter, from any
//! byte stream.

use std::fmt;

mod poll_io;

use super::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, ByteStream, StreamError,
    TypedAttributeProvider,
};

/// How much room a read asks the inner stream to fill, at least.
const READ_CHUNK: usize = 8 * 1024;

/// How much room a read asks for, at most: the storage grows by what arrives, not by what a
/// caller (or a length header from the peer) says will come.
const MAX_READ: usize = 64 * 1024;

/// Storage larger than this is released once the buffer empties, so that one large message
/// does not pin its memory for the life of the stream.
const KEEP_STORAGE: usize = 64 * 1024;

/// A byte stream with a receive buffer, for protocols that need whole messages: exactly `n`
/// bytes ([`receive_exactly`](Self::receive_exactly)), or everything up to a delimiter
/// ([`receive_until`](Self::receive_until)). AnyIO's `BufferedByteReceiveStream`.
///
/// A failure leaves the buffer as it was: on [`StreamError::IncompleteRead`] (the stream
/// ended first) and [`StreamError::DelimiterNotFound`] (too many bytes without a delimiter)
/// every byte received so far is still in [`buffer`](Self::buffer), and so it is when the
/// call is cancelled.
///
/// If the inner stream also sends, so does this one (AnyIO's `BufferedByteStream`, which the
/// alias [`BufferedByteStream`] names): sends go straight through. Typed attributes are the
/// inner stream's.
///
/// # Examples
/// ```
/// use anyio::streams::{BufferedByteReceiveStream, FuturesIoStream, StreamError};
///
/// anyio::run(async {
///     let wire = FuturesIoStream::reader(&b"\x00\x05hello\x00\x03bye"[..]);
///     let mut wire = BufferedByteReceiveStream::new(wire);
///     let mut messages = Vec::new();
///     loop {
///         let header = match wire.receive_exactly(2).await {
///             Ok(header) => header,
///             Err(StreamError::IncompleteRead) if wire.buffer().is_empty() => break, // clean end
///             Err(error) => panic!("{error}"),
///         };
///         let len = u16::from_be_bytes([header[0], header[1]]) as usize;
///         messages.push(String::from_utf8(wire.receive_exactly(len).await.unwrap()).unwrap());
///     }
///     assert_eq!(messages, ["hello", "bye"]);
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct BufferedByteReceiveStream<S> {
    inner: S,
    /// Initialised storage; the buffered bytes are `storage[start..end]`, and reads fill
    /// `storage[end..]`, so that no read zeroes memory again.
    storage: Vec<u8>,
    start: usize,
    end: usize,
    closed: bool,
}

/// AnyIO's `BufferedByteStream`: a [`BufferedByteReceiveStream`] over a stream that also
/// sends, which sends too.
///
/// # Examples
/// ```
/// use anyio::streams::{BufferedByteStream, ByteSendStream, FuturesIoStream};
///
/// anyio::run(async {
///     let io = futures_lite::io::Cursor::new(Vec::new());
///     let mut stream: BufferedByteStream<_> = BufferedByteStream::new(FuturesIoStream::new(io));
///     stream.send(b"hello\n").await.unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub type BufferedByteStream<S> = BufferedByteReceiveStream<S>;

impl<S> BufferedByteReceiveStream<S> {
    /// Buffers what `inner` receives.
    ///
    /// # Examples
    /// See [`BufferedByteReceiveStream`].
    pub fn new(inner: S) -> Self {
        BufferedByteReceiveStream {
            inner,
            storage: Vec::new(),
            start: 0,
            end: 0,
            closed: false,
        }
    }

    /// The bytes received from the inner stream and not yet received from this one.
    ///
    /// # Examples
    /// ```
    /// let mut stream = anyio::streams::BufferedByteReceiveStream::new(());
    /// stream.feed_data(b"abc");
    /// assert_eq!(stream.buffer(), b"abc");
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.storage[self.start..self.end]
    }

    /// Appends `data` to the buffer, as if the inner stream had received it (AnyIO's
    /// `feed_data`): for bytes read ahead by something else, such as a protocol upgrade.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{BufferedByteReceiveStream, FuturesIoStream};
    ///
    /// anyio::run(async {
    ///     let mut stream = BufferedByteReceiveStream::new(FuturesIoStream::reader(&b"lo"[..]));
    ///     stream.feed_data(b"hel");
    ///     assert_eq!(stream.receive_exactly(5).await.unwrap(), b"hello");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn feed_data(&mut self, data: &[u8]) {
        self.make_room(data.len());
        self.storage[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// The inner stream.
    ///
    /// # Examples
    /// ```
    /// let stream = anyio::streams::BufferedByteReceiveStream::new(7);
    /// assert_eq!(*stream.get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner stream, mutably. Receiving through it bypasses the buffer.
    ///
    /// # Examples
    /// ```
    /// let mut stream = anyio::streams::BufferedByteReceiveStream::new(7);
    /// *stream.get_mut() += 1;
    /// assert_eq!(*stream.get_ref(), 8);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner stream and the bytes still buffered, which would otherwise be lost.
    ///
    /// # Examples
    /// ```
    /// let mut stream = anyio::streams::BufferedByteReceiveStream::new("inner");
    /// stream.feed_data(b"left over");
    /// assert_eq!(stream.into_parts(), ("inner", b"left over".to_vec()));
    /// ```
    pub fn into_parts(mut self) -> (S, Vec<u8>) {
        self.storage.truncate(self.end);
        self.storage.drain(..self.start);
        (self.inner, self.storage)
    }

    /// Takes the first `n` buffered bytes (which must be there), and drops `skip` more after
    /// them.
    fn take(&mut self, n: usize, skip: usize) -> Vec<u8> {
        let taken = self.storage[self.start..self.start + n].to_vec();
        self.discard(n + skip);
        taken
    }

    fn check_open(&self) -> Result<(), StreamError> {
        if self.closed {
            Err(StreamError::Closed)
        } else {
            Ok(())
        }
    }

    /// Drops the first `n` buffered bytes (which must be there).
    fn discard(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            // Empty: the next read may use the whole storage.
            (self.start, self.end) = (0, 0);
            if self.storage.len() > KEEP_STORAGE {
                self.storage = Vec::new();
            }
        }
    }

    /// Makes room for at least `free` bytes after the buffered ones: first by moving them to
    /// the front, then by growing the storage.
    fn make_room(&mut self, free: usize) {
        if self.storage.len() - self.end >= free {
            return;
        }
        if self.start > 0 {
            self.storage.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        let needed = self.end + free;
        if self.storage.len() < needed {
            self.storage.resize(needed.max(2 * self.storage.len()), 0);
        }
    }
}

impl<S: ByteReceiveStream> BufferedByteReceiveStream<S> {
    /// Receives exactly `n` bytes.
    ///
    /// # Errors
    /// [`StreamError::IncompleteRead`] if the stream ends first, leaving the bytes received in
    /// the buffer; the inner stream's errors otherwise ([`StreamError::Closed`] once this
    /// stream is closed).
    ///
    /// # Cancel safety
    /// Cancel safe: every byte received before the cancellation stays in the buffer, for the
    /// next call.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{BufferedByteReceiveStream, FuturesIoStream, StreamError};
    ///
    /// anyio::run(async {
    ///     let mut stream = BufferedByteReceiveStream::new(FuturesIoStream::reader(&b"abcde"[..]));
    ///     assert_eq!(stream.receive_exactly(3).await.unwrap(), b"abc");
    ///     assert!(matches!(stream.receive_exactly(3).await, Err(StreamError::IncompleteRead)));
    ///     assert_eq!(stream.buffer(), b"de", "nothing was lost");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn receive_exactly(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        self.check_open()?;
        while self.end - self.start < n {
            self.fill(n - (self.end - self.start)).await?;
        }
        Ok(self.take(n, 0))
    }

    /// Receives the bytes up to `delimiter`, and consumes the delimiter too. The bytes before
    /// it may number up to `max_bytes`.
    ///
    /// The limit is exact: a delimiter found right after `max_bytes` bytes counts, and one
    /// further on does not, however the bytes arrived. (AnyIO gives up once its buffer holds
    /// `max_bytes` bytes, so whether a delimiter just past that point counts depends on how
    /// the bytes were chunked.)
    ///
    /// # Errors
    /// - [`StreamError::DelimiterNotFound`] when `max_bytes` bytes have arrived and no
    ///   delimiter follows them.
    /// - [`StreamError::IncompleteRead`] if the stream ends first.
    /// - [`StreamError::InvalidInput`] for an empty `delimiter`.
    /// - The inner stream's errors ([`StreamError::Closed`] once this stream is closed).
    ///
    /// Each leaves the buffer holding every byte received.
    ///
    /// # Cancel safety
    /// Cancel safe: every byte received before the cancellation stays in the buffer, for the
    /// next call.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{BufferedByteReceiveStream, FuturesIoStream, StreamError};
    ///
    /// anyio::run(async {
    ///     let input = FuturesIoStream::reader(&b"short\nthis line is too long\n"[..]);
    ///     let mut lines = BufferedByteReceiveStream::new(input);
    ///     assert_eq!(lines.receive_until(b"\n", 10).await.unwrap(), b"short");
    ///     assert!(matches!(
    ///         lines.receive_until(b"\n", 10).await,
    ///         Err(StreamError::DelimiterNotFound { max_bytes: 10 })
    ///     ));
    ///     assert!(lines.buffer().starts_with(b"this line"), "the bytes are kept");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn receive_until(
        &mut self,
        delimiter: &[u8],
        max_bytes: usize,
    ) -> Result<Vec<u8>, StreamError> {
        self.check_open()?;
        if delimiter.is_empty() {
            return Err(StreamError::InvalidInput("the delimiter is empty"));
        }
        // A delimiter that starts after `max_bytes` does not count.
        let limit = max_bytes.saturating_add(delimiter.len());
        // Where the search resumes: the bytes before it hold no delimiter start.
        let mut searched = 0;
        loop {
            let buffered = self.buffer();
            let window = &buffered[..buffered.len().min(limit)];
            if let Some(at) = find(&window[searched..], delimiter) {
                return Ok(self.take(searched + at, delimiter.len()));
            }
            if window.len() == limit {
                return Err(StreamError::DelimiterNotFound { max_bytes });
            }
            searched = (window.len() + 1).saturating_sub(delimiter.len());
            self.fill(1).await?;
        }
    }

    /// Receives more bytes from the inner stream into the buffer, asking for room for `want`
    /// of them, within a read chunk and `MAX_READ`. The end of the stream is an incomplete
    /// read.
    async fn fill(&mut self, want: usize) -> Result<(), StreamError> {
        self.make_room(want.clamp(READ_CHUNK, MAX_READ));
        match self.inner.receive(&mut self.storage[self.end..]).await {
            Ok(n) => {
                self.end += n;
                Ok(())
            }
            Err(StreamError::EndOfStream) => Err(StreamError::IncompleteRead),
            Err(error) => Err(error),
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [byte] => memchr::memchr(*byte, haystack),
        _ => memchr::memmem::find(haystack, needle),
    }
}

impl<S: fmt::Debug> fmt::Debug for BufferedByteReceiveStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferedByteReceiveStream")
            .field("inner", &self.inner)
            .field("buffered", &(self.end - self.start))
            .field("closed", &self.closed)
            .finish()
    }
}

impl<S: TypedAttributeProvider> TypedAttributeProvider for BufferedByteReceiveStream<S> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        self.inner.provide_attributes(request);
    }
}

impl<S: AsyncResource> AsyncResource for BufferedByteReceiveStream<S> {
    /// Closes the inner stream. The buffer is kept, for [`into_parts`](Self::into_parts), but
    /// receives fail with [`StreamError::Closed`].
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.closed = true;
        self.inner.aclose().await
    }
}

impl<S: ByteReceiveStream> ByteReceiveStream for BufferedByteReceiveStream<S> {
    /// Receives buffered bytes if there are any, and otherwise straight from the inner
    /// stream. Cancel safe when the inner stream's receive is.
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        self.check_open()?;
        if buf.is_empty() {
            return Err(crate::streams::EMPTY_BUFFER);
        }
        let buffered = self.end - self.start;
        if buffered == 0 {
            return self.inner.receive(buf).await;
        }
        let n = buffered.min(buf.len());
        buf[..n].copy_from_slice(&self.storage[self.start..self.start + n]);
        self.discard(n);
        Ok(n)
    }
}

impl<S: ByteSendStream> ByteSendStream for BufferedByteReceiveStream<S> {
    /// Sends through the inner stream, with its cancel safety.
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        self.check_open()?;
        self.inner.send(data).await
    }
}

impl<S: ByteStream> ByteStream for BufferedByteReceiveStream<S> {
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        self.check_open()?;
        self.inner.send_eof().await
    }
}
