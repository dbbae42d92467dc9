//! Blocking portals on every backend (AnyIO's `TestBlockingPortal` in `test_from_thread.py`):
//! values and panics of calls, `start_task_soon` handles (wait, cancel, await from another
//! runtime), `start_task`, calls refused on the portal's own event-loop thread, calls after
//! `stop`, how the portal's end treats pending calls, `start_blocking_portal`'s thread and
//! errors, the shared `BlockingPortalProvider`, and `wrap_resource`.
#![cfg(feature = "macros")]

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyio::from_thread::{
    BlockingPortal, BlockingPortalProvider, CallError, PortalThread, blocking_portal,
    start_blocking_portal,
};
use anyio::sync::Event;
use anyio::{Backend, RunError, Runner, to_thread};

/// How long a thread waits for a report that must come; far beyond any real delay.
const PATIENCE: Duration = Duration::from_secs(10);

/// Runs `test` on a thread of its own and waits for it at most [`PATIENCE`], re-raising its
/// panic: a call that wrongly blocks fails the test instead of hanging it.
fn within_patience<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || done_tx.send(test()).unwrap());
    match done_rx.recv_timeout(PATIENCE) {
        Ok(value) => {
            thread.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(payload) => panic::resume_unwind(payload),
            Ok(()) => unreachable!("the value was sent"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test hung"),
    }
}

/// A runner, built on demand, with the backend it runs.
type NamedRunner = (Backend, fn() -> Runner);

/// Single-threaded runners of both backends: every call runs on the portal's own thread.
fn single_threaded() -> Vec<NamedRunner> {
    let all: [NamedRunner; 2] = [
        (Backend::Tokio, || Runner::tokio().current_thread()),
        (Backend::Smol, || Runner::smol().threads(1)),
    ];
    compiled_in(all)
}

/// The runners whose backend is compiled into this build.
fn compiled_in(runners: impl IntoIterator<Item = NamedRunner>) -> Vec<NamedRunner> {
    runners
        .into_iter()
        .filter(|(backend, _)| Backend::available().any(|available| available == *backend))
        .collect()
}

/// Every flavour of both backends.
fn runners() -> Vec<NamedRunner> {
    let all: [NamedRunner; 4] = [
        (Backend::Tokio, || Runner::tokio().current_thread()),
        (Backend::Tokio, || Runner::tokio().worker_threads(2)),
        (Backend::Smol, || Runner::smol().threads(1)),
        (Backend::Smol, || Runner::smol().threads(2)),
    ];
    compiled_in(all)
}

/// Runs `test` with a fresh portal thread of every runner of [`runners`], each within patience.
fn on_every_portal(test: fn(Backend, PortalThread)) {
    for (backend, runner) in runners() {
        within_patience(move || test(backend, start_blocking_portal(runner()).unwrap()));
    }
}

/// Waits, without blocking the event loop, for the next value on `receiver`.
async fn receive<T: Send + 'static>(receiver: mpsc::Receiver<T>) -> (T, mpsc::Receiver<T>) {
    to_thread::run_sync(move || {
        let value = receiver
            .recv_timeout(PATIENCE)
            .expect("the report never came");
        (value, receiver)
    })
    .await
}

/// Sleeps until cancelled: a timeout error if no cancellation comes within [`PATIENCE`].
fn until_cancelled() -> anyio::FailAt<anyio::Sleep> {
    anyio::fail_after(PATIENCE, anyio::sleep_forever())
}

/// Sends `()` when dropped: tells another thread that a future was dropped.
struct SendOnDrop(mpsc::Sender<()>);

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

// ---------------------------------------------------------------------------------------------
// Values and panics.

