// The load of issue 21's leak test: many concurrent echo connections, each making a number
// of round trips, with a seeded random tenth of the server's handlers cancelled mid-flight.
// Shared by tests/load_cancel.rs and examples/soak.rs (both take it in as a module), with the
// process figures they report: open descriptors, resident memory, the descriptor limit.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::CancelScope;
use anyio::net::{TcpListener, TcpStream};
use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener, StreamError};

/// The size of every message, each way.
const MESSAGE: usize = 64;

/// One load: `connections` clients at once, each making `round_trips` round trips, one in
/// ten of the server's handlers (chosen with `seed`) cancelled after a random round trip.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Load {
    pub(crate) connections: usize,
    pub(crate) round_trips: usize,
    pub(crate) seed: u64,
}

/// What a load did.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Outcome {
    /// Handlers that made every round trip.
    pub(crate) handlers_finished: usize,
    /// Handlers whose scope was cancelled (the chosen tenth, all of them).
    pub(crate) handlers_cancelled: usize,
    /// Clients that made every round trip.
    pub(crate) clients_finished: usize,
    /// Clients whose connection the cancellation of their handler cut short.
    pub(crate) clients_cut: usize,
    /// Round trips made, all clients together.
    pub(crate) round_trips: usize,
}

/// A small seeded generator (xorshift64*): the same seed chooses the same handlers.
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub(crate) struct XorShift(u64);

#[allow(dead_code)]
impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        // Zero is the one state xorshift never leaves.
        XorShift(seed.max(1))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `bound` (which is not zero); the bias is nil for the sizes used here.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}

/// For each handler, by the order its connection was accepted in: the round trip after which
/// it is cancelled, if it is one of the chosen tenth.
#[allow(dead_code)]
pub(crate) fn cancellation_plan(load: &Load) -> Vec<Option<usize>> {
    let mut rng = XorShift::new(load.seed);
    let mut plan = vec![None; load.connections];
    let mut order: Vec<usize> = (0..load.connections).collect();
    // The first tenth of a partial Fisher-Yates shuffle: distinct handlers.
    for i in 0..load.connections / 10 {
        let j = i + rng.below(load.connections - i);
        order.swap(i, j);
        // After 1 to round_trips - 1 round trips: at least one is still to come.
        plan[order[i]] = Some(1 + rng.below(load.round_trips.max(2) - 1));
    }
    plan
}

