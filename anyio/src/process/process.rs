//! [`Process`] and [`open_process`]: a running child, its standard streams, and the ways to
//! wait for it, signal it and close it.

use std::ffi::OsString;
use std::fmt;
use std::io;

use super::child::Child;
use super::communicate::Communicate;
use super::join::output;
use super::kill_on_cancel::KillOnCancel;
use super::spawn::{Purpose, spawn};
use super::{Command, CompletedProcess, ExitStatus, ProcessStderr, ProcessStdin, ProcessStdout};

/// Starts a child process and returns at once, with its standard streams as anyio byte
/// streams (AnyIO's `open_process`). By default all three are pipes; set them otherwise on the
/// [`Command`]. `command` is a [`Command`], or an array or `Vec` of the program and its
/// arguments.
///
/// The child is killed if the [`Process`] is dropped while it runs (see
/// [`Command::kill_on_drop`]).
///
/// # Errors
/// When the program cannot be started: the error's kind is the system's (`NotFound` for a
/// missing program) and its message names the program (a [`SpawnError`](super::SpawnError)
/// inside). `InvalidInput` for an empty command, for [`Command::input`] (which only
/// [`run_process`](super::run_process) writes), and for contradictory settings.
///
/// # Cancel safety
/// Cancel safe: a caller cancelled before the call starts no process, and once started the
/// process is returned without another suspension.
///
/// # Examples
/// ```
/// use anyio::process::open_process;
/// use anyio::streams::{BufferedByteReceiveStream, ByteSendStream};
///
/// anyio::run(async {
///     let mut process = open_process(["cat"]).await.unwrap();
///     let mut stdin = process.stdin.take().unwrap();
///     let mut stdout = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
///     // A conversation: each line sent comes back before the next is sent.
///     for word in ["ping", "pong"] {
///         stdin.send(format!("{word}\n").as_bytes()).await.unwrap();
///         assert_eq!(stdout.receive_until(b"\n", 64).await.unwrap(), word.as_bytes());
///     }
///     drop(stdin);
///     assert!(process.wait().await.unwrap().success());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn open_process(command: impl Into<Command>) -> io::Result<Process> {
    let command = command.into();
    crate::lowlevel::checkpoint_if_cancelled().await;
    spawn(&command, Purpose::Open)
}

/// A running (or finished) child process (AnyIO's `Process`), made by [`open_process`].
///
/// Its standard streams are public fields, `None` for those that are not pipes: take them out
/// (`process.stdout.take()`) to use them on their own, in other tasks, or in
/// [`BufferedByteReceiveStream`](crate::streams::BufferedByteReceiveStream). The other methods
/// take `&self`, so that one task can [`wait`](Self::wait) while another
/// [`kill`](Self::kill)s (share it with an `Arc`).
///
/// # No orphans
/// Dropping a `Process` whose child still runs kills the child (`SIGKILL`) and reaps it in the
/// background (on a worker thread when dropped on an event loop's thread), so no child
/// outlives the code that owned it, and none lingers as a zombie. A child that leads a
/// [process group](Command::process_group) of its own is killed with its group (the group
/// also when the leader itself has exited, unless it was waited for already). For a child
/// meant to outlive its `Process`, use [`Command::kill_on_drop`]`(false)` or
/// [`detach`](Self::detach). To end a child gracefully, [`terminate`](Self::terminate) it and
/// [`wait`](Self::wait); [`aclose`](Self::aclose) waits for a child to end on its own.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use anyio::process::open_process;
///
/// anyio::run(async {
///     let process = Arc::new(open_process(["sleep", "30"]).await.unwrap());
///     let waiter = Arc::clone(&process);
///     anyio::task_group(|tg| async move {
///         tg.spawn(async move {
///             let status = waiter.wait().await.unwrap();
///             assert_eq!(status.signal(), Some(libc::SIGTERM));
///         });
///         // Meanwhile, in another task:
///         process.terminate().unwrap();
///     })
///     .await
///     .unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct Process {
    /// The child's standard input, if it is a pipe.
    pub stdin: Option<ProcessStdin>,
    /// The child's standard output, if it is a pipe.
    pub stdout: Option<ProcessStdout>,
    /// The child's standard error, if it is a pipe.
    pub stderr: Option<ProcessStderr>,
    pub(super) args: Vec<OsString>,
    pub(super) shown: String,
    // Last: the pipes close before a child that is dropped running is killed.
    pub(super) child: Child,
}

