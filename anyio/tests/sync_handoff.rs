//! Hand-offs, on every backend: a handed-over lock names its new owner at once, receivers
//! handed items keep their order when one of them leaves, and every hand-off (condition
//! notify, `Lock`/`Mutex`, `Semaphore`, `CapacityLimiter`, memory stream send and receive)
//! passes over a waiter whose cancellation is pending (DESIGN §4 rule 9), one case at a time
//! and in storms of random cancellations on two threads.
#![cfg(feature = "macros")]

use std::convert::Infallible;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyio::streams::memory::{TryReceiveError, TrySendError};
use anyio::sync::{Borrower, CapacityLimiter, Condition, Event, Lock, Mutex, Semaphore};
use anyio::{CancelHandle, CancelScope, TaskGroup, create_memory_object_stream};
use futures_lite::future::poll_once;

use common::{bounded, until};

mod common;

type Group = TaskGroup<Infallible>;

// --- §1.6: a handed-over lock names its new owner --------------------------------------------

/// The holder of a `Mutex` drops its guard with a task waiting: before that task has run,
/// the statistics already show it as the owner (`locked`, `owner == waiter`, nobody waiting).
async fn a_handed_over_mutex_names_the_waiter_as_owner() {
    let mutex = Arc::new(Mutex::new(0u32));
    let shared = Arc::clone(&mutex);
    bounded(anyio::task_group(|tg: Group| async move {
        let guard = shared.lock().await;
        let release = Arc::new(Event::new());
        let waiter = {
            let (mutex, release) = (Arc::clone(&shared), Arc::clone(&release));
            tg.spawn(async move {
                let mut guard = mutex.lock().await;
                *guard += 1;
                release.wait().await;
            })
        };
        until(|| shared.statistics().tasks_waiting == 1).await;
        drop(guard);
        let stats = shared.statistics();
        assert!(
            stats.locked,
            "the lock was free after a hand-over: {stats:?}"
        );
        assert_eq!(stats.owner, Some(waiter.info().id()), "{stats:?}");
        assert_eq!(stats.tasks_waiting, 0);
        release.set();
        waiter.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    let stats = mutex.statistics();
    assert!(!stats.locked && stats.owner.is_none() && stats.tasks_waiting == 0);
    assert_eq!(*mutex.lock().await, 1);
}

/// As [`a_handed_over_mutex_names_the_waiter_as_owner`], for a `Lock`.
async fn a_handed_over_lock_names_the_waiter_as_owner() {
    let lock = Arc::new(Lock::new());
    let shared = Arc::clone(&lock);
    bounded(anyio::task_group(|tg: Group| async move {
        let guard = shared.lock().await;
        let release = Arc::new(Event::new());
        let waiter = {
            let (lock, release) = (Arc::clone(&shared), Arc::clone(&release));
            tg.spawn(async move {
                let _guard = lock.lock().await;
                release.wait().await;
            })
        };
        until(|| shared.statistics().tasks_waiting == 1).await;
        drop(guard);
        let stats = shared.statistics();
        assert!(
            stats.locked,
            "the lock was free after a hand-over: {stats:?}"
        );
        assert_eq!(stats.owner, Some(waiter.info().id()), "{stats:?}");
        assert_eq!(stats.tasks_waiting, 0);
        release.set();
        waiter.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    let stats = lock.statistics();
    assert!(!stats.locked && stats.owner.is_none() && stats.tasks_waiting == 0);
}

/// A `Mutex` or `Lock` handed over on a single-thread runtime names the waiter as its owner
/// before the waiter has run.
#[anyio::test]
async fn a_handed_over_lock_names_its_new_owner() {
    a_handed_over_mutex_names_the_waiter_as_owner().await;
    a_handed_over_lock_names_the_waiter_as_owner().await;
}

/// The same on a two-thread runtime, where the waiter may run at once on the other thread:
/// the statistics read right after the release never show the old owner or a free lock.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_handed_over_lock_names_its_new_owner_on_two_threads() {
    for _ in 0..50 {
        a_handed_over_mutex_names_the_waiter_as_owner().await;
        a_handed_over_lock_names_the_waiter_as_owner().await;
    }
}

// --- §1.7: receivers handed items keep their order -------------------------------------------

/// Three receivers wait on a rendezvous stream and are handed 1, 2, 3; the first leaves
/// without collecting: the items shift down the line (the second gets 1, the third 2) and the
/// last one goes back to the front of the stream (the next receive gets 3).
#[anyio::test]
async fn a_leaving_first_receiver_shifts_every_item_down_the_line() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut first = Box::pin(rx.receive());
    let mut second = pin!(rx.receive());
    let mut third = pin!(rx.receive());
    assert!(poll_once(&mut first).await.is_none());
    assert!(poll_once(&mut second).await.is_none());
    assert!(poll_once(&mut third).await.is_none());
    for item in 1..=3 {
        tx.try_send(item).unwrap();
    }
    drop(first);
    assert_eq!(poll_once(&mut second).await, Some(Ok(1)));
    assert_eq!(poll_once(&mut third).await, Some(Ok(2)));
    assert_eq!(
        rx.try_receive(),
        Ok(3),
        "the last item was lost or reordered"
    );
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    let stats = rx.statistics();
    assert_eq!(
        (stats.tasks_waiting_receive, stats.current_buffer_used),
        (0, 0)
    );
}

/// Three receivers handed 1, 2, 3; the middle one leaves: the first keeps 1, the third gets
/// 2, and 3 goes back to the front of the stream, ahead of a later send.
#[anyio::test]
async fn a_leaving_middle_receiver_shifts_the_items_after_it() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut first = pin!(rx.receive());
    let mut second = Box::pin(rx.receive());
    let mut third = pin!(rx.receive());
    assert!(poll_once(&mut first).await.is_none());
    assert!(poll_once(&mut second).await.is_none());
    assert!(poll_once(&mut third).await.is_none());
    for item in 1..=3 {
        tx.try_send(item).unwrap();
    }
    drop(second);
    assert_eq!(poll_once(&mut third).await, Some(Ok(2)));
    assert_eq!(poll_once(&mut first).await, Some(Ok(1)));
    // 3 waits at the front: a new receiver gets it before anything sent later.
    let mut fourth = pin!(rx.receive());
    assert_eq!(poll_once(&mut fourth).await, Some(Ok(3)));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
}

/// Receivers a and b are handed 1 and 2, c waits with nothing yet; b leaves: its 2 goes to
/// c (the next waiting receiver), a keeps 1, and nothing goes to the buffer. When the last
/// of several handed receivers leaves, its item goes to the front of the stream.
#[anyio::test]
async fn a_leaving_later_receiver_passes_its_item_to_the_next_waiting_one() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut a = pin!(rx.receive());
    let mut b = Box::pin(rx.receive());
    assert!(poll_once(&mut a).await.is_none());
    assert!(poll_once(&mut b).await.is_none());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let mut c = pin!(rx.receive());
    assert!(poll_once(&mut c).await.is_none(), "nothing left for c yet");
    drop(b);
    assert_eq!(rx.statistics().current_buffer_used, 0);
    assert_eq!(poll_once(&mut c).await, Some(Ok(2)));
    assert_eq!(poll_once(&mut a).await, Some(Ok(1)));
    assert_eq!(
        tx.try_send(3),
        Err(TrySendError::WouldBlock(3)),
        "nobody waits now"
    );

    // The last of three handed receivers leaves: 1 and 2 stay, 3 goes to the front.
    let mut a = pin!(rx.receive());
    let mut b = pin!(rx.receive());
    let mut c = Box::pin(rx.receive());
    assert!(poll_once(&mut a).await.is_none());
    assert!(poll_once(&mut b).await.is_none());
    assert!(poll_once(&mut c).await.is_none());
    for item in 1..=3 {
        tx.try_send(item).unwrap();
    }
    drop(c);
    assert_eq!(rx.try_receive(), Ok(3));
    assert_eq!(poll_once(&mut b).await, Some(Ok(2)));
    assert_eq!(poll_once(&mut a).await, Some(Ok(1)));
}

// --- §2: hand-offs pass over waiters whose cancellation is pending ---------------------------

/// Spawns waiter A: `operation` in a cancel scope whose handle is returned, the task giving
/// back the scope's outcome (`None`: cancelled).
fn spawn_cancellable<F>(
    tg: &Group,
    operation: F,
) -> (CancelHandle, anyio::TaskHandle<Option<F::Output>>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let scope = CancelScope::new();
    let handle = scope.handle();
    let task = tg.spawn(async move { Ok(scope.run(operation).await) });
    (handle, task)
}

/// A `Mutex` holder cancels waiter A's scope and drops its guard in one synchronous stretch:
/// the lock goes to live waiter B (owner B, nobody waiting), A ends cancelled, and A never
/// had the lock.
async fn mutex_hand_off_skips_a_cancelled_waiter() {
    let mutex = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&mutex);
    bounded(anyio::task_group(|tg: Group| async move {
        let guard = shared.lock().await;
        let (a_scope, a) = spawn_cancellable(&tg, {
            let mutex = Arc::clone(&shared);
            async move { mutex.lock().await.push('a') }
        });
        until(|| shared.statistics().tasks_waiting == 1).await;
        let release = Arc::new(Event::new());
        let b = {
            let (mutex, release) = (Arc::clone(&shared), Arc::clone(&release));
            tg.spawn(async move {
                let mut guard = mutex.lock().await;
                guard.push('b');
                release.wait().await;
            })
        };
        until(|| shared.statistics().tasks_waiting == 2).await;
        a_scope.cancel();
        drop(guard);
        let stats = shared.statistics();
        assert_eq!(
            stats.owner,
            Some(b.info().id()),
            "the lock went to the cancelled waiter"
        );
        assert!(stats.locked);
        assert_eq!(stats.tasks_waiting, 0);
        assert_eq!(a.await, Ok(None), "A was not cancelled");
        release.set();
        b.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    let stats = mutex.statistics();
    assert!(!stats.locked && stats.tasks_waiting == 0);
    assert_eq!(*mutex.lock().await, ['b']);
}

/// As [`mutex_hand_off_skips_a_cancelled_waiter`], for a `Lock`; here A is cancelled through
/// its task handle (its task's own scope) rather than a scope of its body.
async fn lock_hand_off_skips_a_cancelled_waiter() {
    let lock = Arc::new(Lock::new());
    let shared = Arc::clone(&lock);
    let a_got_it = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&a_got_it);
    bounded(anyio::task_group(|tg: Group| async move {
        let guard = shared.lock().await;
        let a = {
            let lock = Arc::clone(&shared);
            tg.spawn(async move {
                let _guard = lock.lock().await;
                flag.fetch_add(1, Ordering::SeqCst);
            })
        };
        until(|| shared.statistics().tasks_waiting == 1).await;
        let release = Arc::new(Event::new());
        let b = {
            let (lock, release) = (Arc::clone(&shared), Arc::clone(&release));
            tg.spawn(async move {
                let _guard = lock.lock().await;
                release.wait().await;
            })
        };
        until(|| shared.statistics().tasks_waiting == 2).await;
        a.cancel();
        drop(guard);
        let stats = shared.statistics();
        assert_eq!(
            stats.owner,
            Some(b.info().id()),
            "the lock went to the cancelled waiter"
        );
        assert_eq!(stats.tasks_waiting, 0);
        assert_eq!(a.await, Err(anyio::TaskError::Cancelled));
        release.set();
        b.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    assert_eq!(a_got_it.load(Ordering::SeqCst), 0);
    let stats = lock.statistics();
    assert!(!stats.locked && stats.tasks_waiting == 0);
}

/// A `Semaphore` permit released right after cancelling waiter A goes to live waiter B:
/// nobody is left waiting at once, A ends cancelled, and every permit comes back.
async fn semaphore_hand_off_skips_a_cancelled_waiter() {
    let semaphore = Arc::new(Semaphore::new(1));
    let shared = Arc::clone(&semaphore);
    bounded(anyio::task_group(|tg: Group| async move {
        let permit = shared.acquire().await;
        let (a_scope, a) = spawn_cancellable(&tg, {
            let semaphore = Arc::clone(&shared);
            async move {
                // Waits in a nested scope with no handle: the cancelled scope is its parent.
                anyio::move_on_after(Duration::from_secs(3600), async {
                    semaphore.acquire().await.forget();
                })
                .await
            }
        });
        until(|| shared.statistics().tasks_waiting == 1).await;
        let release = Arc::new(Event::new());
        let b = {
            let (semaphore, release) = (Arc::clone(&shared), Arc::clone(&release));
            tg.spawn(async move {
                let _permit = semaphore.acquire().await;
                release.wait().await;
            })
        };
        until(|| shared.statistics().tasks_waiting == 2).await;
        a_scope.cancel();
        drop(permit);
        assert_eq!(
            shared.statistics().tasks_waiting,
            0,
            "the permit went to the cancelled waiter, B still waits"
        );
        assert_eq!(shared.value(), 0, "the permit is B's");
        assert_eq!(a.await, Ok(None), "A was not cancelled");
        release.set();
        b.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 1, "a permit was lost");
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
}

/// A `CapacityLimiter` token given back right after cancelling waiter A goes to live waiter
/// B: B is the only borrower at once, A ends cancelled and is forgotten (it can borrow again),
/// and every token comes back.
async fn limiter_hand_off_skips_a_cancelled_waiter() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let shared = Arc::clone(&limiter);
    let (a_borrower, b_borrower) = (Borrower::unique(), Borrower::unique());
    bounded(anyio::task_group(|tg: Group| async move {
        let token = shared.acquire().await.unwrap();
        let (a_scope, a) = spawn_cancellable(&tg, {
            let limiter = Arc::clone(&shared);
            async move {
                limiter
                    .acquire_on_behalf_of(a_borrower)
                    .await
                    .unwrap()
                    .forget();
            }
        });
        until(|| shared.statistics().tasks_waiting == 1).await;
        let release = Arc::new(Event::new());
        let b = {
            let (limiter, release) = (Arc::clone(&shared), Arc::clone(&release));
            tg.spawn(async move {
                let _token = limiter.acquire_on_behalf_of(b_borrower).await.unwrap();
                release.wait().await;
            })
        };
        until(|| shared.statistics().tasks_waiting == 2).await;
        a_scope.cancel();
        drop(token);
        let stats = shared.statistics();
        assert_eq!(stats.borrowers, [b_borrower], "{stats:?}");
        assert_eq!(
            (stats.borrowed_tokens, stats.tasks_waiting),
            (1, 0),
            "{stats:?}"
        );
        assert_eq!(a.await, Ok(None), "A was not cancelled");
        release.set();
        b.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    let stats = limiter.statistics();
    assert_eq!(
        (stats.borrowed_tokens, stats.tasks_waiting),
        (0, 0),
        "{stats:?}"
    );
    assert!(stats.borrowers.is_empty(), "{stats:?}");
    drop(
        limiter
            .try_acquire_on_behalf_of(a_borrower)
            .expect("the cancelled waiter is still known as a borrower"),
    );
}

/// A `Condition` holder cancels waiter A and notifies one waiter in one stretch: the
/// notification goes to B (nobody is left waiting at once), A ends cancelled, and the lock
/// ends free.
async fn condition_notify_skips_a_cancelled_waiter() {
    let condition = Arc::new(Condition::new(Vec::new()));
    let shared = Arc::clone(&condition);
    bounded(anyio::task_group(|tg: Group| async move {
        let (a_scope, a) = spawn_cancellable(&tg, {
            let condition = Arc::clone(&shared);
            async move { condition.lock().await.wait().await.push('a') }
        });
        until(|| shared.statistics().tasks_waiting == 1).await;
        let b = {
            let condition = Arc::clone(&shared);
            tg.spawn(async move { condition.lock().await.wait().await.push('b') })
        };
        until(|| shared.statistics().tasks_waiting == 2).await;
        let guard = shared.lock().await;
        a_scope.cancel();
        guard.notify(1);
        assert_eq!(
            shared.statistics().tasks_waiting,
            0,
            "the notification went to the cancelled waiter, B still waits"
        );
        drop(guard);
        assert_eq!(a.await, Ok(None), "A was not cancelled");
        b.await.unwrap();
        Ok(())
    }))
    .await
    .unwrap();
    let stats = condition.statistics();
    assert_eq!(stats.tasks_waiting, 0);
    assert!(!stats.lock.locked);
    assert_eq!(*condition.lock().await, ['b']);
}

/// A memory stream receive that makes room right after cancelling waiting sender A lets live
/// sender B in: nobody is left waiting at once, A ends cancelled having sent nothing, and
/// exactly the items sent arrive.
async fn send_hand_off_skips_a_cancelled_sender() {
    let (tx, rx) = create_memory_object_stream::<u32>(1);
    bounded(anyio::task_group(|tg: Group| async move {
        tx.send(0).await.unwrap();
        let (a_scope, a) = spawn_cancellable(&tg, {
            let tx = tx.clone();
            async move { tx.send(1).await.unwrap() }
        });
        until(|| tx.statistics().tasks_waiting_send == 1).await;
        let b = {
            let tx = tx.clone();
            tg.spawn(async move { tx.send(2).await.unwrap() })
        };
        until(|| tx.statistics().tasks_waiting_send == 2).await;
        a_scope.cancel();
        assert_eq!(rx.try_receive(), Ok(0));
        assert_eq!(
            rx.statistics().tasks_waiting_send,
            0,
            "the room went to the cancelled sender, B still waits"
        );
        assert_eq!(a.await, Ok(None), "A was not cancelled");
        b.await.unwrap();
        assert_eq!(rx.receive().await, Ok(2));
        assert_eq!(
            rx.try_receive(),
            Err(TryReceiveError::WouldBlock),
            "A sent its item"
        );
        let stats = rx.statistics();
        assert_eq!(
            (stats.tasks_waiting_send, stats.current_buffer_used),
            (0, 0)
        );
        Ok(())
    }))
    .await
    .unwrap();
}

/// A `try_send` right after cancelling waiting receiver A hands the item to live receiver B:
/// nobody is left waiting at once, A ends cancelled, and the item is neither lost nor left in
/// the buffer.
async fn receive_hand_off_skips_a_cancelled_receiver() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    bounded(anyio::task_group(|tg: Group| async move {
        let (a_scope, a) = spawn_cancellable(&tg, {
            let rx = rx.clone();
            async move { rx.receive().await.unwrap() }
        });
        until(|| rx.statistics().tasks_waiting_receive == 1).await;
        let b = {
            let rx = rx.clone();
            tg.spawn(async move { Ok(rx.receive().await.unwrap()) })
        };
        until(|| rx.statistics().tasks_waiting_receive == 2).await;
        a_scope.cancel();
        tx.try_send(7).unwrap();
        assert_eq!(
            rx.statistics().tasks_waiting_receive,
            0,
            "the item went to the cancelled receiver, B still waits"
        );
        assert_eq!(a.await, Ok(None), "A was not cancelled");
        assert_eq!(b.await, Ok(7));
        let stats = rx.statistics();
        assert_eq!(
            (stats.tasks_waiting_receive, stats.current_buffer_used),
            (0, 0)
        );
        assert_eq!(
            tx.try_send(8),
            Err(TrySendError::WouldBlock(8)),
            "nobody waits now"
        );
        Ok(())
    }))
    .await
    .unwrap();
}

/// Every hand-off passes over a waiter whose scope was cancelled just before it (single-thread
/// runtime: the cancelled waiter cannot have run in between).
#[anyio::test]
async fn hand_offs_skip_a_waiter_whose_cancellation_is_pending() {
    mutex_hand_off_skips_a_cancelled_waiter().await;
    lock_hand_off_skips_a_cancelled_waiter().await;
    semaphore_hand_off_skips_a_cancelled_waiter().await;
    limiter_hand_off_skips_a_cancelled_waiter().await;
    condition_notify_skips_a_cancelled_waiter().await;
    send_hand_off_skips_a_cancelled_sender().await;
    receive_hand_off_skips_a_cancelled_receiver().await;
}

/// The same on a two-thread runtime, where the cancelled waiter may be polled on the other
/// thread in between (it then leaves the line itself): B still gets what was handed over
/// and nothing leaks.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn hand_offs_skip_a_waiter_whose_cancellation_is_pending_on_two_threads() {
    for _ in 0..20 {
        mutex_hand_off_skips_a_cancelled_waiter().await;
        lock_hand_off_skips_a_cancelled_waiter().await;
        semaphore_hand_off_skips_a_cancelled_waiter().await;
        limiter_hand_off_skips_a_cancelled_waiter().await;
        condition_notify_skips_a_cancelled_waiter().await;
        send_hand_off_skips_a_cancelled_sender().await;
        receive_hand_off_skips_a_cancelled_receiver().await;
    }
}
