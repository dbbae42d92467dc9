//! A tour of anyio: the same async code on every backend, started from anyio's own runner and
//! from each backend's native entry point, reporting which library runs it.
//!
//! ```text
//! cargo run -p anyio --example tour --all-features
//! ANYIO_BACKEND=smol cargo run -p anyio --example tour --all-features
//! ```

use std::convert::Infallible;
use std::error::Error;
use std::panic;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyio::streams::{
    BufferedByteReceiveStream, ByteSendStream, ByteStream, ChunkedByteStream, ObjectReceiveStream,
    ObjectSendStream, ObjectStream, StapledStream, StreamError, TextStream,
};
use anyio::{Backend, CancelScope, Runner};

/// Backend-agnostic code: it never names tokio or smol.
async fn report(entry: &str) -> Backend {
    let start = anyio::current_time();
    anyio::sleep(Duration::from_millis(10)).await;
    // A zero sleep is a yield, not a timer; so is a checkpoint.
    anyio::sleep(Duration::ZERO).await;
    anyio::lowlevel::checkpoint().await;
    let backend = anyio::current_async_library().expect("anyio code runs inside a runtime");
    let slept = anyio::current_time() - start;
    println!(
        "  {entry:<44} -> {backend:<5} (slept {:.1} ms)",
        millis(slept)
    );
    backend
}

/// Threads: blocking work on a worker thread that calls back into the loop, and a plain
/// `std::thread` that gets in with a token.
async fn threaded() {
    let ticks = anyio::to_thread::run_sync(|| {
        let mut ticks = 0;
        for _ in 0..3 {
            // Blocking work here, then a moment of async code in the event loop.
            anyio::from_thread::run(anyio::sleep(Duration::from_millis(1))).unwrap();
            ticks += 1;
        }
        ticks
    })
    .await;
    let token = anyio::lowlevel::current_token();
    let stranger =
        std::thread::spawn(move || token.run_sync(|| anyio::current_async_library().unwrap()));
    let seen = anyio::to_thread::run_sync(move || stranger.join().unwrap()).await;
    println!(
        "    a worker thread called into the loop {ticks} times; a std::thread with a token saw {:?}",
        seen.unwrap()
    );
}

/// Structured concurrency, the same on every backend: timeouts, shields, task groups.
async fn structured() -> Result<(), Box<dyn Error>> {
    // A timeout that gives up quietly, and one that is an error.
    let gave_up = anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever()).await;
    let timed_out = anyio::fail_after(Duration::from_millis(5), anyio::sleep_forever())
        .await
        .map_err(|error| error.to_string());
    println!("    move_on_after -> {gave_up:?}, fail_after -> {timed_out:?}");

    // Cancelling a scope drops its body at the next suspension point; a shield inside lets
    // cleanup finish first.
    let scope = CancelScope::new();
    let handle = scope.handle();
    let outcome = scope
        .run(async {
            handle.cancel();
            CancelScope::new()
                .shield(true)
                .run(anyio::sleep(Duration::from_millis(2)))
                .await;
            println!("    shielded cleanup finished inside a cancelled scope");
            anyio::sleep_forever().await;
        })
        .await;
    println!(
        "    cancelled scope -> {outcome:?}, caught: {}",
        handle.cancelled_caught()
    );

    // A task group: one child fails, its siblings are cancelled, the error comes back.
    // A task group: a failing child cancels its siblings, and every error comes back. The
    // body's `Result` names the group's error type.
    let failed = anyio::task_group(|tg| async move {
        let port = tg
            .start(|status: anyio::TaskStatus<u16>| async move {
                status.started(8080);
                anyio::sleep_forever().await;
            })
            .await
            .map_err(|error| error.to_string())?;
        println!("    a child started and reported port {port}");
        tg.spawn_named("worker", async {
            anyio::sleep(Duration::from_millis(3)).await;
            Err::<(), _>("the worker failed".to_owned())
        });
        anyio::sleep_forever().await;
        Ok::<_, String>(())
    })
    .await;
    println!(
        "    task group -> {:?}",
        failed.map_err(|error| error.into_errors())
    );

    // A group stopped by its own `cancel()` (how a server is stopped) is a success: `None`
    // says the body did not get to return a value.
    let stopped = anyio::task_group(|tg| async move {
        tg.spawn(anyio::sleep_forever()); // serving...
        anyio::sleep(Duration::from_millis(2)).await;
        tg.cancel(); // ...until told to stop
        anyio::sleep(Duration::from_millis(2)).await; // dropped here
        Ok::<_, Infallible>("the body's value")
    })
    .await;
    println!("    a group stopped by its own cancel() -> {stopped:?}");
    Ok(())
}

