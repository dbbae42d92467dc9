//! [`AsyncFile`]: a `std::fs::File` whose operations run on worker threads, with the reads and
//! writes batched through buffers so that small ones do not each cost a thread hop.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::future::{Future, poll_fn};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::error::with_path;
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::poll_gate;
use crate::sync::CapacityLimiter;
use crate::to_thread::{self, RunSync};

/// How many bytes a read fetches at least, and a write buffers at most, per thread hop.
const BUFFER: usize = 64 * 1024;
/// The most a single read or write moves in one hop (larger calls take several).
const MAX_HOP: usize = 2 * 1024 * 1024;

/// The file and its buffers, owned by whichever thread works on them.
struct Inner {
    file: File,
    /// Bytes read ahead of the caller: `read[consumed..]` are unread.
    read: Vec<u8>,
    consumed: usize,
    /// Bytes accepted by `poll_write` and not yet handed to the system.
    write: Vec<u8>,
    /// The last refill found the end of the file: the next read returns 0 without a hop.
    at_end: bool,
    /// How many bytes the next refill asks for: it doubles with each refill that follows
    /// another (a sequential read), up to `MAX_HOP`, and starts again at `BUFFER` after any
    /// other operation.
    fill_size: usize,
}

impl Inner {
    fn unread(&self) -> usize {
        self.read.len() - self.consumed
    }

    /// Forgets the read-ahead (its bytes must have been given back, or be past) and the run of
    /// sequential refills: the next read looks at the file again.
    fn restart(&mut self) {
        // The buffer keeps its length, so that the next refill need not zero it again.
        self.consumed = self.read.len();
        self.at_end = false;
        self.fill_size = BUFFER;
    }
}

/// What a finished operation reports.
enum Outcome {
    /// The read buffer was refilled (0 bytes at the end of the file).
    Filled(io::Result<()>),
    /// The write buffer went to the system (and, first, unread bytes were given back).
    Written(io::Result<()>),
    Sought(io::Result<u64>),
    Done(io::Result<()>),
    Metadata(io::Result<Metadata>),
}

type Work = Box<dyn FnOnce() -> (Inner, Outcome) + Send>;
type Op = RunSync<Work, (Inner, Outcome)>;

// One per file, and `Busy` is the common state: boxing the operation would cost an allocation
// per thread hop to save some bytes in a long-lived object.
#[allow(clippy::large_enum_variant)]
enum State {
    Idle(Box<Inner>),
    /// An operation, and whether it writes bytes accepted from the caller (which must reach the
    /// file even if it is dropped before the operation starts).
    Busy(Op, bool),
    /// Closed by [`AsyncFile::aclose`]; every operation is an error.
    Closed,
    /// Only while an operation is being started.
    Taken,
}

