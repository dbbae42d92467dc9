//! Cancel scopes, on every backend: delivery by drop, attribution, shields, deadlines.
#![cfg(feature = "macros")]

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyio::{CancelScope, TimeoutError};
use futures_lite::future;

mod common;

const LONG: Duration = Duration::from_secs(3600);

#[anyio::test]
async fn a_cancelled_body_runs_only_to_its_first_suspension() {
    let before = AtomicBool::new(false);
    let after = AtomicBool::new(false);
    let scope = CancelScope::new();
    let handle = scope.handle();
    handle.cancel(); // before the scope runs
    let outcome = scope
        .run(async {
            before.store(true, Ordering::SeqCst);
            anyio::lowlevel::checkpoint().await;
            after.store(true, Ordering::SeqCst);
        })
        .await;
    assert_eq!(outcome, None);
    assert!(before.load(Ordering::SeqCst));
    assert!(!after.load(Ordering::SeqCst));
    assert!(handle.cancel_called() && handle.cancelled_caught());
    assert!(!handle.deadline_reached());
}

#[anyio::test]
async fn a_body_that_completes_without_suspending_is_not_undone() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            handle.cancel();
            "completed"
        })
        .await;
    assert_eq!(outcome, Some("completed"));
    assert!(handle.cancel_called());
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn cancel_after_exit_is_a_no_op() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    assert_eq!(scope.run(anyio::lowlevel::checkpoint()).await, Some(()));
    handle.cancel();
    assert!(!handle.cancel_called());
    assert!(!handle.cancelled_caught());
}

#[anyio::test]
async fn the_outermost_cancelled_scope_takes_the_cancellation() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let inner = CancelScope::new();
    let inner_handle = inner.handle();
    let after_inner = AtomicBool::new(false);
    let outcome = outer
        .run(async {
            inner
                .run(async {
                    inner_handle.cancel();
                    outer_handle.cancel();
                    anyio::sleep(LONG).await;
                })
                .await;
            // Never reached: the outer cancellation drops the whole outer body.
            after_inner.store(true, Ordering::SeqCst);
        })
        .await;
    assert_eq!(outcome, None);
    assert!(outer_handle.cancelled_caught());
    assert!(!inner_handle.cancelled_caught());
    assert!(!after_inner.load(Ordering::SeqCst));
}

#[anyio::test]
async fn an_inner_cancellation_stays_inside() {
    let inner = CancelScope::new();
    let inner_handle = inner.handle();
    let outcome = CancelScope::new()
        .run(async {
            let inner_outcome = inner
                .run(async {
                    inner_handle.cancel();
                    anyio::sleep(LONG).await;
                })
                .await;
            assert_eq!(inner_outcome, None);
            "outer carried on"
        })
        .await;
    assert_eq!(outcome, Some("outer carried on"));
    assert!(inner_handle.cancelled_caught());
}

#[anyio::test]
async fn a_shield_lets_cleanup_finish_then_the_body_is_dropped() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let steps = Mutex::new(Vec::new());
    let outcome = outer
        .run(async {
            outer_handle.cancel();
            let cleaned = CancelScope::new()
                .shield(true)
                .run(async {
                    // Awaits inside the shield complete although the outer scope is cancelled.
                    anyio::sleep(Duration::from_millis(5)).await;
                    anyio::lowlevel::checkpoint().await;
                    steps.lock().unwrap().push("cleanup done");
                })
                .await;
            assert_eq!(cleaned, Some(()));
            steps.lock().unwrap().push("after the shield");
            anyio::lowlevel::checkpoint().await; // the first suspension outside the shield
            steps.lock().unwrap().push("never");
        })
        .await;
    assert_eq!(outcome, None);
    assert!(outer_handle.cancelled_caught());
    assert_eq!(*steps.lock().unwrap(), ["cleanup done", "after the shield"]);
}

