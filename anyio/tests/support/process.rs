//! Helpers for the process tests: telling from `/proc` whether a process still exists, and
//! guards that clean up what a test started even when it fails.

#![allow(dead_code, unreachable_pub)] // each test crate uses its own subset

use std::io::{BufRead, BufReader};

/// A process as `/proc` identifies it: its pid and its start time, which tells it apart from
/// a later process that reuses the pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub pid: u32,
    pub start: u64,
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    Some(after_name.split_whitespace().map(str::to_owned).collect())
}

/// The process `pid` as it is now, if it exists (a zombie counts).
pub fn identity(pid: u32) -> Option<Identity> {
    // Field 22 of the whole line is the start time; after the name it is the 20th.
    let start = stat_fields(pid)?.get(19)?.parse().ok()?;
    Some(Identity { pid, start })
}

/// The state letter of `who` (`R`, `S`, `Z`, ...), or `None` once it is gone (reaped).
pub fn state(who: Identity) -> Option<char> {
    let fields = stat_fields(who.pid)?;
    if fields.get(19)?.parse::<u64>().ok()? != who.start {
        return None; // the pid now names another process
    }
    fields.first()?.chars().next()
}

/// Whether `who` is gone for good: reaped, not merely exited.
pub fn is_gone(who: Identity) -> bool {
    state(who).is_none()
}

/// The parent pid of `pid`.
pub fn parent(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// The process group of `pid`.
pub fn group(pid: u32) -> Option<i32> {
    stat_fields(pid)?.get(2)?.parse().ok()
}

/// The descriptors `pid` has open, sorted.
pub fn open_fds(pid: u32) -> Vec<i32> {
    let mut fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process's descriptors can be listed")
        .map(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    fds.sort_unstable();
    fds
}

/// Kills a whole process group when dropped: for tests whose child starts children of its
/// own, which no `Process` owns.
pub struct GroupGuard(pub u32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let pgid = libc::pid_t::try_from(self.0).unwrap();
        // SAFETY: `kill` only sends a signal; a negative pid names the group. The group exists
        // as long as any of its members does, so its id names nobody else meanwhile.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}

/// Kills one process when dropped, by pid, if it is still the process `who`: for children
/// that no `Process` owns any more (detached ones).
pub struct KillGuard(pub Identity);

impl Drop for KillGuard {
    fn drop(&mut self) {
        if state(self.0).is_some_and(|state| state != 'Z') {
            let pid = libc::pid_t::try_from(self.0.pid).unwrap();
            // SAFETY: `kill` only sends a signal, to the process just checked to be ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// A pipe, both ends close-on-exec: its reading end, then its writing end.
pub fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` writes two descriptors into the array it is given, which has room.
    let made = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(made, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just made, and nothing else owns them.
    unsafe {
        use std::os::fd::FromRawFd;
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    }
}

/// A pipe whose reading end is read line by line on a thread of its own, and whose writing
/// end is given to a child: how a test learns what a child of `run_process` says before it
/// ends. The thread ends with the pipe.
pub struct LineReceiver(async_channel::Receiver<String>);

impl LineReceiver {
    /// The receiver, and the writing end for the child.
    pub fn new() -> (LineReceiver, std::os::fd::OwnedFd) {
        let (reader, writer) = pipe();
        let (send, lines) = async_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { return };
                if send.send_blocking(line).is_err() {
                    return;
                }
            }
        });
        (LineReceiver(lines), writer.into())
    }

    /// The next line; `None` once the pipe has ended.
    pub async fn next(&self) -> Option<String> {
        self.0.recv().await.ok()
    }
}

/// The descriptors this process holds without close-on-exec, with what they refer to: those
/// it inherited from whoever started it (the harness, a shell), which every child inherits
/// in turn, and which are none of anyio's doing.
pub fn inheritable_fds() -> Vec<(i32, String)> {
    let mut fds = Vec::new();
    for fd in open_fds(std::process::id()) {
        let Ok(info) = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")) else {
            continue; // closed meanwhile (the directory listing's own descriptor)
        };
        let flags = info
            .lines()
            .find_map(|line| line.strip_prefix("flags:"))
            .and_then(|flags| i64::from_str_radix(flags.trim(), 8).ok())
            .unwrap_or(0);
        if flags & i64::from(libc::O_CLOEXEC) == 0 {
            let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))
                .map(|path| path.display().to_string())
                .unwrap_or_default();
            fds.push((fd, target));
        }
    }
    fds
}
