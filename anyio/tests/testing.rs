//! `anyio::testing`: `wait_all_tasks_blocked`, virtual time, and the test macro's `timeout`
//! and `virtual_time` options, on every backend, single- and multi-threaded.
#![cfg(feature = "macros")]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::Backend;
use anyio::lowlevel::checkpoint;
use anyio::net::{TcpListener, TcpStream};
use anyio::streams::ByteReceiveStream;
use anyio::sync::{Event, Lock, Semaphore};
use anyio::testing::wait_all_tasks_blocked;

/// Spawns `count` children that each take a few turns of the scheduler, count themselves as
/// arrived, then wait in `block`; a single yield of the waiter would not see them arrive.
async fn arrive_then<F, Fut>(count: usize, block: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let arrived = Arc::new(AtomicUsize::new(0));
    let block = Arc::new(block);
    let seen = Arc::clone(&arrived);
    anyio::task_group(|tg| async move {
        for index in 0..count {
            let (arrived, block) = (Arc::clone(&seen), Arc::clone(&block));
            tg.spawn(async move {
                for _ in 0..=index * 3 {
                    checkpoint().await;
                }
                arrived.fetch_add(1, Ordering::SeqCst);
                block(index).await;
            });
        }
        wait_all_tasks_blocked().await;
        assert_eq!(
            seen.load(Ordering::SeqCst),
            count,
            "returned before every child blocked"
        );
        tg.cancel();
    })
    .await
    .unwrap();
    assert_eq!(arrived.load(Ordering::SeqCst), count);
}

#[anyio::test(timeout = 30)]
async fn waits_for_tasks_blocked_on_an_event() {
    let event = Arc::new(Event::new());
    arrive_then(8, move |_| {
        let event = Arc::clone(&event);
        async move { event.wait().await }
    })
    .await;
}

#[anyio::test(timeout = 30, worker_threads = 2, threads = 2)]
async fn waits_for_tasks_blocked_on_locks_and_semaphores_on_two_threads() {
    let lock = Arc::new(Lock::new());
    let semaphore = Arc::new(Semaphore::new(0));
    let holder = Arc::clone(&lock);
    let held = holder.lock().await;
    arrive_then(8, move |index| {
        let (lock, semaphore) = (Arc::clone(&lock), Arc::clone(&semaphore));
        async move {
            if index % 2 == 0 {
                let _held = lock.lock().await;
            } else {
                let _permit = semaphore.acquire().await;
            }
        }
    })
    .await;
    drop(held);
}

#[anyio::test(timeout = 30, worker_threads = 2, threads = 2)]
async fn waits_for_tasks_blocked_on_streams_and_sleeps() {
    let (send, receive) = anyio::create_memory_object_stream::<u32>(1);
    arrive_then(8, move |index| {
        let receive = receive.clone();
        async move {
            if index % 2 == 0 {
                let _ = receive.receive().await;
            } else {
                anyio::sleep(Duration::from_secs(3600)).await;
            }
        }
    })
    .await;
    drop(send);
}

#[anyio::test(timeout = 30, worker_threads = 2, threads = 2)]
async fn waits_for_tasks_blocked_on_sockets() {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let listener = Arc::new(anyio::sync::Mutex::new(listener));
    // Half accept (nobody connects), half read from a connection that never sends.
    let mut peers = Vec::new();
    let streams = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..4 {
        let client = TcpStream::connect(address).await.unwrap();
        let (server, _) = listener.lock().await.accept().await.unwrap();
        peers.push(client);
        streams.lock().unwrap().push(server);
    }
    arrive_then(8, move |index| {
        let (listener, streams) = (Arc::clone(&listener), Arc::clone(&streams));
        async move {
            if index % 2 == 0 {
                let stream = streams.lock().unwrap().pop();
                if let Some(mut stream) = stream {
                    let mut buffer = [0; 64];
                    let _ = stream.receive(&mut buffer).await;
                }
            } else {
                let _ = listener.lock().await.accept().await;
            }
        }
    })
    .await;
    drop(peers);
}

