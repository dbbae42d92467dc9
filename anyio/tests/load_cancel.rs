//! No leaks under load with cancellation, on every backend: many concurrent loopback echo
//! connections making round trips on two threads, with a seeded random tenth of the server's
//! handlers cancelled mid-flight through their cancel scopes' handles. At the end, the
//! process has exactly the descriptors it had before (the entries of `/proc/self/fd`) and no
//! task but its runner's main task.
//!
//! Each backend's load runs in a child process of its own (this test executable again,
//! running the ignored [`load_child`] entry for that backend), so that nothing else the
//! harness runs at the same time opens or closes a descriptor, or lists a task, while it
//! counts; the two backends take turns, so that each has the machine's two cores. The
//! child prints its figures (shown with `--nocapture`) and fails on its own assertions.
//!
//! The CI size is 1,000 connections × 50 round trips. The full size, 1,000 × 1,000, is a
//! long run:
//!
//! ```text
//! cargo test --release -p anyio --all-features --test load_cancel -- --ignored --nocapture
//! ```
//!
//! and `examples/soak.rs` runs the same load for minutes, printing memory per minute.
#![cfg(all(feature = "macros", target_os = "linux"))]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::process::{Command, run_process};

#[path = "support/load.rs"]
mod load;

use load::{Load, open_descriptors, raise_descriptor_limit, run_load, take_turn};

/// Tells the child the load to run: `CONNECTIONSxROUND_TRIPS`.
const CHILD_ENV: &str = "ANYIO_TEST_LOAD_CHILD";
/// The load CI runs: every connection at once, a few round trips each.
const CI_LOAD: (usize, usize) = (1_000, 50);
/// The load of the long run.
const FULL_LOAD: (usize, usize) = (1_000, 1_000);
/// Chooses the handlers that are cancelled.
const SEED: u64 = 0x5eed_2100;

#[anyio::test(timeout = 120)]
async fn no_descriptor_or_task_outlives_a_load_with_cancellations() {
    let _turn = take_turn().await;
    load_in_a_child(CI_LOAD).await;
}

#[anyio::test(timeout = "60m")]
#[ignore = "long run (1,000 connections x 1,000 round trips): see the module docs"]
async fn full_size_no_descriptor_or_task_outlives_a_load_with_cancellations() {
    let _turn = take_turn().await;
    load_in_a_child(FULL_LOAD).await;
}

/// Runs `(connections, round_trips)` in a child process on the calling test's backend, and
/// passes its report on.
async fn load_in_a_child((connections, round_trips): (usize, usize)) {
    let backend = anyio::current_async_library().unwrap();
    let entry = format!("load_child::{backend}");
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([entry.as_str(), "--exact", "--ignored", "--nocapture"])
        .env(CHILD_ENV, format!("{connections}x{round_trips}"))
        .check(false);
    let done = run_process(command).await.unwrap();
    let report = String::from_utf8_lossy(&done.stdout);
    let errors = String::from_utf8_lossy(&done.stderr);
    for line in report.lines().filter(|line| line.starts_with("load ")) {
        eprintln!("{line}");
    }
    assert!(
        done.status.success(),
        "the {backend} child failed ({:?}):\n{report}\n{errors}",
        done.status
    );
    assert!(
        report.contains("load done"),
        "the {backend} child ran no load:\n{report}\n{errors}"
    );
}

/// Not a test: the load of the tests above, in the child process they start for its backend
/// (with [`CHILD_ENV`] set; without it, it does nothing). Two threads, as the issue asks:
/// tokio's multi-thread runtime with two workers, smol's executor on two threads.
#[anyio::test(
    timeout = "60m",
    flavor = "multi_thread",
    worker_threads = 2,
    threads = 2
)]
#[ignore = "the load of the tests above, run by them in a child process"]
async fn load_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (connections, round_trips) = spec.split_once('x').unwrap();
    let load = Load {
        connections: connections.parse().unwrap(),
        round_trips: round_trips.parse().unwrap(),
        seed: SEED,
    };
    let backend = anyio::current_async_library().unwrap();
    let limit = raise_descriptor_limit();
    assert!(
        limit >= 2 * load.connections as u64 + 64,
        "{} connections need two descriptors each; the limit is {limit}",
        load.connections
    );

    // A small load first: the backend opens its reactor's descriptors on first use and keeps
    // them, and the thread pools start; none of that is a leak.
    run_load(Load {
        connections: 10,
        round_trips: 2,
        seed: SEED,
    })
    .await;
    let descriptors_before = open_descriptors();
    let tasks_before = anyio::get_running_tasks();

    let started = Instant::now();
    let peaks = Arc::new(Mutex::new((descriptors_before, tasks_before.len())));
    let sampled = Arc::clone(&peaks);
    let outcome = anyio::task_group(|tg| async move {
        tg.spawn(sample_peaks(sampled));
        let outcome = run_load(load).await;
        tg.cancel();
        Ok::<_, Infallible>(outcome)
    })
    .await
    .unwrap()
    .unwrap();
    let (peak_descriptors, peak_tasks) = *peaks.lock().unwrap();
    let took = started.elapsed();
    let descriptors_after = open_descriptors();
    let tasks_after = anyio::get_running_tasks();

    let chosen = load.connections / 10;
    println!(
        "load {backend}: {} connections x {} round trips on 2 threads in {took:.2?}: \
         {} round trips made; handlers: {} finished, {} cancelled; clients: {} finished, \
         {} cut short",
        load.connections,
        load.round_trips,
        outcome.round_trips,
        outcome.handlers_finished,
        outcome.handlers_cancelled,
        outcome.clients_finished,
        outcome.clients_cut,
    );
    println!(
        "load {backend}: descriptors {descriptors_before} before, {peak_descriptors} at the \
         peak, {descriptors_after} after; tasks {} before, {peak_tasks} at the peak, {} after",
        tasks_before.len(),
        tasks_after.len()
    );
    assert_eq!(outcome.handlers_cancelled, chosen, "every chosen handler");
    assert_eq!(outcome.handlers_finished, load.connections - chosen);
    assert_eq!(
        outcome.clients_finished + outcome.clients_cut,
        load.connections
    );
    assert!(outcome.clients_cut <= chosen);
    assert_eq!(
        descriptors_after, descriptors_before,
        "every descriptor the load opened is closed"
    );
    assert_eq!(tasks_after, tasks_before, "every task of the load is gone");
    println!("load done");
}

/// Samples the descriptors and tasks every 50 ms, keeping the highest (figures for the
/// report), until cancelled.
async fn sample_peaks(peaks: Arc<Mutex<(usize, usize)>>) {
    loop {
        let now = (open_descriptors(), anyio::get_running_tasks().len());
        {
            let mut peak = peaks.lock().unwrap();
            *peak = (peak.0.max(now.0), peak.1.max(now.1));
        }
        anyio::sleep(Duration::from_millis(50)).await;
    }
}
