//! Running a blocking call off the event loop, on the backend's own pool of threads: tokio's
//! blocking pool, or the `blocking` crate's pool (smol's `unblock`).

use super::Active;

/// Runs `call` on a thread where blocking is allowed, and waits for its result without
/// blocking the event loop. A panic in `call` is re-raised here.
///
/// Dropping the future abandons the result; the call itself runs to its end.
pub(crate) async fn run_blocking<T, F>(backend: Active, call: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match backend {
        #[cfg(feature = "tokio")]
        Active::Tokio => match ::tokio::task::spawn_blocking(call).await {
            Ok(value) => value,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        },
        #[cfg(feature = "smol")]
        Active::Smol => blocking::unblock(call).await,
    }
}
