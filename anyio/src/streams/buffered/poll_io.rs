//! `BufferedByteReceiveStream` as an `AsyncRead`, `AsyncBufRead` and `AsyncWrite` of the
//! family its inner stream belongs to, so that a protocol can read its header with
//! `receive_until` and then hand the stream, and the bytes it buffered, to code written for
//! either I/O family.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use super::{BufferedByteReceiveStream, READ_CHUNK};
use crate::streams::StreamError;

impl<S> BufferedByteReceiveStream<S> {
    fn check_open_io(&self) -> io::Result<()> {
        if self.closed {
            return Err(StreamError::Closed.into());
        }
        Ok(())
    }

    /// Fills the buffer, if empty, by `poll_read` (one read), and returns the buffered bytes:
    /// empty at the end of the stream.
    fn poll_buffer(
        &mut self,
        cx: &mut Context<'_>,
        poll_read: impl FnOnce(Pin<&mut S>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<&[u8]>>
    where
        S: Unpin,
    {
        self.check_open_io()?;
        if self.start == self.end {
            self.make_room(READ_CHUNK);
            let n = ready!(poll_read(
                Pin::new(&mut self.inner),
                cx,
                &mut self.storage[self.end..]
            ))?;
            self.end += n;
        }
        Poll::Ready(Ok(self.buffer()))
    }

    /// Reads into `buf` from the buffer, filling it first if empty; a read as large as a read
    /// chunk, with nothing buffered, goes straight to the inner stream.
    fn poll_read_buffered(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        poll_read: impl FnOnce(Pin<&mut S>, &mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>>
    where
        S: Unpin,
    {
        self.check_open_io()?;
        if self.start == self.end && buf.len() >= READ_CHUNK {
            return poll_read(Pin::new(&mut self.inner), cx, buf);
        }
        let buffered = ready!(self.poll_buffer(cx, poll_read))?;
        let n = buffered.len().min(buf.len());
        buf[..n].copy_from_slice(&buffered[..n]);
        self.discard(n);
        Poll::Ready(Ok(n))
    }

    /// `consume` of either `AsyncBufRead`: drops `amt` buffered bytes (at most all of them).
    fn consume_buffered(&mut self, amt: usize) {
        self.discard(amt.min(self.end - self.start));
    }
}

mod futures_family {
    use super::*;
    use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

    /// Reads the buffered bytes first, then from the inner stream.
    impl<S: AsyncRead + Unpin> AsyncRead for BufferedByteReceiveStream<S> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut()
                .poll_read_buffered(cx, buf, <S as AsyncRead>::poll_read)
        }
    }

    impl<S: AsyncRead + Unpin> AsyncBufRead for BufferedByteReceiveStream<S> {
        fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
            self.get_mut().poll_buffer(cx, <S as AsyncRead>::poll_read)
        }

        fn consume(self: Pin<&mut Self>, amt: usize) {
            self.get_mut().consume_buffered(amt);
        }
    }

    /// Writes through to the inner stream.
    impl<S: AsyncWrite + Unpin> AsyncWrite for BufferedByteReceiveStream<S> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            this.check_open_io()?;
            Pin::new(&mut this.inner).poll_write(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            this.check_open_io()?;
            Pin::new(&mut this.inner).poll_flush(cx)
        }

        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            this.check_open_io()?;
            Pin::new(&mut this.inner).poll_close(cx)
        }
    }
}

#[cfg(feature = "tokio")]
mod tokio_family {
    use super::*;
    use crate::streams::{poll_read_into, poll_read_slice};
    use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

    /// Reads the buffered bytes first, then from the inner stream.
    impl<S: AsyncRead + Unpin> AsyncRead for BufferedByteReceiveStream<S> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            poll_read_into(buf, |slice| {
                this.poll_read_buffered(cx, slice, poll_read_slice::<S>)
            })
        }
    }

    impl<S: AsyncRead + Unpin> AsyncBufRead for BufferedByteReceiveStream<S> {
        fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
            self.get_mut().poll_buffer(cx, poll_read_slice::<S>)
        }

        fn consume(self: Pin<&mut Self>, amt: usize) {
            self.get_mut().consume_buffered(amt);
        }
    }

    /// Writes through to the inner stream.
    impl<S: AsyncWrite + Unpin> AsyncWrite for BufferedByteReceiveStream<S> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            this.check_open_io()?;
            Pin::new(&mut this.inner).poll_write(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            this.check_open_io()?;
            Pin::new(&mut this.inner).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            this.check_open_io()?;
            Pin::new(&mut this.inner).poll_shutdown(cx)
        }
    }
}
