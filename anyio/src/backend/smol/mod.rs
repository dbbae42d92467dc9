//! The smol backend: an `async-executor` driven by `async-io`'s reactor.
//!
//! Its clock is std's `Instant` and its timer `async_io::Timer`; both are used straight from the
//! backend dispatch in `backend/mod.rs` and `backend/timer.rs`.

mod main_future;
pub(crate) mod pool;
pub(crate) mod runtime;
