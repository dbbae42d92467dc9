//! `Condition`, on every backend: notify order, notify_all, wait_for, and notifications
//! passed on by cancelled waiters.
#![cfg(feature = "macros")]

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyio::sync::{Condition, Mutex};
use futures_lite::future::poll_once;

use common::until;

mod common;

#[anyio::test]
async fn notify_wakes_waiters_in_the_order_they_started_waiting() {
    let condition = Arc::new(Condition::new(()));
    let order = Arc::new(Mutex::new(Vec::new()));
    let (shared, order2) = (Arc::clone(&condition), Arc::clone(&order));
    anyio::task_group(|tg| async move {
        for index in 0..3 {
            let (condition, order) = (Arc::clone(&shared), Arc::clone(&order2));
            tg.spawn(async move {
                let guard = condition.lock().await.wait().await;
                order.lock().await.push(index);
                drop(guard);
            });
            until(|| shared.statistics().tasks_waiting == index + 1).await;
        }
        shared.lock().await.notify(2);
        until(|| shared.statistics().tasks_waiting == 1).await;
        until(|| order2.try_lock().is_ok_and(|order| order.len() == 2)).await;
        assert_eq!(*order2.lock().await, [0, 1]);
        shared.lock().await.notify_all();
    })
    .await
    .unwrap();
    assert_eq!(*order.lock().await, [0, 1, 2]);
}

#[anyio::test]
async fn wait_for_rechecks_the_predicate_after_each_notification() {
    let condition = Arc::new(Condition::new(0));
    let shared = Arc::clone(&condition);
    anyio::task_group(|tg| async move {
        let waiter = {
            let condition = Arc::clone(&shared);
            tg.spawn(async move { Ok(*condition.lock().await.wait_for(|n| *n >= 3).await) })
        };
        for _ in 0..3 {
            until(|| shared.statistics().tasks_waiting == 1).await;
            let mut value = shared.lock().await;
            *value += 1;
            value.notify(1);
        }
        assert_eq!(waiter.await, Ok(3));
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn a_notified_waiter_that_is_dropped_passes_the_notification_on() {
    let condition = Arc::new(Condition::new(()));
    let shared = Arc::clone(&condition);
    anyio::task_group(|tg| async move {
        // Two waiters polled by hand from a helper task, so that one can be dropped between
        // its notification and its next poll.
        let helper = {
            let condition = Arc::clone(&shared);
            tg.spawn(async move {
                let mut first = Box::pin(condition.lock().await.wait());
                assert!(poll_once(&mut first).await.is_none());
                let mut second = pin!(condition.lock().await.wait());
                assert!(poll_once(&mut second).await.is_none());
                until(|| condition.statistics().tasks_waiting == 1).await; // one notified
                drop(first); // ... and cancelled: the second one gets the notification
                let guard = poll_once(&mut second).await;
                Ok(guard.is_some())
            })
        };
        until(|| shared.statistics().tasks_waiting == 2).await;
        shared.lock().await.notify(1);
        assert_eq!(helper.await, Ok(true), "the notification was lost");
    })
    .await
    .unwrap();
    assert_eq!(condition.statistics().tasks_waiting, 0);
    assert!(!condition.statistics().lock.locked);
}

#[anyio::test]
async fn a_cancelled_wait_releases_the_lock_and_leaves_the_line() {
    let condition = Condition::new(());
    let guard = condition.lock().await;
    let waited = anyio::move_on_after(std::time::Duration::from_millis(2), guard.wait()).await;
    assert!(waited.is_none());
    let stats = condition.statistics();
    assert_eq!(stats.tasks_waiting, 0);
    assert!(!stats.lock.locked);
}

/// A wait first polled in a cancelled scope gives the lock back at once instead of holding it
/// until the body is dropped: a shielded part of the same body that needs the lock gets it
/// (before, the shield held the body open while the wait held the lock: a deadlock).
#[anyio::test]
async fn a_wait_in_a_cancelled_scope_gives_the_lock_back_at_once() {
    let condition = Condition::new(0);
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    let outcome = anyio::fail_after(
        Duration::from_secs(10),
        scope.run(futures_lite::future::zip(
            async {
                let guard = condition.lock().await;
                handle.cancel();
                let _ = guard.wait().await;
                unreachable!("the scope is cancelled");
            },
            anyio::CancelScope::new().shield(true).run(async {
                *condition.lock().await = 1;
            }),
        )),
    )
    .await;
    assert_eq!(outcome.expect("no deadlock"), None);
    assert_eq!(*condition.lock().await, 1);
    assert_eq!(condition.statistics().tasks_waiting, 0);
}
