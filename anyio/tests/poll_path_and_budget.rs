//! A task looping on ready operations leaves a sibling waiting on a timer or on I/O its
//! wake-up (the budget's yield is a plain wake on every backend, and the runtime still gets to
//! poll its drivers), and a nested executor inside a task's poll leaves the task's root scope,
//! current task and remembered "not cancelled" answer as it found them.
#![cfg(feature = "macros")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyio::net::UdpSocket;
use anyio::sync::{Event, Lock};
use anyio::{CancelScope, TaskGroup};
use std::convert::Infallible;

use common::bounded;

mod common;

/// Far more ready operations than a starving loop would need to show itself, few enough to
/// end in well under a second when the sibling gets its turn.
const SPIN_LIMIT: usize = 20_000_000;

async fn ready_step(lock: &Lock) {
    drop(lock.lock().await);
}

/// Loops on ready operations until `done` is raised; panics if it never is.
async fn spin_until(done: &AtomicBool) {
    let lock = Lock::new();
    for _ in 0..SPIN_LIMIT {
        if done.load(Ordering::SeqCst) {
            return;
        }
        ready_step(&lock).await;
    }
    panic!("the sibling never ran while this task looped on ready operations");
}

#[anyio::test(timeout = 30)]
async fn a_sleeping_sibling_wakes_while_a_child_loops_on_ready_operations() {
    bounded(anyio::task_group(|tg: TaskGroup<Infallible>| async move {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        tg.spawn(async move {
            anyio::sleep(Duration::from_millis(2)).await;
            flag.store(true, Ordering::SeqCst);
        });
        tg.spawn(async move { spin_until(&done).await });
        Ok(())
    }))
    .await
    .unwrap();
}

#[anyio::test(timeout = 30)]
async fn a_sibling_waiting_for_a_datagram_gets_it_while_a_child_loops_on_ready_operations() {
    bounded(anyio::task_group(|tg: TaskGroup<Infallible>| async move {
        let receiver = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let target = receiver.local_addr().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let waiting = Arc::new(Event::new());
        let (flag, listening) = (Arc::clone(&done), Arc::clone(&waiting));
        tg.spawn(async move {
            let mut buf = [0; 16];
            listening.set();
            receiver.receive_from(&mut buf).await.unwrap();
            flag.store(true, Ordering::SeqCst);
        });
        tg.spawn(async move {
            waiting.wait().await;
            let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            sender.send_to(b"x", target).unwrap();
            spin_until(&done).await;
        });
        Ok(())
    }))
    .await
    .unwrap();
}

/// A child runs a nested executor inside its poll; inside it, the child is still the current
/// task, a nested scope and ready operations work, and the child cancels its own handle. Back
/// in the child's own poll, its next ready operation must see that cancellation.
#[anyio::test(timeout = 30)]
async fn a_nested_executor_in_a_child_leaves_its_root_and_cancellation_intact() {
    let reached = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&reached);
    let own_handle = Arc::new(Mutex::new(None::<anyio::TaskHandle<()>>));
    let handed = Arc::new(Event::new());
    let (slot, ready) = (Arc::clone(&own_handle), Arc::clone(&handed));
    bounded(anyio::task_group(|tg: TaskGroup<Infallible>| async move {
        let child = tg.spawn(async move {
            ready.wait().await;
            let own = slot.lock().unwrap().take().expect("the handle was left");
            let me = anyio::get_current_task().expect("a child is a task").id();
            let lock = Lock::new();
            // Found clear, and remembered as clear.
            ready_step(&lock).await;
            ready_step(&lock).await;
            futures_lite::future::block_on(async {
                assert_eq!(anyio::get_current_task().map(|task| task.id()), Some(me));
                let inner = CancelScope::new()
                    .run(async {
                        ready_step(&lock).await;
                        ready_step(&lock).await;
                        7
                    })
                    .await;
                assert_eq!(inner, Some(7));
                own.cancel();
            });
            assert_eq!(anyio::get_current_task().map(|task| task.id()), Some(me));
            ready_step(&lock).await;
            seen.store(true, Ordering::SeqCst);
        });
        *own_handle.lock().unwrap() = Some(child);
        handed.set();
        Ok(())
    }))
    .await
    .unwrap();
    assert!(!reached.load(Ordering::SeqCst));
}