#[anyio::test(timeout = 30)]
async fn several_waiters_return_together() {
    let returned = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&returned);
    anyio::task_group(|tg| async move {
        for _ in 0..3 {
            let returned = Arc::clone(&counted);
            tg.spawn(async move {
                wait_all_tasks_blocked().await;
                returned.fetch_add(1, Ordering::SeqCst);
            });
        }
        let event = Arc::new(Event::new());
        tg.spawn({
            let event = Arc::clone(&event);
            async move { event.wait().await }
        });
        wait_all_tasks_blocked().await;
        // Every waiter returns, then blocks no more: they have all finished.
        wait_all_tasks_blocked().await;
        assert_eq!(counted.load(Ordering::SeqCst), 3);
        event.set();
    })
    .await
    .unwrap();
    assert_eq!(returned.load(Ordering::SeqCst), 3);
}

#[anyio::test(timeout = 30)]
async fn a_task_still_working_keeps_the_waiter_waiting() {
    let done = Arc::new(AtomicUsize::new(0));
    let finished = Arc::clone(&done);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            for _ in 0..1000 {
                checkpoint().await;
            }
            finished.store(1, Ordering::SeqCst);
        });
        wait_all_tasks_blocked().await;
        assert_eq!(done.load(Ordering::SeqCst), 1);
    })
    .await
    .unwrap();
}

#[test]
fn without_tracking_it_is_a_clear_panic() {
    for backend in Backend::available() {
        let outcome = anyio::Runner::new(backend).run(async {
            std::panic::catch_unwind(|| {
                futures_lite::future::block_on(futures_lite::future::poll_once(
                    wait_all_tasks_blocked(),
                ))
            })
        });
        let payload = outcome.unwrap().unwrap_err();
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap();
        assert!(
            message.contains("does not keep track of its tasks")
                && message.contains("track_blocking"),
            "{backend}: {message}"
        );
    }
}

#[test]
fn a_runner_with_tracking_supports_it_on_every_backend() {
    for backend in Backend::available() {
        anyio::Runner::new(backend)
            .track_blocking()
            .run(async {
                let event = Arc::new(Event::new());
                anyio::task_group(|tg| async move {
                    let waiter = Arc::clone(&event);
                    tg.spawn(async move { waiter.wait().await });
                    wait_all_tasks_blocked().await;
                    event.set();
                })
                .await
                .unwrap();
            })
            .unwrap();
    }
}

/// The events of a test, with the virtual time at which each happened.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(Duration, String)>>>);

impl Log {
    fn note(&self, start: Instant, event: impl Into<String>) {
        let at = anyio::current_time() - start;
        self.0.lock().unwrap().push((at, event.into()));
    }

