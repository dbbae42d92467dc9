//! The child's standard streams, seen from this process: [`ProcessStdin`] to write to,
//! [`ProcessStdout`] and [`ProcessStderr`] to read from. Each is one end of a pipe, made
//! non-blocking and registered with the running backend's reactor as sockets are, so that they
//! work alike on every backend and under native runners.

use std::fmt;
use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, OwnedFd};
use std::task::{Context, Poll, ready};

use rustix::buffer::spare_capacity;
use rustix::io::Errno;

use crate::backend::wait_point::WaitPoint;
use crate::backend::{Direction, Registered};
use crate::cancel::gate::{gated_io, poll_io_gate};
use crate::streams::StreamError;

/// Below this much room left in a buffer being read into, the buffer grows first.
const MIN_SPARE: usize = 4 * 1024;
/// How much a buffer being read into grows by, at least: a pipe's default capacity on Linux.
const READ_CHUNK: usize = 64 * 1024;

/// This process's end of a pipe to or from the child; `None` once closed.
pub(super) struct Pipe {
    io: Option<Registered<OwnedFd>>,
}

impl Pipe {
    /// Takes over `fd`, making it non-blocking. Only this process's end changes: the child's
    /// end is another open file description, which stays blocking as programs expect.
    pub(super) fn new(fd: OwnedFd) -> io::Result<Pipe> {
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(Pipe {
            io: Some(Registered::new(fd)?),
        })
    }

    fn io(&self) -> io::Result<&Registered<OwnedFd>> {
        self.io.as_ref().ok_or_else(|| StreamError::Closed.into())
    }

    /// Closes this end at once: the child sees the end of its input, or `EPIPE` when it
    /// writes.
    pub(super) fn close(&mut self) {
        drop(self.io.take());
    }

    /// Deregisters the descriptor and gives it back in blocking mode, ready to be handed to
    /// another process (which would share the non-blocking flag otherwise).
    fn into_owned_fd(mut self) -> io::Result<OwnedFd> {
        let registered = self.io.take().ok_or(StreamError::Closed)?;
        let fd = registered.into_inner()?;
        rustix::io::ioctl_fionbio(&fd, false)?;
        Ok(fd)
    }

    async fn receive(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Err(crate::streams::EMPTY_BUFFER);
        }
        let io = self.io()?;
        let len = buf.len();
        match gated_io(
            WaitPoint::ProcessPipe,
            io.stream(Direction::Read, len, |fd| read(fd, buf)),
        )
        .await
        {
            Ok(0) => Err(StreamError::EndOfStream),
            Ok(n) => Ok(n),
            Err(error) => Err(error.into()),
        }
    }

    async fn send(&self, mut data: &[u8]) -> Result<(), StreamError> {
        let io = self.io()?;
        while !data.is_empty() {
            let n = gated_io(
                WaitPoint::ProcessPipe,
                io.stream(Direction::Write, data.len(), |fd| write(fd, data)),
            )
            .await?;
            data = &data[n..];
        }
        Ok(())
    }

    fn poll_read_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let io = self.io()?;
        let unit = ready!(poll_io_gate(cx, WaitPoint::ProcessPipe));
        let read = ready!(io.poll_stream(cx, Direction::Read, len, |fd| read(fd, buf)));
        unit.made_progress();
        Poll::Ready(read)
    }

    /// Reads into `vec`'s spare capacity (made if there is little), growing it by what was
    /// read: no zeroing and no copy of what is read, whatever the amount.
    pub(super) fn poll_read_vec(
        &self,
        cx: &mut Context<'_>,
        vec: &mut Vec<u8>,
    ) -> Poll<io::Result<usize>> {
        let io = self.io()?;
        if vec.capacity() - vec.len() < MIN_SPARE {
            // At least doubles a large buffer (`reserve`'s growth), so the reads stay long.
            vec.reserve(READ_CHUNK);
        }
        let len = vec.capacity() - vec.len();
        let unit = ready!(poll_io_gate(cx, WaitPoint::ProcessPipe));
        let read = ready!(io.poll_stream(cx, Direction::Read, len, |fd| {
            retry_interrupted(|| rustix::io::read(fd, spare_capacity(&mut *vec)))
        }));
        unit.made_progress();
        Poll::Ready(read)
    }

    pub(super) fn poll_write_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let io = self.io()?;
        let unit = ready!(poll_io_gate(cx, WaitPoint::ProcessPipe));
        let written = ready!(io.poll_stream(cx, Direction::Write, buf.len(), |fd| write(fd, buf)));
        unit.made_progress();
        Poll::Ready(written)
    }

    fn poll_write_slices(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let io = self.io()?;
        let len = bufs.iter().map(|buf| buf.len()).sum();
        let unit = ready!(poll_io_gate(cx, WaitPoint::ProcessPipe));
        let written = ready!(io.poll_stream(cx, Direction::Write, len, |fd| {
            retry_interrupted(|| rustix::io::writev(fd, bufs))
        }));
        unit.made_progress();
        Poll::Ready(written)
    }

    fn check_open(&self) -> io::Result<()> {
        self.io().map(drop)
    }
}

