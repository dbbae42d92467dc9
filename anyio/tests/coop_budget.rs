//! Every operation is a cancellation point, and fairness comes from a budget (DESIGN §4 rule
//! 10), on every backend: long runs of operations that are all ready at once stay cancellable
//! (by a deadline or by another task on the same thread) and leave the other tasks of the
//! thread their turns; an operation polled in a cancelled scope does not complete even when
//! it could, and takes nothing.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyio::lowlevel::checkpoint;
use anyio::streams::memory::TryReceiveError;
use anyio::sync::{CapacityLimiter, Condition, Event, Lock, Mutex, RwLock, Semaphore};
use anyio::{
    CancelScope, TaskGroup, create_memory_object_stream, create_unbounded_memory_object_stream,
};

use common::bounded;

mod common;

/// Ready operations in a long run: well over the 5 ms the runs are given, in debug builds
/// (about 15-50 ms per 300,000) and in release builds alike.
const RUN: usize = if cfg!(debug_assertions) {
    1_000_000
} else {
    10_000_000
};

/// How long a long run is given before its scope's deadline cancels it.
const WINDOW: Duration = Duration::from_millis(5);

/// Runs `operation` [`RUN`] times inside `move_on_after(5 ms)`, and asserts that the deadline
/// cancelled the run midway: the scope gives `None` and far fewer than all the operations
/// completed. Returns how many did.
async fn cancelled_midway(what: &str, mut operation: impl AsyncFnMut()) -> usize {
    let done = AtomicUsize::new(0);
    let outcome = anyio::move_on_after(WINDOW, async {
        for _ in 0..RUN {
            operation().await;
            done.fetch_add(1, Ordering::Relaxed);
        }
    })
    .await;
    let done = done.load(Ordering::Relaxed);
    assert_eq!(
        outcome, None,
        "{what}: a run of {RUN} ready operations outlived its 5 ms deadline"
    );
    assert!(
        done < RUN / 2,
        "{what}: {done} of {RUN} operations completed before the deadline was noticed"
    );
    done
}

// --- Long runs stay cancellable ---------------------------------------------------------------

/// A run of sends on an unbounded stream (every one ready) inside `move_on_after(5 ms)` is
/// cancelled midway, and exactly the sends that completed are in the stream.
#[anyio::test]
async fn a_run_of_unbounded_sends_is_cancelled_by_its_deadline() {
    bounded(async {
        let (tx, rx) = create_unbounded_memory_object_stream::<usize>();
        let mut next = 0;
        let sent = cancelled_midway("unbounded send", async || {
            tx.send(next).await.unwrap();
            next += 1;
        })
        .await;
        assert_eq!(rx.statistics().current_buffer_used, sent);
        assert_eq!(rx.try_receive(), Ok(0));
    })
    .await;
}

/// A run of receives, each finding an item buffered, is cancelled midway; the items not
/// received stay in the stream, in order.
#[anyio::test]
async fn a_run_of_buffered_receives_is_cancelled_by_its_deadline() {
    bounded(async {
        let (tx, rx) = create_unbounded_memory_object_stream::<usize>();
        for item in 0..RUN {
            tx.try_send(item).unwrap();
        }
        let received = cancelled_midway("buffered receive", async || {
            rx.receive().await.unwrap();
        })
        .await;
        assert_eq!(rx.statistics().current_buffer_used, RUN - received);
        assert_eq!(rx.try_receive(), Ok(received));
    })
    .await;
}

/// Runs of uncontended lock and unlock, of a `Mutex` and of a `Lock`, are cancelled midway,
/// and leave the lock free.
#[anyio::test]
async fn a_run_of_uncontended_locks_is_cancelled_by_its_deadline() {
    bounded(async {
        let mutex = Mutex::new(0usize);
        let done = cancelled_midway("Mutex lock/unlock", async || {
            *mutex.lock().await += 1;
        })
        .await;
        assert!(!mutex.is_locked());
        assert_eq!(*mutex.try_lock().unwrap(), done);

        let lock = Lock::new();
        cancelled_midway("Lock lock/unlock", async || {
            drop(lock.lock().await);
        })
        .await;
        assert!(!lock.locked());
    })
    .await;
}

/// A run of waits on an event that is already set is cancelled midway.
#[anyio::test]
async fn a_run_of_waits_on_a_set_event_is_cancelled_by_its_deadline() {
    bounded(async {
        let event = Event::new();
        event.set();
        cancelled_midway("Event::wait (set)", async || event.wait().await).await;
    })
    .await;
}

