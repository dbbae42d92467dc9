//! Task groups, on every backend: spawning, failure, cancellation, start(), handles.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::{CancelScope, StartError, TaskError, TaskGroup, TaskState, TaskStatus};

use common::DropCounter;

mod common;

type Group = TaskGroup<Infallible>;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Oops(u32);

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oops {}", self.0)
    }
}

/// Panics; typed `()` so that a task ending in it still returns `()`.
fn fail(message: &'static str) {
    std::panic::panic_any(message)
}

#[anyio::test]
async fn the_group_waits_for_every_child() {
    let finished = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&finished);
    let value = anyio::task_group(|tg: Group| async move {
        for delay in [3u64, 1, 2] {
            let counter = Arc::clone(&counter);
            tg.spawn(async move {
                anyio::sleep(Duration::from_millis(delay)).await;
                counter.fetch_add(1, Ordering::SeqCst);
            });
        }
        Ok("body")
    })
    .await
    .unwrap();
    assert_eq!(value, Some("body"));
    assert_eq!(finished.load(Ordering::SeqCst), 3);
}

#[anyio::test]
async fn children_can_spawn_siblings() {
    let finished = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&finished);
    anyio::task_group(|tg| async move {
        let sibling_spawner = tg.clone();
        tg.spawn(async move {
            anyio::lowlevel::checkpoint().await;
            sibling_spawner.spawn(async move {
                anyio::lowlevel::checkpoint().await;
                counter.fetch_add(1, Ordering::SeqCst);
            });
        });
    })
    .await
    .unwrap();
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}

#[anyio::test]
async fn a_cancelled_child_runs_only_to_its_first_suspension() {
    let before = Arc::new(AtomicBool::new(false));
    let after = Arc::new(AtomicBool::new(false));
    let (b, a) = (Arc::clone(&before), Arc::clone(&after));
    let result = anyio::task_group(|tg| async move {
        tg.cancel();
        // Spawned into a cancelled group: runs up to its first suspension point.
        tg.spawn(async move {
            b.store(true, Ordering::SeqCst);
            anyio::lowlevel::checkpoint().await;
            a.store(true, Ordering::SeqCst);
        });
        anyio::lowlevel::checkpoint().await;
    })
    .await;
    assert_eq!(result.unwrap(), None);
    assert!(before.load(Ordering::SeqCst));
    assert!(!after.load(Ordering::SeqCst));
}

#[anyio::test]
async fn two_failing_children_give_two_errors() {
    let sibling_dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sibling_dropped);
    let error = anyio::task_group(|tg: TaskGroup<Oops>| async move {
        tg.spawn(async { Err::<(), _>(Oops(1)) });
        tg.spawn(async { Err::<(), _>(Oops(2)) });
        tg.spawn(async move {
            let _state = DropCounter(counter);
            anyio::sleep_forever().await;
        });
        anyio::sleep_forever().await;
        Ok(())
    })
    .await
    .unwrap_err();
    let mut errors = error.into_errors();
    errors.sort_by_key(|oops| oops.0);
    assert_eq!(errors, [Oops(1), Oops(2)]);
    assert_eq!(sibling_dropped.load(Ordering::SeqCst), 1);
}

#[anyio::test]
async fn a_failing_body_cancels_the_children() {
    let error = anyio::task_group(|tg: TaskGroup<Oops>| async move {
        tg.spawn(anyio::sleep_forever());
        anyio::lowlevel::checkpoint().await;
        Err::<(), _>(Oops(7))
    })
    .await
    .unwrap_err();
    assert_eq!(error.errors(), [Oops(7)]);
    assert_eq!(error.to_string(), "a task group failed: oops 7");
}

#[anyio::test]
async fn a_child_panic_is_re_raised_after_the_siblings_finished() {
    let sibling_done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&sibling_done);
    let outcome = AssertUnwindSafe(anyio::task_group(|tg| async move {
        tg.spawn(async move {
            // Shielded: finishes its cleanup even though the group is cancelled.
            CancelScope::new()
                .shield(true)
                .run(anyio::sleep(Duration::from_millis(5)))
                .await;
            flag.store(true, Ordering::SeqCst);
        });
        tg.spawn(async {
            anyio::lowlevel::checkpoint().await;
            fail("child panicked");
        });
        anyio::sleep_forever().await;
    }));
    let payload = futures_lite::FutureExt::catch_unwind(outcome)
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"child panicked"));
    assert!(sibling_done.load(Ordering::SeqCst));
}

