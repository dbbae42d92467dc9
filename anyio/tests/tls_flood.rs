//! Floods and slow peers against a `TlsListener` with its default handshake timeout (30 s),
//! on every backend: thousands of connections opened and abandoned mid-handshake, a client
//! that sends its ClientHello one byte per second, and one that talks one byte per second,
//! while good clients keep being served; memory stays bounded, and every descriptor and task
//! of the server goes once its clients have.
//!
//! The server runs in a child process (this test executable again, running the ignored
//! [`flood_server`] entry for the test's backend), so that its descriptors, tasks and peak
//! memory are its own; the test is its clients. A flood client connects and then stops
//! taking part: a third say nothing, a third send half a ClientHello, a third send a whole
//! one (the server answers with its certificate and waits for the client's last flight).
//! They stay open, so the server holds every one of them at once. The test measures the
//! latency of a good client (connect, handshake, one echo, close) before the flood, while it
//! arrives, and while it is held, checks that the slow clients were served meanwhile, and has
//! the server report its descriptors, tasks and peak resident memory (`VmHWM`).
//!
//! The CI size is 2,000 abandoned connections, and the flood is let go before the server's
//! timeout. The full size, 10,000, also waits for the default timeout to drop every abandoned
//! connection, with their clients still holding them:
//!
//! ```text
//! cargo test --release -p anyio --all-features --test tls_flood -- --ignored --nocapture
//! ```
#![cfg(all(feature = "tls", feature = "macros", target_os = "linux"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyio::net::{TcpListener, TcpStream};
use anyio::process::{Command, Process, ProcessStdin, ProcessStdout, Stdio, open_process};
use anyio::streams::{
    AsyncResource, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, Listener,
    StreamError,
};
use anyio::tls::{TlsAcceptor, TlsConnector, TlsListener};

#[path = "support/load.rs"]
mod load;

/// The global allocator, counting the bytes allocated and not yet freed: the server's live
/// heap, exact where the resident set depends on how the allocator keeps freed memory.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
/// The most `LIVE_BYTES` has been.
static PEAK_BYTES: AtomicIsize = AtomicIsize::new(0);

/// Counts `bytes` more (or fewer) live bytes.
fn count(bytes: isize) {
    let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; the counter has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

use load::{raise_descriptor_limit, take_turn};

/// Marks the child's run of [`flood_server`].
const CHILD_ENV: &str = "ANYIO_TEST_FLOOD_SERVER";
/// The prefix of the child's report lines (the test harness prints lines of its own).
const REPORT: &str = "server: ";
/// The flood CI sends.
const CI_FLOOD: usize = 2_000;
/// The flood of the long run.
const FULL_FLOOD: usize = 10_000;
/// The `TlsListener`'s default handshake timeout, which the server keeps.
const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Flood connections opened at a time.
const FLOOD_BATCH: usize = 100;
/// Good clients timed before the flood, and while it is held.
const PROBES: usize = 40;
/// How long each slow client trickles, one byte a second.
const SLOW_SECONDS: u32 = 5;
/// How long one good client may take before the test fails instead of waiting on.
const PROBE_LIMIT: Duration = Duration::from_secs(10);
/// The most the server's peak memory may grow per abandoned connection it holds, in KiB.
const MAX_KIB_PER_CONNECTION: u64 = 64;
/// A good client's median latency during the flood may be this many times the one before,
/// plus [`MEDIAN_SLACK`]: the flood's clients share the machine's two cores with the server.
const MEDIAN_FACTOR: u32 = 4;
const MEDIAN_SLACK: Duration = Duration::from_millis(20);
/// The slowest good client during the flood.
const MAX_LATENCY: Duration = Duration::from_secs(1);

#[anyio::test(
    timeout = 180,
    flavor = "multi_thread",
    worker_threads = 2,
    threads = 2
)]
async fn a_flood_of_abandoned_handshakes_and_slow_clients_hold_up_nobody() {
    let _turn = take_turn().await;
    flood(CI_FLOOD, false).await;
}