/// Sync primitives: tasks queue for a fair lock and get it in the order they arrived; an event
/// tells the host when the last one is done.
async fn synchronized() {
    let lock = Arc::new(anyio::sync::Mutex::new(Vec::new()));
    let all_done = Arc::new(anyio::sync::Event::new());
    let (order, done) = (Arc::clone(&lock), Arc::clone(&all_done));
    anyio::task_group(|tg| async move {
        let held = Arc::clone(&order).lock_owned().await;
        for (queued, name) in ["first", "second", "third"].into_iter().enumerate() {
            let (names, done) = (Arc::clone(&order), Arc::clone(&done));
            tg.spawn(async move {
                let mut names = names.lock().await;
                names.push(name);
                if names.len() == 3 {
                    done.set();
                }
            });
            // Spawn the next one only once this one waits in line.
            while order.statistics().tasks_waiting <= queued {
                anyio::lowlevel::checkpoint().await;
            }
        }
        drop(held);
        done.wait().await;
    })
    .await
    .expect("nothing fails");
    println!(
        "    a fair Mutex served its waiters in arrival order: {:?}",
        *lock.lock().await
    );

    // A capacity limiter lends 2 tokens among 6 tasks; the peak shows how many ran at once.
    let limiter = Arc::new(anyio::sync::CapacityLimiter::new(2));
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (shared, running2, peak2) = (limiter.clone(), running.clone(), peak.clone());
    anyio::task_group(|tg| async move {
        for _ in 0..6 {
            let (limiter, running, peak) = (shared.clone(), running2.clone(), peak2.clone());
            tg.spawn(async move {
                let _token = limiter.acquire().await.expect("each task borrows once");
                peak.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                anyio::sleep(Duration::from_millis(2)).await; // the work the limit is for
                running.fetch_sub(1, Ordering::SeqCst);
            });
        }
    })
    .await
    .expect("nothing fails");
    println!(
        "    a CapacityLimiter(2) let {} of 6 tasks run at once, and got all its tokens back: {}",
        peak.load(Ordering::SeqCst),
        limiter.borrowed_tokens() == 0
    );
}

/// Memory object streams: workers share one receiver; a receive cancelled by a timeout loses
/// nothing.
async fn streamed() {
    let (jobs, queue) = anyio::create_memory_object_stream::<u32>(0);
    let (results, collected) = anyio::create_unbounded_memory_object_stream::<u32>();
    anyio::task_group(|tg| async move {
        for _ in 0..3 {
            let (queue, results) = (queue.clone(), results.clone());
            tg.spawn(async move {
                while let Ok(job) = queue.receive().await {
                    results
                        .send(job * job)
                        .await
                        .expect("the host keeps receiving");
                }
            });
        }
        for job in 1..=5 {
            jobs.send(job).await.expect("the workers keep receiving");
        }
        // Dropping `jobs` here ends the workers' loops.
    })
    .await
    .expect("nothing fails");
    let mut squares = Vec::new();
    while let Ok(square) = collected.try_receive() {
        squares.push(square);
    }
    squares.sort_unstable();
    println!("    three workers squared 1..=5 through a rendezvous stream: {squares:?}");

    let (tx, rx) = anyio::create_memory_object_stream::<&str>(1);
    let gave_up = anyio::move_on_after(Duration::from_millis(2), rx.receive()).await;
    tx.send("late").await.expect("the receiver is open");
    println!(
        "    a receive that timed out -> {gave_up:?}; the next one -> {:?}",
        rx.receive().await
    );

    // A line protocol written once against any byte stream, run over an in-memory pipe.
    let (client, server) = byte_pipe();
    let mut client = TextStream::new(client);
    let server = anyio::task_group(|tg| async move {
        tg.spawn(shout_lines(server));
        client
            .send("hello\nwörld\n")
            .await
            .map_err(StreamError::from)?;
        client.send_eof().await?;
        let mut answer = String::new();
        loop {
            match client.receive().await {
                Ok(text) => answer.push_str(&text),
                Err(StreamError::EndOfStream) => return Ok::<_, StreamError>(answer),
                Err(error) => return Err(error),
            }
        }
    })
    .await;
    println!(
        "    a byte stream server shouted back {:?}",
        server
            .expect("the pipe holds")
            .expect("nothing cancels the group")
    );
}

