//! `anyio::run` and `Runner`: options, errors, panics and shutdown.

use std::panic::{self, AssertUnwindSafe};
use std::process::Command;
#[cfg(feature = "tokio")]
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use std::time::Duration;

use anyio::{Backend, RunError, Runner};

mod common;

/// A default runner for every backend compiled in.
fn both() -> impl Iterator<Item = Runner> {
    Backend::available().map(Runner::new)
}

/// Keeps the runners whose backend is compiled in.
fn compiled_in<T>(cases: impl IntoIterator<Item = (Runner, T)>) -> Vec<(Runner, T)> {
    cases
        .into_iter()
        .filter(|(runner, _)| runner.backend().is_available())
        .collect()
}

#[test]
fn run_returns_the_output_on_each_backend() {
    for runner in both() {
        let backend = runner.backend();
        let seen = runner
            .run(async {
                anyio::sleep(Duration::from_millis(1)).await;
                anyio::current_async_library().unwrap()
            })
            .unwrap();
        assert_eq!(seen, backend);
    }
}

#[test]
fn futures_need_not_be_send_or_static() {
    let local = std::rc::Rc::new(41);
    let borrowed = &local;
    for runner in both() {
        let answer = runner
            .run(async {
                anyio::lowlevel::checkpoint().await;
                **borrowed + 1
            })
            .unwrap();
        assert_eq!(answer, 42);
    }
}

#[test]
fn every_flavour_and_thread_count_runs() {
    let runners = compiled_in([
        (Runner::tokio().current_thread(), ()),
        (Runner::tokio().multi_thread(), ()),
        (Runner::tokio().worker_threads(1), ()),
        (Runner::tokio().multi_thread().worker_threads(3), ()),
        (Runner::smol().threads(1), ()),
        (Runner::smol().threads(4), ()),
    ]);
    for (runner, ()) in runners {
        let description = format!("{runner:?}");
        let result = runner.run(async {
            anyio::sleep(Duration::from_millis(1)).await;
            7
        });
        assert_eq!(result.unwrap(), 7, "{description}");
    }
}

#[test]
fn options_of_the_other_backend_are_refused() {
    let cases = compiled_in([
        (Runner::tokio().threads(2), "threads"),
        (Runner::smol().current_thread(), "current_thread"),
        (Runner::smol().multi_thread(), "multi_thread"),
        (Runner::smol().worker_threads(2), "worker_threads"),
        #[cfg(feature = "tokio")]
        (
            Runner::smol().runtime_factory(tokio::runtime::Builder::new_current_thread),
            "runtime_factory",
        ),
    ]);
    for (runner, expected) in cases {
        match runner.run(async {}) {
            Err(RunError::InvalidOption { option, reason }) => {
                assert_eq!(option, expected);
                assert!(reason.contains("option of the"), "{reason}");
            }
            other => panic!("{expected}: expected InvalidOption, got {other:?}"),
        }
    }
}

#[test]
fn contradictory_or_zero_options_are_refused() {
    let cases = compiled_in([
        (
            Runner::tokio().current_thread().worker_threads(2),
            "worker_threads",
        ),
        (Runner::tokio().worker_threads(0), "worker_threads"),
        (Runner::smol().threads(0), "threads"),
        #[cfg(feature = "tokio")]
        (
            Runner::tokio()
                .runtime_factory(tokio::runtime::Builder::new_current_thread)
                .worker_threads(2),
            "worker_threads",
        ),
        #[cfg(feature = "tokio")]
        (
            Runner::tokio()
                .runtime_factory(tokio::runtime::Builder::new_current_thread)
                .current_thread(),
            "current_thread",
        ),
    ]);
    for (runner, expected) in cases {
        let error = runner.run(async {}).unwrap_err();
        assert!(
            matches!(error, RunError::InvalidOption { option, .. } if option == expected),
            "{expected}: {error}"
        );
        assert!(
            error.to_string().starts_with("invalid runner option"),
            "{error}"
        );
    }
}

#[cfg(feature = "tokio")]
#[test]
fn runtime_factory_settings_are_honoured() {
    // A paused clock auto-advances to the next timer: an hour passes at once.
    let elapsed = common::paused_tokio()
        .run(async {
            let start = anyio::current_time();
            anyio::sleep(Duration::from_secs(3600)).await;
            anyio::current_time() - start
        })
        .unwrap();
    assert!(elapsed >= Duration::from_secs(3600), "{elapsed:?}");
}

#[test]
fn run_inside_a_running_runtime_is_an_error() {
    for runner in both() {
        let backend = runner.backend();
        let nested = runner.run(async { anyio::run(async {}) }).unwrap();
        match nested {
            Err(RunError::AlreadyRunning { backend: running }) => assert_eq!(running, backend),
            other => panic!("expected AlreadyRunning, got {other:?}"),
        }
        // Another runner too, even for another backend (the first compiled in).
        let other = Backend::available().next().unwrap();
        let nested = Runner::new(backend)
            .run(async { Runner::new(other).run(async {}) })
            .unwrap();
        let error = nested.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("already running {backend} in this thread")
        );
    }
}

#[cfg(feature = "tokio")]
#[test]
fn run_inside_a_native_tokio_runtime_is_an_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = runtime
        .block_on(async { anyio::run(async {}) })
        .unwrap_err();
    assert!(matches!(
        error,
        RunError::AlreadyRunning {
            backend: Backend::Tokio
        }
    ));
}

