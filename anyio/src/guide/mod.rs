//! The anyio guide: chapters to read in order, each with examples that are compiled and run
//! as the crate's tests.
//!
//! 1. [Starting out](starting_out): a first program, a first test, a first server.
//! 2. [Choosing a backend](choosing_a_backend): tokio or smol, and how to leave the choice to
//!    the application.
//! 3. [Structured concurrency](structured_concurrency): task groups, cancel scopes, deadlines
//!    and shields, and the rules that make them safe.
//! 4. [Using anyio with other crates](ecosystem): tokio-only libraries (and the panic they give
//!    under smol), reqwest, hyper, axum, and WebSockets over TLS.
//! 5. [AnyIO's vocabulary for Rust users](vocabulary): what `sniffio`, `loop_factory`, the
//!    pytest plugin and the other Python names in these docs mean here.
//!
//! This module holds no items: only documentation.

pub mod choosing_a_backend;
pub mod ecosystem;
pub mod starting_out;
pub mod structured_concurrency;
pub mod vocabulary;
