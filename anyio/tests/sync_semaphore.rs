//! `Semaphore`, on every backend: counting, the maximum value, fairness, cancellation.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::TaskGroup;
use anyio::sync::{Semaphore, SemaphoreValueError};
use futures_lite::future::poll_once;

use common::until;

mod common;

type Group = TaskGroup<Infallible>;

#[anyio::test]
async fn permits_are_counted_and_given_back() {
    let semaphore = Semaphore::new(2);
    let first = semaphore.acquire().await;
    let second = semaphore.try_acquire().unwrap();
    assert_eq!(semaphore.value(), 0);
    assert!(semaphore.try_acquire().is_err());
    drop(first);
    assert_eq!(semaphore.value(), 1);
    second.forget();
    assert_eq!(semaphore.value(), 1);
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 2);
}

#[anyio::test]
async fn the_maximum_value_is_enforced() {
    assert_eq!(
        Semaphore::with_max_value(3, 2).unwrap_err(),
        SemaphoreValueError::InitialAboveMax {
            initial: 3,
            max_value: 2
        }
    );
    assert!(matches!(
        Semaphore::with_max_value(0, usize::MAX),
        Err(SemaphoreValueError::TooLarge { .. })
    ));
    let semaphore = Semaphore::with_max_value(1, 2).unwrap();
    semaphore.release().unwrap();
    assert_eq!(
        semaphore.release(),
        Err(SemaphoreValueError::ReleasedTooManyTimes { max_value: 2 })
    );
    assert_eq!(semaphore.value(), 2, "a refused release changes nothing");
}

#[anyio::test]
async fn a_released_permit_goes_to_the_first_waiter_and_cannot_be_stolen() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.acquire().await;
    let mut first = Box::pin(semaphore.acquire());
    let mut second = pin!(semaphore.acquire());
    assert!(poll_once(&mut first).await.is_none());
    assert!(poll_once(&mut second).await.is_none());
    assert_eq!(semaphore.statistics().tasks_waiting, 2);
    drop(held);
    assert_eq!(
        semaphore.value(),
        0,
        "the permit went to the waiter, not the count"
    );
    assert!(
        semaphore.try_acquire().is_err(),
        "the handed-over permit was stolen"
    );
    assert!(
        poll_once(&mut second).await.is_none(),
        "second overtook first"
    );
    // Cancelled after the hand-off: the permit moves on.
    drop(first);
    let permit = poll_once(&mut second)
        .await
        .expect("the permit was passed on");
    drop(permit);
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn a_cancelled_wait_leaks_no_permit() {
    let semaphore = Arc::new(Semaphore::new(1));
    let held = Arc::clone(&semaphore).acquire_owned().await;
    let waiting = Arc::clone(&semaphore);
    let outcome = anyio::task_group(|tg: Group| async move {
        let waiter = tg.spawn(async move {
            let _permit = waiting.acquire().await;
        });
        until(|| semaphore.statistics().tasks_waiting == 1).await;
        waiter.cancel();
        let result = waiter.await;
        drop(held);
        Ok((result, semaphore))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome.0, Err(anyio::TaskError::Cancelled));
    assert_eq!(outcome.1.value(), 1);
    assert_eq!(outcome.1.statistics().tasks_waiting, 0);
}

/// Many tasks on two threads share three permits: never more than three holders, every
/// permit back at the end.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn permits_are_exact_under_contention_on_two_threads() {
    const PERMITS: usize = 3;
    let semaphore = Arc::new(Semaphore::new(PERMITS));
    let holders = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (shared, peak2) = (Arc::clone(&semaphore), Arc::clone(&peak));
    anyio::task_group(|tg| async move {
        for _ in 0..16 {
            let (semaphore, holders, peak) = (
                Arc::clone(&shared),
                Arc::clone(&holders),
                Arc::clone(&peak2),
            );
            tg.spawn(async move {
                for _ in 0..300 {
                    let _permit = semaphore.acquire().await;
                    let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(now <= PERMITS, "{now} holders of {PERMITS} permits");
                    peak.fetch_max(now, Ordering::SeqCst);
                    anyio::lowlevel::checkpoint().await;
                    holders.fetch_sub(1, Ordering::SeqCst);
                }
            });
        }
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), PERMITS);
    assert!(peak.load(Ordering::SeqCst) >= 1);
}
