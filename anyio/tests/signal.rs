//! `anyio::signal`, on every backend: every delivery in order, several receivers, the bound,
//! cancellation, and what happens to the signals' previous dispositions.
//!
//! `cargo test` runs these tests as threads of one process, whose signal dispositions they
//! share. So each test first [`claim`]s the signals it uses: tests (and the two backends' runs
//! of one test) that use the same signal take turns, and each claimed signal is ignored until
//! the claim ends and puts back what was there. A signal raised by mistake while no receiver is
//! open is then ignored rather than fatal, and a test that fails cleans up all the same (the
//! claim and the receivers restore on drop, while unwinding too).
#![cfg(feature = "macros")]
#![cfg(unix)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyio::signal::{Signal, SignalReceiver, UnsupportedSignalError, open_signal_receiver};
use futures_lite::StreamExt;
use futures_lite::future::poll_once;
use libc::{c_int, c_void, siginfo_t};

// --- helpers ----------------------------------------------------------------------------------

static CLAIMED: Mutex<Vec<c_int>> = Mutex::new(Vec::new());
static RELEASED: Condvar = Condvar::new();

/// The test's hold on some signals; see the module docs.
struct Claim {
    signals: Vec<c_int>,
    saved: Vec<libc::sigaction>,
}

/// Waits until none of `signals` is claimed by another test, then claims them all and
/// ignores them.
fn claim(signals: &[c_int]) -> Claim {
    let mut claimed = CLAIMED.lock().unwrap_or_else(PoisonError::into_inner);
    while signals.iter().any(|signal| claimed.contains(signal)) {
        claimed = RELEASED
            .wait(claimed)
            .unwrap_or_else(PoisonError::into_inner);
    }
    claimed.extend_from_slice(signals);
    drop(claimed);
    let saved = signals
        .iter()
        .map(|&signal| set_handler(signal, libc::SIG_IGN, 0))
        .collect();
    Claim {
        signals: signals.to_vec(),
        saved,
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        for (&signal, saved) in self.signals.iter().zip(&self.saved) {
            // SAFETY: puts back a disposition that `sigaction` reported.
            unsafe { libc::sigaction(signal, saved, std::ptr::null_mut()) };
        }
        let mut claimed = CLAIMED.lock().unwrap_or_else(PoisonError::into_inner);
        claimed.retain(|signal| !self.signals.contains(signal));
        RELEASED.notify_all();
    }
}

/// The disposition of `signal`.
fn disposition(signal: c_int) -> libc::sigaction {
    // SAFETY: a plain C struct, for which all zeroes is valid.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `current`.
    let status = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    assert_eq!(status, 0, "sigaction({signal}) failed");
    current
}

/// The handler (or `SIG_DFL`, `SIG_IGN`) installed for `signal`.
fn handler_of(signal: c_int) -> libc::sighandler_t {
    disposition(signal).sa_sigaction
}

/// Installs `handler` with `flags` for `signal`; returns what it replaced.
fn set_handler(signal: c_int, handler: libc::sighandler_t, flags: c_int) -> libc::sigaction {
    // SAFETY: a plain C struct, for which all zeroes is valid (an empty mask included).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = flags as _;
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: the handlers installed by these tests only touch atomics (and chain to a
    // handler that was installed for the same signal).
    let status = unsafe { libc::sigaction(signal, &action, &mut old) };
    assert_eq!(status, 0, "sigaction({signal}) failed");
    old
}

/// Sends `signal` to this thread; its handler has run when this returns.
fn raise(signal: c_int) {
    // SAFETY: `raise` has no preconditions; every test claims (ignores or handles) the
    // signals it raises.
    assert_eq!(unsafe { libc::raise(signal) }, 0);
}

/// The next signal, failing the test after 10 s rather than hanging it.
async fn next(receiver: &mut SignalReceiver) -> Signal {
    anyio::fail_after(Duration::from_secs(10), receiver.receive())
        .await
        .expect("no signal came within 10 s")
        .expect("the receiver failed")
}

/// Asserts that `receiver` has no signal queued.
async fn assert_nothing_queued(receiver: &mut SignalReceiver) {
    assert!(
        poll_once(receiver.receive()).await.is_none(),
        "a signal was queued"
    );
}

/// How often the counting handlers below ran, by signal.
static COUNTS: [AtomicUsize; 65] = [const { AtomicUsize::new(0) }; 65];

fn count(signal: c_int) -> usize {
    COUNTS[signal as usize].load(Ordering::SeqCst)
}

extern "C" fn count_one(signal: c_int) {
    COUNTS[signal as usize].fetch_add(1, Ordering::SeqCst);
}

extern "C" fn count_info(signal: c_int, _info: *mut siginfo_t, _context: *mut c_void) {
    COUNTS[signal as usize].fetch_add(1, Ordering::SeqCst);
}

fn address_of_one(handler: extern "C" fn(c_int)) -> libc::sighandler_t {
    handler as libc::sighandler_t
}

fn address_of_info(
    handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void),
) -> libc::sighandler_t {
    handler as libc::sighandler_t
}

