//! [`Signal`], a signal number with a name, and [`UnsupportedSignalError`], the refusal of one
//! that anyio cannot receive.

use std::fmt;
use std::io;

use libc::c_int;

/// A signal number, such as [`Signal::SIGTERM`] (Python's `signal.Signals`).
///
/// The named constants are the signals every unix has; any other number the system knows
/// (a real-time signal, a platform's own) is made with [`from_raw`](Signal::from_raw) or
/// `From<i32>`, so `libc`'s constants work as they are. Whether anyio can receive a signal is
/// checked when a receiver is opened, not here.
///
/// It prints as its name (`SIGTERM`), or as `signal 42` for a number without one.
///
/// # Examples
/// ```
/// use anyio::signal::Signal;
///
/// assert_eq!(Signal::SIGTERM.as_raw(), libc::SIGTERM);
/// assert_eq!(Signal::from(libc::SIGINT), Signal::SIGINT);
/// assert_eq!(Signal::SIGHUP.to_string(), "SIGHUP");
/// assert_eq!(Signal::from_raw(200).to_string(), "signal 200");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(c_int);

/// Defines the named signals: a constant each, with its doc example, and the table of names
/// that [`Signal::name`] looks in (the portable signals, then each platform's own).
macro_rules! named_signals {
    ($($(#[doc = $doc:literal])+ $name:ident,)*) => {
        impl Signal {
            $(
                $(#[doc = $doc])+
                ///
                /// # Examples
                /// ```
                /// use anyio::signal::Signal;
                ///
                #[doc = concat!(
                    "assert_eq!(Signal::", stringify!($name), ".as_raw(), libc::",
                    stringify!($name), ");"
                )]
                #[doc = concat!(
                    "assert_eq!(Signal::", stringify!($name), ".to_string(), \"",
                    stringify!($name), "\");"
                )]
                /// ```
                pub const $name: Signal = Signal(libc::$name);
            )*
        }

        /// The names [`Signal::name`] knows.
        const NAMES: &[(Signal, &str)] = &[
            $((Signal::$name, stringify!($name)),)*
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (Signal(libc::SIGPWR), "SIGPWR"),
            #[cfg(any(
                target_vendor = "apple",
                target_os = "freebsd",
                target_os = "dragonfly",
                target_os = "netbsd",
                target_os = "openbsd"
            ))]
            (Signal(libc::SIGINFO), "SIGINFO"),
        ];
    };
}

named_signals! {
    /// Hangup: the controlling terminal went away; daemons take it as "reload".
    SIGHUP,
    /// Interrupt from the keyboard (Ctrl+C).
    SIGINT,
    /// Quit from the keyboard (Ctrl+\\).
    SIGQUIT,
    /// Illegal instruction: a fault, which anyio refuses to receive.
    SIGILL,
    /// Trace or breakpoint trap.
    SIGTRAP,
    /// Abort, as sent by `abort()`.
    SIGABRT,
    /// Bus error: a fault, which anyio refuses to receive.
    SIGBUS,
    /// Arithmetic fault: anyio refuses to receive it.
    SIGFPE,
    /// Kill: it cannot be caught, so anyio refuses it.
    SIGKILL,
    /// User-defined signal 1.
    SIGUSR1,
    /// Invalid memory reference: a fault, which anyio refuses to receive.
    SIGSEGV,
    /// User-defined signal 2.
    SIGUSR2,
    /// A write to a pipe or socket that nobody reads any more (Rust programs ignore it from the
    /// start).
    SIGPIPE,
    /// A timer set with `alarm` expired.
    SIGALRM,
    /// Termination request: what `kill`, service managers and container runtimes send first.
    SIGTERM,
    /// A child process stopped or ended.
    SIGCHLD,
    /// Continue, after a stop.
    SIGCONT,
    /// Stop: it cannot be caught, so anyio refuses it.
    SIGSTOP,
    /// Stop from the keyboard (Ctrl+Z).
    SIGTSTP,
    /// A background process read from its terminal.
    SIGTTIN,
    /// A background process wrote to its terminal.
    SIGTTOU,
    /// Urgent data on a socket.
    SIGURG,
    /// CPU time limit exceeded.
    SIGXCPU,
    /// File size limit exceeded.
    SIGXFSZ,
    /// A virtual timer expired.
    SIGVTALRM,
    /// A profiling timer expired.
    SIGPROF,
    /// The terminal window changed size.
    SIGWINCH,
    /// I/O is possible on a descriptor set up for it.
    SIGIO,
    /// Bad system call.
    SIGSYS,
}

