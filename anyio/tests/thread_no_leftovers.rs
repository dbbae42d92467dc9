//! No thread outlives its runner: after many `to_thread` calls at once, an abandoned call and a
//! call back into the loop, the process has as many threads as before (AnyIO's
//! `test_run_sync_from_thread_pooling`, which checks that the worker is gone once the loop has
//! closed).
//!
//! This file must hold this one test only: the count is of the whole process's threads, so no
//! other test may run beside it.

use std::convert::Infallible;
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use anyio::{CancelScope, from_thread, to_thread};

type Group = anyio::TaskGroup<Infallible>;

/// How many calls run at once.
const CONCURRENT: usize = 20;

/// How long anything that must come may take; far beyond any real delay.
const PATIENCE: Duration = Duration::from_secs(10);

/// The threads of this process, as the kernel lists them.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task lists the process's threads")
        .count()
}

/// The thread count once the threads joined last have left the kernel's list.
///
/// A join returns when the kernel wakes the joiner as the thread exits, and the thread leaves
/// `/proc/self/task` a moment later: there is nothing to wait on for that moment, so this
/// looks again for at most 100 ms. Far from the ten seconds after which idle workers retire by
/// themselves: a worker left idle is still counted.
fn settled_thread_count(expected: usize) -> usize {
    let start = std::time::Instant::now();
    loop {
        let count = thread_count();
        if count == expected || start.elapsed() > Duration::from_millis(100) {
            return count;
        }
        std::thread::yield_now();
    }
}

/// Many calls at once, an abandoned call released just before the end, and a call back into
/// the loop. Gives the receiver on which the abandoned call reports that it finished.
async fn program(before: usize) -> mpsc::Receiver<()> {
    // All at once: the barrier lets none through until every one runs on a thread of its own.
    let barrier = Arc::new(Barrier::new(CONCURRENT));
    anyio::task_group(|tg: Group| async move {
        for _ in 0..CONCURRENT {
            let barrier = barrier.clone();
            tg.spawn(to_thread::run_sync(move || {
                barrier.wait();
            }));
        }
        Ok(())
    })
    .await
    .unwrap();
    let during = thread_count();
    assert!(
        during >= before + CONCURRENT,
        "{CONCURRENT} calls at once run on as many threads ({before} before, {during} now)"
    );

    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (finished_tx, finished_rx) = mpsc::channel::<()>();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let abandoned = scope.run(
        to_thread::run_sync(move || {
            started_tx.send(()).unwrap();
            release_rx.recv_timeout(PATIENCE).unwrap();
            // Not synchronisation: a runner that did not wait for this thread would be gone
            // before it finishes, and the check after the runner could see it.
            std::thread::sleep(Duration::from_millis(20));
            finished_tx.send(()).unwrap();
        })
        .abandon_on_cancel(),
    );
    anyio::task_group(|tg: Group| async move {
        let abandoned = tg.spawn(async move { Ok(abandoned.await) });
        to_thread::run_sync(move || started_rx.recv_timeout(PATIENCE).unwrap()).await;
        handle.cancel();
        assert_eq!(abandoned.await.unwrap(), None, "the call was abandoned");
        Ok(())
    })
    .await
    .unwrap();

    let called = to_thread::run_sync(|| {
        from_thread::run(async {
            anyio::sleep(Duration::from_millis(1)).await;
            7
        })
    })
    .await;
    assert_eq!(called, Ok(7));

    // The abandoned thread finishes shortly after the main future has returned.
    release_tx.send(()).unwrap();
    finished_rx
}

#[test]
fn no_thread_outlives_its_runner() {
    // The reactor thread of async-io, which the smol runner drives its executor with, is one
    // per process and never exits; start it before counting.
    async_io::block_on(async {});
    let before = thread_count();

    let runners: [(&str, anyio::Runner); 2] = [
        ("tokio multi-thread", anyio::Runner::tokio()),
        ("smol, two threads", anyio::Runner::smol().threads(2)),
    ];
    for (name, runner) in runners {
        if !anyio::Backend::available().any(|backend| backend == runner.backend()) {
            continue;
        }
        let finished = runner.run(program(before)).unwrap();
        assert_eq!(
            finished.try_recv(),
            Ok(()),
            "{name}: the runner returned before the abandoned thread finished"
        );
        assert_eq!(
            settled_thread_count(before),
            before,
            "{name}: threads were left behind"
        );
    }
}