#[test]
fn a_panic_propagates_after_the_runtime_shut_down() {
    #[cfg(feature = "tokio")]
    for runner in [Runner::tokio(), Runner::tokio().current_thread()] {
        let leftover_dropped = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&leftover_dropped);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            runner.run(async move {
                // A task left running: shutting the runtime down must drop it.
                let guard = common::DropCounter(flag);
                tokio::spawn(async move {
                    let _guard = guard;
                    anyio::sleep_forever().await;
                });
                anyio::lowlevel::checkpoint().await;
                panic!("boom");
            })
        }));
        let payload = outcome.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        assert_eq!(leftover_dropped.load(Ordering::SeqCst), 1);
    }
    for threads in [1, 3] {
        if !Backend::Smol.is_available() {
            break;
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            Runner::smol().threads(threads).run(async {
                anyio::sleep(Duration::from_millis(1)).await;
                panic!("smol boom");
            })
        }));
        let payload = outcome.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"smol boom"));
        // The runner is usable again on this thread: nothing was left marked as running.
        assert_eq!(Runner::smol().threads(threads).run(async { 1 }).unwrap(), 1);
    }
}

/// Runs this test binary again with `ANYIO_BACKEND` set, asking it to check what `run` does.
#[test]
fn anyio_backend_env_var_picks_the_default_backend() {
    const CHILD: &str = "ANYIO_TEST_EXPECT";
    if let Ok(expected) = std::env::var(CHILD) {
        let outcome = anyio::run(async { anyio::current_async_library().unwrap() });
        match (expected.as_str(), outcome) {
            ("invalid", Err(error @ RunError::InvalidEnvironment { .. })) => {
                assert_eq!(
                    error.to_string(),
                    r#"ANYIO_BACKEND: no such backend: "trio" (the backends are: tokio, smol)"#
                );
            }
            (name, Ok(backend)) => assert_eq!(backend.name(), name),
            (name, Err(error)) => panic!("expected {name}, got {error}"),
        }
        return;
    }
    let this_test = "anyio_backend_env_var_picks_the_default_backend";
    // Unset, tokio; smol in a build without tokio.
    let default = if cfg!(feature = "tokio") {
        "tokio"
    } else {
        "smol"
    };
    let cases = [
        ("smol", "smol"),
        ("tokio", "tokio"),
        ("Smol", "smol"),
        ("", default),
        ("trio", "invalid"),
    ];
    for (value, expected) in cases {
        let compiled_in = Backend::available().any(|backend| backend.name() == expected);
        if expected != "invalid" && !compiled_in {
            continue;
        }
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", this_test, "--test-threads=1", "--nocapture"])
            .env("ANYIO_BACKEND", value)
            .env(CHILD, expected)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "ANYIO_BACKEND={value:?}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[cfg(not(feature = "smol"))]
#[test]
fn a_backend_that_is_not_compiled_in_names_its_feature() {
    let error = Runner::smol().run(async {}).unwrap_err();
    assert!(matches!(
        error,
        RunError::BackendNotEnabled {
            backend: Backend::Smol
        }
    ));
    assert_eq!(
        error.to_string(),
        "the smol backend is not compiled in: enable the `smol` feature of anyio"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn run_errors_convert_to_io_errors() {
    let error: std::io::Error = Runner::tokio().threads(2).run(async {}).unwrap_err().into();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("threads"));
}

#[cfg(feature = "tokio")]
#[test]
fn run_error_debug_is_the_message_and_alternate_debug_the_structure() {
    let error = RunError::InvalidEnvironment {
        variable: "ANYIO_BACKEND",
        source: "nope".parse::<Backend>().unwrap_err(),
    };
    let message = r#"ANYIO_BACKEND: no such backend: "nope" (the backends are: tokio, smol)"#;
    assert_eq!(error.to_string(), message);
    assert_eq!(format!("{error:?}"), message);
    assert_eq!(
        format!("{error:#?}"),
        "InvalidEnvironment {\n    variable: \"ANYIO_BACKEND\",\n    source: UnknownBackendError {\n        name: \"nope\",\n    },\n}"
    );

    let error = Runner::tokio().threads(2).run(async {}).unwrap_err();
    assert_eq!(format!("{error:?}"), error.to_string());
    assert!(
        format!("{error:#?}").starts_with("InvalidOption {\n    option: \"threads\",\n"),
        "{error:#?}"
    );
}

/// What `fn main() -> Result<(), RunError>` prints when `ANYIO_BACKEND` names no backend. Run
/// again as a child with a bad `ANYIO_BACKEND`, this test returns `run`'s error as such a `main`
/// would, and the test harness reports it the way `main` does: through `Termination`, which
/// prints `Error: {:?}` to stderr.
#[test]
fn main_returning_a_run_error_prints_the_message() -> Result<(), RunError> {
    const CHILD: &str = "ANYIO_TEST_MAIN_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return anyio::run(async {});
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "main_returning_a_run_error_prints_the_message",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("ANYIO_BACKEND", "nope")
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            r#"Error: ANYIO_BACKEND: no such backend: "nope" (the backends are: tokio, smol)"#
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("InvalidEnvironment"), "{stderr}");
    Ok(())
}
