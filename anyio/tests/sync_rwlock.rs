//! `RwLock`, on every backend: sharing, fairness between readers and writers, hand-off,
//! downgrade, writer tracking, cancellation, and a stress run on two threads.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use anyio::TaskGroup;
use anyio::sync::{Event, OwnedRwLockWriteGuard, RwLock};
use futures_lite::FutureExt;
use futures_lite::future::poll_once;

use common::until;

mod common;

type Group = TaskGroup<Infallible>;

#[anyio::test]
async fn readers_share_and_a_writer_excludes_everyone() {
    let lock = RwLock::new(1);
    let a = lock.read().await;
    let b = lock.try_read().unwrap();
    assert!(lock.try_write().is_err());
    assert_eq!(*a + *b, 2);
    drop((a, b));
    let mut writing = lock.write().await;
    *writing = 5;
    assert!(lock.try_read().is_err());
    assert!(lock.try_write().is_err());
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    drop(writing);
    assert_eq!(format!("{lock:?}"), "RwLock { data: 5 }");
    drop(lock.try_write().unwrap());
}

/// Takes the write lock in a child task and returns its guard, so that the calling task can
/// go on waiting for the lock without tripping the writer's re-entry check.
async fn write_in_another_task(lock: &Arc<RwLock<i32>>) -> OwnedRwLockWriteGuard<i32> {
    let lock = Arc::clone(lock);
    anyio::task_group(|tg: Group| async move {
        Ok(tg
            .spawn(async move { Ok(lock.write_owned().await) })
            .await
            .unwrap())
    })
    .await
    .unwrap()
    .unwrap()
}

#[anyio::test]
async fn a_waiting_writer_holds_back_later_readers_which_then_go_in_together() {
    let lock = Arc::new(RwLock::new(0));
    let first_reader = lock.read().await;
    let mut writer = pin!(write_in_another_task(&lock));
    assert!(poll_once(&mut writer).await.is_none());
    until(|| lock.try_read().is_err()).await;
    // Only a reader holds the lock, but a writer waits: new readers queue behind it.
    let mut late_reader = pin!(lock.read());
    let mut later_reader = pin!(lock.read());
    assert!(poll_once(&mut late_reader).await.is_none());
    assert!(poll_once(&mut later_reader).await.is_none());
    drop(first_reader);
    let mut writing = writer.await;
    *writing += 1;
    assert!(poll_once(&mut late_reader).await.is_none());
    drop(writing);
    let one = poll_once(&mut late_reader)
        .await
        .expect("served after the writer");
    let two = poll_once(&mut later_reader).await.expect("served together");
    assert_eq!(*one + *two, 2);
}

#[anyio::test]
async fn a_handed_over_write_lock_cannot_be_stolen_and_a_dropped_writer_passes_it_on() {
    let lock = RwLock::new(0);
    let reader = lock.read().await;
    let mut writer = Box::pin(lock.write());
    let mut next_writer = pin!(lock.write());
    assert!(poll_once(&mut writer).await.is_none());
    assert!(poll_once(&mut next_writer).await.is_none());
    drop(reader);
    // The lock now belongs to `writer`, which has not run yet.
    assert!(lock.try_read().is_err(), "the handed-over lock was stolen");
    assert!(lock.try_write().is_err(), "the handed-over lock was stolen");
    drop(writer);
    let writing = poll_once(&mut next_writer).await.expect("passed on");
    drop(writing);
    drop(lock.try_write().expect("nothing leaked"));
}

#[anyio::test]
async fn a_writer_dropped_mid_wait_lets_the_readers_behind_it_in() {
    let lock = RwLock::new(0);
    let reader = lock.read().await;
    let mut writer = Box::pin(lock.write());
    assert!(poll_once(&mut writer).await.is_none());
    let mut queued_reader = pin!(lock.read());
    assert!(poll_once(&mut queued_reader).await.is_none());
    drop(writer);
    let second = poll_once(&mut queued_reader)
        .await
        .expect("the reader went in");
    drop((reader, second));
    drop(
        lock.try_write()
            .expect("the cancelled writer leaked permits"),
    );
}

