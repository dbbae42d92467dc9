//! Memory object streams, on every backend: rendezvous and buffers, closing, errors that hand
//! the item back, fairness, cancellation at every step, `Stream`/`Sink`, and a storm of
//! cancelled sends and receives on two threads.
#![cfg(feature = "macros")]

use std::collections::BTreeSet;
use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use anyio::streams::memory::{ReceiveError, SendError, TryReceiveError, TrySendError};
use anyio::{create_memory_object_stream, create_unbounded_memory_object_stream};
use futures_lite::StreamExt;
use futures_lite::future::{or, poll_once};
use futures_sink::Sink;

use common::{XorShift, until};

mod common;

#[anyio::test]
async fn a_rendezvous_send_completes_only_once_the_item_is_taken() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::WouldBlock(1)));
    let mut sending = pin!(tx.send(2));
    assert!(poll_once(&mut sending).await.is_none());
    assert_eq!(tx.statistics().tasks_waiting_send, 1);
    assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    let mut receiving = pin!(rx.receive());
    assert!(
        poll_once(&mut receiving).await.is_none(),
        "the sender has not run yet"
    );
    assert_eq!(poll_once(&mut sending).await, Some(Ok(())));
    assert_eq!(poll_once(&mut receiving).await, Some(Ok(2)));
    // A waiting receiver is handed an item by try_send directly.
    let mut receiving = pin!(rx.receive());
    assert!(poll_once(&mut receiving).await.is_none());
    assert_eq!(tx.try_send(3), Ok(()));
    assert_eq!(poll_once(&mut receiving).await, Some(Ok(3)));
    assert_eq!(rx.statistics().current_buffer_used, 0);
}

#[anyio::test]
async fn a_buffer_keeps_order_and_reports_its_use() {
    let (tx, rx) = create_memory_object_stream(3);
    for n in 0..3 {
        tx.send(n).await.unwrap();
    }
    assert_eq!(tx.try_send(3), Err(TrySendError::WouldBlock(3)));
    let stats = rx.statistics();
    assert_eq!(
        (stats.current_buffer_used, stats.max_buffer_size),
        (3, Some(3))
    );
    for n in 0..3 {
        assert_eq!(rx.receive().await, Ok(n));
    }
    let (tx, rx) = create_unbounded_memory_object_stream();
    for n in 0..5000 {
        tx.send(n).await.unwrap();
    }
    assert_eq!(rx.statistics().max_buffer_size, None);
    drop(tx);
    assert_eq!(rx.collect::<Vec<_>>().await, (0..5000).collect::<Vec<_>>());
}

#[anyio::test]
async fn the_stream_ends_once_every_sender_is_closed_and_the_buffer_drained() {
    let (mut tx, rx) = create_memory_object_stream(2);
    let other = tx.clone();
    tx.send(1).await.unwrap();
    tx.close();
    assert_eq!(tx.send(9).await, Err(SendError::Closed(9)));
    assert!(tx.clone().is_closed(), "a clone of a closed end is closed");
    assert_eq!(rx.statistics().open_send_streams, 1);
    let mut waiting = pin!(rx.receive());
    assert_eq!(poll_once(&mut waiting).await, Some(Ok(1)));
    let mut waiting = pin!(rx.receive());
    assert!(poll_once(&mut waiting).await.is_none());
    drop(other);
    assert_eq!(
        poll_once(&mut waiting).await,
        Some(Err(ReceiveError::EndOfStream))
    );
    assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
}