#[test]
fn call_and_call_sync_return_their_values_from_the_portal_loop() {
    on_every_portal(|backend, portal| {
        let caller = std::thread::current().id();
        let sum = portal.call(async {
            anyio::sleep(Duration::from_millis(1)).await;
            (1 + 2, anyio::current_async_library().unwrap())
        });
        assert_eq!(sum, Ok((3, backend)));
        let (value, thread, in_task) = portal
            .call_sync(|| {
                (
                    "sync",
                    std::thread::current().id(),
                    anyio::get_current_task().is_some(),
                )
            })
            .unwrap();
        assert_eq!(value, "sync");
        assert_ne!(thread, caller, "the call ran on the calling thread");
        assert!(in_task, "the call did not run in a task of the loop");
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn a_panic_in_a_call_is_reraised_in_the_caller_and_the_portal_goes_on() {
    on_every_portal(|_, portal| {
        let payload = panic::catch_unwind(AssertUnwindSafe(|| {
            portal.call(async {
                anyio::lowlevel::checkpoint().await;
                panic!("async boom")
            })
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*payload), "async boom");
        let payload = panic::catch_unwind(AssertUnwindSafe(|| {
            portal.call_sync(|| -> i32 { panic!("sync boom") })
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*payload), "sync boom");
        let task = portal
            .start_task_soon(async { panic!("task boom") })
            .unwrap();
        let payload = panic::catch_unwind(AssertUnwindSafe(|| task.wait())).unwrap_err();
        assert_eq!(panic_message(&*payload), "task boom");
        assert_eq!(portal.call_sync(|| 5), Ok(5));
        portal.shut_down(false).unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// start_task_soon and PortalTask.

#[test]
fn start_task_soon_then_wait() {
    on_every_portal(|_, portal| {
        let first = Arc::new(Event::new());
        let second = Arc::new(Event::new());
        let (f, s) = (Arc::clone(&first), Arc::clone(&second));
        let task = portal
            .start_task_soon(async move {
                f.wait().await;
                s.set();
                "test"
            })
            .unwrap();
        assert!(!task.is_finished());
        let f = Arc::clone(&first);
        portal.call_sync(move || f.set()).unwrap();
        let s = Arc::clone(&second);
        portal.call(async move { s.wait().await }).unwrap();
        assert_eq!(task.wait(), Ok("test"));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn start_task_soon_then_cancel_at_once_is_cancelled() {
    on_every_portal(|_, portal| {
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let task = portal
            .start_task_soon(async move {
                let _dropped = SendOnDrop(dropped_tx);
                until_cancelled().await
            })
            .unwrap();
        task.cancel();
        assert_eq!(task.wait(), Err(CallError::Cancelled));
        dropped_rx
            .recv_timeout(PATIENCE)
            .expect("the cancelled task's future was not dropped");
        assert_eq!(portal.call_sync(|| 1), Ok(1));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn start_task_soon_then_cancel_once_running_is_cancelled() {
    on_every_portal(|_, portal| {
        let (running_tx, running_rx) = mpsc::channel();
        let task = portal
            .start_task_soon(async move {
                running_tx.send(()).unwrap();
                until_cancelled().await
            })
            .unwrap();
        running_rx.recv_timeout(PATIENCE).unwrap();
        assert!(!task.is_finished());
        task.cancel();
        assert_eq!(task.wait(), Err(CallError::Cancelled));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn a_portal_task_can_be_awaited_from_another_runtime() {
    on_every_portal(|backend, portal| {
        let task = portal.start_task_soon(async { 6 * 7 }).unwrap();
        assert_eq!(futures_lite::future::block_on(task), Ok(42));

        // On an anyio runtime of the other backend, with the task still running when awaited.
        let release = Arc::new(Event::new());
        let r = Arc::clone(&release);
        let task = portal
            .start_task_soon(async move {
                r.wait().await;
                "released"
            })
            .unwrap();
        // The other backend when it is compiled in, another runtime of the same one otherwise.
        let other = match backend {
            Backend::Tokio if cfg!(feature = "smol") => Runner::smol(),
            _ if cfg!(feature = "tokio") => Runner::tokio().current_thread(),
            _ => Runner::smol(),
        };
        let value = other
            .run(async move {
                let (value, ()) = futures_lite::future::zip(task, async move {
                    anyio::lowlevel::checkpoint().await;
                    release.set();
                })
                .await;
                value
            })
            .unwrap();
        assert_eq!(value, Ok("released"));

        // And in the portal's own loop, awaited rather than waited for.
        let task = portal.start_task_soon(async { 7 }).unwrap();
        assert_eq!(portal.call(task), Ok(Ok(7)));
        portal.shut_down(false).unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// start_task.

#[test]
fn start_task_returns_the_started_value_and_then_the_output() {
    on_every_portal(|_, portal| {
        let (task, value) = portal
            .start_task(|status| async move {
                status.started("foo");
                anyio::lowlevel::checkpoint().await;
                7
            })
            .unwrap();
        assert_eq!(value, "foo");
        assert_eq!(task.wait(), Ok(7));

        let (task, ()) = portal
            .start_task(|status| async move { status.started(()) })
            .unwrap();
        assert_eq!(task.wait(), Ok(()));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn start_task_without_started_is_not_started() {
    on_every_portal(|_, portal| {
        let outcome = portal.start_task(|_status: anyio::TaskStatus<u8>| async {
            anyio::lowlevel::checkpoint().await;
        });
        assert_eq!(outcome.err(), Some(CallError::NotStarted));
        assert_eq!(portal.call_sync(|| 1), Ok(1));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn start_task_reraises_a_panic_before_or_after_started() {
    on_every_portal(|_, portal| {
        let payload = panic::catch_unwind(AssertUnwindSafe(|| {
            portal.start_task(|_status: anyio::TaskStatus<u8>| async { panic!("early") })
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*payload), "early");

        let (task, value) = portal
            .start_task(|status| async move {
                status.started(2);
                anyio::lowlevel::checkpoint().await;
                panic!("late")
            })
            .unwrap();
        assert_eq!(value, 2);
        let payload = panic::catch_unwind(AssertUnwindSafe(|| task.wait())).unwrap_err();
        assert_eq!(panic_message(&*payload), "late");
        portal.shut_down(false).unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// Calls from the portal's own event-loop thread.

#[test]
fn a_blocking_call_inside_a_portal_call_is_refused() {
    on_every_portal(|_, portal| {
        let inner = BlockingPortal::clone(&portal);
        let outcomes = portal
            .call(async move {
                let call = inner.call(async { 1 });
                let call_sync = inner.call_sync(|| 1);
                let start_task = inner
                    .start_task(|status| async move { status.started(1) })
                    .map(|(_, value)| value);
                let resource = inner
                    .wrap_resource(|lease| async move {
                        lease.lend(1).await;
                    })
                    .map(|guard| *guard);
                // Starting does not block and is allowed; waiting is refused, awaiting works.
                let wait = inner.start_task_soon(async { 1 }).unwrap().wait();
                let awaited = inner.start_task_soon(async { 2 }).unwrap().await;
                [call, call_sync, start_task, resource, wait, awaited]
            })
            .unwrap();
        let refused = Err(CallError::EventLoopThread);
        assert_eq!(
            outcomes,
            [
                refused.clone(),
                refused.clone(),
                refused.clone(),
                refused.clone(),
                refused,
                Ok(2)
            ]
        );
        portal.shut_down(false).unwrap();
    });
}

#[anyio::test]
async fn a_blocking_call_inside_the_blocking_portal_body_is_refused() {
    let outcome = blocking_portal(|portal| async move {
        assert_eq!(portal.call_sync(|| 1), Err(CallError::EventLoopThread));
        assert_eq!(portal.call(async { 1 }), Err(CallError::EventLoopThread));
        let task = portal.start_task_soon(async { 3 }).unwrap();
        assert_eq!(task.await, Ok(3));
        Ok::<_, ()>("done")
    })
    .await
    .unwrap();
    assert_eq!(outcome, Some("done"));
}

#[anyio::test]
async fn a_portal_started_from_async_code_is_awaited_not_blocked_on() {
    let runner = if cfg!(feature = "tokio") {
        Runner::tokio().current_thread()
    } else {
        Runner::smol()
    };
    let portal = start_blocking_portal(runner).unwrap();
    assert_eq!(portal.call_sync(|| 1), Err(CallError::EventLoopThread));
    let task = portal.start_task_soon(async { 4 }).unwrap();
    assert_eq!(task.await, Ok(4));
    to_thread::run_sync(move || portal.shut_down(false))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Stopping.

fn assert_every_call_is_run_finished(portal: &BlockingPortal) {
    assert!(portal.is_stopped());
    let finished = |outcome: Result<i32, CallError>| {
        assert!(
            matches!(outcome, Err(CallError::RunFinished(_))),
            "{outcome:?}"
        );
    };
    finished(portal.call(async { 1 }));
    finished(portal.call_sync(|| 1));
    finished(portal.start_task_soon(async { 1 }).map(|_| 1));
    finished(
        portal
            .start_task(|status| async move { status.started(1) })
            .map(|(_, value)| value),
    );
    finished(
        portal
            .wrap_resource(|lease| async move {
                lease.lend(1).await;
            })
            .map(|guard| *guard),
    );
}

#[test]
fn after_stop_every_call_is_run_finished() {
    on_every_portal(|_, portal| {
        assert!(!portal.is_stopped());
        portal.stop(false);
        assert_every_call_is_run_finished(&portal);
        let kept = BlockingPortal::clone(&portal);
        portal.shut_down(false).unwrap();
        assert_every_call_is_run_finished(&kept);
    });
}

#[anyio::test]
async fn after_the_blocking_portal_body_returns_every_call_is_run_finished() {
    let kept = blocking_portal(|portal| async move { Ok::<_, ()>(portal.clone()) })
        .await
        .unwrap()
        .unwrap();
    to_thread::run_sync(move || assert_every_call_is_run_finished(&kept)).await;
}

/// Two threads call into the portal with calls that wait for `release` (or a cancellation);
/// returns their result receiver once both calls run.
async fn two_pending_calls(
    portal: &BlockingPortal,
    release: &Arc<Event>,
) -> mpsc::Receiver<Result<i32, CallError>> {
    let (running_tx, running_rx) = mpsc::channel();
    let (result_tx, result_rx) = mpsc::channel();
    for _ in 0..2 {
        let (portal, release) = (portal.clone(), Arc::clone(release));
        let (running_tx, result_tx) = (running_tx.clone(), result_tx.clone());
        std::thread::spawn(move || {
            let outcome = portal.call(async move {
                running_tx.send(()).unwrap();
                anyio::fail_after(PATIENCE, release.wait())
                    .await
                    .expect("never released nor cancelled");
                5
            });
            result_tx.send(outcome).unwrap();
        });
    }
    let ((), running_rx) = receive(running_rx).await;
    receive(running_rx).await;
    result_rx
}

async fn results_of(
    results: mpsc::Receiver<Result<i32, CallError>>,
) -> Vec<Result<i32, CallError>> {
    let (first, results) = receive(results).await;
    let (second, _) = receive(results).await;
    vec![first, second]
}

#[anyio::test]
async fn a_blocking_portal_body_error_cancels_the_pending_calls() {
    let release = Arc::new(Event::new());
    let (results_tx, results_rx) = mpsc::channel();
    let outcome = blocking_portal(|portal| async move {
        let results = two_pending_calls(&portal, &release).await;
        results_tx.send(results).unwrap();
        Err::<(), _>("body failed")
    })
    .await;
    assert_eq!(outcome.unwrap_err().errors(), ["body failed"]);
    let results = results_rx.try_recv().unwrap();
    assert_eq!(
        results_of(results).await,
        [Err(CallError::Cancelled), Err(CallError::Cancelled)]
    );
}

#[anyio::test]
async fn a_clean_blocking_portal_body_exit_waits_for_the_pending_calls() {
    let release = Arc::new(Event::new());
    let (results_tx, results_rx) = mpsc::channel();
    let outcome = blocking_portal(|portal| async move {
        let results = two_pending_calls(&portal, &release).await;
        results_tx.send(results).unwrap();
        // Released from another thread once the body has returned: the calls are still
        // pending when the body returns (this loop cannot run them before its group decides).
        let (returned_tx, returned_rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if returned_rx.recv_timeout(PATIENCE).is_ok() {
                release.set();
            }
        });
        returned_tx.send(()).unwrap();
        Ok::<_, ()>("body done")
    })
    .await;
    assert_eq!(outcome.unwrap(), Some("body done"));
    let results = results_rx.try_recv().unwrap();
    assert_eq!(results_of(results).await, [Ok(5), Ok(5)]);
}

#[test]
fn stop_with_cancel_remaining_cancels_the_running_calls() {
    on_every_portal(|_, portal| {
        let (running_tx, running_rx) = mpsc::channel();
        let caller = {
            let portal = BlockingPortal::clone(&portal);
            std::thread::spawn(move || {
                portal.call(async move {
                    running_tx.send(()).unwrap();
                    until_cancelled().await
                })
            })
        };
        let forever = portal.start_task_soon(until_cancelled()).unwrap();
        running_rx.recv_timeout(PATIENCE).unwrap();
        portal.stop(true);
        assert_eq!(caller.join().unwrap(), Err(CallError::Cancelled));
        assert_eq!(forever.wait(), Err(CallError::Cancelled));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn stop_without_cancel_remaining_lets_the_running_calls_finish() {
    on_every_portal(|_, portal| {
        let release = Arc::new(Event::new());
        let r = Arc::clone(&release);
        let task = portal
            .start_task_soon(async move {
                anyio::fail_after(PATIENCE, r.wait()).await.unwrap();
                "finished"
            })
            .unwrap();
        portal.stop(false);
        release.set();
        assert_eq!(task.wait(), Ok("finished"));
        portal.shut_down(false).unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// start_blocking_portal's thread.

#[test]
fn start_blocking_portal_names_its_thread_after_the_backend() {
    for (backend, runner) in single_threaded() {
        within_patience(move || {
            let first = start_blocking_portal(runner()).unwrap();
            let second = start_blocking_portal(runner()).unwrap();
            let names = [
                first.call_sync(thread_name).unwrap(),
                second.call_sync(thread_name).unwrap(),
            ];
            let prefix = format!("{backend}-portal-");
            for name in &names {
                let n = name
                    .strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("{name:?} is not {prefix}<n>"));
                assert!(n.parse::<usize>().is_ok(), "{name:?}");
            }
            assert_ne!(names[0], names[1]);
            assert!(format!("{first:?}").contains(&names[0]), "{first:?}");
            // Not the caller's thread.
            assert_ne!(names[0], thread_name());
        });
    }
}

#[test]
fn an_invalid_runner_option_is_the_run_error() {
    let cases = [
        (Runner::tokio().threads(2), "threads"),
        (Runner::smol().worker_threads(2), "worker_threads"),
    ];
    for (runner, expected) in cases {
        if !runner.backend().is_available() {
            continue;
        }
        let error = start_blocking_portal(runner).unwrap_err();
        assert!(
            matches!(error, RunError::InvalidOption { option, .. } if option == expected),
            "{error:?}"
        );
    }
}

/// A runner, on a backend that is compiled in, with an option of the other backend.
fn a_runner_with_an_invalid_option() -> Runner {
    if cfg!(feature = "tokio") {
        Runner::tokio().threads(2)
    } else {
        Runner::smol().worker_threads(2)
    }
}

/// A call pending from another thread when the portal thread is dropped runs to its end: the
/// call waits until the drop has stopped the portal, reports it, and then waits for a signal;
/// the drop must not return before the call finished.
#[test]
fn dropping_a_portal_thread_waits_for_a_pending_call() {
    on_every_portal(|_, portal| {
        let (running_tx, running_rx) = mpsc::channel();
        let (stopped_tx, stopped_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let caller = {
            let portal = BlockingPortal::clone(&portal);
            std::thread::spawn(move || {
                let inner = portal.clone();
                portal.call(async move {
                    running_tx.send(()).unwrap();
                    inner.sleep_until_stopped().await;
                    stopped_tx.send(()).unwrap();
                    to_thread::run_sync(move || release_rx.recv_timeout(PATIENCE))
                        .await
                        .expect("never released");
                    5
                })
            })
        };
        running_rx.recv_timeout(PATIENCE).unwrap();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        std::thread::spawn(move || {
            drop(portal);
            dropped_tx.send(()).unwrap();
        });
        stopped_rx
            .recv_timeout(PATIENCE)
            .expect("the drop did not stop the portal");
        assert_eq!(
            dropped_rx.try_recv(),
            Err(mpsc::TryRecvError::Empty),
            "the drop returned before the pending call finished"
        );
        release_tx.send(()).unwrap();
        assert_eq!(caller.join().unwrap(), Ok(5));
        dropped_rx.recv_timeout(PATIENCE).unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// BlockingPortalProvider.

#[test]
fn a_provider_shares_one_portal_until_the_last_lease_is_dropped() {
    for (backend, runner) in single_threaded() {
        within_patience(move || {
            let provider = BlockingPortalProvider::with_runner(runner);
            let first = provider.acquire().unwrap();
            let first_name = first.call_sync(thread_name).unwrap();
            assert!(first_name.starts_with(&format!("{backend}-portal-")));

            // Another thread acquires while `first` is held: the same portal.
            let (name_tx, name_rx) = mpsc::channel();
            let (done_tx, done_rx) = mpsc::channel::<()>();
            let (dropped_tx, dropped_rx) = mpsc::channel();
            let other = {
                let provider = provider.clone();
                std::thread::spawn(move || {
                    let second = provider.acquire().unwrap();
                    name_tx
                        .send(second.call_sync(thread_name).unwrap())
                        .unwrap();
                    done_rx.recv_timeout(PATIENCE).unwrap();
                    // `first` is gone by now: the portal still serves this lease.
                    let name = second.call_sync(thread_name).unwrap();
                    let kept = BlockingPortal::clone(&second);
                    drop(second);
                    dropped_tx.send((name, kept)).unwrap();
                })
            };
            assert_eq!(name_rx.recv_timeout(PATIENCE).unwrap(), first_name);
            let portal = BlockingPortal::clone(&first);
            drop(first);
            assert!(!portal.is_stopped(), "a lease was still held");
            done_tx.send(()).unwrap();
            let (name, kept) = dropped_rx.recv_timeout(PATIENCE).unwrap();
            other.join().unwrap();
            assert_eq!(name, first_name);
            // The last lease stopped the portal.
            assert!(kept.is_stopped());
            assert!(matches!(
                kept.call_sync(|| 1),
                Err(CallError::RunFinished(_))
            ));

            // A later acquire starts a new portal.
            let third = provider.acquire().unwrap();
            let third_name = third.call_sync(thread_name).unwrap();
            assert_ne!(third_name, first_name);
            assert!(third_name.starts_with(&format!("{backend}-portal-")));
        });
    }
}

#[test]
fn a_provider_with_an_invalid_runner_reports_the_run_error() {
    let provider = BlockingPortalProvider::with_runner(a_runner_with_an_invalid_option);
    assert!(matches!(
        provider.acquire(),
        Err(RunError::InvalidOption { .. })
    ));
    // Nothing is left held: a later acquire tries again (and fails again).
    assert!(provider.acquire().is_err());
}

// ---------------------------------------------------------------------------------------------
// wrap_resource.

type Log = Arc<Mutex<Vec<String>>>;

fn logged(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Wraps a resource that logs its set-up and tear-down (with how it was released).
fn wrap_logged(
    portal: &BlockingPortal,
    log: &Log,
) -> Result<anyio::from_thread::PortalResource<String>, CallError> {
    let log = Arc::clone(log);
    portal.wrap_resource(move |lease| async move {
        anyio::lowlevel::checkpoint().await;
        log.lock().unwrap().push("set up".to_owned());
        let how = lease.lend("test".to_owned()).await;
        anyio::lowlevel::checkpoint().await;
        log.lock().unwrap().push(format!("torn down: {how:?}"));
    })
}

#[test]
fn wrap_resource_sets_up_before_and_tears_down_when_the_guard_drops() {
    on_every_portal(|_, portal| {
        let log = Log::default();
        let mut guard = wrap_logged(&portal, &log).unwrap();
        assert_eq!(logged(&log), ["set up"]);
        assert_eq!(*guard, "test");
        guard.push('!');
        assert_eq!(guard.as_str(), "test!");
        drop(guard);
        assert_eq!(logged(&log), ["set up", "torn down: Returned"]);

        let log = Log::default();
        let guard = wrap_logged(&portal, &log).unwrap();
        assert_eq!(guard.release(), Ok(()));
        assert_eq!(logged(&log), ["set up", "torn down: Returned"]);
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn wrap_resource_dropped_during_a_panic_is_released_panicking() {
    on_every_portal(|_, portal| {
        let log = Log::default();
        let payload = panic::catch_unwind(AssertUnwindSafe(|| {
            let guard = wrap_logged(&portal, &log).unwrap();
            assert_eq!(*guard, "test");
            panic!("while holding the resource");
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*payload), "while holding the resource");
        assert_eq!(logged(&log), ["set up", "torn down: Panicking"]);
        assert_eq!(portal.call_sync(|| 1), Ok(1));
        portal.shut_down(false).unwrap();
    });
}

#[test]
fn wrap_resource_errors_and_panics() {
    on_every_portal(|_, portal| {
        // Nothing lent.
        let outcome =
            portal.wrap_resource(|_lease: anyio::from_thread::ResourceLease<u8>| async {});
        assert_eq!(outcome.err(), Some(CallError::NotStarted));
        // A panic in the set-up is re-raised by wrap_resource.
        let payload = panic::catch_unwind(AssertUnwindSafe(|| {
            portal.wrap_resource(|_lease: anyio::from_thread::ResourceLease<u8>| async {
                panic!("set-up failed")
            })
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*payload), "set-up failed");
        // A panic in the tear-down is re-raised by release.
        let guard = portal
            .wrap_resource(|lease| async move {
                lease.lend(1).await;
                panic!("tear-down failed")
            })
            .unwrap();
        let payload = panic::catch_unwind(AssertUnwindSafe(|| guard.release())).unwrap_err();
        assert_eq!(panic_message(&*payload), "tear-down failed");
        assert_eq!(portal.call_sync(|| 1), Ok(1));
        portal.shut_down(false).unwrap();
    });
}
