//! `BufferedByteReceiveStream` and `ChunkedByteStream`, on every backend: exact and delimited
//! receives across chunk boundaries, failures and cancellations that leave the buffer intact,
//! and a randomized comparison with a plain split.
#![cfg(feature = "macros")]

use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use anyio::streams::memory::{MemoryObjectSender, TrySendError};
use anyio::streams::{
    AsyncResource, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream,
    ChunkedByteStream, FuturesIoStream, StreamError,
};
use anyio::{create_memory_object_stream, create_unbounded_memory_object_stream};
use futures_lite::future::poll_once;

use common::{XorShift, byte_pipe};

mod common;

type Chunks = ChunkedByteStream<anyio::streams::memory::MemoryObjectReceiver<Vec<u8>>>;

/// A buffered stream fed by the returned sender, one chunk per send.
fn fed_by_chunks() -> (
    MemoryObjectSender<Vec<u8>>,
    BufferedByteReceiveStream<Chunks>,
) {
    let (tx, rx) = create_unbounded_memory_object_stream();
    (
        tx,
        BufferedByteReceiveStream::new(ChunkedByteStream::new(rx)),
    )
}

#[anyio::test]
async fn receive_exactly_gathers_bytes_across_chunks() {
    let (tx, mut stream) = fed_by_chunks();
    for chunk in [&b"ab"[..], b"", b"cde", b"f"] {
        tx.try_send(chunk.to_vec()).unwrap();
    }
    assert_eq!(stream.receive_exactly(0).await.unwrap(), b"");
    assert_eq!(stream.receive_exactly(4).await.unwrap(), b"abcd");
    assert_eq!(stream.receive_exactly(2).await.unwrap(), b"ef");
    assert!(stream.buffer().is_empty());
}

