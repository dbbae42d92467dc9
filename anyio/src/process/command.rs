//! [`Command`]: what to run and how, and [`Stdio`]: where a standard stream of the child goes.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The program to run, its arguments and its surroundings, for [`run_process`](super::run_process)
/// and [`open_process`](super::open_process) (Python's `run_process` and `open_process`
/// keyword arguments, as a builder).
///
/// Build one with [`new`](Self::new) and [`arg`](Self::arg)s, from an array or `Vec` of
/// strings (`["ls", "-l"]`: the program, then its arguments), or with [`shell`](Self::shell)
/// for a command line that `/bin/sh` interprets. A program and its arguments never go through
/// a shell, so they need no quoting and cannot be misread as shell syntax.
///
/// The setters take `&mut self` and return it, as `std::process::Command`'s do; the functions
/// that run a command take it by value, or clone it from a reference:
/// `run_process(Command::new("ls").arg("-l"))` works as it reads. The program is looked up in
/// the `PATH` (the child's, if [`env`](Self::env) sets one), as std does.
///
/// # Examples
/// ```
/// use anyio::process::{Command, Stdio, run_process};
///
/// anyio::run(async {
///     let mut command = Command::new("sh");
///     command
///         .args(["-c", "echo \"$GREETING from $(pwd)\""])
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .stderr(Stdio::null());
///     let done = run_process(&command).await.unwrap();
///     assert_eq!(done.stdout, b"hello from /\n");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct Command {
    /// The program, then its arguments. Empty only when built from an empty list, which
    /// spawning refuses.
    pub(super) argv: Vec<OsString>,
    /// The command line, for a command built by [`shell`](Self::shell).
    pub(super) shell: Option<OsString>,
    pub(super) env: Vec<EnvChange>,
    pub(super) cwd: Option<PathBuf>,
    pub(super) stdin: Option<Stdio>,
    pub(super) stdout: Option<Stdio>,
    pub(super) stderr: Option<Stdio>,
    pub(super) input: Option<Arc<[u8]>>,
    pub(super) check: bool,
    pub(super) kill_on_drop: bool,
    pub(super) new_session: bool,
    pub(super) process_group: Option<i32>,
    pub(super) pass_fds: Vec<Arc<OwnedFd>>,
    pub(super) uid: Option<u32>,
    pub(super) gid: Option<u32>,
    pub(super) umask: Option<u32>,
    pub(super) pre_exec: Vec<Arc<PreExec>>,
}

/// A hook run in the child between `fork` and `exec`.
pub(super) type PreExec = dyn Fn() -> io::Result<()> + Send + Sync;

/// A change to the environment the child inherits, kept in the order given so that it
/// applies as std's calls in the same order would.
#[derive(Clone, Debug)]
pub(super) enum EnvChange {
    Set(OsString, OsString),
    Remove(OsString),
    Clear,
}

