//! [`Child`]: the handle on a running child that waits for it, signals it, and, when dropped
//! while it runs, kills it and reaps it in the background, so that it is neither orphaned nor
//! left a zombie.
//!
//! Every reap (`waitpid`) of the child goes through the lock around std's `Child`, and so does
//! every signal, after a non-blocking reap (or a look that does not reap, `waitid` with
//! `WNOWAIT`): a signal is only sent to a child not reaped yet, whose pid (a zombie's at worst)
//! cannot have been reused for another process. The same holds for the id of the process group
//! a child leads, which is its pid.
//!
//! When anyio kills a child on its own account (a drop, a cancellation) and the child leads a
//! process group of its own, the whole group is killed, and the child itself: the child's own
//! children, which stayed in its group, do not outlive it either, even when the child itself
//! has exited (as long as it is not reaped: `run_process` reaps it only once its pipes end).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::ExitStatus;
use super::exit_watch::ExitWatch;
use crate::backend::wait_point::WaitPoint;
use crate::backend::{self, BlockingWork, Direction, Leftover};
use crate::cancel::gate::gated_io;

/// A started child process.
#[derive(Debug)]
pub(super) struct Child {
    pid: u32,
    /// `None` only while being dropped.
    process: Mutex<Option<std::process::Child>>,
    /// Set, under the lock, once std's `Child` has reaped the child: until then its pid (a
    /// zombie's at worst) still names it, and the group it leads.
    reaped: AtomicBool,
    watch: ExitWatch,
    kill_on_drop: bool,
    /// Whether the child was started as the leader of a process group of its own.
    leads_group: bool,
}

impl Child {
    pub(super) fn new(
        process: std::process::Child,
        kill_on_drop: bool,
        leads_group: bool,
    ) -> Child {
        let pid = process.id();
        Child {
            pid,
            process: Mutex::new(Some(process)),
            reaped: AtomicBool::new(false),
            watch: ExitWatch::new(pid),
            kill_on_drop,
            leads_group,
        }
    }

    /// A child waited for by a thread, as where the system has no pidfds.
    #[cfg(test)]
    pub(super) fn with_thread_watch(process: std::process::Child) -> Child {
        let pid = process.id();
        Child {
            pid,
            process: Mutex::new(Some(process)),
            reaped: AtomicBool::new(false),
            watch: ExitWatch::thread(pid),
            kill_on_drop: true,
            leads_group: false,
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.pid
    }

    pub(super) fn set_kill_on_drop(&mut self, kill_on_drop: bool) {
        self.kill_on_drop = kill_on_drop;
    }

    fn lock(&self) -> MutexGuard<'_, Option<std::process::Child>> {
        // Nothing panics while holding the lock; a poisoned lock holds a sound value anyway.
        self.process.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The exit status if the child has exited, reaping it then (a non-blocking `waitpid`).
    pub(super) fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        let mut process = self.lock();
        let process = process.as_mut().ok_or_else(released)?;
        self.reap(process)
    }

    /// std's `try_wait` on `process` (this child, under the lock), noting a reap.
    fn reap(&self, process: &mut std::process::Child) -> io::Result<Option<ExitStatus>> {
        // std keeps the status once it has it, so this can be asked again and again.
        let status = process.try_wait()?.map(ExitStatus::from);
        if status.is_some() {
            self.reaped.store(true, Ordering::Relaxed);
        }
        Ok(status)
    }

    /// Whether the child has exited, without reaping it: a zombie keeps its pid, and the id
    /// of the group it leads, from being reused, so that its group can still be killed.
    fn has_exited(&self) -> io::Result<bool> {
        let _process = self.lock();
        if self.reaped.load(Ordering::Relaxed) {
            return Ok(true);
        }
        // Reaped by something else in the program (`None`): the reap says what became of it.
        Ok(peek_exit(self.pid)?.unwrap_or(true))
    }

