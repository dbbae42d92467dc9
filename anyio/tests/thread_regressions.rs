//! Regression tests for bugs a review of threads and portals found (each failed before its
//! fix), and for races it checked: a default limiter first used while tokio shuts down, a
//! shield switched on after a thread returned to a cancelled caller, a refused portal call that
//! ran anyway, finished calls listed as running, a portal cancelled from outside, a worker's
//! default limiter. Each is bounded by a watchdog (a hang fails the test instead of stalling
//! the run).

use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyio::from_thread::{self, BlockingPortal, CallError};
use anyio::{CancelScope, to_thread};

/// Runs `body` on a thread and fails if it does not return within `secs` seconds.
fn watchdog<T: Send + 'static>(secs: u64, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
        let _ = done.send(outcome);
    });
    match finished.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("hang: the body did not return within {secs} s"),
    }
}

/// Finding: the first use of the default thread limiter on a tokio runtime that is shutting
/// down deadlocks in `RuntimeLocal::get_or_init`: tokio drops the guard task inline (the
/// runtime is closed) while the table's lock is held, and the guard's drop takes that lock.
/// The runtime waits for the worker thread for ever.
#[cfg(feature = "tokio")]
#[test]
fn default_limiter_first_used_while_tokio_shuts_down_does_not_hang() {
    watchdog(20, || {
        let custom = Arc::new(anyio::sync::CapacityLimiter::new(1));
        let started = Arc::new(anyio::sync::Event::new());
        let got = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let got2 = got.clone();
        anyio::Runner::tokio()
            .run(async move {
                let scope = CancelScope::new();
                let handle = scope.handle();
                let started2 = started.clone();
                let token = anyio::lowlevel::current_token();
                anyio::task_group(|tg: anyio::TaskGroup<std::convert::Infallible>| async move {
                    tg.spawn(async move {
                        started.wait().await;
                        handle.cancel();
                    });
                    scope
                        .run(
                            to_thread::run_sync(move || {
                                token.run_sync(move || started2.set()).unwrap();
                                // Wait (without sleeping) until the runtime is shutting down.
                                loop {
                                    match from_thread::run_sync(|| ()) {
                                        Err(CallError::RunFinished(_)) => break,
                                        _ => std::thread::yield_now(),
                                    }
                                }
                                eprintln!("REVIEW: runtime is shutting down; asking for the default limiter");
                                let _ = to_thread::current_default_thread_limiter();
                                eprintln!("REVIEW: got it");
                                got2.store(true, Ordering::SeqCst);
                            })
                            .limiter(custom)
                            .abandon_on_cancel(),
                        )
                        .await;
                })
                .await
                .unwrap();
            })
            .unwrap();
        assert!(got.load(Ordering::SeqCst));
    });
}

/// Finding: `RunSync` drops the thread's value and parks for ever in `Stage::Cancelled` when a
/// cancellation is pending as the value arrives. Shields can be switched on at run time
/// (DESIGN §4 rule 3): once the body is no longer effectively cancelled, every other anyio
/// operation proceeds at its next poll, but `RunSync` stays pending for ever (its value is
/// already gone), and the enclosing scope, held by the shield, hangs.
fn run_sync_recovers_after_shield_switched_on(runner: anyio::Runner) {
    watchdog(20, move || {
        let outcome = runner
            .run(async {
                let outer = CancelScope::new();
                let outer_handle = outer.handle();
                let (go, wait_go) = mpsc::channel::<()>();
                let stage = Arc::new(std::sync::Mutex::new(String::new()));
                let call = Observed {
                    inner: to_thread::run_sync(move || {
                        wait_go.recv().unwrap();
                        7
                    }),
                    stage: stage.clone(),
                };
                outer
                    .run(async move {
                        // The call's own scope, whose shield is switched on later.
                        let mut call = CancelScope::new().run(call);
                        let call_scope = call.handle();
                        // `zip` polls the call first: its thread has started when the driver
                        // cancels the outer scope.
                        let driver = CancelScope::new().shield(true).run(async move {
                            outer_handle.cancel();
                            go.send(()).unwrap();
                            // Wait (shielded) until the call has seen the thread's value.
                            while stage.lock().unwrap().contains("running") {
                                anyio::sleep(Duration::from_millis(1)).await;
                            }
                            // From now on the call's scope shields it from the outer scope.
                            call_scope.set_shield(true);
                        });
                        futures_lite::future::zip(call, driver).await
                    })
                    .await
            })
            .unwrap();
        // The body is no longer cancelled: the value comes back, as an `Event::wait` would.
        assert_eq!(outcome, Some((Some(7), Some(()))));
    });
}

