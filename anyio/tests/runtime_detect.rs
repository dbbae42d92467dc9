//! `current_async_library()`: anyio's runner, native runners, and no runner at all.

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
