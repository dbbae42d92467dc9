//! The life and death of child processes: cancellation kills and reaps,
//! dropping kills and reaps, daemons are let go of but still reaped, `wait` watches the child
//! and not its pipes, no zombies are left, children inherit no stray descriptors, and native
//! runners work as `anyio::run` does.

use std::convert::Infallible;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::process::{Command, Stdio, open_process, run_process};
use anyio::streams::{BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, StreamError};
use anyio::{Backend, CancelScope, Runner};

use crate::support::{
    GroupGuard, Identity, KillGuard, LineReceiver, identity, inheritable_fds, is_gone, open_fds,
    state,
};

/// A runner of each backend compiled in (smol with two threads).
fn runners() -> Vec<Runner> {
    Backend::available()
        .map(|backend| match backend {
            Backend::Smol => Runner::new(backend).threads(2),
            _ => Runner::new(backend),
        })
        .collect()
}

#[anyio::test]
async fn a_cancelled_run_process_kills_and_reaps_its_child() {
    let (lines, writer) = LineReceiver::new();
    let mut command = Command::shell("echo $$; exec sleep 30");
    command.stdout(Stdio::from(writer));
    let scope = CancelScope::new();
    let handle = scope.handle();
    let child: Arc<Mutex<Option<Identity>>> = Arc::default();
    let seen = Arc::clone(&child);
    let outcome = anyio::task_group(|tg| async move {
        tg.spawn(async move {
            // The child is running once it has said its pid.
            let pid = lines.next().await.unwrap().parse().unwrap();
            *seen.lock().unwrap() = identity(pid);
            handle.cancel();
        });
        Ok::<_, Infallible>(scope.run(run_process(command)).await)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(outcome.is_none(), "the scope was cancelled: {outcome:?}");
    let child = child.lock().unwrap().expect("the child said its pid");
    // Killed and reaped before the scope completed: not even a zombie is left.
    assert!(
        is_gone(child),
        "the child is still there: {:?}",
        state(child)
    );
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_timed_out_run_process_leaves_nothing_on_two_threads() {
    let (lines, writer) = LineReceiver::new();
    let mut command = Command::shell("echo $$; exec sleep 30");
    command.stdout(Stdio::from(writer));
    let pid = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&pid);
    let outcome = anyio::move_on_after(Duration::from_secs(30), async move {
        let started = anyio::task_group(|tg| async move {
            tg.spawn(async move {
                let pid = lines.next().await.unwrap().parse().unwrap();
                *seen.lock().unwrap() = identity(pid);
                // Cancels the group, and with it the run_process beside this task.
                Err::<(), _>("enough")
            });
            run_process(command).await.unwrap();
            Ok(())
        })
        .await;
        assert_eq!(started.unwrap_err().errors(), ["enough"]);
    })
    .await;
    assert!(
        outcome.is_some(),
        "the group ended the child long before the timeout"
    );
    let child = pid.lock().unwrap().expect("the child said its pid");
    assert!(
        is_gone(child),
        "the child is still there: {:?}",
        state(child)
    );
}

/// Waits, with a deadline, until `done`: for the death of a grandchild, which nobody here
/// waits for (it is its parent's to reap, or init's).
async fn eventually_async(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 10 s"
        );
        anyio::sleep(Duration::from_millis(1)).await;
    }
}

#[anyio::test]
async fn a_killed_group_leader_takes_its_group_along() {
    // Cancelled, then dropped: both kill the whole group the child leads.
    for cancel in [true, false] {
        let (lines, writer) = LineReceiver::new();
        let mut command = Command::shell("sleep 30 & echo $!; wait");
        command.stdout(Stdio::from(writer)).process_group(0);
        let grandchild = if cancel {
            let scope = CancelScope::new();
            let handle = scope.handle();
            let grandchild = Arc::new(Mutex::new(None));
            let seen = Arc::clone(&grandchild);
            anyio::task_group(|tg| async move {
                tg.spawn(async move {
                    let pid = lines.next().await.unwrap().parse().unwrap();
                    *seen.lock().unwrap() = identity(pid);
                    handle.cancel();
                });
                assert!(scope.run(run_process(command)).await.is_none());
                Ok::<_, Infallible>(())
            })
            .await
            .unwrap();
            grandchild.lock().unwrap().unwrap()
        } else {
            let process = open_process(command).await.unwrap();
            let grandchild = identity(lines.next().await.unwrap().parse().unwrap()).unwrap();
            drop(process);
            grandchild
        };
        let _guard = KillGuard(grandchild);
        // The signal went to the group at once; the grandchild's death follows on its own.
        eventually_async("the grandchild's death", || {
            state(grandchild).is_none_or(|state| state == 'Z')
        })
        .await;
    }
}