    fn events(&self) -> Vec<(Duration, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// The same story on every backend: sleepers, a timeout, a deadline moved while waiting.
async fn story() -> Vec<(Duration, String)> {
    let log = Log::default();
    let start = anyio::current_time();
    let written = log.clone();
    anyio::task_group(|tg| async move {
        for (name, seconds) in [("c", 30), ("a", 10), ("b", 10), ("d", 3600)] {
            let log = written.clone();
            tg.spawn(async move {
                anyio::sleep(Duration::from_secs(seconds)).await;
                log.note(start, format!("{name} woke"));
            });
        }
        let log = written.clone();
        tg.spawn(async move {
            let outcome = anyio::fail_after(Duration::from_secs(60), anyio::sleep_forever()).await;
            log.note(start, format!("timeout: {}", outcome.is_err()));
        });
        let log = written.clone();
        tg.spawn(async move {
            let scope = anyio::CancelScope::new().deadline(start + Duration::from_secs(20));
            let handle = scope.handle();
            let moved = anyio::task_group(|inner| async move {
                inner.spawn(async move {
                    anyio::sleep(Duration::from_secs(5)).await;
                    handle.set_deadline(Some(start + Duration::from_secs(45)));
                });
                scope.run(anyio::sleep_forever()).await;
            })
            .await;
            log.note(start, format!("moved deadline reached: {}", moved.is_ok()));
        });
    })
    .await
    .unwrap();
    log.events()
}

fn expected_story() -> Vec<(Duration, String)> {
    [
        (10, "a woke"),
        (10, "b woke"),
        (30, "c woke"),
        (45, "moved deadline reached: true"),
        (60, "timeout: true"),
        (3600, "d woke"),
    ]
    .into_iter()
    .map(|(seconds, event)| (Duration::from_secs(seconds), event.to_owned()))
    .collect()
}

#[anyio::test(virtual_time, timeout = 10)]
async fn an_hour_of_virtual_time_passes_at_once_in_the_same_order_everywhere() {
    let real = Instant::now();
    assert_eq!(story().await, expected_story());
    assert!(
        real.elapsed() < Duration::from_secs(1),
        "took {:?}",
        real.elapsed()
    );
}

#[anyio::test(virtual_time, timeout = 10, worker_threads = 2, threads = 2)]
async fn virtual_time_on_two_threads() {
    let real = Instant::now();
    // Timers due at the same moment wake their tasks together, and two threads run them in
    // parallel: only their order among themselves may differ.
    let mut events = story().await;
    events.sort();
    assert_eq!(events, expected_story());
    assert!(
        real.elapsed() < Duration::from_secs(1),
        "took {:?}",
        real.elapsed()
    );
}

#[anyio::test(virtual_time, timeout = 10)]
async fn a_one_hour_fail_after_fails_at_once() {
    let real = Instant::now();
    let start = anyio::current_time();
    let outcome = anyio::fail_after(Duration::from_secs(3600), anyio::sleep_forever()).await;
    assert!(outcome.is_err());
    assert_eq!(anyio::current_time() - start, Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(1));
}

#[anyio::test(virtual_time, timeout = 10)]
async fn time_stands_still_while_a_task_can_run() {
    let start = anyio::current_time();
    for _ in 0..1000 {
        checkpoint().await;
    }
    anyio::sleep(Duration::ZERO).await;
    assert_eq!(anyio::current_time(), start);
    // A sleeper does not jump the clock while another task still works.
    let worker_done = Arc::new(AtomicUsize::new(0));
    let done = Arc::clone(&worker_done);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            for _ in 0..1000 {
                checkpoint().await;
            }
            done.store(1, Ordering::SeqCst);
        });
        anyio::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            worker_done.load(Ordering::SeqCst),
            1,
            "the clock jumped while a task ran"
        );
    })
    .await
    .unwrap();
    assert_eq!(anyio::current_time() - start, Duration::from_secs(1));
}

#[anyio::test(virtual_time, timeout = 10)]
async fn a_thread_at_work_holds_the_clock() {
    let start = anyio::current_time();
    let outcome = anyio::fail_after(
        Duration::from_secs(1),
        anyio::to_thread::run_sync(|| std::thread::sleep(Duration::from_millis(50))),
    )
    .await;
    assert!(
        outcome.is_ok(),
        "the clock jumped past the deadline while the thread worked"
    );
    assert_eq!(anyio::current_time(), start);
}

#[anyio::test(virtual_time, timeout = 10)]
async fn wait_all_tasks_blocked_comes_before_a_jump() {
    let start = anyio::current_time();
    anyio::task_group(|tg| async move {
        tg.spawn(anyio::sleep(Duration::from_secs(5)));
        wait_all_tasks_blocked().await;
        // The sleeper is blocked, yet the clock has not moved: the waiter was runnable.
        assert_eq!(anyio::current_time(), start);
    })
    .await
    .unwrap();
    assert_eq!(anyio::current_time() - start, Duration::from_secs(5));
}

#[anyio::test(timeout = "200ms")]
#[should_panic(
    expected = "test `testing::a_test_past_its_timeout_fails_with_its_name` timed out on"
)]
async fn a_test_past_its_timeout_fails_with_its_name() {
    anyio::sleep_forever().await;
}

#[anyio::test(virtual_time, timeout = "200ms")]
#[should_panic(expected = "still running after 200ms")]
async fn the_timeout_is_real_time_under_virtual_time() {
    // No timer is armed, so the clock has nowhere to jump: the limit, in real time, still holds.
    anyio::sleep_forever().await;
}

#[anyio::test(virtual_time, timeout = 10)]
async fn a_process_at_work_holds_the_clock() {
    let start = anyio::current_time();
    let outcome = anyio::fail_after(
        Duration::from_secs(1),
        anyio::process::run_process(["sleep", "0.05"]),
    )
    .await;
    assert!(
        outcome.is_ok(),
        "the clock jumped past the deadline while the process ran"
    );
    assert_eq!(anyio::current_time(), start);
}