impl Command {
    /// A command that runs `program` with no arguments. `program` is a path, or a name looked
    /// up in the `PATH`.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::new("echo").arg("hi")).await.unwrap();
    ///     assert_eq!(done.stdout, b"hi\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from_argv(vec![program.as_ref().to_owned()])
    }

    /// A command line run by the shell, `/bin/sh -c command`: pipes, redirections, variables
    /// and globs all work, and so does every way of misquoting them. Build the line from
    /// untrusted text only with great care; prefer [`new`](Self::new) and
    /// [`arg`](Self::arg), which never involve a shell.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::shell("printf 'b\\na\\n' | head -n 1")).await.unwrap();
    ///     assert_eq!(done.stdout, b"b\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn shell(command: impl AsRef<OsStr>) -> Command {
        let line = command.as_ref().to_owned();
        let mut built = Command::from_argv(vec!["/bin/sh".into(), "-c".into(), line.clone()]);
        built.shell = Some(line);
        built
    }

    fn from_argv(argv: Vec<OsString>) -> Command {
        Command {
            argv,
            shell: None,
            env: Vec::new(),
            cwd: None,
            stdin: None,
            stdout: None,
            stderr: None,
            input: None,
            check: true,
            kill_on_drop: true,
            new_session: false,
            process_group: None,
            pass_fds: Vec::new(),
            uid: None,
            gid: None,
            umask: None,
            pre_exec: Vec::new(),
        }
    }

    /// Adds an argument.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     // One argument, spaces and all: no shell splits it.
    ///     let done = run_process(Command::new("printf").arg("%s|").arg("a b")).await.unwrap();
    ///     assert_eq!(done.stdout, b"a b|");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.argv.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::new("echo").args(["a", "b"])).await.unwrap();
    ///     assert_eq!(done.stdout, b"a b\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.argv
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child (which otherwise inherits this process's
    /// environment).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::shell("echo $ANSWER").env("ANSWER", "42")).await;
    ///     assert_eq!(done.unwrap().stdout, b"42\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env.push(EnvChange::Set(
            key.as_ref().to_owned(),
            value.as_ref().to_owned(),
        ));
        self
    }

    /// Sets several environment variables.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let vars = [("A", "1"), ("B", "2")];
    ///     let done = run_process(Command::shell("echo $A$B").envs(vars)).await.unwrap();
    ///     assert_eq!(done.stdout, b"12\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (key, value) in vars {
            self.env(key, value);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let mut command = Command::shell("echo \"[$GONE]\"");
    ///     command.env("GONE", "here").env_remove("GONE");
    ///     assert_eq!(run_process(&command).await.unwrap().stdout, b"[]\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env.push(EnvChange::Remove(key.as_ref().to_owned()));
        self
    }

    /// Starts the child with an empty environment, but for the variables set after this call.
    /// Without a `PATH`, the program must be given by its path.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let mut command = Command::new("/bin/sh");
    ///     command.args(["-c", "echo \"$ONLY ${HOME-unset}\""]).env_clear().env("ONLY", "me");
    ///     assert_eq!(run_process(&command).await.unwrap().stdout, b"me unset\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.env.push(EnvChange::Clear);
        self
    }

    /// Runs the child in directory `dir`. A relative program path is looked up from the
    /// parent's directory, not `dir`, on some systems and from `dir` on others: give an
    /// absolute path to be sure.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::shell("pwd").current_dir("/")).await.unwrap();
    ///     assert_eq!(done.stdout, b"/\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// Where the child's standard input comes from. By default: nothing
    /// ([`Stdio::null`]) under [`run_process`](super::run_process), unless
    /// [`input`](Self::input) is given; a pipe ([`Stdio::piped`]) under
    /// [`open_process`](super::open_process), written through
    /// [`Process::stdin`](super::Process::stdin).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, Stdio, run_process};
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-stdin-{}", std::process::id()));
    ///     std::fs::write(&path, "first\nsecond\n").unwrap();
    ///     let file = std::fs::File::open(&path).unwrap();
    ///     let done = run_process(Command::new("head").args(["-n", "1"]).stdin(Stdio::from(file)))
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(done.stdout, b"first\n");
    ///     std::fs::remove_file(&path).unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn stdin(&mut self, stdin: impl Into<Stdio>) -> &mut Command {
        self.stdin = Some(stdin.into());
        self
    }

    /// Where the child's standard output goes. By default a pipe: captured by
    /// [`run_process`](super::run_process), readable through
    /// [`Process::stdout`](super::Process::stdout) after
    /// [`open_process`](super::open_process).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, Stdio, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::new("echo").arg("dropped").stdout(Stdio::null()))
    ///         .await
    ///         .unwrap();
    ///     assert!(done.stdout.is_empty());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn stdout(&mut self, stdout: impl Into<Stdio>) -> &mut Command {
        self.stdout = Some(stdout.into());
        self
    }

    /// Where the child's standard error goes. By default a pipe, as for
    /// [`stdout`](Self::stdout).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, Stdio, run_process};
    ///
    /// anyio::run(async {
    ///     // Show the child's errors where this program shows its own.
    ///     let done = run_process(Command::new("true").stderr(Stdio::inherit())).await.unwrap();
    ///     assert!(done.stderr.is_empty());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn stderr(&mut self, stderr: impl Into<Stdio>) -> &mut Command {
        self.stderr = Some(stderr.into());
        self
    }

    /// Bytes for [`run_process`](super::run_process) to write to the child's standard input,
    /// which is then closed (Python's `input`). It takes the place of a
    /// [`stdin`](Self::stdin) setting: giving both is an error when the command runs, and so
    /// is giving `input` to [`open_process`](super::open_process), which leaves the writing
    /// to its caller.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::new("cat").input("fed through a pipe")).await.unwrap();
    ///     assert_eq!(done.stdout, b"fed through a pipe");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn input(&mut self, input: impl AsRef<[u8]>) -> &mut Command {
        self.input = Some(Arc::from(input.as_ref()));
        self
    }

    /// Whether [`run_process`](super::run_process) treats an unsuccessful exit as an error,
    /// a [`CalledProcessError`](super::CalledProcessError). On by default, as in AnyIO.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::new("false").check(false)).await.unwrap();
    ///     assert_eq!(done.status.code(), Some(1));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn check(&mut self, check: bool) -> &mut Command {
        self.check = check;
        self
    }

    /// Whether a [`Process`](super::Process) dropped while its child still runs kills the
    /// child (with `SIGKILL`, then waits for it on a worker thread; the child's whole process
    /// group if it leads one of its own). On by default, so that no child outlives the code
    /// that started it. Turn it off for a daemon meant to outlive
    /// that code: dropping the `Process` then leaves the child running, and a small thread of
    /// its own waits for it, so that it never lingers as a zombie once it exits.
    /// [`Process::detach`](super::Process::detach) does the same for one process after it
    /// started.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, open_process};
    ///
    /// anyio::run(async {
    ///     let process = open_process(Command::new("true").kill_on_drop(false)).await.unwrap();
    ///     drop(process); // `true` ends on its own; nothing waits here.
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Starts the child in a new session (`setsid`, Python's `start_new_session`): it leaves
    /// this process's controlling terminal and process group, so a Ctrl-C at the terminal
    /// does not reach it. It becomes the leader of a new process group whose id is its pid,
    /// so `kill(-pid, signal)` reaches its own children too, and so do anyio's own kills (on a
    /// drop or a cancellation). Cannot be combined with
    /// [`process_group`](Self::process_group).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, open_process};
    ///
    /// anyio::run(async {
    ///     let process = open_process(Command::new("sleep").arg("30").start_new_session(true))
    ///         .await
    ///         .unwrap();
    ///     let pid = process.pid() as libc::pid_t;
    ///     // SAFETY: `getsid` only reads the session id of a process.
    ///     assert_eq!(unsafe { libc::getsid(pid) }, pid);
    ///     process.kill().unwrap();
    ///     process.wait().await.unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn start_new_session(&mut self, new_session: bool) -> &mut Command {
        self.new_session = new_session;
        self
    }

    /// Puts the child in process group `pgroup` (`setpgid`), or in a new group of its own,
    /// whose id is its pid, for 0. Signalling the group (`kill(-pgid, signal)`) then reaches
    /// the child's own children as well; with 0, anyio's own kills (on a drop or a
    /// cancellation) go to the whole group, so that no child of the child outlives it. Cannot
    /// be combined with [`start_new_session`](Self::start_new_session).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, open_process};
    ///
    /// anyio::run(async {
    ///     let process = open_process(Command::new("sleep").arg("30").process_group(0))
    ///         .await
    ///         .unwrap();
    ///     let pgid = process.pid() as libc::pid_t;
    ///     // SAFETY: `kill` only sends a signal; a negative pid names the whole group.
    ///     assert_eq!(unsafe { libc::kill(-pgid, libc::SIGKILL) }, 0);
    ///     assert_eq!(process.wait().await.unwrap().signal(), Some(libc::SIGKILL));
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.process_group = Some(pgroup);
        self
    }

    /// Lets the child inherit `fd`, at the same number (Python's `pass_fds`). None of anyio's
    /// other descriptors reach the child (they are all close-on-exec), but unlike Python's
    /// `close_fds`, descriptors that other code opened without close-on-exec (or that this
    /// process inherited so) are inherited as well. The command keeps `fd` open until it is
    /// dropped; read its number with `as_raw_fd()` before passing it, to tell the child.
    /// Descriptors 0, 1 and 2 are the standard streams: set those with
    /// [`stdin`](Self::stdin) and friends instead.
    ///
    /// # Examples
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let name = format!("anyio-doc-pass-fd-{}", std::process::id());
    ///     let path = std::env::temp_dir().join(name);
    ///     std::fs::write(&path, "passed along\n").unwrap();
    ///     let file = std::fs::File::open(&path).unwrap();
    ///     let fd = file.as_raw_fd();
    ///     let mut command = Command::new("head");
    ///     command.args(["-n", "1", &format!("/dev/fd/{fd}")]).pass_fd(file);
    ///     assert_eq!(run_process(command).await.unwrap().stdout, b"passed along\n");
    ///     std::fs::remove_file(&path).unwrap();
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn pass_fd(&mut self, fd: impl Into<OwnedFd>) -> &mut Command {
        self.pass_fds.push(Arc::new(fd.into()));
        self
    }

    /// Runs the child as user `uid` (`setuid`; this process needs the privilege to).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     // SAFETY: `getuid` only reads this process's user id.
    ///     let uid = unsafe { libc::getuid() };
    ///     // Our own uid is always allowed.
    ///     assert!(run_process(Command::new("true").uid(uid)).await.is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn uid(&mut self, uid: u32) -> &mut Command {
        self.uid = Some(uid);
        self
    }

    /// Runs the child as group `gid` (`setgid`; this process needs the privilege to).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     // SAFETY: `getgid` only reads this process's group id.
    ///     let gid = unsafe { libc::getgid() };
    ///     assert!(run_process(Command::new("true").gid(gid)).await.is_ok());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn gid(&mut self, gid: u32) -> &mut Command {
        self.gid = Some(gid);
        self
    }

    /// Sets the child's file mode creation mask (`umask`), so that the files it creates get
    /// at most the permissions `0o777 & !mask`.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let done = run_process(Command::shell("umask").umask(0o027)).await.unwrap();
    ///     assert_eq!(done.stdout, b"0027\n");
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn umask(&mut self, mask: u32) -> &mut Command {
        self.umask = Some(mask);
        self
    }

    /// Runs `hook` in the child after `fork` and before `exec`, after anyio's own settings
    /// (session, umask, passed descriptors), as std's `CommandExt::pre_exec`. An error stops
    /// the spawn and is returned by it.
    ///
    /// # Safety
    /// The hook runs in a copy of this process in which only the forking thread exists: it
    /// may only do what is async-signal-safe (system calls; no allocation, no locks, no
    /// `println!`). See std's `CommandExt::pre_exec` for the details.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, run_process};
    ///
    /// anyio::run(async {
    ///     let mut command = Command::new("true");
    ///     // SAFETY: the hook makes no system call at all.
    ///     unsafe {
    ///         command.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EPERM)));
    ///     }
    ///     let error = run_process(&command).await.unwrap_err();
    ///     let anyio::process::ProcessError::Io(error) = error else { unreachable!() };
    ///     assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub unsafe fn pre_exec(
        &mut self,
        hook: impl Fn() -> io::Result<()> + Send + Sync + 'static,
    ) -> &mut Command {
        self.pre_exec.push(Arc::new(hook));
        self
    }

    /// The program (empty for a command built from an empty list).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::Command;
    ///
    /// assert_eq!(Command::new("ls").get_program(), "ls");
    /// assert_eq!(Command::shell("ls | wc -l").get_program(), "/bin/sh");
    /// ```
    pub fn get_program(&self) -> &OsStr {
        self.argv
            .first()
            .map_or(OsStr::new(""), OsString::as_os_str)
    }

    /// The arguments, without the program.
    ///
    /// # Examples
    /// ```
    /// use anyio::process::Command;
    ///
    /// assert_eq!(Command::from(["ls", "-l", "/"]).get_args(), ["-l", "/"]);
    /// ```
    pub fn get_args(&self) -> &[OsString] {
        self.argv.get(1..).unwrap_or_default()
    }

    /// The command as a person would type it, for messages: the line of a
    /// [shell](Self::shell) command, or the program and arguments quoted as a shell would
    /// need them.
    pub(super) fn shown(&self) -> String {
        match &self.shell {
            Some(line) => line.to_string_lossy().into_owned(),
            None => super::error::show_args(&self.argv),
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Command");
        debug.field("argv", &self.argv);
        if !self.env.is_empty() {
            debug.field("env", &self.env);
        }
        if let Some(cwd) = &self.cwd {
            debug.field("cwd", cwd);
        }
        for (name, stdio) in [
            ("stdin", &self.stdin),
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
        ] {
            if let Some(stdio) = stdio {
                debug.field(name, stdio);
            }
        }
        if let Some(input) = &self.input {
            debug.field("input_len", &input.len());
        }
        debug
            .field("check", &self.check)
            .field("kill_on_drop", &self.kill_on_drop);
        if self.new_session {
            debug.field("new_session", &true);
        }
        if let Some(pgroup) = self.process_group {
            debug.field("process_group", &pgroup);
        }
        if !self.pass_fds.is_empty() {
            let fds: Vec<_> = self.pass_fds.iter().map(|fd| fd.as_raw_fd()).collect();
            debug.field("pass_fds", &fds);
        }
        if let Some(uid) = self.uid {
            debug.field("uid", &uid);
        }
        if let Some(gid) = self.gid {
            debug.field("gid", &gid);
        }
        if let Some(umask) = self.umask {
            debug.field("umask", &format_args!("{umask:#o}"));
        }
        if !self.pre_exec.is_empty() {
            debug.field("pre_exec_hooks", &self.pre_exec.len());
        }
        debug.finish()
    }
}

