//! Memory per idle TCP connection: anyio's `net::TcpStream` beside the native socket it
//! replaces, on each backend.
//!
//! ```text
//! cargo run -p anyio --release --all-features --example idle_memory [PAIRS]
//! ```
//!
//! Each variant runs in a fresh process of its own (this program, started again with the
//! variant's name), so that no variant inherits memory another freed. There it starts its
//! runtime, opens a few connections to warm up, notes its memory, opens `PAIRS` more loopback
//! connections (1,000 by default, fewer if the open-files limit is lower: each pair is two
//! descriptors, client and accepted server end), keeps them idle, and notes its memory again.
//! Printed per connection (a pair: both ends) and per socket (one end):
//! - the growth of the resident set (`VmRSS` of `/proc/self/status`), which pages make coarse;
//! - the growth of the live heap, counted exactly by a counting global allocator, plus the
//!   `size_of` of the stream (held in a `Vec` here, as a server holds its connections).
//!
//! The kernel's own socket buffers are not in either: they are the same for every variant.
//! Linux only (`/proc`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs;
use std::mem::size_of;
use std::net::SocketAddr;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The global allocator, counting the bytes currently allocated.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; the counter has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The variants, each with the `size_of` of its stream.
const VARIANTS: [(&str, usize); 4] = [
    ("native-tokio", size_of::<tokio::net::TcpStream>()),
    ("anyio-tokio", size_of::<anyio::net::TcpStream>()),
    ("native-smol", size_of::<smol::net::TcpStream>()),
    ("anyio-smol", size_of::<anyio::net::TcpStream>()),
];

/// Connections opened (and kept) before the first measure.
const WARM_UP: usize = 16;

/// Descriptors kept free for the runtime, the listener and the standard streams.
const SPARE_FDS: usize = 64;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match (args.next(), args.next()) {
        (Some(variant), Some(pairs)) if VARIANTS.iter().any(|&(name, _)| name == variant) => {
            let (rss, heap) = measure(&variant, pairs.parse().expect("a number of pairs"));
            println!("{rss} {heap}");
            ExitCode::SUCCESS
        }
        (pairs, None) => {
            let limit = open_files_limit();
            let fitting = (limit.saturating_sub(SPARE_FDS) / 2).saturating_sub(WARM_UP);
            let pairs = pairs.map_or(1_000, |p| p.parse().expect("a number of pairs"));
            let pairs = pairs.min(fitting);
            println!("{pairs} idle loopback connections (open-files limit {limit}) per variant");
            report(pairs)
        }
        _ => {
            eprintln!("usage: idle_memory [PAIRS]");
            ExitCode::FAILURE
        }
    }
}

/// Runs every variant in a process of its own, and prints a table of the results.
fn report(pairs: usize) -> ExitCode {
    let exe = std::env::current_exe().expect("the path of this program");
    println!(
        "| {:<12} | {:>7} | {:>16} | {:>16} | {:>16} | {:>16} |",
        "variant", "size_of", "RSS / conn", "RSS / socket", "heap / conn", "heap / socket"
    );
    println!(
        "|{:-<14}|{:->9}|{:->18}|{:->18}|{:->18}|{:->18}|",
        "", ":", ":", ":", ":", ":"
    );
    for (variant, size) in VARIANTS {
        let output = Command::new(&exe)
            .args([variant, &pairs.to_string()])
            .output()
            .expect("start a variant");
        if !output.status.success() {
            eprintln!(
                "{variant} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return ExitCode::FAILURE;
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut numbers = stdout.split_whitespace().map(|n| n.parse::<f64>().unwrap());
        let (rss, heap) = (numbers.next().unwrap(), numbers.next().unwrap());
        let per_conn = |bytes: f64| bytes / pairs as f64;
        let per_socket = |bytes: f64| bytes / (2 * pairs) as f64;
        println!(
            "| {variant:<12} | {size:>7} | {:>14.0} B | {:>14.0} B | {:>14.0} B | {:>14.0} B |",
            per_conn(rss),
            per_socket(rss),
            per_conn(heap),
            per_socket(heap),
        );
    }
    println!("(heap: live bytes allocated, the Vec slots holding the streams included)");
    ExitCode::SUCCESS
}

/// Opens `pairs` idle connections of `variant`, and returns how much the resident set and the
/// live heap grew, in bytes.
fn measure(variant: &str, pairs: usize) -> (isize, isize) {
    match variant {
        "native-tokio" | "anyio-tokio" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                if variant == "native-tokio" {
                    measure_with(pairs, native_tokio).await
                } else {
                    measure_with(pairs, anyio_pairs).await
                }
            }),
        "native-smol" => async_io::block_on(measure_with(pairs, native_smol)),
        "anyio-smol" => async_io::block_on(measure_with(pairs, anyio_pairs)),
        _ => unreachable!("checked in main"),
    }
}

/// Opens `WARM_UP` connections with `open`, notes the memory, opens `pairs` more, and returns
/// the growth; every connection stays open until then.
async fn measure_with<T, Fut>(pairs: usize, open: impl Fn(usize) -> Fut) -> (isize, isize)
where
    Fut: Future<Output = Vec<(T, T)>>,
{
    let warm = open(WARM_UP).await;
    let (rss, heap) = (resident_bytes(), LIVE_BYTES.load(Ordering::Relaxed));
    let idle = open(pairs).await;
    let grown = (
        resident_bytes() - rss,
        LIVE_BYTES.load(Ordering::Relaxed) - heap,
    );
    assert_eq!(idle.len(), pairs);
    drop((warm, idle));
    grown
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn native_tokio(count: usize) -> Vec<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut pairs = Vec::with_capacity(count);
    for _ in 0..count {
        let client = tokio::net::TcpStream::connect(address).await.unwrap();
        pairs.push((client, listener.accept().await.unwrap().0));
    }
    pairs
}

async fn native_smol(count: usize) -> Vec<(smol::net::TcpStream, smol::net::TcpStream)> {
    let listener = smol::net::TcpListener::bind(loopback()).await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut pairs = Vec::with_capacity(count);
    for _ in 0..count {
        let client = smol::net::TcpStream::connect(address).await.unwrap();
        pairs.push((client, listener.accept().await.unwrap().0));
    }
    pairs
}

/// anyio's pairs, on whichever backend runs the caller.
async fn anyio_pairs(count: usize) -> Vec<(anyio::net::TcpStream, anyio::net::TcpStream)> {
    let mut listener = anyio::net::TcpListener::bind(loopback()).unwrap();
    let address = listener.local_addr().unwrap();
    let mut pairs = Vec::with_capacity(count);
    for _ in 0..count {
        let client = anyio::net::TcpStream::connect(address).await.unwrap();
        pairs.push((client, listener.accept().await.unwrap().0));
    }
    pairs
}

/// The resident set, in bytes (`VmRSS`).
fn resident_bytes() -> isize {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    let kib: isize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("a VmRSS line");
    kib * 1024
}

/// The soft limit on open files (`Max open files` of `/proc/self/limits`).
fn open_files_limit() -> usize {
    fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}