#[anyio::test]
async fn an_incomplete_read_keeps_every_byte() {
    let (tx, mut stream) = fed_by_chunks();
    tx.try_send(b"abc".to_vec()).unwrap();
    drop(tx);
    assert!(matches!(
        stream.receive_exactly(5).await,
        Err(StreamError::IncompleteRead)
    ));
    assert_eq!(stream.buffer(), b"abc");
    let mut buf = [0; 8];
    assert_eq!(stream.receive(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
    assert!(matches!(
        stream.receive(&mut buf).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(matches!(
        stream.receive_until(b"\n", 8).await,
        Err(StreamError::IncompleteRead)
    ));
}

#[anyio::test]
async fn receive_until_finds_a_delimiter_split_between_chunks() {
    let (tx, mut stream) = fed_by_chunks();
    for chunk in [&b"one\r"[..], b"\ntwo", b"\r", b"\n\r\nrest"] {
        tx.try_send(chunk.to_vec()).unwrap();
    }
    assert_eq!(stream.receive_until(b"\r\n", 100).await.unwrap(), b"one");
    assert_eq!(stream.receive_until(b"\r\n", 100).await.unwrap(), b"two");
    assert_eq!(stream.receive_until(b"\r\n", 100).await.unwrap(), b"");
    assert_eq!(stream.buffer(), b"rest");
}

#[anyio::test]
async fn max_bytes_bounds_the_bytes_before_the_delimiter() {
    let (tx, mut stream) = fed_by_chunks();
    tx.try_send(b"12345\n123456\n".to_vec()).unwrap();
    assert_eq!(stream.receive_until(b"\n", 5).await.unwrap(), b"12345");
    assert!(matches!(
        stream.receive_until(b"\n", 5).await,
        Err(StreamError::DelimiterNotFound { max_bytes: 5 })
    ));
    assert_eq!(stream.buffer(), b"123456\n", "the buffer is intact");
    assert_eq!(stream.receive_until(b"\n", 6).await.unwrap(), b"123456");
}

#[anyio::test]
async fn delimiter_not_found_waits_for_max_bytes_to_arrive() {
    let (tx, mut stream) = fed_by_chunks();
    tx.try_send(b"abcd".to_vec()).unwrap();
    {
        let mut receiving = pin!(stream.receive_until(b"--", 5));
        assert!(
            poll_once(&mut receiving).await.is_none(),
            "5 bytes and a delimiter could still come"
        );
        tx.try_send(b"e-x".to_vec()).unwrap();
        assert!(matches!(
            receiving.await,
            Err(StreamError::DelimiterNotFound { max_bytes: 5 })
        ));
    }
    assert_eq!(stream.buffer(), b"abcde-x");
}

#[anyio::test]
async fn an_empty_delimiter_is_an_error() {
    let (_tx, mut stream) = fed_by_chunks();
    assert!(matches!(
        stream.receive_until(b"", 10).await,
        Err(StreamError::InvalidInput(_))
    ));
}

#[anyio::test]
async fn a_cancelled_receive_until_keeps_what_it_received() {
    let (tx, mut stream) = fed_by_chunks();
    tx.try_send(b"hel".to_vec()).unwrap();
    {
        let mut receiving = pin!(stream.receive_until(b"\n", 100));
        assert!(poll_once(&mut receiving).await.is_none());
    } // cancelled mid-flight, after receiving "hel"
    assert_eq!(stream.buffer(), b"hel");
    tx.try_send(b"lo\n".to_vec()).unwrap();
    assert_eq!(stream.receive_until(b"\n", 100).await.unwrap(), b"hello");
}

#[anyio::test]
async fn a_cancelled_receive_exactly_keeps_what_it_received() {
    let (tx, mut stream) = fed_by_chunks();
    tx.try_send(b"ab".to_vec()).unwrap();
    // The deadline strikes while the receive waits for its last two bytes.
    let cancelled = anyio::move_on_after(Duration::from_millis(5), stream.receive_exactly(4)).await;
    assert!(cancelled.is_none());
    assert_eq!(stream.buffer(), b"ab");
    tx.try_send(b"cd".to_vec()).unwrap();
    assert_eq!(stream.receive_exactly(4).await.unwrap(), b"abcd");
}

#[anyio::test]
async fn receive_serves_the_buffer_first_and_fed_data_counts() {
    let (tx, mut stream) = fed_by_chunks();
    stream.feed_data(b"fed");
    tx.try_send(b"sent".to_vec()).unwrap();
    let mut buf = [0; 2];
    assert_eq!(stream.receive(&mut buf).await.unwrap(), 2);
    assert_eq!(&buf, b"fe");
    assert_eq!(stream.receive(&mut buf).await.unwrap(), 1);
    assert_eq!(stream.receive_exactly(4).await.unwrap(), b"sent");
    assert!(matches!(
        stream.receive(&mut []).await,
        Err(StreamError::InvalidInput(_))
    ));
}

#[anyio::test]
async fn a_closed_buffered_stream_fails_and_gives_its_buffer_back() {
    let (tx, mut stream) = fed_by_chunks();
    tx.try_send(b"abc".to_vec()).unwrap();
    assert!(
        poll_once(pin!(stream.receive_until(b"\n", 10)))
            .await
            .is_none()
    );
    assert_eq!(stream.buffer(), b"abc");
    stream.aclose().await.unwrap();
    assert!(matches!(
        stream.receive_exactly(1).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        stream.receive_until(b"\n", 1).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(
        stream.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(
        matches!(tx.try_send(vec![1]), Err(TrySendError::Broken(_))),
        "the inner stream was closed"
    );
    let (_inner, rest) = stream.into_parts();
    assert_eq!(rest, b"abc");
}

#[anyio::test]
async fn a_buffered_two_way_stream_sends_through() {
    let (client, server) = byte_pipe(4);
    let mut client = BufferedByteReceiveStream::new(client);
    let mut server = BufferedByteReceiveStream::new(server);
    client.send(b"ping\n").await.unwrap();
    client.send_eof().await.unwrap();
    assert_eq!(server.receive_until(b"\n", 10).await.unwrap(), b"ping");
    assert!(matches!(
        server.receive_until(b"\n", 10).await,
        Err(StreamError::IncompleteRead)
    ));
    server.send(b"pong").await.unwrap();
    assert_eq!(client.receive_exactly(4).await.unwrap(), b"pong");
    assert!(matches!(
        client.send(b"late").await,
        Err(StreamError::Closed)
    ));
}

#[anyio::test]
async fn chunks_larger_than_the_buffer_are_split_and_the_rest_is_kept() {
    let (tx, rx) = create_memory_object_stream::<Vec<u8>>(4);
    tx.try_send(b"abcdef".to_vec()).unwrap();
    tx.try_send(Vec::new()).unwrap();
    tx.try_send(b"g".to_vec()).unwrap();
    let mut stream = ChunkedByteStream::new(rx);
    let mut buf = [0; 4];
    assert_eq!(stream.receive(&mut buf).await.unwrap(), 4);
    assert_eq!(&buf, b"abcd");
    assert_eq!(stream.receive(&mut buf).await.unwrap(), 2);
    assert_eq!(&buf[..2], b"ef");
    assert_eq!(
        stream.receive(&mut buf).await.unwrap(),
        1,
        "the empty chunk is skipped"
    );
    assert_eq!(&buf[..1], b"g");
    tx.try_send(b"xyz".to_vec()).unwrap();
    assert_eq!(stream.receive(&mut buf[..1]).await.unwrap(), 1);
    let (_rx, rest) = stream.into_parts();
    assert_eq!(rest, b"yz");
}

/// Splits a byte string with random delimiters into random chunks, and checks that
/// `receive_until` gives back exactly the pieces a plain split gives.
#[anyio::test]
async fn receive_until_agrees_with_a_plain_split() {
    let mut random = XorShift(0x5eed);
    for round in 0..200 {
        let delimiter: &[u8] = [&b"\n"[..], b"--", b"abc", b"aab"][round % 4];
        let mut data = Vec::new();
        for _ in 0..random.below(8) {
            for _ in 0..random.below(12) {
                data.push(b"ab-c\nx"[random.below(6) as usize]);
            }
            data.extend_from_slice(delimiter);
        }
        let (expected, remainder) = split(&data, delimiter);
        let (tx, mut stream) = fed_by_chunks();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = (1 + random.below(7) as usize).min(rest.len());
            tx.try_send(rest[..n].to_vec()).unwrap();
            rest = &rest[n..];
        }
        drop(tx);
        let mut got = Vec::new();
        loop {
            match stream.receive_until(delimiter, 64).await {
                Ok(piece) => got.push(piece),
                Err(StreamError::IncompleteRead) => break,
                Err(error) => panic!("round {round}: {error}"),
            }
        }
        assert_eq!(
            got,
            expected,
            "round {round}: {:?}",
            String::from_utf8_lossy(&data)
        );
        assert_eq!(
            stream.buffer(),
            remainder,
            "round {round}: the remainder is kept"
        );
    }
}

/// The pieces of `data` before each `delimiter`, splitting left to right, and what follows
/// the last delimiter.
fn split<'a>(mut data: &'a [u8], delimiter: &[u8]) -> (Vec<&'a [u8]>, &'a [u8]) {
    let mut pieces = Vec::new();
    while let Some(at) = data.windows(delimiter.len()).position(|w| w == delimiter) {
        pieces.push(&data[..at]);
        data = &data[at + delimiter.len()..];
    }
    (pieces, data)
}

#[anyio::test]
async fn a_huge_length_grows_the_buffer_only_by_what_arrives() {
    // As from a length header a hostile peer sent: the buffer must not be sized by it.
    let mut stream = BufferedByteReceiveStream::new(FuturesIoStream::reader(&b"hello"[..]));
    assert!(matches!(
        stream.receive_exactly(usize::MAX / 2).await,
        Err(StreamError::IncompleteRead)
    ));
    assert_eq!(stream.buffer(), b"hello");
}

#[anyio::test]
async fn a_closed_chunked_stream_fails_even_mid_chunk() {
    let (tx, rx) = create_unbounded_memory_object_stream::<Vec<u8>>();
    tx.try_send(b"abcdef".to_vec()).unwrap();
    let mut stream = ChunkedByteStream::new(rx);
    let mut buf = [0; 2];
    stream.receive(&mut buf).await.unwrap();
    stream.aclose().await.unwrap();
    assert!(matches!(
        stream.receive(&mut buf).await,
        Err(StreamError::Closed)
    ));
}

/// Reads its data in chunks of random sizes, up to 20,000 bytes.
struct RandomReads {
    data: Vec<u8>,
    at: usize,
    random: XorShift,
}

impl futures_io::AsyncRead for RandomReads {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let left = self.data.len() - self.at;
        let n = (1 + self.random.below(20_000) as usize)
            .min(buf.len())
            .min(left);
        let at = self.at;
        buf[..n].copy_from_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(n))
    }
}

/// Hundreds of kilobytes through the buffer, so that it compacts and grows, in pieces taken
/// by `receive_exactly` and `receive_until` at random, with limits right at the boundary.
#[anyio::test]
async fn large_mixed_receives_survive_compaction() {
    let mut random = XorShift(42);
    for round in 0..10 {
        let mut data = Vec::new();
        let mut pieces = Vec::new();
        for _ in 0..200 {
            let len = random.below(3000) as usize;
            let piece: Vec<u8> = (0..len)
                .map(|_| b"abxy\r"[random.below(5) as usize])
                .collect();
            let piece: Vec<u8> = piece.into_iter().filter(|&b| b != b'\r').collect();
            let delimited = random.below(2) == 0;
            data.extend_from_slice(&piece);
            if delimited {
                data.extend_from_slice(b"\r\n");
            }
            pieces.push((delimited, piece));
        }
        let reads = RandomReads {
            data,
            at: 0,
            random: XorShift(round + 1),
        };
        let mut stream = BufferedByteReceiveStream::new(FuturesIoStream::reader(reads));
        for (i, (delimited, piece)) in pieces.iter().enumerate() {
            let got = if *delimited {
                let slack = random.below(3) as usize;
                stream.receive_until(b"\r\n", piece.len() + slack).await
            } else {
                stream.receive_exactly(piece.len()).await
            };
            assert_eq!(&got.unwrap(), piece, "round {round}, piece {i}");
        }
        assert!(matches!(
            stream.receive_exactly(1).await,
            Err(StreamError::IncompleteRead)
        ));
    }
}

/// The limit is exact: the bytes before the delimiter may number `max_bytes`, not one more,
/// however the bytes are chunked (and with a delimiter that overlaps the bytes before it).
#[anyio::test]
async fn max_bytes_is_exact_whatever_the_chunking() {
    let mut random = XorShift(7);
    for _ in 0..300 {
        let len = random.below(40) as usize;
        let max_bytes = random.below(40) as usize;
        let mut data = vec![b'a'; len];
        data.extend_from_slice(b"ab--tail");
        let (tx, mut stream) = fed_by_chunks();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = (1 + random.below(5) as usize).min(rest.len());
            tx.try_send(rest[..n].to_vec()).unwrap();
            rest = &rest[n..];
        }
        drop(tx);
        let result = stream.receive_until(b"ab", max_bytes).await;
        if len <= max_bytes {
            assert_eq!(
                result.unwrap(),
                vec![b'a'; len],
                "len {len}, max {max_bytes}"
            );
            assert!(
                b"--tail".starts_with(stream.buffer()),
                "the delimiter was consumed"
            );
        } else {
            assert!(
                matches!(result, Err(StreamError::DelimiterNotFound { .. })),
                "len {len}, max {max_bytes}: {result:?}"
            );
            assert!(data.starts_with(stream.buffer()), "the buffer is intact");
        }
    }
}

#[anyio::test]
async fn after_a_header_the_rest_goes_to_async_buf_read_code() {
    use futures_lite::{AsyncBufReadExt, AsyncReadExt};
    let input = FuturesIoStream::reader(&b"HEADER\nline one\nline two\nbody"[..]);
    let mut stream = BufferedByteReceiveStream::new(input);
    assert_eq!(stream.receive_until(b"\n", 100).await.unwrap(), b"HEADER");
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    assert_eq!(line, "line one\n");
    let mut rest = String::new();
    stream.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "line two\nbody");
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn a_buffered_tokio_stream_is_a_tokio_buf_reader() {
    use anyio::streams::TokioIoStream;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let (near, far) = tokio::io::duplex(64);
    let mut near = BufferedByteReceiveStream::new(TokioIoStream::new(near));
    let mut far = TokioIoStream::new(far);
    far.write_all(b"id 7\nrest").await.unwrap();
    far.shutdown().await.unwrap();
    assert_eq!(near.receive_until(b" ", 10).await.unwrap(), b"id");
    let mut line = String::new();
    near.read_line(&mut line).await.unwrap();
    assert_eq!(line, "7\n");
    let mut rest = Vec::new();
    near.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"rest");
    near.write_all(b"ok").await.unwrap();
    let mut reply = [0; 2];
    far.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"ok");
    near.aclose().await.unwrap();
    let error = near.read(&mut [0; 4]).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotConnected);
}

/// An object stream with chunks forever, whose close never finishes.
struct EndlessChunks;

impl anyio::streams::TypedAttributeProvider for EndlessChunks {}

impl AsyncResource for EndlessChunks {
    async fn aclose(&mut self) -> Result<(), StreamError> {
        std::future::pending().await
    }
}

impl anyio::streams::ObjectReceiveStream for EndlessChunks {
    type Item = Vec<u8>;

    async fn receive(&mut self) -> Result<Vec<u8>, StreamError> {
        Ok(b"chunk".to_vec())
    }
}

#[anyio::test]
async fn a_cancelled_close_leaves_the_chunked_stream_closed() {
    let mut stream = ChunkedByteStream::new(EndlessChunks);
    assert!(poll_once(pin!(stream.aclose())).await.is_none());
    assert!(matches!(
        stream.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
}
