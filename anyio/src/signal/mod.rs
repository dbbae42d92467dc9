//! Operating system signals as a stream (AnyIO's `open_signal_receiver`), on unix, on every
//! backend.
//!
//! A process learns that it should stop (`SIGTERM` from a service manager, `SIGINT` from
//! Ctrl+C), reload its configuration (`SIGHUP`) or redraw (`SIGWINCH`) through signals. Their
//! handlers run on top of whatever the interrupted thread was doing, where almost nothing is
//! allowed. [`open_signal_receiver`] turns them into something a task can wait for: a
//! [`SignalReceiver`] whose [`receive`](SignalReceiver::receive) returns the next signal, and
//! which is also a [`Stream`](futures_core::Stream) of them.
//!
//! ## A graceful shutdown
//!
//! Run the program's work in a task group, wait for a signal beside it, and cancel the group
//! when one comes: every task is dropped at its next suspension point, after which the code
//! after the group cleans up.
//! ```
//! use anyio::signal::{Signal, open_signal_receiver};
//!
//! /// Stands for the program's real work: a server's accept loop, say.
//! async fn serve() {
//!     anyio::sleep_forever().await;
//! }
//!
//! anyio::run(async {
//!     // Opened before the work starts, so that no signal is missed meanwhile.
//!     let mut signals = open_signal_receiver([Signal::SIGTERM, Signal::SIGINT])?;
//!     let stopped = anyio::task_group(|tg| async move {
//!         tg.spawn(serve());
//!         // In real life, `kill` or Ctrl+C sends the signal; here the example sends it.
//!         // SAFETY: `raise` has no preconditions; the receiver handles the signal.
//!         unsafe { libc::raise(libc::SIGTERM) };
//!         let signal = signals.receive().await?;
//!         eprintln!("{signal} received: shutting down");
//!         tg.cancel();
//!         Ok::<_, std::io::Error>(())
//!     })
//!     .await;
//!     stopped.map_err(std::io::Error::other)?;
//!     // ... flush, close, say goodbye ...
//!     Ok::<_, std::io::Error>(())
//! })??;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! The receiver was moved into the group's body, so it is dropped when the group ends: from
//! then on `SIGTERM` and `SIGINT` do again what they did before (here: end the process).
//!
//! ## What a receiver guarantees
//!
//! - **Every delivery, in order.** Each time the process handles one of the signals, the
//!   receiver queues it; two `SIGUSR1` in a row are received twice. (The kernel itself keeps
//!   one pending instance of each standard signal: two sent before the process handled the
//!   first arrive as one. Signals a thread sends itself with `raise` are handled at once.)
//! - **A bound, not a block.** A receiver holds up to [`SignalReceiver::CAPACITY`] signals
//!   it was not asked for yet; deliveries beyond that are dropped for that receiver. The
//!   handler never waits on a receiver.
//! - **Several receivers.** Receivers of the same signal each get every delivery; one may be
//!   opened and received from on any task or thread, on either backend. (Python's AnyIO
//!   allows the main thread only; anyio has no such restriction.)
//! - **Cancellation.** [`receive`](SignalReceiver::receive) is cancel safe and a cancellation
//!   point: in a cancelled scope it does not return, and what it did not return stays queued.
//!
//! ## Dispositions: what happens to the signal's previous handling
//!
//! While at least one receiver of a signal is open, anyio's handler is installed for it.
//! - **The first receiver** saves the signal's disposition and installs anyio's handler.
//! - **If that disposition was a function** (tokio's signal driver, signal-hook, a C library's
//!   handler), anyio's handler calls it after queueing the signal, so its users keep working.
//!   The default action and "ignore" are not applied while receivers are open: a `SIGTERM`
//!   that has a receiver no longer ends the process.
//! - **The last receiver to be dropped** restores the saved disposition, if anyio's handler is
//!   still the installed one. Code that installed its own handler in the meantime keeps it:
//!   anyio does not undo other code's changes. When that code passes signals on to the handler
//!   it replaced (signal-hook does, and `tokio::signal` is built on it), later anyio receivers
//!   of the signal are reached through it and anyio does not install its handler over it
//!   again (that could make the two call each other for ever).
//! - **A signal blocked in a thread** (with `pthread_sigmask`, as `signalfd` users do) is not
//!   handled by that thread: the kernel gives it to another thread, or keeps it pending.
//!
//! Other libraries that handle signals should be set up after the receivers are opened or
//! before, not while they change: signal dispositions belong to the whole process, and two
//! threads changing the same one at once race, whoever they are.
//!
//! ## Which signals
//!
//! Any signal a process can catch, given as a [`Signal`] or as a `libc` number, except those
//! that report a fault of the running thread (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`): see
//! [`UnsupportedSignalError`]. Signals are unix only; on other systems this module does not
//! exist.
//!
//! ## How it works
//!
//! Each receiver owns a pipe. anyio's handler writes the signal's number, one byte per
//! delivery, into the pipe of each receiver of the signal (a write is one of the few things a
//! handler may do), and the receiver reads the pipe through the backend's reactor like any
//! socket. A receiver belongs to the process that opened it: a child made by `fork` inherits
//! the handler until it calls `exec`, but the signals it handles meanwhile are its own, and
//! are not written into the receivers' pipes. `tokio::signal` merges the deliveries that come before its reader looks, and so does
//! smol's `async-signal` on Linux (it reads them from a `signalfd`, which holds one of each);
//! neither puts the previous disposition back. So anyio handles signals itself.

mod handler;
mod number;
mod receiver;

pub use number::{Signal, UnsupportedSignalError};
pub use receiver::{SignalReceiver, open_signal_receiver};
