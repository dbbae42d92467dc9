//! # AnyIO's vocabulary for Rust users
//!
//! anyio follows Python's [AnyIO](https://anyio.readthedocs.io), and its docs use AnyIO's
//! names where they help people who know it. For everyone else:
//!
//! | Python name | what it is | in anyio |
//! |---|---|---|
//! | event loop | the runtime that polls tasks and waits for I/O and timers | a tokio runtime or a smol executor with async-io's reactor |
//! | backend | the event loop library AnyIO runs on (asyncio, Trio) | tokio or smol: [`Backend`](crate::Backend) |
//! | `anyio.run(func, backend=...)` | start an event loop and run a function on it | [`run`](crate::run), [`Runner`](crate::Runner) |
//! | `backend_options`, `loop_factory` | options for the event loop, a function that builds it | [`Runner`](crate::Runner)'s options, [`Runner::runtime_factory`](crate::Runner::runtime_factory) (tokio) |
//! | `sniffio` | a tiny library that tells which event loop runs the current code | [`current_async_library`](crate::current_async_library) |
//! | coroutine, `await` | an `async fn` call and its suspension points | a `Future` and `.await` |
//! | checkpoint | a point where a task may be suspended, and where cancellation is delivered | every anyio operation; [`lowlevel::checkpoint`](crate::lowlevel::checkpoint) |
//! | task group (Trio: nursery) | a scope that owns the tasks started in it | [`task_group`](crate::task_group) |
//! | cancel scope | a region of code that can be cancelled, with a deadline and a shield | [`CancelScope`](crate::CancelScope) |
//! | `ExceptionGroup` | several exceptions raised together | [`TaskGroupError`](crate::TaskGroupError) (several `Err`s) |
//! | `BaseException` cancellation (`CancelledError`, `trio.Cancelled`) | the exception that unwinds cancelled code | none: cancelled code is dropped at its suspension point |
//! | `RuntimeError` for misuse | a programming error | a panic whose message names the misuse (each API's `# Panics`) |
//! | pytest plugin, `anyio_backend` fixture | run each test on every backend | [`#[anyio::test]`](crate::test) |
//! | `to_thread.run_sync`, `from_thread` | run blocking code on a worker thread; call back into the loop | [`to_thread`](crate::to_thread), [`from_thread`](crate::from_thread) |
//! | `RunVar` | a variable with a value per event loop | [`lowlevel::RunVar`](crate::lowlevel::RunVar) |
//! | context manager (`async with`) | setup and guaranteed cleanup around a block | a value whose `Drop` cleans up, or an explicit `aclose().await` where cleanup must wait |
//!
//! ## What has no meaning in Rust, and is left out
//!
//! - AnyIO's worker *processes* (`to_process`) ship Python functions by pickling them; a Rust
//!   closure cannot be sent to another process. Use [`process`](crate::process) to run a
//!   program.
//! - Python's contextvars copied into threads and tasks: Rust has no implicit context to copy;
//!   pass values, or use [`RunVar`](crate::lowlevel::RunVar) for a value per runtime.
//! - Exceptions that pass through a cancelled scope: in Rust the cancelled future is dropped,
//!   so its destructors run, and there is nothing to catch.