#[anyio::test]
async fn a_shielded_scope_can_still_be_cancelled_itself() {
    let shielded = CancelScope::new().shield(true);
    let handle = shielded.handle();
    let outcome = shielded
        .run(async {
            handle.cancel();
            anyio::sleep(LONG).await;
        })
        .await;
    assert_eq!(outcome, None);
    assert!(handle.cancelled_caught());
}

#[anyio::test]
async fn switching_a_shield_off_lets_the_outer_cancellation_in() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let shielded = CancelScope::new().shield(true);
    let shield_handle = shielded.handle();
    let (outcome, ()) = future::zip(
        outer.run(async {
            shielded.run(anyio::sleep_forever()).await;
        }),
        // Outside the cancelled scope: code inside it (but outside the shield) would not get
        // past its next await.
        async {
            outer_handle.cancel();
            // The shield holds the outer body.
            anyio::sleep(Duration::from_millis(2)).await;
            assert!(!outer_handle.cancelled_caught());
            shield_handle.set_shield(false);
        },
    )
    .await;
    assert_eq!(outcome, None);
    assert!(outer_handle.cancelled_caught());
    assert!(!shield_handle.cancelled_caught());
}

#[anyio::test]
async fn switching_a_shield_on_protects_a_running_body() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let inner = CancelScope::new();
    let inner_handle = inner.handle();
    let outcome = outer
        .run(async {
            inner
                .run(async {
                    inner_handle.set_shield(true);
                    outer_handle.cancel();
                    anyio::sleep(Duration::from_millis(2)).await;
                    "inner finished"
                })
                .await
        })
        .await;
    // The shield kept the sleep alive; the outer body then completed without suspending again.
    assert_eq!(outcome, Some(Some("inner finished")));
}

#[anyio::test]
async fn cancel_from_another_os_thread() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let (ready, wait_ready) = std::sync::mpsc::channel();
    let canceller = std::thread::spawn(move || {
        wait_ready.recv().unwrap();
        handle.cancel();
    });
    let outcome = scope
        .run(async {
            ready.send(()).unwrap();
            anyio::sleep_forever().await;
        })
        .await;
    canceller.join().unwrap();
    assert_eq!(outcome, None);
}

#[anyio::test]
async fn cancel_from_another_future() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let (outcome, ()) = future::zip(scope.run(anyio::sleep_forever()), async {
        anyio::lowlevel::checkpoint().await;
        handle.cancel();
    })
    .await;
    assert_eq!(outcome, None);
}

#[anyio::test]
async fn a_deadline_moved_earlier_takes_effect() {
    let scope = CancelScope::new().deadline(anyio::current_time() + LONG);
    let handle = scope.handle();
    let start = anyio::current_time();
    let (outcome, ()) = future::zip(scope.run(anyio::sleep_forever()), async {
        anyio::lowlevel::checkpoint().await;
        handle.set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    })
    .await;
    assert_eq!(outcome, None);
    assert!(handle.deadline_reached());
    assert!(anyio::current_time() - start < LONG);
}

#[anyio::test]
async fn a_deadline_moved_later_takes_effect() {
    let scope = CancelScope::new().deadline(anyio::current_time() + Duration::from_millis(5));
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            handle.set_deadline(Some(anyio::current_time() + LONG));
            anyio::sleep(Duration::from_millis(20)).await;
            "outlived the first deadline"
        })
        .await;
    assert_eq!(outcome, Some("outlived the first deadline"));
    assert!(!handle.cancel_called());
}

#[anyio::test]
async fn removing_the_deadline_disarms_the_timer() {
    let scope = CancelScope::new().deadline(anyio::current_time() + Duration::from_millis(2));
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            anyio::lowlevel::checkpoint().await; // the timer is armed here
            handle.set_deadline(None);
            anyio::sleep(Duration::from_millis(10)).await;
        })
        .await;
    assert_eq!(outcome, Some(()));
}

