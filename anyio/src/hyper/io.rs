//! [`HyperIo`]: hyper's I/O traits over a futures-io stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::hyper::rt::{Read, ReadBufCursor, Write};
use futures_io::{AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

/// The most of hyper's buffer one read fills. futures-io reads into initialized memory, and
/// hyper hands over its buffer uninitialized each time, so each read zeroes what it offers:
/// this bounds that cost when hyper's buffer has grown large.
const MAX_READ: usize = 16 * 1024;

pin_project! {
    /// hyper's [`Read`](::hyper::rt::Read) and [`Write`](::hyper::rt::Write) over a
    /// futures-io `AsyncRead + AsyncWrite`: any anyio byte stream (TCP, UNIX, TLS, process
    /// pipes...), on either backend, in every build.
    ///
    /// Each read offers the stream at most 16 KiB of hyper's buffer, zeroed first (futures-io
    /// reads into initialized memory). Writes go to the stream as they come; hyper is told
    /// that the stream does not write vectors, so it gathers a response's head and small body
    /// into one buffer and one write. hyper's shutdown is futures-io's `poll_close`: for
    /// anyio's streams, a half-close (`send_eof`).
    ///
    /// # Examples
    /// ```
    /// use anyio::hyper::HyperIo;
    ///
    /// anyio::run(async {
    ///     let listener = anyio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    ///     let port = listener.local_addr().unwrap().port();
    ///     let stream = anyio::net::connect_tcp("127.0.0.1", port).await.unwrap();
    ///     let io = HyperIo::new(stream);
    ///     // `io` goes to hyper: `hyper::client::conn::http1::handshake(io)`, say.
    ///     assert_eq!(io.get_ref().peer_addr().unwrap().port(), port);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    #[derive(Debug)]
    pub struct HyperIo<S> {
        #[pin]
        inner: S,
    }
}

impl<S> HyperIo<S> {
    /// Wraps `inner`.
    ///
    /// # Examples
    /// See [`HyperIo`].
    pub fn new(inner: S) -> Self {
        HyperIo { inner }
    }

    /// The stream inside.
    ///
    /// # Examples
    /// See [`HyperIo`].
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The stream inside, mutably; reading or writing through it bypasses hyper.
    ///
    /// # Examples
    /// ```
    /// let mut io = anyio::hyper::HyperIo::new(futures_lite::io::Cursor::new(vec![1, 2]));
    /// io.get_mut().set_position(1);
    /// assert_eq!(io.get_ref().position(), 1);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    /// ```
    /// let io = anyio::hyper::HyperIo::new(futures_lite::io::Cursor::new(vec![1, 2]));
    /// assert_eq!(io.into_inner().into_inner(), vec![1, 2]);
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead> Read for HyperIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let offered = buf.remaining().min(MAX_READ);
        let space = buf.initialize_unfilled_to(offered);
        let n = ready!(self.project().inner.poll_read(cx, space))?;
        if n > offered {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the stream reported reading {n} bytes into a {offered}-byte buffer"),
            )));
        }
        // SAFETY: the first `offered` bytes of the unfilled part were initialized by
        // `initialize_unfilled_to`, and `n <= offered`.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite> Write for HyperIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}
