//! Byte streams over `AsyncRead`/`AsyncWrite` types of either family: the state and the
//! transfer loops both adapters share.

use std::{
    future::poll_fn,
    io,
    pin::Pin,
    task::{Context, Poll},
};

use super::StreamError;

mod futures;
#[cfg(feature = "tokio")]
mod tokio;

pub use self::futures::FuturesIoStream;
#[cfg(feature = "tokio")]
pub use self::tokio::TokioIoStream;
#[cfg(feature = "tokio")]
pub(crate) use self::tokio::{poll_read_into, poll_read_slice};

/// Polls a half close (`poll_close` or `poll_shutdown`) of an I/O object of type `S`.
type PollShutdown<S> = fn(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<()>>;

/// The error for sending on a stream made by `reader()`: its object may be able to write, but
/// the stream was not told how to end what it writes.
const NOT_A_WRITER: StreamError =
    StreamError::InvalidInput("this stream was made by `reader()`, and does not send");

/// Where an adapted I/O object stands: what this side has closed.
#[derive(Debug, Default)]
struct IoState {
    /// `aclose` was called: everything fails with `Closed`.
    closed: bool,
    /// `send_eof` was called: sends fail with `Closed`.
    eof_sent: bool,
    /// The writing half was shut down (by `send_eof` or `aclose`), and need not be again.
    shut_down: bool,
}

impl IoState {
    /// For the pass-through `poll_read`: fails once the stream is closed.
    fn check_readable(&self) -> io::Result<()> {
        if self.closed {
            return Err(StreamError::Closed.into());
        }
        Ok(())
    }

    /// For the pass-through `poll_write` and its kin: fails once the stream is closed, after
    /// `send_eof`, or on a stream made as a reader.
    fn check_writable(&self, writes: bool) -> io::Result<()> {
        if self.closed || self.eof_sent {
            return Err(StreamError::Closed.into());
        }
        if !writes {
            return Err(NOT_A_WRITER.into());
        }
        Ok(())
    }
    /// Receives at least one byte into `buf`, by `poll_read`.
    async fn receive<S: Unpin>(
        &self,
        io: &mut S,
        buf: &mut [u8],
        poll_read: impl Fn(Pin<&mut S>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Result<usize, StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if buf.is_empty() {
            return Err(crate::streams::EMPTY_BUFFER);
        }
        loop {
            match poll_fn(|cx| poll_read(Pin::new(io), cx, buf)).await {
                Ok(0) => return Err(StreamError::EndOfStream),
                Ok(n) => return Ok(n),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Writes all of `data` by `poll_write`, then flushes it by `poll_flush` so that it
    /// reaches the transport even through a buffering writer (a TLS session, say). `shutdown`
    /// is `None` for a stream made as a reader, which does not send.
    async fn send<S: Unpin>(
        &self,
        io: &mut S,
        mut data: &[u8],
        shutdown: Option<PollShutdown<S>>,
        poll_write: impl Fn(Pin<&mut S>, &mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
        poll_flush: impl Fn(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<()>>,
    ) -> Result<(), StreamError> {
        if self.closed || self.eof_sent {
            return Err(StreamError::Closed);
        }
        if shutdown.is_none() {
            return Err(NOT_A_WRITER);
        }
        while !data.is_empty() {
            match poll_fn(|cx| poll_write(Pin::new(io), cx, data)).await {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => data = &data[n..],
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            }
        }
        poll_fn(|cx| poll_flush(Pin::new(io), cx)).await?;
        Ok(())
    }

    /// Closes the sending direction: shuts the writing half down, once.
    async fn send_eof<S: Unpin>(
        &mut self,
        io: &mut S,
        shutdown: Option<PollShutdown<S>>,
    ) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if shutdown.is_none() {
            return Err(NOT_A_WRITER);
        }
        self.eof_sent = true;
        self.shut_down(io, shutdown).await
    }

    /// Marks the stream closed, then shuts the writing half down if nobody has.
    async fn close<S: Unpin>(
        &mut self,
        io: &mut S,
        shutdown: Option<PollShutdown<S>>,
    ) -> Result<(), StreamError> {
        self.closed = true;
        match self.shut_down(io, shutdown).await {
            // The peer is already gone: there is nobody left to tell.
            Err(StreamError::Broken(Some(error)))
                if error.kind() == io::ErrorKind::NotConnected =>
            {
                Ok(())
            }
            result => result,
        }
    }

    async fn shut_down<S: Unpin>(
        &mut self,
        io: &mut S,
        shutdown: Option<PollShutdown<S>>,
    ) -> Result<(), StreamError> {
        let Some(shutdown) = shutdown else {
            return Ok(());
        };
        if self.shut_down {
            return Ok(());
        }
        // Marked only once done, so that a cancelled shutdown is tried again by the next
        // `send_eof` or `aclose`.
        poll_fn(|cx| shutdown(Pin::new(io), cx)).await?;
        self.shut_down = true;
        Ok(())
    }
}
