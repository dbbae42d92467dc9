//! What every connected stream socket (TCP, UNIX) shares: AnyIO's byte stream semantics over
//! a registered socket, and both families of I/O traits, implemented once here and delegated
//! to by each public type through [`byte_socket_traits!`].

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use crate::backend::wait_point::WaitPoint;
use crate::backend::{Direction, OwnsFd, Registered};
use crate::cancel::gate::{gated_io, poll_io_gate};
use crate::streams::StreamError;

/// A connected stream socket type of std.
pub(super) trait StreamSocket: OwnsFd + Send + Sync + 'static
where
    for<'a> &'a Self: Read + Write,
{
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

impl StreamSocket for std::net::TcpStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::net::TcpStream::shutdown(self, how)
    }
}

impl StreamSocket for std::os::unix::net::UnixStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::os::unix::net::UnixStream::shutdown(self, how)
    }
}

/// A connected, registered stream socket and what this side has closed.
#[derive(Debug)]
pub(super) struct SocketStream<S: StreamSocket>
where
    for<'a> &'a S: Read + Write,
{
    /// `None` once closed. Shared between the two halves of a split stream.
    io: Option<Arc<Registered<S>>>,
    eof_sent: bool,
}

impl<S: StreamSocket> SocketStream<S>
where
    for<'a> &'a S: Read + Write,
{
    pub(super) fn new(io: Registered<S>) -> Self {
        SocketStream {
            io: Some(Arc::new(io)),
            eof_sent: false,
        }
    }

    pub(super) fn registered_io(&self) -> io::Result<&Registered<S>> {
        self.io.as_deref().ok_or_else(|| StreamError::Closed.into())
    }

    /// Two views of the socket: one to receive through, one to send through.
    pub(super) fn split(self) -> (SocketStream<S>, SocketStream<S>) {
        let receiving = SocketStream {
            io: self.io.clone(),
            eof_sent: true, // the receiving half never sends
        };
        (receiving, self)
    }

    /// The whole stream again, if `receiving` and `sending` came from the same
    /// [`split`](Self::split); otherwise they are handed back.
    pub(super) fn reunite(
        receiving: SocketStream<S>,
        sending: SocketStream<S>,
    ) -> Result<SocketStream<S>, (SocketStream<S>, SocketStream<S>)> {
        let same = match (&receiving.io, &sending.io) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if same {
            drop(receiving);
            Ok(sending)
        } else {
            Err((receiving, sending))
        }
    }

    pub(super) fn socket(&self) -> io::Result<&S> {
        Ok(self.registered_io()?.get_ref())
    }

    pub(super) fn eof_sent(&self) -> bool {
        self.eof_sent
    }

    /// Deregisters the socket and gives it back.
    pub(super) fn into_inner(mut self) -> io::Result<S> {
        match self.io.take().map(Arc::try_unwrap) {
            Some(Ok(io)) => io.into_inner(),
            Some(Err(_)) => Err(io::Error::other(
                "the socket is still shared by a split half",
            )),
            None => Err(StreamError::Closed.into()),
        }
    }

    /// Releases the socket at once.
    pub(super) fn close(&mut self) {
        drop(self.io.take());
    }

    pub(super) async fn receive(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Err(crate::streams::EMPTY_BUFFER);
        }
        let io = self.registered_io()?;
        let len = buf.len();
        match gated_io(
            WaitPoint::SocketReceive,
            io.stream(Direction::Read, len, |mut socket| socket.read(buf)),
        )
        .await
        {
            Ok(0) => Err(StreamError::EndOfStream),
            Ok(n) => Ok(n),
            Err(error) => Err(error.into()),
        }
    }

    pub(super) async fn send(&self, mut data: &[u8]) -> Result<(), StreamError> {
        if self.eof_sent {
            return Err(StreamError::Closed);
        }
        let io = self.registered_io()?;
        while !data.is_empty() {
            let n = gated_io(
                WaitPoint::SocketSend,
                io.io(Direction::Write, |mut socket| socket.write(data)),
            )
            .await?;
            data = &data[n..];
        }
        Ok(())
    }

    pub(super) fn poll_read_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let io = self.registered_io()?;
        let unit = ready!(poll_io_gate(cx, WaitPoint::SocketReceive));
        let read = ready!(io.poll_stream(cx, Direction::Read, len, |mut socket| socket.read(buf)));
        unit.made_progress();
        Poll::Ready(read)
    }

    pub(super) fn poll_write_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.eof_sent {
            return Poll::Ready(Err(StreamError::Closed.into()));
        }
        let io = self.registered_io()?;
        let unit = ready!(poll_io_gate(cx, WaitPoint::SocketSend));
        let written = ready!(io.poll_io(cx, Direction::Write, |mut socket| socket.write(buf)));
        unit.made_progress();
        Poll::Ready(written)
    }

    pub(super) fn poll_write_slices(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.eof_sent {
            return Poll::Ready(Err(StreamError::Closed.into()));
        }
        let io = self.registered_io()?;
        let unit = ready!(poll_io_gate(cx, WaitPoint::SocketSend));
        let written = ready!(io.poll_io(cx, Direction::Write, |mut socket| {
            socket.write_vectored(bufs)
        }));
        unit.made_progress();
        Poll::Ready(written)
    }

    /// Shuts the writing half down, once.
    pub(super) fn shut_down_writing(&mut self) -> io::Result<()> {
        let socket = self.socket()?;
        if !self.eof_sent {
            match socket.shutdown(Shutdown::Write) {
                // The peer already went away: it has no need to hear the end.
                Err(error) if error.kind() == io::ErrorKind::NotConnected => {}
                result => result?,
            }
            self.eof_sent = true;
        }
        Ok(())
    }
}