#[anyio::test]
async fn a_past_deadline_cancels_at_the_first_suspension() {
    let reached = AtomicUsize::new(0);
    let past = anyio::current_time() - Duration::from_millis(1);
    let outcome = anyio::move_on_at(past, async {
        reached.fetch_add(1, Ordering::SeqCst);
        anyio::lowlevel::checkpoint().await;
        reached.fetch_add(1, Ordering::SeqCst);
    })
    .await;
    assert_eq!(outcome, None);
    assert_eq!(reached.load(Ordering::SeqCst), 1);
    // A body that never suspends is never cancelled, past deadline or not.
    assert_eq!(anyio::move_on_at(past, async { 3 }).await, Some(3));
}

#[anyio::test]
async fn deadline_changes_after_cancellation_do_nothing() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    handle.cancel();
    handle.set_deadline(Some(anyio::current_time() + LONG));
    assert_eq!(handle.deadline(), None);
    assert_eq!(scope.run(anyio::sleep_forever()).await, None);
}

#[anyio::test]
async fn move_on_after_gives_up_or_passes_the_output_through() {
    assert_eq!(
        anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever()).await,
        None
    );
    let quick = anyio::move_on_after(Duration::from_secs(5), async {
        anyio::sleep(Duration::from_millis(1)).await;
        "quick"
    })
    .await;
    assert_eq!(quick, Some("quick"));
    // A delay too large to represent is no deadline at all.
    assert_eq!(
        anyio::move_on_after(Duration::MAX, async { 1 }).await,
        Some(1)
    );
}

#[anyio::test]
async fn fail_after_reports_only_its_own_deadline() {
    let timed_out = anyio::fail_after(Duration::from_millis(5), anyio::sleep_forever()).await;
    assert_eq!(timed_out, Err(TimeoutError::new()));

    // An explicit cancellation of an enclosing scope is not a timeout: the enclosing scope
    // takes it, and the code after the fail_after never runs.
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let reached = AtomicBool::new(false);
    let outcome = outer
        .run(async {
            let result = anyio::fail_after(LONG, async {
                outer_handle.cancel();
                anyio::sleep_forever().await;
            })
            .await;
            reached.store(true, Ordering::SeqCst);
            result
        })
        .await;
    assert!(outcome.is_none());
    assert!(!reached.load(Ordering::SeqCst));
    assert!(outer_handle.cancelled_caught());
}

#[anyio::test]
async fn the_effective_deadline_is_the_earliest_up_to_a_shield() {
    let now = anyio::current_time();
    let (soon, later) = (now + Duration::from_secs(10), now + Duration::from_secs(20));
    assert_eq!(anyio::current_effective_deadline(), None);
    anyio::move_on_at(soon, async {
        anyio::move_on_at(later, async {
            assert_eq!(anyio::current_effective_deadline(), Some(soon));
            CancelScope::new()
                .shield(true)
                .deadline(later)
                .run(async {
                    assert_eq!(anyio::current_effective_deadline(), Some(later));
                })
                .await;
        })
        .await;
    })
    .await;
    let scope = CancelScope::new();
    scope.handle().cancel();
    scope
        .run(async {
            // Already cancelled: the deadline is now.
            let deadline = anyio::current_effective_deadline().unwrap();
            assert!(deadline <= anyio::current_time());
        })
        .await;
}

