//! Files as anyio byte streams (AnyIO's `anyio.streams.file`): [`FileReadStream`] and
//! [`FileWriteStream`], with the typed attributes [`FilePath`] and [`FileDescriptor`].
//!
//! They let code written against the [stream traits](crate::streams) read from or write to a
//! file: a protocol handler tested against a memory stream can be fed a recorded session from
//! disk, or a response body streamed into a file.

use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};

use super::file::AsyncFile;
use crate::streams::{
    AsyncResource, AttributeRequest, ByteReceiveStream, ByteSendStream, StreamError,
    TypedAttribute, TypedAttributeProvider,
};

/// The path a file stream was opened with (AnyIO's `FileStreamAttribute.path`). Streams made
/// from a file opened some other way do not have it.
///
/// # Examples
/// ```
/// use anyio::fs::{FilePath, FileReadStream};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-fpath-{}", std::process::id()));
///     anyio::fs::write(&path, "x").await?;
///     let stream = FileReadStream::open(&path).await?;
///     assert_eq!(stream.extra(FilePath).unwrap(), path);
///     anyio::fs::remove_file(&path).await
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FilePath;

impl TypedAttribute for FilePath {
    type Value = PathBuf;
}

/// The file descriptor of an open file stream (AnyIO's `FileStreamAttribute.fileno`), for
/// system calls anyio does not wrap. The file itself (AnyIO's `FileStreamAttribute.file`) is
/// had with `into_inner`.
///
/// # Examples
/// ```
/// use anyio::fs::{FileDescriptor, FileReadStream};
/// use anyio::streams::TypedAttributeProvider;
///
/// anyio::run(async {
///     let stream = FileReadStream::open("/").await?;
///     assert!(stream.extra(FileDescriptor).unwrap() >= 0);
///     Ok::<(), std::io::Error>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(unix)]
#[derive(Clone, Copy, Debug)]
pub struct FileDescriptor;

#[cfg(unix)]
impl TypedAttribute for FileDescriptor {
    type Value = std::os::fd::RawFd;
}

/// The attributes both file streams provide.
fn provide_file_attributes(file: &AsyncFile, closed: bool, request: &mut AttributeRequest<'_>) {
    request.provide_optional::<FilePath>(|| file.path().map(Path::to_path_buf));
    #[cfg(unix)]
    if !closed {
        request.provide_optional::<FileDescriptor>(|| file.raw_fd());
    }
    #[cfg(not(unix))]
    let _ = closed;
}

/// A file read as an anyio [`ByteReceiveStream`] (AnyIO's `FileReadStream`): `receive` returns
/// the file's bytes in order, then [`StreamError::EndOfStream`].
///
/// Reads go through the file's read-ahead buffer (see [`AsyncFile`]), so small receives cost
/// no thread hop each.
///
/// # Examples
/// ```
/// use anyio::fs::FileReadStream;
/// use anyio::streams::{ByteReceiveStream, StreamError};
///
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-frs-{}", std::process::id()));
///     anyio::fs::write(&path, "stream me").await?;
///
///     let mut stream = FileReadStream::open(&path).await?;
///     let mut received = Vec::new();
///     let mut buf = [0; 4];
///     loop {
///         match stream.receive(&mut buf).await {
///             Ok(n) => received.extend_from_slice(&buf[..n]),
///             Err(StreamError::EndOfStream) => break,
///             Err(error) => return Err(error.into()),
///         }
///     }
///     assert_eq!(received, b"stream me");
///     anyio::fs::remove_file(&path).await?;
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileReadStream {
    file: AsyncFile,
    closed: bool,
}

impl FileReadStream {
    /// Opens the file at `path` for reading (AnyIO's `FileReadStream.from_path`).
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// As [`AsyncFile::open`]: a cancelled call leaves nothing open.
    ///
    /// # Examples
    /// See [`FileReadStream`].
    pub async fn open(path: impl AsRef<Path>) -> io::Result<FileReadStream> {
        Ok(FileReadStream::new(AsyncFile::open(path).await?))
    }

