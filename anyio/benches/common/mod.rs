//! Helpers shared by the benchmarks.

#![allow(dead_code, unreachable_pub)] // each benchmark uses its own subset

use std::future::Future;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_executor::Executor;

/// Times `iters` sequential awaits of `op()` inside an already running runtime.
pub async fn timed<F, Fut>(iters: u64, mut op: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    let start = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(op().await);
    }
    start.elapsed()
}

/// smol's documented multi-threaded set-up, natively: `threads - 1` extra threads run the
/// executor until a channel closes while the calling thread drives `main(executor)`.
pub fn on_native_smol<T, Fut>(threads: usize, main: impl FnOnce(Arc<Executor<'static>>) -> Fut) -> T
where
    Fut: Future<Output = T>,
{
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let workers: Vec<_> = (1..threads)
        .map(|_| {
            let executor = Arc::clone(&executor);
            let stopped = stopped.clone();
            thread::spawn(move || async_io::block_on(executor.run(stopped.recv())).ok())
        })
        .collect();
    let output = async_io::block_on(executor.run(main(Arc::clone(&executor))));
    drop(stop);
    for worker in workers {
        worker.join().unwrap();
    }
    output
}
