//! What a temporary file that wraps an [`AsyncFile`](crate::fs::AsyncFile) passes through to
//! it: `Deref`/`DerefMut` (its methods) and the `AsyncRead`, `AsyncWrite` and `AsyncSeek` traits
//! of both I/O families (a library generic over them takes the temporary file itself).

/// Implements the pass-through for `$type`, whose `file` field is the `AsyncFile`.
macro_rules! wraps_async_file {
    ($type:ty) => {
        impl ::std::ops::Deref for $type {
            type Target = $crate::fs::AsyncFile;

            fn deref(&self) -> &$crate::fs::AsyncFile {
                &self.file
            }
        }

        impl ::std::ops::DerefMut for $type {
            fn deref_mut(&mut self) -> &mut $crate::fs::AsyncFile {
                &mut self.file
            }
        }

        impl ::futures_io::AsyncRead for $type {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                ::futures_io::AsyncRead::poll_read(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                    buf,
                )
            }
        }

        impl ::futures_io::AsyncWrite for $type {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                ::futures_io::AsyncWrite::poll_write(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                    buf,
                )
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::futures_io::AsyncWrite::poll_flush(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                )
            }

            /// Closes the file; a named one is removed when dropped, or by its own `aclose`.
            fn poll_close(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::futures_io::AsyncWrite::poll_close(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                )
            }
        }

        impl ::futures_io::AsyncSeek for $type {
            fn poll_seek(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                position: ::std::io::SeekFrom,
            ) -> ::std::task::Poll<::std::io::Result<u64>> {
                ::futures_io::AsyncSeek::poll_seek(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                    position,
                )
            }
        }

        #[cfg(feature = "tokio")]
        impl ::tokio::io::AsyncRead for $type {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut ::tokio::io::ReadBuf<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::tokio::io::AsyncRead::poll_read(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                    buf,
                )
            }
        }

        #[cfg(feature = "tokio")]
        impl ::tokio::io::AsyncWrite for $type {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                ::tokio::io::AsyncWrite::poll_write(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                    buf,
                )
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::tokio::io::AsyncWrite::poll_flush(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                )
            }

            /// Closes the file; a named one is removed when dropped, or by its own `aclose`.
            fn poll_shutdown(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::tokio::io::AsyncWrite::poll_shutdown(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                )
            }
        }

        #[cfg(feature = "tokio")]
        impl ::tokio::io::AsyncSeek for $type {
            fn start_seek(
                self: ::std::pin::Pin<&mut Self>,
                position: ::std::io::SeekFrom,
            ) -> ::std::io::Result<()> {
                ::tokio::io::AsyncSeek::start_seek(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    position,
                )
            }

            fn poll_complete(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<u64>> {
                ::tokio::io::AsyncSeek::poll_complete(
                    ::std::pin::Pin::new(&mut self.get_mut().file),
                    cx,
                )
            }
        }
    };
}

pub(super) use wraps_async_file;
