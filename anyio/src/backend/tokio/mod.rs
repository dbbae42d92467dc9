//! The tokio backend: tokio's runtime, timers and cooperative yield, and whether tokio runs the
//! calling code.

mod detect;
pub(crate) mod runtime;
pub(crate) mod time;

pub(crate) use detect::{Presence, context_present, presence, scheduler_on_this_thread};
