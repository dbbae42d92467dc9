//! [`SpooledTemporaryFile`]'s `AsyncRead`, `AsyncWrite` and `AsyncSeek` of both I/O families.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::spooled::SpooledTemporaryFile;

impl futures_io::AsyncRead for SpooledTemporaryFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_slice(cx, buf)
    }
}

impl futures_io::AsyncWrite for SpooledTemporaryFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush(cx)
    }

    /// Closes the file (see [`SpooledTemporaryFile::aclose`]).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shut(cx)
    }
}

impl futures_io::AsyncSeek for SpooledTemporaryFile {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        position: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.get_mut().poll_seek_to(cx, position)
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for SpooledTemporaryFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        crate::streams::poll_read_into(buf, |slice| this.poll_read_slice(cx, slice))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for SpooledTemporaryFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_slice(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush(cx)
    }

    /// Closes the file (see [`SpooledTemporaryFile::aclose`]).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shut(cx)
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncSeek for SpooledTemporaryFile {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().start_trait_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().poll_trait_seek_complete(cx)
    }
}
