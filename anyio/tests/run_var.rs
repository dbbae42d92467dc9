//! `anyio::lowlevel::RunVar` on every backend: a value per runtime, isolated between runtimes
//! running at once on two threads, gone when its runtime ends; tokens that put back the value
//! before, and refuse to reset another variable or another runtime's value.
#![cfg(feature = "macros")]

use std::sync::{Arc, Barrier};

use anyio::lowlevel::{RunVar, RunVarError};
use anyio::{Backend, Runner};

fn runners() -> Vec<Runner> {
    Backend::available().map(Runner::new).collect()
}

#[test]
fn two_runtimes_at_once_each_see_their_own_value() {
    static SHARED: RunVar<String> = RunVar::new("shared");
    for backend in Backend::available() {
        // Both runtimes set their value before either reads: a value shared by mistake would
        // be seen by one of them.
        let both_set = Arc::new(Barrier::new(2));
        let threads: Vec<_> = ["first", "second"]
            .into_iter()
            .map(|name| {
                let both_set = Arc::clone(&both_set);
                std::thread::spawn(move || {
                    Runner::new(backend)
                        .run(async move {
                            SHARED.set(name.to_owned()).unwrap();
                            both_set.wait();
                            SHARED.get().unwrap()
                        })
                        .unwrap()
                })
            })
            .collect();
        let seen: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(seen, ["first", "second"], "on {backend}");
    }
}

#[test]
fn a_value_goes_with_its_runtime() {
    static UNSET: RunVar<u32> = RunVar::new("unset");
    static COUNTED: RunVar<u32> = RunVar::with_default("counted", || 7);
    for runner in runners() {
        let backend = runner.backend();
        runner
            .run(async {
                assert!(matches!(
                    UNSET.get(),
                    Err(RunVarError::NotSet { name: "unset" })
                ));
                UNSET.set(1).unwrap();
                assert_eq!(COUNTED.get().unwrap(), 7);
                COUNTED.set(8).unwrap();
            })
            .unwrap();
        Runner::new(backend)
            .run(async {
                assert!(UNSET.get().is_err(), "the value went with its runtime");
                assert_eq!(COUNTED.get().unwrap(), 7);
            })
            .unwrap();
    }
}

#[anyio::test]
async fn reset_puts_back_what_was_there_in_any_order_of_tokens() {
    static LEVEL: RunVar<&'static str> = RunVar::with_default("level", || "default");
    let outer = LEVEL.set("outer").unwrap();
    let inner = LEVEL.set("inner").unwrap();
    assert_eq!(LEVEL.get().unwrap(), "inner");
    LEVEL.reset(inner).unwrap();
    assert_eq!(LEVEL.get().unwrap(), "outer");
    LEVEL.reset(outer).unwrap();
    assert_eq!(LEVEL.get().unwrap(), "default");

    // The value is the runtime's, not the task's: a child task sees and changes it.
    LEVEL.set("parent").unwrap();
    anyio::task_group(|tg| async move {
        tg.spawn(async {
            assert_eq!(LEVEL.get().unwrap(), "parent");
            LEVEL.set("child").unwrap();
            Ok::<_, std::convert::Infallible>(())
        });
        Ok::<_, std::convert::Infallible>(())
    })
    .await
    .unwrap();
    assert_eq!(LEVEL.get().unwrap(), "child");
}

#[anyio::test]
async fn a_token_of_another_variable_is_refused_and_changes_nothing() {
    static A: RunVar<u8> = RunVar::new("a");
    static B: RunVar<u8> = RunVar::with_default("b", || 0);
    let token = A.set(1).unwrap();
    let error = B.reset(token).unwrap_err();
    assert!(
        matches!(
            error,
            RunVarError::ForeignToken {
                name: "b",
                token_of: "a",
                other_runtime: false
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("`b`") && error.to_string().contains("`a`"));
    assert_eq!(A.get().unwrap(), 1);
    assert_eq!(B.get().unwrap(), 0);
}

#[test]
fn a_token_of_another_runtime_is_refused() {
    static VAR: RunVar<u8> = RunVar::with_default("var", || 0);
    for backend in Backend::available() {
        let token = Runner::new(backend)
            .run(async { VAR.set(3).unwrap() })
            .unwrap();
        Runner::new(backend)
            .run(async move {
                let error = VAR.reset(token).unwrap_err();
                assert!(
                    matches!(
                        error,
                        RunVarError::ForeignToken {
                            other_runtime: true,
                            ..
                        }
                    ),
                    "{error:?}"
                );
                assert!(error.to_string().contains("another runtime"), "{error}");
                assert_eq!(VAR.get().unwrap(), 0);
            })
            .unwrap();
    }
}

/// With smol compiled in, every thread has a runtime anyio can use (its process-wide
/// executor); without it, a thread outside any runtime gets a clear error.
#[cfg(not(feature = "smol"))]
#[test]
fn outside_a_runtime_it_is_an_error() {
    static VAR: RunVar<u8> = RunVar::new("var");
    assert!(matches!(VAR.get(), Err(RunVarError::NoEventLoop(_))));
    assert!(matches!(VAR.set(1), Err(RunVarError::NoEventLoop(_))));
}
