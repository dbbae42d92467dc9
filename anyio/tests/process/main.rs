//! `anyio::process`, on every backend: one test binary, in three parts.
//!
//! - [`run`]: `run_process`: input, captured output, `check` and `CalledProcessError`, the
//!   environment and working directory, redirections, invalid commands, and pipes drained at
//!   the same time (AnyIO's `test_subprocesses.py`, ported, and more).
//! - [`open`]: `open_process` and `Process`: the standard streams through anyio's stream traits
//!   and both I/O trait families, waiting, signals and exit statuses, closing, and settings
//!   seen from the child.
//! - [`lifecycle`]: cancellation and drops kill and reap, daemons are let go of but still
//!   reaped, `wait` watches the child and not its pipes, no zombie is left, children inherit
//!   no stray descriptors, and native runners work as `anyio::run` does.
#![cfg(feature = "macros")]

mod lifecycle;
mod open;
mod run;

#[path = "../support/process.rs"]
mod support;
