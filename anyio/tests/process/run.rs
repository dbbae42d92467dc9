//! `anyio::process::run_process`: input, captured output, `check` and
//! `CalledProcessError`, environment and working directory, redirections, invalid commands,
//! and pipes drained at the same time (AnyIO's `test_subprocesses.py`, ported, and more).

use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::process::{Command, ProcessError, SpawnError, Stdio, run_process};

/// A fresh directory for one test, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "anyio-process-{}-{name}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

#[anyio::test]
async fn input_is_written_then_stdin_closes() {
    // As a program and its arguments, and as a shell command line (AnyIO's two cases).
    for command in [Command::from(["cat"]), Command::shell("cat")] {
        let mut command = command;
        command.input("abc");
        let done = run_process(command).await.unwrap();
        assert!(done.status.success());
        assert_eq!(done.stdout, b"abc");
        assert!(done.stderr.is_empty());
    }
}

#[anyio::test]
async fn arguments_never_go_through_a_shell() {
    let done = run_process(["printf", "%s|", "$HOME", "a b", "*", ";", "'"])
        .await
        .unwrap();
    assert_eq!(done.stdout, b"$HOME|a b|*|;|'|");
    assert_eq!(done.args, ["printf", "%s|", "$HOME", "a b", "*", ";", "'"]);
    // Every shape of a list of strings is a command.
    let argv = ["echo", "x"];
    for command in [
        Command::from(argv),
        Command::from(&argv),
        Command::from(&argv[..]),
        Command::from(vec!["echo".to_owned(), "x".to_owned()]),
    ] {
        assert_eq!(run_process(command).await.unwrap().stdout, b"x\n");
    }
}

#[anyio::test]
async fn a_failure_carries_status_command_and_output() {
    let error = run_process(["sh", "-c", "echo stdout-text; echo stderr-text >&2; exit 1"])
        .await
        .unwrap_err();
    assert_eq!(error.status().unwrap().code(), Some(1));
    let ProcessError::Failed(failed) = error else {
        panic!("not a failure: {error}")
    };
    assert_eq!(failed.status().code(), Some(1));
    assert_eq!(failed.stdout(), b"stdout-text\n");
    assert_eq!(failed.stderr(), b"stderr-text\n");
    assert_eq!(
        failed.args(),
        ["sh", "-c", "echo stdout-text; echo stderr-text >&2; exit 1"]
    );
    assert_eq!(
        failed.to_string(),
        "`sh -c 'echo stdout-text; echo stderr-text >&2; exit 1'` failed: exit code 1"
    );
    // It is a std error, sendable, and an io::Error when need be.
    let boxed: Box<dyn std::error::Error + Send + Sync + 'static> = Box::new(failed);
    let io = std::io::Error::other(boxed);
    assert!(io.to_string().contains("exit code 1"));
}

#[anyio::test]
async fn a_shell_command_is_shown_as_written() {
    let error = run_process(Command::shell("exit 4")).await.unwrap_err();
    assert_eq!(error.to_string(), "`exit 4` failed: exit code 4");
}

#[anyio::test]
async fn check_off_returns_the_status() {
    let done = run_process(Command::new("false").check(false))
        .await
        .unwrap();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.clone().check().is_err());
    let killed = run_process(Command::shell("kill -9 $$").check(false))
        .await
        .unwrap();
    assert_eq!(killed.status.signal(), Some(libc::SIGKILL));
    assert_eq!(killed.status.to_string(), "killed by signal 9 (SIGKILL)");
}

#[anyio::test]
async fn input_and_a_stdin_setting_are_a_clear_error() {
    let mut command = Command::new("cat");
    command.input("x").stdin(Stdio::null());
    let ProcessError::Io(error) = run_process(&command).await.unwrap_err() else {
        panic!("not an I/O error")
    };
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("input"), "{error}");
    assert!(error.to_string().contains("stdin"), "{error}");

    // open_process leaves the writing to its caller.
    let error = anyio::process::open_process(Command::new("cat").input("x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("run_process"), "{error}");
}

#[anyio::test]
async fn invalid_commands_are_refused() {
    let empty: [&str; 0] = [];
    let ProcessError::Io(error) = run_process(empty).await.unwrap_err() else {
        panic!("not an I/O error")
    };
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("empty"), "{error}");

    let mut both = Command::new("true");
    both.start_new_session(true).process_group(0);
    let ProcessError::Io(error) = run_process(both).await.unwrap_err() else {
        panic!("not an I/O error")
    };
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[anyio::test]
async fn a_missing_program_is_an_error_naming_it() {
    let ProcessError::Io(error) = run_process(["anyio-no-such-program", "--flag"])
        .await
        .unwrap_err()
    else {
        panic!("not an I/O error")
    };
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(
        error.to_string().contains("anyio-no-such-program"),
        "{error}"
    );
    let spawn = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<SpawnError>())
        .expect("a SpawnError inside");
    assert_eq!(spawn.program(), "anyio-no-such-program");

    // A missing directory reads the same to the system; the message names both.
    let ProcessError::Io(error) = run_process(Command::new("true").current_dir("/no/such/dir"))
        .await
        .unwrap_err()
    else {
        panic!("not an I/O error")
    };
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(error.to_string().contains("/no/such/dir"), "{error}");
}

