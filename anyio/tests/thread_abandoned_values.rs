//! The value of a `to_thread` call whose caller is gone (abandoned on cancellation) is dropped
//! off the pool's idle list: a drop that panics or blocks neither loses nor holds up the next
//! call (both did, on smol, when the value was dropped by a thread already listed as idle).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyio::to_thread;

/// Sleeps in small steps until `done()` holds; panics after ten seconds.
async fn eventually(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "never reached");
        anyio::sleep(Duration::from_millis(1)).await;
    }
}

/// Runs `body` on `runner` in a thread of its own and waits at most `limit` for its value.
fn bounded<T: Send + 'static>(
    runner: anyio::Runner,
    limit: Duration,
    body: impl std::future::Future<Output = T> + Send + 'static,
) -> Option<T> {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let value = runner.run(body).unwrap();
        let _ = done_tx.send(value);
    });
    done_rx.recv_timeout(limit).ok()
}

/// Starts a call abandoned on cancellation whose closure returns `make()` once released; returns
/// after the caller was cancelled and the closure released (the value is then dropped in
/// `deliver`, the caller being gone).
async fn abandoned_call<V: Send + 'static>(make: impl FnOnce() -> V + Send + 'static) {
    let release = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (release2, started2) = (release.clone(), started.clone());
    let call = to_thread::run_sync(move || {
        started2.store(true, Ordering::SeqCst);
        while !release2.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        make()
    })
    .abandon_on_cancel();
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    let scoped = scope.run(call);
    let mut scoped = Box::pin(scoped);
    // Poll until the thread runs, then cancel: the caller leaves at once.
    let outcome = futures_lite::future::poll_fn(|cx| {
        if started.load(Ordering::SeqCst) {
            handle.cancel();
        } else {
            cx.waker().wake_by_ref();
        }
        scoped.as_mut().poll(cx)
    })
    .await;
    assert!(outcome.is_none(), "the caller was cancelled");
    release.store(true, Ordering::SeqCst);
}

use std::future::Future;

struct PanicsOnDrop(Arc<AtomicBool>);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
        panic!("review2: the abandoned value panics when dropped");
    }
}

/// A panic while an abandoned value is dropped (in `deliver`) ends the worker thread, which is
/// still listed as idle: the next call is handed to the dead thread's mailbox and never runs;
/// its caller waits forever.
fn a_panic_dropping_an_abandoned_value_does_not_lose_the_next_call(runner: anyio::Runner) {
    let outcome = bounded(runner, Duration::from_secs(20), async {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = dropped.clone();
        abandoned_call(move || PanicsOnDrop(flag)).await;
        eventually(|| dropped.load(Ordering::SeqCst)).await;
        // Let the worker finish unwinding.
        anyio::sleep(Duration::from_millis(200)).await;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let next = anyio::move_on_after(
            Duration::from_secs(3),
            to_thread::run_sync(move || {
                flag.store(true, Ordering::SeqCst);
                5
            })
            .abandon_on_cancel(),
        )
        .await;
        (next, ran.load(Ordering::SeqCst))
    });
    assert_eq!(
        outcome,
        Some((Some(5), true)),
        "(the next call's value, whether its closure ran)"
    );
}

#[cfg(feature = "smol")]
#[test]
fn smol_a_panic_dropping_an_abandoned_value_does_not_lose_the_next_call() {
    a_panic_dropping_an_abandoned_value_does_not_lose_the_next_call(anyio::Runner::smol());
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_a_panic_dropping_an_abandoned_value_does_not_lose_the_next_call() {
    a_panic_dropping_an_abandoned_value_does_not_lose_the_next_call(anyio::Runner::tokio());
}

/// A value whose drop blocks until the next call runs.
struct WaitsOnDrop {
    entered: Arc<AtomicBool>,
    signal: mpsc::Receiver<()>,
    got: Arc<AtomicBool>,
}

impl Drop for WaitsOnDrop {
    fn drop(&mut self) {
        self.entered.store(true, Ordering::SeqCst);
        if self.signal.recv_timeout(Duration::from_secs(3)).is_ok() {
            self.got.store(true, Ordering::SeqCst);
        }
        self.entered.store(false, Ordering::SeqCst);
    }
}

/// While a thread drops an abandoned value (in `deliver`), the pool lists it as idle and hands
/// it the next call, which waits for the drop: if the drop waits for that call, they deadlock
/// (here broken after 3 s by the drop's timeout).
fn a_slow_drop_of_an_abandoned_value_does_not_hold_up_the_next_call(runner: anyio::Runner) {
    let outcome = bounded(runner, Duration::from_secs(20), async {
        let entered = Arc::new(AtomicBool::new(false));
        let got = Arc::new(AtomicBool::new(false));
        let (signal_tx, signal_rx) = mpsc::channel();
        let (entered2, got2) = (entered.clone(), got.clone());
        abandoned_call(move || WaitsOnDrop {
            entered: entered2,
            signal: signal_rx,
            got: got2,
        })
        .await;
        eventually(|| entered.load(Ordering::SeqCst)).await;
        let start = Instant::now();
        to_thread::run_sync(move || {
            let _ = signal_tx.send(());
        })
        .await;
        let elapsed = start.elapsed();
        // The drop has returned (it clears `entered` last).
        eventually(|| !entered.load(Ordering::SeqCst)).await;
        (got.load(Ordering::SeqCst), elapsed < Duration::from_secs(1))
    });
    assert_eq!(
        outcome,
        Some((true, true)),
        "(the drop saw the next call run, the next call ran at once)"
    );
}

#[cfg(feature = "smol")]
#[test]
fn smol_a_slow_drop_of_an_abandoned_value_does_not_hold_up_the_next_call() {
    a_slow_drop_of_an_abandoned_value_does_not_hold_up_the_next_call(anyio::Runner::smol());
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_a_slow_drop_of_an_abandoned_value_does_not_hold_up_the_next_call() {
    a_slow_drop_of_an_abandoned_value_does_not_hold_up_the_next_call(anyio::Runner::tokio());
}