impl fmt::Debug for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.io {
            Some(io) => write!(f, "fd {}", io.get_ref().as_raw_fd()),
            None => f.write_str("closed"),
        }
    }
}

/// A system call, again if a signal interrupted it.
pub(super) fn retry_interrupted<T>(mut call: impl FnMut() -> Result<T, Errno>) -> io::Result<T> {
    loop {
        match call() {
            Err(Errno::INTR) => {}
            result => return result.map_err(io::Error::from),
        }
    }
}

fn read(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    retry_interrupted(|| rustix::io::read(fd, &mut *buf))
}

fn write(fd: &OwnedFd, data: &[u8]) -> io::Result<usize> {
    retry_interrupted(|| rustix::io::write(fd, data))
}

/// The child's standard input, as this process writes it: a
/// [`ByteSendStream`](crate::streams::ByteSendStream) and an `AsyncWrite` of both families.
/// Closing it ([`aclose`](crate::streams::AsyncResource::aclose), `AsyncWrite`'s
/// close/shutdown, or dropping it) is how the child learns that its input has ended.
///
/// A send to a child that has closed its standard input (or exited) fails with
/// [`StreamError::Broken`] (`EPIPE`). Rust programs ignore `SIGPIPE`, so that signal does not
/// kill this process; code embedded in a program that restores `SIGPIPE`'s default must ignore
/// it itself.
///
/// # Cancel safety
/// A send dropped midway may have written a first part of its bytes.
///
/// # Examples
/// ```
/// use anyio::process::open_process;
/// use anyio::streams::{AsyncResource, ByteReceiveStream, ByteSendStream};
///
/// anyio::run(async {
///     let mut process = open_process(["cat"]).await.unwrap();
///     let mut stdin = process.stdin.take().unwrap();
///     stdin.send(b"echoed back").await.unwrap();
///     stdin.aclose().await.unwrap(); // `cat` ends when its input does
///     let mut buf = [0; 64];
///     let n = process.stdout.as_mut().unwrap().receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"echoed back");
///     assert!(process.wait().await.unwrap().success());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct ProcessStdin {
    pub(super) inner: Pipe,
}

impl ProcessStdin {
    /// Gives the pipe's descriptor back, deregistered and blocking, for instance to make it
    /// another child's standard output with [`Stdio::from`](super::Stdio).
    ///
    /// # Errors
    /// [`StreamError::Closed`] (inside the `io::Error`) once closed; a failure to deregister.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, Stdio, open_process, run_process};
    ///
    /// anyio::run(async {
    ///     let mut cat = open_process(Command::new("cat").stderr(Stdio::null())).await.unwrap();
    ///     let to_cat = cat.stdin.take().unwrap().into_owned_fd().unwrap();
    ///     // `echo` writes straight into `cat`'s input.
    ///     let mut echo = Command::new("echo");
    ///     echo.arg("piped").stdout(Stdio::from(to_cat));
    ///     run_process(echo).await.unwrap();
    ///     let output = cat.wait_with_output().await.unwrap();
    ///     assert_eq!(output.stdout, b"piped\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        self.inner.into_owned_fd()
    }
}

impl crate::streams::TypedAttributeProvider for ProcessStdin {}

impl crate::streams::AsyncResource for ProcessStdin {
    /// Closes the pipe at once: the child reads the end of its input. Never fails.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        self.inner.close();
        Ok(())
    }
}

impl crate::streams::ByteSendStream for ProcessStdin {
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        self.inner.send(data).await
    }
}

