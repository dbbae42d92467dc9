//! Accept loops survive running out of file descriptors, on every backend: `serve` on a
//! `TcpListener`, a `MultiListener`, a `TlsListener` and a `UnixListener` keeps going while accepting
//! fails with `EMFILE`, logs it once, does not spin, and serves again once descriptors are
//! freed.
//!
//! The server runs in a child process (this test executable again, running the ignored
//! [`exhaustion_child`] entry) whose descriptor limit it lowers itself, so that the rest of
//! the tests keep theirs. The test connects more clients than the child has descriptors for,
//! waits for the child to report the shortage, measures the CPU time the child uses while it
//! lasts, lets the clients go, waits for the child to report accepting again, and has a new
//! client served. The child reports on its standard output: where it listens, what it logs
//! through `tracing` (target `anyio::serve`), and `serve`'s return, if it ever returns.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyio::Backend;

/// Tells the child which backend and listener to run ("tokio plain", say).
const CHILD_ENV: &str = "ANYIO_TEST_EXHAUSTION_CHILD";
/// The prefix of the child's report lines (the test harness prints lines of its own).
const REPORT: &str = "child: ";
/// How many descriptors the child leaves itself once it is listening: this many connections
/// are accepted before accepting fails.
const FREE_DESCRIPTORS: u64 = 16;
/// How many clients the test connects: more than the child can take.
const CLIENTS: usize = 48;
/// How long the test keeps the child out of descriptors while it measures the CPU it uses.
const WINDOW: Duration = Duration::from_secs(2);
/// The most CPU time the child may use in that window: a busy loop would use all of it.
const MAX_CPU_SHARE: f64 = 0.05;
/// The bound on each wait for the child.
const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    Multi,
    Tls,
    Unix,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Plain => "plain",
            Kind::Multi => "multi",
            Kind::Tls => "tls",
            Kind::Unix => "unix",
        }
    }

    fn parse(name: &str) -> Kind {
        match name {
            "plain" => Kind::Plain,
            "multi" => Kind::Multi,
            "tls" => Kind::Tls,
            "unix" => Kind::Unix,
            _ => panic!("no such listener kind: {name}"),
        }
    }
}

#[test]
fn serve_survives_running_out_of_descriptors() {
    for backend in Backend::available() {
        survives_exhaustion(backend, Kind::Plain);
    }
}

#[test]
fn a_multi_listener_survives_running_out_of_descriptors() {
    for backend in Backend::available() {
        survives_exhaustion(backend, Kind::Multi);
    }
}

#[cfg(feature = "tls")]
#[test]
fn tls_serve_survives_running_out_of_descriptors() {
    for backend in Backend::available() {
        survives_exhaustion(backend, Kind::Tls);
    }
}

#[test]
fn a_unix_listener_survives_running_out_of_descriptors() {
    for backend in Backend::available() {
        survives_exhaustion(backend, Kind::Unix);
    }
}

/// Where the child listens.
#[derive(Clone, Debug)]
enum Address {
    Tcp(SocketAddr),
    /// A name in Linux's abstract namespace (no file to clean up after a killed child).
    Unix(String),
}

impl Address {
    /// `unix:NAME`, or a socket address.
    fn parse(word: &str) -> Address {
        match word.strip_prefix("unix:") {
            Some(name) => Address::Unix(name.to_owned()),
            None => Address::Tcp(word.parse().unwrap()),
        }
    }

    /// A connection, whose reads give up after [`DEADLINE`].
    fn connect(&self) -> Box<dyn Read + Send> {
        match self {
            Address::Tcp(address) => {
                let stream = TcpStream::connect(address).unwrap();
                stream.set_read_timeout(Some(DEADLINE)).unwrap();
                Box::new(stream)
            }
            Address::Unix(name) => {
                let address = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
                let stream = UnixStream::connect_addr(&address).unwrap();
                stream.set_read_timeout(Some(DEADLINE)).unwrap();
                Box::new(stream)
            }
        }
    }
}