    /// A stream reading `file` from its position on.
    ///
    /// # Examples
    /// ```
    /// use anyio::fs::{AsyncFile, FileReadStream};
    ///
    /// anyio::run(async {
    ///     let stream = FileReadStream::new(AsyncFile::open("/").await?);
    ///     # drop(stream);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(file: AsyncFile) -> FileReadStream {
        FileReadStream {
            file,
            closed: false,
        }
    }

    /// Moves the read position (AnyIO's `seek`) and returns the new one.
    ///
    /// # Errors
    /// The system's error, naming the path; [`StreamError::Closed`] (as an `io::Error`) after
    /// [`aclose`](AsyncResource::aclose).
    ///
    /// # Cancel safety
    /// As [`AsyncFile::seek`]: a cancelled seek may or may not have moved the position.
    ///
    /// # Examples
    /// ```
    /// use std::io::SeekFrom;
    /// use anyio::fs::FileReadStream;
    /// use anyio::streams::ByteReceiveStream;
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-fseek-{}", std::process::id()));
    ///     anyio::fs::write(&path, "0123456789").await?;
    ///     let mut stream = FileReadStream::open(&path).await?;
    ///     stream.seek(SeekFrom::Start(7)).await?;
    ///     let mut buf = [0; 10];
    ///     let n = stream.receive(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"789");
    ///     assert_eq!(stream.stream_position().await?, 10);
    ///     anyio::fs::remove_file(&path).await?;
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.check_open()?;
        self.file.seek(position).await
    }

    /// The read position (AnyIO's `tell`).
    ///
    /// # Errors
    /// As [`seek`](Self::seek).
    ///
    /// # Cancel safety
    /// Cancel safe: it moves nothing.
    ///
    /// # Examples
    /// See [`seek`](Self::seek).
    pub async fn stream_position(&mut self) -> io::Result<u64> {
        self.check_open()?;
        self.file.stream_position().await
    }

    /// The file back, positioned after the bytes received.
    ///
    /// # Examples
    /// ```
    /// use anyio::fs::FileReadStream;
    ///
    /// anyio::run(async {
    ///     let stream = FileReadStream::open("/").await?;
    ///     let file: anyio::fs::AsyncFile = stream.into_inner();
    ///     # drop(file);
    ///     Ok::<(), std::io::Error>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> AsyncFile {
        self.file
    }

    fn check_open(&self) -> io::Result<()> {
        if self.closed {
            return Err(StreamError::Closed.into());
        }
        Ok(())
    }
}

impl AsyncResource for FileReadStream {
    /// Closes the file.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        // Closed for this side at once (the trait's rule for a cancelled close); the file's own
        // close is asked for again each time, so a close that was cancelled half-way is finished
        // (and its error seen) by the next call. A closed file's close does nothing.
        self.closed = true;
        self.file.aclose().await.map_err(StreamError::from)
    }
}

impl ByteReceiveStream for FileReadStream {
    /// Receives the next bytes of the file, [`StreamError::EndOfStream`] at its end. A read
    /// error is [`StreamError::Broken`] with the error, naming the path, as its cause.
    ///
    /// Cancel safe: a cancelled receive took no bytes.
    async fn receive(&mut self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if buf.is_empty() {
            return Err(StreamError::InvalidInput(
                "`receive` needs a buffer with room for at least one byte",
            ));
        }
        match self.file.read(buf).await {
            Ok(0) => Err(StreamError::EndOfStream),
            Ok(n) => Ok(n),
            Err(error) => Err(StreamError::from(error)),
        }
    }
}

impl TypedAttributeProvider for FileReadStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        provide_file_attributes(&self.file, self.closed, request);
    }
}

impl fmt::Debug for FileReadStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileReadStream")
            .field("file", &self.file)
            .field("closed", &self.closed)
            .finish()
    }
}

/// A file written as an anyio [`ByteSendStream`] (AnyIO's `FileWriteStream`).
///
/// Sends go into the file's write buffer (see [`AsyncFile`]): they reach the system when it
/// fills, at [`flush`](Self::flush), and at [`aclose`](AsyncResource::aclose), which reports
/// any error writing them.
///
/// # Examples
/// ```
/// use anyio::fs::FileWriteStream;
/// use anyio::streams::{AsyncResource, ByteSendStream};
///
/// anyio::run(async {
///     let path = std::env::temp_dir().join(format!("anyio-doc-fws-{}", std::process::id()));
///     let mut stream = FileWriteStream::create(&path).await?;
///     stream.send(b"written ").await?;
///     stream.send(b"as a stream").await?;
///     stream.aclose().await?;
///     assert_eq!(anyio::fs::read_to_string(&path).await?, "written as a stream");
///     anyio::fs::remove_file(&path).await?;
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileWriteStream {
    file: AsyncFile,
    closed: bool,
}

