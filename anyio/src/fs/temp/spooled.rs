//! [`SpooledTemporaryFile`]: a temporary file kept in memory until it grows past a size.

use std::fmt;
use std::fs::File;
use std::future::{Future, poll_fn};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::memory::Memory;
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::poll_gate;
use crate::fs::AsyncFile;
use crate::fs::error::with_path;
use crate::to_thread::{self, RunSync};

/// The file the bytes were written to, or the error and the bytes back.
type Rolled = Result<File, (io::Error, Memory)>;
type RollWork = Box<dyn FnOnce() -> Rolled + Send>;

enum Storage {
    Memory(Memory),
    /// The bytes are being written to a file on a worker thread; they are in the operation,
    /// which gives them back if it fails.
    Rolling(RunSync<RollWork, Rolled>),
    /// Boxed: an `AsyncFile` is several times the size of the other states, and most spooled
    /// files never roll over; one allocation per rollover keeps them small.
    Disk(Box<AsyncFile>),
    Closed,
}

/// A temporary file that keeps its bytes in memory until it grows past `max_size`, then moves
/// them to a [`TemporaryFile`](crate::fs::TemporaryFile) on disk ("rolls over"); AnyIO's and
/// Python's `SpooledTemporaryFile`.
///
/// For data that is usually small but may not be: small data costs no file and no thread hop
/// (operations in memory complete at once), large data does not fill the memory.
///
/// - **When it rolls over:** a write (or [`set_len`](Self::set_len)) that would make the file
///   larger than `max_size` bytes first moves the bytes to a file, on a worker thread, then goes
///   to that file. A file of exactly `max_size` bytes stays in memory. Or call
///   [`rollover`](Self::rollover). Unlike Python's, a `max_size` of 0 means that the first write
///   rolls over (Python's 0 means never: pass `usize::MAX` for that).
/// - **I/O:** the same methods as [`AsyncFile`] (read, write, seek, flush, `set_len`, `aclose`),
///   and the `AsyncRead`, `AsyncWrite` and `AsyncSeek` traits of both I/O families (`futures_io`
///   and, with the `tokio` feature, `tokio::io`), in memory and on disk alike. Once on disk it
///   is buffered as an `AsyncFile` is.
/// - **Position:** one, for reads and writes, kept across the rollover.
///
/// # Cancel safety
/// A rollover belongs to the file, not to the future that started it: if that future is
/// cancelled (dropped), the rollover still completes, and the next operation waits for it. No
/// byte is lost or written twice: a write cancelled while the rollover it started runs has
/// accepted nothing. If the rollover fails (a full disk), the bytes stay in memory and the
/// operation that needed it returns the error; the next one tries again. Operations on disk are
/// cancel safe as [`AsyncFile`]'s are.
///
/// # Examples
/// ```
/// use std::io::SeekFrom;
///
/// anyio::run(async {
///     let mut file = anyio::fs::SpooledTemporaryFile::new(10);
///     file.write_all(b"0123456789").await?;
///     assert!(!file.is_rolled_over(), "10 bytes fit");
///     file.write_all(b"X").await?;
///     assert!(file.is_rolled_over(), "11 do not");
///
///     file.seek(SeekFrom::Start(8)).await?;
///     let mut tail = Vec::new();
///     file.read_to_end(&mut tail).await?;
///     assert_eq!(tail, b"89X");
///     file.aclose().await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SpooledTemporaryFile {
    storage: Storage,
    max_size: u64,
    /// Where the file goes; the system's directory for them if `None`.
    dir: Option<PathBuf>,
    /// A seek asked for by tokio's `start_seek` while the file was not on disk, done by
    /// `poll_complete`.
    #[cfg(feature = "tokio")]
    seek_requested: Option<SeekFrom>,
}

impl SpooledTemporaryFile {
    /// An empty file in memory, to roll over past `max_size` bytes into a file in the system's
    /// directory for them ([`gettempdir`](crate::fs::gettempdir)). Nothing is created yet, so
    /// this is not async and cannot fail.
    ///
    /// # Examples
    /// See [`SpooledTemporaryFile`].
    pub fn new(max_size: usize) -> SpooledTemporaryFile {
        SpooledTemporaryFile {
            storage: Storage::Memory(Memory::default()),
            max_size: u64::try_from(max_size).unwrap_or(u64::MAX),
            dir: None,
            #[cfg(feature = "tokio")]
            seek_requested: None,
        }
    }

