//! Storms of cancelled waits on two threads, on every backend: with random cancellations of
//! waiting tasks (DESIGN §4 rule 9), no permit, token, notification or item is ever lost, and
//! no task is left waiting for ever.
#![cfg(feature = "macros")]

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use anyio::lowlevel::checkpoint;
use anyio::sync::{CapacityLimiter, Condition, Lock, Mutex, Semaphore};
use anyio::{CancelHandle, CancelScope, TaskGroup, create_memory_object_stream};

use common::{XorShift, bounded, until};

mod common;

type Group = TaskGroup<Infallible>;

// --- §2: storms --------------------------------------------------------------------------------

/// The cancel handles of the scopes the workers of a storm are in now, so that any worker can
/// cancel another (or itself) right before it hands something over.
struct Scopes(StdMutex<Vec<Option<CancelHandle>>>);

impl Scopes {
    fn new(workers: usize) -> Arc<Self> {
        Arc::new(Scopes(StdMutex::new(vec![None; workers])))
    }

    fn enter(&self, worker: usize, handle: CancelHandle) {
        self.0.lock().unwrap()[worker] = Some(handle);
    }

    fn leave(&self, worker: usize) {
        self.0.lock().unwrap()[worker] = None;
    }

    /// Cancels the current scope of a random worker, if it is in one.
    fn cancel_one(&self, random: &mut XorShift) {
        let scopes = self.0.lock().unwrap();
        if let Some(handle) = &scopes[random.below(scopes.len() as u64) as usize] {
            handle.cancel();
        }
    }
}

/// A fresh scope for one round of a storm worker: usually cancelled only by other workers,
/// sometimes also by a deadline a few microseconds away.
fn storm_scope(random: &mut XorShift) -> CancelScope {
    if random.below(8) == 0 {
        CancelScope::new()
            .deadline(anyio::current_time() + Duration::from_micros(random.below(200)))
    } else {
        CancelScope::new()
    }
}

/// The primitives whose storms share one shape: acquire, hold for a moment, release.
enum Guarded {
    Lock(Lock),
    Mutex(Mutex<usize>),
    Semaphore(Semaphore),
    Limiter(CapacityLimiter),
}

/// Counts the workers inside the critical section.
struct Inside<'a>(&'a AtomicUsize);

