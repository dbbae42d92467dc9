//! Soak: the load of `tests/load_cancel.rs`, over and over for minutes, printing the memory
//! and descriptors of the process every minute. Not a CI test: a long run, to show that
//! nothing grows.
//!
//! ```text
//! cargo run --release -p anyio --all-features --example soak -- [tokio|smol] [MINUTES] [ROUND_TRIPS]
//! ```
//!
//! Each cycle opens 1,000 loopback connections at once to an echo server, makes
//! `ROUND_TRIPS` round trips on each (100 by default), cancels a seeded random tenth of the
//! server's handlers mid-flight (a new seed each cycle), and stops the server; cycles follow
//! each other until `MINUTES` (3 by default) have passed. The runtime has two threads (tokio's
//! multi-thread runtime with two workers, or smol's executor on two threads). Printed every
//! minute: the resident set now (`VmRSS`, mid-cycle), after the last whole cycle (nothing
//! open then), and at its peak (`VmHWM`), the open descriptors, and the round trips so far. At
//! the end, the descriptors and tasks are compared with those before the first cycle (after a
//! small warm-up load): the exit status is 1 if any outlived the load. Linux only (`/proc`).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyio::{Backend, Runner};

#[path = "../tests/support/load.rs"]
mod load;

use load::{Load, memory_kib, open_descriptors, raise_descriptor_limit, run_load};

/// Connections per cycle, all at once.
const CONNECTIONS: usize = 1_000;

/// What the cycles have done so far, for the minute reports.
#[derive(Default)]
struct Progress {
    cycles: AtomicUsize,
    round_trips: AtomicUsize,
    /// `VmRSS` in KiB after the last whole cycle.
    rss_between: AtomicU64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (
        args.first().map_or(Ok(Backend::Tokio), |name| name.parse()),
        args.get(1).map_or(Ok(3), |minutes| minutes.parse::<u64>()),
        args.get(2)
            .map_or(Ok(100), |round_trips| round_trips.parse()),
    );
    let (backend, minutes, round_trips) = match parsed {
        (Ok(backend), Ok(minutes), Ok(round_trips)) if args.len() <= 3 && round_trips >= 2 => {
            (backend, minutes, round_trips)
        }
        _ => {
            eprintln!("usage: soak [tokio|smol] [MINUTES] [ROUND_TRIPS (at least 2)]");
            return ExitCode::FAILURE;
        }
    };
    let runner = match backend {
        Backend::Tokio => Runner::tokio().worker_threads(2),
        _ => Runner::new(backend).threads(2),
    };
    match runner.run(soak(
        backend,
        Duration::from_secs(minutes * 60),
        round_trips,
    )) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("soak: cannot run on {backend}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs cycles for `length`, with the minute reports beside them; true if nothing leaked.
async fn soak(backend: Backend, length: Duration, round_trips: usize) -> bool {
    let limit = raise_descriptor_limit();
    println!(
        "soak on {backend}, 2 threads, for {length:?}: cycles of {CONNECTIONS} connections x \
         {round_trips} round trips, a tenth of the handlers cancelled (open-files limit {limit})"
    );
    // The backend opens its reactor's descriptors on first use and keeps them.
    run_load(Load {
        connections: 10,
        round_trips: 2,
        seed: 1,
    })
    .await;
    let descriptors_before = open_descriptors();
    let tasks_before = anyio::get_running_tasks();
    let progress = Arc::new(Progress::default());
    progress
        .rss_between
        .store(memory_kib("VmRSS"), Ordering::Relaxed);
    println!(
        "start: VmRSS {} KiB, VmHWM {} KiB, {descriptors_before} descriptors",
        memory_kib("VmRSS"),
        memory_kib("VmHWM")
    );

    let started = Instant::now();
    let minute_rows = Arc::new(Mutex::new(Vec::new()));
    let rows = Arc::clone(&minute_rows);
    let reported = Arc::clone(&progress);
    anyio::task_group(|tg| async move {
        tg.spawn(report_every_minute(started, reported, rows));
        let mut seed = 0x5eed_0000_u64;
        while started.elapsed() < length {
            seed += 1;
            let outcome = run_load(Load {
                connections: CONNECTIONS,
                round_trips,
                seed,
            })
            .await;
            assert_eq!(outcome.handlers_cancelled, CONNECTIONS / 10);
            progress.cycles.fetch_add(1, Ordering::Relaxed);
            progress
                .round_trips
                .fetch_add(outcome.round_trips, Ordering::Relaxed);
            progress
                .rss_between
                .store(memory_kib("VmRSS"), Ordering::Relaxed);
        }
        tg.cancel(); // the reporter
    })
    .await
    .unwrap();

    let descriptors_after = open_descriptors();
    let tasks_after = anyio::get_running_tasks();
    let rows = minute_rows.lock().unwrap();
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        println!(
            "RSS after a whole cycle: {first} KiB at the first minute, {last} KiB at the last \
             ({:+} KiB)",
            *last as i64 - *first as i64
        );
    }
    println!(
        "end: {descriptors_after} descriptors (before: {descriptors_before}), {} tasks \
         (before: {})",
        tasks_after.len(),
        tasks_before.len()
    );
    let clean = descriptors_after == descriptors_before && tasks_after == tasks_before;
    if !clean {
        println!("LEAK: descriptors or tasks outlived the load");
    }
    clean
}

/// Prints a line every minute until cancelled, and keeps each minute's RSS after the last
/// whole cycle in `rows`.
async fn report_every_minute(
    started: Instant,
    progress: Arc<Progress>,
    rows: Arc<Mutex<Vec<u64>>>,
) {
    for minute in 1.. {
        anyio::sleep_until(started + Duration::from_secs(60 * minute)).await;
        let between = progress.rss_between.load(Ordering::Relaxed);
        rows.lock().unwrap().push(between);
        println!(
            "minute {minute}: VmRSS {} KiB now, {between} KiB after the last whole cycle, VmHWM \
             {} KiB; {} descriptors; {} cycles, {} round trips",
            memory_kib("VmRSS"),
            memory_kib("VmHWM"),
            open_descriptors(),
            progress.cycles.load(Ordering::Relaxed),
            progress.round_trips.load(Ordering::Relaxed),
        );
    }
}
