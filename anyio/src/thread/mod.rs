//! Threads and event loops: moving blocking work to threads ([`to_thread`]) and calling into
//! event loops from threads ([`from_thread`]). The public modules carry the guide; this one only
//! holds them together.

mod error;
pub mod from_thread;
mod hosted;
mod limiter;
mod oneshot;
mod portal;
mod portal_provider;
mod portal_resource;
mod portal_thread;
pub mod to_thread;
mod token;
mod worker;

pub use token::current_token;

/// [`CallError::EventLoopThread`](from_thread::CallError::EventLoopThread) on a thread that runs
/// an event loop, where blocking for a call into a loop could wait for ever.
pub(crate) fn refuse_on_event_loop() -> Result<(), from_thread::CallError> {
    if crate::backend::runs_event_loop() || crate::cancel::context::in_scope() {
        Err(from_thread::CallError::EventLoopThread)
    } else {
        Ok(())
    }
}