#[anyio::test]
async fn a_body_panic_is_re_raised_after_the_children_finished() {
    let child_dropped = Arc::new(AtomicUsize::new(0));
    let counter = DropCounter(Arc::clone(&child_dropped));
    let outcome = AssertUnwindSafe(anyio::task_group(|tg| async move {
        tg.spawn(async move {
            let _counter = counter;
            anyio::sleep_forever().await;
        });
        anyio::lowlevel::checkpoint().await;
        fail("body panicked");
    }));
    let payload = futures_lite::FutureExt::catch_unwind(outcome)
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"body panicked"));
    assert_eq!(child_dropped.load(Ordering::SeqCst), 1);
}

#[anyio::test]
async fn an_outer_cancellation_is_not_an_error() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let reached = AtomicBool::new(false);
    let outcome = outer
        .run(async {
            let result = anyio::task_group(|tg| async move {
                tg.spawn(anyio::sleep_forever());
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
}

#[anyio::test]
async fn errors_beat_an_outer_cancellation() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let outcome = outer
        .run(async {
            anyio::task_group(|tg: TaskGroup<Oops>| async move {
                tg.spawn(async move {
                    outer_handle.cancel();
                    // Fails during its cleanup, after the cancellation arrived.
                    CancelScope::new()
                        .shield(true)
                        .run(anyio::lowlevel::checkpoint())
                        .await;
                    Err::<(), _>(Oops(3))
                });
                anyio::sleep_forever().await;
                Ok(())
            })
            .await
        })
        .await;
    // The group completed with its error before the outer body's next suspension point.
    let result = outcome.expect("the error reached the code after the group");
    assert_eq!(result.unwrap_err().errors(), [Oops(3)]);
}

#[anyio::test]
async fn an_outer_scope_waits_for_children_in_shields() {
    let outer = CancelScope::new();
    let outer_handle = outer.handle();
    let cleanups = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&cleanups);
    let outcome = outer
        .run(async move {
            anyio::task_group(|tg| async move {
                for _ in 0..3 {
                    let counter = Arc::clone(&counter);
                    tg.spawn(async move {
                        CancelScope::new()
                            .shield(true)
                            .run(async {
                                anyio::sleep(Duration::from_millis(5)).await;
                                counter.fetch_add(1, Ordering::SeqCst);
                            })
                            .await;
                    });
                }
                anyio::lowlevel::checkpoint().await;
                outer_handle.cancel();
                anyio::sleep_forever().await;
            })
            .await
        })
        .await;
    assert!(outcome.is_none());
    // The outer body was dropped only after every shielded cleanup had finished.
    assert_eq!(cleanups.load(Ordering::SeqCst), 3);
}

#[anyio::test]
async fn a_child_cancels_a_scope_in_another_task() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = anyio::task_group(|tg: Group| async move {
        tg.spawn(async move {
            anyio::sleep(Duration::from_millis(1)).await;
            handle.cancel();
        });
        Ok(scope.run(anyio::sleep_forever()).await)
    })
    .await
    .unwrap();
    assert_eq!(outcome, Some(None));
}