/// A thread that raises signals, joined when dropped (before the claim ends, so that no
/// signal it raises outlives the test's dispositions).
struct Raiser {
    stop: Arc<AtomicBool>,
    raised: Arc<AtomicUsize>,
    thread: Option<JoinHandle<usize>>,
}

impl Raiser {
    /// Raises `signals` in order, then stops.
    fn once(signals: Vec<c_int>) -> Raiser {
        let stop = Arc::new(AtomicBool::new(false));
        let raised = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::spawn(move || {
            signals.iter().for_each(|&signal| raise(signal));
            signals.len()
        });
        Raiser {
            stop,
            raised,
            thread: Some(thread),
        }
    }

    /// Raises `signal` over and over, at most `limit` times, until stopped.
    fn repeating(signal: c_int, limit: usize) -> Raiser {
        let stop = Arc::new(AtomicBool::new(false));
        let raised = Arc::new(AtomicUsize::new(0));
        let (stopping, counting) = (Arc::clone(&stop), Arc::clone(&raised));
        let thread = std::thread::spawn(move || {
            let mut raised = 0;
            while raised < limit && !stopping.load(Ordering::SeqCst) {
                raise(signal);
                raised += 1;
                counting.store(raised, Ordering::SeqCst);
            }
            raised
        });
        Raiser {
            stop,
            raised,
            thread: Some(thread),
        }
    }

    /// How many signals it has raised so far.
    fn raised(&self) -> usize {
        self.raised.load(Ordering::SeqCst)
    }

    /// Stops the thread and returns how many signals it raised.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        let thread = self.thread.take().expect("joined once");
        thread.join().expect("the raising thread panicked")
    }
}