    /// Waits for the child to exit, without reaping it (see [`has_exited`](Self::has_exited)):
    /// for operations that go on after the exit (reading the pipes that a grandchild in the
    /// child's group holds), and may still have to kill that group when cancelled.
    pub(super) async fn exited(&self) -> io::Result<()> {
        gated_io(WaitPoint::Process, async {
            // A virtual clock stands still while a process runs (see `anyio::testing`).
            let _clock = crate::backend::instruments::hold();
            if self.has_exited()? {
                return Ok(());
            }
            match &self.watch {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                ExitWatch::Pidfd(pidfd) => {
                    pidfd
                        .io_shared(Direction::Read, |_| {
                            if self.has_exited()? {
                                Ok(())
                            } else {
                                Err(io::ErrorKind::WouldBlock.into())
                            }
                        })
                        .await
                }
                ExitWatch::Thread(watch) => watch.exited().await,
            }
        })
        .await
    }

    /// Waits for the child to exit, and reaps it.
    pub(super) async fn wait(&self) -> io::Result<ExitStatus> {
        gated_io(WaitPoint::Process, async {
            let _clock = crate::backend::instruments::hold();
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            match &self.watch {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                ExitWatch::Pidfd(pidfd) => {
                    pidfd
                        .io_shared(Direction::Read, |_| {
                            self.try_wait()?
                                .ok_or_else(|| io::ErrorKind::WouldBlock.into())
                        })
                        .await
                }
                ExitWatch::Thread(watch) => loop {
                    watch.exited().await?;
                    if let Some(status) = self.try_wait()? {
                        return Ok(status);
                    }
                },
            }
        })
        .await
    }

    /// Sends `signal` to the child, unless it has exited already (then there is nobody to
    /// send it to, and nothing happens).
    pub(super) fn send_signal(&self, signal: i32) -> io::Result<()> {
        let mut process = self.lock();
        let process = process.as_mut().ok_or_else(released)?;
        if self.reap(process)?.is_some() {
            return Ok(());
        }
        signal_unreaped(process, signal, false)
    }

    /// Kills the child on anyio's own account (a cancellation), with its group if it leads
    /// one, even if the child itself has exited but is not reaped yet (its group may live on:
    /// a grandchild holding the pipes); nothing if it has been reaped.
    pub(super) fn kill_all(&self) -> io::Result<()> {
        let mut process = self.lock();
        let process = process.as_mut().ok_or_else(released)?;
        if self.leads_group
            && !self.reaped.load(Ordering::Relaxed)
            && matches!(peek_exit(self.pid), Ok(Some(_)))
        {
            // Running or a zombie: signalling a zombie is harmless, and its pid is not reused
            // meanwhile.
            return signal_unreaped(process, libc::SIGKILL, true);
        }
        if self.reap(process)?.is_some() {
            return Ok(());
        }
        signal_unreaped(process, libc::SIGKILL, self.leads_group)
    }
}

