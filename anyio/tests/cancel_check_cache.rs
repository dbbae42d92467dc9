//! The check every ready operation makes for a pending cancellation remembers, per thread, that
//! the innermost scope was found not cancelled, until anything anywhere is cancelled or loses
//! its shield. These tests make sure the remembered answer never hides a cancellation that
//! happened before the next operation: in the same task (an enclosing scope cancelled, a shield
//! switched off, the task's own handle) and from another thread that the task has synchronised
//! with. Each step is an uncontended lock acquisition, which completes at once unless the code
//! is cancelled.
#![cfg(feature = "macros")]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyio::CancelScope;
use anyio::sync::{Event, Lock};

use common::{bounded, until};

mod common;

/// A ready operation: completes at once unless the calling code is cancelled.
async fn ready_step(lock: &Lock) {
    drop(lock.lock().await);
}

#[anyio::test]
async fn cancelling_an_enclosing_scope_stops_the_next_ready_operation() {
    let lock = Lock::new();
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let reached = AtomicBool::new(false);
    let outcome = outer
        .run(async {
            CancelScope::new()
                .run(async {
                    // Found clear, and remembered as clear.
                    ready_step(&lock).await;
                    ready_step(&lock).await;
                    outer_handle.cancel();
                    ready_step(&lock).await;
                    reached.store(true, Ordering::SeqCst);
                })
                .await;
        })
        .await;
    assert_eq!(outcome, None);
    assert!(!reached.load(Ordering::SeqCst));
}

#[anyio::test]
async fn switching_a_shield_off_stops_the_next_ready_operation() {
    let lock = Lock::new();
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let shielded = CancelScope::new().shield(true);
    let shield_handle = shielded.handle();
    let reached = AtomicBool::new(false);
    let outcome = outer
        .run(async {
            outer_handle.cancel();
            shielded
                .run(async {
                    // Shielded from the cancellation: found clear, and remembered as clear.
                    ready_step(&lock).await;
                    ready_step(&lock).await;
                    shield_handle.set_shield(false);
                    ready_step(&lock).await;
                    reached.store(true, Ordering::SeqCst);
                })
                .await;
        })
        .await;
    assert_eq!(outcome, None);
    assert!(!reached.load(Ordering::SeqCst));
}

#[anyio::test]
async fn a_child_cancelling_its_own_handle_stops_its_next_ready_operation() {
    let reached = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&reached);
    let own_handle = Arc::new(Mutex::new(None::<anyio::TaskHandle<()>>));
    let handed = Arc::new(Event::new());
    let (slot, ready) = (Arc::clone(&own_handle), Arc::clone(&handed));
    anyio::task_group(|tg| async move {
        let child = tg.spawn(async move {
            ready.wait().await;
            let own = slot
                .lock()
                .unwrap()
                .take()
                .expect("the parent left the handle");
            let lock = Lock::new();
            ready_step(&lock).await;
            ready_step(&lock).await;
            own.cancel();
            ready_step(&lock).await;
            seen.store(true, Ordering::SeqCst);
        });
        *own_handle.lock().unwrap() = Some(child);
        handed.set();
    })
    .await
    .unwrap();
    assert!(!reached.load(Ordering::SeqCst));
}

/// A task runs ready operations on one worker while another task cancels its group on the
/// other and then raises a flag; once the task has seen the flag, the cancellation happened
/// before its next operation, which must not complete, however recently the task found its
/// scope clear.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_cancellation_from_another_thread_stops_the_next_ready_operation_after_it_is_seen() {
    for _ in 0..50 {
        let cancelled = Arc::new(AtomicBool::new(false));
        let steps = Arc::new(AtomicUsize::new(0));
        let reached = Arc::new(AtomicBool::new(false));
        bounded(anyio::task_group(|tg| {
            let (cancelled, steps, reached) = (
                Arc::clone(&cancelled),
                Arc::clone(&steps),
                Arc::clone(&reached),
            );
            async move {
                let looping = Arc::clone(&steps);
                let flag = Arc::clone(&cancelled);
                tg.spawn(async move {
                    let lock = Lock::new();
                    loop {
                        ready_step(&lock).await;
                        looping.fetch_add(1, Ordering::SeqCst);
                        if flag.load(Ordering::Acquire) {
                            ready_step(&lock).await;
                            reached.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                });
                let canceller = tg.clone();
                let started = Arc::clone(&steps);
                let flag = Arc::clone(&cancelled);
                tg.spawn(async move {
                    until(|| started.load(Ordering::SeqCst) > 10).await;
                    canceller.cancel();
                    flag.store(true, Ordering::Release);
                });
            }
        }))
        .await
        .unwrap();
        assert!(cancelled.load(Ordering::SeqCst));
        assert!(
            !reached.load(Ordering::SeqCst),
            "an operation completed after its scope's cancellation was seen"
        );
    }
}