/// A file for async code (AnyIO's `AsyncFile`): every system call runs on a worker thread (see
/// [`to_thread`]), under the default thread limiter or one of your choice.
///
/// Open one with [`open`](Self::open), [`create`](Self::create) or
/// [`with_options`](Self::with_options), or wrap a `std::fs::File` with
/// [`from_std`](Self::from_std). Then use its async methods, or its `AsyncRead`, `AsyncWrite`
/// and `AsyncSeek` implementations of both I/O families (`futures_io` and, with the `tokio`
/// feature, `tokio::io`), so codecs and libraries of either ecosystem read and write it on
/// either backend.
///
/// ## Buffering
/// - **Reads** fetch at least 64 KiB per thread hop, whatever the size of each call. While the
///   reads go on in sequence, each hop fetches twice as much as the one before, up to 2 MiB, so
///   reading a large file costs one hop per 2 MiB; a write, a seek or a resize starts again
///   at 64 KiB (and gives back the bytes read ahead, moving the position back over them). The
///   read-ahead buffer is also an `AsyncBufRead` (of both families), and
///   [`lines`](Self::lines) reads from it.
/// - **Writes** are accepted into a 64 KiB buffer (a larger write into an empty buffer, up to
///   2 MiB of it, in one go) and handed to the system when it fills, and before any other
///   operation (a read, a seek, [`flush`](Self::flush),
///   [`sync_all`](Self::sync_all), [`aclose`](Self::aclose)). `poll_write` returning `Ready(n)`
///   means the bytes were *accepted*; an error writing them is returned by the next operation.
///   Data reaches the system by `flush` (or `aclose`), and the disk by `sync_all`/`sync_data`.
/// - **Dropping** a file with buffered bytes writes them on a worker thread in the background;
///   an error then has nobody to go to. Call `aclose` (or `flush`) to see it.
///
/// ## Cancel safety
/// An operation in progress belongs to the file, not to the future that started it: if that
/// future is cancelled (dropped), the operation still completes, and its result stays in the
/// file. So a cancelled read loses no byte (the bytes it fetched are returned by the next read),
/// and a cancelled write either accepted its bytes (they will be written) or did not. A
/// cancelled [`seek`](Self::seek) may or may not have moved the position: ask
/// [`stream_position`](Self::stream_position). The same holds for a seek of the `AsyncSeek`
/// traits whose future is dropped: the next seek asking for another position waits for it,
/// then goes where it was asked (one asking for the same position takes its result).
///
/// Like anyio's other operations, a read or write is a cancellation point even when a buffer
/// serves it without a thread hop: in a cancelled scope it takes or accepts nothing.
///
/// # Examples
/// ```
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-file-{}", std::process::id()));
///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
///     file.write_all(b"hello, file").await?;
///     file.aclose().await?;
///
///     let mut file = anyio::fs::AsyncFile::open(&path).await?;
///     let mut text = String::new();
///     file.read_to_string(&mut text).await?;
///     assert_eq!(text, "hello, file");
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AsyncFile {
    state: State,
    /// For errors, when the file was opened by path.
    path: Option<Arc<Path>>,
    limiter: Option<Arc<CapacityLimiter>>,
    /// The descriptor, kept here because the file itself is on a worker thread while an
    /// operation runs.
    #[cfg(unix)]
    raw_fd: std::os::fd::RawFd,
    /// A seek asked for by tokio's `start_seek` and not started yet, and the position of a
    /// seek started through an `AsyncSeek` trait whose outcome nobody has taken yet (cleared
    /// when any operation takes it).
    pub(super) seek_requested: Option<SeekFrom>,
    pub(super) seek_in_flight: Option<SeekFrom>,
}

impl AsyncFile {
    /// Opens the file at `path` for reading (`std::fs::File::open`).
    ///
    /// # Errors
    /// The system's error, naming the path (a missing file, a directory, permission denied).
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled open leaves nothing open (see
    /// [`with_options`](Self::with_options)).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let error = anyio::fs::AsyncFile::open("/no/such/file").await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    /// })?;
    /// # Ok::<(), anyio::RunError>(())
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<AsyncFile> {
        let mut options = OpenOptions::new();
        options.read(true);
        AsyncFile::with_options(path, options).await
    }

    /// Creates the file at `path` for writing, or truncates it (`std::fs::File::create`).
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// As [`with_options`](Self::with_options): a cancelled create may still have created
    /// (or truncated) the file, as the system call runs to its end on its thread.
    ///
    /// # Examples
    /// See [`AsyncFile`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<AsyncFile> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        AsyncFile::with_options(path, options).await
    }

