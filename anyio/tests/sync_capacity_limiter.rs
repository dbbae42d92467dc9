//! `CapacityLimiter`, on every backend: borrowers, errors, an adjustable total, reserved
//! tokens, cancellation, and a stress run on two threads.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::TaskGroup;
use anyio::sync::{Borrower, CapacityLimiter, CapacityLimiterError, Event, Mutex};
use futures_lite::future::poll_once;

use common::until;

mod common;

type Group = TaskGroup<Infallible>;

#[anyio::test]
async fn borrowing_twice_and_releasing_without_a_token_are_errors() {
    let limiter = CapacityLimiter::new(3);
    let me = Borrower::current().expect("a test body is an anyio task");
    let token = limiter.acquire().await.unwrap();
    assert_eq!(token.borrower(), me);
    assert_eq!(
        limiter.acquire().await.unwrap_err(),
        CapacityLimiterError::AlreadyBorrowing(me)
    );
    assert_eq!(
        limiter.try_acquire().unwrap_err(),
        CapacityLimiterError::AlreadyBorrowing(me)
    );
    let job = Borrower::unique();
    assert_eq!(
        limiter.release_on_behalf_of(job),
        Err(CapacityLimiterError::NotBorrowing(job))
    );
    let held = limiter.acquire_on_behalf_of(job).await.unwrap();
    assert_eq!(limiter.borrowed_tokens(), 2);
    let mut borrowers = limiter.statistics().borrowers;
    borrowers.sort();
    let mut expected = vec![me, job];
    expected.sort();
    assert_eq!(borrowers, expected);
    assert_eq!(held.forget(), job);
    limiter.release_on_behalf_of(job).unwrap();
    assert_eq!(
        limiter.release_on_behalf_of(job),
        Err(CapacityLimiterError::NotBorrowing(job))
    );
    drop(token);
    assert_eq!(
        (limiter.borrowed_tokens(), limiter.available_tokens()),
        (0, 3)
    );
}

#[anyio::test]
async fn a_stale_guard_does_not_give_back_a_newer_loan() {
    let limiter = CapacityLimiter::new(2);
    let job = Borrower::unique();
    let first = limiter.try_acquire_on_behalf_of(job).unwrap();
    limiter.release_on_behalf_of(job).unwrap();
    let second = limiter.try_acquire_on_behalf_of(job).unwrap();
    drop(first);
    assert_eq!(
        limiter.borrowed_tokens(),
        1,
        "the stale guard released the new loan"
    );
    drop(second);
    assert_eq!(limiter.borrowed_tokens(), 0);
}

/// Spawns a task that borrows from `limiter`, logs its index, and holds the token until
/// `release` is set.
fn spawn_borrower(
    tg: &Group,
    limiter: &Arc<CapacityLimiter>,
    index: usize,
    log: &Arc<Mutex<Vec<usize>>>,
    release: &Arc<Event>,
) {
    let (limiter, log, release) = (Arc::clone(limiter), Arc::clone(log), Arc::clone(release));
    tg.spawn(async move {
        let _token = limiter.acquire().await.unwrap();
        log.lock().await.push(index);
        release.wait().await;
    });
}