/// Runs of semaphore and capacity limiter acquire/release are cancelled midway, and give
/// every permit and token back.
#[anyio::test]
async fn a_run_of_semaphore_and_limiter_acquires_is_cancelled_by_its_deadline() {
    bounded(async {
        let semaphore = Semaphore::new(1);
        cancelled_midway("Semaphore acquire/release", async || {
            drop(semaphore.acquire().await);
        })
        .await;
        assert_eq!(semaphore.value(), 1);

        let limiter = CapacityLimiter::new(1);
        cancelled_midway("CapacityLimiter acquire/release", async || {
            drop(limiter.acquire().await.unwrap());
        })
        .await;
        assert_eq!(limiter.borrowed_tokens(), 0);

        let rwlock = RwLock::new(0usize);
        cancelled_midway("RwLock read/write", async || {
            let value = *rwlock.read().await;
            *rwlock.write().await = value + 1;
        })
        .await;
        assert!(rwlock.try_write().is_ok());
    })
    .await;
}

/// On a single-thread runtime, a run of ready lock/unlock operations is cancelled by another
/// task of the same thread (no timer involved): the budget lets that task run and cancel the
/// scope, and the run stops midway.
#[anyio::test]
async fn a_run_of_ready_operations_is_cancelled_by_a_task_on_the_same_thread() {
    bounded(async {
        let mutex = Mutex::new(0usize);
        let scope = CancelScope::new();
        let handle = scope.handle();
        let counted = &mutex;
        let outcome = anyio::task_group(|tg: TaskGroup<Infallible>| async move {
            tg.spawn(async move {
                checkpoint().await;
                handle.cancel();
            });
            let outcome = scope
                .run(async {
                    for _ in 0..RUN {
                        *counted.lock().await += 1;
                    }
                })
                .await;
            Ok(outcome)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(outcome, None, "the run never let the cancelling task in");
        let done = *mutex.try_lock().unwrap();
        assert!(
            done < RUN / 2,
            "{done} of {RUN} lock/unlock pairs completed"
        );
    })
    .await;
}

// --- Long runs are fair ----------------------------------------------------------------------------

/// Ready operations in a fairness run.
const FAIR_RUN: usize = 100_000;
/// Where in the run the sibling's progress is sampled.
const SAMPLES: usize = 5;

/// On the test's (single-thread) runtime, runs `operation` [`FAIR_RUN`] times while a sibling
/// task counts its checkpoints, and asserts that the sibling made progress during each part of
/// the run, not only once it was over.
async fn assert_fair(what: &str, mut operation: impl AsyncFnMut()) {
    let progress = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (counter, stopped) = (Arc::clone(&progress), Arc::clone(&stop));
    let samples = anyio::task_group(|tg: TaskGroup<Infallible>| async move {
        tg.spawn(async move {
            while !stopped.load(Ordering::SeqCst) {
                checkpoint().await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let mut samples = vec![progress.load(Ordering::SeqCst)];
        for done in 1..=FAIR_RUN {
            operation().await;
            if done % (FAIR_RUN / SAMPLES) == 0 {
                samples.push(progress.load(Ordering::SeqCst));
            }
        }
        stop.store(true, Ordering::SeqCst);
        Ok(samples)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(samples.len(), SAMPLES + 1);
    for (part, pair) in samples.windows(2).enumerate() {
        assert!(
            pair[1] > pair[0],
            "{what}: the sibling made no progress during part {} of the run: {samples:?}",
            part + 1
        );
    }
}

/// A task looping on uncontended `Mutex` and `Lock` lock/unlock does not starve a sibling on
/// the same thread: the sibling's counter grows during every fifth of the run.
#[anyio::test]
async fn a_run_of_uncontended_locks_leaves_the_sibling_its_turns() {
    bounded(async {
        let mutex = Mutex::new(0usize);
        assert_fair("Mutex lock/unlock", async || *mutex.lock().await += 1).await;
        let lock = Lock::new();
        assert_fair("Lock lock/unlock", async || drop(lock.lock().await)).await;
    })
    .await;
}

/// The same when the looping code is a spawned task rather than the runner's main task: a
/// child looping on uncontended `Mutex` lock/unlock leaves its sibling child turns during
/// every fifth of the run.
#[anyio::test]
async fn a_looping_child_task_leaves_its_sibling_its_turns() {
    bounded(async {
        let progress = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let samples = anyio::task_group(|tg: TaskGroup<Infallible>| async move {
            let (counter, stopped) = (Arc::clone(&progress), Arc::clone(&stop));
            tg.spawn(async move {
                while !stopped.load(Ordering::SeqCst) {
                    checkpoint().await;
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            let looper = tg.spawn(async move {
                let mutex = Mutex::new(0usize);
                let mut samples = vec![progress.load(Ordering::SeqCst)];
                for done in 1..=FAIR_RUN {
                    *mutex.lock().await += 1;
                    if done % (FAIR_RUN / SAMPLES) == 0 {
                        samples.push(progress.load(Ordering::SeqCst));
                    }
                }
                stop.store(true, Ordering::SeqCst);
                Ok(samples)
            });
            Ok(looper.await.expect("the looping child finished"))
        })
        .await
        .unwrap()
        .unwrap();
        for (part, pair) in samples.windows(2).enumerate() {
            assert!(
                pair[1] > pair[0],
                "the sibling made no progress during part {} of the run: {samples:?}",
                part + 1
            );
        }
    })
    .await;
}

/// The same for sends and receives that are all ready, waits on a set event, and semaphore
/// acquire/release.
#[anyio::test]
async fn runs_of_other_ready_operations_leave_the_sibling_its_turns() {
    bounded(async {
        let (tx, rx) = create_memory_object_stream::<u32>(1);
        assert_fair("send + receive", async || {
            tx.send(1).await.unwrap();
            rx.receive().await.unwrap();
        })
        .await;
        let event = Event::new();
        event.set();
        assert_fair("Event::wait (set)", async || event.wait().await).await;
        let semaphore = Semaphore::new(1);
        assert_fair("Semaphore acquire/release", async || {
            drop(semaphore.acquire().await);
        })
        .await;
    })
    .await;
}

// --- Operations in a cancelled scope do not complete -------------------------------------------

/// Awaits `operation` in a scope cancelled just before, and asserts that the scope ends
/// cancelled and the code after the operation never ran.
async fn assert_not_completed(what: &str, operation: impl Future) {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let completed = AtomicBool::new(false);
    let outcome = scope
        .run(async {
            handle.cancel();
            let output = operation.await;
            completed.store(true, Ordering::SeqCst);
            drop(output);
        })
        .await;
    assert!(
        !completed.load(Ordering::SeqCst),
        "{what} completed in a cancelled scope"
    );
    assert_eq!(outcome, None, "{what}");
    assert!(handle.cancelled_caught(), "{what}");
}

/// A `Mutex`, `Lock`, `Condition` lock and `RwLock` that are free are not taken in a
/// cancelled scope (`scope.run(async { handle.cancel(); mutex.lock().await; .. })` gives
/// `None`), and are free afterwards.
#[anyio::test]
async fn free_locks_are_not_taken_in_a_cancelled_scope() {
    bounded(async {
        let mutex = Mutex::new(());
        assert_not_completed("Mutex::lock", mutex.lock()).await;
        let stats = mutex.statistics();
        assert!(!stats.locked && stats.owner.is_none(), "{stats:?}");

        let lock = Lock::new();
        assert_not_completed("Lock::lock", lock.lock()).await;
        assert!(!lock.locked());

        let condition = Condition::new(());
        assert_not_completed("Condition::lock", condition.lock()).await;
        assert!(!condition.statistics().lock.locked);

        let rwlock = RwLock::new(());
        assert_not_completed("RwLock::read", rwlock.read()).await;
        assert_not_completed("RwLock::write", rwlock.write()).await;
        assert!(rwlock.try_write().is_ok(), "the RwLock was left held");
    })
    .await;
}

/// A receive with an item buffered does not take it in a cancelled scope (the item stays in
/// the stream), and a send with room sends nothing.
#[anyio::test]
async fn ready_stream_operations_do_nothing_in_a_cancelled_scope() {
    bounded(async {
        let (tx, rx) = create_memory_object_stream::<u32>(1);
        tx.try_send(1).unwrap();
        assert_not_completed("receive (item buffered)", rx.receive()).await;
        assert_eq!(rx.try_receive(), Ok(1), "the item was taken");

        assert_not_completed("send (room)", tx.send(2)).await;
        assert_eq!(
            rx.try_receive(),
            Err(TryReceiveError::WouldBlock),
            "the item was sent"
        );
        let stats = rx.statistics();
        assert_eq!(
            (
                stats.current_buffer_used,
                stats.tasks_waiting_send,
                stats.tasks_waiting_receive
            ),
            (0, 0, 0)
        );

        // A rendezvous send with a receiver waiting does not hand its item over either.
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let mut receiving = std::pin::pin!(rx.receive());
        assert!(
            futures_lite::future::poll_once(&mut receiving)
                .await
                .is_none()
        );
        assert_not_completed("send (receiver waiting)", tx.send(3)).await;
        assert!(
            futures_lite::future::poll_once(&mut receiving)
                .await
                .is_none(),
            "the waiting receiver got the item of a cancelled send"
        );
        tx.try_send(4).unwrap();
        assert_eq!(
            futures_lite::future::poll_once(&mut receiving).await,
            Some(Ok(4))
        );
    })
    .await;
}

/// A wait on a set event, a semaphore acquire with permits free and a capacity limiter acquire
/// with tokens free do not complete in a cancelled scope, and take nothing.
#[anyio::test]
async fn ready_waits_and_acquires_do_not_complete_in_a_cancelled_scope() {
    bounded(async {
        let event = Event::new();
        event.set();
        assert_not_completed("Event::wait (set)", event.wait()).await;

        let semaphore = Semaphore::new(2);
        assert_not_completed("Semaphore::acquire", semaphore.acquire()).await;
        assert_eq!(semaphore.value(), 2, "a permit was taken");
        assert_eq!(semaphore.statistics().tasks_waiting, 0);

        let limiter = CapacityLimiter::new(1);
        assert_not_completed("CapacityLimiter::acquire", limiter.acquire()).await;
        let stats = limiter.statistics();
        assert_eq!(
            (stats.borrowed_tokens, stats.tasks_waiting),
            (0, 0),
            "{stats:?}"
        );
        assert!(stats.borrowers.is_empty(), "{stats:?}");
        drop(
            limiter
                .try_acquire()
                .expect("the borrower was left registered"),
        );
    })
    .await;
}

/// Awaiting the handle of a finished child in a cancelled scope does not take its value:
/// awaited again outside the scope, the handle still gives it.
#[anyio::test]
async fn a_task_handle_awaited_in_a_cancelled_scope_keeps_the_value() {
    bounded(async {
        anyio::task_group(|tg: TaskGroup<Infallible>| async move {
            let mut child = tg.spawn(async { Ok(7) });
            while !child.is_finished() {
                checkpoint().await;
            }
            assert_not_completed("TaskHandle (finished)", &mut child).await;
            assert_eq!(
                child.await,
                Ok(7),
                "the value was taken by the cancelled await"
            );
            Ok(())
        })
        .await
        .unwrap();
    })
    .await;
}

/// The same operations in a scope cancelled before it ran, and in a scope inside a cancelled
/// one (the inner scope itself not cancelled): they do not complete, and the outer scope takes
/// the cancellation.
#[anyio::test]
async fn ready_operations_do_not_complete_under_an_earlier_or_enclosing_cancellation() {
    bounded(async {
        let mutex = Mutex::new(());
        let scope = CancelScope::new();
        let handle = scope.handle();
        handle.cancel();
        assert_eq!(scope.run(async { drop(mutex.lock().await) }).await, None);
        assert!(!mutex.is_locked());

        let (tx, rx) = create_memory_object_stream::<u32>(1);
        tx.try_send(1).unwrap();
        let outer = CancelScope::new();
        let outer_handle = outer.handle();
        let inner_done = AtomicBool::new(false);
        let after_inner = AtomicBool::new(false);
        let outcome = outer
            .run(async {
                let received = CancelScope::new()
                    .run(async {
                        outer_handle.cancel();
                        let item = rx.receive().await;
                        inner_done.store(true, Ordering::SeqCst);
                        item
                    })
                    .await;
                after_inner.store(true, Ordering::SeqCst);
                received
            })
            .await;
        assert_eq!(outcome, None);
        assert!(!inner_done.load(Ordering::SeqCst));
        assert!(!after_inner.load(Ordering::SeqCst));
        assert!(outer_handle.cancelled_caught());
        assert_eq!(rx.try_receive(), Ok(1), "the item was taken");
    })
    .await;
}

/// Inside a shield, ready operations complete although an enclosing scope is cancelled; the
/// body is then dropped at its first suspension outside the shield.
#[anyio::test]
async fn ready_operations_complete_inside_a_shield_of_a_cancelled_scope() {
    bounded(async {
        let mutex = Mutex::new(0);
        let semaphore = Semaphore::new(1);
        let (tx, rx) = create_memory_object_stream::<u32>(1);
        let event = Event::new();
        event.set();
        let scope = CancelScope::new();
        let handle = scope.handle();
        let after_shield = AtomicBool::new(false);
        let outcome = scope
            .run(async {
                handle.cancel();
                let done = CancelScope::new()
                    .shield(true)
                    .run(async {
                        *mutex.lock().await += 1;
                        drop(semaphore.acquire().await);
                        tx.send(5).await.unwrap();
                        let item = rx.receive().await.unwrap();
                        event.wait().await;
                        item
                    })
                    .await;
                assert_eq!(done, Some(5));
                after_shield.store(true, Ordering::SeqCst);
                drop(mutex.lock().await);
                unreachable!("the first operation outside the shield completed");
            })
            .await;
        assert_eq!(outcome, None::<()>);
        assert!(after_shield.load(Ordering::SeqCst));
        assert_eq!(*mutex.try_lock().unwrap(), 1);
        assert_eq!(semaphore.value(), 1);
    })
    .await;
}
