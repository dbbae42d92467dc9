//! A memory object stream shared by OS threads, each running its own event loop: the stream's
//! lock is taken from several threads at once, by waiting operations and `try_*` ones.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyio::streams::memory::{TryReceiveError, TrySendError};
use anyio::{Backend, Runner, create_memory_object_stream};

const THREADS: u64 = 3;
const ITEMS: u64 = 2_000;

/// Sends `ITEMS` items numbered after `thread`, one in three with `try_send` (falling back to
/// `send` when it would block).
async fn produce(tx: anyio::streams::memory::MemoryObjectSender<u64>, thread: u64) {
    for n in 0..ITEMS {
        let item = thread * ITEMS + n;
        let item = if n % 3 == 0 {
            match tx.try_send(item) {
                Ok(()) => continue,
                Err(TrySendError::WouldBlock(item)) => item,
                Err(error) => panic!("try_send failed: {error}"),
            }
        } else {
            item
        };
        tx.send(item).await.unwrap();
    }
}

/// Receives until the end of the stream, one in three with `try_receive` first.
async fn consume(rx: anyio::streams::memory::MemoryObjectReceiver<u64>) -> Vec<u64> {
    let mut received = Vec::new();
    loop {
        if received.len() % 3 == 0 {
            match rx.try_receive() {
                Ok(item) => {
                    received.push(item);
                    continue;
                }
                Err(TryReceiveError::WouldBlock) => {}
                Err(TryReceiveError::EndOfStream) => return received,
                Err(error) => panic!("try_receive failed: {error}"),
            }
        }
        match rx.receive().await {
            Ok(item) => received.push(item),
            Err(_) => return received,
        }
    }
}

/// Moves the items from `THREADS` sending threads to `THREADS` receiving threads over a stream
/// of size `capacity`; returns what each receiving thread got, or `None` if it took too long.
fn transfer(backend: Backend, capacity: usize) -> Option<Vec<Vec<u64>>> {
    let (tx, rx) = create_memory_object_stream::<u64>(capacity);
    let (done, finished) = mpsc::channel();
    for thread in 0..THREADS {
        let (tx, done) = (tx.clone(), done.clone());
        thread::spawn(move || {
            Runner::new(backend).run(produce(tx, thread)).unwrap();
            done.send(None).unwrap();
        });
    }
    for _ in 0..THREADS {
        let (rx, done) = (rx.clone(), done.clone());
        thread::spawn(move || {
            let received = Runner::new(backend).run(consume(rx)).unwrap();
            done.send(Some(received)).unwrap();
        });
    }
    drop((tx, rx));
    let mut results = Vec::new();
    for _ in 0..2 * THREADS {
        // A lost wake-up or a lock never released would hang a thread: fail instead.
        if let Some(received) = finished.recv_timeout(Duration::from_secs(30)).ok()? {
            results.push(received);
        }
    }
    Some(results)
}

/// Every item arrives exactly once, and each receiving thread gets each sender's items in the
/// order they were sent (the stream is first in, first out).
#[test]
fn threads_contending_for_a_stream_lose_duplicate_and_reorder_nothing() {
    for backend in Backend::available() {
        for capacity in [0, 1, 64] {
            let results = transfer(backend, capacity)
                .unwrap_or_else(|| panic!("{backend}, capacity {capacity}: a thread hung"));
            let mut all = BTreeSet::new();
            for received in &results {
                for sender in 0..THREADS {
                    let own: Vec<u64> = received
                        .iter()
                        .copied()
                        .filter(|item| item / ITEMS == sender)
                        .collect();
                    assert!(
                        own.is_sorted(),
                        "{backend}, capacity {capacity}: sender {sender}'s items out of order"
                    );
                }
                for &item in received {
                    assert!(
                        all.insert(item),
                        "{backend}, capacity {capacity}: {item} received twice"
                    );
                }
            }
            assert_eq!(
                all.len() as u64,
                THREADS * ITEMS,
                "{backend}, capacity {capacity}: an item was lost"
            );
        }
    }
}