/// Runs `load` on the calling runtime: an echo server on 127.0.0.1 whose handlers each run in
/// a cancel scope, a canceller that cancels the chosen handlers through their scopes' handles
/// once they report the round trip they were given, and the clients. Returns once every
/// client has finished and the server has been stopped: every task of the load has ended.
///
/// # Panics
/// When a client is refused, or an echo comes back wrong.
#[allow(dead_code)]
pub(crate) async fn run_load(load: Load) -> Outcome {
    let plan = Arc::new(cancellation_plan(&load));
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = listener.local_addr().unwrap();
    let handlers_finished = Arc::new(AtomicUsize::new(0));
    let handlers_cancelled = Arc::new(AtomicUsize::new(0));
    let (to_cancel, cancel_requests) =
        anyio::create_memory_object_stream::<anyio::CancelHandle>(load.connections);

    let (finished, cancelled) = (handlers_finished.clone(), handlers_cancelled.clone());
    let clients = anyio::task_group(|tg| async move {
        // The server: each handler in a scope of its own.
        tg.spawn(async move {
            let mut accepted = 0;
            let _ = listener
                .serve(move |stream| {
                    let cancel_after = plan.get(accepted).copied().flatten();
                    accepted += 1;
                    let (finished, cancelled) = (finished.clone(), cancelled.clone());
                    let to_cancel = to_cancel.clone();
                    async move {
                        let scope = CancelScope::new();
                        let handle = scope.handle();
                        let echo = echo(stream, load.round_trips, cancel_after, handle, to_cancel);
                        match scope.run(echo).await {
                            Some(()) => finished.fetch_add(1, Ordering::Relaxed),
                            None => cancelled.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                })
                .await;
        });
        // The canceller: a cancellation from another task, landing wherever the handler is.
        tg.spawn(async move {
            while let Ok(handle) = cancel_requests.receive().await {
                handle.cancel();
            }
        });
        let clients = anyio::task_group(|clients| async move {
            let ends: Vec<_> = (0..load.connections)
                .map(|id| clients.spawn(client(address, id, load.round_trips)))
                .collect();
            let mut outcome = Outcome::default();
            for end in ends {
                match end.await.unwrap() {
                    ClientEnd::Finished => {
                        outcome.clients_finished += 1;
                        outcome.round_trips += load.round_trips;
                    }
                    ClientEnd::Cut(done) => {
                        outcome.clients_cut += 1;
                        outcome.round_trips += done;
                    }
                }
            }
            Ok::<_, Infallible>(outcome)
        })
        .await;
        tg.cancel(); // stops the server and the canceller
        clients
    })
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    Outcome {
        handlers_finished: handlers_finished.load(Ordering::Relaxed),
        handlers_cancelled: handlers_cancelled.load(Ordering::Relaxed),
        ..clients
    }
}

/// How a client's connection ended.
enum ClientEnd {
    Finished,
    /// The server went away after this many round trips, before the last: its handler was
    /// cancelled.
    Cut(usize),
}

/// The server's side: echoes `round_trips` messages; after round trip `cancel_after`, asks the
/// canceller to cancel it, and goes on until the cancellation lands.
async fn echo(
    mut stream: TcpStream,
    round_trips: usize,
    cancel_after: Option<usize>,
    handle: anyio::CancelHandle,
    to_cancel: anyio::streams::memory::MemoryObjectSender<anyio::CancelHandle>,
) {
    let mut message = [0; MESSAGE];
    for round in 1..=round_trips {
        if receive_exactly(&mut stream, &mut message).await.is_err() {
            return;
        }
        if stream.send(&message).await.is_err() {
            return;
        }
        if cancel_after == Some(round) {
            // The canceller holds a sender's worth of room for every handler.
            let _ = to_cancel.send(handle.clone()).await;
        }
    }
    if cancel_after.is_some() {
        // The canceller was slower than the remaining round trips: wait for it here, so that
        // every chosen handler is cancelled.
        anyio::sleep_forever().await;
    }
}

/// The client's side: `round_trips` messages, each checked as it comes back.
async fn client(
    address: std::net::SocketAddr,
    id: usize,
    round_trips: usize,
) -> Result<ClientEnd, Infallible> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut sent = [0; MESSAGE];
    let mut received = [0; MESSAGE];
    for round in 0..round_trips {
        for (i, byte) in sent.iter_mut().enumerate() {
            *byte = (id.wrapping_mul(31) ^ round.wrapping_mul(7) ^ i) as u8;
        }
        if stream.send(&sent).await.is_err() {
            return Ok(ClientEnd::Cut(round));
        }
        match receive_exactly(&mut stream, &mut received).await {
            Ok(()) => assert_eq!(received, sent, "client {id}, round trip {round}"),
            Err(_) => return Ok(ClientEnd::Cut(round)),
        }
    }
    Ok(ClientEnd::Finished)
}

/// Fills `buf`, or fails at the end of the stream or on an error.
async fn receive_exactly(stream: &mut TcpStream, buf: &mut [u8]) -> Result<(), StreamError> {
    let mut filled = 0;
    while filled < buf.len() {
        filled += stream.receive(&mut buf[filled..]).await?;
    }
    Ok(())
}

/// The number of descriptors this process has open (the entries of `/proc/self/fd`, less the
/// one that reading the directory opens).
#[allow(dead_code)]
pub(crate) fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

/// A field of `/proc/self/status` in KiB: `VmRSS` (resident now), `VmHWM` (the peak).
#[allow(dead_code)]
pub(crate) fn memory_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Raises this process's soft limit on open descriptors to its hard limit (never above), and
/// returns the limit now in force.
#[allow(dead_code)]
pub(crate) fn raise_descriptor_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        setrlimit(Resource::Nofile, limit).unwrap();
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Set while a test of this process holds its turn.
#[allow(dead_code)]
static TURN_TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// One test at a time: the tests that measure a process, or time clients, run one after the
/// other, though the harness starts them together (each backend's variant is a test). Held
/// until dropped.
#[allow(dead_code)]
#[derive(Debug)]
pub(crate) struct Turn(());

impl Drop for Turn {
    fn drop(&mut self) {
        TURN_TAKEN.store(false, Ordering::Release);
    }
}

/// Waits for this test's [`Turn`]. A waiting test keeps its runtime running (the other
/// test's turn may last minutes); it looks again every 20 ms.
#[allow(dead_code)]
pub(crate) async fn take_turn() -> Turn {
    while TURN_TAKEN
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        anyio::sleep(std::time::Duration::from_millis(20)).await;
    }
    Turn(())
}