#[anyio::test(
    timeout = "30m",
    flavor = "multi_thread",
    worker_threads = 2,
    threads = 2
)]
#[ignore = "long run (10,000 abandoned handshakes, held past the 30 s timeout): see the module docs"]
async fn full_size_a_flood_of_abandoned_handshakes_and_slow_clients_hold_up_nobody() {
    let _turn = take_turn().await;
    flood(FULL_FLOOD, true).await;
}

/// What the clients saw while the flood arrived and was held.
struct Flooded {
    server: Server,
    /// The abandoned connections, still open.
    abandoned: Vec<TcpStream>,
    /// How long opening them took.
    took: Duration,
    /// Good clients' latencies while the flood arrived, and once it was all there.
    during: Vec<Duration>,
    while_held: Vec<Duration>,
    /// Good clients served while the slow clients were trickling.
    served_while_slow: usize,
    /// The server's figures once the flood was all there.
    holding: Stats,
}

/// The whole scenario, against a server child on the calling test's backend:
/// `abandoned` connections, and, if `outlive_the_timeout`, a wait for the server's handshake
/// timeout before they are let go.
async fn flood(count: usize, outlive_the_timeout: bool) {
    let backend = anyio::current_async_library().unwrap();
    let limit = raise_descriptor_limit();
    assert!(
        limit >= count as u64 + 256,
        "{count} abandoned connections need as many descriptors; the limit is {limit}"
    );
    let mut server = Server::start(&format!("flood_server::{backend}")).await;
    let listening = server.expect("listening").await;
    let (address, certificate) = listening.split_once(' ').unwrap();
    let address: SocketAddr = address.parse().unwrap();
    let client_config = client_config(&from_hex(certificate));
    let connector = TlsConnector::new(client_config.clone());
    let hello: Arc<[u8]> = client_hello(&client_config).into();

    let idle = server.report().await;
    let before = probe_times(&connector, address, PROBES).await;

    // The flood, the slow clients and the good clients, at once.
    let arrived = Arc::new(AtomicBool::new(false));
    let slow_left = Arc::new(AtomicUsize::new(2));
    let started = Instant::now();
    let first_hello = hello.clone();
    let flooded = anyio::task_group(|tg| async move {
        let hello = first_hello;
        let flooding = {
            let (hello, arrived) = (hello.clone(), arrived.clone());
            tg.spawn(async move {
                let abandoned = open_abandoned(address, count, hello).await;
                arrived.store(true, Ordering::Release);
                Ok::<_, Infallible>((abandoned, started.elapsed()))
            })
        };
        let left = slow_left.clone();
        tg.spawn(async move {
            slow_handshake(address, &hello).await;
            left.fetch_sub(1, Ordering::AcqRel);
        });
        let (slow_connector, left) = (connector.clone(), slow_left.clone());
        tg.spawn(async move {
            slow_talker(&slow_connector, address).await;
            left.fetch_sub(1, Ordering::AcqRel);
        });
        // Good clients one after another until the server holds the whole flood (the
        // flood's clients are done, and the server has accepted every connection), the
        // server's figures then, and good clients again until the slow clients are done (at
        // least `PROBES`).
        let mut served_while_slow = 0;
        let mut during = Vec::new();
        let holding = loop {
            during.push(probe(&connector, address).await);
            served_while_slow += usize::from(slow_left.load(Ordering::Acquire) > 0);
            if arrived.load(Ordering::Acquire) {
                let stats = server.report().await;
                if stats.sockets >= idle.sockets + count {
                    break stats;
                }
            }
        };
        let mut while_held = Vec::new();
        while slow_left.load(Ordering::Acquire) > 0 || while_held.len() < PROBES {
            while_held.push(probe(&connector, address).await);
            served_while_slow += usize::from(slow_left.load(Ordering::Acquire) > 0);
        }
        let (abandoned, took) = flooding.await.unwrap();
        Ok::<_, Infallible>(Flooded {
            server,
            abandoned,
            took,
            during,
            while_held,
            served_while_slow,
            holding,
        })
    })
    .await
    .unwrap()
    .unwrap();
    let Flooded {
        mut server,
        mut abandoned,
        took,
        during,
        while_held,
        served_while_slow,
        holding,
    } = flooded;

    // The long run: the default timeout drops every abandoned handshake, though its client
    // still holds the connection open.
    let timed_out = if outlive_the_timeout {
        anyio::sleep_until(started + took + DEFAULT_HANDSHAKE_TIMEOUT).await;
        let after_timeout = server
            .wait_for_sockets(idle.sockets, Duration::from_secs(30))
            .await;
        for (i, connection) in abandoned.iter_mut().enumerate() {
            let end = anyio::fail_after(PROBE_LIMIT, receive_to_end(connection)).await;
            assert!(
                matches!(
                    end,
                    Ok(Err(StreamError::EndOfStream | StreamError::Broken(_)))
                ),
                "abandoned connection {i} was closed by the server: {end:?}"
            );
        }
        Some(after_timeout)
    } else {
        None
    };
    // The clients let go: the server drops what it still holds.
    drop(abandoned);
    let released = server
        .wait_for_sockets(idle.sockets, Duration::from_secs(20))
        .await;
    // A second flood, held and let go: the memory of the first is reused, not added to.
    let second = open_abandoned(address, count, hello).await;
    let second_holding = server.wait_for_sockets_at_least(idle.sockets + count).await;
    drop(second);
    let second_released = server
        .wait_for_sockets(idle.sockets, Duration::from_secs(20))
        .await;
    let last = server.finish().await;
    let heap_per_connection = released.peak_heap.saturating_sub(idle.heap) as f64 / count as f64;

    let (before, during, while_held) = (
        Latencies::new(before),
        Latencies::new(during),
        Latencies::new(while_held),
    );
    let growth = released.hwm.saturating_sub(idle.rss);
    eprintln!(
        "flood {backend}: {abandoned_count} connections abandoned mid-handshake, opened in \
         {took:.2?}; the server's default handshake timeout is {DEFAULT_HANDSHAKE_TIMEOUT:?}",
        abandoned_count = holding.sockets.saturating_sub(idle.sockets),
    );
    eprintln!(
        "flood {backend}: good clients (connect, handshake, one echo): before {before}; \
         while the flood arrived {during}; while it was held {while_held}"
    );
    eprintln!(
        "flood {backend}: {served_while_slow} good clients served while one client sent its \
         ClientHello and another its data one byte a second for {SLOW_SECONDS} s"
    );
    eprintln!(
        "flood {backend}: server idle {idle}; holding the flood {holding}; after it \
         {released}; peak RSS growth {growth} KiB ({:.1} KiB per abandoned connection); peak live \
         heap growth {heap_per_connection:.1} KiB per abandoned connection",
        growth as f64 / count as f64
    );
    eprintln!(
        "flood {backend}: a second flood: server holding it {second_holding}; after it \
         {second_released}"
    );
    if let Some(timed_out) = &timed_out {
        eprintln!("flood {backend}: server after its handshake timeout {timed_out}");
    }
    eprintln!("flood {backend}: server at the end{last}");

    assert!(
        holding.sockets >= idle.sockets + count,
        "the server held every abandoned connection at once: {holding}"
    );
    if let Some(timed_out) = timed_out {
        assert_eq!(
            timed_out.sockets, idle.sockets,
            "the timeout dropped them all"
        );
    }
    assert_eq!(
        released.sockets, idle.sockets,
        "the server let go of every connection"
    );
    assert!(
        served_while_slow >= PROBES / 2,
        "good clients were served while the slow clients trickled: {served_while_slow}"
    );
    // What a flood leaves on the heap is the capacity of tables sized to it (the reactor's
    // and the executor's slabs, say), a small part of what it took, and a second flood adds
    // nothing to it.
    assert!(
        released.heap <= idle.heap + (count as u64).div_ceil(4),
        "the heap the flood took is given back: {idle}, then {released}"
    );
    assert!(
        second_released.heap <= released.heap + 512,
        "a second flood leaves nothing more on the heap: {released}, then {second_released}"
    );
    // The resident set keeps what the allocator keeps: a second flood may be served from
    // another thread's arena, but does not add a whole flood's worth again.
    assert!(
        second_released.hwm <= released.hwm + released.hwm / 2,
        "a second flood reuses most of the memory of the first: peak {} KiB after the \
         first, {} KiB after the second",
        released.hwm,
        second_released.hwm
    );
    assert!(
        growth <= MAX_KIB_PER_CONNECTION * count as u64,
        "memory stays bounded: {growth} KiB for {count} connections"
    );
    // Once the flood is held, good clients are served within their usual latency. While it
    // arrives, a good client waits its turn in the listen backlog behind the flood, and behind
    // the handshakes the flood's whole ClientHellos ask for: it is served, within
    // `PROBE_LIMIT` (or `probe` fails), and its latency is reported.
    assert!(
        while_held.median <= before.median * MEDIAN_FACTOR + MEDIAN_SLACK,
        "good clients while the flood was held: {while_held}, against {before} before"
    );
    assert!(
        while_held.max <= MAX_LATENCY,
        "good clients while the flood was held: {while_held}, against {before} before"
    );
}
/// A good client: connects, shakes hands, has four bytes echoed, and closes. How long it took.
async fn probe(connector: &TlsConnector, address: SocketAddr) -> Duration {
    let started = Instant::now();
    anyio::fail_after(PROBE_LIMIT, async {
        let tcp = TcpStream::connect(address).await.unwrap();
        let mut stream = connector.connect("localhost", tcp).await.unwrap();
        stream.send(b"ping").await.unwrap();
        let mut echo = [0; 4];
        receive_exactly(&mut stream, &mut echo).await.unwrap();
        assert_eq!(&echo, b"ping");
        let _ = stream.aclose().await;
    })
    .await
    .expect("a good client is served in time");
    started.elapsed()
}

