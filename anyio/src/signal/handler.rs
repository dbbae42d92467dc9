//! The process-wide half: anyio's signal handler, the tables it reads, and the bookkeeping
//! that installs it for a signal's first receiver and puts the previous disposition back after
//! the last one.
//!
//! ## What the handler touches
//! A handler runs on top of whatever code the signal interrupted (a `malloc` holding its lock,
//! the management code below holding the table's mutex), so it takes no lock, allocates and
//! frees nothing, cannot panic, and calls nothing that is not async-signal-safe: atomics,
//! `getpid`, one `write` per receiver, and the handler it replaced. It saves and restores
//! `errno`, which a failed `write` would change under the interrupted code. It reads three
//! atomics of the signal's [`Slot`]:
//! - `targets`, an immutable snapshot of the signal's receivers, each a non-blocking pipe and
//!   the count of its signals not yet received. The handler writes the signal's number as one
//!   byte into each pipe whose count is below [`CAPACITY`]; a delivery beyond it, or one the
//!   pipe refuses, is dropped for that receiver, so the handler never blocks;
//! - `busy`, the number of handlers using a snapshot: raised before the snapshot is loaded,
//!   lowered after its last write;
//! - `previous`, the handler that was installed before anyio's, called after the writes so
//!   that its users (tokio's signal driver, signal-hook, a C library's handler) keep working
//!   while an anyio receiver is open. `SIG_DFL` and `SIG_IGN` are not chained to: while
//!   receivers are open, they decide.
//!
//! ## Retiring a snapshot
//! Receivers come and go under [`TABLE`]'s mutex, which publishes a new snapshot by swapping
//! the pointer and then frees the old one only once `busy` has been seen at zero. Both sides'
//! operations are `SeqCst`, so they fall in one total order: a handler that raised `busy` before
//! the manager read it is waited for, and one that raised it afterwards loads the new snapshot
//! (it loads after its raise, the manager swapped before its read). A snapshot holds its
//! receivers' pipes alive (`Arc<Target>`), so a pipe is closed only when no handler can be
//! writing to it: never a write to a closed descriptor, or to whatever file reuses its number.
//! The wait is short, since a handler holds `busy` only over a few non-blocking writes and
//! lowers it before calling the previous handler, whatever that one does (a handler that
//! jumps out with `siglongjmp` cannot leave `busy` raised).
//!
//! The previous handlers are kept in leaked, immutable [`Action`]s, reused when the same one
//! comes back, so the handler can call one without any wait: their number is bounded by the
//! distinct handlers ever replaced.
//!
//! ## Installing and restoring
//! The first receiver of a signal installs anyio's handler (`SA_SIGINFO | SA_RESTART`, so
//! system calls of other threads restart rather than fail with `EINTR`) and saves what was
//! there. When the last receiver goes, the saved disposition comes back, but only if anyio's
//! handler is still the one installed: code that replaced it meanwhile keeps its own.
//!
//! In that case the replacement may well call anyio's handler in turn, as signal-hook's does
//! with the handler it replaced, so anyio's handler must stay harmless: with no receivers it
//! only chains to the disposition it saved. The signal is then *stale*: its next first
//! receiver does not install anyio's handler over a *function* installed meanwhile, since that
//! function may pass signals on to anyio's handler, which would pass them back to it, forever.
//! The receiver is then reached through that function. Over `SIG_DFL` or `SIG_IGN` (no
//! function, so no such loop) anyio's handler is installed afresh.
//!
//! Signal dispositions belong to the whole process: code that changes them from another
//! thread at the same time as anyio does races with it, as with any other library.

use std::io;
use std::os::fd::OwnedFd;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use libc::{c_int, c_void, siginfo_t};

use super::number::{Reason, Signal, UnsupportedSignalError};

/// The highest signal number the tables have room for (Linux has 64 signals, the BSDs up to
/// 128). It also fits the one byte a delivery writes.
const LAST: usize = 128;

/// The signals a receiver holds at most, delivered but not yet received; see
/// [`SignalReceiver::CAPACITY`](super::SignalReceiver::CAPACITY). Pipes hold more (Linux's
/// smallest hold a page or two), so the count, not the pipe, is the limit in practice.
pub(super) const CAPACITY: usize = 1024;

/// One receiver, as the handler sees it.
#[derive(Debug)]
pub(super) struct Target {
    /// The pipe's write end: non-blocking, close-on-exec.
    writer: OwnedFd,
    /// The process the receiver belongs to. A child made by `fork` runs with a copy of the
    /// handler, the tables and the pipes until its `exec`: a signal it handles then is its own,
    /// and is not written into its parent's pipes (which would also put the parent's count
    /// out of step with the pipe, and leave the receiver deaf once the count wrapped).
    owner: rustix::process::Pid,
    /// Signals written or being written into the pipe, and not yet returned by the receiver.
    pending: AtomicUsize,
}