impl Process {
    /// The child's process id.
    ///
    /// Once the child has been waited for, the system may give the id to another process:
    /// signal the child through [`send_signal`](Self::send_signal), which knows, rather than
    /// by its id.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["true"]).await.unwrap();
    ///     assert!(process.pid() > 0);
    ///     process.wait().await.unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Waits for the child to exit, and returns how it ended. Several tasks may wait at once;
    /// once it has exited, every call returns the same status at once.
    ///
    /// It waits for the child itself, not for its pipes to close: a grandchild that inherited
    /// them and runs on does not delay it. It does not close stdin first: if the child reads
    /// its input to the end, close [`stdin`](Self::stdin) (or drop it) before waiting.
    ///
    /// # Errors
    /// When the system refuses the wait: `ECHILD` if something else in this program reaped
    /// the child (a `SIGCHLD` set to be ignored, a `waitpid(-1)` elsewhere). The reactor's
    /// error on tokio when the runtime the process was started on has shut down: its exit
    /// watch and its pipes are registered with that runtime (as sockets are).
    ///
    /// # Cancel safety
    /// Cancel safe: the child runs on, and can be waited for again.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sh", "-c", "exit 7"]).await.unwrap();
    ///     assert_eq!(process.wait().await.unwrap().code(), Some(7));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn wait(&self) -> io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// How the child ended, if it has (a non-blocking wait, std's `try_wait`).
    ///
    /// # Errors
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sleep", "30"]).await.unwrap();
    ///     assert_eq!(process.try_wait().unwrap(), None);
    ///     process.kill().unwrap();
    ///     process.wait().await.unwrap();
    ///     assert!(process.try_wait().unwrap().is_some());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// How the child ended, or `None` while it runs (AnyIO's `returncode`):
    /// [`try_wait`](Self::try_wait) with its rare errors read as "not known".
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["false"]).await.unwrap();
    ///     process.wait().await.unwrap();
    ///     assert_eq!(process.returncode().unwrap().code(), Some(1));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn returncode(&self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Asks the child to end: sends it `SIGTERM`, which it may catch to clean up (or
    /// ignore). Does nothing if it has exited.
    ///
    /// # Errors
    /// When the signal cannot be sent (`EPERM`: a child that changed its user).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sleep", "30"]).await.unwrap();
    ///     process.terminate().unwrap();
    ///     assert_eq!(process.wait().await.unwrap().signal(), Some(libc::SIGTERM));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.child.send_signal(libc::SIGTERM)
    }

    /// Kills the child: sends it `SIGKILL`, which it cannot catch. Does nothing if it has
    /// exited. The child is not waited for: [`wait`](Self::wait) for it, or drop the
    /// `Process`, which reaps it.
    ///
    /// # Errors
    /// As for [`terminate`](Self::terminate).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sleep", "30"]).await.unwrap();
    ///     process.kill().unwrap();
    ///     let status = process.wait().await.unwrap();
    ///     assert_eq!(status.to_string(), "killed by signal 9 (SIGKILL)");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn kill(&self) -> io::Result<()> {
        self.child.send_signal(libc::SIGKILL)
    }

    /// Sends signal number `signal` (`libc::SIGHUP`, `libc::SIGUSR1`, ...) to the child.
    /// Does nothing if it has exited.
    ///
    /// # Errors
    /// `InvalidInput` (`EINVAL`) for a number that is not a signal; as for
    /// [`terminate`](Self::terminate) otherwise.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sleep", "30"]).await.unwrap();
    ///     process.send_signal(libc::SIGHUP).unwrap();
    ///     assert_eq!(process.wait().await.unwrap().signal(), Some(libc::SIGHUP));
    ///     assert!(process.send_signal(libc::SIGHUP).is_ok()); // exited: nothing to do
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        self.child.send_signal(signal)
    }

    /// Closes the standard streams and waits for the child to exit (AnyIO's `aclose`).
    /// Streams taken out of the `Process` are not closed.
    ///
    /// If the caller is cancelled while it waits, the child is killed (with its process group
    /// if it leads one) and reaped before the cancellation goes through (the wait is
    /// shielded), so no orphan is left behind.
    ///
    /// # Errors
    /// As for [`wait`](Self::wait).
    ///
    /// # Cancel safety
    /// Cancelled by an anyio cancel scope, it kills the child and waits for it, as above.
    /// Dropped by other means (a `select!`), it cannot wait: the child is killed and reaped
    /// in the background when the `Process` is dropped.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    ///
    /// anyio::run(async {
    ///     let mut process = anyio::process::open_process(["sleep", "30"]).await.unwrap();
    ///     // `sleep` will not end on its own in time: the timeout kills it.
    ///     let closed = anyio::move_on_after(Duration::from_millis(20), process.aclose()).await;
    ///     assert!(closed.is_none());
    ///     assert_eq!(process.returncode().unwrap().signal(), Some(libc::SIGKILL));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn aclose(&mut self) -> io::Result<ExitStatus> {
        if let Some(stdin) = &mut self.stdin {
            stdin.inner.close();
        }
        if let Some(stdout) = &mut self.stdout {
            stdout.inner.close();
        }
        if let Some(stderr) = &mut self.stderr {
            stderr.inner.close();
        }
        KillOnCancel::new(&self.child, self.child.wait()).await
    }

    /// Closes stdin, reads stdout and stderr to their ends (those still in the `Process`),
    /// and waits for the child to exit (std's `wait_with_output`); unlike
    /// [`run_process`](super::run_process), an unsuccessful exit is not an error.
    ///
    /// # Errors
    /// When reading the pipes or waiting fails.
    ///
    /// # Cancel safety
    /// Cancelled, it kills the child and waits for it, as [`aclose`](Self::aclose) does; the
    /// output is lost.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sh", "-c", "echo hi; exit 2"]).await;
    ///     let process = process.unwrap();
    ///     let done = process.wait_with_output().await.unwrap();
    ///     assert_eq!(done.stdout, b"hi\n");
    ///     assert_eq!(done.status.code(), Some(2));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<CompletedProcess> {
        drop(self.stdin.take());
        let pipes = Communicate::new(None, None, self.stdout.take(), self.stderr.take());
        let child = &self.child;
        let ((stdout, stderr), status) = KillOnCancel::new(child, output(pipes, child)).await?;
        Ok(CompletedProcess {
            args: std::mem::take(&mut self.args),
            status,
            stdout,
            stderr,
        })
    }

    /// Gives up ownership of the child: it runs on after the `Process` is gone, however
    /// [`Command::kill_on_drop`] was set. Its pipes close now (take them out first to keep
    /// them); a small thread of its own waits for it, so that it never lingers as a zombie.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let process = anyio::process::open_process(["sleep", "0.01"]).await.unwrap();
    ///     // Returns at once; `sleep` runs on, and is reaped when it ends.
    ///     process.detach();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn detach(mut self) {
        self.child.set_kill_on_drop(false);
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid())
            .field("command", &self.shown)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}

impl crate::streams::AsyncResource for Process {
    /// [`Process::aclose`], for code generic over resources; an error becomes
    /// [`StreamError::Broken`](crate::streams::StreamError::Broken).
    async fn aclose(&mut self) -> Result<(), crate::streams::StreamError> {
        Process::aclose(self).await?;
        Ok(())
    }
}