#[anyio::test]
async fn closing_every_receiver_breaks_the_stream_and_hands_items_back() {
    let (tx, mut rx) = create_memory_object_stream::<String>(1);
    let other = rx.clone();
    tx.send("buffered".into()).await.unwrap();
    let mut blocked = pin!(tx.send("blocked".into()));
    assert!(poll_once(&mut blocked).await.is_none());
    rx.close();
    assert_eq!(rx.receive().await, Err(ReceiveError::Closed));
    assert_eq!(rx.try_receive(), Err(TryReceiveError::Closed));
    assert!(
        poll_once(&mut blocked).await.is_none(),
        "one receiver is still open"
    );
    drop(other);
    let error = poll_once(&mut blocked)
        .await
        .expect("the blocked sender was woken");
    assert_eq!(error, Err(SendError::Broken("blocked".into())));
    assert_eq!(
        tx.statistics().current_buffer_used,
        0,
        "unreceivable items were dropped"
    );
    assert_eq!(
        tx.try_send("late".into()).unwrap_err().into_inner(),
        "late",
        "a failed send hands the item back"
    );
}

#[anyio::test]
async fn a_cancelled_send_delivers_nothing_and_passes_its_turn_on() {
    let (tx, rx) = create_memory_object_stream(1);
    tx.send(0).await.unwrap();
    let mut first = Box::pin(tx.send(1));
    let mut second = pin!(tx.send(2));
    assert!(poll_once(&mut first).await.is_none());
    assert!(poll_once(&mut second).await.is_none());
    assert_eq!(rx.receive().await, Ok(0));
    // Room for one: it is reserved for `first`, which has not run; nobody may take it.
    assert_eq!(tx.try_send(9), Err(TrySendError::WouldBlock(9)));
    drop(first);
    assert_eq!(poll_once(&mut second).await, Some(Ok(())));
    assert_eq!(rx.try_receive(), Ok(2), "the dropped send sent nothing");
    assert_eq!(rx.statistics().tasks_waiting_send, 0);
}

#[anyio::test]
async fn a_receiver_cancelled_after_being_handed_an_item_passes_it_on() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut first = Box::pin(rx.receive());
    let mut second = pin!(rx.receive());
    assert!(poll_once(&mut first).await.is_none());
    assert!(poll_once(&mut second).await.is_none());
    tx.try_send(1).unwrap(); // handed to `first`
    tx.try_send(2).unwrap(); // handed to `second`
    drop(first); // dropped without a last poll
    // `first`'s item moved down the line to `second`, and `second`'s to the front of the
    // buffer: neither lost nor reordered.
    assert_eq!(poll_once(&mut second).await, Some(Ok(1)));
    assert_eq!(
        rx.try_receive(),
        Ok(2),
        "the cancelled receive lost its item"
    );
    // With another receiver waiting, the item goes straight to it.
    let mut third = Box::pin(rx.receive());
    let mut fourth = pin!(rx.receive());
    assert!(poll_once(&mut third).await.is_none());
    assert!(poll_once(&mut fourth).await.is_none());
    tx.try_send(3).unwrap();
    drop(third);
    assert_eq!(poll_once(&mut fourth).await, Some(Ok(3)));
}

#[anyio::test]
async fn a_sender_whose_receiver_left_keeps_its_place_in_front() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut first = pin!(tx.send(1));
    let mut second = pin!(tx.send(2));
    assert!(poll_once(&mut first).await.is_none());
    assert!(poll_once(&mut second).await.is_none());
    let mut receiving = Box::pin(rx.receive());
    assert!(poll_once(&mut receiving).await.is_none()); // grants `first` a reservation
    drop(receiving); // ... and leaves before `first` ran
    assert!(
        poll_once(&mut first).await.is_none(),
        "nobody to take the item"
    );
    assert_eq!(tx.statistics().tasks_waiting_send, 2);
    let mut receiving = pin!(rx.receive());
    assert!(poll_once(&mut receiving).await.is_none());
    assert!(
        poll_once(&mut second).await.is_none(),
        "`second` overtook `first`"
    );
    assert_eq!(poll_once(&mut first).await, Some(Ok(())));
    assert_eq!(poll_once(&mut receiving).await, Some(Ok(1)));
}

#[anyio::test]
async fn a_stream_dropped_while_holding_an_item_passes_it_on() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let mut first = rx.clone();
    assert_eq!(poll_once(first.next()).await, None, "the stream waits");
    tx.try_send(7).unwrap(); // handed to `first`'s stream
    drop(first);
    assert_eq!(rx.try_receive(), Ok(7));
}