#[anyio::test]
async fn a_group_is_killed_even_after_its_leader_exited() {
    // The leader exits at once; its child, in its group, holds the captured pipes open. A
    // cancelled run_process (or wait_with_output), or a drop, must still kill the group.
    for way in ["run_process", "wait_with_output", "drop"] {
        let (lines, writer) = LineReceiver::new();
        let fd = writer.as_raw_fd();
        // Through /dev/fd: `sh` may only redirect to descriptors below 10.
        let mut command = Command::shell(format!("sleep 30 & echo $$ $! >/dev/fd/{fd}"));
        command.pass_fd(writer).process_group(0);
        // The leader (`None` if it is gone already), and the grandchild.
        let said = |line: String| -> (Option<Identity>, Identity) {
            let mut pids = line.split(' ').map(|pid| identity(pid.parse().unwrap()));
            (pids.next().unwrap(), pids.next().unwrap().unwrap())
        };
        let leader_exited = |leader: Option<Identity>| {
            leader.is_none_or(|leader| state(leader).is_none_or(|state| state == 'Z'))
        };
        // Kills the grandchild at the end, pass or fail.
        let guard = if way == "drop" {
            let process = open_process(command).await.unwrap();
            let (leader, grandchild) = said(lines.next().await.unwrap());
            let guard = KillGuard(grandchild);
            eventually_async("the leader's exit", || leader_exited(leader)).await;
            drop(process);
            guard
        } else {
            let scope = CancelScope::new();
            let handle = scope.handle();
            let grandchild = Arc::new(Mutex::new(None));
            let seen = Arc::clone(&grandchild);
            anyio::task_group(|tg| async move {
                tg.spawn(async move {
                    let (leader, grandchild) = said(lines.next().await.unwrap());
                    *seen.lock().unwrap() = Some(KillGuard(grandchild));
                    eventually_async("the leader's exit", || leader_exited(leader)).await;
                    handle.cancel();
                });
                let cancelled = if way == "run_process" {
                    scope.run(run_process(command)).await.is_none()
                } else {
                    let process = open_process(command).await.unwrap();
                    scope.run(process.wait_with_output()).await.is_none()
                };
                assert!(cancelled, "{way} was not cancelled");
                Ok::<_, Infallible>(())
            })
            .await
            .unwrap();
            grandchild.lock().unwrap().take().unwrap()
        };
        let grandchild = guard.0;
        eventually_async(&format!("the grandchild's death ({way})"), || {
            state(grandchild).is_none_or(|state| state == 'Z')
        })
        .await;
    }
}

#[anyio::test]
async fn a_group_leader_that_left_its_group_is_killed_too() {
    // The child moves itself with perl's `setpgrp` (no shell has a builtin for it).
    if run_process(["perl", "-e", "1"]).await.is_err() {
        eprintln!("skipped: no perl to run");
        return;
    }
    // SAFETY: `getpgid(0)` only reads this process's group.
    let our_group = unsafe { libc::getpgid(0) };
    let (lines, writer) = LineReceiver::new();
    let fd = writer.as_raw_fd();
    // The child leads a group, leaves its grandchild there, and moves to this process's group.
    let mut command = Command::shell(format!(
        "sleep 30 & echo $$ $! >/dev/fd/{fd}; \
         exec perl -e 'setpgrp(0, {our_group}) or die $!; sleep 300'"
    ));
    command.pass_fd(writer).process_group(0);
    let scope = CancelScope::new();
    let handle = scope.handle();
    let guards = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&guards);
    // Ends the child if the cancellation's reap hangs on it (the bug): the test then fails.
    let (done, watched) = std::sync::mpsc::channel::<()>();
    let rescued = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rescuer = {
        let (guards, rescued) = (Arc::clone(&guards), Arc::clone(&rescued));
        std::thread::spawn(move || {
            let waited = watched.recv_timeout(Duration::from_secs(10));
            if waited == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                let guards = guards.lock().unwrap();
                let (leader, _): &(KillGuard, KillGuard) = guards.as_ref().unwrap();
                rescued.store(true, std::sync::atomic::Ordering::SeqCst);
                // SAFETY: `kill` only sends a signal, to the child: unreaped, as its reap hangs.
                unsafe { libc::kill(leader.0.pid as libc::pid_t, libc::SIGKILL) };
            }
        })
    };
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            let line = lines.next().await.unwrap();
            let mut pids = line.split(' ').map(|pid| pid.parse::<u32>().unwrap());
            let (leader, grandchild) = (pids.next().unwrap(), pids.next().unwrap());
            let ids = (identity(leader).unwrap(), identity(grandchild).unwrap());
            *seen.lock().unwrap() = Some((KillGuard(ids.0), KillGuard(ids.1)));
            eventually_async("the child's move", || {
                crate::support::group(leader) == Some(our_group)
            })
            .await;
            handle.cancel();
        });
        assert!(scope.run(run_process(command)).await.is_none());
        Ok::<_, Infallible>(())
    })
    .await
    .unwrap();
    drop(done);
    rescuer.join().unwrap();
    let (leader, grandchild) = guards.lock().unwrap().take().unwrap();
    assert!(
        !rescued.load(std::sync::atomic::Ordering::SeqCst),
        "the cancelled run_process waited for a child that was not killed"
    );
    assert!(is_gone(leader.0), "the child is still there");
    eventually_async("the grandchild's death", || {
        state(grandchild.0).is_none_or(|state| state == 'Z')
    })
    .await;
}