#[anyio::test]
async fn environment_is_added_removed_and_cleared() {
    assert!(std::env::var_os("PATH").is_some(), "the tests need a PATH");
    let mut command = Command::shell("echo \"$FOO|$BAR|${PATH:+path}\"");
    command
        .env("FOO", "bar")
        .env("BAR", "baz")
        .env_remove("BAR");
    assert_eq!(run_process(&command).await.unwrap().stdout, b"bar||path\n");

    let mut cleared = Command::new("/bin/sh");
    cleared
        .args(["-c", "echo \"$ONLY|${LOST-unset}\""])
        .env("LOST", "1")
        .env_clear()
        .env("ONLY", "kept");
    let done = run_process(&cleared).await.unwrap();
    assert_eq!(done.stdout, b"kept|unset\n");
}

#[anyio::test]
async fn the_working_directory_is_set() {
    let scratch = Scratch::new("cwd");
    let dir = std::fs::canonicalize(&scratch.0).unwrap();
    let done = run_process(Command::shell("pwd -P").current_dir(&dir))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(done.stdout).unwrap().trim_end(),
        dir.to_str().unwrap()
    );
}

#[anyio::test]
async fn streams_connect_to_files() {
    let scratch = Scratch::new("files");
    let (input, out, err) = (
        scratch.0.join("stdin"),
        scratch.0.join("stdout"),
        scratch.0.join("stderr"),
    );
    std::fs::write(&input, "Hello, process!\n").unwrap();
    let mut command = Command::shell(
        "read line; echo \"stdin says $line but stderr says NO\" >&2; \
         echo \"stdin says $line and stdout says YES\"",
    );
    command
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::from(OwnedFd::from(
            std::fs::File::create(&err).unwrap(),
        )));
    let done = run_process(&command).await.unwrap();
    assert!(done.stdout.is_empty() && done.stderr.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "stdin says Hello, process! and stdout says YES\n"
    );
    assert_eq!(
        std::fs::read_to_string(&err).unwrap(),
        "stdin says Hello, process! but stderr says NO\n"
    );
    // The command can run again: each spawn gets its own copies of the descriptors.
    let again = run_process(&command).await.unwrap();
    assert!(again.status.success());
}

#[anyio::test]
async fn discarded_and_inherited_streams_are_not_captured() {
    let mut command = Command::shell("echo out; echo err >&2");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let done = run_process(&command).await.unwrap();
    assert!(done.stdout.is_empty() && done.stderr.is_empty());

    // Inherited stdin: this test's own, which the harness gives it; `true` does not read it.
    let done = run_process(Command::new("true").stdin(Stdio::inherit()))
        .await
        .unwrap();
    assert!(done.status.success());
}

#[anyio::test]
async fn stdin_is_empty_by_default() {
    // `cat` would wait for ever on an inherited terminal; /dev/null ends at once.
    let done = run_process(["cat"]).await.unwrap();
    assert!(done.stdout.is_empty());
    // A pipe with nothing to write is closed at once too.
    let done = run_process(Command::new("cat").stdin(Stdio::piped()))
        .await
        .unwrap();
    assert!(done.stdout.is_empty());
}

#[anyio::test]
async fn megabytes_on_both_pipes_do_not_deadlock() {
    // 2 MiB to stderr before a byte to stdout, then 2 MiB to stdout, while 2 MiB of input are
    // still being written: each pipe holds 64 KiB, so only concurrent draining gets through.
    let size = 2 * 1024 * 1024;
    let input: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let mut command = Command::shell(format!(
        "head -c {size} /dev/zero >&2; cat; head -c {size} /dev/zero >&2"
    ));
    command.input(&input);
    let done = run_process(&command).await.unwrap();
    assert_eq!(done.stdout, input);
    assert_eq!(done.stderr.len(), 2 * size);
    assert!(done.stderr.iter().all(|&b| b == 0));
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn megabytes_on_both_pipes_on_two_threads() {
    let size = 3 * 1024 * 1024 / 2;
    let command = Command::shell(format!(
        "head -c {size} /dev/zero >&2; head -c {size} /dev/zero"
    ));
    let done = run_process(&command).await.unwrap();
    assert_eq!((done.stdout.len(), done.stderr.len()), (size, size));
}

#[anyio::test]
async fn a_child_that_stops_reading_its_input_is_not_an_error() {
    // `head` reads a little and exits; the rest of the input meets a closed pipe (EPIPE),
    // which is the child's business, as in Python's `communicate`.
    let input = vec![b'x'; 4 * 1024 * 1024];
    let done = run_process(Command::new("head").args(["-c", "3"]).input(&input))
        .await
        .unwrap();
    assert_eq!(done.stdout, b"xxx");
}

#[anyio::test]
async fn the_umask_applies_to_the_child() {
    let done = run_process(Command::shell("umask").umask(0o027))
        .await
        .unwrap();
    assert_eq!(done.stdout, b"0027\n");
}

#[anyio::test]
async fn a_pre_exec_hook_runs_and_its_error_stops_the_spawn() {
    let mut command = Command::new("true");
    // SAFETY: the hook makes no call at all, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EACCES)));
    }
    let ProcessError::Io(error) = run_process(&command).await.unwrap_err() else {
        panic!("not an I/O error")
    };
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
}
