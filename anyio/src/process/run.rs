//! [`run_process`]: runs a command to its end, feeding its input and capturing its output.

use std::ffi::OsString;
use std::fmt;

use super::communicate::Communicate;
use super::error::show_args;
use super::join::output;
use super::kill_on_cancel::KillOnCancel;
use super::spawn::{Purpose, spawn};
use super::{CalledProcessError, Command, ExitStatus, ProcessError};

/// Runs a command and waits for it to end (AnyIO's `run_process`, std's `output`): writes its
/// [`input`](Command::input) (then closes its standard input), captures its standard output
/// and standard error, and checks its exit status. `command` is a [`Command`], or an array or
/// `Vec` of the program and its arguments, which never goes through a shell (use
/// [`Command::shell`] for a command line).
///
/// By default standard input is `/dev/null` (unless `input` is given), and standard output
/// and standard error are captured; set them otherwise on the [`Command`]. The input is
/// written and both outputs read at the same time, so a child that writes a lot to one pipe
/// before reading its input or writing to the other never waits on this process. A child that
/// stops reading its input early (as `head` does) is not an error: its exit status tells.
///
/// It returns once the child has exited *and* its output has ended: a grandchild that
/// inherited the pipes and runs on (`sh -c 'daemon &'`) keeps them open, and the call waiting,
/// as in Python. Redirect such a grandchild's output, or start the child as the leader of a
/// [process group](Command::process_group) so that a timeout kills them all.
///
/// # Errors
/// - [`ProcessError::Failed`] when the process ends unsuccessfully and
///   [`check`](Command::check) is on (the default): the error holds the status and the
///   captured output.
/// - [`ProcessError::Io`] when the program cannot be started (its kind is the system's,
///   `NotFound` for a missing program, and its message names the program), for an empty
///   command or contradictory settings (`InvalidInput`: `input` with a `stdin` setting), or
///   when feeding, reading or waiting fails.
///
/// # Cancel safety
/// Cancelled by an anyio cancel scope while the child runs, it kills the child (`SIGKILL`;
/// its whole process group if it leads one) and waits for it, shielded, before the
/// cancellation goes through: no child outlives the cancelled scope. The output read so far is lost. Dropped by other means (a `select!`),
/// it cannot wait: the child is killed, and reaped in the background.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use anyio::process::{Command, run_process};
///
/// anyio::run(async {
///     let done = run_process(["echo", "hello"]).await.unwrap();
///     assert_eq!(done.stdout, b"hello\n");
///     assert!(done.status.success());
///
///     let first = run_process(Command::new("head").args(["-n", "1"]).input("a\nb\n")).await;
///     assert_eq!(first.unwrap().stdout, b"a\n");
///
///     // A timeout kills the child.
///     let slow = run_process(["sleep", "30"]);
///     assert!(anyio::move_on_after(Duration::from_millis(10), slow).await.is_none());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub async fn run_process(command: impl Into<Command>) -> Result<CompletedProcess, ProcessError> {
    let command = command.into();
    crate::lowlevel::checkpoint_if_cancelled().await;
    let mut process = spawn(&command, Purpose::Run)?;
    let pipes = Communicate::new(
        process.stdin.take(),
        command.input.clone(),
        process.stdout.take(),
        process.stderr.take(),
    );
    let child = &process.child;
    let ((stdout, stderr), status) = KillOnCancel::new(child, output(pipes, child)).await?;
    if command.check && !status.success() {
        return Err(ProcessError::Failed(CalledProcessError {
            args: command.argv,
            shown: process.shown.clone(),
            status,
            stdout,
            stderr,
        }));
    }
    Ok(CompletedProcess {
        args: command.argv,
        status,
        stdout,
        stderr,
    })
}

/// A process that ran to its end (Python's `CompletedProcess`): what
/// [`run_process`] and [`Process::wait_with_output`](super::Process::wait_with_output)
/// return.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let done = anyio::process::run_process(["printf", "%s", "out"]).await.unwrap();
///     assert_eq!(done.args, ["printf", "%s", "out"]);
///     assert_eq!(done.stdout, b"out");
///     assert!(done.stderr.is_empty());
///     assert!(done.status.success());
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CompletedProcess {
    /// The program and its arguments.
    pub args: Vec<OsString>,
    /// How the process ended.
    pub status: ExitStatus,
    /// What it wrote to its standard output, if captured (empty otherwise).
    pub stdout: Vec<u8>,
    /// What it wrote to its standard error, if captured (empty otherwise).
    pub stderr: Vec<u8>,
}

impl CompletedProcess {
    /// `self` if the process succeeded; a [`CalledProcessError`] otherwise (Python's
    /// `check_returncode`), for results gathered with `check` off.
    ///
    /// # Errors
    /// The [`CalledProcessError`] when the process ended unsuccessfully.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::new("false").check(false)).await.unwrap();
    ///     let error = done.check().unwrap_err();
    ///     assert_eq!(error.to_string(), "`false` failed: exit code 1");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn check(self) -> Result<CompletedProcess, CalledProcessError> {
        if self.status.success() {
            return Ok(self);
        }
        Err(CalledProcessError {
            shown: show_args(&self.args),
            args: self.args,
            status: self.status,
            stdout: self.stdout,
            stderr: self.stderr,
        })
    }
}

impl fmt::Debug for CompletedProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompletedProcess")
            .field("args", &self.args)
            .field("status", &self.status)
            .field("stdout", &String::from_utf8_lossy(&self.stdout))
            .field("stderr", &String::from_utf8_lossy(&self.stderr))
            .finish()
    }
}