/// `count` good clients, one after another.
async fn probe_times(connector: &TlsConnector, address: SocketAddr, count: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        times.push(probe(connector, address).await);
    }
    times
}

/// Opens `count` connections that stop mid-handshake: a third say nothing, a third send half
/// of `hello`, a third all of it. `FLOOD_BATCH` connect at a time.
async fn open_abandoned(address: SocketAddr, count: usize, hello: Arc<[u8]>) -> Vec<TcpStream> {
    let mut all = Vec::with_capacity(count);
    for start in (0..count).step_by(FLOOD_BATCH) {
        let hello = hello.clone();
        let batch = anyio::task_group(|tg| async move {
            let connecting: Vec<_> = (start..count.min(start + FLOOD_BATCH))
                .map(|i| {
                    let hello = hello.clone();
                    tg.spawn(async move {
                        let mut tcp = TcpStream::connect(address).await.unwrap();
                        match i % 3 {
                            0 => {}
                            1 => tcp.send(&hello[..hello.len() / 2]).await.unwrap(),
                            _ => tcp.send(&hello).await.unwrap(),
                        }
                        Ok::<_, Infallible>(tcp)
                    })
                })
                .collect();
            let mut batch = Vec::with_capacity(connecting.len());
            for connection in connecting {
                batch.push(connection.await.unwrap());
            }
            Ok::<_, Infallible>(batch)
        })
        .await
        .unwrap()
        .unwrap();
        all.extend(batch);
    }
    all
}