#[anyio::test]
async fn a_cancelled_writer_task_leaks_nothing() {
    let lock = Arc::new(RwLock::new(0));
    let wrote = Arc::new(AtomicBool::new(false));
    let (lock2, wrote2) = (Arc::clone(&lock), Arc::clone(&wrote));
    anyio::task_group(|tg| async move {
        let reader = lock2.read().await;
        let writer = {
            let (lock, wrote) = (Arc::clone(&lock2), Arc::clone(&wrote2));
            tg.spawn(async move {
                *lock.write().await = 1;
                wrote.store(true, Ordering::SeqCst);
            })
        };
        until(|| lock2.try_read().is_err()).await;
        writer.cancel();
        assert_eq!(writer.await, Err(anyio::TaskError::Cancelled));
        drop(reader);
    })
    .await
    .unwrap();
    assert!(!wrote.load(Ordering::SeqCst));
    assert_eq!(*lock.try_write().expect("the lock is free").downgrade(), 0);
}

#[anyio::test]
async fn downgrading_lets_the_queued_readers_in_but_no_writer() {
    let lock = Arc::new(RwLock::new(0));
    let mut writing = write_in_another_task(&lock).await;
    *writing = 7;
    let mut reader = pin!(lock.read());
    let mut writer = pin!(lock.write());
    assert!(poll_once(&mut reader).await.is_none());
    assert!(poll_once(&mut writer).await.is_none());
    let reading = writing.downgrade();
    let other = poll_once(&mut reader).await.expect("the reader went in");
    assert_eq!((*reading, *other), (7, 7));
    assert!(poll_once(&mut writer).await.is_none());
    drop(reading);
    assert!(
        poll_once(&mut writer).await.is_none(),
        "a writer went in beside a reader"
    );
    drop(other);
    assert!(poll_once(&mut writer).await.is_some());
}

#[anyio::test]
async fn asking_again_while_writing_panics_instead_of_deadlocking() {
    let lock = RwLock::new(0);
    let _writing = lock.write().await;
    for attempt in [
        AssertUnwindSafe(async { drop(lock.read().await) }.boxed()),
        AssertUnwindSafe(async { drop(lock.write().await) }.boxed()),
    ] {
        let payload = attempt.catch_unwind().await.expect_err("no panic");
        let message = payload.downcast_ref::<String>().expect("a message");
        assert!(message.contains("anyio::sync::RwLock::"), "{message}");
        assert!(message.contains("holds this lock for writing"), "{message}");
    }
}

/// Readers and writers on two threads: a writer is always alone, readers do overlap, and no
/// write is lost.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn readers_and_writers_stay_apart_under_contention_on_two_threads() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 300;
    let lock = Arc::new(RwLock::new(0usize));
    // Readers inside count up; a writer inside sets it to -1.
    let inside = Arc::new(AtomicIsize::new(0));
    let readers_overlapped = Arc::new(Event::new());
    let shared = Arc::clone(&lock);
    let overlapped = Arc::clone(&readers_overlapped);
    anyio::task_group(|tg| async move {
        for task in 0..TASKS {
            let (lock, inside, overlapped) = (
                Arc::clone(&shared),
                Arc::clone(&inside),
                Arc::clone(&overlapped),
            );
            tg.spawn(async move {
                for round in 0..ROUNDS {
                    if (task + round) % 4 == 0 {
                        let mut value = lock.write().await;
                        assert_eq!(inside.swap(-1, Ordering::SeqCst), 0, "writer not alone");
                        anyio::lowlevel::checkpoint().await;
                        *value += 1;
                        assert_eq!(inside.swap(0, Ordering::SeqCst), -1);
                    } else {
                        let _value = lock.read().await;
                        let before = inside.fetch_add(1, Ordering::SeqCst);
                        assert!(before >= 0, "a reader met a writer");
                        if before > 0 {
                            overlapped.set();
                        }
                        anyio::lowlevel::checkpoint().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            });
        }
    })
    .await
    .unwrap();
    let writes = (0..TASKS)
        .map(|task| (0..ROUNDS).filter(|round| (task + round) % 4 == 0).count())
        .sum::<usize>();
    assert_eq!(*lock.read().await, writes);
    assert!(readers_overlapped.is_set(), "readers never shared the lock");
    drop(lock.try_write().expect("nothing leaked"));
}

#[anyio::test]
async fn an_owned_write_guard_moved_to_another_task_does_not_trip_the_reentry_check() {
    let lock = Arc::new(RwLock::new(0));
    let mut writing = Arc::clone(&lock).write_owned().await;
    *writing = 1;
    let lock2 = Arc::clone(&lock);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            anyio::lowlevel::checkpoint().await;
            drop(writing);
        });
        assert_eq!(*lock2.read().await, 1);
    })
    .await
    .unwrap();
}
