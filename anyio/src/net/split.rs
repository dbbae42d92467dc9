//! What the two halves of every split stream socket (TCP, UNIX) share: the error of a failed
//! reunion, and their trait impls, written once in [`split_halves!`] for each pair of half
//! types.

use std::fmt;

/// A `reunite` was given halves of two different streams; both are handed back. `R` and `W`
/// are the half types: [`TcpReadHalf`](crate::net::TcpReadHalf) and
/// [`TcpWriteHalf`](crate::net::TcpWriteHalf) by default, or
/// [`UnixReadHalf`](crate::net::UnixReadHalf) and [`UnixWriteHalf`](crate::net::UnixWriteHalf).
///
/// # Examples
/// See [`TcpReadHalf::reunite`](crate::net::TcpReadHalf::reunite) and
/// [`UnixReadHalf::reunite`](crate::net::UnixReadHalf::reunite).
pub struct ReuniteError<R = crate::net::TcpReadHalf, W = crate::net::TcpWriteHalf>(
    pub(super) R,
    pub(super) W,
);

impl<R, W> ReuniteError<R, W> {
    /// The two halves, as they were given.
    ///
    /// # Examples
    /// See [`TcpReadHalf::reunite`](crate::net::TcpReadHalf::reunite).
    pub fn into_parts(self) -> (R, W) {
        (self.0, self.1)
    }
}

impl<R, W> fmt::Debug for ReuniteError<R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReuniteError").finish_non_exhaustive()
    }
}

impl<R, W> fmt::Display for ReuniteError<R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the two halves came from different streams")
    }
}

impl<R, W> std::error::Error for ReuniteError<R, W> {}

/// Implements, for the halves `$read` and `$write` of the stream type `$stream` (all three
/// structs with an `inner` field: a [`SocketStream`](super::socket_stream::SocketStream) of
/// `$socket`, an `Option` of one in `$write`, `None` only while being reunited):
/// the splitting and reuniting (`split_halves` on `$stream`, `reunite_halves` on `$read`, for
/// the public, documented methods to call), `send_eof` on `$write`, `Debug`, the typed
/// attributes (by `$provide`, a `fn(&SocketStream<$socket>, &mut AttributeRequest)` that both
/// halves share with the whole stream), `AsyncResource`, the byte stream traits, and both
/// families' `AsyncRead` (for `$read`) and `AsyncWrite` (for `$write`). Dropping `$write`
/// shuts the writing direction down.
macro_rules! split_halves {
    (
        stream: $stream:ident,
        read: $read:ident,
        write: $write:ident,
        socket: $socket:ty,
        provide: $provide:path $(,)?
    ) => {
        impl $stream {
            /// The two halves, sharing the socket.
            fn split_halves(self) -> ($read, $write) {
                let (receiving, sending) = self.inner.split();
                (
                    $read { inner: receiving },
                    $write {
                        inner: Some(sending),
                    },
                )
            }
        }

        impl $read {
            /// The whole stream again, or both halves back if they came from different ones.
            fn reunite_halves(
                self,
                mut writer: $write,
            ) -> Result<$stream, $crate::net::ReuniteError<$read, $write>> {
                let sending = writer.inner.take().expect("a write half holds its stream");
                match $crate::net::socket_stream::SocketStream::reunite(self.inner, sending) {
                    Ok(inner) => Ok($stream { inner }),
                    Err((receiving, sending)) => {
                        writer.inner = Some(sending);
                        Err($crate::net::ReuniteError(
                            $read { inner: receiving },
                            writer,
                        ))
                    }
                }
            }
        }

        impl $write {
            fn inner(&self) -> &$crate::net::socket_stream::SocketStream<$socket> {
                self.inner.as_ref().expect("a write half holds its stream")
            }

            fn inner_mut(&mut self) -> &mut $crate::net::socket_stream::SocketStream<$socket> {
                self.inner.as_mut().expect("a write half holds its stream")
            }

            /// Shuts the writing direction down (a half close); the peer's receive ends.
            /// Calling it again does nothing.
            ///
            /// # Errors
            /// [`StreamError::Closed`](crate::streams::StreamError::Closed) once closed; the
            /// system's error.
            ///
            /// # Cancel safety
            /// Cancel safe: it does not wait.
            ///
            /// # Examples
            #[doc = concat!("See [`", stringify!($stream), "::into_split`].")]
            pub async fn send_eof(&mut self) -> Result<(), $crate::streams::StreamError> {
                Ok(self.inner_mut().shut_down_writing()?)
            }
        }

        impl Drop for $write {
            fn drop(&mut self) {
                if let Some(inner) = &mut self.inner {
                    let _ = inner.shut_down_writing();
                }
            }
        }

        impl std::fmt::Debug for $read {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let socket = self.inner.socket().ok();
                f.debug_struct(stringify!($read))
                    .field("peer", &socket.and_then(|s| s.peer_addr().ok()))
                    .finish()
            }
        }

        impl std::fmt::Debug for $write {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let socket = self.inner.as_ref().and_then(|inner| inner.socket().ok());
                f.debug_struct(stringify!($write))
                    .field("peer", &socket.and_then(|s| s.peer_addr().ok()))
                    .finish()
            }
        }

        impl $crate::streams::TypedAttributeProvider for $read {
            fn provide_attributes(&self, request: &mut $crate::streams::AttributeRequest<'_>) {
                $provide(&self.inner, request);
            }
        }

        impl $crate::streams::TypedAttributeProvider for $write {
            fn provide_attributes(&self, request: &mut $crate::streams::AttributeRequest<'_>) {
                if let Some(inner) = &self.inner {
                    $provide(inner, request);
                }
            }
        }

        impl $crate::streams::AsyncResource for $read {
            /// Lets go of this half: later receives fail with
            /// [`StreamError::Closed`](crate::streams::StreamError::Closed). The socket
            /// closes once the other half is gone too. Never fails.
            async fn aclose(&mut self) -> Result<(), $crate::streams::StreamError> {
                self.inner.close();
                Ok(())
            }
        }

        impl $crate::streams::AsyncResource for $write {
            /// Shuts the writing direction down and lets go of this half: later sends fail
            /// with [`StreamError::Closed`](crate::streams::StreamError::Closed). The socket
            /// closes once the other half is gone too.
            async fn aclose(&mut self) -> Result<(), $crate::streams::StreamError> {
                let inner = self.inner_mut();
                let shut = match inner.registered_io() {
                    Ok(_) => inner.shut_down_writing(),
                    Err(_) => Ok(()), // closed already: closing twice is harmless
                };
                inner.close();
                Ok(shut?)
            }
        }

        impl $crate::streams::ByteReceiveStream for $read {
            async fn receive(
                &mut self,
                buf: &mut [u8],
            ) -> Result<usize, $crate::streams::StreamError> {
                self.inner.receive(buf).await
            }
        }

        impl $crate::streams::ByteSendStream for $write {
            async fn send(&mut self, data: &[u8]) -> Result<(), $crate::streams::StreamError> {
                self.inner().send(data).await
            }
        }

        impl futures_io::AsyncRead for $read {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read_slice(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $write {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner().poll_write_slice(cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.inner().socket().map(drop))
            }

            /// Half-closes, as `send_eof`.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.get_mut().inner_mut().shut_down_writing())
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $read {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::streams::poll_read_into(buf, |slice| self.inner.poll_read_slice(cx, slice))
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncWrite for $write {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner().poll_write_slice(cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.inner().socket().map(drop))
            }

            /// Half-closes, as `send_eof`.
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.get_mut().inner_mut().shut_down_writing())
            }
        }
    };
}

pub(super) use split_halves;
