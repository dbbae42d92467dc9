//! `current_async_library()`: anyio's runner, native runners, and no runner at all.
#![cfg(feature = "macros")]

use std::time::Duration;

use anyio::{Backend, Runner};

#[anyio::test]
async fn the_macro_backend_is_the_one_detected() {
    // libtest names each test's thread after the test: `...::tokio` or `...::smol`.
    let backend = anyio::current_async_library().unwrap();
    let thread = std::thread::current();
    assert!(
        thread.name().unwrap().ends_with(backend.name()),
        "{thread:?}"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn native_tokio_runtimes_are_detected() {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        current.block_on(async {
            anyio::sleep(Duration::from_millis(1)).await;
            anyio::current_async_library()
        }),
        Ok(Backend::Tokio)
    );

    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let in_task = multi.block_on(async {
        tokio::spawn(async {
            anyio::lowlevel::checkpoint().await;
            anyio::current_async_library()
        })
        .await
        .unwrap()
    });
    assert_eq!(in_task, Ok(Backend::Tokio));
}

#[cfg(not(feature = "tokio"))]
#[test]
fn without_the_tokio_feature_code_under_native_tokio_runtimes_runs_on_smol() {
    // anyio cannot use a tokio it was built without; async-io's reactor serves any executor.
    let seen = bounded(|| {
        let current = current_thread_runtime().block_on(sleep_then_detect());
        let multi = multi_thread_runtime()
            .block_on(async { tokio::spawn(sleep_then_detect()).await.unwrap() });
        [current, multi]
    });
    assert_eq!(seen, [Ok(Backend::Smol), Ok(Backend::Smol)]);
}

#[cfg(feature = "smol")]
#[test]
fn native_smol_block_on_is_detected() {
    let seen = smol::block_on(async {
        anyio::sleep(Duration::from_millis(1)).await;
        anyio::current_async_library()
    });
    assert_eq!(seen, Ok(Backend::Smol));
}

#[cfg(feature = "smol")]
#[test]
fn any_other_executor_runs_on_async_io() {
    // async-io's reactor serves any executor, so anyio's smol backend works under
    // futures-lite's block_on too.
    let seen = futures_lite::future::block_on(async {
        anyio::sleep(Duration::from_millis(1)).await;
        anyio::current_async_library()
    });
    assert_eq!(seen, Ok(Backend::Smol));
}

#[cfg(feature = "smol")]
#[test]
fn anyio_runner_wins_over_an_entered_tokio_handle() {
    let tokio_runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let seen = Runner::smol()
        .run(async {
            let _entered = tokio_runtime.enter();
            anyio::current_async_library()
        })
        .unwrap();
    assert_eq!(seen, Ok(Backend::Smol));
}

#[test]
fn detection_ends_with_the_runner() {
    for runner in Backend::available().map(Runner::new) {
        runner.run(async {}).unwrap();
        // Outside every runtime again: with smol compiled in, async-io is always there.
        let outside = anyio::current_async_library();
        if cfg!(feature = "smol") {
            assert_eq!(outside, Ok(Backend::Smol));
        } else {
            assert!(outside.is_err());
        }
    }
}

#[cfg(not(feature = "smol"))]
#[test]
fn outside_any_runtime_there_is_no_event_loop() {
    let error = anyio::current_async_library().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("no async runtime is running on this thread")
    );
}

#[cfg(not(feature = "smol"))]
#[test]
fn async_operations_outside_any_runtime_panic_with_the_same_error() {
    for (name, outcome) in [
        (
            "anyio::sleep",
            std::panic::catch_unwind(|| {
                futures_lite::future::block_on(anyio::sleep(Duration::from_millis(1)))
            }),
        ),
        (
            "anyio::lowlevel::checkpoint",
            std::panic::catch_unwind(|| {
                futures_lite::future::block_on(anyio::lowlevel::checkpoint())
            }),
        ),
    ] {
        let payload = outcome.unwrap_err();
        let message = payload.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with(&format!("{name}: no async runtime is running")),
            "{message}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A tokio runtime entered on this thread, and whatever actually polls the code.
//
// Each scenario runs on its own thread under `bounded`: a detection that picks a runtime nobody
// drives makes `anyio::sleep` wait forever, and that must fail the test, not hang it.

/// Runs `scenario` on a new thread and returns its result, failing if it takes longer than ten
/// seconds (the hung thread is left behind) and re-raising its panic.
fn bounded<T: Send + 'static>(scenario: impl FnOnce() -> T + Send + 'static) -> T {
    const LIMIT: Duration = Duration::from_secs(10);
    let (sender, receiver) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = sender.send(scenario());
    });
    match receiver.recv_timeout(LIMIT) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(thread.join().unwrap_err())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the scenario did not finish within {LIMIT:?}: a timer nobody drives?")
        }
    }
}