/// Polls `inner` and records its Debug form (its stage) after every poll.
struct Observed<F> {
    inner: F,
    stage: Arc<std::sync::Mutex<String>>,
}

impl<F: std::future::Future + Unpin + std::fmt::Debug> std::future::Future for Observed<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = &mut *self;
        let polled = std::pin::Pin::new(&mut this.inner).poll(cx);
        *this.stage.lock().unwrap() = if polled.is_ready() {
            "done".to_owned()
        } else {
            format!("{:?}", this.inner)
        };
        polled
    }
}

/// Control for the test above: the same shape with an `Event::wait` instead of `run_sync`
/// completes (the wait proceeds once the shield is on).
#[cfg(feature = "tokio")]
fn event_wait_recovers_after_shield_switched_on(runner: anyio::Runner) {
    watchdog(20, move || {
        let outcome = runner
            .run(async {
                let outer = CancelScope::new();
                let outer_handle = outer.handle();
                let event = Arc::new(anyio::sync::Event::new());
                let set_later = event.clone();
                outer
                    .run(async move {
                        let mut wait = CancelScope::new().run(async move { event.wait().await });
                        let wait_scope = wait.handle();
                        let driver = CancelScope::new().shield(true).run(async move {
                            anyio::sleep(Duration::from_millis(1)).await;
                            outer_handle.cancel();
                            anyio::sleep(Duration::from_millis(5)).await;
                            wait_scope.set_shield(true);
                            set_later.set();
                        });
                        futures_lite::future::zip(wait, driver).await
                    })
                    .await
            })
            .unwrap();
        assert!(outcome.is_some(), "{outcome:?}");
    });
}

#[cfg(feature = "tokio")]
#[test]
fn control_event_wait_recovers_after_shield_switched_on_tokio() {
    event_wait_recovers_after_shield_switched_on(anyio::Runner::tokio());
}

#[cfg(feature = "tokio")]
#[test]
fn run_sync_recovers_after_shield_switched_on_tokio() {
    run_sync_recovers_after_shield_switched_on(anyio::Runner::tokio());
}

#[cfg(feature = "smol")]
#[test]
fn run_sync_recovers_after_shield_switched_on_smol() {
    run_sync_recovers_after_shield_switched_on(anyio::Runner::smol());
}