impl Drop for Raiser {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// --- delivery ---------------------------------------------------------------------------------

#[anyio::test]
async fn every_delivery_comes_in_order_duplicates_included() {
    let _claim = claim(&[libc::SIGUSR1, libc::SIGUSR2]);
    let mut receiver = open_signal_receiver([Signal::SIGUSR1, Signal::SIGUSR2]).unwrap();
    let sent = [
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGUSR1,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGUSR2,
    ];
    for signal in sent {
        raise(signal);
    }
    let mut received = Vec::new();
    for _ in 0..4 {
        received.push(next(&mut receiver).await.as_raw());
    }
    // The rest through the `Stream`.
    for _ in 4..sent.len() {
        let signal = anyio::fail_after(Duration::from_secs(10), receiver.next())
            .await
            .expect("no signal came within 10 s")
            .expect("the stream never ends")
            .expect("the receiver failed");
        received.push(signal.as_raw());
    }
    assert_eq!(received, sent);
    assert_nothing_queued(&mut receiver).await;
}

#[anyio::test]
async fn numbers_and_signals_name_the_same_thing() {
    let _claim = claim(&[libc::SIGUSR1, libc::SIGUSR2]);
    // Plain numbers, duplicates counted once.
    let mut receiver = open_signal_receiver([libc::SIGUSR2, libc::SIGUSR1, libc::SIGUSR2]).unwrap();
    assert_eq!(receiver.signals(), [Signal::SIGUSR1, Signal::SIGUSR2]);
    assert_eq!(
        format!("{receiver:?}"),
        "SignalReceiver { signals: [SIGUSR1, SIGUSR2], read_ahead: 0, .. }"
    );
    raise(libc::SIGUSR2);
    // Received once, although named twice.
    assert_eq!(next(&mut receiver).await, libc::SIGUSR2);
    assert_nothing_queued(&mut receiver).await;
}

#[anyio::test]
async fn two_receivers_of_a_signal_both_see_it() {
    let _claim = claim(&[libc::SIGWINCH, libc::SIGURG]);
    let mut winch = open_signal_receiver([Signal::SIGWINCH]).unwrap();
    let mut both = open_signal_receiver([Signal::SIGWINCH, Signal::SIGURG]).unwrap();
    for signal in [libc::SIGWINCH, libc::SIGURG, libc::SIGWINCH] {
        raise(signal);
    }
    assert_eq!(next(&mut winch).await, Signal::SIGWINCH);
    assert_eq!(next(&mut winch).await, Signal::SIGWINCH);
    assert_nothing_queued(&mut winch).await;
    assert_eq!(next(&mut both).await, Signal::SIGWINCH);
    assert_eq!(next(&mut both).await, Signal::SIGURG);
    assert_eq!(next(&mut both).await, Signal::SIGWINCH);
    assert_nothing_queued(&mut both).await;

    // One receiver gone, the other still receives.
    drop(winch);
    raise(libc::SIGWINCH);
    assert_eq!(next(&mut both).await, Signal::SIGWINCH);
}

#[anyio::test]
async fn a_receiver_holds_up_to_its_capacity_and_drops_the_rest() {
    let _claim = claim(&[libc::SIGUSR1, libc::SIGUSR2]);
    let capacity = SignalReceiver::CAPACITY;
    let mut full = open_signal_receiver([Signal::SIGUSR1, Signal::SIGUSR2]).unwrap();
    let mut reading = open_signal_receiver([Signal::SIGUSR1]).unwrap();
    let extra = 10;
    // `reading` keeps up, batch by batch; `full` is not read at all.
    let mut sent = 0;
    while sent < capacity + extra {
        let batch = (capacity + extra - sent).min(100);
        for _ in 0..batch {
            raise(libc::SIGUSR1);
        }
        for _ in 0..batch {
            assert_eq!(next(&mut reading).await, Signal::SIGUSR1);
        }
        sent += batch;
    }
    // Full: the marker is dropped too.
    raise(libc::SIGUSR2);
    for _ in 0..capacity {
        assert_eq!(next(&mut full).await, Signal::SIGUSR1);
    }
    assert_nothing_queued(&mut full).await;
    // Room again: the next delivery is kept.
    raise(libc::SIGUSR2);
    assert_eq!(next(&mut full).await, Signal::SIGUSR2);
    assert_nothing_queued(&mut reading).await;
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_receiver_on_a_two_thread_runtime_gets_signals_raised_on_another_thread() {
    let _claim = claim(&[libc::SIGTERM, libc::SIGINT]);
    let receiver = open_signal_receiver([Signal::SIGTERM, Signal::SIGINT]).unwrap();
    let sent: Vec<c_int> = (0..200)
        .map(|i| match i % 3 {
            0 => libc::SIGINT,
            _ => libc::SIGTERM,
        })
        .collect();
    let expected = sent.clone();
    anyio::task_group(|tg| async move {
        // Received by a child, which runs on one of the runtime's threads.
        let child = tg.spawn(async move {
            let mut receiver = receiver;
            let mut received = Vec::new();
            for _ in 0..200 {
                received.push(next(&mut receiver).await.as_raw());
            }
            Ok::<_, std::convert::Infallible>(received)
        });
        let raiser = Raiser::once(sent);
        let received = child.await.expect("the child received them all");
        assert_eq!(raiser.finish(), 200);
        assert_eq!(received, expected);
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn receivers_come_and_go_while_another_thread_raises() {
    let _claim = claim(&[libc::SIGURG]);
    let raiser = Raiser::repeating(libc::SIGURG, 1_000_000);
    // At least 200 rounds, and on until the other thread has raised 2,000 signals: it may start
    // late on a busy machine. Bounded both ways.
    let mut rounds = 0;
    while rounds < 200 || (raiser.raised() < 2_000 && rounds < 200_000) {
        let mut receiver = open_signal_receiver([Signal::SIGURG]).unwrap();
        raise(libc::SIGURG);
        assert_eq!(next(&mut receiver).await, Signal::SIGURG);
        rounds += 1;
    }
    assert!(
        raiser.finish() >= 2_000,
        "the other thread did not get to run"
    );
}

// --- cancellation -----------------------------------------------------------------------------

#[anyio::test]
async fn a_cancelled_receive_loses_no_signal() {
    let _claim = claim(&[libc::SIGHUP]);
    let mut receiver = open_signal_receiver([Signal::SIGHUP]).unwrap();

    // Dropped while it waits on the pipe.
    assert!(poll_once(receiver.receive()).await.is_none());
    raise(libc::SIGHUP);
    assert_eq!(next(&mut receiver).await, Signal::SIGHUP);

    // In a cancelled scope, with signals read ahead from the pipe and waiting.
    for _ in 0..3 {
        raise(libc::SIGHUP);
    }
    assert_eq!(next(&mut receiver).await, Signal::SIGHUP);
    let scope = anyio::CancelScope::new();
    scope.handle().cancel();
    assert_eq!(scope.run(receiver.receive()).await.map(|r| r.ok()), None);
    assert_eq!(next(&mut receiver).await, Signal::SIGHUP);
    assert_eq!(next(&mut receiver).await, Signal::SIGHUP);
    assert_nothing_queued(&mut receiver).await;
}

#[anyio::test]
async fn receiving_does_not_suppress_cancellation() {
    let _claim = claim(&[libc::SIGQUIT]);
    let result = anyio::task_group(|tg| async move {
        tg.spawn(async {
            let mut receiver = open_signal_receiver([Signal::SIGQUIT]).unwrap();
            if let Some(signal) = receiver.next().await {
                panic!("no signal was sent, yet {signal:?} came");
            }
        });
        tg.cancel();
        anyio::sleep_forever().await;
    })
    .await;
    assert_eq!(result.unwrap(), None);
    // The receiver was dropped with the task: the claim's disposition is back.
    assert_eq!(handler_of(libc::SIGQUIT), libc::SIG_IGN);
}

/// A child process inherits anyio's handler and the receivers' pipes between its `fork` and
/// its `exec`: a signal it gets then (sent to the whole process group, say) must not reach
/// this process's receivers, nor put their count of queued signals out of step.
#[anyio::test]
async fn a_signal_caught_by_a_forked_child_before_exec_is_not_received() {
    let _claim = claim(&[libc::SIGTTIN]);
    let mut receiver = open_signal_receiver([Signal::SIGTTIN]).unwrap();
    let mut command = anyio::process::Command::new("true");
    // SAFETY: `raise` is async-signal-safe; the hook runs in the child, after fork.
    unsafe {
        command.pre_exec(|| {
            libc::raise(libc::SIGTTIN);
            Ok(())
        });
    }
    // Waited for: whatever the child's handler wrote is in the pipe by now.
    let done = anyio::process::run_process(command).await.unwrap();
    assert!(done.status.success(), "{done:?}");
    assert_nothing_queued(&mut receiver).await;
    // This process's own deliveries come, one each.
    for _ in 0..2 {
        raise(libc::SIGTTIN);
        assert_eq!(next(&mut receiver).await, Signal::SIGTTIN);
        assert_nothing_queued(&mut receiver).await;
    }
}

// --- dispositions -----------------------------------------------------------------------------

#[anyio::test]
async fn the_last_receiver_restores_the_previous_disposition() {
    let _claim = claim(&[libc::SIGVTALRM, libc::SIGPROF]);
    assert_eq!(handler_of(libc::SIGVTALRM), libc::SIG_IGN);

    let mut first = open_signal_receiver([Signal::SIGVTALRM, Signal::SIGPROF]).unwrap();
    assert_ne!(handler_of(libc::SIGVTALRM), libc::SIG_IGN);
    assert_ne!(handler_of(libc::SIGPROF), libc::SIG_IGN);
    // Not ignored any more: received.
    raise(libc::SIGVTALRM);
    assert_eq!(next(&mut first).await, Signal::SIGVTALRM);

    let mut second = open_signal_receiver([Signal::SIGVTALRM]).unwrap();
    drop(first);
    // `second` still receives SIGVTALRM; SIGPROF had no other receiver.
    assert_ne!(handler_of(libc::SIGVTALRM), libc::SIG_IGN);
    assert_eq!(handler_of(libc::SIGPROF), libc::SIG_IGN);
    raise(libc::SIGVTALRM);
    assert_eq!(next(&mut second).await, Signal::SIGVTALRM);
    drop(second);
    assert_eq!(handler_of(libc::SIGVTALRM), libc::SIG_IGN);

    // The default action comes back as well (not raised: it would end the process).
    set_handler(libc::SIGVTALRM, libc::SIG_DFL, 0);
    let receiver = open_signal_receiver([Signal::SIGVTALRM]).unwrap();
    assert_ne!(handler_of(libc::SIGVTALRM), libc::SIG_DFL);
    drop(receiver);
    assert_eq!(handler_of(libc::SIGVTALRM), libc::SIG_DFL);
}

#[anyio::test]
async fn a_previous_handler_keeps_working_while_receivers_are_open() {
    let _claim = claim(&[libc::SIGALRM, libc::SIGXFSZ]);
    // One handler of each kind: one argument, and three (`SA_SIGINFO`).
    let one = address_of_one(count_one);
    let info = address_of_info(count_info);
    set_handler(libc::SIGALRM, one, 0);
    set_handler(libc::SIGXFSZ, info, libc::SA_SIGINFO);
    let (alarms, sizes) = (count(libc::SIGALRM), count(libc::SIGXFSZ));

    let mut receiver = open_signal_receiver([Signal::SIGALRM, Signal::SIGXFSZ]).unwrap();
    assert_ne!(handler_of(libc::SIGALRM), one);
    for signal in [libc::SIGALRM, libc::SIGXFSZ, libc::SIGALRM] {
        raise(signal);
    }
    assert_eq!(next(&mut receiver).await, Signal::SIGALRM);
    assert_eq!(next(&mut receiver).await, Signal::SIGXFSZ);
    assert_eq!(next(&mut receiver).await, Signal::SIGALRM);
    assert_eq!(count(libc::SIGALRM) - alarms, 2);
    assert_eq!(count(libc::SIGXFSZ) - sizes, 1);

    drop(receiver);
    // Both back as they were, flags included.
    let alarm = disposition(libc::SIGALRM);
    assert_eq!(alarm.sa_sigaction, one);
    assert_eq!(alarm.sa_flags & libc::SA_SIGINFO as c_int, 0);
    let size = disposition(libc::SIGXFSZ);
    assert_eq!(size.sa_sigaction, info);
    assert_ne!(size.sa_flags & libc::SA_SIGINFO as c_int, 0);
    raise(libc::SIGALRM);
    assert_eq!(count(libc::SIGALRM) - alarms, 3);
}

/// tokio's own signal support (signal-hook's handler underneath) set up first keeps getting
/// the signal while an anyio receiver is open, and after it is dropped.
#[anyio::test(backends(tokio))]
async fn tokio_signal_keeps_working_beside_a_receiver() {
    use tokio::signal::unix::{SignalKind, signal};
    // A signal of this test's own: signal-hook's handler stays installed for good once set up,
    // and its registry would not notice the claim putting the old disposition back.
    let _claim = claim(&[libc::SIGTTOU]);
    let mut native = signal(SignalKind::from_raw(libc::SIGTTOU)).unwrap();
    let theirs = handler_of(libc::SIGTTOU);

    let mut receiver = open_signal_receiver([Signal::SIGTTOU]).unwrap();
    assert_ne!(handler_of(libc::SIGTTOU), theirs);
    raise(libc::SIGTTOU);
    assert_eq!(next(&mut receiver).await, Signal::SIGTTOU);
    let got = anyio::fail_after(Duration::from_secs(10), native.recv()).await;
    assert_eq!(got, Ok(Some(())));

    drop(receiver);
    assert_eq!(handler_of(libc::SIGTTOU), theirs);
    raise(libc::SIGTTOU);
    let got = anyio::fail_after(Duration::from_secs(10), native.recv()).await;
    assert_eq!(got, Ok(Some(())));
}

/// anyio's handler, as the handler below found it: it passes every signal on to it.
static PASS_ON_TO: AtomicUsize = AtomicUsize::new(0);

/// A handler installed over anyio's, which counts and then passes the signal on to the
/// handler it replaced (a three-argument one), as signal-hook's does.
extern "C" fn count_and_pass_on(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
    COUNTS[signal as usize].fetch_add(1, Ordering::SeqCst);
    let next = PASS_ON_TO.load(Ordering::SeqCst);
    if next != libc::SIG_DFL && next != libc::SIG_IGN {
        type Handler = extern "C" fn(c_int, *mut siginfo_t, *mut c_void);
        // SAFETY: `PASS_ON_TO` holds anyio's handler, a three-argument one (checked when it
        // was stored).
        let next = unsafe { std::mem::transmute::<usize, Handler>(next) };
        next(signal, info, context);
    }
}

#[anyio::test]
async fn a_handler_installed_over_anyios_is_kept() {
    // The claim also keeps the two backends' runs from sharing `PASS_ON_TO` at once.
    let _claim = claim(&[libc::SIGIO]);
    let other = address_of_info(count_and_pass_on);
    let counted = count(libc::SIGIO);

    let mut first = open_signal_receiver([Signal::SIGIO]).unwrap();
    let anyios = set_handler(libc::SIGIO, other, libc::SA_SIGINFO);
    assert_ne!(anyios.sa_flags & libc::SA_SIGINFO as c_int, 0);
    PASS_ON_TO.store(anyios.sa_sigaction, Ordering::SeqCst);
    raise(libc::SIGIO);
    assert_eq!(next(&mut first).await, Signal::SIGIO);
    assert_eq!(count(libc::SIGIO) - counted, 1);

    // The last receiver leaves the other handler in place...
    drop(first);
    assert_eq!(handler_of(libc::SIGIO), other);
    raise(libc::SIGIO);
    assert_eq!(count(libc::SIGIO) - counted, 2);

    // ... and a new receiver is reached through it, without installing anyio's over it.
    let mut second = open_signal_receiver([Signal::SIGIO]).unwrap();
    assert_eq!(handler_of(libc::SIGIO), other);
    raise(libc::SIGIO);
    assert_eq!(next(&mut second).await, Signal::SIGIO);
    assert_eq!(count(libc::SIGIO) - counted, 3);
    drop(second);
    assert_eq!(handler_of(libc::SIGIO), other);

    // Once the other handler is gone, anyio's is installed again, and restored again.
    set_handler(libc::SIGIO, libc::SIG_IGN, 0);
    PASS_ON_TO.store(libc::SIG_DFL, Ordering::SeqCst);
    let mut third = open_signal_receiver([Signal::SIGIO]).unwrap();
    assert_eq!(handler_of(libc::SIGIO), anyios.sa_sigaction);
    raise(libc::SIGIO);
    assert_eq!(next(&mut third).await, Signal::SIGIO);
    assert_eq!(count(libc::SIGIO) - counted, 3);
    drop(third);
    assert_eq!(handler_of(libc::SIGIO), libc::SIG_IGN);
}

// --- errors -----------------------------------------------------------------------------------

fn refused(error: &std::io::Error) -> Signal {
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<UnsupportedSignalError>())
        .expect("the error carries an UnsupportedSignalError")
        .signal()
}

#[anyio::test]
async fn signals_anyio_cannot_receive_are_refused_by_name() {
    let _claim = claim(&[libc::SIGTSTP]);
    for signal in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        0,
        -1,
        999,
    ] {
        // Alongside one that could be received: nothing is changed for it either.
        let error = open_signal_receiver([libc::SIGTSTP, signal]).unwrap_err();
        assert_eq!(refused(&error), signal);
        assert_eq!(handler_of(libc::SIGTSTP), libc::SIG_IGN);
    }
    let messages = [
        (libc::SIGKILL, "SIGKILL cannot be caught"),
        (libc::SIGSTOP, "SIGSTOP cannot be caught"),
        (
            libc::SIGSEGV,
            "SIGSEGV reports a fault of the thread that caused it, and is not received",
        ),
        (999, "signal 999 is not a signal that can be caught here"),
    ];
    for (signal, message) in messages {
        let error = open_signal_receiver([signal]).unwrap_err();
        assert_eq!(error.to_string(), message);
    }
    // Numbers the system itself refuses: Linux has 64 signals, and glibc keeps the first two
    // real-time ones for its threads.
    #[cfg(target_os = "linux")]
    {
        let error = open_signal_receiver([65]).unwrap_err();
        assert_eq!(refused(&error), 65);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let error = open_signal_receiver([32]).unwrap_err();
        assert_eq!(refused(&error), 32);
    }
}

/// Without the smol backend, whose reactor serves any thread, there is no backend here.
#[cfg(not(feature = "smol"))]
#[test]
fn opening_outside_a_runtime_is_an_error() {
    let _claim = claim(&[libc::SIGTSTP]);
    let error = open_signal_receiver([Signal::SIGTSTP]).unwrap_err();
    let inner = error.get_ref().expect("the error says why");
    assert!(inner.is::<anyio::NoEventLoopError>(), "{error}");
    assert_eq!(handler_of(libc::SIGTSTP), libc::SIG_IGN);
}

#[test]
fn signals_print_their_names_and_the_types_travel() {
    assert_eq!(Signal::SIGTERM.to_string(), "SIGTERM");
    assert_eq!(format!("{:?}", Signal::SIGINT), "SIGINT");
    assert_eq!(format!("{:?}", Signal::from_raw(77)), "Signal(77)");
    assert_eq!(i32::from(Signal::SIGUSR1), libc::SIGUSR1);
    fn send_sync<T: Send + Sync + std::fmt::Debug>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<SignalReceiver>();
    send_sync::<Signal>();
    error::<UnsupportedSignalError>();
}
