// The settings shared by the property tests (tests/hostile_input/), included as a module: how
// many cases a run tries, with which seed, and one async runtime per case and backend, bounded
// in time, one case at a time.

use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use proptest::test_runner::{Config, RngSeed};

/// How long one case may take on one backend before it counts as a hang. The peers are in
/// memory or on a socket pair, so a case takes milliseconds; this only turns a hang into a
/// failure.
pub(crate) const CASE_LIMIT: Duration = Duration::from_secs(5);

/// The seed of a run that does not name one: CI tries the same cases every time, so that a
/// failure there is reproducible and not the luck of a draw. A long run names its own
/// (`PROPTEST_RNG_SEED`), to explore new inputs.
const DEFAULT_SEED: u64 = 0x616e_7969_6f21;

/// The configuration of a property test that tries `ci_cases` cases, unless the environment
/// asks for more (or fewer): `PROPTEST_CASES` sets the count of every property test, and
/// `PROPTEST_RNG_SEED` the seed.
///
/// Failures are not persisted to files: a failure prints its shrunk input, and that input is
/// kept as a plain regression test beside the property (the files proptest would write land
/// in the source tree, and CI runs from a fresh clone, which would lose them anyway).
pub(crate) fn config(ci_cases: u32) -> Config {
    let mut config = Config {
        failure_persistence: None,
        // Shrinking a case that hangs costs `CASE_LIMIT` a step: give up after a minute.
        max_shrink_time: 60_000,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = ci_cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    config
}

/// Held while a case runs: a test that counts the process's open descriptors needs the
/// other tests' sockets, runtimes and child processes out of the way.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Waits for the running case to end, and keeps others from starting.
pub(crate) fn one_at_a_time() -> MutexGuard<'static, ()> {
    // A failed case poisons the lock; the next one need not fail for it.
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the future that `case` makes on every backend compiled in, each time on a new
/// single-threaded runtime (so that a case is deterministic), within [`CASE_LIMIT`], and one
/// case at a time ([`one_at_a_time`]). A panic inside the case propagates, so that proptest
/// sees the failure and shrinks it.
pub(crate) fn on_every_backend<F, Fut>(mut case: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let _one_at_a_time = one_at_a_time();
    for backend in anyio::Backend::available() {
        let runner = match backend {
            anyio::Backend::Smol => anyio::Runner::smol().threads(1),
            _ => anyio::Runner::new(backend).current_thread(),
        };
        runner
            .run(anyio::fail_after(CASE_LIMIT, case()))
            .unwrap_or_else(|error| panic!("the {backend} runtime failed: {error}"))
            .unwrap_or_else(|_| {
                panic!("the case hung on {backend}: still running after {CASE_LIMIT:?}")
            });
    }
}