/// A client that sends the first `SLOW_SECONDS` bytes of its ClientHello one a second, and
/// then gives up.
async fn slow_handshake(address: SocketAddr, hello: &[u8]) {
    let mut tcp = TcpStream::connect(address).await.unwrap();
    for byte in hello.iter().take(SLOW_SECONDS as usize) {
        tcp.send(std::slice::from_ref(byte)).await.unwrap();
        anyio::sleep(Duration::from_secs(1)).await;
    }
}

/// A client that shakes hands, then sends a byte a second for `SLOW_SECONDS`, each echoed.
async fn slow_talker(connector: &TlsConnector, address: SocketAddr) {
    let tcp = TcpStream::connect(address).await.unwrap();
    let mut stream = connector.connect("localhost", tcp).await.unwrap();
    for i in 0..SLOW_SECONDS {
        let byte = [b'a' + i as u8];
        stream.send(&byte).await.unwrap();
        let mut echo = [0];
        receive_exactly(&mut stream, &mut echo).await.unwrap();
        assert_eq!(echo, byte);
        anyio::sleep(Duration::from_secs(1)).await;
    }
    let _ = stream.aclose().await;
}

/// Fills `buf`, or fails at the end of the stream or on an error.
async fn receive_exactly(
    stream: &mut impl ByteReceiveStream,
    buf: &mut [u8],
) -> Result<(), StreamError> {
    let mut filled = 0;
    while filled < buf.len() {
        filled += stream.receive(&mut buf[filled..]).await?;
    }
    Ok(())
}

