//! Where a task waits: each anyio operation notes what it is as it is polled, so that a task
//! dump can say what a suspended task waits on.
//!
//! The note is one store into a thread-local cell (beside the budget's, in the thread's
//! [`op_cell`](super::op_cell)). The task layer clears the cell before it polls a task and
//! copies it into the task's identity after the poll, so that the operation polled last in a
//! poll that suspended is the one the task waits on.

use super::op_cell::{self, OpCell};

/// An anyio operation a task can wait in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum WaitPoint {
    /// Nothing noted: a native future, or a poll that took no anyio operation.
    Unknown = 0,
    Sleep,
    TaskGroup,
    TaskHandle,
    Event,
    Lock,
    Condition,
    Barrier,
    CapacityLimiter,
    MemorySend,
    MemoryReceive,
    Accept,
    SocketReceive,
    SocketSend,
    Datagram,
    Thread,
    File,
    Directory,
    Process,
    ProcessPipe,
    Signal,
}

impl WaitPoint {
    const ALL: [WaitPoint; 21] = [
        WaitPoint::Unknown,
        WaitPoint::Sleep,
        WaitPoint::TaskGroup,
        WaitPoint::TaskHandle,
        WaitPoint::Event,
        WaitPoint::Lock,
        WaitPoint::Condition,
        WaitPoint::Barrier,
        WaitPoint::CapacityLimiter,
        WaitPoint::MemorySend,
        WaitPoint::MemoryReceive,
        WaitPoint::Accept,
        WaitPoint::SocketReceive,
        WaitPoint::SocketSend,
        WaitPoint::Datagram,
        WaitPoint::Thread,
        WaitPoint::File,
        WaitPoint::Directory,
        WaitPoint::Process,
        WaitPoint::ProcessPipe,
        WaitPoint::Signal,
    ];

    /// The point a byte stands for (`Unknown` for any other byte).
    pub(crate) fn from_u8(byte: u8) -> WaitPoint {
        WaitPoint::ALL
            .get(usize::from(byte))
            .copied()
            .unwrap_or(WaitPoint::Unknown)
    }

    /// What a person reads in a task dump.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            WaitPoint::Unknown => "something that is not an anyio operation",
            WaitPoint::Sleep => "a sleep or a deadline",
            WaitPoint::TaskGroup => "its task group's children",
            WaitPoint::TaskHandle => "another task (a task handle)",
            WaitPoint::Event => "an event",
            WaitPoint::Lock => "a lock or a semaphore",
            WaitPoint::Condition => "a condition",
            WaitPoint::Barrier => "a barrier",
            WaitPoint::CapacityLimiter => "a capacity limiter",
            WaitPoint::MemorySend => "a send on a memory object stream",
            WaitPoint::MemoryReceive => "a receive on a memory object stream",
            WaitPoint::Accept => "a listener's accept",
            WaitPoint::SocketReceive => "a receive from a socket",
            WaitPoint::SocketSend => "a send on a socket",
            WaitPoint::Datagram => "a datagram socket",
            WaitPoint::Thread => "a worker thread",
            WaitPoint::File => "a file operation",
            WaitPoint::Directory => "a directory listing",
            WaitPoint::Process => "a process to exit",
            WaitPoint::ProcessPipe => "a process's pipe",
            WaitPoint::Signal => "a signal",
        }
    }
}

/// Notes that the task being polled on this thread is in `point`.
#[inline]
pub(crate) fn note(point: WaitPoint) {
    op_cell::with(|cell| note_in(cell, point));
}

/// [`note`], for a caller that holds this thread's [`OpCell`] already (an operation's gate).
#[inline]
pub(crate) fn note_in(cell: &OpCell, point: WaitPoint) {
    cell.noted.set(point as u8);
}

/// Clears the note before a task's poll; returns the note of the poll this one is nested in.
#[inline]
pub(crate) fn begin_poll() -> u8 {
    op_cell::with(|cell| cell.noted.replace(0))
}

/// The note of the poll that just ended, restoring that of the enclosing poll.
#[inline]
pub(crate) fn end_poll(enclosing: u8) -> u8 {
    op_cell::with(|cell| cell.noted.replace(enclosing))
}