#[anyio::test]
async fn an_item_handed_to_an_abandoned_stream_poll_is_received_first() {
    let (tx, mut rx) = create_memory_object_stream::<u32>(1);
    assert_eq!(poll_once(rx.next()).await, None, "the stream waits");
    // The `next()` was dropped, but its place in line remains: 1 is handed to it.
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(rx.try_receive(), Ok(1), "an item was overtaken");
    assert_eq!(rx.receive().await, Ok(2));
    assert_eq!(rx.statistics().tasks_waiting_receive, 0);
}

#[anyio::test]
async fn a_reservation_left_by_an_abandoned_sink_send_is_taken_over() {
    let (mut tx, rx) = create_memory_object_stream::<u32>(0);
    {
        let mut ready = pin!(poll_fn(|cx| Pin::new(&mut tx).poll_ready(cx)));
        assert!(poll_once(&mut ready).await.is_none());
    } // abandoned while in line
    let mut receiving = pin!(rx.receive());
    assert!(poll_once(&mut receiving).await.is_none()); // grants the sink its reservation
    assert_eq!(tx.try_send(5), Ok(()), "the sender queued behind itself");
    assert_eq!(poll_once(&mut receiving).await, Some(Ok(5)));
    assert_eq!(tx.statistics().tasks_waiting_send, 0);
}

#[anyio::test]
async fn the_sender_is_a_sink() {
    let (mut tx, rx) = create_memory_object_stream::<u32>(1);
    let ready = poll_fn(|cx| Pin::new(&mut tx).poll_ready(cx)).await;
    assert_eq!(ready, Ok(()));
    Pin::new(&mut tx).start_send(1).unwrap();
    // The buffer is full: poll_ready waits in line, and a receive lets it in.
    {
        let mut ready = pin!(poll_fn(|cx| Pin::new(&mut tx).poll_ready(cx)));
        assert!(poll_once(&mut ready).await.is_none());
        assert_eq!(rx.receive().await, Ok(1));
        assert_eq!(poll_once(&mut ready).await, Some(Ok(())));
    }
    Pin::new(&mut tx).start_send(2).unwrap();
    poll_fn(|cx| Pin::new(&mut tx).poll_close(cx))
        .await
        .unwrap();
    assert_eq!(rx.receive().await, Ok(2));
    assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
}

#[anyio::test]
async fn senders_and_receivers_in_tasks_hand_over_everything() {
    let (tx, rx) = create_memory_object_stream::<usize>(0);
    let received = Arc::new(StdMutex::new(Vec::new()));
    let received2 = Arc::clone(&received);
    anyio::task_group(|tg| async move {
        for worker in 0..3 {
            let rx = rx.clone();
            let received = Arc::clone(&received2);
            tg.spawn(async move {
                while let Ok(item) = rx.receive().await {
                    received.lock().unwrap().push((worker, item));
                }
            });
        }
        drop(rx);
        for item in 0..30 {
            tx.send(item).await.unwrap();
        }
    })
    .await
    .unwrap();
    let mut items: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .map(|&(_, item)| item)
        .collect();
    items.sort_unstable();
    assert_eq!(items, (0..30).collect::<Vec<_>>());
}

#[anyio::test]
async fn a_waiting_receive_task_cancelled_mid_wait_leaves_the_line() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let rx = Arc::new(rx);
    let rx2 = Arc::clone(&rx);
    anyio::task_group(|tg| async move {
        let waiter = {
            let rx = Arc::clone(&rx2);
            tg.spawn(async move {
                let _ = rx.receive().await;
            })
        };
        until(|| rx2.statistics().tasks_waiting_receive == 1).await;
        waiter.cancel();
        assert_eq!(waiter.await, Err(anyio::TaskError::Cancelled));
    })
    .await
    .unwrap();
    assert_eq!(rx.statistics().tasks_waiting_receive, 0);
    assert_eq!(
        tx.try_send(1),
        Err(TrySendError::WouldBlock(1)),
        "nobody waits now"
    );
}

