//! `#[anyio::test]` and `#[anyio::main]`: the generated tests, their options, and the compile
//! errors for misuse (trybuild).
#![cfg(feature = "macros")]

use std::time::Duration;

use anyio::Backend;

fn backend_named_by_this_test() -> Backend {
    // libtest runs each test on a thread named after it: `<test>::tokio` or `<test>::smol`.
    let thread = std::thread::current();
    let name = thread.name().unwrap();
    let suffix = name.rsplit("::").next().unwrap();
    suffix.parse().unwrap()
}

#[anyio::test]
async fn each_generated_test_runs_on_its_backend() {
    assert_eq!(
        anyio::current_async_library().unwrap(),
        backend_named_by_this_test()
    );
}

#[anyio::test(backends(tokio))]
async fn restricted_to_tokio() {
    assert_eq!(anyio::current_async_library().unwrap(), Backend::Tokio);
    assert_eq!(backend_named_by_this_test(), Backend::Tokio);
}

#[anyio::test(backends(smol))]
async fn restricted_to_smol() {
    assert_eq!(anyio::current_async_library().unwrap(), Backend::Smol);
}

#[anyio::test(backends(tokio))]
async fn tokio_tests_default_to_current_thread() {
    let flavor = tokio::runtime::Handle::current().runtime_flavor();
    assert_eq!(flavor, tokio::runtime::RuntimeFlavor::CurrentThread);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_flavour_option_applies_to_tokio_only() {
    if anyio::current_async_library().unwrap() == Backend::Tokio {
        let flavor = tokio::runtime::Handle::current().runtime_flavor();
        assert_eq!(flavor, tokio::runtime::RuntimeFlavor::MultiThread);
        let workers = tokio::runtime::Handle::current().metrics().num_workers();
        assert_eq!(workers, 2);
    }
}

#[anyio::test(threads = 3)]
async fn smol_thread_option_is_accepted() {
    anyio::sleep(Duration::from_millis(1)).await;
}

#[anyio::test]
async fn tests_may_return_results() -> Result<(), anyio::NoEventLoopError> {
    anyio::current_async_library()?;
    Ok(())
}

#[anyio::test]
#[should_panic(expected = "deliberate")]
async fn other_attributes_apply_to_every_generated_test() {
    anyio::lowlevel::checkpoint().await;
    panic!("deliberate");
}

#[test]
fn misuse_is_a_clear_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    // `#[anyio::main]` binaries, built and run.
    cases.pass("tests/ui-pass/main_default.rs");
    if Backend::Smol.is_available() {
        cases.pass("tests/ui-pass/main_smol.rs");
    } else {
        cases.compile_fail("tests/ui-no-smol/main_smol.rs");
    }
    if !Backend::Tokio.is_available() {
        cases.compile_fail("tests/ui-no-tokio/main_tokio.rs");
    }
}
