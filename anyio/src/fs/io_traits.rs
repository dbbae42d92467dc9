//! [`AsyncFile`]'s `AsyncRead`, `AsyncBufRead`, `AsyncWrite` and `AsyncSeek` of both I/O
//! families.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::file::AsyncFile;

impl futures_io::AsyncRead for AsyncFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_slice(cx, buf)
    }
}

/// Reads straight from the file's read-ahead buffer, so `lines()`, `read_until` and codecs that
/// scan for delimiters cost no copy and no buffer of their own.
impl futures_io::AsyncBufRead for AsyncFile {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume(amt);
    }
}

impl futures_io::AsyncWrite for AsyncFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_ready(cx, true)
    }

    /// Hands the buffered bytes to the system and closes the file.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shut(cx)
    }
}

impl futures_io::AsyncSeek for AsyncFile {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        position: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.get_mut().poll_trait_seek(cx, Some(position))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for AsyncFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        crate::streams::poll_read_into(buf, |slice| this.poll_read_slice(cx, slice))
    }
}

/// Reads straight from the file's read-ahead buffer, as the `futures_io` one does.
#[cfg(feature = "tokio")]
impl tokio::io::AsyncBufRead for AsyncFile {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume(amt);
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for AsyncFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_ready(cx, true)
    }

    /// Hands the buffered bytes to the system and closes the file.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shut(cx)
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncSeek for AsyncFile {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        if this.seek_in_flight.is_some() {
            return Err(io::Error::other(
                "a seek is in progress: call poll_complete until it finishes first",
            ));
        }
        this.seek_requested = Some(position);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().poll_trait_seek(cx, None)
    }
}