/// Answers each line of `stream` in capitals until the peer stops sending: protocol code that
/// works over any `ByteStream` (a TCP connection, a TLS session, a pipe).
async fn shout_lines(stream: impl ByteStream) -> Result<(), StreamError> {
    let mut stream = BufferedByteReceiveStream::new(stream);
    loop {
        let line = match stream.receive_until(b"\n", 1024).await {
            Ok(line) => String::from_utf8_lossy(&line).to_uppercase(),
            Err(StreamError::IncompleteRead) => return stream.send_eof().await,
            Err(error) => return Err(error),
        };
        stream.send(format!("{line}\n").as_bytes()).await?;
    }
}

/// Two ends of an in-memory byte pipe: chunks of bytes through two memory object streams.
fn byte_pipe() -> (impl ByteStream, impl ByteStream) {
    let (a_tx, b_rx) = anyio::create_memory_object_stream::<Vec<u8>>(4);
    let (b_tx, a_rx) = anyio::create_memory_object_stream::<Vec<u8>>(4);
    (
        ChunkedByteStream::new(StapledStream::new(a_tx, a_rx)),
        ChunkedByteStream::new(StapledStream::new(b_tx, b_rx)),
    )
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("anyio's own runner:");
    let default = anyio::run(report("anyio::run (ANYIO_BACKEND or tokio)"))?;
    for backend in Backend::available() {
        Runner::new(backend).run(report(&format!("Runner::new(Backend::{backend:?})")))?;
    }
    Runner::tokio()
        .current_thread()
        .run(report("Runner::tokio().current_thread()"))?;
    Runner::smol()
        .threads(2)
        .run(report("Runner::smol().threads(2)"))?;

    println!("native runners:");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(report("tokio Runtime::block_on"));
    runtime.block_on(async { tokio::spawn(report("tokio::spawn")).await })?;
    drop(runtime);
    smol::block_on(report("smol::block_on"));

    println!("structured concurrency:");
    for backend in Backend::available() {
        println!("  on {backend}:");
        Runner::new(backend).run(structured())??;
        Runner::new(backend).run(synchronized())?;
        Runner::new(backend).run(streamed())?;
        Runner::new(backend).run(threaded())?;
    }

    println!("a synchronous program using async code through blocking portals:");
    for backend in Backend::available() {
        let portal = anyio::from_thread::start_blocking_portal(Runner::new(backend))?;
        let name = portal.call_sync(|| anyio::current_async_library().unwrap())?;
        let slept = portal.call(async {
            anyio::sleep(Duration::from_millis(2)).await;
            "slept 2 ms"
        })?;
        println!("  a portal thread running {name}: {slept}");
        portal.shut_down(false)?;
    }

    println!("rules of the road:");
    let nested = Runner::smol().run(async { anyio::run(async {}) })?;
    println!(
        "  anyio::run inside a runtime                  -> error: {}",
        nested.unwrap_err()
    );
    let invalid = Runner::smol().worker_threads(4).run(async {});
    println!(
        "  an option of another backend                 -> error: {}",
        invalid.unwrap_err()
    );
    println!(
        "  a tokio-only library under smol              -> panic: {}",
        tokio_only_library_under_smol()
    );
    println!("the default backend of this process was {default}");
    Ok(())
}

/// `tokio::time::sleep` needs a tokio runtime; under the smol backend it panics. anyio cannot
/// change that: only libraries native to the running backend (or runtime-agnostic ones) work.
fn tokio_only_library_under_smol() -> String {
    let quiet = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(|| {
        Runner::smol().run(async { tokio::time::sleep(Duration::from_millis(1)).await })
    });
    panic::set_hook(quiet);
    match outcome {
        Ok(_) => "none (unexpected)".to_owned(),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}
