//! The errors of running processes: a program that could not be started ([`SpawnError`]), one
//! that failed ([`CalledProcessError`]), and [`run_process`](super::run_process)'s error that
//! holds either or an I/O failure ([`ProcessError`]).

use std::error::Error;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::ExitStatus;

/// Why a program could not be started: carried inside the `io::Error` that
/// [`open_process`](super::open_process) and [`run_process`](super::run_process) return, whose
/// kind stays the system's (`NotFound` for a missing program, `PermissionDenied` for one that
/// is not executable), so that the message names the program.
///
/// # Examples
/// ```
/// use anyio::process::{SpawnError, open_process};
///
/// anyio::run(async {
///     let error = open_process(["no-such-program-here"]).await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
///     assert!(error.to_string().contains("no-such-program-here"), "{error}");
///     let spawn = error.get_ref().unwrap().downcast_ref::<SpawnError>().unwrap();
///     assert_eq!(spawn.program(), "no-such-program-here");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
pub struct SpawnError {
    program: OsString,
    cwd: Option<PathBuf>,
    source: io::Error,
}

impl SpawnError {
    /// Wraps `source` in an `io::Error` of the same kind that names `program` (and `cwd`, which
    /// a missing directory makes the system report as a missing program).
    pub(super) fn into_io(program: &OsStr, cwd: Option<&Path>, source: io::Error) -> io::Error {
        let kind = source.kind();
        io::Error::new(
            kind,
            SpawnError {
                program: program.to_owned(),
                cwd: cwd.map(Path::to_owned),
                source,
            },
        )
    }

    /// The program that could not be started.
    ///
    /// # Examples
    /// See [`SpawnError`].
    pub fn program(&self) -> &OsStr {
        &self.program
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot start {:?}", self.program)?;
        if let Some(cwd) = &self.cwd {
            write!(f, " in directory {cwd:?}")?;
        }
        write!(f, ": {}", self.source)
    }
}

impl Error for SpawnError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// A process that [`run_process`](super::run_process) ran with `check` on ended
/// unsuccessfully (Python's `CalledProcessError`): its command, its [`ExitStatus`], and what it
/// wrote to the pipes that were captured.
///
/// # Examples
/// ```
/// use anyio::process::{ProcessError, run_process};
///
/// anyio::run(async {
///     let error = run_process(["sh", "-c", "echo out; echo err >&2; exit 2"]).await.unwrap_err();
///     let ProcessError::Failed(failed) = error else { panic!("{error}") };
///     assert_eq!(failed.status().code(), Some(2));
///     assert_eq!(failed.stdout(), b"out\n");
///     assert_eq!(failed.stderr(), b"err\n");
///     assert_eq!(
///         failed.to_string(),
///         "`sh -c 'echo out; echo err >&2; exit 2'` failed: exit code 2"
///     );
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
pub struct CalledProcessError {
    pub(super) args: Vec<OsString>,
    pub(super) shown: String,
    pub(super) status: ExitStatus,
    pub(super) stdout: Vec<u8>,
    pub(super) stderr: Vec<u8>,
}

impl CalledProcessError {
    /// How the process ended.
    ///
    /// # Examples
    /// See [`CalledProcessError`].
    pub fn status(&self) -> ExitStatus {
        self.status
    }

    /// The program and its arguments (for a [shell](super::Command::shell) command,
    /// `/bin/sh`, `-c` and the command line).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let error = anyio::process::run_process(["false"]).await.unwrap_err();
    ///     let anyio::process::ProcessError::Failed(failed) = error else { unreachable!() };
    ///     assert_eq!(failed.args(), ["false"]);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// What the process wrote to its standard output, if it was captured (empty otherwise).
    ///
    /// # Examples
    /// See [`CalledProcessError`].
    pub fn stdout(&self) -> &[u8] {
        &self.stdout
    }

    /// What the process wrote to its standard error, if it was captured (empty otherwise).
    ///
    /// # Examples
    /// See [`CalledProcessError`].
    pub fn stderr(&self) -> &[u8] {
        &self.stderr
    }