/// Finding: `BlockingPortal::spawn` lists a call's root scope in `live` after spawning it, unless
/// `handle.is_finished()`. The call's `Forget` guard runs when the call's future ends, before the
/// task's outcome is recorded: a call that ends in that window is listed after its `Forget` ran
/// and stays in `live` for ever (the portal's Debug shows it as running; memory grows with every
/// such call on a long-lived portal).
#[cfg(feature = "tokio")]
#[test]
fn portal_forgets_every_finished_call() {
    watchdog(120, || {
        let portal =
            from_thread::start_blocking_portal(anyio::Runner::tokio().worker_threads(4)).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let portal = BlockingPortal::clone(&portal);
                std::thread::spawn(move || {
                    for _ in 0..50_000 {
                        portal.call_sync(|| ()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let shown = format!("{:?}", *portal);
        assert!(shown.contains("calls_running: 0"), "{shown}");
    });
}

/// Finding: `BlockingPortal::call` (and `call_sync`, `wrap_resource`'s siblings built on it)
/// on an event-loop thread returns `Err(CallError::EventLoopThread)`, yet the call was already
/// spawned by `start_task_soon` before `wait` refused to block: the "refused" code runs anyway.
#[cfg(feature = "tokio")]
#[test]
fn portal_call_refused_on_an_event_loop_thread_does_not_run() {
    watchdog(20, || {
        let portal = from_thread::start_blocking_portal(anyio::Runner::tokio()).unwrap();
        let handle = BlockingPortal::clone(&portal);
        let (ran, saw_run) = mpsc::channel::<()>();
        anyio::Runner::tokio()
            .run(async move {
                let refused = handle.call_sync(move || ran.send(()).unwrap());
                assert_eq!(refused, Err(CallError::EventLoopThread));
                // A refused call must not run: nothing should arrive.
                let arrived =
                    to_thread::run_sync(move || saw_run.recv_timeout(Duration::from_secs(2))).await;
                assert!(
                    arrived.is_err(),
                    "the call was refused with EventLoopThread but ran in the portal"
                );
            })
            .unwrap();
        portal.shut_down(false).unwrap();
    });
}

/// Lesser: a portal whose body was cancelled (the enclosing scope) never sets `stopped`:
/// `is_stopped()` stays false after the portal is gone, and a `sleep_until_stopped` elsewhere
/// never returns.
#[cfg(feature = "tokio")]
#[test]
fn portal_cancelled_from_outside_reports_stopped() {
    watchdog(20, || {
        anyio::Runner::tokio()
            .run(async {
                let (keep, kept) = mpsc::channel();
                let scope = CancelScope::new();
                let handle = scope.handle();
                let _ = scope
                    .run(from_thread::blocking_portal(|portal| async move {
                        keep.send(portal.clone()).unwrap();
                        handle.cancel();
                        anyio::sleep_forever().await;
                    }))
                    .await;
                let portal: BlockingPortal = kept.recv().unwrap();
                let call = to_thread::run_sync({
                    let portal = portal.clone();
                    move || portal.call_sync(|| ())
                })
                .await;
                assert!(matches!(call, Err(CallError::RunFinished(_))), "{call:?}");
                assert!(
                    portal.is_stopped(),
                    "the portal is gone but says it is not stopped"
                );
            })
            .unwrap();
    });
}

/// Stress: calls racing `shut_down(true)` from several threads all end (none is left waiting
/// in a portal whose clean exit would wait for it).
fn calls_racing_stop_all_end(runner: fn() -> anyio::Runner) {
    watchdog(60, move || {
        for _ in 0..50 {
            let portal = from_thread::start_blocking_portal(runner()).unwrap();
            let ended = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let portal = BlockingPortal::clone(&portal);
                    let ended = ended.clone();
                    std::thread::spawn(move || {
                        loop {
                            match portal.call(anyio::sleep_forever()) {
                                Err(CallError::RunFinished(_)) => break,
                                Err(CallError::Cancelled) => {}
                                other => panic!("{other:?}"),
                            }
                        }
                        ended.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            // Let the callers get going (any amount works; none is needed for correctness).
            std::thread::yield_now();
            portal.shut_down(true).unwrap();
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(ended.load(Ordering::SeqCst), 4);
        }
    });
}

#[cfg(feature = "tokio")]
#[test]
fn calls_racing_stop_all_end_tokio() {
    calls_racing_stop_all_end(|| anyio::Runner::tokio().worker_threads(4));
}

#[cfg(feature = "smol")]
#[test]
fn calls_racing_stop_all_end_smol() {
    calls_racing_stop_all_end(|| anyio::Runner::smol().threads(4));
}

/// Check: a closure that panics after its (non-abandoning) caller was cancelled: the panic
/// reaches the caller's task group and the run ends (no hang, no lost panic).
fn panic_after_cancel_reaches_the_group(runner: anyio::Runner) {
    watchdog(20, move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runner.run(async {
                anyio::task_group(
                    |tg: anyio::TaskGroup<std::convert::Infallible>| async move {
                        let scope = tg.cancel_scope();
                        let started = Arc::new(anyio::sync::Event::new());
                        let started2 = started.clone();
                        tg.spawn(async move {
                            to_thread::run_sync(move || {
                                from_thread::run_sync(move || started2.set()).unwrap();
                                while from_thread::check_cancelled().is_ok() {
                                    std::thread::yield_now();
                                }
                                panic!("late panic");
                            })
                            .await;
                        });
                        started.wait().await;
                        scope.cancel();
                    },
                )
                .await
            })
        }));
        let payload = outcome.expect_err("the panic was lost");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"late panic"));
    });
}

#[cfg(feature = "tokio")]
#[test]
fn panic_after_cancel_reaches_the_group_tokio() {
    panic_after_cancel_reaches_the_group(anyio::Runner::tokio());
}

#[cfg(feature = "smol")]
#[test]
fn panic_after_cancel_reaches_the_group_smol() {
    panic_after_cancel_reaches_the_group(anyio::Runner::smol());
}

/// Lesser: on a current-thread tokio runtime, a worker thread asking for the default thread
/// limiter gets another limiter than its runtime's (with smol compiled in, the blocking thread
/// counts as "smol" and gets the process-wide smol limiter; without smol, NoEventLoopError).
#[cfg(feature = "tokio")]
#[test]
fn worker_sees_its_runtimes_default_limiter_current_thread_tokio() {
    watchdog(20, || {
        anyio::Runner::tokio()
            .current_thread()
            .run(async {
                let here = to_thread::current_default_thread_limiter().unwrap();
                let there = to_thread::run_sync(to_thread::current_default_thread_limiter)
                    .await
                    .unwrap();
                assert!(Arc::ptr_eq(&here, &there), "{here:?} vs {there:?}");
            })
            .unwrap();
    });
}
