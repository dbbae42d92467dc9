//! The background tokio runtime that [`TokioCompat`](super::TokioCompat) enters under smol:
//! started by the first wrapped future that needs it, and kept for the rest of the process.

use std::io;
use std::sync::{Mutex, OnceLock, PoisonError};

use ::tokio::runtime::{Builder, Runtime};

/// The runtime, once started. Never dropped: tokio resources made in it (sockets, timers) may
/// live in values that outlast any one wrapped future.
static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Held while the runtime starts, so that two threads do not both start one. A failed start
/// leaves `RUNTIME` empty, and the next wrapped future tries again.
static STARTING: Mutex<()> = Mutex::new(());

/// The name of the runtime's threads, as they show in `top -H`, debuggers and panics.
pub(super) const THREAD_NAME: &str = "anyio-compat-tokio";

/// The background runtime, started on the first call.
///
/// One worker thread: its work is to drive tokio's I/O and timer drivers (a parked worker
/// waits on them) and to run what wrapped code spawns with `tokio::spawn`; the wrapped futures
/// themselves run on smol's threads.
///
/// # Errors
/// When the system refuses the runtime a thread or an epoll descriptor.
pub(super) fn runtime() -> io::Result<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(THREAD_NAME)
        .enable_all()
        .build()?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// The runtime if it has been started, without starting it.
pub(super) fn started() -> Option<&'static Runtime> {
    RUNTIME.get()
}