#[anyio::test]
async fn checkpoint_if_cancelled_only_suspends_when_cancelled() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let steps = AtomicUsize::new(0);
    let outcome = scope
        .run(async {
            anyio::lowlevel::checkpoint_if_cancelled().await;
            steps.fetch_add(1, Ordering::SeqCst);
            handle.cancel();
            anyio::lowlevel::checkpoint_if_cancelled().await;
            steps.fetch_add(1, Ordering::SeqCst);
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(steps.load(Ordering::SeqCst), 1);
}

#[anyio::test]
async fn cancel_shielded_checkpoint_survives_a_cancellation() {
    let scope = CancelScope::new();
    scope.handle().cancel();
    let outcome = scope
        .run(async {
            anyio::lowlevel::cancel_shielded_checkpoint().await;
            anyio::lowlevel::cancel_shielded_checkpoint().await;
            "still here"
        })
        .await;
    assert_eq!(outcome, Some("still here"));
}

#[anyio::test]
async fn cancelling_a_scope_mid_flight_from_outside_anyio() {
    // The hard edge: a plain race drops the scope's future; the scope simply ends.
    let scope = CancelScope::new().deadline(anyio::current_time() + LONG);
    let handle = scope.handle();
    common::assert_outlasted(scope.run(anyio::sleep_forever())).await;
    handle.cancel();
    assert!(
        !handle.cancel_called(),
        "the scope already finished when it was dropped"
    );
}

/// `cancel_with_reason`: the first cancellation's reason stays, and a plain `cancel` has none.
#[anyio::test]
async fn a_cancellation_carries_its_reason() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    assert_eq!(handle.cancel_reason(), None);
    let outcome = scope
        .run(async {
            handle.cancel_with_reason("user pressed stop");
            handle.cancel_with_reason("too late");
            anyio::lowlevel::checkpoint().await;
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(handle.cancel_reason().as_deref(), Some("user pressed stop"));
    let plain = CancelScope::new();
    let plain_handle = plain.handle();
    plain_handle.cancel();
    assert_eq!(plain.run(anyio::lowlevel::checkpoint()).await, None);
    assert_eq!(plain_handle.cancel_reason(), None);
}

/// `fail_after(..).with_reason(..)`: the timeout error and the scope carry the reason; a
/// timeout without one says "deadline exceeded".
#[anyio::test]
async fn a_timeout_carries_its_reason() {
    let mut timed = anyio::fail_after(Duration::from_millis(2), anyio::sleep_forever())
        .with_reason("the backend did not answer");
    let scope = timed.handle();
    let error = timed.await.unwrap_err();
    assert_eq!(error.reason(), Some("the backend did not answer"));
    assert_eq!(error.to_string(), "the backend did not answer");
    assert!(scope.deadline_reached() && scope.cancelled_caught());
    assert_eq!(
        scope.cancel_reason().as_deref(),
        Some("the backend did not answer")
    );
    let plain = anyio::fail_after(Duration::from_millis(1), anyio::sleep_forever())
        .await
        .unwrap_err();
    assert_eq!(plain.reason(), None);
    assert_eq!(plain.to_string(), "deadline exceeded");
}

/// The scope of a timeout is reachable (AnyIO's `with move_on_after(..) as scope`): its
/// deadline moves and its flags can be read.
#[anyio::test]
async fn the_scope_of_a_timeout_is_reachable() {
    let mut timeout = anyio::move_on_after(Duration::from_secs(3600), anyio::sleep_forever());
    let scope = timeout.handle();
    assert!(scope.deadline().is_some());
    scope.set_deadline(Some(anyio::current_time() + Duration::from_millis(2)));
    assert_eq!(timeout.await, None);
    assert!(scope.cancelled_caught() && scope.deadline_reached());

    // Moved away: the timeout no longer applies.
    let mut relaxed = anyio::fail_after(Duration::from_millis(1), async {
        anyio::sleep(Duration::from_millis(5)).await;
        "finished"
    });
    relaxed.handle().set_deadline(None);
    assert_eq!(relaxed.await, Ok("finished"));
}

/// A past deadline cancels at entry: before the body suspends, even with a handle (a node).
#[anyio::test]
async fn a_past_deadline_cancels_a_scope_with_a_handle_at_entry() {
    let scope = CancelScope::new().deadline(anyio::current_time());
    let handle = scope.handle();
    assert!(!handle.cancel_called(), "not before the scope runs");
    let reached = Mutex::new(Vec::new());
    let outcome = scope
        .run(async {
            reached.lock().unwrap().push(handle.cancel_called());
            anyio::lowlevel::checkpoint_if_cancelled().await;
            reached.lock().unwrap().push(true);
        })
        .await;
    assert_eq!(outcome, None);
    assert_eq!(*reached.lock().unwrap(), [true]);
    assert!(handle.deadline_reached() && handle.cancelled_caught());
}