#[anyio::test]
async fn a_scope_cancelled_before_the_spawn_starts_nothing() {
    let marker = std::env::temp_dir().join(format!(
        "anyio-process-not-started-{}-{}",
        std::process::id(),
        anyio::current_async_library().unwrap()
    ));
    let scope = CancelScope::new();
    scope.handle().cancel();
    let command = Command::shell(format!("echo > '{}'", marker.display()));
    assert!(scope.run(run_process(&command)).await.is_none());
    let scope = CancelScope::new();
    scope.handle().cancel();
    assert!(scope.run(open_process(&command)).await.is_none());
    assert!(!marker.exists(), "a process ran");
}

/// AnyIO's regression tests for its issue 669: a cancelled `aclose` leaves no orphan, and
/// closes the standard streams.
#[anyio::test]
async fn a_cancelled_aclose_kills_reaps_and_closes_the_streams() {
    let mut process = open_process(["sleep", "30"]).await.unwrap();
    let child = identity(process.pid()).unwrap();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let closed = scope
        .run(async {
            handle.cancel();
            process.aclose().await
        })
        .await;
    assert!(closed.is_none());
    assert_eq!(process.returncode().unwrap().signal(), Some(libc::SIGKILL));
    assert!(
        is_gone(child),
        "the child is still there: {:?}",
        state(child)
    );

    let mut buf = [0; 1];
    assert!(matches!(
        process.stdin.as_mut().unwrap().send(b"foo").await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        process.stdout.as_mut().unwrap().receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        process.stderr.as_mut().unwrap().receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
}

#[anyio::test]
async fn an_aclose_that_times_out_while_waiting_kills_the_child() {
    let mut process = open_process(["sleep", "30"]).await.unwrap();
    let child = identity(process.pid()).unwrap();
    let closed = anyio::move_on_after(Duration::from_millis(20), process.aclose()).await;
    assert!(closed.is_none());
    assert_eq!(process.returncode().unwrap().signal(), Some(libc::SIGKILL));
    assert!(is_gone(child));
}

#[anyio::test]
async fn wait_returns_while_a_grandchild_holds_the_pipes() {
    let mut process = open_process(Command::shell("sleep 30 & echo started").process_group(0))
        .await
        .unwrap();
    // The grandchild belongs to the child's group: killed at the end, pass or fail.
    let _grandchild = GroupGuard(process.pid());
    assert!(process.wait().await.unwrap().success());
    let mut stdout = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
    assert_eq!(stdout.receive_until(b"\n", 64).await.unwrap(), b"started");
    // The pipe has not ended: the grandchild still holds it.
    let mut buf = [0; 1];
    let more = anyio::move_on_after(Duration::from_millis(20), stdout.receive(&mut buf)).await;
    assert!(more.is_none(), "the output ended: {more:?}");
}

#[test]
fn dropping_a_running_process_kills_and_reaps_it() {
    for runner in runners() {
        let child = runner
            .run(async {
                let process = open_process(["sleep", "30"]).await.unwrap();
                let child = identity(process.pid()).unwrap();
                // Dropped on the event loop: killed now, reaped on a worker thread.
                drop(process);
                child
            })
            .unwrap();
        // The runtime waited for its worker threads when it shut down.
        assert!(
            is_gone(child),
            "the child is still there: {:?}",
            state(child)
        );
    }
    for runner in runners() {
        let process = runner
            .run(async { open_process(["sleep", "30"]).await.unwrap() })
            .unwrap();
        let child = identity(process.pid()).unwrap();
        // Dropped off any event loop: killed and reaped before `drop` returns.
        drop(process);
        assert!(
            is_gone(child),
            "the child is still there: {:?}",
            state(child)
        );
    }
}

/// Waits, with a deadline, for what only another thread's timing decides: the reaping of a
/// detached child by its own thread, which nothing here can wait on.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 10 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_detached_process_runs_on_and_is_reaped_when_it_ends() {
    for detach in [false, true] {
        for runner in runners() {
            let child = runner
                .run(async move {
                    let mut command = Command::new("sleep");
                    // Either way: `kill_on_drop(false)` then a drop, or the default and
                    // `detach`.
                    command.arg("30").kill_on_drop(detach);
                    let process = open_process(command).await.unwrap();
                    let child = identity(process.pid()).unwrap();
                    if detach {
                        process.detach();
                    } else {
                        drop(process);
                    }
                    child
                })
                .unwrap();
            let guard = KillGuard(child);
            assert_eq!(
                state(child).map(|s| s != 'Z'),
                Some(true),
                "it runs on (detach: {detach}, {child:?}, {:?})",
                std::fs::read_to_string(format!("/proc/{}/stat", child.pid))
            );
            drop(guard); // kills it
            eventually("the detached child's reaping", || is_gone(child));
        }
    }
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_hundred_concurrent_processes_leave_no_zombie() {
    let pids = Arc::new(Mutex::new(Vec::new()));
    let gathered = Arc::clone(&pids);
    anyio::task_group(|tg| async move {
        for _ in 0..100 {
            let gathered = Arc::clone(&gathered);
            tg.spawn(async move {
                let done = run_process(["sh", "-c", "echo $$"]).await.unwrap();
                let pid: u32 = String::from_utf8(done.stdout)
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                gathered.lock().unwrap().push(pid);
            });
        }
    })
    .await
    .unwrap();
    let pids = pids.lock().unwrap();
    assert_eq!(pids.len(), 100);
    let ours = std::process::id();
    for &pid in pids.iter() {
        // Reaped: gone, or the pid already reused by a process that is not our zombie.
        if let Some(child) = identity(pid) {
            let zombie_of_ours =
                crate::support::parent(pid) == Some(ours) && state(child) == Some('Z');
            assert!(!zombie_of_ours, "process {pid} is a zombie");
        }
    }
}

#[anyio::test]
async fn children_inherit_only_their_standard_streams_and_passed_descriptors() {
    // anyio descriptors of all kinds are open meanwhile: another child's pipes and pidfd, a
    // socket, the reactor's own.
    let other = open_process(["sleep", "30"]).await.unwrap();
    let (_socket, _peer) = anyio::net::UnixStream::pair().unwrap();

    // What this test process itself inherited without close-on-exec (from the harness, a
    // shell) every child inherits too; it is none of anyio's doing.
    let inherited: Vec<i32> = inheritable_fds().into_iter().map(|(fd, _)| fd).collect();
    let expect = |extra: &[i32]| {
        let mut fds = vec![0, 1, 2];
        fds.extend(inherited.iter().chain(extra).filter(|&&fd| fd > 2));
        fds.sort_unstable();
        fds
    };

    // The kernel closes an exec'd program's close-on-exec descriptors after it lets the
    // parent's spawn return, and a starting program opens files of its own (its libraries):
    // look once the shell has said it is ready and waits, reading its input.
    let mut child = open_process(Command::shell("echo ready; read line"))
        .await
        .unwrap();
    ready(&mut child).await;
    assert_eq!(open_fds(child.pid()), expect(&[]));

    let (reader, _writer) = crate::support::pipe();
    let passed = reader.as_raw_fd();
    let mut command = Command::shell("echo ready; read line");
    command.pass_fd(OwnedFd::from(reader));
    let mut with_passed = open_process(command).await.unwrap();
    ready(&mut with_passed).await;
    assert_eq!(open_fds(with_passed.pid()), expect(&[passed]));

    for process in [other, child, with_passed] {
        process.kill().unwrap();
        process.wait().await.unwrap();
    }
}

/// Waits for the child to say `ready` on its standard output.
async fn ready(process: &mut anyio::process::Process) {
    let mut line = [0; 6];
    let mut read = 0;
    while read < line.len() {
        read += process
            .stdout
            .as_mut()
            .unwrap()
            .receive(&mut line[read..])
            .await
            .unwrap();
    }
    assert_eq!(&line, b"ready\n");
}

#[test]
fn native_runners_work_as_anyio_run_does() {
    async fn exercise() {
        let done = run_process(Command::new("cat").input("native"))
            .await
            .unwrap();
        assert_eq!(done.stdout, b"native");
        let process = open_process(["sleep", "30"]).await.unwrap();
        process.kill().unwrap();
        assert_eq!(process.wait().await.unwrap().signal(), Some(libc::SIGKILL));
        let slow = anyio::move_on_after(Duration::from_millis(10), run_process(["sleep", "30"]));
        assert!(slow.await.is_none());
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(exercise());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(exercise());
    // smol's native runners are anyio's only with the smol backend compiled in.
    #[cfg(feature = "smol")]
    {
        async_io::block_on(exercise());
        let executor = async_executor::Executor::new();
        async_io::block_on(executor.run(executor.spawn(exercise())));
    }
}