#[anyio::test]
async fn the_group_deadline_applies_to_children_after_the_body_returned() {
    let start = Instant::now();
    let result = anyio::task_group(|tg| async move {
        tg.cancel_scope()
            .set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
        tg.spawn(anyio::sleep_forever());
    })
    .await;
    assert_eq!(result.unwrap(), Some(()));
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[anyio::test]
async fn spawning_after_exit_is_a_clear_error() {
    let leaked = Mutex::new(None);
    anyio::task_group(|tg: Group| {
        *leaked.lock().unwrap() = Some(tg.clone());
        async { Ok(()) }
    })
    .await
    .unwrap();
    let tg = leaked.lock().unwrap().take().unwrap();
    let error = tg.try_spawn(async {}).unwrap_err();
    assert_eq!(
        error.to_string(),
        "this task group is not active; no new tasks can be started"
    );
    let panicked = panic::catch_unwind(AssertUnwindSafe(|| tg.spawn(async {}))).unwrap_err();
    let message = panicked.downcast_ref::<String>().unwrap();
    assert!(message.contains("not active"), "{message}");
    let started = tg
        .start(|status: TaskStatus<()>| async move { status.started(()) })
        .await;
    assert_eq!(started, Err(StartError::GroupClosed));
}

#[anyio::test]
async fn handles_return_values_cancel_one_child_and_report_state() {
    anyio::task_group(|tg: TaskGroup<Oops>| async move {
        let value = tg.spawn(async { Ok(42) });
        let forever = tg.spawn(anyio::sleep_forever());
        assert_eq!(forever.state(), TaskState::Pending);
        assert_eq!(value.await, Ok(42));
        forever.cancel();
        assert_eq!(forever.state(), TaskState::Cancelling);
        let info = forever.info().clone();
        let mut forever = forever;
        assert_eq!((&mut forever).await, Err(TaskError::Cancelled));
        assert_eq!(forever.state(), TaskState::Cancelled);
        assert!(forever.is_finished());
        forever.cancel(); // after the end: a no-op
        assert!(!anyio::get_running_tasks().contains(&info));
        Ok(())
    })
    .await
    .unwrap();

    let error = anyio::task_group(|tg: TaskGroup<Oops>| async move {
        let failing = tg.spawn(async { Err::<(), _>(Oops(9)) });
        assert_eq!(failing.await, Err(TaskError::Failed));
        Ok(())
    })
    .await
    .unwrap_err();
    // The error went to the group although the handle was awaited.
    assert_eq!(error.errors(), [Oops(9)]);
}

#[anyio::test]
async fn start_returns_the_started_value() {
    let result = anyio::task_group(|tg: Group| async move {
        let value = tg
            .start(|status: TaskStatus<&'static str>| async move {
                anyio::lowlevel::checkpoint().await;
                status.started("ready");
                anyio::sleep_forever().await;
            })
            .await
            .unwrap();
        tg.cancel();
        Ok(value)
    })
    .await;
    assert_eq!(result.unwrap(), Some("ready"));
}

#[anyio::test]
async fn start_errors_before_started_leave_the_group_untouched() {
    let result = anyio::task_group(|tg: TaskGroup<Oops>| async move {
        let failed = tg
            .start(|_status: TaskStatus<()>| async move {
                anyio::lowlevel::checkpoint().await;
                Err::<(), _>(Oops(5))
            })
            .await;
        assert_eq!(failed, Err(StartError::Failed(Oops(5))));
        let not_started = tg
            .start(|_status: TaskStatus<()>| async move { Ok::<(), Oops>(()) })
            .await;
        assert_eq!(not_started, Err(StartError::NotStarted));
        // The group is not cancelled: spawning and sleeping still work.
        anyio::sleep(Duration::from_millis(1)).await;
        Ok("group carried on")
    })
    .await;
    assert_eq!(result.unwrap(), Some("group carried on"));
}

#[anyio::test]
async fn errors_after_started_go_to_the_group() {
    let error = anyio::task_group(|tg: TaskGroup<Oops>| async move {
        tg.start(|status: TaskStatus<()>| async move {
            status.started(());
            anyio::lowlevel::checkpoint().await;
            Err::<(), _>(Oops(6))
        })
        .await
        .unwrap();
        anyio::sleep_forever().await;
        Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(error.errors(), [Oops(6)]);
}

#[anyio::test]
async fn a_panic_before_started_comes_out_of_start() {
    let result = anyio::task_group(|tg: Group| async move {
        let starting = AssertUnwindSafe(tg.start(|_status: TaskStatus<()>| async move {
            anyio::lowlevel::checkpoint().await;
            fail("failed while starting");
        }));
        let payload = futures_lite::FutureExt::catch_unwind(starting)
            .await
            .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"failed while starting")
        );
        Ok("group untouched")
    })
    .await;
    assert_eq!(result.unwrap(), Some("group untouched"));
}

