//! [`Lines`]: a file's lines as a stream of `String`s (AnyIO's `async for line in file`).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::file::AsyncFile;
use crate::backend::wait_point::WaitPoint;
use crate::cancel::gate::poll_gate;

impl AsyncFile {
    /// The file's lines from its position on, as a [`Stream`](futures_core::Stream) of
    /// `String`s (AnyIO's line iteration over an `AsyncFile`).
    ///
    /// As with `std::io::BufRead::lines`, each line comes without its `\n` (or `\r\n`), and a
    /// last line without a newline counts. The lines are read from the file's own read-ahead
    /// buffer: about one thread hop per buffer, however short the lines.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-lines-{}", std::process::id()));
    ///     anyio::fs::write(&path, "first\r\nsecond\nthird").await?;
    ///
    ///     let mut lines = anyio::fs::AsyncFile::open(&path).await?.lines();
    ///     let mut seen = Vec::new();
    ///     while let Some(line) = lines.next_line().await? {
    ///         seen.push(line);
    ///     }
    ///     assert_eq!(seen, ["first", "second", "third"]);
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lines(self) -> Lines {
        Lines {
            file: self,
            line: Vec::new(),
        }
    }
}

/// The lines of an [`AsyncFile`], made by [`AsyncFile::lines`]: a
/// [`Stream`](futures_core::Stream) of `io::Result<String>`, or call
/// [`next_line`](Self::next_line).
///
/// # Examples
/// With the `Stream` trait (here through `futures_lite::StreamExt`):
/// ```
/// use futures_lite::StreamExt;
///
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-lstream-{}", std::process::id()));
///     anyio::fs::write(&path, "a\nbb\nccc\n").await?;
///     let lengths: Vec<usize> = anyio::fs::AsyncFile::open(&path)
///         .await?
///         .lines()
///         .map(|line| line.map(|line| line.len()))
///         .try_collect()
///         .await?;
///     assert_eq!(lengths, [1, 2, 3]);
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Lines {
    file: AsyncFile,
    /// The start of a line whose end has not been read yet.
    line: Vec<u8>,
}

impl Lines {
    /// The next line, or `None` at the end of the file.
    ///
    /// # Errors
    /// An error reading the file, or `InvalidData` for a line that is not UTF-8 (the line is
    /// skipped; the next call reads the one after it).
    ///
    /// # Cancel safety
    /// Cancel safe: the part of a line read by a cancelled call stays in the stream, and the
    /// next call returns the whole line.
    ///
    /// # Examples
    /// See [`AsyncFile::lines`].
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        poll_fn(|cx| self.poll_next_line(cx)).await
    }

    /// The file back, positioned after the last line returned. Bytes of a line that was being
    /// read when a call was cancelled are lost with the stream.
    ///
    /// # Examples
    /// ```
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-linner-{}", std::process::id()));
    ///     anyio::fs::write(&path, "header\nbody").await?;
    ///     let mut lines = anyio::fs::AsyncFile::open(&path).await?.lines();
    ///     assert_eq!(lines.next_line().await?.as_deref(), Some("header"));
    ///     let mut rest = String::new();
    ///     lines.into_inner().read_to_string(&mut rest).await?;
    ///     assert_eq!(rest, "body");
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> AsyncFile {
        self.file
    }

    fn poll_next_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        let unit = ready!(poll_gate(cx, WaitPoint::File));
        let line = ready!(self.poll_next_line_ungated(cx));
        unit.made_progress();
        Poll::Ready(line)
    }

    fn poll_next_line_ungated(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        loop {
            let ahead = ready!(self.file.poll_fill_buf_ungated(cx))?;
            if ahead.is_empty() {
                if self.line.is_empty() {
                    return Poll::Ready(Ok(None));
                }
                // A last line without a newline: a `\r` at its end is one of its characters.
                return Poll::Ready(self.finish(false).map(Some));
            }
            match memchr::memchr(b'\n', ahead) {
                Some(end) => {
                    self.line.extend_from_slice(&ahead[..end]);
                    self.file.consume(end + 1);
                    return Poll::Ready(self.finish(true).map(Some));
                }
                None => {
                    let n = ahead.len();
                    self.line.extend_from_slice(ahead);
                    self.file.consume(n);
                }
            }
        }
    }

    /// The line gathered so far as a `String`, without the `\r` of a `\r\n` if it ended at a
    /// `newline`.
    fn finish(&mut self, newline: bool) -> io::Result<String> {
        let mut line = std::mem::take(&mut self.line);
        if newline && line.last() == Some(&b'\r') {
            line.pop();
        }
        String::from_utf8(line).map_err(|error| {
            let error = io::Error::new(io::ErrorKind::InvalidData, error.utf8_error());
            self.file.error("read a line of", error)
        })
    }
}

impl futures_core::Stream for Lines {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_line(cx).map(Result::transpose)
    }
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("file", &self.file)
            .field("partial_line_bytes", &self.line.len())
            .finish()
    }
}