#[anyio::test(virtual_time, timeout = 30, backends(tokio))]
async fn a_read_loop_cut_short_by_tokios_budget_does_not_jump_the_clock() {
    use anyio::streams::ByteSendStream;
    // tokio's I/O objects spend tokio's own budget, and a spent budget defers the task's wake
    // until after its poll: the task is runnable all along, so the clock must not jump.
    const SIZE: usize = 16 * 1024;
    let mut listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(address).await.unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    client.send(&[7; SIZE]).await.unwrap();
    // The first read waits for the reactor (no deadline yet); the rest is buffered.
    let mut byte = [0; 1];
    server.receive(&mut byte).await.unwrap();
    let start = anyio::current_time();
    let outcome = anyio::fail_after(Duration::from_secs(1), async {
        for _ in 1..SIZE {
            assert_eq!(server.receive(&mut byte).await.unwrap(), 1);
        }
    })
    .await;
    assert!(
        outcome.is_ok(),
        "the clock jumped past the deadline while the reader could run"
    );
    assert_eq!(anyio::current_time(), start);
}

#[anyio::test(virtual_time, timeout = 30, backends(tokio))]
async fn a_native_task_sleeping_on_virtual_time_wakes() {
    // The only sleeper is a native task, armed after every anyio task blocked.
    let start = anyio::current_time();
    tokio::spawn(anyio::sleep(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(anyio::current_time() - start, Duration::from_secs(5));
}

#[anyio::test(virtual_time, timeout = 30)]
async fn a_deadline_moved_earlier_while_the_body_waits_fires_then() {
    let start = anyio::current_time();
    let scope = anyio::CancelScope::new().deadline(start + Duration::from_secs(100));
    let handle = scope.handle();
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            wait_all_tasks_blocked().await;
            handle.set_deadline(Some(start + Duration::from_secs(1)));
        });
        assert_eq!(scope.run(anyio::sleep_forever()).await, None);
        assert_eq!(anyio::current_time() - start, Duration::from_secs(1));
    })
    .await
    .unwrap();
}

#[anyio::test(timeout = 30)]
async fn two_waits_in_one_task_still_wait_for_the_others() {
    let done = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&done);
    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            for _ in 0..1000 {
                checkpoint().await;
            }
            done.store(1, Ordering::SeqCst);
        });
        futures_lite::future::zip(wait_all_tasks_blocked(), wait_all_tasks_blocked()).await;
        assert_eq!(seen.load(Ordering::SeqCst), 1, "returned while a task ran");
    })
    .await
    .unwrap();
}

#[anyio::test(virtual_time, timeout = 30)]
async fn a_task_run_from_a_thread_is_tracked() {
    // `EventLoopToken::run` (as `from_thread::run`) runs its future as a task of the loop:
    // while it can run, the clock stands still.
    let token = anyio::lowlevel::current_token();
    let started = Arc::new(Event::new());
    let done = Arc::new(AtomicUsize::new(0));
    let (set_started, set_done) = (Arc::clone(&started), Arc::clone(&done));
    let thread = std::thread::spawn(move || {
        token
            .run(async move {
                set_started.set();
                for _ in 0..1000 {
                    checkpoint().await;
                }
                set_done.store(1, Ordering::SeqCst);
            })
            .unwrap();
    });
    started.wait().await;
    anyio::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        done.load(Ordering::SeqCst),
        1,
        "the clock jumped while the task run from a thread could run"
    );
    anyio::to_thread::run_sync(move || thread.join().unwrap()).await;
}

#[anyio::test(virtual_time, timeout = 10)]
async fn a_thread_waiting_on_the_loop_does_not_hold_the_clock() {
    // A worker thread holds the clock while it works, not while it waits for the loop: a
    // sleep it runs there through `from_thread::run` passes on virtual time.
    let start = anyio::current_time();
    let slept = anyio::to_thread::run_sync(move || {
        anyio::from_thread::run(async move {
            anyio::sleep(Duration::from_secs(60)).await;
            anyio::current_time()
        })
        .unwrap()
    })
    .await;
    assert_eq!(slept - start, Duration::from_secs(60));
    // And while it works again after the call, it holds the clock again.
    let outcome = anyio::fail_after(
        Duration::from_secs(1),
        anyio::to_thread::run_sync(|| {
            anyio::from_thread::run_sync(|| ()).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }),
    )
    .await;
    assert!(outcome.is_ok(), "the clock jumped while the thread worked");
}