/// A real 10 ms timer, then the backend anyio detects.
async fn sleep_then_detect() -> Result<Backend, anyio::NoEventLoopError> {
    anyio::sleep(Duration::from_millis(10)).await;
    anyio::current_async_library()
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(feature = "smol")]
#[test]
fn other_executors_under_an_entered_current_thread_runtime_run_on_smol() {
    // Nothing runs the runtime: its timers would never fire.
    let seen = bounded(|| {
        let runtime = current_thread_runtime();
        let _entered = runtime.enter();
        [
            smol::block_on(sleep_then_detect()),
            futures_lite::future::block_on(sleep_then_detect()),
            async_io::block_on(sleep_then_detect()),
        ]
    });
    assert_eq!(
        seen,
        [Ok(Backend::Smol), Ok(Backend::Smol), Ok(Backend::Smol)]
    );
}

#[cfg(feature = "tokio")]
#[test]
fn other_executors_under_an_entered_multi_thread_runtime_run_on_tokio() {
    // Its worker threads drive tokio's timers whoever polls.
    let seen = bounded(|| {
        let runtime = multi_thread_runtime();
        let _entered = runtime.enter();
        [
            smol::block_on(sleep_then_detect()),
            futures_lite::future::block_on(sleep_then_detect()),
        ]
    });
    assert_eq!(seen, [Ok(Backend::Tokio), Ok(Backend::Tokio)]);
}

#[cfg(feature = "smol")]
#[test]
fn smol_in_spawn_blocking_of_a_current_thread_runtime_runs_on_smol() {
    // Spawned from outside `block_on`: nothing runs the runtime while the closure waits.
    let unattended = bounded(|| {
        let runtime = current_thread_runtime();
        let (sender, receiver) = std::sync::mpsc::channel();
        runtime.spawn_blocking(move || sender.send(smol::block_on(sleep_then_detect())));
        receiver.recv().unwrap()
    });
    assert_eq!(unattended, Ok(Backend::Smol));

    // Awaited from `block_on`: tokio would work too, but smol is what polls the closure's code.
    let awaited = bounded(|| {
        current_thread_runtime().block_on(async {
            tokio::task::spawn_blocking(|| smol::block_on(sleep_then_detect()))
                .await
                .unwrap()
        })
    });
    assert_eq!(awaited, Ok(Backend::Smol));
}

#[cfg(feature = "tokio")]
#[test]
fn smol_in_spawn_blocking_of_a_multi_thread_runtime_runs_on_tokio() {
    let unattended = bounded(|| {
        let runtime = multi_thread_runtime();
        let (sender, receiver) = std::sync::mpsc::channel();
        runtime.spawn_blocking(move || sender.send(smol::block_on(sleep_then_detect())));
        receiver.recv().unwrap()
    });
    assert_eq!(unattended, Ok(Backend::Tokio));

    let awaited = bounded(|| {
        multi_thread_runtime().block_on(async {
            tokio::task::spawn_blocking(|| smol::block_on(sleep_then_detect()))
                .await
                .unwrap()
        })
    });
    assert_eq!(awaited, Ok(Backend::Tokio));
}

#[cfg(feature = "tokio")]
#[test]
fn handle_block_on_in_spawn_blocking_runs_on_tokio() {
    for runtime in [current_thread_runtime(), multi_thread_runtime()] {
        let flavor = runtime.handle().runtime_flavor();
        let seen = bounded(move || {
            runtime.block_on(async {
                let handle = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || handle.block_on(sleep_then_detect()))
                    .await
                    .unwrap()
            })
        });
        assert_eq!(seen, Ok(Backend::Tokio), "{flavor:?}");
    }
}

