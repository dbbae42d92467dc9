//! Loom models of the channel core: a send racing a receiver that leaves after being handed
//! its item, a rendezvous between two threads, and the last receiver closing while a sender
//! waits.
//!
//! `RUSTFLAGS="--cfg anyio_loom" cargo test -p anyio --lib --release loom_model`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::thread;

use super::{SendError, create_memory_object_stream};

fn poll<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `future` until it completes, letting the other loom threads run in between.
fn spin<F: Future + Unpin>(future: &mut F) -> F::Output {
    loop {
        match poll(future) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::yield_now(),
        }
    }
}

/// A waiting receive dropped while another thread hands it an item: the item is neither lost
/// nor duplicated; it ends up where the next receive finds it.
#[test]
fn loom_model_a_receiver_leaving_races_a_send() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let mut receiving = Box::new(rx.receive());
        assert!(poll(&mut *receiving).is_pending());
        let sender = thread::spawn(move || tx.try_send(7).is_ok());
        drop(receiving);
        let sent = sender.join().unwrap();
        match rx.try_receive() {
            Ok(item) => assert!(sent && item == 7),
            Err(_) => assert!(!sent, "a sent item was lost"),
        }
    });
}

/// A rendezvous between a sender and a receiver on two threads: the item crosses exactly once
/// and both sides finish.
#[test]
fn loom_model_a_rendezvous_on_two_threads() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let sender = thread::spawn(move || spin(&mut tx.send(1)));
        assert_eq!(spin(&mut rx.receive()), Ok(1));
        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(rx.try_receive().ok(), None);
    });
}

/// The last receiver closes on another thread while a send waits: the send is woken and
/// hands its item back, and nothing stays in line.
#[test]
fn loom_model_the_last_receiver_closes_while_a_send_waits() {
    loom::model(|| {
        let (tx, rx) = create_memory_object_stream::<u32>(0);
        let mut sending = tx.send(3);
        assert!(poll(&mut sending).is_pending());
        let closer = thread::spawn(move || drop(rx));
        let result = spin(&mut sending);
        closer.join().unwrap();
        assert!(matches!(result, Err(SendError::Broken(3))), "{result:?}");
        drop(sending);
        assert_eq!(tx.statistics().tasks_waiting_send, 0);
    });
}