    /// The captured standard output and standard error, taken out.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let error = anyio::process::run_process(["sh", "-c", "echo no; exit 1"]).await;
    ///     let error = error.unwrap_err();
    ///     let anyio::process::ProcessError::Failed(failed) = error else { unreachable!() };
    ///     let (stdout, stderr) = failed.into_output();
    ///     assert_eq!((stdout, stderr), (b"no\n".to_vec(), Vec::new()));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_output(self) -> (Vec<u8>, Vec<u8>) {
        (self.stdout, self.stderr)
    }
}

impl fmt::Display for CalledProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed: {}", self.shown, self.status)
    }
}

impl fmt::Debug for CalledProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CalledProcessError")
            .field("args", &self.args)
            .field("status", &self.status)
            .field("stdout", &String::from_utf8_lossy(&self.stdout))
            .field("stderr", &String::from_utf8_lossy(&self.stderr))
            .finish()
    }
}

impl Error for CalledProcessError {}

/// Why [`run_process`](super::run_process) failed.
///
/// It converts into an `io::Error` (a [`Failed`](Self::Failed) process becomes one of kind
/// `Other` that carries the [`CalledProcessError`]), so `?` works in functions that return
/// `io::Result`.
///
/// # Examples
/// ```
/// use anyio::process::{ProcessError, run_process};
///
/// anyio::run(async {
///     match run_process(["false"]).await {
///         Err(ProcessError::Failed(failed)) => assert_eq!(failed.status().code(), Some(1)),
///         other => panic!("{other:?}"),
///     }
///     match run_process(["no-such-program-here"]).await {
///         Err(ProcessError::Io(error)) => assert_eq!(error.kind(), std::io::ErrorKind::NotFound),
///         other => panic!("{other:?}"),
///     }
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ProcessError {
    /// The process could not be started (a [`SpawnError`] inside), fed, drained or waited
    /// for, or the command was invalid (kind `InvalidInput`).
    Io(io::Error),
    /// `check` was on and the process ended unsuccessfully.
    Failed(CalledProcessError),
}

impl ProcessError {
    /// How the process ended, if it ran to its end.
    ///
    /// # Examples
    /// See [`ExitStatus`].
    pub fn status(&self) -> Option<ExitStatus> {
        match self {
            ProcessError::Failed(failed) => Some(failed.status),
            ProcessError::Io(_) => None,
        }
    }
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::Io(error) => fmt::Display::fmt(error, f),
            ProcessError::Failed(failed) => fmt::Display::fmt(failed, f),
        }
    }
}

impl Error for ProcessError {
    // The message is the inner error's own, so the chain goes on with that error's source.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ProcessError::Io(error) => error.source(),
            ProcessError::Failed(_) => None,
        }
    }
}

impl From<io::Error> for ProcessError {
    fn from(error: io::Error) -> Self {
        ProcessError::Io(error)
    }
}

impl From<CalledProcessError> for ProcessError {
    fn from(error: CalledProcessError) -> Self {
        ProcessError::Failed(error)
    }
}

impl From<ProcessError> for io::Error {
    fn from(error: ProcessError) -> Self {
        match error {
            ProcessError::Io(error) => error,
            ProcessError::Failed(failed) => io::Error::other(failed),
        }
    }
}

/// The command as a person would type it: arguments quoted for a POSIX shell when they hold
/// anything but plain characters.
pub(super) fn show_args(args: &[OsString]) -> String {
    let mut shown = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            shown.push(' ');
        }
        let arg = arg.to_string_lossy();
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        if plain {
            shown.push_str(&arg);
        } else {
            shown.push('\'');
            shown.push_str(&arg.replace('\'', r"'\''"));
            shown.push('\'');
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_a_shell_would_split() {
        let args = ["echo", "a b", "it's", "", "x=1"].map(OsString::from);
        assert_eq!(show_args(&args), r"echo 'a b' 'it'\''s' '' x=1");
    }
}