/// Whether the child `pid`, not reaped through std's `Child` (so that the pid names it, unless
/// something else reaped it), has exited, without reaping it (`waitid` with `WNOWAIT`); `None`
/// when it is no child of this process to wait for any more (`ECHILD`: reaped elsewhere, as
/// with `SIGCHLD` ignored, so that its pid may name another process by now).
fn peek_exit(pid: u32) -> io::Result<Option<bool>> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let options = rustix::process::WaitIdOptions::EXITED
        | rustix::process::WaitIdOptions::NOHANG
        | rustix::process::WaitIdOptions::NOWAIT;
    match super::pipe::retry_interrupted(|| {
        rustix::process::waitid(rustix::process::WaitId::Pid(pid), options)
    }) {
        Ok(exited) => Ok(Some(exited.is_some())),
        Err(error) if error.raw_os_error() == Some(libc::ECHILD) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Sends `signal` to `process`, which the caller knows is not reaped (so that its pid, and the
/// id of a group it leads, still name it), and first to its whole process group when `group`
/// is set.
fn signal_unreaped(process: &std::process::Child, signal: i32, group: bool) -> io::Result<()> {
    let pid = libc::pid_t::try_from(process.id()).map_err(io::Error::other)?;
    if group {
        // SAFETY: `kill` only sends a signal; a negative pid names the group that the child
        // was started to lead, whose id is the child's pid, not reused while it is unreaped.
        // It fails if the group is empty; either way the child itself is signalled below, as
        // it may have moved to another group, leaving its children in its own.
        unsafe { libc::kill(-pid, signal) };
    }
    // SAFETY: `kill` only sends a signal, to the unreaped child that `pid` names.
    if unsafe { libc::kill(pid, signal) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn released() -> io::Error {
    io::Error::other("the process handle was released")
}

impl Drop for Child {
    fn drop(&mut self) {
        let process = self
            .process
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut process) = process else { return };
        if self.kill_on_drop
            && self.leads_group
            && !*self.reaped.get_mut()
            && matches!(peek_exit(self.pid), Ok(Some(_)))
        {
            // Running, or exited and not reaped: its pid still names its group, whose other
            // members (a grandchild holding the pipes) go too, even after the leader ended.
            if signal_unreaped(&process, libc::SIGKILL, true).is_ok() {
                reap_soon(process);
                return;
            }
        }
        match process.try_wait() {
            // Reaped now or before: nothing lingers.
            Ok(Some(_)) => return,
            // Not ours to wait for (`ECHILD`: somebody else reaped it).
            Err(_) => return,
            Ok(None) => {}
        }
        if self.kill_on_drop {
            // `SIGKILL` cannot be caught: the child is on its way out, and the wait is short.
            if signal_unreaped(&process, libc::SIGKILL, self.leads_group).is_ok() {
                reap_soon(process);
            }
        } else {
            reap_when_it_exits(process);
        }
    }
}

/// Reaps a killed child: on a worker thread when called from an event loop's thread (which
/// must not block even that long), here otherwise.
fn reap_soon(process: std::process::Child) {
    let job = Box::new(Reap(Some(process)));
    let handed_over = match backend::current() {
        Ok(active) if backend::runs_event_loop() => backend::execute_blocking(active, job),
        _ => Err(job as backend::BlockingJob),
    };
    if let Err(mut job) = handed_over {
        job.run();
    }
}

/// Reaps a child left running on purpose, whenever it exits, on a small thread of its own:
/// never a pool's, whose runtime would wait for it when shutting down.
fn reap_when_it_exits(mut process: std::process::Child) {
    let spawned = std::thread::Builder::new()
        .name(format!("anyio-reap-{}", process.id()))
        .stack_size(64 * 1024)
        .spawn(move || drop(process.wait()));
    // Without a thread, the child stays a zombie from its exit until this process exits: the
    // best that can be done.
    drop(spawned);
}

/// The reaping of a killed child, which nobody waits for.
struct Reap(Option<std::process::Child>);

impl Reap {
    fn reap(&mut self) {
        if let Some(mut process) = self.0.take() {
            // Nobody to report an error to; the only one possible is that it was reaped.
            drop(process.wait());
        }
    }
}

impl Drop for Reap {
    fn drop(&mut self) {
        // Dropped without running: a runtime shutting down drops the jobs it has not started.
        // The killed child is reaped here instead, on the thread shutting it down.
        self.reap();
    }
}

impl BlockingWork for Reap {
    fn run(&mut self) {
        self.reap();
    }

    fn wanted(&self) -> bool {
        false
    }

    fn deliver(self: Box<Self>) -> Option<Leftover> {
        None
    }

    fn discard(self: Box<Self>) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Backend, Runner};

    /// The thread-based exit watch, used where the system has no pidfds, waits and reaps as
    /// the pidfd does; several waiters share its one thread.
    #[test]
    fn the_thread_watch_waits_for_the_exit() {
        let backends = [
            #[cfg(feature = "tokio")]
            Backend::Tokio,
            #[cfg(feature = "smol")]
            Backend::Smol,
        ];
        for backend in backends {
            Runner::new(backend)
                .run(async {
                    let spawned = std::process::Command::new("sleep").arg("30").spawn();
                    let child = Child::with_thread_watch(spawned.unwrap());
                    assert!(matches!(child.watch, ExitWatch::Thread(_)));
                    assert_eq!(child.try_wait().unwrap(), None);
                    let mut first = std::pin::pin!(child.wait());
                    let mut second = std::pin::pin!(child.wait());
                    // Both wait before the child is killed.
                    assert!(futures_lite::future::poll_once(&mut first).await.is_none());
                    assert!(futures_lite::future::poll_once(&mut second).await.is_none());
                    child.send_signal(libc::SIGKILL).unwrap();
                    let status = first.await.unwrap();
                    assert_eq!(status.signal(), Some(libc::SIGKILL));
                    assert_eq!(second.await.unwrap(), status);
                    // Reaped: waiting again answers at once, and signalling does nothing.
                    assert_eq!(child.wait().await.unwrap(), status);
                    child.send_signal(libc::SIGKILL).unwrap();
                })
                .unwrap();
        }
    }
}