impl Signal {
    /// The signal with number `number`, as the C library numbers them (`libc::SIGTERM`...).
    ///
    /// # Examples
    /// ```
    /// use anyio::signal::Signal;
    ///
    /// assert_eq!(Signal::from_raw(libc::SIGUSR1), Signal::SIGUSR1);
    /// ```
    pub const fn from_raw(number: i32) -> Signal {
        Signal(number)
    }

    /// The signal's number.
    ///
    /// # Examples
    /// ```
    /// use anyio::signal::Signal;
    ///
    /// assert_eq!(Signal::SIGINT.as_raw(), libc::SIGINT);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// The signal's conventional name (`"SIGTERM"`), if it has one on this system.
    ///
    /// # Examples
    /// ```
    /// use anyio::signal::Signal;
    ///
    /// assert_eq!(Signal::SIGWINCH.name(), Some("SIGWINCH"));
    /// assert_eq!(Signal::from_raw(0).name(), None);
    /// ```
    pub fn name(self) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(signal, _)| *signal == self)
            .map(|(_, name)| *name)
    }
}

impl From<i32> for Signal {
    fn from(number: i32) -> Signal {
        Signal(number)
    }
}

impl From<Signal> for i32 {
    fn from(signal: Signal) -> i32 {
        signal.0
    }
}

impl PartialEq<i32> for Signal {
    fn eq(&self, other: &i32) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Signal({})", self.0),
        }
    }
}

/// A signal that anyio cannot receive, named in the error.
///
/// [`open_signal_receiver`](super::open_signal_receiver) refuses, before it changes anything:
/// - numbers that are no signal on this system, or that the C library keeps for itself (glibc
///   uses the first two real-time signals for its threads);
/// - `SIGKILL` and `SIGSTOP`, which no process can catch;
/// - the fault signals `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE`. The kernel sends them to
///   the thread whose instruction failed, and that instruction runs again when the handler
///   returns, so a handler that only takes a note (as anyio's does) turns a crash into an
///   endless loop; Rust's standard library also relies on `SIGSEGV` and `SIGBUS` to report
///   stack overflows. (signal-hook refuses the same signals except `SIGBUS`, which faults
///   just as the others do.)
///
/// It reaches the caller inside an [`io::Error`] of kind `InvalidInput`, whose
/// [`get_ref`](io::Error::get_ref) downcasts to this type.
///
/// # Examples
/// ```
/// use anyio::signal::{Signal, UnsupportedSignalError, open_signal_receiver};
///
/// anyio::run(async {
///     let error = open_signal_receiver([Signal::SIGKILL]).unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
///     let refused = error.get_ref().unwrap().downcast_ref::<UnsupportedSignalError>().unwrap();
///     assert_eq!(refused.signal(), Signal::SIGKILL);
///     assert_eq!(error.to_string(), "SIGKILL cannot be caught");
/// })?;
/// # Ok::<(), anyio::RunError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedSignalError {
    signal: Signal,
    reason: Reason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reason {
    /// Out of range, or refused by `sigaction`.
    NotASignal,
    /// `SIGKILL`, `SIGSTOP`.
    Uncatchable,
    /// `SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`.
    Fault,
}

impl UnsupportedSignalError {
    pub(super) fn new(signal: Signal, reason: Reason) -> UnsupportedSignalError {
        UnsupportedSignalError { signal, reason }
    }

    /// The signal that was refused.
    ///
    /// # Examples
    /// ```
    /// use anyio::signal::{UnsupportedSignalError, open_signal_receiver};
    ///
    /// anyio::run(async {
    ///     let error = open_signal_receiver([999]).unwrap_err();
    ///     let refused = error.get_ref().unwrap().downcast_ref::<UnsupportedSignalError>();
    ///     assert_eq!(refused.unwrap().signal().as_raw(), 999);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub fn signal(&self) -> Signal {
        self.signal
    }
}

impl fmt::Display for UnsupportedSignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signal = self.signal;
        match self.reason {
            Reason::NotASignal => write!(f, "{signal} is not a signal that can be caught here"),
            Reason::Uncatchable => write!(f, "{signal} cannot be caught"),
            Reason::Fault => write!(
                f,
                "{signal} reports a fault of the thread that caused it, and is not received"
            ),
        }
    }
}

impl std::error::Error for UnsupportedSignalError {}

impl From<UnsupportedSignalError> for io::Error {
    fn from(error: UnsupportedSignalError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, error)
    }
}