    /// An empty file in memory, to roll over past `max_size` bytes into a file in `dir`.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new_in(4, "/no/such/dir");
    ///     file.write_all(b"fits").await?;
    ///     let error = file.write_all(b"!").await.unwrap_err();
    ///     assert!(error.to_string().contains("/no/such/dir"), "{error}");
    ///     assert!(!file.is_rolled_over());
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new_in(max_size: usize, dir: impl AsRef<Path>) -> SpooledTemporaryFile {
        let mut file = SpooledTemporaryFile::new(max_size);
        file.dir = Some(dir.as_ref().to_owned());
        file
    }

    /// The size past which the bytes move to a file.
    ///
    /// # Examples
    /// ```
    /// let file = anyio::fs::SpooledTemporaryFile::new(1 << 20);
    /// assert_eq!(file.max_size(), 1 << 20);
    /// ```
    pub fn max_size(&self) -> usize {
        usize::try_from(self.max_size).unwrap_or(usize::MAX)
    }

    /// Whether the bytes are in a file on disk (not while a rollover is still in progress, nor
    /// once closed).
    ///
    /// # Examples
    /// See [`SpooledTemporaryFile`].
    pub fn is_rolled_over(&self) -> bool {
        matches!(self.storage, Storage::Disk(_))
    }

    /// Moves the bytes to a file on disk now, whatever their size (AnyIO's `rollover`); nothing
    /// to do if they are there already.
    ///
    /// # Errors
    /// The system's error creating or writing the file, naming its directory; the bytes then
    /// stay in memory. An error on a closed file.
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled rollover goes on, and the next operation waits for it (see
    /// [Cancel safety](SpooledTemporaryFile#cancel-safety)).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(usize::MAX);
    ///     file.write_all(b"small").await?;
    ///     file.rollover().await?;
    ///     assert!(file.is_rolled_over());
    ///     assert_eq!(file.stream_position().await?, 5);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn rollover(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_rollover(cx)).await
    }