/// Receives until the stream ends: how it ended.
async fn receive_to_end(stream: &mut impl ByteReceiveStream) -> Result<(), StreamError> {
    let mut buf = [0; 4096];
    loop {
        stream.receive(&mut buf).await?;
    }
}

/// The bytes a client sends first: its ClientHello.
fn client_hello(config: &Arc<rustls::ClientConfig>) -> Vec<u8> {
    let name = "localhost".try_into().unwrap();
    let mut connection = rustls::ClientConnection::new(config.clone(), name).unwrap();
    let mut hello = Vec::new();
    while connection.wants_write() {
        connection.write_tls(&mut hello).unwrap();
    }
    hello
}

/// A client configuration that trusts `certificate` (DER).
fn client_config(certificate: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.to_vec().into()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The median and the slowest of some latencies.
struct Latencies {
    count: usize,
    median: Duration,
    max: Duration,
}

impl Latencies {
    fn new(mut times: Vec<Duration>) -> Latencies {
        assert!(!times.is_empty(), "no good client was timed");
        times.sort();
        Latencies {
            count: times.len(),
            median: times[times.len() / 2],
            max: times[times.len() - 1],
        }
    }
}

impl fmt::Display for Latencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "median {:.2?}, max {:.2?} ({} clients)",
            self.median, self.max, self.count
        )
    }
}

/// The server's figures, as it reports them.
#[derive(Debug)]
struct Stats {
    descriptors: usize,
    sockets: usize,
    /// `VmRSS` and `VmHWM`, in KiB.
    rss: u64,
    hwm: u64,
    /// The live heap now, and at its peak, in KiB.
    heap: u64,
    peak_heap: u64,
    tasks: usize,
}

impl Stats {
    /// This process's figures.
    fn now() -> Stats {
        let entries: Vec<_> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(Result::ok)
            .collect();
        let sockets = entries
            .iter()
            .filter_map(|entry| std::fs::read_link(entry.path()).ok())
            .filter(|target| target.to_string_lossy().starts_with("socket:"))
            .count();
        Stats {
            // Less the directory being read.
            descriptors: entries.len() - 1,
            sockets,
            rss: load::memory_kib("VmRSS"),
            hwm: load::memory_kib("VmHWM"),
            heap: LIVE_BYTES.load(Ordering::Relaxed).max(0) as u64 / 1024,
            peak_heap: PEAK_BYTES.load(Ordering::Relaxed).max(0) as u64 / 1024,
            tasks: anyio::get_running_tasks().len(),
        }
    }

    fn parse(report: &str) -> Stats {
        let field = |name: &str| -> u64 {
            report
                .split_whitespace()
                .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in the report {report}"))
        };
        Stats {
            descriptors: field("descriptors") as usize,
            sockets: field("sockets") as usize,
            rss: field("rss_kib"),
            hwm: field("hwm_kib"),
            heap: field("heap_kib"),
            peak_heap: field("peak_heap_kib"),
            tasks: field("tasks") as usize,
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "descriptors={} sockets={} rss_kib={} hwm_kib={} heap_kib={} peak_heap_kib={} tasks={}",
            self.descriptors,
            self.sockets,
            self.rss,
            self.hwm,
            self.heap,
            self.peak_heap,
            self.tasks
        )
    }
}

/// The server child, driven through its standard input (a command a line) and read through
/// its standard output. Killed if dropped before [`finish`](Server::finish).
struct Server {
    process: Process,
    commands: ProcessStdin,
    lines: BufferedByteReceiveStream<ProcessStdout>,
}