impl<S: AsRef<OsStr>, const N: usize> From<[S; N]> for Command {
    /// The program, then its arguments. An empty array makes a command that fails to run.
    fn from(argv: [S; N]) -> Command {
        Command::from_argv(argv.iter().map(|arg| arg.as_ref().to_owned()).collect())
    }
}

impl<S: AsRef<OsStr>, const N: usize> From<&[S; N]> for Command {
    /// The program, then its arguments. An empty array makes a command that fails to run.
    fn from(argv: &[S; N]) -> Command {
        Command::from(&argv[..])
    }
}

impl<S: AsRef<OsStr>> From<&[S]> for Command {
    /// The program, then its arguments. An empty slice makes a command that fails to run.
    fn from(argv: &[S]) -> Command {
        Command::from_argv(argv.iter().map(|arg| arg.as_ref().to_owned()).collect())
    }
}

impl<S: AsRef<OsStr>> From<Vec<S>> for Command {
    /// The program, then its arguments. An empty `Vec` makes a command that fails to run.
    fn from(argv: Vec<S>) -> Command {
        Command::from_argv(argv.iter().map(|arg| arg.as_ref().to_owned()).collect())
    }
}

impl From<&Command> for Command {
    /// A copy, so that a command can be run again.
    fn from(command: &Command) -> Command {
        command.clone()
    }
}