impl FileWriteStream {
    /// Creates or truncates the file at `path` (AnyIO's `FileWriteStream.from_path`).
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// As [`AsyncFile::create`]: a cancelled call may still have created or truncated the file.
    ///
    /// # Examples
    /// See [`FileWriteStream`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<FileWriteStream> {
        Ok(FileWriteStream::new(AsyncFile::create(path).await?))
    }

    /// Opens the file at `path` for appending, creating it if need be (AnyIO's
    /// `FileWriteStream.from_path(path, append=True)`).
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// As [`AsyncFile::with_options`]: a cancelled call may still have created the file.
    ///
    /// # Examples
    /// ```
    /// use anyio::fs::FileWriteStream;
    /// use anyio::streams::{AsyncResource, ByteSendStream};
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-fapp-{}", std::process::id()));
    ///     anyio::fs::write(&path, "one\n").await?;
    ///     let mut log = FileWriteStream::append(&path).await?;
    ///     log.send(b"two\n").await?;
    ///     log.aclose().await?;
    ///     assert_eq!(anyio::fs::read_to_string(&path).await?, "one\ntwo\n");
    ///     anyio::fs::remove_file(&path).await?;
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn append(path: impl AsRef<Path>) -> io::Result<FileWriteStream> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        Ok(FileWriteStream::new(
            AsyncFile::with_options(path, options).await?,
        ))
    }

    /// A stream writing to `file` at its position.
    ///
    /// # Examples
    /// ```
    /// use anyio::fs::{AsyncFile, FileWriteStream};
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-fwnew-{}", std::process::id()));
    ///     let stream = FileWriteStream::new(AsyncFile::create(&path).await?);
    ///     # drop(stream);
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(file: AsyncFile) -> FileWriteStream {
        FileWriteStream {
            file,
            closed: false,
        }
    }

    /// Hands the bytes sent so far to the system, and reports an error of an earlier write.
    ///
    /// # Errors
    /// The error of a write, naming the path; [`StreamError::Closed`] after
    /// [`aclose`](AsyncResource::aclose).
    ///
    /// # Cancel safety
    /// Cancel safe: the write it started completes; the next operation reports its error.
    ///
    /// # Examples
    /// ```
    /// use anyio::fs::FileWriteStream;
    /// use anyio::streams::ByteSendStream;
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-fwfl-{}", std::process::id()));
    ///     let mut stream = FileWriteStream::create(&path).await?;
    ///     stream.send(b"now").await?;
    ///     stream.flush().await?;
    ///     assert_eq!(anyio::fs::read(&path).await?, b"now");
    ///     anyio::fs::remove_file(&path).await?;
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn flush(&mut self) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        self.file.flush().await.map_err(StreamError::from)
    }

    /// The file back, with the bytes sent still in its write buffer.
    ///
    /// # Examples
    /// ```
    /// use anyio::fs::FileWriteStream;
    ///
    /// anyio::run(async {
    ///     let path = std::env::temp_dir().join(format!("anyio-doc-fwin-{}", std::process::id()));
    ///     let mut file = FileWriteStream::create(&path).await?.into_inner();
    ///     file.aclose().await?;
    ///     anyio::fs::remove_file(&path).await
    /// })??;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> AsyncFile {
        self.file
    }
}

impl AsyncResource for FileWriteStream {
    /// Hands the buffered bytes to the system and closes the file; an error writing them is
    /// returned here.
    async fn aclose(&mut self) -> Result<(), StreamError> {
        // Closed for this side at once (the trait's rule for a cancelled close); the file's own
        // close is asked for again each time, so a close that was cancelled half-way is finished
        // (and its error seen) by the next call. A closed file's close does nothing.
        self.closed = true;
        self.file.aclose().await.map_err(StreamError::from)
    }
}

impl ByteSendStream for FileWriteStream {
    /// Accepts all of `data` into the file's write buffer, handing full buffers to the system
    /// as it goes. A write error is [`StreamError::Broken`] with the error, naming the path,
    /// as its cause.
    ///
    /// Not cancel safe, as for `write_all`: a cancelled send may have accepted a first part of
    /// `data` (it will be written).
    async fn send(&mut self, data: &[u8]) -> Result<(), StreamError> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        self.file.write_all(data).await.map_err(StreamError::from)
    }
}

impl TypedAttributeProvider for FileWriteStream {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        provide_file_attributes(&self.file, self.closed, request);
    }
}

impl fmt::Debug for FileWriteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileWriteStream")
            .field("file", &self.file)
            .field("closed", &self.closed)
            .finish()
    }
}