impl<'a> Inside<'a> {
    fn enter(count: &'a AtomicUsize, limit: usize) -> Self {
        let now = count.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(
            now <= limit,
            "{now} holders of a primitive that allows {limit}"
        );
        Inside(count)
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Guarded {
    fn name(&self) -> &'static str {
        match self {
            Guarded::Lock(_) => "Lock",
            Guarded::Mutex(_) => "Mutex",
            Guarded::Semaphore(_) => "Semaphore",
            Guarded::Limiter(_) => "CapacityLimiter",
        }
    }

    fn limit(&self) -> usize {
        match self {
            Guarded::Lock(_) | Guarded::Mutex(_) => 1,
            Guarded::Semaphore(_) | Guarded::Limiter(_) => 2,
        }
    }

    /// Acquires, counts the acquisition, runs `critical` (which ends by cancelling somebody)
    /// and releases as soon as it returns, without suspending in between.
    async fn hold(&self, inside: &AtomicUsize, acquired: &AtomicUsize, critical: impl Future) {
        let limit = self.limit();
        match self {
            Guarded::Lock(lock) => {
                let _guard = lock.lock().await;
                acquired.fetch_add(1, Ordering::SeqCst);
                let _inside = Inside::enter(inside, limit);
                critical.await;
            }
            Guarded::Mutex(mutex) => {
                let mut guard = mutex.lock().await;
                *guard += 1;
                acquired.fetch_add(1, Ordering::SeqCst);
                let _inside = Inside::enter(inside, limit);
                critical.await;
            }
            Guarded::Semaphore(semaphore) => {
                let _permit = semaphore.acquire().await;
                acquired.fetch_add(1, Ordering::SeqCst);
                let _inside = Inside::enter(inside, limit);
                critical.await;
            }
            Guarded::Limiter(limiter) => {
                let _token = limiter.acquire().await.expect("the task borrows once");
                acquired.fetch_add(1, Ordering::SeqCst);
                let _inside = Inside::enter(inside, limit);
                critical.await;
            }
        }
    }

    /// Asserts that everything came back: nothing held, nobody waiting.
    fn assert_idle(&self, acquired: usize) {
        let name = self.name();
        match self {
            Guarded::Lock(lock) => {
                let stats = lock.statistics();
                assert!(
                    !stats.locked && stats.tasks_waiting == 0,
                    "{name}: {stats:?}"
                );
            }
            Guarded::Mutex(mutex) => {
                let stats = mutex.statistics();
                assert!(
                    !stats.locked && stats.tasks_waiting == 0,
                    "{name}: {stats:?}"
                );
                assert_eq!(*mutex.try_lock().unwrap(), acquired, "{name}: acquisitions");
            }
            Guarded::Semaphore(semaphore) => {
                assert_eq!(semaphore.value(), 2, "{name}: a permit was lost");
                assert_eq!(semaphore.statistics().tasks_waiting, 0, "{name}");
            }
            Guarded::Limiter(limiter) => {
                let stats = limiter.statistics();
                assert_eq!(
                    (stats.borrowed_tokens, stats.tasks_waiting),
                    (0, 0),
                    "{name}: {stats:?}"
                );
                assert!(stats.borrowers.is_empty(), "{name}: {stats:?}");
            }
        }
    }
}

/// Storms of `Lock`, `Mutex`, `Semaphore` and `CapacityLimiter` waits on two threads: workers
/// acquire, hold across a checkpoint, and right before releasing often cancel a random
/// worker's scope (which may be waiting, holding, or between rounds); some scopes also have
/// deadlines. No more holders than allowed at any time, nothing is lost (everything back,
/// nobody waiting), no task is stuck, and waits were really cancelled.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn storms_of_cancelled_waits_lose_no_permit() {
    const WORKERS: usize = 5;
    const ROUNDS: usize = 200;
    let primitives = [
        Guarded::Lock(Lock::new()),
        Guarded::Mutex(Mutex::new(0)),
        Guarded::Semaphore(Semaphore::new(2)),
        Guarded::Limiter(CapacityLimiter::new(2)),
    ];
    for (index, primitive) in primitives.into_iter().enumerate() {
        let primitive = Arc::new(primitive);
        let scopes = Scopes::new(WORKERS);
        let inside = Arc::new(AtomicUsize::new(0));
        let acquired = Arc::new(AtomicUsize::new(0));
        let cancelled_waiting = Arc::new(AtomicUsize::new(0));
        bounded(anyio::task_group(|tg: Group| {
            let (primitive, inside, acquired, cancelled_waiting) = (
                Arc::clone(&primitive),
                Arc::clone(&inside),
                Arc::clone(&acquired),
                Arc::clone(&cancelled_waiting),
            );
            async move {
                for worker in 0..WORKERS {
                    let (primitive, scopes, inside, acquired, cancelled_waiting) = (
                        Arc::clone(&primitive),
                        Arc::clone(&scopes),
                        Arc::clone(&inside),
                        Arc::clone(&acquired),
                        Arc::clone(&cancelled_waiting),
                    );
                    tg.spawn(async move {
                        let mut random = XorShift(0x1234_5678 + (index * WORKERS + worker) as u64);
                        for _ in 0..ROUNDS {
                            let scope = storm_scope(&mut random);
                            scopes.enter(worker, scope.handle());
                            let (pause, cancel) = (random.below(2), random.below(2) == 0);
                            let mut victim = XorShift(random.below(u64::MAX - 1) + 1);
                            let got_in = AtomicUsize::new(0);
                            let outcome = scope
                                .run(primitive.hold(&inside, &acquired, async {
                                    got_in.store(1, Ordering::SeqCst);
                                    for _ in 0..pause {
                                        checkpoint().await;
                                    }
                                    if cancel {
                                        scopes.cancel_one(&mut victim);
                                    }
                                }))
                                .await;
                            scopes.leave(worker);
                            if outcome.is_none() && got_in.load(Ordering::SeqCst) == 0 {
                                cancelled_waiting.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                }
                Ok(())
            }
        }))
        .await
        .unwrap();
        let name = primitive.name();
        assert_eq!(inside.load(Ordering::SeqCst), 0, "{name}");
        primitive.assert_idle(acquired.load(Ordering::SeqCst));
        assert!(
            cancelled_waiting.load(Ordering::SeqCst) > 0,
            "{name}: no wait was cancelled: the storm tested nothing"
        );
    }
}

/// A storm of condition waits on two threads: a producer adds one token at a time under the
/// lock, often cancels a random consumer's scope, notifies one waiter, and waits until the
/// token is consumed. A notification handed to a cancelled consumer would be lost and the
/// producer would wait forever (the test's time limit); none is, and nobody stays waiting.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_storm_of_cancelled_condition_waits_loses_no_notification() {
    const CONSUMERS: usize = 3;
    const TOKENS: usize = 400;

    #[derive(Debug, Default)]
    struct Tokens {
        available: usize,
        done: bool,
    }

    let condition = Arc::new(Condition::new(Tokens::default()));
    let consumed = Arc::new(AtomicUsize::new(0));
    let cancelled = Arc::new(AtomicUsize::new(0));
    let scopes = Scopes::new(CONSUMERS);
    let (shared, consumed2, cancelled2) = (
        Arc::clone(&condition),
        Arc::clone(&consumed),
        Arc::clone(&cancelled),
    );
    bounded(anyio::task_group(|tg: Group| async move {
        for consumer in 0..CONSUMERS {
            let (condition, consumed, cancelled, scopes) = (
                Arc::clone(&shared),
                Arc::clone(&consumed2),
                Arc::clone(&cancelled2),
                Arc::clone(&scopes),
            );
            tg.spawn(async move {
                loop {
                    let scope = CancelScope::new();
                    scopes.enter(consumer, scope.handle());
                    let outcome = scope
                        .run(async {
                            let mut tokens = condition
                                .lock()
                                .await
                                .wait_for(|tokens| tokens.available > 0 || tokens.done)
                                .await;
                            if tokens.available > 0 {
                                tokens.available -= 1;
                                consumed.fetch_add(1, Ordering::SeqCst);
                                true
                            } else {
                                false
                            }
                        })
                        .await;
                    scopes.leave(consumer);
                    match outcome {
                        Some(true) => {}
                        Some(false) => break,
                        None => {
                            cancelled.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
        let mut random = XorShift(0xC0FF_EE00_1234_5678);
        for token in 1..=TOKENS {
            let mut tokens = shared.lock().await;
            tokens.available += 1;
            if random.below(2) == 0 {
                scopes.cancel_one(&mut random);
            }
            tokens.notify(1);
            drop(tokens);
            until(|| consumed2.load(Ordering::SeqCst) == token).await;
        }
        let mut tokens = shared.lock().await;
        tokens.done = true;
        tokens.notify_all();
        Ok(())
    }))
    .await
    .unwrap();
    assert_eq!(consumed.load(Ordering::SeqCst), TOKENS);
    let stats = condition.statistics();
    assert_eq!(stats.tasks_waiting, 0);
    assert!(!stats.lock.locked);
    assert!(
        cancelled.load(Ordering::SeqCst) > 0,
        "no consumer was cancelled: the storm tested nothing"
    );
}

/// A storm on memory streams on two threads: producers often cancel a random consumer's scope
/// right before sending, consumers often cancel a random producer's scope right before
/// receiving (which hands room to the senders). Every item whose send completed is received
/// exactly once, no item whose send was cancelled is received, and nobody is left waiting.
#[anyio::test(flavor = "multi_thread", worker_threads = 2, threads = 2)]
async fn a_storm_of_cancelled_sends_and_receives_loses_no_item() {
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 3;
    const ITEMS: u64 = 200;
    for capacity in [0, 1] {
        let (tx, rx) = create_memory_object_stream::<u64>(capacity);
        let sent = Arc::new(StdMutex::new(Vec::new()));
        let received = Arc::new(StdMutex::new(Vec::new()));
        let cancelled = Arc::new(AtomicUsize::new(0));
        let producer_scopes = Scopes::new(PRODUCERS);
        let consumer_scopes = Scopes::new(CONSUMERS);
        let (sent2, received2, cancelled2) = (
            Arc::clone(&sent),
            Arc::clone(&received),
            Arc::clone(&cancelled),
        );
        let stats_rx = rx.clone();
        bounded(anyio::task_group(|tg: Group| async move {
            for producer in 0..PRODUCERS {
                let (tx, sent, cancelled) =
                    (tx.clone(), Arc::clone(&sent2), Arc::clone(&cancelled2));
                let (mine, theirs) = (Arc::clone(&producer_scopes), Arc::clone(&consumer_scopes));
                tg.spawn(async move {
                    let mut random = XorShift(0xABCD_0000 + producer as u64);
                    for n in 0..ITEMS {
                        let item = producer as u64 * ITEMS + n;
                        let scope = storm_scope(&mut random);
                        mine.enter(producer, scope.handle());
                        if random.below(2) == 0 {
                            theirs.cancel_one(&mut random);
                        }
                        let outcome = scope.run(tx.send(item)).await;
                        mine.leave(producer);
                        match outcome {
                            Some(result) => {
                                result.unwrap();
                                sent.lock().unwrap().push(item);
                            }
                            None => {
                                cancelled.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                });
            }
            drop(tx);
            for consumer in 0..CONSUMERS {
                let (rx, received, cancelled) =
                    (rx.clone(), Arc::clone(&received2), Arc::clone(&cancelled2));
                let (mine, theirs) = (Arc::clone(&consumer_scopes), Arc::clone(&producer_scopes));
                tg.spawn(async move {
                    let mut random = XorShift(0xDCBA_0000 + consumer as u64);
                    loop {
                        let scope = storm_scope(&mut random);
                        mine.enter(consumer, scope.handle());
                        if random.below(2) == 0 {
                            theirs.cancel_one(&mut random);
                        }
                        let outcome = scope.run(rx.receive()).await;
                        mine.leave(consumer);
                        match outcome {
                            Some(Ok(item)) => received.lock().unwrap().push(item),
                            Some(Err(_)) => break,
                            None => {
                                cancelled.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                });
            }
            drop(rx);
            Ok(())
        }))
        .await
        .unwrap();
        let sent: BTreeSet<u64> = sent.lock().unwrap().iter().copied().collect();
        let received = received.lock().unwrap().clone();
        let unique: BTreeSet<u64> = received.iter().copied().collect();
        assert_eq!(
            unique.len(),
            received.len(),
            "capacity {capacity}: an item was received twice"
        );
        assert_eq!(
            unique, sent,
            "capacity {capacity}: sent and received differ"
        );
        let stats = stats_rx.statistics();
        assert_eq!(
            (
                stats.tasks_waiting_send,
                stats.tasks_waiting_receive,
                stats.current_buffer_used
            ),
            (0, 0, 0),
            "capacity {capacity}"
        );
        assert!(
            cancelled.load(Ordering::SeqCst) > 0,
            "capacity {capacity}: nothing was cancelled: the storm tested nothing"
        );
    }
}