impl From<&mut Command> for Command {
    /// A copy, so that `run_process(Command::new(..).arg(..))` reads as it should.
    fn from(command: &mut Command) -> Command {
        command.clone()
    }
}

/// Where one of the child's standard streams goes: a pipe to this process, this process's
/// own stream, nowhere (`/dev/null`), or a file or other descriptor.
///
/// # Examples
/// ```
/// use anyio::process::{Command, Stdio, run_process};
///
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-stdio-{}", std::process::id()));
///     let file = std::fs::File::create(&path).unwrap();
///     run_process(Command::new("echo").arg("logged").stdout(Stdio::from(file))).await.unwrap();
///     assert_eq!(std::fs::read(&path).unwrap(), b"logged\n");
///     std::fs::remove_file(&path).unwrap();
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone)]
pub struct Stdio(pub(super) Redirect);

#[derive(Clone)]
pub(super) enum Redirect {
    Piped,
    Inherit,
    Null,
    Fd(Arc<OwnedFd>),
}

impl Stdio {
    /// A pipe between the child and this process (captured by
    /// [`run_process`](super::run_process), a stream of the [`Process`](super::Process)).
    ///
    /// # Examples
    /// ```
    /// use anyio::process::{Command, Stdio, open_process};
    ///
    /// anyio::run(async {
    ///     let mut command = Command::new("true");
    ///     command.stdin(Stdio::null()).stdout(Stdio::piped());
    ///     let process = open_process(command).await.unwrap();
    ///     assert!(process.stdin.is_none() && process.stdout.is_some());
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn piped() -> Stdio {
        Stdio(Redirect::Piped)
    }

