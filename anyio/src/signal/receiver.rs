//! [`open_signal_receiver`] and the [`SignalReceiver`] it returns: the task's half, which
//! reads the signal numbers that the handler writes into the receiver's pipe.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::handler::{self, CAPACITY, Target};
use super::number::Signal;
use crate::backend::wait_point::WaitPoint;
use crate::backend::{Direction, Registered};
use crate::cancel::gate::poll_gate;

/// Starts receiving `signals` (AnyIO's `open_signal_receiver`): from now on every delivery of
/// one of them to the process is queued for the returned receiver, until it is dropped.
///
/// Signals are given as [`Signal`]s or as plain numbers (`libc::SIGTERM`); duplicates count
/// once. An empty list makes a receiver that never receives anything.
///
/// Opening is synchronous (as AnyIO's, a plain context manager), and may be done from any
/// task or thread on which anyio's backend runs. The signals' previous dispositions are saved and replaced for as long as any
/// receiver of them is open; the [module docs](crate::signal) say what happens to them.
///
/// # Errors
/// - kind `InvalidInput`, carrying an [`UnsupportedSignalError`](super::UnsupportedSignalError)
///   that names it, for a signal anyio cannot receive: no signal of this system, `SIGKILL`,
///   `SIGSTOP`, or a fault signal (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`). Nothing is
///   changed then;
/// - carrying [`NoEventLoopError`](crate::NoEventLoopError), when no backend runs the caller;
/// - the system's error when the pipe cannot be made (out of file descriptors) or the
///   disposition cannot be changed.
///
/// # Examples
/// ```
/// use anyio::signal::{Signal, open_signal_receiver};
///
/// anyio::run(async {
///     let mut signals = open_signal_receiver([Signal::SIGUSR1])?;
///     // SAFETY: `raise` has no preconditions; the receiver handles the signal.
///     unsafe { libc::raise(libc::SIGUSR1) };
///     assert_eq!(signals.receive().await?, Signal::SIGUSR1);
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_signal_receiver<I>(signals: I) -> io::Result<SignalReceiver>
where
    I: IntoIterator,
    I::Item: Into<Signal>,
{
    let mut signals: Vec<Signal> = signals.into_iter().map(Into::into).collect();
    signals.sort_unstable();
    signals.dedup();
    for &signal in &signals {
        handler::check(signal)?;
    }
    let (reader, writer) = pipe()?;
    let reader = Registered::new(reader)?;
    let target = Arc::new(Target::new(writer));
    handler::subscribe(&signals, &target)?;
    Ok(SignalReceiver {
        reader,
        target,
        signals,
        buffer: Buffer::default(),
    })
}

/// A pipe whose ends are both non-blocking (for the reactor, and so that the handler never
/// blocks) and close-on-exec (a child process must not inherit them).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    #[cfg(not(any(
        target_vendor = "apple",
        target_os = "aix",
        target_os = "espidf",
        target_os = "haiku",
        target_os = "horizon",
        target_os = "nto"
    )))]
    {
        use rustix::pipe::PipeFlags;
        Ok(rustix::pipe::pipe_with(
            PipeFlags::CLOEXEC | PipeFlags::NONBLOCK,
        )?)
    }
    // No `pipe2` here: the flags are set just after (another thread's fork-and-exec in between
    // would leak the pipe into the child, as std's own pipes do on these systems).
    #[cfg(any(
        target_vendor = "apple",
        target_os = "aix",
        target_os = "espidf",
        target_os = "haiku",
        target_os = "horizon",
        target_os = "nto"
    ))]
    {
        let (reader, writer) = rustix::pipe::pipe()?;
        for end in [&reader, &writer] {
            rustix::io::fcntl_setfd(end, rustix::io::FdFlags::CLOEXEC)?;
            rustix::io::ioctl_fionbio(end, true)?;
        }
        Ok((reader, writer))
    }
}

/// Receives the signals named to [`open_signal_receiver`], every delivery in the order they
/// came, through [`receive`](Self::receive) or as a [`Stream`](futures_core::Stream).
///
/// Dropping it stops the receiving; for a signal it was the last receiver of, the disposition
/// from before the first receiver comes back (see the [module docs](crate::signal)). Signals it
/// held and had not returned are lost with it.
///
/// It holds at most [`CAPACITY`](Self::CAPACITY) signals that were delivered and not yet
/// received; deliveries beyond that are dropped for this receiver (other receivers still get
/// them), as the signal handler may never wait.
///
/// # Examples
/// ```
/// use anyio::signal::{Signal, open_signal_receiver};
///
/// anyio::run(async {
///     let mut signals = open_signal_receiver([Signal::SIGUSR1, Signal::SIGUSR2])?;
///     for signal in [libc::SIGUSR2, libc::SIGUSR1, libc::SIGUSR2] {
///         // SAFETY: `raise` has no preconditions; the receiver handles the signal.
///         unsafe { libc::raise(signal) };
///     }
///     // Every delivery, in order, duplicates included:
///     assert_eq!(signals.receive().await?, Signal::SIGUSR2);
///     assert_eq!(signals.receive().await?, Signal::SIGUSR1);
///     assert_eq!(signals.receive().await?, Signal::SIGUSR2);
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SignalReceiver {
    reader: Registered<OwnedFd>,
    target: Arc<Target>,
    /// Sorted, without duplicates.
    signals: Vec<Signal>,
    buffer: Buffer,
}