impl Server {
    async fn start(entry: &str) -> Server {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([entry, "--exact", "--ignored", "--nocapture"])
            .env(CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut process = open_process(command).await.unwrap();
        let commands = process.stdin.take().unwrap();
        let lines = BufferedByteReceiveStream::new(process.stdout.take().unwrap());
        Server {
            process,
            commands,
            lines,
        }
    }

    /// The rest of the server's next report that starts with `what`.
    async fn expect(&mut self, what: &str) -> String {
        loop {
            let line = anyio::fail_after(
                Duration::from_secs(60),
                self.lines.receive_until(b"\n", 1 << 20),
            )
            .await
            .unwrap_or_else(|_| panic!("the server reports {what} within a minute"))
            .unwrap_or_else(|error| panic!("the server ended, waiting for {what}: {error}"));
            let line = String::from_utf8(line).unwrap();
            // The harness's "test flood_server::... " may stand before the first.
            if let Some((_, report)) = line.split_once(REPORT) {
                if let Some(rest) = report.strip_prefix(what) {
                    return rest.trim().to_owned();
                }
            }
        }
    }

    async fn report(&mut self) -> Stats {
        self.commands.send(b"report\n").await.unwrap();
        Stats::parse(&self.expect("report").await)
    }

    /// Asks for reports until the server holds at most `sockets` sockets, or `limit` has
    /// passed: the last report.
    async fn wait_for_sockets(&mut self, sockets: usize, limit: Duration) -> Stats {
        let started = Instant::now();
        loop {
            let stats = self.report().await;
            if stats.sockets <= sockets || started.elapsed() > limit {
                return stats;
            }
            anyio::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asks for reports until the server holds at least `sockets` sockets: the last report.
    /// (The test's timeout bounds the wait.)
    async fn wait_for_sockets_at_least(&mut self, sockets: usize) -> Stats {
        loop {
            let stats = self.report().await;
            if stats.sockets >= sockets {
                return stats;
            }
            anyio::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Ends the server (the end of its input stops it), and returns its last report, once it
    /// has exited successfully.
    async fn finish(mut self) -> String {
        self.commands.aclose().await.unwrap();
        let last = self.expect("stopped").await;
        let status = self.process.wait().await.unwrap();
        assert!(status.success(), "the server failed: {status:?}; {last}");
        last
    }
}

/// Not a test: the server of the tests above, in the child process they start for its
/// backend (with [`CHILD_ENV`] set; without it, it does nothing). A `TlsListener` with its
/// default handshake timeout, serving an echo on 127.0.0.1 with two threads. Reports its
/// figures when asked, stops at the end of its input, and checks that every descriptor and
/// task of its connections is gone then.
#[anyio::test(
    timeout = "30m",
    flavor = "multi_thread",
    worker_threads = 2,
    threads = 2
)]
#[ignore = "the server of the flood tests, run by them in a child process"]
async fn flood_server() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    raise_descriptor_limit();
    let names = vec!["localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    let certificate = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate.clone()], key)
        .unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = tcp.local_addr().unwrap();
    let mut listener = TlsListener::new(tcp, TlsAcceptor::new(Arc::new(config)));
    assert_eq!(listener.timeout(), DEFAULT_HANDSHAKE_TIMEOUT);
    let before = Stats::now();
    println!("{REPORT}listening {address} {}", to_hex(&certificate));

    anyio::task_group(|tg| async move {
        tg.spawn(async move {
            let error = listener
                .serve(|mut stream| async move {
                    let mut buf = [0; 1024];
                    while let Ok(n) = stream.receive(&mut buf).await {
                        if stream.send(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                })
                .await;
            Err::<(), _>(error)
        });
        // The test's commands, a line each, until the end of its input.
        loop {
            let line = anyio::to_thread::run_sync(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map(|_| line)
            })
            .await;
            match line.as_deref().map(str::trim) {
                Ok("report") => println!("{REPORT}report {}", Stats::now()),
                _ => break,
            }
        }
        tg.cancel();
        Ok::<_, std::io::Error>(())
    })
    .await
    .expect("serve returns only when told to stop");
    let after = Stats::now();
    println!("{REPORT}stopped; before {before}; after {after}");
    // The listener went with the task that served it: one descriptor fewer than before.
    assert_eq!(
        after.descriptors,
        before.descriptors - 1,
        "every descriptor is closed"
    );
    assert_eq!(after.tasks, before.tasks, "every task is gone");
}
