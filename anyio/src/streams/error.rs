//! The error of the stream traits, which carries AnyIO's exception taxonomy, and the error of a
//! failed object send, which hands the item back.

use std::{error::Error, fmt, io, str::Utf8Error};

use crate::{BrokenResourceError, BusyResourceError, ClosedResourceError, EndOfStream};

/// Why an operation of the [stream traits](super) failed.
///
/// The variants are AnyIO's exceptions: the four that tell *who* ended the stream
/// ([`EndOfStream`](Self::EndOfStream): the peer, cleanly; [`Closed`](Self::Closed): this side;
/// [`Broken`](Self::Broken): the peer or an outside cause, uncleanly;
/// [`Busy`](Self::Busy): another task is using it), the two of the
/// [buffered stream](super::BufferedByteReceiveStream), and two for bad input or bad data.
///
/// It converts to and from [`io::Error`] without losing the variant, so anyio streams can sit
/// under `AsyncRead`/`AsyncWrite` code and the other way round. An `io::Error` that carries no
/// anyio error becomes [`Broken`](Self::Broken) with the error as its cause, as AnyIO turns an
/// `OSError` during a transfer into `BrokenResourceError`.
///
/// # Examples
/// ```
/// use anyio::streams::StreamError;
/// use std::io;
///
/// let error = io::Error::from(StreamError::Closed);
/// assert_eq!(error.kind(), io::ErrorKind::NotConnected);
/// assert!(matches!(StreamError::from(error), StreamError::Closed));
///
/// let reset = StreamError::from(io::Error::from(io::ErrorKind::ConnectionReset));
/// assert!(matches!(&reset, StreamError::Broken(Some(cause)) if cause.kind() == io::ErrorKind::ConnectionReset));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// The peer ended the stream cleanly, and everything it sent has been received (AnyIO's
    /// `EndOfStream`).
    EndOfStream,
    /// The stream ended before the requested bytes arrived (AnyIO's `IncompleteRead`). The
    /// bytes that did arrive are kept in the buffer.
    IncompleteRead,
    /// No delimiter within the first `max_bytes` bytes (AnyIO's `DelimiterNotFound`). The
    /// bytes are kept in the buffer.
    DelimiterNotFound {
        /// The limit the caller set.
        max_bytes: usize,
    },
    /// This side closed the resource (AnyIO's `ClosedResourceError`).
    Closed,
    /// Another task is already doing this with the resource (AnyIO's `BusyResourceError`).
    Busy(BusyResourceError),
    /// The resource was broken by the peer or an outside cause (AnyIO's
    /// `BrokenResourceError`), with the I/O error behind it when there is one.
    Broken(Option<io::Error>),
    /// The caller passed an argument the operation cannot use, such as an empty buffer.
    InvalidInput(&'static str),
    /// Bytes received for a text stream are not UTF-8.
    InvalidUtf8(Utf8Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::EndOfStream => fmt::Display::fmt(&EndOfStream::new(), f),
            StreamError::IncompleteRead => {
                f.write_str("the stream ended before the requested bytes arrived")
            }
            StreamError::DelimiterNotFound { max_bytes } => {
                write!(f, "the delimiter was not found within {max_bytes} bytes")
            }
            StreamError::Closed => fmt::Display::fmt(&ClosedResourceError::new(), f),
            StreamError::Busy(busy) => fmt::Display::fmt(busy, f),
            StreamError::Broken(None) => fmt::Display::fmt(&BrokenResourceError::new(), f),
            StreamError::Broken(Some(cause)) => write!(f, "the resource is broken: {cause}"),
            StreamError::InvalidInput(what) => f.write_str(what),
            StreamError::InvalidUtf8(cause) => {
                write!(f, "the stream's bytes are not valid UTF-8: {cause}")
            }
        }
    }
}

impl Error for StreamError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StreamError::Broken(Some(cause)) => Some(cause),
            StreamError::InvalidUtf8(cause) => Some(cause),
            _ => None,
        }
    }
}

impl From<StreamError> for io::Error {
    /// Keeps the variant inside the `io::Error`, so converting back gives it again; a
    /// [`Broken`](StreamError::Broken) error with a cause becomes that cause.
    fn from(error: StreamError) -> Self {
        let kind = match &error {
            StreamError::EndOfStream | StreamError::IncompleteRead => io::ErrorKind::UnexpectedEof,
            StreamError::DelimiterNotFound { .. } | StreamError::InvalidUtf8(_) => {
                io::ErrorKind::InvalidData
            }
            StreamError::Closed => io::ErrorKind::NotConnected,
            StreamError::Busy(_) => io::ErrorKind::ResourceBusy,
            StreamError::Broken(None) => io::ErrorKind::BrokenPipe,
            StreamError::Broken(Some(_)) => {
                let StreamError::Broken(Some(cause)) = error else {
                    unreachable!("matched just above")
                };
                return cause;
            }
            StreamError::InvalidInput(_) => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, error)
    }
}

