//! `from_thread::{run, run_sync, check_cancelled}` and event-loop tokens on every backend: values
//! and panics coming back to the thread, the host's cancellation reaching the call, the errors
//! of calls that have no loop to reach or would block their own, calls after the runtime has
//! shut down, and native runners (AnyIO's `test_from_thread.py`, without the blocking portal).
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::ThreadId;
use std::time::Duration;

use anyio::from_thread::{self, CallError};
use anyio::lowlevel::EventLoopToken;
use anyio::sync::Event;
use anyio::{Backend, CancelScope, TaskId, to_thread};
use futures_lite::FutureExt;

type Group = anyio::TaskGroup<Infallible>;

/// How long a thread waits for a report that must come; far beyond any real delay.
const PATIENCE: Duration = Duration::from_secs(10);

/// Waits, without blocking the event loop, for the next value on `receiver`; panics if none
/// comes within [`PATIENCE`].
async fn receive<T: Send + 'static>(receiver: mpsc::Receiver<T>) -> T {
    to_thread::run_sync(move || receiver.recv_timeout(PATIENCE))
        .await
        .expect("the report never came")
}

/// Sleeps until cancelled, in a call into the loop: `Err(TimeoutError)` if no cancellation
/// comes within [`PATIENCE`], so that a cancellation that never arrives fails the test instead
/// of hanging it.
fn until_cancelled() -> anyio::FailAt<anyio::Sleep> {
    anyio::fail_after(PATIENCE, anyio::sleep_forever())
}

/// Runs `test` on a thread of its own and waits for it at most [`PATIENCE`]: a call that
/// wrongly blocks its own event loop fails the test instead of hanging it. (The stuck thread
/// is left behind; the test has failed anyway.)
fn within_patience<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || done_tx.send(test()).unwrap());
    match done_rx.recv_timeout(PATIENCE) {
        Ok(value) => {
            thread.join().unwrap();
            value
        }
        // The test panicked: re-raise its panic here.
        Err(mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the value was sent"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test hung"),
    }
}