impl Target {
    pub(super) fn new(writer: OwnedFd) -> Target {
        Target {
            writer,
            owner: rustix::process::getpid(),
            pending: AtomicUsize::new(0),
        }
    }

    /// Called by the handler: queues one delivery of `signal`, or drops it when the receiver
    /// already holds [`CAPACITY`] of them.
    fn deliver(&self, signal: u8) {
        // Counted before it is written and uncounted after it is received, so the count is
        // never below what the pipe holds.
        if self.pending.fetch_add(1, Ordering::AcqRel) >= CAPACITY {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        // A pipe smaller than CAPACITY (no system anyio knows has one) refuses with `EAGAIN`:
        // the delivery is dropped, and uncounted so that the receiver's count stays true.
        if !matches!(rustix::io::write(&self.writer, &[signal]), Ok(1)) {
            self.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Called by the receiver for each signal it returns.
    pub(super) fn received(&self) {
        self.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The receivers of one signal, as published to the handler.
struct Snapshot {
    targets: Vec<Arc<Target>>,
}

/// A handler that anyio's replaced, to be called after anyio's own work.
#[derive(Debug, PartialEq, Eq)]
struct Action {
    /// The function's address (never `SIG_DFL` or `SIG_IGN`).
    address: libc::sighandler_t,
    /// It takes three arguments (`SA_SIGINFO`), not one.
    siginfo: bool,
}

impl Action {
    /// The action to chain to for disposition `action`: none for `SIG_DFL` and `SIG_IGN`.
    fn of(action: &libc::sigaction) -> Option<Action> {
        let address = action.sa_sigaction;
        if address == libc::SIG_DFL || address == libc::SIG_IGN || address == ours() {
            return None;
        }
        Some(Action {
            address,
            // `as _`: the flags' type differs between platforms.
            siginfo: has_flag(action.sa_flags, libc::SA_SIGINFO as _),
        })
    }

    /// Calls the function, from anyio's handler, with the arguments anyio's handler got.
    ///
    /// # Safety
    /// Only from a signal handler for `signal`, with the arguments the system passed it.
    unsafe fn call(&self, signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
        if self.siginfo {
            type Handler = extern "C" fn(c_int, *mut siginfo_t, *mut c_void);
            // SAFETY: the address was installed as a three-argument handler (`SA_SIGINFO` was
            // set with it), and is the address of such a function: the system would have
            // called it the same way.
            let handler =
                unsafe { std::mem::transmute::<libc::sighandler_t, Handler>(self.address) };
            handler(signal, info, context);
        } else {
            type Handler = extern "C" fn(c_int);
            // SAFETY: as above, for a one-argument handler (`SA_SIGINFO` was not set).
            let handler =
                unsafe { std::mem::transmute::<libc::sighandler_t, Handler>(self.address) };
            handler(signal);
        }
    }
}

/// Whether `flags` has `flag` set, in whatever integer type the platform gives `sa_flags`.
fn has_flag<T: std::ops::BitAnd<Output = T> + Default + PartialEq + Copy>(
    flags: T,
    flag: T,
) -> bool {
    flags & flag != T::default()
}

/// What the handler reads for one signal; see the module docs.
struct Slot {
    targets: AtomicPtr<Snapshot>,
    busy: AtomicUsize,
    previous: AtomicPtr<Action>,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            targets: AtomicPtr::new(ptr::null_mut()),
            busy: AtomicUsize::new(0),
            previous: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// Indexed by signal number; slot 0 is never used.
static SLOTS: [Slot; LAST + 1] = [const { Slot::new() }; LAST + 1];

/// The bookkeeping of one signal, behind [`TABLE`]'s mutex.
struct Entry {
    /// The receivers, as last published to the slot.
    targets: Vec<Arc<Target>>,
    /// The disposition anyio's handler replaced, while it is installed or stale.
    saved: Option<libc::sigaction>,
    /// anyio's handler was replaced while receivers were open (see the module docs).
    stale: bool,
    /// Every previous handler published to the slot, leaked so that a handler may call one
    /// at any time; reused when the same one comes back.
    seen: Vec<&'static Action>,
}

impl Entry {
    const fn new() -> Entry {
        Entry {
            targets: Vec::new(),
            saved: None,
            stale: false,
            seen: Vec::new(),
        }
    }
}

static TABLE: Mutex<[Entry; LAST + 1]> = Mutex::new([const { Entry::new() }; LAST + 1]);

/// anyio's handler, as `sigaction` reports it.
fn ours() -> libc::sighandler_t {
    handle as extern "C" fn(c_int, *mut siginfo_t, *mut c_void) as libc::sighandler_t
}

/// anyio's signal handler; see the module docs for what it may do.
extern "C" fn handle(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    let errno = errno::errno();
    let Some(slot) = usize::try_from(signal)
        .ok()
        .and_then(|index| SLOTS.get(index))
    else {
        return;
    };
    slot.busy.fetch_add(1, Ordering::SeqCst);
    let snapshot = slot.targets.load(Ordering::SeqCst);
    // SAFETY: a published snapshot is freed only after it was unpublished and `busy` was
    // then seen at zero (module docs); `busy` counts this handler until below.
    if let Some(snapshot) = unsafe { snapshot.as_ref() } {
        // `getpid` is a plain system call, async-signal-safe.
        let this_process = rustix::process::getpid();
        for target in &snapshot.targets {
            // Not in a forked child that has not called `exec` yet (see `Target::owner`).
            if target.owner == this_process {
                // `signal` is at most LAST (the slot exists), which fits a byte.
                target.deliver(signal as u8);
            }
        }
    }
    slot.busy.fetch_sub(1, Ordering::SeqCst);
    let previous = slot.previous.load(Ordering::SeqCst);
    // SAFETY: a published action is leaked: it lives for the rest of the process.
    if let Some(previous) = unsafe { previous.as_ref() } {
        // SAFETY: this is a handler of `signal`, passing on the system's own arguments.
        unsafe { previous.call(signal, info, context) };
    }
    errno::set_errno(errno);
}

/// The table's index of `signal`, if anyio could handle it; checked before anything changes.
fn index(signal: Signal) -> Result<usize, UnsupportedSignalError> {
    let raw = signal.as_raw();
    let refuse = |reason| Err(UnsupportedSignalError::new(signal, reason));
    if raw == libc::SIGKILL || raw == libc::SIGSTOP {
        return refuse(Reason::Uncatchable);
    }
    if [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE].contains(&raw) {
        return refuse(Reason::Fault);
    }
    match usize::try_from(raw) {
        Ok(index @ 1..=LAST) => Ok(index),
        _ => refuse(Reason::NotASignal),
    }
}

/// Checks that anyio can receive `signal` on this system: its number, and the system's word.
pub(super) fn check(signal: Signal) -> io::Result<()> {
    index(signal)?;
    match query(signal.as_raw()) {
        Ok(_) => Ok(()),
        Err(error) if error.raw_os_error() == Some(libc::EINVAL) => {
            Err(UnsupportedSignalError::new(signal, Reason::NotASignal).into())
        }
        Err(error) => Err(named(signal, error)),
    }
}

/// `error`, saying which signal it concerns.
fn named(signal: Signal, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("cannot handle {signal}: {error}"))
}

/// Adds `target` to the receivers of each of `signals` (checked, without duplicates),
/// installing anyio's handler for those that had none. All or nothing.
pub(super) fn subscribe(signals: &[Signal], target: &Arc<Target>) -> io::Result<()> {
    let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    for (done, &signal) in signals.iter().enumerate() {
        if let Err(error) = attach(&mut table, signal, target) {
            for &signal in &signals[..done] {
                detach(&mut table, signal, target);
            }
            return Err(error);
        }
    }
    Ok(())
}

/// Removes `target` from the receivers of each of `signals`, restoring the previous
/// disposition of those it was the last receiver of. Once this returns, no handler writes to
/// the target's pipe any more.
pub(super) fn unsubscribe(signals: &[Signal], target: &Arc<Target>) {
    let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    for &signal in signals {
        detach(&mut table, signal, target);
    }
}

fn attach(table: &mut [Entry; LAST + 1], signal: Signal, target: &Arc<Target>) -> io::Result<()> {
    let index = index(signal)?;
    let entry = &mut table[index];
    entry.targets.push(Arc::clone(target));
    // Published before the handler is installed, so that every signal the installed handler
    // sees reaches the new receiver.
    publish(index, &entry.targets);
    if entry.targets.len() == 1 {
        if let Err(error) = take_over(entry, index, signal.as_raw()) {
            entry.targets.pop();
            publish(index, &entry.targets);
            return Err(named(signal, error));
        }
    }
    Ok(())
}

fn detach(table: &mut [Entry; LAST + 1], signal: Signal, target: &Arc<Target>) {
    let Ok(index) = index(signal) else { return };
    let entry = &mut table[index];
    let Some(position) = entry.targets.iter().position(|t| Arc::ptr_eq(t, target)) else {
        return;
    };
    entry.targets.remove(position);
    publish(index, &entry.targets);
    if entry.targets.is_empty() {
        hand_back(entry, signal.as_raw());
    }
}

/// Publishes `targets` as the slot's snapshot, and frees the one it replaces once no handler
/// can be reading it.
fn publish(index: usize, targets: &[Arc<Target>]) {
    let slot = &SLOTS[index];
    let fresh = if targets.is_empty() {
        ptr::null_mut()
    } else {
        Box::into_raw(Box::new(Snapshot {
            targets: targets.to_vec(),
        }))
    };
    let old = slot.targets.swap(fresh, Ordering::SeqCst);
    // A handler holds `busy` over a few non-blocking writes (and is never blocked by this
    // thread: it runs on top of it, or on another thread), so this ends quickly.
    let mut spins = 0_u32;
    while slot.busy.load(Ordering::SeqCst) != 0 {
        if spins < 64 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
    if !old.is_null() {
        // SAFETY: `old` came from `Box::into_raw` here; it is unpublished, and `busy` was seen
        // at zero since, so no handler holds it (module docs).
        drop(unsafe { Box::from_raw(old) });
    }
}

/// Installs anyio's handler for a signal's first receiver, saving the disposition it
/// replaces; see the module docs for a stale signal.
fn take_over(entry: &mut Entry, index: usize, signal: c_int) -> io::Result<()> {
    let current = query(signal)?;
    if current.sa_sigaction == ours() {
        // Ours already (a library that replaced it has put it back): nothing to do.
        entry.stale = false;
        return Ok(());
    }
    if entry.stale && Action::of(&current).is_some() {
        // May pass signals on to anyio's handler: reached through it.
        return Ok(());
    }
    set_previous(entry, index, &current);
    let replaced = install(signal)?;
    if replaced.sa_sigaction != current.sa_sigaction || replaced.sa_flags != current.sa_flags {
        // Changed by another thread in between: chain to what was really replaced.
        set_previous(entry, index, &replaced);
    }
    entry.saved = Some(replaced);
    entry.stale = false;
    Ok(())
}

/// Restores the saved disposition after a signal's last receiver, if anyio's handler is still
/// the one installed.
fn hand_back(entry: &mut Entry, signal: c_int) {
    match query(signal) {
        Ok(current) if current.sa_sigaction == ours() => {
            if let Some(saved) = entry.saved.take() {
                // Nothing to report to from a drop: a failure leaves anyio's handler, which
                // with no receivers only chains to the saved disposition's function, if any.
                let _ = set(signal, &saved);
            }
            entry.stale = false;
        }
        Ok(_) => entry.stale = entry.saved.is_some(),
        Err(_) => {}
    }
}

/// Publishes the function of `action` (or none) as the handler to chain to.
fn set_previous(entry: &mut Entry, index: usize, action: &libc::sigaction) {
    let previous = match Action::of(action) {
        None => ptr::null_mut(),
        Some(action) => {
            let kept = match entry.seen.iter().find(|seen| ***seen == action) {
                Some(seen) => *seen,
                None => {
                    let leaked: &'static Action = Box::leak(Box::new(action));
                    entry.seen.push(leaked);
                    leaked
                }
            };
            ptr::from_ref(kept).cast_mut()
        }
    };
    SLOTS[index].previous.store(previous, Ordering::SeqCst);
}

/// The disposition of `signal`.
fn query(signal: c_int) -> io::Result<libc::sigaction> {
    // SAFETY: `sigaction` is a plain C struct, for which all zeroes is a valid value.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads; `current` is a valid place to write the old one.
    if unsafe { libc::sigaction(signal, ptr::null(), &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(current)
}

/// Sets the disposition of `signal` to `action`.
fn set(signal: c_int, action: &libc::sigaction) -> io::Result<()> {
    // SAFETY: `action` is a disposition `sigaction` reported, so valid to install.
    if unsafe { libc::sigaction(signal, action, ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Installs anyio's handler for `signal`, returning the disposition it replaced.
fn install(signal: c_int) -> io::Result<libc::sigaction> {
    // SAFETY: a plain C struct, for which all zeroes is a valid value (an empty mask included).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = ours();
    // `as _`: the flags' type differs between platforms.
    action.sa_flags = (libc::SA_SIGINFO | libc::SA_RESTART) as _;
    // SAFETY: `sa_mask` is a valid signal set to initialise.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: as `query`.
    let mut replaced: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `action` installs `handle`, a three-argument handler as `SA_SIGINFO` says, that
    // only does what a handler may (module docs); `replaced` is a valid place to write to.
    if unsafe { libc::sigaction(signal, &action, &mut replaced) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(replaced)
}
