//! [`Communicate`]: feeding a child its input while reading everything it writes to its
//! other two pipes, all at once in one future (Python's `Popen.communicate`), so that a child
//! blocked writing to one pipe never waits on this process reading another.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::pipe::Pipe;
use super::{ProcessStderr, ProcessStdin, ProcessStdout};

/// Writes `input` to stdin then closes it, and reads stdout and stderr to their ends; yields
/// what was read from each. Streams that are `None` are skipped.
#[derive(Debug)]
pub(super) struct Communicate {
    stdin: Option<ProcessStdin>,
    input: Option<Arc<[u8]>>,
    written: usize,
    stdout: Reader<ProcessStdout>,
    stderr: Reader<ProcessStderr>,
}

#[derive(Debug)]
struct Reader<S> {
    stream: Option<S>,
    read: Vec<u8>,
}

impl Communicate {
    pub(super) fn new(
        stdin: Option<ProcessStdin>,
        input: Option<Arc<[u8]>>,
        stdout: Option<ProcessStdout>,
        stderr: Option<ProcessStderr>,
    ) -> Communicate {
        Communicate {
            stdin,
            input,
            written: 0,
            stdout: Reader {
                stream: stdout,
                read: Vec::new(),
            },
            stderr: Reader {
                stream: stderr,
                read: Vec::new(),
            },
        }
    }

    /// Writes what the pipe takes now; closes stdin once everything is written.
    fn poll_feed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(stdin) = &self.stdin else {
            return Poll::Ready(Ok(()));
        };
        let input = self.input.as_deref().unwrap_or_default();
        while self.written < input.len() {
            match stdin.inner.poll_write_slice(cx, &input[self.written..]) {
                Poll::Ready(Ok(n)) => self.written += n,
                // The child closed its input without reading all of it (as `head` does):
                // its choice, which its exit status speaks for (Python's `communicate`
                // ignores this too).
                Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::BrokenPipe => break,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // The end of the input: the child sees it once the pipe closes.
        self.stdin = None;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsPipe> Reader<S> {
    /// Reads what the pipe holds now; lets the pipe go at its end.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(stream) = &self.stream else {
            return Poll::Ready(Ok(()));
        };
        loop {
            match stream.pipe().poll_read_vec(cx, &mut self.read) {
                Poll::Ready(Ok(0)) => break,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.stream = None;
        Poll::Ready(Ok(()))
    }
}

/// The pipe inside a child's output stream.
trait AsPipe {
    fn pipe(&self) -> &Pipe;
}

impl AsPipe for ProcessStdout {
    fn pipe(&self) -> &Pipe {
        &self.inner
    }
}

impl AsPipe for ProcessStderr {
    fn pipe(&self) -> &Pipe {
        &self.inner
    }
}

impl Future for Communicate {
    type Output = io::Result<(Vec<u8>, Vec<u8>)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Each is polled whatever the others do: every pipe that is pending has this task's
        // waker, so whichever becomes ready first is served first.
        let fed = this.poll_feed(cx)?;
        let out = this.stdout.poll_drain(cx)?;
        let err = this.stderr.poll_drain(cx)?;
        if fed.is_pending() || out.is_pending() || err.is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(Ok((
            std::mem::take(&mut this.stdout.read),
            std::mem::take(&mut this.stderr.read),
        )))
    }
}
