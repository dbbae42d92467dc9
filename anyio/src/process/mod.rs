//! Running other programs (AnyIO's `run_process` and `open_process`), on any backend.
//!
//! - [`run_process`] runs a command to its end: it writes the command's
//!   [`input`](Command::input), captures its standard output and standard error, and by default
//!   treats an unsuccessful exit as an error ([`CalledProcessError`]).
//! - [`open_process`] starts a command and hands back a [`Process`], whose standard streams
//!   are anyio byte streams ([`ProcessStdin`], [`ProcessStdout`], [`ProcessStderr`], each also
//!   an `AsyncRead`/`AsyncWrite` of both I/O families): for talking to a child as it runs,
//!   reading its output as it comes, or stopping it.
//!
//! A [`Command`] says what to run and how: the program and its arguments (which never go
//! through a shell; [`Command::shell`] runs a command line through `/bin/sh` when you mean
//! it), the environment, the working directory, where each standard stream goes
//! ([`Stdio`]), a new session or process group, descriptors to pass, the user, group and
//! umask. An array such as `["ls", "-l"]` is a command too.
//!
//! # Capturing output
//!
//! ```
//! use anyio::process::{Command, ProcessError, run_process};
//!
//! anyio::run(async {
//!     let done = run_process(["echo", "hello"]).await?;
//!     assert_eq!(done.stdout, b"hello\n");
//!
//!     // Feed it input; see what it said on failure.
//!     let failed = run_process(Command::shell("cat; echo 'no good' >&2; exit 3").input("data"))
//!         .await
//!         .unwrap_err();
//!     let ProcessError::Failed(failed) = failed else { unreachable!() };
//!     assert_eq!(failed.stdout(), b"data");
//!     assert_eq!(failed.stderr(), b"no good\n");
//!     assert_eq!(failed.status().code(), Some(3));
//!     Ok::<_, ProcessError>(())
//! })??;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Streaming output line by line
//!
//! Wrap the child's output in a
//! [`BufferedByteReceiveStream`](crate::streams::BufferedByteReceiveStream) (or use it as an
//! `AsyncRead` with the I/O library of your choice):
//! ```
//! use anyio::process::open_process;
//! use anyio::streams::{BufferedByteReceiveStream, StreamError};
//!
//! anyio::run(async {
//!     let mut process = open_process(["sh", "-c", "for i in 1 2 3; do echo line $i; done"])
//!         .await?;
//!     let mut stdout = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
//!     let mut lines = Vec::new();
//!     loop {
//!         match stdout.receive_until(b"\n", 4096).await {
//!             Ok(line) => lines.push(String::from_utf8_lossy(&line).into_owned()),
//!             // The output ended (a last line without a newline would stay in the buffer).
//!             Err(StreamError::IncompleteRead) => break,
//!             Err(error) => return Err(error.into()),
//!         }
//!     }
//!     assert_eq!(lines, ["line 1", "line 2", "line 3"]);
//!     assert!(process.wait().await?.success());
//!     Ok::<_, std::io::Error>(())
//! })??;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Stopping a process
//!
//! [`Process::terminate`] asks politely (`SIGTERM`), [`Process::kill`] does not (`SIGKILL`),
//! [`Process::send_signal`] sends any signal; [`Process::wait`] then tells how it ended, as
//! an [`ExitStatus`] that prints as `exit code 3` or `killed by signal 15 (SIGTERM)`. A
//! cancelled [`run_process`] or [`Process::aclose`] kills its child and waits for it (shielded)
//! before the cancellation goes through, so a timeout is all it takes to bound a child's
//! running time:
//! ```
//! use std::time::Duration;
//!
//! anyio::run(async {
//!     let mut process = anyio::process::open_process(["sleep", "30"]).await?;
//!     process.terminate()?;
//!     println!("sleep ended: {}", process.wait().await?);
//!
//!     let slow = anyio::move_on_after(
//!         Duration::from_millis(10),
//!         anyio::process::run_process(["sleep", "30"]),
//!     )
//!     .await;
//!     assert!(slow.is_none()); // and `sleep` is gone
//!     Ok::<_, std::io::Error>(())
//! })??;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # No orphans, no zombies
//!
//! A child never outlives the [`Process`] that owns it unless you ask it to: dropping a
//! `Process` whose child still runs kills the child and reaps it in the background. A daemon
//! that should keep running is started with [`Command::kill_on_drop`]`(false)`, or let go of
//! with [`Process::detach`]; a small thread of its own then waits for it, so that it does not
//! linger as a zombie when it exits.
//!
//! Killing a process does not kill *its* children. Start a child that has children of its own
//! (a shell running a pipeline, a build tool) as the leader of a
//! [process group of its own](Command::process_group) (or a
//! [new session](Command::start_new_session)): anyio's own kills, on a drop or a
//! cancellation, then go to the whole group, so its children do not outlive it either; and
//! you can signal the group yourself (`kill(-pid, sig)`).
//!
//! # How it works
//!
//! Processes are started with std's `Command` (`posix_spawn` where it can). The pipes are made
//! non-blocking and registered with the running backend's reactor, as sockets are; the exit is
//! watched through a pidfd on Linux 5.3 and later (also registered with the reactor), or by a
//! small thread blocked in `waitid` elsewhere. No `SIGCHLD` handler is installed, so signals
//! stay the program's own, and both backends and native runners (`#[tokio::main]`,
//! `smol::block_on`) behave alike. Every descriptor anyio opens is close-on-exec: of anyio's,
//! a child inherits only its standard streams and the descriptors given to
//! [`Command::pass_fd`] (descriptors that other code opened without close-on-exec are not
//! closed for it).
//!
//! Rust programs ignore `SIGPIPE`, so writing to a child that closed its input is an error
//! ([`StreamError::Broken`](crate::streams::StreamError::Broken)), not the end of this
//! process; programs that restore `SIGPIPE`'s default must ignore it again to use stdin pipes.

mod child;
mod command;
mod communicate;
mod error;
mod exit_watch;
mod join;
mod kill_on_cancel;
mod pipe;
#[allow(clippy::module_inception)] // the module of the `Process` type, as `fs::file` is
mod process;
mod run;
mod spawn;
mod status;

pub use command::{Command, Stdio};
pub use error::{CalledProcessError, ProcessError, SpawnError};
pub use pipe::{ProcessStderr, ProcessStdin, ProcessStdout};
pub use process::{Process, open_process};
pub use run::{CompletedProcess, run_process};
pub use status::ExitStatus;
