//! `Event`, on every backend: setting, waiting, waking every waiter, cancellation.
#![cfg(feature = "macros")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::sync::Event;

use common::until;

mod common;

#[test]
fn an_event_needs_no_runtime_to_be_created_and_set() {
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    assert!(event.is_set());
    assert_eq!(format!("{event:?}"), "Event { is_set: true, .. }");
}

#[anyio::test]
async fn waiting_on_a_set_event_completes_at_once() {
    let event = Event::new();
    event.set();
    let waited = futures_lite::future::poll_once(event.wait()).await;
    assert!(waited.is_some(), "the wait suspended");
}

#[anyio::test]
async fn setting_wakes_every_waiter() {
    let event = Arc::new(Event::new());
    let woken = Arc::new(AtomicUsize::new(0));
    let (shared, woken2) = (Arc::clone(&event), Arc::clone(&woken));
    anyio::task_group(|tg| async move {
        for _ in 0..4 {
            let (event, woken) = (Arc::clone(&shared), Arc::clone(&woken2));
            tg.spawn(async move {
                event.wait().await;
                woken.fetch_add(1, Ordering::SeqCst);
            });
        }
        until(|| shared.statistics().tasks_waiting == 4).await;
        assert_eq!(woken2.load(Ordering::SeqCst), 0);
        shared.set();
    })
    .await
    .unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), 4);
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn an_os_thread_can_set_the_event() {
    let event = Arc::new(Event::new());
    let setter = Arc::clone(&event);
    let thread = std::thread::spawn(move || setter.set());
    event.wait().await;
    thread.join().unwrap();
}

#[anyio::test]
async fn a_cancelled_wait_leaves_the_line() {
    let event = Event::new();
    let outcome = anyio::move_on_after(std::time::Duration::from_millis(5), event.wait()).await;
    assert_eq!(outcome, None);
    assert_eq!(event.statistics().tasks_waiting, 0);
    event.set();
    event.wait().await;
}