    /// Opens the file at `path` with `options` (AnyIO's `open_file` with a mode).
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// A cancelled call waits for its system call to end (as [`to_thread::run_sync`] does
    /// without abandoning), then closes the file it may have opened and returns. A call that
    /// creates or truncates may have done so.
    ///
    /// # Examples
    /// ```
    /// use std::fs::OpenOptions;
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-opts-{}", std::process::id()));
    ///     let mut options = OpenOptions::new();
    ///     options.append(true).create(true);
    ///     let mut log = anyio::fs::AsyncFile::with_options(&path, options).await?;
    ///     log.write_all(b"one line\n").await?;
    ///     log.aclose().await?;
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn with_options(
        path: impl AsRef<Path>,
        options: OpenOptions,
    ) -> io::Result<AsyncFile> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let opened = {
            let path = Arc::clone(&path);
            to_thread::run_sync(move || {
                options.open(&path).map_err(|e| with_path("open", &path, e))
            })
            .await?
        };
        let mut file = AsyncFile::from_std(opened);
        file.path = Some(path);
        Ok(file)
    }

    /// Wraps an open `std::fs::File` (AnyIO's `wrap_file`). Its position is where the file's
    /// is.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let std_file = std::fs::File::open("/")?; // a directory opens, but cannot be read
    ///     let mut file = anyio::fs::AsyncFile::from_std(std_file);
    ///     assert!(file.metadata().await?.is_dir());
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_std(file: File) -> AsyncFile {
        AsyncFile {
            #[cfg(unix)]
            raw_fd: std::os::fd::AsRawFd::as_raw_fd(&file),
            state: State::Idle(Box::new(Inner {
                file,
                read: Vec::new(),
                consumed: 0,
                write: Vec::new(),
                at_end: false,
                fill_size: BUFFER,
            })),
            path: None,
            limiter: None,
            seek_requested: None,
            seek_in_flight: None,
        }
    }

    /// Runs the file's operations under `limiter` instead of the default thread limiter.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    ///
    /// anyio::run(async {
    ///     let disk = Arc::new(anyio::sync::CapacityLimiter::new(4));
    ///     let file = anyio::fs::AsyncFile::open("/").await?.with_limiter(disk);
    ///     # drop(file);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_limiter(mut self, limiter: Arc<CapacityLimiter>) -> AsyncFile {
        self.limiter = Some(limiter);
        self
    }

    /// The path the file was opened with, if it was opened by path.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let file = anyio::fs::AsyncFile::open("/").await?;
    ///     assert_eq!(file.path(), Some(std::path::Path::new("/")));
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The descriptor, while the file is open.
    #[cfg(unix)]
    pub(super) fn raw_fd(&self) -> Option<std::os::fd::RawFd> {
        (!matches!(self.state, State::Closed)).then_some(self.raw_fd)
    }

    /// Names the file by `path` from now on (in [`path`](Self::path) and in errors): for files
    /// opened by another module of `fs` (a temporary file made with a name, or moved).
    pub(super) fn set_path(&mut self, path: &Path) {
        self.path = Some(Arc::from(path));
    }

    /// Whether the file was closed (by `close`, `into_std` or a trait's `poll_close`).
    pub(super) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    pub(super) fn error(&self, action: &'static str, error: io::Error) -> io::Error {
        match &self.path {
            Some(path) => with_path(action, path, error),
            None => error,
        }
    }

    /// Starts `work` on the idle file's inner state on a worker thread.
    fn start(&mut self, work: impl FnOnce(&mut Inner) -> Outcome + Send + 'static) {
        let State::Idle(inner) = std::mem::replace(&mut self.state, State::Taken) else {
            unreachable!("operations start on an idle file")
        };
        // Every other operation first waits for the write of the buffer: one that starts with
        // bytes in the buffer is that write.
        let writes = !inner.write.is_empty();
        let work: Work = Box::new(move || {
            let mut inner = inner;
            let outcome = work(&mut inner);
            (*inner, outcome)
        });
        let mut op = to_thread::run_sync(work).abandon_on_cancel();
        if let Some(limiter) = &self.limiter {
            op = op.limiter(Arc::clone(limiter));
        }
        self.state = State::Busy(op, writes);
    }

    /// Waits for the operation in progress, if any, and returns its outcome with the file back
    /// in `Idle`.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<Option<Outcome>> {
        match &mut self.state {
            State::Busy(op, _) => {
                let (inner, outcome) = ready!(Pin::new(op).poll(cx));
                self.state = State::Idle(Box::new(inner));
                // Whoever takes a trait's seek here, it is no longer in flight.
                self.seek_in_flight = None;
                Poll::Ready(Some(outcome))
            }
            _ => Poll::Ready(None),
        }
    }

    /// Gets the file idle, its write buffer handed to the system and no error pending: the
    /// state every operation but a buffered read or write starts from. With `keep_read`, bytes
    /// read ahead stay (a read may use them); otherwise they are given back (the position
    /// moves back over them) so the file's position is the caller's.
    pub(super) fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        keep_read: bool,
    ) -> Poll<io::Result<()>> {
        loop {
            if let Some(outcome) = ready!(self.poll_settle(cx)) {
                if let Err(error) = self.absorb(outcome) {
                    return Poll::Ready(Err(error));
                }
            }
            let inner = match &self.state {
                State::Idle(inner) => inner,
                State::Closed => return Poll::Ready(Err(self.error("use", closed()))),
                State::Busy(..) | State::Taken => unreachable!("settled above"),
            };
            let unread = inner.unread();
            if inner.write.is_empty() && (keep_read || unread == 0) {
                return Poll::Ready(Ok(()));
            }
            // Give back what was read ahead (unless kept), then write what was accepted.
            let give_back = if keep_read { 0 } else { unread };
            self.start(move |inner| Outcome::Written(flush_buffers(inner, give_back)));
        }
    }

    /// Takes a finished buffer operation's outcome: its error, named, for the operation that
    /// waited for it.
    fn absorb(&self, outcome: Outcome) -> io::Result<()> {
        match outcome {
            Outcome::Written(Err(error)) => Err(self.error("write", error)),
            Outcome::Filled(Err(error)) => Err(self.error("read", error)),
            Outcome::Sought(Err(error)) => Err(self.error("seek in", error)),
            Outcome::Done(Err(error)) => Err(self.error("use", error)),
            Outcome::Metadata(Err(error)) => Err(self.error("read the metadata of", error)),
            _ => Ok(()),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        match &mut self.state {
            State::Idle(inner) => inner,
            _ => unreachable!("the file is idle here"),
        }
    }

    /// The bytes read ahead, refilling the buffer with one thread hop when it is empty; empty
    /// at the end of the file (`AsyncBufRead::poll_fill_buf`). Behind the gate: see
    /// [`poll_gate`].
    pub(super) fn poll_fill_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let unit = ready!(poll_gate(cx, WaitPoint::File));
        let ahead = ready!(self.poll_fill_buf_ungated(cx));
        unit.made_progress();
        Poll::Ready(ahead)
    }

    /// [`poll_fill_buf`](Self::poll_fill_buf) for callers that passed the gate themselves.
    pub(super) fn poll_fill_buf_ungated(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<&[u8]>> {
        loop {
            ready!(self.poll_ready(cx, true))?;
            let inner = self.inner_mut();
            if inner.unread() > 0 || inner.at_end {
                break;
            }
            let wanted = inner.fill_size;
            inner.fill_size = (inner.fill_size * 2).min(MAX_HOP);
            // The outcome is taken by `poll_ready` at the top of the loop, now or at the next
            // poll: the refilled buffer (or `at_end`) is what this loop looks at then.
            self.start(move |inner| Outcome::Filled(fill(inner, wanted)));
        }
        let inner = self.inner_mut();
        // The end is reported once; a later read looks again (the file may have grown).
        inner.at_end = false;
        Poll::Ready(Ok(&inner.read[inner.consumed..]))
    }

    /// Marks `n` bytes of those [`poll_fill_buf`](Self::poll_fill_buf) returned as read.
    pub(super) fn consume(&mut self, n: usize) {
        if let State::Idle(inner) = &mut self.state {
            inner.consumed = (inner.consumed + n).min(inner.read.len());
        }
    }

    /// Reads into `dst` from the read-ahead buffer, refilling it with one thread hop when it is
    /// empty.
    pub(super) fn poll_read_slice(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if let State::Idle(inner) = &mut self.state {
            // A read larger than the next refill asks for that much in one hop.
            if inner.unread() == 0 && dst.len() > inner.fill_size {
                inner.fill_size = dst.len().min(MAX_HOP);
            }
        }
        let unit = ready!(poll_gate(cx, WaitPoint::File));
        let ahead = ready!(self.poll_fill_buf_ungated(cx))?;
        let n = dst.len().min(ahead.len());
        dst[..n].copy_from_slice(&ahead[..n]);
        self.consume(n);
        unit.made_progress();
        Poll::Ready(Ok(n))
    }

    /// Accepts `src` into the write buffer, handing the buffer to the system (one hop) when it
    /// is full.
    pub(super) fn poll_write_slice(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let unit = ready!(poll_gate(cx, WaitPoint::File));
        let accepted = ready!(self.poll_write_ungated(cx, src));
        unit.made_progress();
        Poll::Ready(accepted)
    }

    fn poll_write_ungated(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            if let Some(outcome) = ready!(self.poll_settle(cx)) {
                self.absorb(outcome)?;
            }
            let inner = match &mut self.state {
                State::Idle(inner) => inner,
                State::Closed => return Poll::Ready(Err(self.error("use", closed()))),
                State::Busy(..) | State::Taken => unreachable!("settled above"),
            };
            let room = BUFFER.saturating_sub(inner.write.len());
            if room > 0 && inner.unread() == 0 {
                // A large write into an empty buffer goes in one hop of up to `MAX_HOP`.
                let limit = if inner.write.is_empty() {
                    MAX_HOP
                } else {
                    room
                };
                let n = src.len().min(limit);
                inner.write.extend_from_slice(&src[..n]);
                if inner.write.len() >= BUFFER {
                    // Full: to the system now, in the background.
                    self.start(|inner| Outcome::Written(flush_buffers(inner, 0)));
                }
                return Poll::Ready(Ok(n));
            }
            // Bytes read ahead must be given back first, or the buffer is full: one hop.
            let give_back = inner.unread();
            self.start(move |inner| Outcome::Written(flush_buffers(inner, give_back)));
        }
    }

    /// Runs `work` (taken when it starts) on the idle, flushed file and extracts its result,
    /// naming `action` in its error. Unless `keep_read` (for work that neither moves the
    /// position nor changes the bytes: metadata, a sync), the read-ahead is given back first
    /// and the next read looks at the file again.
    fn poll_op<T, W>(
        &mut self,
        cx: &mut Context<'_>,
        action: &'static str,
        keep_read: bool,
        work: &mut Option<W>,
        extract: fn(Outcome) -> Option<io::Result<T>>,
    ) -> Poll<io::Result<T>>
    where
        W: FnOnce(&mut Inner) -> Outcome + Send + 'static,
    {
        if let Some(pending) = work.take() {
            match self.poll_ready(cx, keep_read) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => {
                    // Not ready yet: keep the work for the next poll.
                    *work = Some(pending);
                    return Poll::Pending;
                }
            }
            self.start(move |inner| {
                if !keep_read {
                    // Whatever it does (a resize, say), the next read looks at the file again.
                    inner.restart();
                }
                pending(inner)
            });
        }
        let outcome = ready!(self.poll_settle(cx));
        let result = outcome
            .and_then(extract)
            .unwrap_or_else(|| Err(io::Error::other("anyio: a file operation was lost")));
        Poll::Ready(result.map_err(|error| self.error(action, error)))
    }

    /// Reads some bytes into `buf`; `Ok(0)` at the end of the file.
    ///
    /// # Cancel safety
    /// Cancel safe: bytes fetched for a cancelled read are returned by the next one.
    ///
    /// # Examples
    /// See [`AsyncFile`].
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_slice(cx, buf)).await
    }

    /// Reads until the end of the file, appending to `buf`; returns how many bytes it read.
    ///
    /// # Cancel safety
    /// Not cancel safe as a whole: bytes already appended to `buf` stay there, and the file's
    /// position is after them.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-rte-{}", std::process::id()));
    ///     anyio::fs::write(&path, vec![7u8; 100_000]).await?;
    ///     let mut bytes = Vec::new();
    ///     let n = anyio::fs::AsyncFile::open(&path).await?.read_to_end(&mut bytes).await?;
    ///     assert_eq!((n, bytes.len()), (100_000, 100_000));
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = vec![0; BUFFER];
        loop {
            let n = self.read(&mut chunk).await?;
            if n == 0 {
                return Ok(buf.len() - start);
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads until the end of the file, appending UTF-8 text to `buf`.
    ///
    /// # Errors
    /// `InvalidData` when the bytes are not UTF-8 (then `buf` is left as it was).
    ///
    /// # Cancel safety
    /// Not cancel safe as a whole: bytes read by a cancelled call are lost (they had not
    /// been appended to `buf`), and the file's position is after them.
    ///
    /// # Examples
    /// See [`AsyncFile`].
    pub async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        let n = self.read_to_end(&mut bytes).await?;
        let text = String::from_utf8(bytes).map_err(|error| {
            self.error("read", io::Error::new(io::ErrorKind::InvalidData, error))
        })?;
        buf.push_str(&text);
        Ok(n)
    }

    /// Fills `buf` exactly.
    ///
    /// # Errors
    /// `UnexpectedEof` when the file ends first.
    ///
    /// # Cancel safety
    /// Not cancel safe as a whole: the bytes a cancelled call read are in a prefix of `buf`
    /// it cannot report, and the file's position is after them.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-exact-{}", std::process::id()));
    ///     anyio::fs::write(&path, b"0123456789").await?;
    ///     let mut file = anyio::fs::AsyncFile::open(&path).await?;
    ///     let mut four = [0; 4];
    ///     file.read_exact(&mut four).await?;
    ///     assert_eq!(&four, b"0123");
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                let error = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file ended before the buffer was filled",
                );
                return Err(self.error("read", error));
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Accepts some bytes of `buf` for writing (see [Buffering](AsyncFile#buffering)).
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled call accepted nothing.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-write-{}", std::process::id()));
    ///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
    ///     assert_eq!(file.write(b"abc").await?, 3);
    ///     file.aclose().await?;
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_slice(cx, buf)).await
    }

    /// Accepts all of `buf` for writing.
    ///
    /// # Cancel safety
    /// Not cancel safe as a whole: a prefix of `buf` may have been accepted.
    ///
    /// # Examples
    /// See [`AsyncFile`].
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Hands the buffered bytes to the system, and reports the error of an earlier operation
    /// that nobody saw yet (a write accepted into the buffer, or an operation whose caller was
    /// cancelled).
    ///
    /// # Cancel safety
    /// Cancel safe: the write it started completes; the next operation reports its error.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-flush-{}", std::process::id()));
    ///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
    ///     file.write_all(b"visible").await?;
    ///     file.flush().await?;
    ///     assert_eq!(anyio::fs::read(&path).await?, b"visible");
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_ready(cx, true)).await
    }

    /// Moves the position (`std::io::Seek::seek`) and returns the new one.
    ///
    /// # Cancel safety
    /// A cancelled seek may or may not have moved the position: ask
    /// [`stream_position`](Self::stream_position).
    ///
    /// # Examples
    /// ```
    /// use std::io::SeekFrom;
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-seek-{}", std::process::id()));
    ///     anyio::fs::write(&path, b"0123456789").await?;
    ///     let mut file = anyio::fs::AsyncFile::open(&path).await?;
    ///     assert_eq!(file.seek(SeekFrom::End(-3)).await?, 7);
    ///     let mut rest = String::new();
    ///     file.read_to_string(&mut rest).await?;
    ///     assert_eq!(rest, "789");
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let mut work = Some(seek_work(position));
        poll_fn(|cx| self.poll_op(cx, "seek in", false, &mut work, sought)).await
    }

    /// Polls the seek of the `AsyncSeek` traits: `position` for `futures_io`'s, `None` for
    /// tokio's `poll_complete` (which seeks where `start_seek` asked). A seek in flight is the
    /// caller's if it asks for no other position (the same future polled again); otherwise it
    /// is waited for, and the new one starts after it.
    pub(super) fn poll_trait_seek(
        &mut self,
        cx: &mut Context<'_>,
        position: Option<SeekFrom>,
    ) -> Poll<io::Result<u64>> {
        let ours = self
            .seek_in_flight
            .is_some_and(|in_flight| position.is_none_or(|position| position == in_flight));
        let target = if ours {
            None
        } else {
            Some(
                position
                    .unwrap_or_else(|| self.seek_requested.take().unwrap_or(SeekFrom::Current(0))),
            )
        };
        let mut work = target.map(seek_work);
        let polled = self.poll_op(cx, "seek in", false, &mut work, sought);
        match (&polled, target) {
            (Poll::Ready(_), _) => self.seek_in_flight = None,
            // Not started (an earlier write is still going out): tokio's request is asked for
            // again at the next poll; the `futures_io` caller gives its position again.
            (Poll::Pending, Some(_)) if work.is_some() => {
                if position.is_none() {
                    self.seek_requested = target;
                }
            }
            (Poll::Pending, Some(target)) => self.seek_in_flight = Some(target),
            (Poll::Pending, None) => {}
        }
        polled
    }

    /// Closes the file once the buffered bytes went to the system (`poll_close` of the traits).
    pub(super) fn poll_shut(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if matches!(self.state, State::Closed) {
            return Poll::Ready(Ok(()));
        }
        let flushed = ready!(self.poll_ready(cx, true));
        self.state = State::Closed;
        Poll::Ready(flushed)
    }

    /// The current position (`std::io::Seek::stream_position`), counting buffered bytes.
    ///
    /// # Cancel safety
    /// Cancel safe: it moves nothing. (Cancelled while earlier buffered bytes were being
    /// written, that write completes.)
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-pos-{}", std::process::id()));
    ///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
    ///     file.write_all(b"12345").await?;
    ///     assert_eq!(file.stream_position().await?, 5);
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn stream_position(&mut self) -> io::Result<u64> {
        self.seek(SeekFrom::Current(0)).await
    }

    /// Truncates or extends the file to `size` bytes (`std::fs::File::set_len`).
    ///
    /// # Cancel safety
    /// A cancelled call may or may not have resized the file: the system call runs to its
    /// end on its thread. Ask [`metadata`](Self::metadata).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-len-{}", std::process::id()));
    ///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
    ///     file.set_len(1000).await?;
    ///     assert_eq!(file.metadata().await?.len(), 1000);
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.run_done("resize", false, move |file| file.set_len(size))
            .await
    }

    /// Writes the buffered bytes, then the file's data and metadata to the disk
    /// (`std::fs::File::sync_all`).
    ///
    /// # Cancel safety
    /// Cancel safe in effect: a cancelled sync runs to its end on its thread; only its
    /// result is lost.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-sync-{}", std::process::id()));
    ///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
    ///     file.write_all(b"durable").await?;
    ///     file.sync_all().await?;
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.run_done("sync", true, File::sync_all).await
    }

    /// Like [`sync_all`](Self::sync_all), without the metadata (`std::fs::File::sync_data`).
    ///
    /// # Cancel safety
    /// As [`sync_all`](Self::sync_all).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-sdata-{}", std::process::id()));
    ///     let mut file = anyio::fs::AsyncFile::create(&path).await?;
    ///     file.write_all(b"data").await?;
    ///     file.sync_data().await?;
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.run_done("sync", true, File::sync_data).await
    }

    async fn run_done(
        &mut self,
        action: &'static str,
        keep_read: bool,
        call: impl FnOnce(&File) -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        let mut work = Some(move |inner: &mut Inner| Outcome::Done(call(&inner.file)));
        poll_fn(|cx| self.poll_op(cx, action, keep_read, &mut work, done)).await
    }

    /// The file's metadata (`std::fs::File::metadata`).
    ///
    /// # Cancel safety
    /// Cancel safe: it changes nothing.
    ///
    /// # Examples
    /// See [`from_std`](Self::from_std).
    pub async fn metadata(&mut self) -> io::Result<Metadata> {
        let mut work = Some(|inner: &mut Inner| Outcome::Metadata(inner.file.metadata()));
        poll_fn(|cx| self.poll_op(cx, "read the metadata of", true, &mut work, metadata)).await
    }

    /// Hands the buffered bytes to the system and closes the file; later operations are errors.
    /// Closing a closed file does nothing. Bytes read ahead are dropped, not given back: a
    /// pipe could not take them, and the file's position no longer matters (to a descriptor
    /// shared with another file it is after them; [`into_std`](Self::into_std) gives them
    /// back).
    ///
    /// # Errors
    /// An error writing the buffered bytes, or of an earlier write.
    ///
    /// # Cancel safety
    /// Cancelled while the buffered bytes are being written, the file stays open and the
    /// write completes on its own: call `aclose` again to close it and see the write's error.
    /// Once they are written the file is closed, even if the call is cancelled then.
    ///
    /// # Examples
    /// See [`AsyncFile`].
    pub async fn aclose(&mut self) -> io::Result<()> {
        if matches!(self.state, State::Closed) {
            return Ok(());
        }
        let flushed = poll_fn(|cx| self.poll_ready(cx, true)).await;
        if let State::Idle(inner) = std::mem::replace(&mut self.state, State::Closed) {
            // The descriptor is closed on a worker thread (a close can block on some
            // file systems).
            to_thread::run_sync(move || drop(inner)).await;
        }
        flushed
    }

    /// The `std::fs::File` back, once the buffered bytes went to the system.
    ///
    /// # Errors
    /// An error writing the buffered bytes, or of an earlier write, or a closed file.
    ///
    /// # Cancel safety
    /// Cancelled while the buffered bytes are being written, the file stays as it was and
    /// the write completes on its own; call `into_std` again.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let file = anyio::fs::AsyncFile::open("/").await?;
    ///     let std_file: std::fs::File = file.into_std().await?;
    ///     # drop(std_file);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn into_std(mut self) -> io::Result<File> {
        poll_fn(|cx| self.poll_ready(cx, false)).await?;
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Idle(inner) => Ok(inner.file),
            _ => Err(closed()),
        }
    }
}