/// Implements the stream traits (`AsyncResource`, the byte stream traits) and both families'
/// `AsyncRead`/`AsyncWrite` for `$stream`, a struct whose `inner` field is a
/// [`SocketStream`]: every connected stream socket behaves the same.
macro_rules! byte_socket_traits {
    ($stream:ty) => {
        impl $crate::streams::AsyncResource for $stream {
            /// Closes the socket at once (the peer sees the end of the stream, or a reset if
            /// it had sent bytes we never received). Never fails.
            async fn aclose(&mut self) -> Result<(), $crate::streams::StreamError> {
                self.inner.close();
                Ok(())
            }
        }

        impl $crate::streams::ByteReceiveStream for $stream {
            async fn receive(
                &mut self,
                buf: &mut [u8],
            ) -> Result<usize, $crate::streams::StreamError> {
                self.inner.receive(buf).await
            }
        }

        impl $crate::streams::ByteSendStream for $stream {
            async fn send(&mut self, data: &[u8]) -> Result<(), $crate::streams::StreamError> {
                self.inner.send(data).await
            }
        }

        impl $crate::streams::ByteStream for $stream {
            async fn send_eof(&mut self) -> Result<(), $crate::streams::StreamError> {
                Ok(self.inner.shut_down_writing()?)
            }
        }

        impl futures_io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read_slice(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $stream {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_slice(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_slices(cx, bufs)
            }

            /// Nothing to do: the socket keeps no buffer of its own.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.inner.socket().map(drop))
            }

            /// Half-closes, as `send_eof`.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.get_mut().inner.shut_down_writing())
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::streams::poll_read_into(buf, |slice| self.inner.poll_read_slice(cx, slice))
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncWrite for $stream {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_slice(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_slices(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            /// Nothing to do: the socket keeps no buffer of its own.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.inner.socket().map(drop))
            }

            /// Half-closes, as `send_eof`.
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.get_mut().inner.shut_down_writing())
            }
        }
    };
}

pub(super) use byte_socket_traits;
