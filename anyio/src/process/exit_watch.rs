//! How anyio learns that a child exited, without a `SIGCHLD` handler (which would take the
//! signal from the program, and from other libraries) and without a thread per child where
//! the system can do better.
//!
//! - **Linux 5.3 and later:** a pidfd (`pidfd_open`) becomes readable when the process exits.
//!   It is registered with the running backend's reactor like a socket, so waiting costs no
//!   thread, works alike on tokio and smol, and needs neither tokio's `process` and `signal`
//!   features nor async-process's reaper.
//! - **Elsewhere** (older kernels, a seccomp filter that refuses `pidfd_open`, other Unixes):
//!   on the first wait, a small thread of the child's own blocks in
//!   `waitid(WEXITED | WNOWAIT)`, which sees the exit without reaping, then sets an
//!   [`Event`]. The reaping itself stays with the [`Child`](super::child::Child) handle, under
//!   its lock, so that a signal can never reach a process that reused the pid.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::sync::Event;

#[cfg(any(target_os = "linux", target_os = "android"))]
use crate::backend::Registered;

/// A way to wait for one child's exit.
#[derive(Debug)]
pub(super) enum ExitWatch {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Pidfd(Registered<std::os::fd::OwnedFd>),
    Thread(ThreadWatch),
}

impl ExitWatch {
    /// The best watch for the child `pid`, which must not have been reaped yet (so that the
    /// pid cannot name another process).
    pub(super) fn new(pid: u32) -> ExitWatch {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(pidfd) = pidfd::open(pid) {
            return ExitWatch::Pidfd(pidfd);
        }
        ExitWatch::Thread(ThreadWatch::new(pid))
    }

    /// The thread-based watch, whatever the system offers (for tests of that path).
    #[cfg(test)]
    pub(super) fn thread(pid: u32) -> ExitWatch {
        ExitWatch::Thread(ThreadWatch::new(pid))
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod pidfd {
    use std::os::fd::OwnedFd;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rustix::process::{Pid, PidfdFlags, pidfd_open};

    use crate::backend::Registered;

    /// Set once `pidfd_open` failed for want of support: later spawns skip the attempt.
    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

    /// A registered pidfd for `pid`, or `None` where the system has none to give.
    pub(super) fn open(pid: u32) -> Option<Registered<OwnedFd>> {
        if UNSUPPORTED.load(Ordering::Relaxed) {
            return None;
        }
        let pid = Pid::from_raw(i32::try_from(pid).ok()?)?;
        // The descriptor is close-on-exec: pidfd_open always makes it so.
        match pidfd_open(pid, PidfdFlags::empty()) {
            Ok(fd) => Registered::new(fd).ok(),
            Err(error) => {
                // ENOSYS: a kernel before 5.3. EPERM: a seccomp filter (some containers)
                // refusing the call. Either way it will not work later either.
                if error == rustix::io::Errno::NOSYS || error == rustix::io::Errno::PERM {
                    UNSUPPORTED.store(true, Ordering::Relaxed);
                }
                None
            }
        }
    }
}

/// Waits for the child on a thread of its own, started on the first wait.
#[derive(Debug)]
pub(super) struct ThreadWatch {
    pid: u32,
    /// Whether the thread was started.
    started: Mutex<bool>,
    exited: Arc<Exited>,
}

/// What the thread tells: the exit happened, or the error (an `errno`) that ended its wait.
#[derive(Debug)]
struct Exited {
    event: Event,
    errno: AtomicI32,
}

impl ThreadWatch {
    fn new(pid: u32) -> ThreadWatch {
        ThreadWatch {
            pid,
            started: Mutex::new(false),
            exited: Arc::new(Exited {
                event: Event::new(),
                errno: AtomicI32::new(0),
            }),
        }
    }

    /// Waits until the child has exited, and may be reaped.
    ///
    /// # Errors
    /// When no thread can be started, or the system refuses the wait. Not when the child was
    /// reaped already (`ECHILD`): the caller's reap says what became of it.
    pub(super) async fn exited(&self) -> io::Result<()> {
        {
            let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
            if !*started {
                let pid = self.pid;
                let exited = Arc::clone(&self.exited);
                std::thread::Builder::new()
                    .name(format!("anyio-wait-{pid}"))
                    // It only blocks in one system call.
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        if let Err(errno) = wait_without_reaping(pid) {
                            exited.errno.store(errno.raw_os_error(), Ordering::Release);
                        }
                        exited.event.set();
                    })?;
                *started = true;
            }
        }
        self.exited.event.wait().await;
        match self.exited.errno.load(Ordering::Acquire) {
            0 => Ok(()),
            errno => Err(io::Error::from_raw_os_error(errno)),
        }
    }
}

/// Blocks until the child `pid` has exited, leaving it to be reaped (`WNOWAIT`). Returns at
/// once, successfully, if the child was reaped already (`ECHILD`).
fn wait_without_reaping(pid: u32) -> Result<(), rustix::io::Errno> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or(rustix::io::Errno::INVAL)?;
    let options = rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT;
    loop {
        match rustix::process::waitid(rustix::process::WaitId::Pid(pid), options) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::CHILD) | Ok(_) => return Ok(()),
            Err(errno) => return Err(errno),
        }
    }
}
