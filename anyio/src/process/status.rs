//! [`ExitStatus`]: how a child process ended, by its exit code or by a signal.

use std::fmt;
use std::os::unix::process::ExitStatusExt;

/// How a process ended: it exited with a code, or a signal killed it (Python's `returncode`,
/// which is negative for a signal, in one type that says which).
///
/// It prints as people say it: `exit code 3`, `killed by signal 9 (SIGKILL)`.
///
/// # Examples
/// ```
/// use anyio::process::run_process;
///
/// anyio::run(async {
///     let done = run_process(["sh", "-c", "exit 3"]).await.unwrap_err();
///     let status = done.status().unwrap();
///     assert_eq!(status.code(), Some(3));
///     assert!(!status.success());
///     assert_eq!(status.to_string(), "exit code 3");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(std::process::ExitStatus);

impl ExitStatus {
    /// Whether the process exited with code 0.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let done = anyio::process::run_process(["true"]).await.unwrap();
    ///     assert!(done.status.success());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn success(&self) -> bool {
        self.0.success()
    }

    /// The exit code, if the process exited (rather than being killed by a signal).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let done = anyio::process::run_process(["false"]).await.unwrap_err();
    ///     assert_eq!(done.status().unwrap().code(), Some(1));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn code(&self) -> Option<i32> {
        self.0.code()
    }

    /// The number of the signal that killed the process, if one did.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::open_process;
    ///
    /// anyio::run(async {
    ///     let process = open_process(["sleep", "30"]).await.unwrap();
    ///     process.kill().unwrap();
    ///     let status = process.wait().await.unwrap();
    ///     assert_eq!(status.signal(), Some(libc::SIGKILL));
    ///     assert_eq!(status.code(), None);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn signal(&self) -> Option<i32> {
        self.0.signal()
    }

    /// Whether the signal that killed the process also made it dump core.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let done = anyio::process::run_process(["true"]).await.unwrap();
    ///     assert!(!done.status.core_dumped());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn core_dumped(&self) -> bool {
        self.0.core_dumped()
    }

    /// The same status as std's type, for code that works with `std::process`.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let done = anyio::process::run_process(["true"]).await.unwrap();
    ///     let status: std::process::ExitStatus = done.status.into_std();
    ///     assert!(status.success());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn into_std(self) -> std::process::ExitStatus {
        self.0
    }
}

impl std::hash::Hash for ExitStatus {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.into_raw().hash(state);
    }
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(status: std::process::ExitStatus) -> Self {
        ExitStatus(status)
    }
}

impl From<ExitStatus> for std::process::ExitStatus {
    fn from(status: ExitStatus) -> Self {
        status.0
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.code() {
            return write!(f, "exit code {code}");
        }
        if let Some(signal) = self.signal() {
            write!(f, "killed by signal {signal}")?;
            if let Some(name) = signal_name(signal) {
                write!(f, " ({name})")?;
            }
            if self.core_dumped() {
                f.write_str(", core dumped")?;
            }
            return Ok(());
        }
        // Only a stopped or continued process has neither, and anyio waits for exits only.
        write!(f, "wait status {:#x}", self.0.into_raw())
    }
}

impl fmt::Debug for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ExitStatus");
        if let Some(code) = self.code() {
            debug.field("code", &code);
        } else if let Some(signal) = self.signal() {
            debug.field("signal", &signal);
            if let Some(name) = signal_name(signal) {
                debug.field("name", &name);
            }
        } else {
            debug.field("raw", &self.0.into_raw());
        }
        debug.finish()
    }
}

/// The usual name of a signal. The numbers differ between systems, so this matches on the
/// platform's own constants.
pub(super) fn signal_name(signal: i32) -> Option<&'static str> {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGSYS => "SIGSYS",
        _ => return None,
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_codes_and_signals() {
        let exited = ExitStatus::from(std::process::ExitStatus::from_raw(3 << 8));
        assert_eq!(exited.to_string(), "exit code 3");
        assert_eq!(format!("{exited:?}"), "ExitStatus { code: 3 }");
        let killed = ExitStatus::from(std::process::ExitStatus::from_raw(libc::SIGKILL));
        assert_eq!(killed.to_string(), "killed by signal 9 (SIGKILL)");
        let dumped = ExitStatus::from(std::process::ExitStatus::from_raw(libc::SIGSEGV | 0x80));
        assert_eq!(
            dumped.to_string(),
            "killed by signal 11 (SIGSEGV), core dumped"
        );
        let unnamed = ExitStatus::from(std::process::ExitStatus::from_raw(40));
        assert_eq!(unnamed.to_string(), "killed by signal 40");
    }
}