/// A tiny deterministic generator, so that a failing storm can be replayed.
/// Runs `operation`, but gives up on it (dropping it) after `patience` checkpoints, or at
/// once through a cancel scope when `patience` is 0. `None`: it was cancelled.
async fn impatiently<F: Future>(patience: u64, operation: F) -> Option<F::Output> {
    if patience == 0 {
        return anyio::move_on_after(Duration::ZERO, operation).await;
    }
    or(async { Some(operation.await) }, async {
        for _ in 0..patience {
            anyio::lowlevel::checkpoint().await;
        }
        None
    })
    .await
}

/// Producers and consumers on two threads, a third of whose sends and receives are cancelled
/// at random moments: every item sent is received exactly once, and no item whose send was
/// cancelled is received.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_storm_of_cancellations_loses_and_duplicates_nothing() {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: u64 = 3;
    const ITEMS: u64 = 300;
    let mut cancelled_sends = 0;
    for capacity in [0, 1, 16] {
        let (tx, rx) = create_memory_object_stream::<u64>(capacity);
        let sent = Arc::new(StdMutex::new(Vec::new()));
        let received = Arc::new(StdMutex::new(Vec::new()));
        let (sent2, received2) = (Arc::clone(&sent), Arc::clone(&received));
        anyio::task_group(|tg| async move {
            for producer in 0..PRODUCERS {
                let (tx, sent) = (tx.clone(), Arc::clone(&sent2));
                tg.spawn(async move {
                    let mut random = XorShift(0x9E37_79B9 + producer);
                    for n in 0..ITEMS {
                        let item = producer * ITEMS + n;
                        let patience = match random.below(3) {
                            0 => random.below(4),
                            _ => u64::MAX,
                        };
                        if let Some(result) = impatiently(patience, tx.send(item)).await {
                            result.unwrap();
                            sent.lock().unwrap().push(item);
                        }
                    }
                });
            }
            drop(tx);
            for consumer in 0..CONSUMERS {
                let (rx, received) = (rx.clone(), Arc::clone(&received2));
                tg.spawn(async move {
                    let mut random = XorShift(0x51_7CC1 + consumer);
                    loop {
                        let patience = match random.below(3) {
                            0 => random.below(4),
                            _ => u64::MAX,
                        };
                        match impatiently(patience, rx.receive()).await {
                            Some(Ok(item)) => received.lock().unwrap().push(item),
                            Some(Err(_)) => break,
                            None => {}
                        }
                    }
                });
            }
            drop(rx);
        })
        .await
        .unwrap();
        let sent: BTreeSet<u64> = sent.lock().unwrap().iter().copied().collect();
        let received = received.lock().unwrap().clone();
        let unique: BTreeSet<u64> = received.iter().copied().collect();
        assert_eq!(unique.len(), received.len(), "an item was received twice");
        assert_eq!(
            unique, sent,
            "capacity {capacity}: sent and received differ"
        );
        cancelled_sends += (PRODUCERS * ITEMS) as usize - sent.len();
    }
    // (A buffered send completes at once and is rarely cancelled; a rendezvous one waits.)
    assert!(
        cancelled_sends > 0,
        "no send was cancelled: the storm tested nothing"
    );
}

/// A stream of size 0 takes no item for a receiver whose cancellation is pending: with that
/// receiver the only one waiting, `try_send` would block (before, it evicted the receiver and
/// buffered the item in a buffer of size 0). Found in review.
#[anyio::test]
async fn a_rendezvous_takes_no_item_for_a_cancelled_receiver() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    let mut receiving = pin!(scope.run(rx.receive()));
    assert!(poll_once(&mut receiving).await.is_none());
    assert_eq!(rx.statistics().tasks_waiting_receive, 1);
    handle.cancel();
    assert!(matches!(tx.try_send(7), Err(TrySendError::WouldBlock(7))));
    assert_eq!(rx.statistics().current_buffer_used, 0);
    assert_eq!(receiving.await, None);
}
