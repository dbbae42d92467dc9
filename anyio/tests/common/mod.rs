//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub)] // each test crate uses its own subset

pub mod recorder;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A tokio runner on a current-thread runtime with a paused clock: when every task is idle,
/// tokio jumps the clock to the next timer, so timers show up as time passing instantly.
#[cfg(feature = "tokio")]
pub fn paused_tokio() -> anyio::Runner {
    anyio::Runner::tokio().runtime_factory(|| {
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder.start_paused(true);
        builder
    })
}

/// Asserts that `future` is still pending after a short real sleep, and drops it: a
/// cancellation mid-flight.
pub async fn assert_outlasted<F: Future>(future: F) {
    let raced = futures_lite::future::or(
        async {
            future.await;
            "the future finished"
        },
        async {
            anyio::sleep(Duration::from_millis(5)).await;
            "still pending"
        },
    )
    .await;
    assert_eq!(raced, "still pending");
}

/// Counts, in the shared counter, how many of these were dropped: a task's state.
pub struct DropCounter(pub Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Yields until `done()` holds: waits for other tasks to reach a state, by checkpoints rather
/// than a timer, and gives up (panicking) after a bounded number of them.
pub async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        anyio::lowlevel::checkpoint().await;
    }
    panic!("the awaited state was never reached");
}

/// One end of an in-memory byte pipe: bytes sent as chunks through memory object streams.
pub type PipeEnd = anyio::streams::ChunkedByteStream<
    anyio::streams::StapledStream<
        anyio::streams::memory::MemoryObjectSender<Vec<u8>>,
        anyio::streams::memory::MemoryObjectReceiver<Vec<u8>>,
    >,
>;

/// A two-way in-memory byte pipe whose directions each buffer `chunks` chunks.
pub fn byte_pipe(chunks: usize) -> (PipeEnd, PipeEnd) {
    use anyio::streams::{ChunkedByteStream, StapledStream};
    let (a_tx, b_rx) = anyio::create_memory_object_stream(chunks);
    let (b_tx, a_rx) = anyio::create_memory_object_stream(chunks);
    (
        ChunkedByteStream::new(StapledStream::new(a_tx, a_rx)),
        ChunkedByteStream::new(StapledStream::new(b_tx, b_rx)),
    )
}

/// A deterministic pseudo-random sequence (xorshift64), for tests that try many shapes. The
/// seed must not be 0.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next number below `bound` (which must not be 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Runs a test body under a 10 s limit, so that a regression fails instead of hanging.
pub async fn bounded<F: Future>(body: F) -> F::Output {
    anyio::fail_after(Duration::from_secs(10), body)
        .await
        .expect("the test did not finish within 10 s")
}