impl SignalReceiver {
    /// The most signals a receiver holds that were delivered to the process and not yet
    /// returned by [`receive`](Self::receive): 1024. A delivery that finds it full is dropped
    /// for this receiver alone, as is one that the receiver's pipe cannot take. Pipes hold
    /// more than this, except on a Linux system whose user has used up the pipe allowance of
    /// `/proc/sys/fs/pipe-user-pages-soft` (a pipe then holds a page or two).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(anyio::signal::SignalReceiver::CAPACITY, 1024);
    /// ```
    pub const CAPACITY: usize = CAPACITY;

    /// Waits for the next signal delivered to the process, among those this receiver was
    /// opened for, and returns it. Deliveries come in the order they happened, each one, the
    /// same signal twice in a row included.
    ///
    /// Like every anyio operation it is a cancellation point: in a cancelled scope it does not
    /// return, even with a signal waiting (which stays queued).
    ///
    /// # Errors
    /// The reactor's error if the runtime the receiver was opened on can no longer wait for
    /// its pipe (it was shut down). Nothing is lost then.
    ///
    /// # Cancel safety
    /// Cancel safe: a `receive` dropped before it returned has taken no signal, which the
    /// next `receive` returns.
    ///
    /// # Examples
    /// ```
    /// use anyio::signal::{Signal, open_signal_receiver};
    ///
    /// anyio::run(async {
    ///     let mut hangups = open_signal_receiver([libc::SIGHUP])?;
    ///     unsafe { libc::raise(libc::SIGHUP) };
    ///     let signal = hangups.receive().await?;
    ///     assert_eq!(signal, Signal::SIGHUP);
    ///     println!("{signal}: reloading the configuration");
    ///     Ok::<_, std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn receive(&mut self) -> io::Result<Signal> {
        std::future::poll_fn(|cx| self.poll_receive(cx)).await
    }

    /// The signals this receiver receives, in ascending order of their numbers.
    ///
    /// # Examples
    /// ```
    /// use anyio::signal::{Signal, open_signal_receiver};
    ///
    /// anyio::run(async {
    ///     let signals = open_signal_receiver([Signal::SIGTERM, Signal::SIGINT, Signal::SIGINT])?;
    ///     assert_eq!(signals.signals(), [Signal::SIGINT, Signal::SIGTERM]);
    ///     Ok::<_, std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signals(&self) -> &[Signal] {
        &self.signals
    }

    /// The next signal: one read before, or a fresh read from the pipe.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Signal>> {
        // Nothing taken yet when it is pending: the signals stay queued for a later receive.
        let unit = std::task::ready!(poll_gate(cx, WaitPoint::Signal));
        if self.buffer.is_empty() {
            let SignalReceiver { reader, buffer, .. } = self;
            // A wait drops `unit`, which gives the budget back.
            match reader.poll_io(cx, Direction::Read, |pipe| buffer.fill(pipe)) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    unit.made_progress();
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(())) => {}
            }
        }
        let Some(signal) = self.buffer.pop() else {
            // `fill` leaves at least one byte when it succeeds.
            return Poll::Ready(Err(io::Error::other("the signal pipe read nothing")));
        };
        self.target.received();
        unit.made_progress();
        Poll::Ready(Ok(signal))
    }
}

/// Yields every signal delivery, as [`receive`](SignalReceiver::receive) returns them; the
/// stream never ends by itself.
///
/// # Cancel safety
/// As [`receive`](SignalReceiver::receive): a `next()` dropped before it returned has taken
/// nothing.
///
/// # Examples
/// ```
/// use futures_lite::StreamExt;
/// use anyio::signal::{Signal, open_signal_receiver};
///
/// anyio::run(async {
///     let mut signals = open_signal_receiver([Signal::SIGWINCH])?;
///     // SAFETY: `raise` has no preconditions; the receiver handles the signal.
///     unsafe { libc::raise(libc::SIGWINCH) };
///     while let Some(signal) = signals.next().await {
///         assert_eq!(signal?, Signal::SIGWINCH);
///         println!("the terminal was resized");
///         break;
///     }
///     Ok::<_, std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl futures_core::Stream for SignalReceiver {
    type Item = io::Result<Signal>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_receive(cx).map(Some)
    }
}

impl Drop for SignalReceiver {
    fn drop(&mut self) {
        // Before the pipe closes (with the fields, after this): once this returns, no handler
        // writes to it any more.
        handler::unsubscribe(&self.signals, &self.target);
    }
}

impl fmt::Debug for SignalReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalReceiver")
            .field("signals", &self.signals)
            .field("read_ahead", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

/// Signal numbers read from the pipe and not yet returned: a read takes what is there, up to
/// this buffer's size, rather than one system call per signal.
struct Buffer {
    bytes: [u8; 64],
    start: usize,
    end: usize,
}

impl Default for Buffer {
    fn default() -> Buffer {
        Buffer {
            bytes: [0; 64],
            start: 0,
            end: 0,
        }
    }
}

impl Buffer {
    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn len(&self) -> usize {
        self.end - self.start
    }

    fn pop(&mut self) -> Option<Signal> {
        let byte = *self.bytes.get(self.start..self.end)?.first()?;
        self.start += 1;
        Some(Signal::from_raw(i32::from(byte)))
    }

    /// Reads into the empty buffer: `WouldBlock` when the pipe is empty.
    fn fill(&mut self, pipe: &OwnedFd) -> io::Result<()> {
        let read = rustix::io::read(pipe, &mut self.bytes)?;
        if read == 0 {
            // The receiver holds the write end, so the pipe cannot have ended.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the signal pipe was closed",
            ));
        }
        self.start = 0;
        self.end = read;
        Ok(())
    }
}
