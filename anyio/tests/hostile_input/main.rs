//! Hostile input never panics or hangs: property tests of every parser and state machine that
//! reads what a peer (or the environment) sends, each answer checked against a simple model of
//! the documented behaviour, on every backend.
//!
//! - `streams`: `BufferedByteReceiveStream` and `TextStream`, over a peer that chunks its bytes
//!   at random;
//! - `tls` (feature `tls`): the TLS engine against a peer sending random or tampered records,
//!   as client and as server;
//! - `fd_passing`: `SCM_RIGHTS` with random descriptor counts and limits, and no leaks;
//! - `names`: host names, IP literals, UNIX socket paths and backend names.
//!
//! CI runs a moderate number of cases with a fixed seed (each property sets its count; the
//! whole binary takes a few seconds). A long run with new inputs sets both:
//!
//! ```sh
//! PROPTEST_CASES=5000 PROPTEST_RNG_SEED=$RANDOM \
//!     cargo test -p anyio --all-features --release --test hostile_input
//! ```
//!
//! Failures are not persisted to files (`proptest-regressions/`): a failure prints its shrunk
//! input, which is then kept as a plain regression test beside its property.

#[path = "../support/props.rs"]
mod props;

mod fd_passing;
mod names;
mod streams;
#[cfg(feature = "tls")]
mod tls;