impl From<io::Error> for StreamError {
    /// Recovers an anyio error carried inside the `io::Error` (a [`StreamError`], or one of
    /// [`EndOfStream`], [`ClosedResourceError`], [`BrokenResourceError`] and
    /// [`BusyResourceError`]); any other I/O error means the stream is
    /// [`Broken`](StreamError::Broken).
    fn from(error: io::Error) -> Self {
        let Some(inner) = error.get_ref() else {
            return StreamError::Broken(Some(error));
        };
        if inner.is::<StreamError>() {
            let inner = error.into_inner().expect("checked just above");
            return *inner.downcast::<StreamError>().expect("checked just above");
        }
        if inner.is::<EndOfStream>() {
            StreamError::EndOfStream
        } else if inner.is::<ClosedResourceError>() {
            StreamError::Closed
        } else if inner.is::<BrokenResourceError>() {
            StreamError::Broken(None)
        } else if let Some(busy) = inner.downcast_ref::<BusyResourceError>() {
            StreamError::Busy(busy.clone())
        } else {
            StreamError::Broken(Some(error))
        }
    }
}

impl From<EndOfStream> for StreamError {
    fn from(_: EndOfStream) -> Self {
        StreamError::EndOfStream
    }
}

impl From<ClosedResourceError> for StreamError {
    fn from(_: ClosedResourceError) -> Self {
        StreamError::Closed
    }
}

impl From<BrokenResourceError> for StreamError {
    fn from(_: BrokenResourceError) -> Self {
        StreamError::Broken(None)
    }
}

impl From<BusyResourceError> for StreamError {
    fn from(busy: BusyResourceError) -> Self {
        StreamError::Busy(busy)
    }
}

/// The error of a byte receive into an empty buffer, which could never return a byte.
pub(crate) const EMPTY_BUFFER: StreamError =
    StreamError::InvalidInput("cannot receive into an empty buffer");

/// Why an [`ObjectSendStream::send`](super::ObjectSendStream::send) failed; holds the item,
/// which was not sent.
///
/// # Examples
/// ```
/// use anyio::streams::{ObjectSendStream, StreamError};
///
/// anyio::run(async {
///     let (mut tx, rx) = anyio::create_memory_object_stream::<String>(1);
///     drop(rx);
///     let error = ObjectSendStream::send(&mut tx, "hello".to_owned()).await.unwrap_err();
///     assert!(matches!(error.error(), StreamError::Broken(None)));
///     assert_eq!(error.into_item(), "hello");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct SendError<T> {
    item: T,
    error: StreamError,
}

impl<T> SendError<T> {
    /// The error for `item`, which could not be sent because of `error`.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{SendError, StreamError};
    ///
    /// let error = SendError::new(7, StreamError::Closed);
    /// assert_eq!(error.to_string(), "the resource was closed");
    /// ```
    pub fn new(item: T, error: StreamError) -> Self {
        SendError { item, error }
    }

    /// Why the item was not sent.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{SendError, StreamError};
    ///
    /// assert!(matches!(SendError::new('x', StreamError::Closed).error(), StreamError::Closed));
    /// ```
    pub fn error(&self) -> &StreamError {
        &self.error
    }

    /// The item that was not sent.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{SendError, StreamError};
    ///
    /// assert_eq!(SendError::new(vec![1, 2], StreamError::Closed).into_item(), [1, 2]);
    /// ```
    pub fn into_item(self) -> T {
        self.item
    }

    /// The item and the reason, apart.
    ///
    /// # Examples
    /// ```
    /// use anyio::streams::{SendError, StreamError};
    ///
    /// let (item, error) = SendError::new("hi", StreamError::Closed).into_parts();
    /// assert_eq!(item, "hi");
    /// assert!(matches!(error, StreamError::Closed));
    /// ```
    pub fn into_parts(self) -> (T, StreamError) {
        (self.item, self.error)
    }
}

impl<T> fmt::Debug for SendError<T> {
    /// Shows the reason only, so that items need not be `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<T> Error for SendError<T> {
    // The message is the reason's, so the chain continues with the reason's own cause.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.source()
    }
}

impl<T> From<SendError<T>> for StreamError {
    /// Drops the item and keeps the reason.
    fn from(error: SendError<T>) -> Self {
        error.error
    }
}

impl<T> From<SendError<T>> for io::Error {
    fn from(error: SendError<T>) -> Self {
        error.error.into()
    }
}