    /// The stream of this process that has the same number: the child reads this process's
    /// standard input, writes where this process writes.
    ///
    /// # Examples
    /// See [`Command::stderr`].
    pub fn inherit() -> Stdio {
        Stdio(Redirect::Inherit)
    }

    /// `/dev/null`: the child reads nothing, and what it writes is discarded.
    ///
    /// # Examples
    /// See [`Command::stdout`].
    pub fn null() -> Stdio {
        Stdio(Redirect::Null)
    }

    /// The std setting that makes the child's stream what this one says.
    pub(super) fn to_std(&self) -> io::Result<std::process::Stdio> {
        Ok(match &self.0 {
            Redirect::Piped => std::process::Stdio::piped(),
            Redirect::Inherit => std::process::Stdio::inherit(),
            Redirect::Null => std::process::Stdio::null(),
            // A copy (close-on-exec, as std makes them), closed once the spawn is done, so that
            // this `Stdio` can serve another spawn and the parent keeps no extra copy open.
            Redirect::Fd(fd) => std::process::Stdio::from(fd.try_clone()?),
        })
    }
}

impl From<std::fs::File> for Stdio {
    /// The child reads from, or writes to, this file.
    fn from(file: std::fs::File) -> Stdio {
        Stdio(Redirect::Fd(Arc::new(file.into())))
    }
}

impl From<OwnedFd> for Stdio {
    /// The child uses this descriptor (a file, a pipe, a socket).
    fn from(fd: OwnedFd) -> Stdio {
        Stdio(Redirect::Fd(Arc::new(fd)))
    }
}

impl fmt::Debug for Stdio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Redirect::Piped => f.write_str("Stdio::piped()"),
            Redirect::Inherit => f.write_str("Stdio::inherit()"),
            Redirect::Null => f.write_str("Stdio::null()"),
            Redirect::Fd(fd) => write!(f, "Stdio(fd {})", fd.as_raw_fd()),
        }
    }
}