    fn poll_rollover(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &self.storage {
                Storage::Memory(_) => self.start_rollover(),
                Storage::Rolling(_) => {
                    if let Some(error) = ready!(self.poll_settle(cx)) {
                        return Poll::Ready(Err(error));
                    }
                }
                Storage::Disk(_) => return Poll::Ready(Ok(())),
                Storage::Closed => return Poll::Ready(Err(closed())),
            }
        }
    }

    /// Starts moving the bytes in memory to a file on a worker thread.
    fn start_rollover(&mut self) {
        match std::mem::replace(&mut self.storage, Storage::Closed) {
            Storage::Memory(memory) => {
                let dir = self.dir.clone();
                let work: RollWork = Box::new(move || roll_over(dir, memory));
                // Abandoned on cancellation, as a file's operations are: it belongs to the file,
                // and the next operation waits for it.
                self.storage = Storage::Rolling(to_thread::run_sync(work).abandon_on_cancel());
            }
            other => self.storage = other,
        }
    }

    /// Waits for a rollover in progress, if any; its error if it failed (then the bytes are
    /// back in memory).
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Error>> {
        let Storage::Rolling(rollover) = &mut self.storage else {
            return Poll::Ready(None);
        };
        match ready!(Pin::new(rollover).poll(cx)) {
            Ok(file) => {
                self.storage = Storage::Disk(Box::new(AsyncFile::from_std(file)));
                Poll::Ready(None)
            }
            Err((error, memory)) => {
                self.storage = Storage::Memory(memory);
                Poll::Ready(Some(error))
            }
        }
    }

    async fn settle(&mut self) {
        // A failed rollover left the bytes in memory, where this operation finds them; the
        // error is for an operation that needs the rollover, which tries again.
        let _ = poll_fn(|cx| self.poll_settle(cx)).await;
    }

    /// Does `operation` on the bytes in memory: for operations that went to the file on disk
    /// if there was one, after [`settle`](Self::settle).
    fn poll_memory<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut operation: impl FnMut(&mut Memory) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        match &mut self.storage {
            Storage::Memory(memory) => {
                let unit = ready!(poll_gate(cx, WaitPoint::File));
                let result = operation(memory);
                unit.made_progress();
                Poll::Ready(result)
            }
            Storage::Closed => Poll::Ready(Err(closed())),
            // Not reached: callers hold `&mut self` from their `settle` on and went to the file
            // on disk if there was one.
            Storage::Rolling(_) | Storage::Disk(_) => Poll::Ready(Err(io::Error::other(
                "anyio: the spooled file moved to disk under an operation in memory",
            ))),
        }
    }

    /// Reads into `dst` from memory, or from the file once rolled over.
    pub(super) fn poll_read_slice(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.storage {
                Storage::Memory(memory) => {
                    let unit = ready!(poll_gate(cx, WaitPoint::File));
                    let n = memory.read(dst);
                    unit.made_progress();
                    return Poll::Ready(Ok(n));
                }
                Storage::Disk(file) => return file.poll_read_slice(cx, dst),
                Storage::Closed => return Poll::Ready(Err(closed())),
                // A failed rollover gave the bytes back: the read finds them in memory.
                Storage::Rolling(_) => drop(ready!(self.poll_settle(cx))),
            }
        }
    }

    /// Writes `src` in memory if the file stays within `max_size`, or else rolls over and
    /// hands it to the file.
    pub(super) fn poll_write_slice(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut failed = None;
        loop {
            match &mut self.storage {
                Storage::Memory(memory) => {
                    let fits = src.is_empty()
                        || memory
                            .size_after_write(src.len())
                            .is_some_and(|size| size <= self.max_size);
                    if fits {
                        let unit = ready!(poll_gate(cx, WaitPoint::File));
                        let written = memory.write(src);
                        unit.made_progress();
                        return Poll::Ready(written);
                    }
                    // A rollover this write waited for failed: that is its answer (the next
                    // write tries again).
                    if let Some(error) = failed {
                        return Poll::Ready(Err(error));
                    }
                    self.start_rollover();
                }
                Storage::Disk(file) => return file.poll_write_slice(cx, src),
                Storage::Closed => return Poll::Ready(Err(closed())),
                Storage::Rolling(_) => failed = ready!(self.poll_settle(cx)),
            }
        }
    }

    /// Hands buffered bytes to the system once on disk; nothing to do in memory.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.storage {
                Storage::Memory(_) => {
                    ready!(poll_gate(cx, WaitPoint::File)).made_progress();
                    return Poll::Ready(Ok(()));
                }
                Storage::Disk(file) => return file.poll_ready(cx, true),
                Storage::Closed => return Poll::Ready(Err(closed())),
                Storage::Rolling(_) => drop(ready!(self.poll_settle(cx))),
            }
        }
    }

    /// The seek of the `futures_io` trait.
    pub(super) fn poll_seek_to(
        &mut self,
        cx: &mut Context<'_>,
        position: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            match &mut self.storage {
                Storage::Memory(memory) => {
                    let unit = ready!(poll_gate(cx, WaitPoint::File));
                    let sought = memory.seek(position);
                    unit.made_progress();
                    return Poll::Ready(sought);
                }
                Storage::Disk(file) => return file.poll_trait_seek(cx, Some(position)),
                Storage::Closed => return Poll::Ready(Err(closed())),
                Storage::Rolling(_) => drop(ready!(self.poll_settle(cx))),
            }
        }
    }

    /// tokio's `start_seek`: on disk, the file's; otherwise remembered for `poll_complete`.
    #[cfg(feature = "tokio")]
    pub(super) fn start_trait_seek(&mut self, position: SeekFrom) -> io::Result<()> {
        match &mut self.storage {
            Storage::Disk(file) => tokio::io::AsyncSeek::start_seek(Pin::new(file), position),
            _ => {
                self.seek_requested = Some(position);
                Ok(())
            }
        }
    }

    /// tokio's `poll_complete`: the requested seek, once the file is settled.
    #[cfg(feature = "tokio")]
    pub(super) fn poll_trait_seek_complete(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<u64>> {
        loop {
            match &mut self.storage {
                Storage::Memory(memory) => {
                    let unit = ready!(poll_gate(cx, WaitPoint::File));
                    let target = self.seek_requested.take().unwrap_or(SeekFrom::Current(0));
                    let sought = memory.seek(target);
                    unit.made_progress();
                    return Poll::Ready(sought);
                }
                Storage::Disk(file) => {
                    // Asked for before the rollover ended: the file's own seek now.
                    if let Some(position) = self.seek_requested.take() {
                        tokio::io::AsyncSeek::start_seek(Pin::new(&mut *file), position)?;
                    }
                    return tokio::io::AsyncSeek::poll_complete(Pin::new(file), cx);
                }
                Storage::Closed => return Poll::Ready(Err(closed())),
                Storage::Rolling(_) => drop(ready!(self.poll_settle(cx))),
            }
        }
    }

    /// Closes the file (`poll_close` of the traits).
    pub(super) fn poll_shut(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.storage {
                Storage::Disk(file) => {
                    let shut = ready!(file.poll_shut(cx));
                    self.storage = Storage::Closed;
                    return Poll::Ready(shut);
                }
                Storage::Memory(_) | Storage::Closed => {
                    self.storage = Storage::Closed;
                    return Poll::Ready(Ok(()));
                }
                Storage::Rolling(_) => drop(ready!(self.poll_settle(cx))),
            }
        }
    }

    /// Reads some bytes into `buf`; `Ok(0)` at the end of the file.
    ///
    /// # Errors
    /// On disk, the system's error; on a closed file, an error.
    ///
    /// # Cancel safety
    /// Cancel safe: in memory a read completes at once or not at all; on disk, as
    /// [`AsyncFile::read`].
    ///
    /// # Examples
    /// ```
    /// use std::io::SeekFrom;
    ///
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(100);
    ///     file.write_all(b"abc").await?;
    ///     file.seek(SeekFrom::Start(1)).await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(file.read(&mut buf).await?, 2);
    ///     assert_eq!(&buf[..2], b"bc");
    ///     assert_eq!(file.read(&mut buf).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_slice(cx, buf)).await
    }

    /// Reads until the end of the file, appending to `buf`; returns how many bytes it read.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    ///
    /// # Cancel safety
    /// Not cancel safe as a whole: bytes already appended to `buf` stay there, and the
    /// position is after them.
    ///
    /// # Examples
    /// See [`SpooledTemporaryFile`].
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = vec![0; 64 * 1024];
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
    /// As [`read`](Self::read); `InvalidData` when the bytes are not UTF-8 (then `buf` is left
    /// as it was).
    ///
    /// # Cancel safety
    /// Not cancel safe: the bytes read before the cancellation are lost to the caller.
    ///
    /// # Examples
    /// ```
    /// use std::io::SeekFrom;
    ///
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(100);
    ///     file.write_all("héllo".as_bytes()).await?;
    ///     file.seek(SeekFrom::Start(0)).await?;
    ///     let mut text = String::new();
    ///     file.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "héllo");
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        let n = self.read_to_end(&mut bytes).await?;
        let text = String::from_utf8(bytes)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        buf.push_str(&text);
        Ok(n)
    }

    /// Fills `buf` exactly.
    ///
    /// # Errors
    /// As [`read`](Self::read); `UnexpectedEof` when the file ends first.
    ///
    /// # Cancel safety
    /// Not cancel safe: the bytes read before the cancellation are lost to the caller.
    ///
    /// # Examples
    /// ```
    /// use std::io::SeekFrom;
    ///
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(100);
    ///     file.write_all(b"0123456789").await?;
    ///     file.seek(SeekFrom::Start(6)).await?;
    ///     let mut four = [0; 4];
    ///     file.read_exact(&mut four).await?;
    ///     assert_eq!(&four, b"6789");
    ///     assert!(file.read_exact(&mut four).await.is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file ended before the buffer was filled",
                ));
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Writes some bytes of `buf` (in memory, all of them), rolling over first if they would
    /// make the file larger than `max_size`.
    ///
    /// # Errors
    /// A failed rollover (the bytes stay in memory, and this write accepted nothing); on disk,
    /// as [`AsyncFile::write`]; on a closed file, an error.
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled call accepted nothing (a rollover it started goes on).
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(10);
    ///     assert_eq!(file.write(b"12345").await?, 5);
    ///     assert!(!file.is_rolled_over());
    ///     file.write(b"67890X").await?;
    ///     assert!(file.is_rolled_over());
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_slice(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    ///
    /// # Cancel safety
    /// Not cancel safe as a whole: a prefix of `buf` may have been written.
    ///
    /// # Examples
    /// See [`SpooledTemporaryFile`].
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Hands buffered bytes to the system once on disk (nothing to do in memory), and reports
    /// any error of an earlier write.
    ///
    /// # Errors
    /// On disk, as [`AsyncFile::flush`]; on a closed file, an error.
    ///
    /// # Cancel safety
    /// Cancel safe, as [`AsyncFile::flush`].
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(0);
    ///     file.write_all(b"on disk").await?;
    ///     file.flush().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Moves the position (`std::io::Seek::seek`) and returns the new one. In memory, as on
    /// disk, the position may go past the end; a write there fills the gap with zeros.
    ///
    /// # Errors
    /// `InvalidInput` for a position before the start; on disk, the system's error.
    ///
    /// # Cancel safety
    /// In memory a seek completes at once or not at all; on disk, as [`AsyncFile::seek`].
    ///
    /// # Examples
    /// See [`SpooledTemporaryFile`].
    pub async fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.settle().await;
        if let Storage::Disk(file) = &mut self.storage {
            return file.seek(position).await;
        }
        poll_fn(|cx| self.poll_memory(cx, |memory| memory.seek(position))).await
    }

    /// The current position.
    ///
    /// # Errors
    /// As [`seek`](Self::seek).
    ///
    /// # Cancel safety
    /// As [`seek`](Self::seek).
    ///
    /// # Examples
    /// See [`rollover`](Self::rollover).
    pub async fn stream_position(&mut self) -> io::Result<u64> {
        self.seek(SeekFrom::Current(0)).await
    }

    /// Truncates or extends (with zeros) the file to `size` bytes, rolling over first if `size`
    /// is larger than `max_size`. The position does not move.
    ///
    /// # Errors
    /// A failed rollover; on disk, the system's error; on a closed file, an error.
    ///
    /// # Cancel safety
    /// A cancelled call may have rolled over (or started to) without resizing.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(100);
    ///     file.write_all(b"0123456789").await?;
    ///     file.set_len(4).await?;
    ///     assert!(!file.is_rolled_over());
    ///     file.set_len(1000).await?;
    ///     assert!(file.is_rolled_over());
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        if size > self.max_size {
            self.rollover().await?;
        } else {
            self.settle().await;
        }
        if let Storage::Disk(file) = &mut self.storage {
            return file.set_len(size).await;
        }
        poll_fn(|cx| self.poll_memory(cx, |memory| memory.set_len(size))).await
    }

    /// Closes the file: frees the memory, or closes the file on disk (which frees it); later
    /// operations are errors. Closing a closed file does nothing.
    ///
    /// # Errors
    /// On disk, as [`AsyncFile::aclose`].
    ///
    /// # Cancel safety
    /// A cancelled close may leave the file open; it is freed when dropped.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let mut file = anyio::fs::SpooledTemporaryFile::new(100);
    ///     file.write_all(b"abc").await?;
    ///     file.aclose().await?;
    ///     assert!(file.write_all(b"more").await.is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn aclose(&mut self) -> io::Result<()> {
        self.settle().await;
        let closed = match &mut self.storage {
            Storage::Disk(file) => file.aclose().await,
            _ => Ok(()),
        };
        self.storage = Storage::Closed;
        closed
    }
}