#[anyio::test]
async fn the_total_goes_down_to_zero_and_back_up_serving_waiters_in_order() {
    let limiter = Arc::new(CapacityLimiter::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(Event::new());
    let (limiter2, log2) = (Arc::clone(&limiter), Arc::clone(&log));
    anyio::task_group(|tg| async move {
        for index in 0..4 {
            spawn_borrower(&tg, &limiter2, index, &log2, &release);
            until(|| limiter2.statistics().tasks_waiting == index + 1).await;
        }
        assert!(log2.lock().await.is_empty(), "a total of 0 lends nothing");
        limiter2.set_total_tokens(1);
        until(|| log2.try_lock().is_ok_and(|log| log.len() == 1)).await;
        limiter2.set_total_tokens(3);
        until(|| log2.try_lock().is_ok_and(|log| log.len() == 3)).await;
        assert_eq!(limiter2.statistics().tasks_waiting, 1);
        limiter2.set_total_tokens(0);
        assert_eq!(
            (limiter2.borrowed_tokens(), limiter2.available_tokens()),
            (3, 0),
            "lowering the total takes no token back"
        );
        release.set();
        until(|| limiter2.borrowed_tokens() == 0).await;
        assert_eq!(
            limiter2.statistics().tasks_waiting,
            1,
            "still no token for the last"
        );
        limiter2.set_total_tokens(5);
    })
    .await
    .unwrap();
    assert_eq!(*log.lock().await, [0, 1, 2, 3]);
    assert_eq!(
        (limiter.borrowed_tokens(), limiter.available_tokens()),
        (0, 5)
    );
}

#[anyio::test]
async fn a_token_reserved_for_a_woken_waiter_cannot_be_taken_by_try_acquire() {
    let limiter = CapacityLimiter::new(1);
    let holder = limiter
        .try_acquire_on_behalf_of(Borrower::unique())
        .unwrap();
    let (first, second) = (Borrower::unique(), Borrower::unique());
    let mut first_wait = Box::pin(limiter.acquire_on_behalf_of(first));
    let mut second_wait = pin!(limiter.acquire_on_behalf_of(second));
    assert!(poll_once(&mut first_wait).await.is_none());
    assert!(poll_once(&mut second_wait).await.is_none());
    assert_eq!(
        limiter.try_acquire_on_behalf_of(first).unwrap_err(),
        CapacityLimiterError::AlreadyBorrowing(first),
        "a waiting borrower is known"
    );
    drop(holder);
    // The token is reserved for `first`, which has not run yet.
    assert_eq!(
        limiter
            .try_acquire_on_behalf_of(Borrower::unique())
            .unwrap_err(),
        CapacityLimiterError::WouldBlock
    );
    assert_eq!(limiter.statistics().borrowers, [first]);
    // `first` is cancelled after being served: the token goes to `second`.
    drop(first_wait);
    let token = poll_once(&mut second_wait)
        .await
        .expect("the token moved on")
        .unwrap();
    assert_eq!(token.borrower(), second);
    drop(token);
    assert_eq!(
        (
            limiter.borrowed_tokens(),
            limiter.statistics().tasks_waiting
        ),
        (0, 0)
    );
}

#[anyio::test]
async fn a_token_reserved_for_a_waiter_cannot_be_released_on_its_behalf() {
    let limiter = CapacityLimiter::new(1);
    let holder = limiter
        .try_acquire_on_behalf_of(Borrower::unique())
        .unwrap();
    let job = Borrower::unique();
    let mut waiting = Box::pin(limiter.acquire_on_behalf_of(job));
    assert!(poll_once(&mut waiting).await.is_none());
    drop(holder); // reserves the token for `job`, whose wait has not run
    assert_eq!(
        limiter.release_on_behalf_of(job),
        Err(CapacityLimiterError::NotBorrowing(job))
    );
    assert_eq!(limiter.borrowed_tokens(), 1);
    drop(waiting);
    assert_eq!(
        (limiter.borrowed_tokens(), limiter.available_tokens()),
        (0, 1)
    );
    let mut waiting = Box::pin(limiter.acquire_on_behalf_of(job));
    let token = poll_once(&mut waiting).await.expect("free").unwrap();
    drop(waiting);
    limiter.release_on_behalf_of(token.forget()).unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn a_cancelled_waiter_leaks_no_token_and_may_borrow_again() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let job = Borrower::unique();
    let holder = limiter.try_acquire().unwrap();
    let limiter2 = Arc::clone(&limiter);
    anyio::task_group(|tg| async move {
        let waiter = {
            let limiter = Arc::clone(&limiter2);
            tg.spawn(async move { drop(limiter.acquire_on_behalf_of(job).await) })
        };
        until(|| limiter2.statistics().tasks_waiting == 1).await;
        waiter.cancel();
        assert_eq!(waiter.await, Err(anyio::TaskError::Cancelled));
    })
    .await
    .unwrap();
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    drop(holder);
    assert_eq!(
        limiter.borrowed_tokens(),
        0,
        "the cancelled waiter leaked a token"
    );
    drop(
        limiter
            .try_acquire_on_behalf_of(job)
            .expect("the borrower was forgotten"),
    );
}

/// Borrowers on two threads while another task keeps changing the total: never more tokens
/// out than the largest total, and every token comes back.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn tokens_are_accounted_for_exactly_under_contention_on_two_threads() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 200;
    const MOST: usize = 3;
    let limiter = Arc::new(CapacityLimiter::new(MOST));
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (limiter2, peak2) = (Arc::clone(&limiter), Arc::clone(&peak));
    anyio::task_group(|tg| async move {
        for _ in 0..TASKS {
            let (limiter, inside, peak, finished) = (
                Arc::clone(&limiter2),
                Arc::clone(&inside),
                Arc::clone(&peak2),
                Arc::clone(&finished),
            );
            tg.spawn(async move {
                for round in 0..ROUNDS {
                    let _token = limiter.acquire().await.unwrap();
                    peak.fetch_max(inside.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    if round % 4 == 0 {
                        anyio::lowlevel::checkpoint().await;
                    }
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }
        let limiter = Arc::clone(&limiter2);
        tg.spawn(async move {
            let mut total = 0;
            while finished.load(Ordering::SeqCst) < TASKS {
                // 1, 2, 3, 1, 2, 3, ... never 0, so the workers always make progress.
                total = total % MOST + 1;
                limiter.set_total_tokens(total);
                anyio::lowlevel::checkpoint().await;
            }
            limiter.set_total_tokens(MOST);
        });
    })
    .await
    .unwrap();
    assert!(
        peak.load(Ordering::SeqCst) <= MOST,
        "{} tokens out",
        peak.load(Ordering::SeqCst)
    );
    assert_eq!(limiter.borrowed_tokens(), 0);
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    assert_eq!(limiter.available_tokens(), MOST);
}