/// The whole scenario, against one child.
fn survives_exhaustion(backend: Backend, kind: Kind) {
    let what = format!("{backend} {}", kind.name());
    let mut child = ServerChild::start(backend, kind);
    let listening = child.expect_line("listening on", |line| line.strip_prefix("listening "));
    let (addresses, certificate) = parse_listening(&listening);

    // More clients than the child has descriptors for: it accepts some and then runs out,
    // while the rest wait in the backlog. They send nothing (a TLS client's handshake waits
    // for them), so every accepted one holds a descriptor until it is let go.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| addresses[i % addresses.len()].connect())
        .collect();
    let shortage = child.expect_line("the shortage to be logged", |line| {
        line.strip_prefix("event ERROR ")
    });
    assert!(
        shortage.contains("os error 24"),
        "{what}: the error logged is EMFILE: {shortage}"
    );

    // Out of descriptors for `WINDOW`: the server is still there, has not logged again, and
    // uses next to no CPU. The sleep is the span measured, not a wait for anything.
    let cpu_before = cpu_time(child.process.id());
    let started = Instant::now();
    std::thread::sleep(WINDOW);
    let cpu_used = cpu_time(child.process.id()) - cpu_before;
    let window = started.elapsed();
    child.read_available();
    assert_eq!(
        child.count(|line| line.starts_with("event ERROR ")),
        1,
        "{what}: the shortage is logged once, not at every retry: {:?}",
        child.seen
    );
    child.assert_serving(&what);
    let share = cpu_used.as_secs_f64() / window.as_secs_f64();
    eprintln!(
        "{what}: CPU used while out of descriptors: {} ms in {} ms ({:.1}%)",
        cpu_used.as_millis(),
        window.as_millis(),
        share * 100.0
    );
    assert!(
        share < MAX_CPU_SHARE,
        "{what}: no busy loop while out of descriptors: {cpu_used:?} of CPU in {window:?}"
    );

    // Let go of the clients: the handlers see them leave and free their descriptors, and the
    // next attempt, at most 100 ms later, accepts again.
    drop(clients);
    let recovered = child.expect_line("accepting again to be logged", |line| {
        line.strip_prefix("event INFO ")
    });
    let exhausted_for = started.elapsed();
    let attempts: u128 = field(&recovered, "failed_attempts")
        .parse()
        .unwrap_or_else(|_| panic!("{what}: a count of failed attempts in {recovered}"));
    eprintln!("{what}: {attempts} failed attempts in {exhausted_for:?} out of descriptors");
    // One attempt per 100 ms, and a few for the time before `started` and after the drop.
    let most = exhausted_for.as_millis() / 100 + 5;
    assert!(
        (WINDOW.as_millis() / 400..=most).contains(&attempts),
        "{what}: one retry per 100 ms while out of descriptors: {attempts} in {exhausted_for:?}"
    );

    // New clients are served, on every address.
    for address in &addresses {
        let greeting = match (certificate.as_deref(), address) {
            (Some(certificate), Address::Tcp(address)) => greeting_over_tls(*address, certificate),
            _ => read_line(address.connect()),
        };
        assert_eq!(greeting, "hello\n", "{what}: a new client on {address:?}");
    }
    child.read_available();
    child.assert_serving(&what);
}

/// The addresses of a `listening` report, and the server's certificate (DER, from hex) when
/// it has one.
fn parse_listening(report: &str) -> (Vec<Address>, Option<Vec<u8>>) {
    let mut addresses = Vec::new();
    let mut certificate = None;
    for word in report.split_whitespace() {
        match word.strip_prefix("certificate=") {
            Some(hex) => certificate = Some(from_hex(hex)),
            None => addresses.push(Address::parse(word)),
        }
    }
    (addresses, certificate)
}