#[anyio::test]
async fn cancelling_the_caller_of_start_cancels_the_child_not_the_group() {
    let child_dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&child_dropped);
    let result = anyio::task_group(|tg: Group| async move {
        let caller = CancelScope::new();
        let caller_handle = caller.handle();
        let outcome = caller
            .run(tg.start(|_status: TaskStatus<()>| async move {
                let _counter = DropCounter(counter);
                caller_handle.cancel();
                anyio::sleep_forever().await;
            }))
            .await;
        assert!(outcome.is_none());
        // The caller's scope completed only after the starting child was dropped.
        assert_eq!(child_dropped.load(Ordering::SeqCst), 1);
        // The group itself is not cancelled.
        anyio::sleep(Duration::from_millis(1)).await;
        Ok("group carried on")
    })
    .await;
    assert_eq!(result.unwrap(), Some("group carried on"));
}

#[anyio::test]
async fn task_info_names_ids_and_parents() {
    let main = anyio::get_current_task().unwrap();
    assert_eq!(main.name(), "anyio::run");
    anyio::task_group(|tg| async move {
        let parent = main.id();
        let named = tg.spawn_named("worker", async move {
            let me = anyio::get_current_task().unwrap();
            assert_eq!(me.name(), "worker");
            assert_eq!(me.parent_id(), Some(parent));
            assert!(anyio::get_running_tasks().contains(&me));
            Ok(me)
        });
        let unnamed = tg.spawn(async { Ok(anyio::get_current_task().unwrap()) });
        // A name made at run time is kept as well as a static one.
        let built = tg.spawn_named(format!("worker-{}", 2), async {
            Ok(anyio::get_current_task().unwrap())
        });
        let (named, unnamed) = (named.await.unwrap(), unnamed.await.unwrap());
        let built = built.await.unwrap();
        assert_eq!(built.name(), "worker-2");
        assert!(format!("{built:?}").contains("\"worker-2\""), "{built:?}");
        assert_ne!(named.id(), unnamed.id());
        assert!(
            unnamed.name().contains("task_info_names_ids_and_parents"),
            "{}",
            unnamed.name()
        );
    })
    .await
    .unwrap();
}

/// Each child waits (spinning, bounded) until the other one runs too: only possible if they
/// run on two threads at once.
async fn children_run_in_parallel() {
    let arrived = Arc::new(AtomicUsize::new(0));
    let results = anyio::task_group(|tg: Group| async move {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let arrived = Arc::clone(&arrived);
                tg.spawn(async move {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let give_up = Instant::now() + Duration::from_secs(10);
                    while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < give_up {
                        std::hint::spin_loop();
                    }
                    Ok((arrived.load(Ordering::SeqCst), std::thread::current().id()))
                })
            })
            .collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        Ok(results)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        results.iter().all(|(seen, _)| *seen == 2),
        "the children never overlapped"
    );
    assert_ne!(results[0].1, results[1].1);
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn children_run_in_parallel_on_multi_thread_runtimes() {
    children_run_in_parallel().await;
}

#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn ten_thousand_children_cancelled_at_once_leak_nothing() {
    const CHILDREN: usize = 10_000;
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&dropped);
    let started = Arc::new(AtomicUsize::new(0));
    let started_counter = Arc::clone(&started);
    let result = anyio::task_group(|tg| async move {
        for _ in 0..CHILDREN {
            let state = DropCounter(Arc::clone(&counter));
            let started = Arc::clone(&started_counter);
            tg.spawn(async move {
                let _state = state;
                started.fetch_add(1, Ordering::SeqCst);
                anyio::sleep_forever().await;
            });
        }
        while started_counter.load(Ordering::SeqCst) < CHILDREN {
            anyio::sleep(Duration::from_millis(1)).await;
        }
        tg.cancel();
        anyio::sleep_forever().await;
    })
    .await;
    assert_eq!(result.unwrap(), None);
    assert_eq!(started.load(Ordering::SeqCst), CHILDREN);
    assert_eq!(dropped.load(Ordering::SeqCst), CHILDREN);
    let me = anyio::get_current_task().unwrap();
    assert!(
        anyio::get_running_tasks()
            .iter()
            .all(|task| task.parent_id() != Some(me.id()))
    );
}

