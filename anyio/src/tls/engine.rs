//! The TLS engine: rustls's connection state, driven through a transport's poll functions.
//!
//! rustls is sans-I/O: it takes records in through `read_tls`, hands records out through
//! `write_tls`, and buffers plaintext both ways. Everything here moves records between it
//! and the transport without ever blocking; a transport that is not ready answers
//! `Pending`, which rustls sees as `WouldBlock`, and the waker it registered wakes the task
//! when the transport is ready.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::Connection;

/// A transport's poll functions seen as the blocking `Read`/`Write` rustls wants, with
/// `Pending` mapped to `WouldBlock`.
struct Blocking<'a, 'b, S> {
    io: &'a mut S,
    cx: &'a mut Context<'b>,
}

impl<S: AsyncRead + Unpin> Read for Blocking<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_read(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncWrite + Unpin> Write for Blocking<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write_vectored(self.cx, bufs) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// A TLS session over a transport: the state every public operation works through.
pub(super) struct Engine<S> {
    pub(super) io: S,
    pub(super) conn: Connection,
    /// Whether an end of the transport without `close_notify` is an error (AnyIO's
    /// `standard_compatible`).
    pub(super) standard_compatible: bool,
    /// `close_notify` has been queued: nothing more is sent.
    pub(super) eof_sent: bool,
    /// The transport's error from sending records of plaintext a write had already taken:
    /// that write reported success, and the next one reports this.
    pub(super) write_error: Option<io::Error>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Engine<S> {
    /// Reads what records the transport has and processes them. `Ok(0)`: the transport
    /// ended.
    fn poll_read_records(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let read = self.conn.read_tls(&mut Blocking {
            io: &mut self.io,
            cx,
        });
        let n = match read {
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
            Err(error) => return Poll::Ready(Err(error)),
        };
        if let Err(error) = self.conn.process_new_packets() {
            // rustls has queued an alert that tells the peer why: the handshake sends it,
            // and otherwise the next write, flush or close does.
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, error)));
        }
        Poll::Ready(Ok(n))
    }

    /// Writes every record rustls has queued to the transport (without flushing it).
    fn poll_write_records(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let written = self.conn.write_tls(&mut Blocking {
                io: &mut self.io,
                cx,
            });
            match written {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Drives the handshake to its end, including the records that follow it at once (a
    /// TLS 1.3 server's session tickets).
    pub(super) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_write_records(cx))?;
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            if !self.conn.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            let read = ready!(self.poll_read_records(cx)).inspect_err(|_| {
                // The alert that tells the peer why the handshake failed, if the transport
                // takes it now.
                let _ = self.poll_write_records(cx);
            });
            if read? == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection during the TLS handshake",
                )));
            }
        }
    }

    /// Reads plaintext into `buf`. `Ok(0)` for a non-empty `buf` is the end of the stream:
    /// the peer's `close_notify`, or, unless standard compatible, the transport's end.
    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                    return Poll::Ready(if self.standard_compatible {
                        Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the peer closed the connection without a TLS close_notify \
                             (a truncation attack cannot be ruled out)",
                        ))
                    } else {
                        Ok(0)
                    });
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
            // Reading never writes: records rustls queues meanwhile (the answer to a key
            // update) go with the next write. Writing here would wait for the transport with
            // the reader's waker, and a transport that keeps one waker per direction (tokio's)
            // would then forget the writer's, in another task, for good.
            ready!(self.poll_read_records(cx))?;
        }
    }

    /// Encrypts what it can of `buf` and sends it on as far as the transport takes it.
    /// Returns how much of `buf` was taken: the rest of the records go with the next write
    /// or flush.
    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(error) = self.write_error.take() {
            return Poll::Ready(Err(error));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Twice at most: a first pass finding rustls's buffer full drains it to the
        // transport, and a second finds room.
        for _ in 0..2 {
            let taken = self.conn.writer().write(buf)?;
            let sent = self.poll_write_records(cx);
            if taken > 0 {
                // Taken is as good as sent: the records go with the next write or flush. An
                // error now would make a caller write the same bytes again.
                if let Poll::Ready(Err(error)) = sent {
                    self.write_error = Some(error);
                }
                return Poll::Ready(Ok(taken));
            }
            ready!(sent)?;
        }
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the TLS session accepts no more data",
        )))
    }

    /// Sends every queued record and flushes the transport.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(error) = self.write_error.take() {
            return Poll::Ready(Err(error));
        }
        ready!(self.poll_write_records(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Sends `close_notify` (once) and closes the transport's writing side.
    pub(super) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.eof_sent {
            self.conn.send_close_notify();
            self.eof_sent = true;
        }
        ready!(self.poll_flush(cx))?;
        Pin::new(&mut self.io).poll_close(cx)
    }
}
