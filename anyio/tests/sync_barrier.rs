//! `Barrier`, on every backend: rounds, one leader per round, cancelled arrivals.
#![cfg(feature = "macros")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::sync::Barrier;

#[anyio::test]
async fn each_round_waits_for_every_party_and_has_one_leader() {
    const PARTIES: usize = 4;
    const ROUNDS: usize = 3;
    let barrier = Arc::new(Barrier::new(PARTIES));
    let leaders = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let (leaders2, arrived2) = (Arc::clone(&leaders), Arc::clone(&arrived));
    anyio::task_group(|tg| async move {
        for _ in 0..PARTIES {
            let (barrier, leaders, arrived) = (
                Arc::clone(&barrier),
                Arc::clone(&leaders2),
                Arc::clone(&arrived2),
            );
            tg.spawn(async move {
                for round in 0..ROUNDS {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let result = barrier.wait().await;
                    // Nobody passes before every party of this round arrived.
                    assert!(arrived.load(Ordering::SeqCst) >= (round + 1) * PARTIES);
                    if result.is_leader() {
                        leaders.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    })
    .await
    .unwrap();
    assert_eq!(leaders.load(Ordering::SeqCst), ROUNDS);
}

#[anyio::test]
async fn a_cancelled_wait_does_not_count_as_arrived() {
    let barrier = Barrier::new(2);
    let gave_up = anyio::move_on_after(std::time::Duration::from_millis(2), barrier.wait()).await;
    assert!(gave_up.is_none());
    assert_eq!(barrier.tasks_waiting(), 0);
    // A lone new arrival still waits: the cancelled one was not counted.
    let mut lone = Box::pin(barrier.wait());
    assert!(futures_lite::future::poll_once(&mut lone).await.is_none());
    let second = barrier.wait().await;
    assert!(second.is_leader());
    assert!(!lone.await.is_leader());
}