#[anyio::test]
async fn dropping_the_group_future_aborts_the_children() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&dropped);
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    let group = anyio::task_group(|tg| async move {
        let state = DropCounter(counter);
        tg.spawn(async move {
            let _state = state;
            flag.store(true, Ordering::SeqCst);
            // Even a shield does not survive an abort.
            CancelScope::new()
                .shield(true)
                .run(anyio::sleep_forever())
                .await;
        });
        anyio::sleep_forever().await;
    });
    // Race the group against the child having started, from outside anyio's scopes.
    let raced = futures_lite::future::or(async { group.await.map(|_| "group") }, async {
        while !started.load(Ordering::SeqCst) {
            anyio::sleep(Duration::from_millis(1)).await;
        }
        Ok("raced")
    })
    .await;
    assert_eq!(raced.unwrap(), "raced");
    // The child goes when next woken; give it a bounded number of turns.
    for _ in 0..1000 {
        if dropped.load(Ordering::SeqCst) == 1 {
            break;
        }
        anyio::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

/// `start` is lazy, as Rust futures are: nothing is spawned until the future is polled.
#[anyio::test]
async fn start_does_nothing_until_polled() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    anyio::task_group(|tg| async move {
        let unpolled = tg.start(move |status: TaskStatus<()>| async move {
            flag.store(true, Ordering::SeqCst);
            status.started(());
        });
        anyio::sleep(Duration::from_millis(2)).await;
        assert!(!ran.load(Ordering::SeqCst), "spawned before it was polled");
        drop(unpolled);
        anyio::sleep(Duration::from_millis(2)).await;
        assert!(!ran.load(Ordering::SeqCst), "spawned although never polled");
        let flag = Arc::clone(&ran);
        tg.start(move |status: TaskStatus<()>| async move {
            flag.store(true, Ordering::SeqCst);
            status.started(());
        })
        .await
        .unwrap();
        assert!(ran.load(Ordering::SeqCst));
    })
    .await
    .unwrap();
}

/// While it starts, a child belongs to the task that called `start` (here another child of
/// the group, not its host); once it calls `started`, to the group's host.
#[anyio::test]
async fn a_starting_child_belongs_to_the_caller_until_it_has_started() {
    let host = anyio::get_current_task().unwrap().id();
    anyio::task_group(|tg| async move {
        let group = tg.clone();
        let caller = tg.spawn(async move {
            let me = anyio::get_current_task().unwrap().id();
            let (parents, child) = group
                .start(|status: TaskStatus<anyio::TaskId>| async move {
                    let info = anyio::get_current_task().unwrap();
                    let before = info.parent_id();
                    status.started(before.unwrap());
                    Ok::<_, Infallible>(info)
                })
                .with_handle()
                .await
                .unwrap();
            let child = child.await.unwrap();
            Ok::<_, Infallible>((me, parents, child.parent_id()))
        });
        let (caller_id, parent_while_starting, parent_after) = caller.await.unwrap();
        assert_eq!(parent_while_starting, caller_id);
        assert_eq!(parent_after, Some(host));
    })
    .await
    .unwrap();
}

/// `start(..).named(..)` names the child; `.with_handle()` returns its handle with the value.
#[anyio::test]
async fn a_started_child_can_be_named_and_handled() {
    anyio::task_group(|tg| async move {
        let (name, handle) = tg
            .start(|status: TaskStatus<String>| async move {
                status.started(anyio::get_current_task().unwrap().name().to_owned());
                anyio::sleep_forever().await;
            })
            .named("listener")
            .with_handle()
            .await
            .unwrap();
        assert_eq!(name, "listener");
        assert_eq!(handle.info().name(), "listener");
        assert!(!handle.is_finished());
        handle.cancel();
        assert_eq!(handle.await, Err(TaskError::Cancelled));
    })
    .await
    .unwrap();
}

/// A group stopped by its own `cancel()` is a success, `Ok(None)`, however long its body
/// goes on awaiting afterwards (the README's pattern of stopping a server).
#[anyio::test]
async fn a_group_stopped_by_its_own_cancel_is_ok_none() {
    let stopped = anyio::task_group(|tg| async move {
        tg.spawn(anyio::sleep_forever());
        tg.cancel();
        anyio::lowlevel::checkpoint().await;
        anyio::sleep(Duration::from_secs(3600)).await;
        Ok::<_, Oops>(1)
    })
    .await;
    assert!(matches!(stopped, Ok(None)));
    // Its own deadline too.
    let expired = anyio::task_group(|tg| async move {
        tg.cancel_scope()
            .set_deadline(Some(anyio::current_time() + Duration::from_millis(2)));
        anyio::sleep_forever().await;
    })
    .await;
    assert_eq!(expired.unwrap(), None);
}

