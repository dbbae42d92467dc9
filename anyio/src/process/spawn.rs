//! Turning a [`Command`] into a running child: std's `Command` does the spawning (with
//! `posix_spawn` where it can, and `fork` + `exec` where a setting needs code in the child),
//! then the pipes and the exit watch are registered with the running backend.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::sync::Arc;

use super::child::Child;
use super::command::{EnvChange, PreExec};
use super::pipe::Pipe;
use super::{Command, Process, ProcessStderr, ProcessStdin, ProcessStdout, SpawnError};

/// Which function spawns: it decides the defaults of the standard streams, and whether
/// `input` is allowed.
#[derive(Clone, Copy, Debug)]
pub(super) enum Purpose {
    /// `run_process`: stdin from `input` or nothing, stdout and stderr captured.
    Run,
    /// `open_process`: all three piped.
    Open,
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Starts `command`'s child.
pub(super) fn spawn(command: &Command, purpose: Purpose) -> io::Result<Process> {
    let Some(program) = command.argv.first() else {
        return Err(invalid("the command is empty: it names no program to run"));
    };
    match purpose {
        Purpose::Run if command.input.is_some() && command.stdin.is_some() => {
            return Err(invalid(
                "a command cannot have both `input` and a `stdin` setting: \
                 the input is what its standard input reads",
            ));
        }
        Purpose::Open if command.input.is_some() => {
            return Err(invalid(
                "`input` is for run_process; after open_process, write to Process::stdin",
            ));
        }
        _ => {}
    }
    if command.new_session && command.process_group.is_some() {
        return Err(invalid(
            "a command cannot both start a new session and join a process group",
        ));
    }

    let mut std = std::process::Command::new(program);
    std.args(&command.argv[1..]);
    for change in &command.env {
        match change {
            EnvChange::Set(key, value) => std.env(key, value),
            EnvChange::Remove(key) => std.env_remove(key),
            EnvChange::Clear => std.env_clear(),
        };
    }
    if let Some(cwd) = &command.cwd {
        std.current_dir(cwd);
    }
    let piped = std::process::Stdio::piped;
    let stdin_default = match purpose {
        Purpose::Run if command.input.is_none() => std::process::Stdio::null(),
        _ => piped(),
    };
    std.stdin(match &command.stdin {
        Some(stdio) => stdio.to_std()?,
        None => stdin_default,
    });
    std.stdout(match &command.stdout {
        Some(stdio) => stdio.to_std()?,
        None => piped(),
    });
    std.stderr(match &command.stderr {
        Some(stdio) => stdio.to_std()?,
        None => piped(),
    });
    if let Some(uid) = command.uid {
        std.uid(uid);
    }
    if let Some(gid) = command.gid {
        std.gid(gid);
    }
    if let Some(pgroup) = command.process_group {
        std.process_group(pgroup);
    }
    let setup = ChildSetup {
        new_session: command.new_session,
        // Only the permission bits mean anything; `mode_t` is narrower than `u32` on some
        // systems, where the cast is needed.
        #[allow(clippy::unnecessary_cast)]
        umask: command.umask.map(|mask| (mask & 0o777) as libc::mode_t),
        pass_fds: command.pass_fds.iter().map(|fd| fd.as_raw_fd()).collect(),
        hooks: command.pre_exec.clone(),
    };
    if setup.is_needed() {
        // SAFETY: the closure runs in the forked child, where only async-signal-safe code may
        // run: `ChildSetup::run` makes plain system calls (setsid, umask, fcntl), reads a
        // `Vec` it owns without allocating, and calls the user's hooks, which the user vouched
        // for when calling the `unsafe` `Command::pre_exec`.
        unsafe {
            std.pre_exec(move || setup.run());
        }
    }

    let spawned = std.spawn();
    // The parent's copies of redirected descriptors close now, with std's command: a child
    // reading a pipe whose writing end only we still held would wait for ever.
    drop(std);
    let mut process =
        spawned.map_err(|error| SpawnError::into_io(program, command.cwd.as_deref(), error))?;
    let (stdin, stdout, stderr) = (
        process.stdin.take(),
        process.stdout.take(),
        process.stderr.take(),
    );
    // From here on an error drops the handle, which kills the child and reaps it.
    let leads_group = command.new_session || command.process_group == Some(0);
    let child = Child::new(process, command.kill_on_drop, leads_group);
    let pipe = |fd: Option<OwnedFd>| fd.map(Pipe::new).transpose();
    Ok(Process {
        stdin: pipe(stdin.map(OwnedFd::from))?.map(|inner| ProcessStdin { inner }),
        stdout: pipe(stdout.map(OwnedFd::from))?.map(|inner| ProcessStdout { inner }),
        stderr: pipe(stderr.map(OwnedFd::from))?.map(|inner| ProcessStderr { inner }),
        args: command.argv.clone(),
        shown: command.shown(),
        child,
    })
}

/// What runs in the child between `fork` and `exec`, for the settings std has no way to make.
struct ChildSetup {
    new_session: bool,
    umask: Option<libc::mode_t>,
    pass_fds: Vec<RawFd>,
    hooks: Vec<Arc<PreExec>>,
}

impl ChildSetup {
    /// Whether anything is to be done: without it std may use `posix_spawn`, which is faster
    /// than `fork` for a large parent.
    fn is_needed(&self) -> bool {
        self.new_session
            || self.umask.is_some()
            || !self.pass_fds.is_empty()
            || !self.hooks.is_empty()
    }

    /// Runs in the child: async-signal-safe system calls only (no allocation: an
    /// `io::Error` from `last_os_error` holds just the number).
    fn run(&self) -> io::Result<()> {
        if self.new_session {
            // SAFETY: `setsid` takes no arguments and touches no memory of ours.
            if unsafe { libc::setsid() } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        if let Some(mask) = self.umask {
            // SAFETY: `umask` only sets the process's mask; it cannot fail.
            unsafe { libc::umask(mask) };
        }
        for &fd in &self.pass_fds {
            // Every descriptor is close-on-exec; the passed ones must survive the `exec`.
            // SAFETY: `fcntl` with `F_GETFD`/`F_SETFD` only reads and sets the descriptor's
            // flags; a closed descriptor makes it fail with `EBADF`, nothing worse.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            if flags == -1 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: as above.
            if unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        for hook in &self.hooks {
            hook()?;
        }
        Ok(())
    }
}