impl futures_io::AsyncWrite for ProcessStdin {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_slice(cx, buf)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_slices(cx, bufs)
    }

    /// Nothing to do: the pipe keeps no buffer in this process.
    fn poll_flush(self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner.check_open())
    }

    /// Closes the pipe, as `aclose`.
    fn poll_close(self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.close();
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for ProcessStdin {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_slice(cx, buf)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_slices(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Nothing to do: the pipe keeps no buffer in this process.
    fn poll_flush(self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner.check_open())
    }

    /// Closes the pipe, as `aclose`.
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().inner.close();
        Poll::Ready(Ok(()))
    }
}

/// Implements the receiving stream traits for a pipe the child writes to.
macro_rules! output_pipe {
    ($name:ident) => {
        impl $name {
            /// Gives the pipe's descriptor back, deregistered and blocking, for instance to
            /// make it another child's standard input with [`Stdio::from`](super::Stdio).
            ///
            /// # Errors
            /// [`StreamError::Closed`] (inside the `io::Error`) once closed; a failure to
            /// deregister.
            ///
            /// # Examples
            /// ```
            /// use anyio::process::{Command, Stdio, open_process, run_process};
            ///
            /// anyio::run(async {
            ///     // printf 'b\na\n' | head -n 1
            ///     let mut printf = Command::new("printf");
            ///     printf.arg("b\\na\\n").stdin(Stdio::null()).stderr(Stdio::null());
            ///     let mut printf = open_process(printf).await.unwrap();
            ///     let out = printf.stdout.take().unwrap().into_owned_fd().unwrap();
            ///     let mut head = Command::new("head");
            ///     head.args(["-n", "1"]).stdin(Stdio::from(out));
            ///     assert_eq!(run_process(head).await.unwrap().stdout, b"b\n");
            ///     printf.wait().await.unwrap();
            /// })?;
            /// # Ok::<(), anyio::RunError>(())
            /// ```
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                self.inner.into_owned_fd()
            }
        }

        impl crate::streams::TypedAttributeProvider for $name {}

        impl crate::streams::AsyncResource for $name {
            /// Closes the pipe at once; the child's later writes fail (`EPIPE`). Never fails.
            async fn aclose(&mut self) -> Result<(), StreamError> {
                self.inner.close();
                Ok(())
            }
        }

        impl crate::streams::ByteReceiveStream for $name {
            async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
                self.inner.receive(buf).await
            }
        }

        impl futures_io::AsyncRead for $name {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.inner.poll_read_slice(cx, buf)
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $name {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                crate::streams::poll_read_into(buf, |slice| self.inner.poll_read_slice(cx, slice))
            }
        }
    };
}

/// The child's standard output, as this process reads it: a
/// [`ByteReceiveStream`](crate::streams::ByteReceiveStream) and an `AsyncRead` of both
/// families. The stream ends ([`StreamError::EndOfStream`], or a read of 0 bytes) once every
/// process holding the pipe's other end has closed it: the child, and any child of its own
/// that inherited it.
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes.
///
/// # Examples
/// ```
/// use anyio::process::open_process;
/// use anyio::streams::BufferedByteReceiveStream;
///
/// anyio::run(async {
///     let mut process = open_process(["printf", "one\ntwo\n"]).await.unwrap();
///     let mut lines = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
///     assert_eq!(lines.receive_until(b"\n", 100).await.unwrap(), b"one");
///     assert_eq!(lines.receive_until(b"\n", 100).await.unwrap(), b"two");
///     process.wait().await.unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct ProcessStdout {
    pub(super) inner: Pipe,
}

/// The child's standard error, as this process reads it; the same kind of stream as
/// [`ProcessStdout`].
///
/// # Cancel safety
/// A receive dropped before it returned has taken no bytes.
///
/// # Examples
/// ```
/// use anyio::process::open_process;
/// use anyio::streams::ByteReceiveStream;
///
/// anyio::run(async {
///     let mut process = open_process(["sh", "-c", "echo oops >&2"]).await.unwrap();
///     let stderr = process.stderr.as_mut().unwrap();
///     let mut buf = [0; 16];
///     let n = stderr.receive(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"oops\n");
///     process.wait().await.unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct ProcessStderr {
    pub(super) inner: Pipe,
}

output_pipe!(ProcessStdout);
output_pipe!(ProcessStderr);