/// A group's cancel reason is its scope's, and a child's handle gives its own.
#[anyio::test]
async fn cancel_reasons_of_groups_and_tasks() {
    anyio::task_group(|tg| async move {
        let child = tg.spawn(anyio::sleep_forever());
        child.cancel_with_reason("not needed");
        assert!(child.info().has_pending_cancellation());
        assert_eq!(child.await, Err(TaskError::Cancelled));
        tg.cancel_with_reason("shutting down");
        tg.cancel_with_reason("second thoughts");
        assert_eq!(
            tg.cancel_scope().cancel_reason().as_deref(),
            Some("shutting down")
        );
    })
    .await
    .unwrap();
}

/// `TaskInfo::has_pending_cancellation`: another task's as a whole; the calling task's at its
/// innermost scope.
#[anyio::test]
async fn task_infos_tell_a_pending_cancellation() {
    anyio::task_group(|tg| async move {
        let me = anyio::get_current_task().unwrap();
        assert!(!me.has_pending_cancellation());
        let scope = CancelScope::new();
        let handle = scope.handle();
        scope
            .run(async {
                handle.cancel();
                // The calling task: its innermost scope is cancelled.
                assert!(me.has_pending_cancellation());
                assert!(anyio::lowlevel::has_pending_cancellation());
            })
            .await;
        assert!(!me.has_pending_cancellation());
        let child = tg.spawn(anyio::sleep_forever());
        let info = child.info();
        assert!(!info.has_pending_cancellation());
        tg.cancel();
        assert!(info.has_pending_cancellation());
    })
    .await
    .unwrap();
}

/// The group's own deadline, set in the closure before the group runs and already past,
/// cancels it at entry: no operation completes in its first poll. Found in review.
#[anyio::test]
async fn a_group_deadline_already_past_at_entry_cancels_at_once() {
    let event = Arc::new(anyio::sync::Event::new());
    event.set();
    let completed = Arc::new(AtomicBool::new(false));
    let (e, c) = (Arc::clone(&event), Arc::clone(&completed));
    let result = anyio::task_group(move |tg| {
        tg.cancel_scope()
            .set_deadline(Some(anyio::current_time() - Duration::from_secs(1)));
        async move {
            e.wait().await;
            c.store(true, Ordering::SeqCst);
        }
    })
    .await;
    assert_eq!(result.unwrap(), None);
    assert!(!completed.load(Ordering::SeqCst));
}

/// A start future made in the closure, before the group runs, still moves its child under
/// the group's host once started. Found in review.
#[anyio::test]
async fn a_start_made_before_the_group_runs_reparents_to_the_host() {
    let host = anyio::get_current_task().unwrap().id();
    let result = anyio::task_group(|tg| {
        let starting = tg
            .start(|status: TaskStatus<()>| async move {
                status.started(());
                anyio::sleep_forever().await;
            })
            .with_handle();
        async move {
            let ((), handle) = starting.await.unwrap();
            tg.cancel();
            Ok::<_, Infallible>(handle.info().parent_id())
        }
    })
    .await;
    assert_eq!(result.unwrap(), Some(Some(host)));
}

/// Children spawned from a plain thread (or a blocking-pool thread) run where the group runs:
/// the group found its runtime when it started. Before, the spawn looked for a runtime on the
/// calling thread, after counting the child in: outside one it panicked and the group waited
/// for ever. Found in review.
#[anyio::test]
async fn children_spawned_from_another_thread_run_on_the_groups_runtime() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let result = anyio::fail_after(
        Duration::from_secs(10),
        anyio::task_group(|tg| async move {
            let other = tg.clone();
            let handle = std::thread::spawn(move || {
                other.spawn(async move {
                    anyio::lowlevel::checkpoint().await;
                    flag.store(true, Ordering::SeqCst);
                })
            })
            .join()
            .unwrap();
            assert_eq!(handle.await, Ok(()));
        }),
    )
    .await;
    assert_eq!(result.expect("no hang").unwrap(), Some(()));
    assert!(ran.load(Ordering::SeqCst));
}