fn seek_work(position: SeekFrom) -> impl FnOnce(&mut Inner) -> Outcome + Send + 'static {
    move |inner| {
        inner.restart();
        Outcome::Sought(inner.file.seek(position))
    }
}

fn sought(outcome: Outcome) -> Option<io::Result<u64>> {
    match outcome {
        Outcome::Sought(result) => Some(result),
        _ => None,
    }
}

fn done(outcome: Outcome) -> Option<io::Result<()>> {
    match outcome {
        Outcome::Done(result) => Some(result),
        _ => None,
    }
}

fn metadata(outcome: Outcome) -> Option<io::Result<Metadata>> {
    match outcome {
        Outcome::Metadata(result) => Some(result),
        _ => None,
    }
}

/// Gives back `give_back` bytes read ahead (moves the position back over them), then writes the
/// write buffer.
fn flush_buffers(inner: &mut Inner, give_back: usize) -> io::Result<()> {
    if give_back > 0 {
        let back = i64::try_from(give_back).map_err(io::Error::other)?;
        inner.file.seek(SeekFrom::Current(-back))?;
    }
    inner.restart();
    let written = inner.file.write_all(&inner.write);
    inner.write.clear();
    written
}

/// Refills the read buffer with up to `wanted` bytes.
fn fill(inner: &mut Inner, wanted: usize) -> io::Result<()> {
    inner.consumed = 0;
    inner.at_end = false;
    // Only bytes past the buffer's current length are zeroed: a sequential read reuses it.
    inner.read.resize(wanted, 0);
    let result = loop {
        match inner.file.read(&mut inner.read) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    match result {
        Ok(n) => {
            inner.read.truncate(n);
            inner.at_end = n == 0;
            Ok(())
        }
        Err(error) => {
            inner.consumed = inner.read.len();
            Err(error)
        }
    }
}

fn closed() -> io::Error {
    io::Error::other("the file is closed")
}

impl Drop for AsyncFile {
    fn drop(&mut self) {
        // Buffered bytes are written in the background, also when the write that holds them
        // was set up but not started yet (a full buffer's). An operation in progress finishes
        // on its own (its worker drops the file after it); one that was not started and
        // writes nothing is dropped (a cancelled read, seek or resize may not have happened).
        let work: Work = match std::mem::replace(&mut self.state, State::Closed) {
            State::Idle(inner) if !inner.write.is_empty() => Box::new(move || {
                let mut inner = inner;
                let outcome = Outcome::Written(flush_buffers(&mut inner, 0));
                (*inner, outcome)
            }),
            State::Busy(mut op, true) => match op.take_unstarted() {
                Some(work) => work,
                None => return,
            },
            _ => return,
        };
        let job = Box::new(Background(Some(work)));
        // An event loop's thread must not block on the write: it goes to a worker. Any other
        // thread (a worker, a plain thread, after the runtime) writes at once, so the bytes do
        // not wait on a pool that may be gone before the job runs.
        let written = match crate::backend::current() {
            Ok(backend) if crate::backend::runs_event_loop() => {
                crate::backend::execute_blocking(backend, job)
            }
            _ => Err(job as crate::backend::BlockingJob),
        };
        if let Err(mut job) = written {
            job.run();
        }
    }
}

/// The last operation of a dropped file (the write of its buffer), which nobody waits for.
struct Background(Option<Work>);

impl Background {
    fn write(&mut self) {
        if let Some(work) = self.0.take() {
            // Nobody to report an error to: `aclose` is the way to see it.
            drop(work());
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Dropped without running: a runtime shutting down drops the jobs it has not started.
        // The bytes are written here instead, on the thread shutting it down.
        self.write();
    }
}

impl crate::backend::BlockingWork for Background {
    fn run(&mut self) {
        self.write();
    }

    fn wanted(&self) -> bool {
        false
    }

    fn deliver(self: Box<Self>) -> Option<crate::backend::Leftover> {
        None
    }

    fn discard(self: Box<Self>) {}
}

impl fmt::Debug for AsyncFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "idle",
            State::Busy(..) => "busy",
            State::Closed => "closed",
            State::Taken => "starting",
        };
        f.debug_struct("AsyncFile")
            .field("path", &self.path)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
