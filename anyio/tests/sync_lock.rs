//! `Lock` and `Mutex`, on every backend: fairness, hand-off, owner tracking, cancellation.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyio::TaskGroup;
use anyio::sync::{Event, Lock, Mutex};
use futures_lite::FutureExt;
use futures_lite::future::poll_once;

use common::until;

mod common;

type Group = TaskGroup<Infallible>;

/// Spawns a task that takes `lock`, signals `held`, and keeps it until `release` is set.
fn spawn_holder(tg: &Group, lock: &Arc<Lock>, held: &Arc<Event>, release: &Arc<Event>) {
    let (lock, held, release) = (Arc::clone(lock), Arc::clone(held), Arc::clone(release));
    tg.spawn(async move {
        let _guard = lock.lock().await;
        held.set();
        release.wait().await;
    });
}

#[anyio::test]
async fn an_uncontended_lock_is_taken_and_released() {
    let lock = Lock::new();
    let guard = lock.lock().await;
    assert!(lock.locked());
    let stats = lock.statistics();
    assert_eq!(stats.owner, Some(anyio::get_current_task().unwrap().id()));
    assert!(lock.try_lock().is_err());
    drop(guard);
    assert!(!lock.locked());
    assert_eq!(lock.statistics().owner, None);
    drop(lock.try_lock().unwrap());
}

#[anyio::test]
async fn waiters_get_the_lock_in_arrival_order() {
    let lock = Arc::new(Lock::new());
    let order = Arc::new(Mutex::new(Vec::new()));
    let (held, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (lock2, order2) = (Arc::clone(&lock), Arc::clone(&order));
    anyio::task_group(|tg| async move {
        spawn_holder(&tg, &lock2, &held, &release);
        held.wait().await;
        for index in 0..5 {
            let (lock, order) = (Arc::clone(&lock2), Arc::clone(&order2));
            tg.spawn(async move {
                let _guard = lock.lock().await;
                order.lock().await.push(index);
            });
            until(|| lock2.statistics().tasks_waiting == index + 1).await;
        }
        release.set();
    })
    .await
    .unwrap();
    assert_eq!(*order.lock().await, [0, 1, 2, 3, 4]);
    assert!(!lock.locked());
}

#[anyio::test]
async fn a_handed_over_lock_cannot_be_stolen_and_a_dropped_waiter_passes_it_on() {
    let lock = Arc::new(Lock::new());
    let (held, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let lock2 = Arc::clone(&lock);
    anyio::task_group(|tg| async move {
        spawn_holder(&tg, &lock2, &held, &release);
        held.wait().await;
        let mut first = Box::pin(lock2.lock());
        let mut second = pin!(lock2.lock());
        assert!(poll_once(&mut first).await.is_none());
        assert!(poll_once(&mut second).await.is_none());
        assert_eq!(lock2.statistics().tasks_waiting, 2);
        release.set();
        // The holder unlocks: the lock goes to `first`, which has not run yet.
        until(|| lock2.statistics().tasks_waiting == 1).await;
        assert!(lock2.locked());
        assert!(
            lock2.try_lock().is_err(),
            "the lock handed to `first` was stolen"
        );
        // `first` is cancelled after the hand-off: the lock moves on to `second`.
        drop(first);
        let guard = poll_once(&mut second)
            .await
            .expect("the lock was passed on");
        assert_eq!(lock2.statistics().tasks_waiting, 0);
        drop(guard);
        assert!(!lock2.locked());
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_cancelled_waiter_leaves_the_line_mid_wait() {
    let lock = Arc::new(Lock::new());
    let (held, release) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let got_it = Arc::new(AtomicBool::new(false));
    let (lock2, got_it2) = (Arc::clone(&lock), Arc::clone(&got_it));
    anyio::task_group(|tg| async move {
        spawn_holder(&tg, &lock2, &held, &release);
        held.wait().await;
        let waiter = {
            let (lock, got_it) = (Arc::clone(&lock2), Arc::clone(&got_it2));
            tg.spawn(async move {
                let _guard = lock.lock().await;
                got_it.store(true, Ordering::SeqCst);
            })
        };
        until(|| lock2.statistics().tasks_waiting == 1).await;
        waiter.cancel();
        assert_eq!(waiter.await, Err(anyio::TaskError::Cancelled));
        assert_eq!(lock2.statistics().tasks_waiting, 0);
        release.set();
    })
    .await
    .unwrap();
    assert!(!got_it.load(Ordering::SeqCst));
    assert!(!lock.locked(), "the cancelled waiter leaked the lock");
}

#[anyio::test]
async fn taking_a_lock_the_task_holds_panics_instead_of_deadlocking() {
    let lock = Lock::new();
    let _guard = lock.lock().await;
    let attempt = AssertUnwindSafe(async { drop(lock.lock().await) })
        .catch_unwind()
        .await;
    let payload = attempt.expect_err("re-acquiring did not panic");
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(message.contains("anyio::sync::Lock::lock"), "{message}");
    assert!(message.contains("already holds this lock"), "{message}");
    assert_eq!(
        lock.statistics().tasks_waiting,
        0,
        "the failed wait left the line"
    );
}

#[anyio::test]
async fn a_mutex_guards_its_value_and_hands_it_over() {
    let mutex = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&mutex);
    anyio::task_group(|tg| async move {
        for index in 0..3 {
            let shared = Arc::clone(&shared);
            tg.spawn(async move {
                let mut values = shared.lock_owned().await;
                anyio::lowlevel::checkpoint().await;
                values.push(index);
            });
        }
    })
    .await
    .unwrap();
    let mut values = mutex.lock().await.clone();
    values.sort_unstable();
    assert_eq!(values, [0, 1, 2]);
    assert!(
        format!("{mutex:?}").starts_with("Mutex { data: ["),
        "{mutex:?}"
    );
    let _guard = mutex.lock().await;
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
}

/// Many tasks on two threads, each taking the lock many times across suspension points:
/// never two holders at once, no increment lost, no waiter left behind.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn mutual_exclusion_holds_under_contention_on_two_threads() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 500;
    let counter = Arc::new(Mutex::new(0usize));
    let inside = Arc::new(AtomicUsize::new(0));
    let shared = Arc::clone(&counter);
    anyio::task_group(|tg| async move {
        for _ in 0..TASKS {
            let (counter, inside) = (Arc::clone(&shared), Arc::clone(&inside));
            tg.spawn(async move {
                for round in 0..ROUNDS {
                    let mut value = counter.lock().await;
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    if round % 8 == 0 {
                        anyio::lowlevel::checkpoint().await;
                    }
                    *value += 1;
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            });
        }
    })
    .await
    .unwrap();
    assert_eq!(*counter.lock().await, TASKS * ROUNDS);
    assert_eq!(counter.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn an_owned_guard_moved_to_another_task_does_not_trip_the_reentry_check() {
    let mutex = Arc::new(Mutex::new(0));
    let guard = Arc::clone(&mutex).lock_owned().await;
    let me = anyio::get_current_task().unwrap().id();
    assert_eq!(mutex.statistics().owner, Some(me), "still reported");
    let mutex2 = Arc::clone(&mutex);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            anyio::lowlevel::checkpoint().await;
            drop(guard);
        });
        // The guard now belongs to the child: waiting for the lock is legitimate.
        *mutex2.lock().await += 1;
    })
    .await
    .unwrap();
    assert_eq!(*mutex.lock().await, 1);
}