/// The value of `name=value` in an event's report.
fn field<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .split_whitespace()
        .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no field {name} in {report}"))
}

/// The CPU time `pid` has used, all its threads together (user and system time from
/// `/proc`, in clock ticks).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command name (which may hold spaces): the state is the first field, and
    // utime and stime (fields 14 and 15 of the whole line) the 12th and 13th.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: `sysconf` only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u64::try_from(per_second).expect("the clock tick rate is known");
    Duration::from_micros(ticks * 1_000_000 / per_second)
}

/// What a new TLS client, trusting `certificate`, reads from the server.
fn greeting_over_tls(address: SocketAddr, certificate: &[u8]) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.to_vec().into()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connection =
        rustls::ClientConnection::new(config.into(), "localhost".try_into().unwrap()).unwrap();
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    read_line(rustls::StreamOwned::new(connection, stream))
}

fn crypto_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads up to and including the first newline.
fn read_line(stream: impl Read) -> String {
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .expect("the server answers in time");
    line
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The child server: killed and reaped when dropped, so that a failing test leaves nothing
/// behind. Its report lines arrive through a channel, read on a thread of their own.
struct ServerChild {
    process: Child,
    lines: Receiver<String>,
    /// The report lines seen so far, without the prefix.
    seen: Vec<String>,
}

impl ServerChild {
    fn start(backend: Backend, kind: Kind) -> ServerChild {
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args(["exhaustion_child", "--exact", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, format!("{backend} {}", kind.name()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                // The harness's "test exhaustion_child ... " may stand before the first.
                if let Some((_, report)) = line.split_once(REPORT) {
                    if send.send(report.to_owned()).is_err() {
                        return;
                    }
                }
            }
        });
        ServerChild {
            process,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for the first report, among those not yet looked at by this function, that
    /// `matches` picks, and returns what it picked.
    fn expect_line(&mut self, waiting_for: &str, matches: impl Fn(&str) -> Option<&str>) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let picked = matches(&line).map(str::to_owned);
                    self.seen.push(line);
                    if let Some(picked) = picked {
                        return picked;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "waited {DEADLINE:?} for {waiting_for}; seen: {:?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the child ended, waiting for {waiting_for}; seen: {:?}",
                        self.seen
                    )
                }
            }
        }
    }

    /// Takes in the reports that have arrived.
    fn read_available(&mut self) {
        self.seen.extend(self.lines.try_iter());
    }

    fn count(&self, matches: impl Fn(&str) -> bool) -> usize {
        self.seen.iter().filter(|line| matches(line)).count()
    }

    /// `serve` has not returned, and the child is running.
    fn assert_serving(&mut self, what: &str) {
        assert_eq!(
            self.count(|line| line.starts_with("serve returned")),
            0,
            "{what}: serve returned: {:?}",
            self.seen
        );
        assert!(
            self.process.try_wait().unwrap().is_none(),
            "{what}: the server is running"
        );
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Not a test: the server of the tests above, in the child process they start (with
/// [`CHILD_ENV`] set; without it, it does nothing).
#[test]
#[ignore = "the server of the exhaustion tests, run by them in a child process"]
fn exhaustion_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (backend, kind) = spec.split_once(' ').unwrap();
    child::serve(backend.parse().unwrap(), Kind::parse(kind));
}

mod child {
    //! The server, on its side of the pipe.

    use std::fmt::{self, Write as _};
    #[cfg(feature = "tls")]
    use std::time::Duration;

    use anyio::Backend;
    use anyio::net::{MultiListener, TcpListener, UnixListener};
    use anyio::streams::{ByteReceiveStream, ByteSendStream, Listener};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    use super::{FREE_DESCRIPTORS, Kind, REPORT};

    pub(super) fn serve(backend: Backend, kind: Kind) {
        tracing::subscriber::set_global_default(Reporter).unwrap();
        anyio::Runner::new(backend)
            .run(async move {
                let v4 = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
                let error = match kind {
                    Kind::Plain => {
                        listening(&[&v4], None);
                        lower_descriptor_limit();
                        let mut listener = v4;
                        listener.serve(greet).await
                    }
                    Kind::Multi => {
                        let v6 = TcpListener::bind("[::1]:0".parse().unwrap()).unwrap();
                        listening(&[&v4, &v6], None);
                        lower_descriptor_limit();
                        MultiListener::new(vec![v4, v6]).serve(greet).await
                    }
                    Kind::Tls => serve_tls(v4).await,
                    Kind::Unix => {
                        let name = format!("anyio-test-exhaustion-{}", std::process::id());
                        let mut listener = UnixListener::bind(format!("\0{name}")).unwrap();
                        println!("{REPORT}listening unix:{name}");
                        lower_descriptor_limit();
                        listener.serve(greet).await
                    }
                };
                println!("{REPORT}serve returned: {error}");
            })
            .unwrap();
    }

    #[cfg(feature = "tls")]
    async fn serve_tls(tcp: TcpListener) -> std::io::Error {
        use anyio::tls::{TlsAcceptor, TlsListener};

        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let certificate = certified.cert.der().clone();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(super::crypto_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certificate.clone()], key)
            .unwrap();
        listening(&[&tcp], Some(&certificate));
        lower_descriptor_limit();
        // The clients that hold descriptors never shake hands: a timeout far beyond the
        // test's deadlines keeps their connections (and the shortage) until they let go.
        TlsListener::new(tcp, TlsAcceptor::new(config.into()))
            .handshake_timeout(Duration::from_secs(600))
            .serve(greet)
            .await
    }

    #[cfg(not(feature = "tls"))]
    async fn serve_tls(_: TcpListener) -> std::io::Error {
        unreachable!("the TLS test is compiled with the tls feature only")
    }

    /// Greets the client, then waits for it to leave.
    async fn greet<S: ByteReceiveStream + ByteSendStream>(mut stream: S) {
        if stream.send(b"hello\n").await.is_err() {
            return;
        }
        let mut buf = [0; 64];
        while stream.receive(&mut buf).await.is_ok() {}
    }

    fn listening(listeners: &[&TcpListener], certificate: Option<&[u8]>) {
        let mut report = format!("{REPORT}listening");
        for listener in listeners {
            write!(report, " {}", listener.local_addr().unwrap()).unwrap();
        }
        if let Some(certificate) = certificate {
            write!(report, " certificate={}", super::to_hex(certificate)).unwrap();
        }
        println!("{report}");
    }

    /// Lowers the soft limit on descriptors so that [`FREE_DESCRIPTORS`] more can be opened.
    /// The limit bounds descriptor numbers, not their count: it is set past as many unused
    /// numbers.
    fn lower_descriptor_limit() {
        let open: Vec<u64> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .map(|entry| {
                entry
                    .unwrap()
                    .file_name()
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let mut limit = 0;
        let mut free = 0;
        while free < FREE_DESCRIPTORS {
            if !open.contains(&limit) {
                free += 1;
            }
            limit += 1;
        }
        let mut rlimit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        rlimit.current = Some(limit);
        rustix::process::setrlimit(rustix::process::Resource::Nofile, rlimit).unwrap();
    }

    /// Prints the events of target `anyio::serve` as report lines: `event LEVEL` and the
    /// fields as `name=value`.
    struct Reporter;

    impl Subscriber for Reporter {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target() == "anyio::serve"
        }

        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }

        fn record(&self, _: &Id, _: &Record<'_>) {}

        fn record_follows_from(&self, _: &Id, _: &Id) {}

        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            println!("{REPORT}event {}{}", event.metadata().level(), fields.0);
        }

        fn enter(&self, _: &Id) {}

        fn exit(&self, _: &Id) {}
    }

    struct Fields(String);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            write!(self.0, " {}={value:?}", field.name()).unwrap();
        }
    }
}