#[cfg(feature = "tokio")]
#[test]
fn a_spawn_blocking_closure_is_asked_again_on_every_operation() {
    // The same blocking task is first polled by tokio's `Handle::block_on`, then by smol: the
    // first answer must not stick to the task.
    let seen = bounded(|| {
        current_thread_runtime().block_on(async {
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                let by_tokio = handle.block_on(sleep_then_detect());
                let by_smol = smol::block_on(async { anyio::current_async_library() });
                (by_tokio, by_smol)
            })
            .await
            .unwrap()
        })
    });
    assert_eq!(seen.0, Ok(Backend::Tokio));
    if cfg!(feature = "smol") {
        assert_eq!(seen.1, Ok(Backend::Smol));
    } else {
        assert!(seen.1.is_err());
    }
}

#[cfg(feature = "tokio")]
#[test]
fn detection_under_handle_block_on_leaves_the_coop_budget_as_it_was() {
    // Telling `Handle::block_on` apart spends tokio's cooperative budget for a moment; if it
    // did not put it back, tokio would force the next operation to yield.
    let remaining = bounded(|| {
        current_thread_runtime().block_on(async {
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                handle.block_on(async {
                    for _ in 0..3 {
                        assert_eq!(anyio::current_async_library(), Ok(Backend::Tokio));
                    }
                    tokio::task::coop::has_budget_remaining()
                })
            })
            .await
            .unwrap()
        })
    });
    assert!(remaining);
}

#[cfg(feature = "tokio")]
#[test]
fn current_thread_block_on_runs_on_tokio_with_its_paused_clock() {
    // What `#[tokio::test(start_paused = true)]` builds. An hour of tokio's paused clock passes
    // at once; on any other timer the test would time out.
    let (in_block_on, in_task) = bounded(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let hour = Duration::from_secs(3600);
            let start = tokio::time::Instant::now();
            anyio::sleep(hour).await;
            let in_block_on = (anyio::current_async_library(), start.elapsed() >= hour);
            let in_task = tokio::spawn(async move {
                let start = tokio::time::Instant::now();
                anyio::sleep(hour).await;
                (anyio::current_async_library(), start.elapsed() >= hour)
            })
            .await
            .unwrap();
            (in_block_on, in_task)
        })
    });
    assert_eq!(in_block_on, (Ok(Backend::Tokio), true));
    assert_eq!(in_task, (Ok(Backend::Tokio), true));
}

#[cfg(feature = "tokio")]
#[test]
fn multi_thread_block_on_runs_on_tokio() {
    // What `#[tokio::main]` builds; its main future is no task, and no scheduler runs on the
    // thread that polls it.
    let seen = bounded(|| multi_thread_runtime().block_on(sleep_then_detect()));
    assert_eq!(seen, Ok(Backend::Tokio));
}

#[cfg(not(feature = "smol"))]
#[test]
fn an_entered_current_thread_runtime_that_nothing_runs_is_no_event_loop() {
    const NOT_RUNNING: &str = "a tokio runtime is entered on this thread but nothing runs it";
    let (detected, slept, in_spawn_blocking) = bounded(|| {
        let runtime = current_thread_runtime();
        let in_spawn_blocking = {
            let (sender, receiver) = std::sync::mpsc::channel();
            runtime.spawn_blocking(move || {
                sender.send(futures_lite::future::block_on(async {
                    anyio::current_async_library()
                }))
            });
            receiver.recv().unwrap()
        };
        let _entered = runtime.enter();
        let detected = anyio::current_async_library();
        let slept = std::panic::catch_unwind(|| {
            futures_lite::future::block_on(anyio::sleep(Duration::from_millis(10)))
        });
        (detected, slept, in_spawn_blocking)
    });
    let message = detected.unwrap_err().to_string();
    assert!(message.starts_with(NOT_RUNNING), "{message}");
    assert!(message.contains("current-thread"), "{message}");
    let message = in_spawn_blocking.unwrap_err().to_string();
    assert!(message.starts_with(NOT_RUNNING), "{message}");
    let payload = slept.unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with(&format!("anyio::sleep: {NOT_RUNNING}")),
        "{message}"
    );
}