/// Writes the bytes in memory to a new temporary file in `dir` and puts its position where the
/// memory's was (on a worker thread).
fn roll_over(dir: Option<PathBuf>, memory: Memory) -> Rolled {
    let dir = dir.unwrap_or_else(std::env::temp_dir);
    match write_out(&dir, &memory) {
        Ok(file) => Ok(file),
        Err(error) => Err((
            with_path("roll over to a temporary file in", &dir, error),
            memory,
        )),
    }
}

fn write_out(dir: &Path, memory: &Memory) -> io::Result<File> {
    let mut file = tempfile::tempfile_in(dir)?;
    file.write_all(&memory.data)?;
    file.seek(SeekFrom::Start(memory.position))?;
    Ok(file)
}

fn closed() -> io::Error {
    io::Error::other("the file is closed")
}

impl fmt::Debug for SpooledTemporaryFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("SpooledTemporaryFile");
        debug.field("max_size", &self.max_size);
        match &self.storage {
            Storage::Memory(memory) => debug
                .field("in_memory", &memory.data.len())
                .field("position", &memory.position),
            Storage::Rolling(rollover) => debug.field("rolling_over", rollover),
            Storage::Disk(file) => debug.field("file", file),
            Storage::Closed => debug.field("closed", &true),
        };
        debug.field("dir", &self.dir).finish()
    }
}