/// A runner, built on demand, and its name for failure messages.
type NamedRunner = (&'static str, fn() -> anyio::Runner);

/// Every flavour of both backends, for tests that run their own runners.
fn runners() -> Vec<NamedRunner> {
    let all: [NamedRunner; 4] = [
        ("tokio current-thread", || {
            anyio::Runner::tokio().current_thread()
        }),
        ("tokio multi-thread", || {
            anyio::Runner::tokio().worker_threads(2)
        }),
        ("smol", || anyio::Runner::smol().threads(1)),
        ("smol multi-thread", || anyio::Runner::smol().threads(2)),
    ];
    compiled_in(all)
}

/// The runners whose backend is compiled into this build.
fn compiled_in(runners: impl IntoIterator<Item = NamedRunner>) -> Vec<NamedRunner> {
    runners
        .into_iter()
        .filter(|(_, runner)| {
            anyio::Backend::available().any(|backend| backend == runner().backend())
        })
        .collect()
}

/// Runs the future `test` makes on every runner of [`runners`], each [`within_patience`].
fn on_every_runner<F, Fut>(test: F)
where
    F: Fn(&'static str) -> Fut + Send + Copy + 'static,
    Fut: std::future::Future<Output = ()>,
{
    for (name, runner) in runners() {
        within_patience(move || runner().run(test(name)).unwrap());
    }
}

/// What a call into the loop saw there.
#[derive(Debug)]
struct Seen {
    task: Option<(TaskId, Option<TaskId>)>,
    thread: ThreadId,
    backend: Backend,
}

fn seen() -> Seen {
    Seen {
        task: anyio::get_current_task().map(|task| (task.id(), task.parent_id())),
        thread: std::thread::current().id(),
        backend: anyio::current_async_library().unwrap(),
    }
}

/// Sends `()` when dropped: tells another thread that a future was dropped.
struct SendOnDrop(mpsc::Sender<()>);

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

// ---------------------------------------------------------------------------------------------
// Values and panics.

#[anyio::test]
async fn run_from_a_worker_returns_the_value_of_a_task_in_the_event_loop() {
    let host = anyio::get_current_task().unwrap().id();
    let backend = anyio::current_async_library().unwrap();
    let (worker, value, seen) = to_thread::run_sync(|| {
        let value = from_thread::run(async {
            anyio::lowlevel::checkpoint().await;
            1 + 2
        });
        (
            std::thread::current().id(),
            value,
            from_thread::run(async { seen() }),
        )
    })
    .await;
    assert_eq!(value, Ok(3));
    let seen = seen.unwrap();
    let (task, parent) = seen.task.expect("the call runs as an anyio task");
    assert_ne!(task, host, "the call runs as a task of its own");
    assert_eq!(parent, Some(host), "the call's task is a child of its host");
    assert_ne!(
        seen.thread, worker,
        "the call runs in the loop, not in the worker"
    );
    assert_eq!(seen.backend, backend);
}

#[anyio::test]
async fn run_sync_from_a_worker_runs_the_function_in_the_event_loop() {
    let host = anyio::get_current_task().unwrap().id();
    let backend = anyio::current_async_library().unwrap();
    let (worker, value, seen) = to_thread::run_sync(|| {
        (
            std::thread::current().id(),
            from_thread::run_sync(|| 1 + 2),
            from_thread::run_sync(seen),
        )
    })
    .await;
    assert_eq!(value, Ok(3));
    let seen = seen.unwrap();
    let (task, parent) = seen.task.expect("the function runs in an anyio task");
    assert_ne!(task, host);
    assert_eq!(parent, Some(host));
    assert_ne!(seen.thread, worker);
    assert_eq!(seen.backend, backend);
}

#[anyio::test]
async fn the_called_future_may_sleep_and_use_anyio() {
    let event = Arc::new(Event::new());
    let set_in_loop = event.clone();
    let rounds = to_thread::run_sync(move || {
        let mut rounds = 0;
        for _ in 0..3 {
            from_thread::run(async {
                anyio::sleep(Duration::from_millis(1)).await;
            })
            .unwrap();
            rounds += 1;
        }
        from_thread::run_sync(move || set_in_loop.set()).unwrap();
        rounds
    })
    .await;
    assert_eq!(rounds, 3);
    assert!(event.is_set());
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn many_workers_call_in_at_once() {
    const WORKERS: usize = 10;
    const CALLS: usize = 10;
    let total = Arc::new(AtomicUsize::new(0));
    let counted = total.clone();
    anyio::task_group(|tg: Group| async move {
        for _ in 0..WORKERS {
            let total = counted.clone();
            tg.spawn(to_thread::run_sync(move || {
                for _ in 0..CALLS {
                    let total = total.clone();
                    from_thread::run(async move {
                        anyio::lowlevel::checkpoint().await;
                        total.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                }
            }));
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(total.load(Ordering::SeqCst), WORKERS * CALLS);
}

#[anyio::test]
async fn a_panic_in_run_is_raised_in_the_worker_thread() {
    let caught = to_thread::run_sync(|| {
        let outcome = std::panic::catch_unwind(|| {
            from_thread::run(async {
                anyio::lowlevel::checkpoint().await;
                panic!("boom in the loop")
            })
        });
        outcome
            .unwrap_err()
            .downcast_ref::<&str>()
            .map(|message| message.to_string())
    })
    .await;
    assert_eq!(caught.as_deref(), Some("boom in the loop"));
    // The event loop and the worker threads survive.
    assert_eq!(
        to_thread::run_sync(|| from_thread::run(async { 1 })).await,
        Ok(1)
    );
}

#[anyio::test]
async fn a_panic_in_run_sync_is_raised_in_the_worker_thread() {
    let caught = to_thread::run_sync(|| {
        std::panic::catch_unwind(|| from_thread::run_sync(|| -> u8 { panic!("boom in sync") }))
            .unwrap_err()
            .downcast_ref::<&str>()
            .map(|message| message.to_string())
    })
    .await;
    assert_eq!(caught.as_deref(), Some("boom in sync"));
}

#[anyio::test]
async fn a_panic_in_the_called_code_reaches_the_awaiting_task() {
    let caught = AssertUnwindSafe(to_thread::run_sync(|| {
        from_thread::run(async { panic!("boom through two threads") })
    }))
    .catch_unwind()
    .await
    .unwrap_err();
    assert_eq!(
        caught.downcast_ref::<&str>(),
        Some(&"boom through two threads")
    );
    let caught = AssertUnwindSafe(to_thread::run_sync(|| {
        from_thread::run_sync(|| -> u8 { panic!("sync boom through two threads") })
    }))
    .catch_unwind()
    .await
    .unwrap_err();
    assert_eq!(
        caught.downcast_ref::<&str>(),
        Some(&"sync boom through two threads")
    );
}

// ---------------------------------------------------------------------------------------------
// The host's cancellation reaches the call.

#[anyio::test]
async fn a_deadline_on_the_host_cancels_the_call() {
    let (report_tx, report_rx) = mpsc::channel();
    let outcome = anyio::move_on_after(
        Duration::from_millis(10),
        to_thread::run_sync(move || {
            report_tx.send(from_thread::run(until_cancelled())).unwrap();
        }),
    )
    .await;
    assert_eq!(outcome, None);
    // Without abandon_on_cancel the host waited for its thread: the report is already there.
    assert_eq!(report_rx.try_recv(), Ok(Err(CallError::Cancelled)));
}

#[anyio::test]
async fn a_deadline_on_the_host_cancels_the_call_of_an_abandoned_thread() {
    let (report_tx, report_rx) = mpsc::channel();
    let outcome = anyio::move_on_after(
        Duration::from_millis(10),
        to_thread::run_sync(move || {
            report_tx.send(from_thread::run(until_cancelled())).unwrap();
        })
        .abandon_on_cancel(),
    )
    .await;
    assert_eq!(outcome, None);
    assert_eq!(receive(report_rx).await, Err(CallError::Cancelled));
}

/// The worker's report: already there if the host waited for its thread, else waited for.
async fn report<T: Send + 'static>(receiver: mpsc::Receiver<T>, abandoned: bool) -> T {
    if abandoned {
        receive(receiver).await
    } else {
        receiver
            .try_recv()
            .expect("the host waited for its thread, which reported")
    }
}

/// A task of the host's cancels the host's scope from another task while the worker's call
/// runs in the loop.
async fn cancel_from_another_task(abandon: bool) {
    let (running_tx, running_rx) = mpsc::channel::<()>();
    let (report_tx, report_rx) = mpsc::channel();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let call = to_thread::run_sync(move || {
        let outcome = from_thread::run(async move {
            running_tx.send(()).unwrap();
            until_cancelled().await
        });
        report_tx.send(outcome).unwrap();
    });
    let call = if abandon {
        call.abandon_on_cancel()
    } else {
        call
    };
    let caught = handle.clone();
    anyio::task_group(|tg: Group| async move {
        let host = tg.spawn(async move { Ok(scope.run(call).await) });
        receive(running_rx).await;
        handle.cancel();
        assert_eq!(host.await.unwrap(), None);
        Ok(())
    })
    .await
    .unwrap();
    assert!(caught.cancelled_caught());
    assert_eq!(report(report_rx, abandon).await, Err(CallError::Cancelled));
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn cancelling_the_hosts_scope_from_another_task_cancels_the_call() {
    cancel_from_another_task(false).await;
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn cancelling_the_hosts_scope_from_another_task_cancels_the_call_of_an_abandoned_thread() {
    cancel_from_another_task(true).await;
}

/// The called future cancels its own host's scope (AnyIO's "time bomb").
async fn the_call_cancels_its_own_host(abandon: bool) {
    let (report_tx, report_rx) = mpsc::channel();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let bomb = handle.clone();
    let call = to_thread::run_sync(move || {
        let outcome = from_thread::run(async move {
            bomb.cancel();
            until_cancelled().await
        });
        report_tx.send(outcome).unwrap();
    });
    let call = if abandon {
        call.abandon_on_cancel()
    } else {
        call
    };
    assert_eq!(scope.run(call).await, None);
    assert!(handle.cancelled_caught());
    assert_eq!(report(report_rx, abandon).await, Err(CallError::Cancelled));
}

#[anyio::test]
async fn a_call_that_cancels_its_hosts_scope_is_cancelled() {
    the_call_cancels_its_own_host(false).await;
}

#[anyio::test]
async fn a_call_that_cancels_its_hosts_scope_is_cancelled_when_abandoned() {
    the_call_cancels_its_own_host(true).await;
}

#[anyio::test]
async fn an_abandoned_thread_calling_in_after_its_host_left_is_cancelled() {
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (report_tx, report_rx) = mpsc::channel();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let call = scope.run(
        to_thread::run_sync(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            let checked = from_thread::check_cancelled();
            // Cancellation reaches the call at its first checkpoint, as in any task.
            let called = from_thread::run(async {
                anyio::lowlevel::checkpoint().await;
                1
            });
            report_tx.send((checked, called)).unwrap();
        })
        .abandon_on_cancel(),
    );
    anyio::task_group(|tg: Group| async move {
        let host = tg.spawn(async move { Ok(call.await) });
        receive(started_rx).await;
        handle.cancel();
        assert_eq!(host.await.unwrap(), None);
        Ok(())
    })
    .await
    .unwrap();
    // The host has left its scope; only now does the thread call in.
    release_tx.send(()).unwrap();
    assert_eq!(
        receive(report_rx).await,
        (Err(CallError::Cancelled), Err(CallError::Cancelled))
    );
}

#[anyio::test]
async fn a_shielded_host_is_not_cancelled_by_an_outer_scope() {
    let (report_tx, report_rx) = mpsc::channel();
    let outer = CancelScope::new();
    outer.handle().cancel();
    outer
        .run(async move {
            CancelScope::new()
                .shield(true)
                .run(to_thread::run_sync(move || {
                    let checked = from_thread::check_cancelled();
                    let called = from_thread::run(async {
                        anyio::sleep(Duration::from_millis(1)).await;
                        5
                    });
                    report_tx.send((checked, called)).unwrap();
                }))
                .await
        })
        .await;
    assert_eq!(report_rx.try_recv(), Ok((Ok(()), Ok(5))));
}

// ---------------------------------------------------------------------------------------------
// Calls with nowhere to go, or that would block their own loop.

fn every_free_call() -> [Result<(), CallError>; 3] {
    [
        from_thread::run(async {}),
        from_thread::run_sync(|| {}),
        from_thread::check_cancelled(),
    ]
}

#[test]
fn a_plain_thread_without_any_event_loop_has_no_event_loop_to_call() {
    for outcome in every_free_call() {
        assert!(
            matches!(outcome, Err(CallError::NoEventLoop(_))),
            "{outcome:?}"
        );
    }
}

#[anyio::test]
async fn a_plain_thread_beside_a_running_loop_has_no_event_loop_to_call() {
    let outcomes = std::thread::spawn(every_free_call);
    let outcomes = to_thread::run_sync(move || outcomes.join().unwrap()).await;
    for outcome in outcomes {
        assert!(
            matches!(outcome, Err(CallError::NoEventLoop(_))),
            "{outcome:?}"
        );
    }
}

#[anyio::test]
async fn async_code_has_no_host_to_call() {
    for outcome in every_free_call() {
        assert!(
            matches!(outcome, Err(CallError::NoEventLoop(_))),
            "{outcome:?}"
        );
    }
    // Nor has the code a worker runs in the loop: it is not on the worker's thread.
    let nested = to_thread::run_sync(|| from_thread::run(async { every_free_call() })).await;
    for outcome in nested.unwrap() {
        assert!(
            matches!(outcome, Err(CallError::NoEventLoop(_))),
            "{outcome:?}"
        );
    }
}

fn every_token_call(token: &EventLoopToken) -> [Result<u8, CallError>; 2] {
    [token.run(async { 1 }), token.run_sync(|| 2)]
}

const REFUSED: [Result<u8, CallError>; 2] = [
    Err(CallError::EventLoopThread),
    Err(CallError::EventLoopThread),
];

#[test]
fn a_token_used_in_the_main_task_is_refused_at_once() {
    on_every_runner(|runner| async move {
        let token = anyio::lowlevel::current_token();
        assert_eq!(every_token_call(&token), REFUSED, "{runner}");
    });
}

#[test]
fn a_token_used_in_any_task_of_the_loop_is_refused_at_once() {
    on_every_runner(|runner| async move {
        let token = anyio::lowlevel::current_token();
        let (report_tx, report_rx) = mpsc::channel();
        anyio::task_group(|tg: Group| async move {
            for _ in 0..8 {
                let (token, report_tx) = (token.clone(), report_tx.clone());
                tg.spawn(async move {
                    anyio::lowlevel::checkpoint().await;
                    report_tx.send(every_token_call(&token)).unwrap();
                });
            }
            Ok(())
        })
        .await
        .unwrap();
        let reports: Vec<_> = report_rx.try_iter().collect();
        assert_eq!(reports, vec![REFUSED; 8], "{runner}");
    });
}

#[test]
fn a_token_used_by_code_a_worker_runs_in_the_loop_is_refused() {
    on_every_runner(|runner| async move {
        let token = anyio::lowlevel::current_token();
        let outcome = to_thread::run_sync(move || {
            from_thread::run(async move {
                anyio::lowlevel::checkpoint().await;
                every_token_call(&token)
            })
        })
        .await;
        assert_eq!(outcome, Ok(REFUSED), "{runner}");
    });
}

#[cfg(feature = "smol")]
#[test]
fn a_worker_running_an_event_loop_of_its_own_is_refused() {
    // On the smol runner the worker threads are plain threads, which may run a runner of their
    // own; a call to the host's loop from inside that nested loop would block the nested loop.
    let outcome = within_patience(|| {
        anyio::Runner::smol()
            .run(async {
                to_thread::run_sync(|| {
                    anyio::Runner::smol()
                        .threads(1)
                        .run(async { from_thread::run(async { 1 }) })
                })
                .await
            })
            .unwrap()
    });
    assert_eq!(outcome.unwrap(), Err(CallError::EventLoopThread));
}

// ---------------------------------------------------------------------------------------------
// Tokens.

const _: fn() = || {
    fn shareable<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    shareable::<EventLoopToken>();
};

#[anyio::test]
async fn a_token_lets_a_foreign_thread_run_code_in_the_loop() {
    let token = anyio::lowlevel::current_token();
    let backend = anyio::current_async_library().unwrap();
    assert_eq!(token.backend(), backend);
    let debug = format!("{token:?}");
    assert!(
        debug.contains("EventLoopToken") && debug.contains(&format!("{backend:?}")),
        "{debug}"
    );
    let event = Arc::new(Event::new());
    let set_by_thread = event.clone();
    let thread = std::thread::spawn(move || {
        let slept = token.run(async {
            anyio::sleep(Duration::from_millis(1)).await;
            seen()
        });
        let set = token.clone().run_sync(move || set_by_thread.set());
        (std::thread::current().id(), slept, set)
    });
    let (foreign, slept, set) = to_thread::run_sync(move || thread.join().unwrap()).await;
    let slept = slept.unwrap();
    assert_eq!(set, Ok(()));
    assert!(event.is_set());
    assert!(slept.task.is_some(), "the call runs as an anyio task");
    assert_ne!(slept.thread, foreign);
    assert_eq!(slept.backend, backend);
}

#[anyio::test]
async fn a_token_call_is_not_cancelled_with_the_task_that_took_the_token() {
    let (running_tx, running_rx) = mpsc::channel::<()>();
    let release = Arc::new(Event::new());
    let released = release.clone();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let (thread_tx, thread_rx) = mpsc::channel();
    anyio::task_group(|tg: Group| async move {
        let taker = tg.spawn(async move {
            Ok(scope
                .run(async move {
                    let token = anyio::lowlevel::current_token();
                    let thread = std::thread::spawn(move || {
                        token.run(async move {
                            running_tx.send(()).unwrap();
                            released.wait().await;
                            7
                        })
                    });
                    thread_tx.send(thread).unwrap();
                    anyio::sleep_forever().await
                })
                .await)
        });
        receive(running_rx).await;
        handle.cancel();
        assert_eq!(taker.await.unwrap(), None);
        release.set();
        Ok(())
    })
    .await
    .unwrap();
    let thread = thread_rx.try_recv().unwrap();
    let outcome = to_thread::run_sync(move || thread.join().unwrap()).await;
    assert_eq!(outcome, Ok(7));
}

#[test]
fn a_token_used_after_its_runtime_returned_reports_run_finished() {
    let runners: [NamedRunner; 3] = [
        ("tokio multi-thread", anyio::Runner::tokio),
        ("tokio current-thread", || {
            anyio::Runner::tokio().current_thread()
        }),
        ("smol", anyio::Runner::smol),
    ];
    let mut tokens = vec![(
        "anyio::run",
        anyio::run(async { anyio::lowlevel::current_token() }).unwrap(),
    )];
    for (name, runner) in compiled_in(runners) {
        tokens.push((
            name,
            runner()
                .run(async { anyio::lowlevel::current_token() })
                .unwrap(),
        ));
    }
    for (name, token) in tokens {
        for outcome in every_token_call(&token) {
            assert!(
                matches!(outcome, Err(CallError::RunFinished(_))),
                "{name}: {outcome:?}"
            );
        }
        // From another thread too.
        let outcome = std::thread::spawn(move || token.run(async { 1 }))
            .join()
            .unwrap();
        assert!(
            matches!(outcome, Err(CallError::RunFinished(_))),
            "{name}: {outcome:?}"
        );
    }
}

/// Inside the runner, a foreign thread parks a task in the loop, and an abandoned worker waits
/// until the runtime drops that task at shutdown, then calls in. The runner joins its worker
/// threads before returning, so the worker's report is there when it returns.
fn a_worker_outliving_its_runtime_gets_run_finished(runner: anyio::Runner) {
    let (signal_tx, signal_rx) = mpsc::channel::<()>();
    let (parked_tx, parked_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (report_tx, report_rx) = mpsc::channel();
    let (foreign_tx, foreign_rx) = mpsc::channel();
    runner
        .run(async move {
            let token = anyio::lowlevel::current_token();
            std::thread::spawn(move || {
                let parked = token.run(async move {
                    let _guard = SendOnDrop(signal_tx);
                    parked_tx.send(()).unwrap();
                    std::future::pending::<()>().await
                });
                foreign_tx.send(parked).unwrap();
            });
            let scope = CancelScope::new();
            let handle = scope.handle();
            let call = scope.run(
                to_thread::run_sync(move || {
                    started_tx.send(()).unwrap();
                    // Until the runtime drops the parked task.
                    let signalled = signal_rx.recv_timeout(PATIENCE);
                    // Not synchronisation: a runner that did not wait for this thread would be
                    // gone before it reports, and the check after the runner could see it.
                    std::thread::sleep(Duration::from_millis(20));
                    report_tx
                        .send((signalled, from_thread::run(async { 1 })))
                        .unwrap();
                })
                .abandon_on_cancel(),
            );
            anyio::task_group(|tg: Group| async move {
                let host = tg.spawn(async move { Ok(call.await) });
                receive(parked_rx).await;
                receive(started_rx).await;
                handle.cancel();
                assert_eq!(host.await.unwrap(), None, "the host abandoned its thread");
                Ok(())
            })
            .await
            .unwrap();
        })
        .unwrap();
    // Already there: the runner waited for the abandoned thread.
    let (signalled, report) = report_rx
        .try_recv()
        .expect("the runner returned before its abandoned worker reported");
    assert_eq!(signalled, Ok(()), "the parked task was dropped at shutdown");
    assert!(
        matches!(report, Err(CallError::RunFinished(_))),
        "{report:?}"
    );
    let parked = foreign_rx.recv_timeout(PATIENCE).unwrap();
    assert!(
        matches!(parked, Err(CallError::RunFinished(_))),
        "{parked:?}"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn a_worker_outliving_a_tokio_runtime_gets_run_finished() {
    a_worker_outliving_its_runtime_gets_run_finished(anyio::Runner::tokio());
}

#[cfg(feature = "smol")]
#[test]
fn a_worker_outliving_a_smol_runtime_gets_run_finished() {
    a_worker_outliving_its_runtime_gets_run_finished(anyio::Runner::smol());
}

// ---------------------------------------------------------------------------------------------
// Native runners.

/// Calls in from a worker and from a foreign thread with a token; what the calls saw.
async fn call_in_under_a_native_runner() -> (Seen, Seen) {
    let from_worker = to_thread::run_sync(|| from_thread::run(async { seen() }))
        .await
        .unwrap();
    let token = anyio::lowlevel::current_token();
    let thread = std::thread::spawn(move || token.run_sync(seen));
    let from_token = to_thread::run_sync(move || thread.join().unwrap())
        .await
        .unwrap();
    (from_worker, from_token)
}

fn assert_called_in(seen: (Seen, Seen), backend: Backend) {
    for seen in [seen.0, seen.1] {
        assert!(seen.task.is_some(), "{seen:?}");
        assert_eq!(seen.backend, backend);
    }
}

#[cfg(feature = "tokio")]
#[test]
fn under_a_native_multi_thread_tokio_runtime() {
    let seen = within_patience(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(call_in_under_a_native_runner())
    });
    assert_called_in(seen, Backend::Tokio);
}

#[cfg(feature = "tokio")]
#[test]
fn under_a_native_current_thread_tokio_runtime() {
    let seen = within_patience(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(call_in_under_a_native_runner())
    });
    assert_called_in(seen, Backend::Tokio);
}

#[cfg(feature = "smol")]
#[test]
fn under_a_native_smol_runner() {
    let seen = within_patience(|| smol::block_on(call_in_under_a_native_runner()));
    assert_called_in(seen, Backend::Smol);
}
