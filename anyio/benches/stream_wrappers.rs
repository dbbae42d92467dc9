//! The byte stream wrappers beside the native operation each one wraps, in the same run: every
//! iteration processes one fixed in-memory input of about 1 MiB, from a fresh reader.
//!
//! - `receive_4k_chunks` and `receive_64k_chunks`: read 1 MiB from a `&[u8]` to the end, in reads
//!   of 4 KiB (256 of them, so that the cost of a call shows) or 64 KiB (16 of them, so that
//!   the copying dominates). Native: `AsyncReadExt::read` on the `&[u8]`, of futures-lite or
//!   of tokio; anyio: `ByteReceiveStream::receive` on `FuturesIoStream::reader` or
//!   `TokioIoStream::reader` over the same `&[u8]`.
//! - `lines`: split 1 MiB of 80-byte lines at `\n`. Native: futures-lite's
//!   `BufReader::read_until`; anyio: `BufferedByteReceiveStream::receive_until(b"\n", 1024)` over
//!   `FuturesIoStream::reader`, until `IncompleteRead`.
//! - `text`: decode 1 MiB of UTF-8 full of multibyte characters, which the 8 KiB reads split.
//!   Native: `read` 8 KiB chunks, cut each before a character it splits, `str::from_utf8` and
//!   copy the rest into a new `String`, and carry the cut bytes over to the next read; anyio:
//!   `TextStream::receive` over `FuturesIoStream::reader`, until `EndOfStream`.
//!
//! Each group is named `<operation>/<I/O family>` and holds the native code (`native`) beside
//! anyio's wrapper (`anyio`); the function named `native` is the baseline for
//! `cargo run -p bench-table`. In-memory readers never wait and need no reactor, so both
//! functions run on `futures_lite::future::block_on`, with no runtime to add noise.

use std::hint::black_box;
use std::str;
use std::time::Duration;

use anyio::streams::{
    BufferedByteReceiveStream, ByteReceiveStream, FuturesIoStream, ObjectReceiveStream,
    StreamError, TextStream, TokioIoStream,
};
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use futures_lite::future::block_on;

mod common;

use common::timed;

/// The size of the byte inputs.
const INPUT_LEN: usize = 1024 * 1024;

/// The length of a line of the `lines` input, `\n` included.
const LINE_LEN: usize = 80;

/// How much the native text decoder reads at a time: as much as `TextStream` asks for.
const TEXT_CHUNK: usize = 8 * 1024;

/// Times `iters` runs of `op` on `block_on`.
fn on_block_on<F, Fut>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, op: F)
where
    F: Fn() -> Fut + Copy,
    Fut: Future,
{
    group.bench_function(name, |b| b.iter_custom(|iters| block_on(timed(iters, op))));
}

/// What an iteration received: how many pieces (chunks, lines, strings), and how many bytes
/// in all (delimiters excluded), so that both sides can be checked to do the same work.
#[derive(Debug, PartialEq, Eq)]
struct Received {
    pieces: usize,
    bytes: usize,
}

// receive_*_chunks

/// Reads `data` to the end with futures-lite's `read`, `CHUNK` bytes at a time.
async fn chunks_futures_native<const CHUNK: usize>(data: &[u8]) -> Received {
    let mut reader = data;
    let mut buf = [0; CHUNK];
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        let n = futures_lite::AsyncReadExt::read(&mut reader, &mut buf)
            .await
            .unwrap();
        if n == 0 {
            return received;
        }
        black_box(&buf[..n]);
        received.pieces += 1;
        received.bytes += n;
    }
}

/// Reads `data` to the end with tokio's `read`, `CHUNK` bytes at a time.
async fn chunks_tokio_native<const CHUNK: usize>(data: &[u8]) -> Received {
    let mut reader = data;
    let mut buf = [0; CHUNK];
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buf)
            .await
            .unwrap();
        if n == 0 {
            return received;
        }
        black_box(&buf[..n]);
        received.pieces += 1;
        received.bytes += n;
    }
}

/// Receives everything from `stream`, `CHUNK` bytes at a time.
async fn chunks_anyio<const CHUNK: usize>(mut stream: impl ByteReceiveStream) -> Received {
    let mut buf = [0; CHUNK];
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        match stream.receive(&mut buf).await {
            Ok(n) => {
                black_box(&buf[..n]);
                received.pieces += 1;
                received.bytes += n;
            }
            Err(StreamError::EndOfStream) => return received,
            Err(error) => panic!("{error}"),
        }
    }
}

/// The groups `receive_<size>_chunks/futures-io` and `receive_<size>_chunks/tokio`.
fn receive_chunks<const CHUNK: usize>(c: &mut Criterion, data: &[u8]) {
    let name = format!("receive_{}k_chunks", CHUNK / 1024);
    let expected = Received {
        pieces: INPUT_LEN / CHUNK,
        bytes: INPUT_LEN,
    };

    let native = || chunks_futures_native::<CHUNK>(data);
    let anyio = || chunks_anyio::<CHUNK>(FuturesIoStream::reader(data));
    assert_eq!(block_on(native()), expected);
    assert_eq!(block_on(anyio()), expected);
    let mut group = c.benchmark_group(format!("{name}/futures-io"));
    on_block_on(&mut group, "native", native);
    on_block_on(&mut group, "anyio", anyio);
    group.finish();

    let native = || chunks_tokio_native::<CHUNK>(data);
    let anyio = || chunks_anyio::<CHUNK>(TokioIoStream::reader(data));
    assert_eq!(block_on(native()), expected);
    assert_eq!(block_on(anyio()), expected);
    let mut group = c.benchmark_group(format!("{name}/tokio"));
    on_block_on(&mut group, "native", native);
    on_block_on(&mut group, "anyio", anyio);
    group.finish();
}

fn receive_4k_chunks(c: &mut Criterion) {
    receive_chunks::<{ 4 * 1024 }>(c, &vec![0xA5; INPUT_LEN]);
}

fn receive_64k_chunks(c: &mut Criterion) {
    receive_chunks::<{ 64 * 1024 }>(c, &vec![0xA5; INPUT_LEN]);
}

// lines

/// `INPUT_LEN / LINE_LEN` lines of `LINE_LEN - 1` printable bytes and a `\n` each.
fn lines_input() -> Vec<u8> {
    let mut input = Vec::with_capacity(INPUT_LEN);
    for line in 0..INPUT_LEN / LINE_LEN {
        let start = input.len();
        input.extend((0..LINE_LEN - 1).map(|i| b' ' + ((line + i) % 94) as u8 + 1));
        input.push(b'\n');
        debug_assert_eq!(input.len() - start, LINE_LEN);
    }
    input
}

/// Splits `data` into lines with futures-lite's `BufReader::read_until`.
async fn lines_native(data: &[u8]) -> Received {
    let mut reader = futures_lite::io::BufReader::new(data);
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        // A new `Vec` for every line, not one cleared and reused: `receive_until` returns a
        // new `Vec` per line, so both sides allocate as often.
        let mut line = Vec::new();
        let n = futures_lite::AsyncBufReadExt::read_until(&mut reader, b'\n', &mut line)
            .await
            .unwrap();
        if n == 0 {
            return received;
        }
        // `read_until` keeps the delimiter, `receive_until` drops it.
        assert_eq!(line.pop(), Some(b'\n'));
        received.pieces += 1;
        received.bytes += line.len();
        black_box(line);
    }
}

/// Splits `data` into lines with `BufferedByteReceiveStream::receive_until`.
async fn lines_anyio(data: &[u8]) -> Received {
    let mut stream = BufferedByteReceiveStream::new(FuturesIoStream::reader(data));
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        match stream.receive_until(b"\n", 1024).await {
            Ok(line) => {
                received.pieces += 1;
                received.bytes += line.len();
                black_box(line);
            }
            Err(StreamError::IncompleteRead) => {
                assert!(stream.buffer().is_empty(), "a line without its `\\n`");
                return received;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

fn lines(c: &mut Criterion) {
    let input = lines_input();
    let data = &input[..];
    let expected = Received {
        pieces: INPUT_LEN / LINE_LEN,
        bytes: INPUT_LEN / LINE_LEN * (LINE_LEN - 1),
    };
    let native = || lines_native(data);
    let anyio = || lines_anyio(data);
    assert_eq!(block_on(native()), expected);
    assert_eq!(block_on(anyio()), expected);
    let mut group = c.benchmark_group("lines/futures-io");
    on_block_on(&mut group, "native", native);
    on_block_on(&mut group, "anyio", anyio);
    group.finish();
}

// text

/// About `INPUT_LEN` bytes of UTF-8 text mixing characters of 1, 2, 3 and 4 bytes, in lines
/// of 84 bytes, which 8 KiB is not a multiple of: 23 of the 129 reads end inside a character.
fn text_input() -> String {
    const LINE: &str = "Grüße aus Köln, naïve café — 東京と大阪 🦀🚀, ½ € ∑ λ → ok.\n";
    LINE.repeat(INPUT_LEN / LINE.len())
}

/// The length of `bytes` without a character cut short at their end (`bytes` are UTF-8 up
/// to that cut; anything else is left to `str::from_utf8` to reject).
fn without_split_char(bytes: &[u8]) -> usize {
    // The last character starts at the last byte that is not a continuation (`0b10xx_xxxx`).
    let tail = bytes.len().saturating_sub(4);
    let Some(at) = bytes[tail..].iter().rposition(|&b| b & 0xC0 != 0x80) else {
        return bytes.len();
    };
    let start = tail + at;
    let width = match bytes[start] {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    if start + width > bytes.len() {
        start
    } else {
        bytes.len()
    }
}

/// Decodes `data` read in 8 KiB chunks: each chunk's text up to the character it splits, if
/// any, is validated once and copied into a new `String`; the split character's first bytes
/// are carried over to the front of the next read.
async fn text_native(data: &[u8]) -> Received {
    let mut reader = data;
    let mut buf = [0; TEXT_CHUNK];
    let mut held = 0;
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        let n = futures_lite::AsyncReadExt::read(&mut reader, &mut buf[held..])
            .await
            .unwrap();
        if n == 0 {
            assert_eq!(held, 0, "the input ends inside a character");
            return received;
        }
        let filled = held + n;
        let complete = without_split_char(&buf[..filled]);
        if complete > 0 {
            let text = str::from_utf8(&buf[..complete]).unwrap().to_owned();
            received.pieces += 1;
            received.bytes += text.len();
            black_box(text);
        }
        buf.copy_within(complete..filled, 0);
        held = filled - complete;
    }
}

/// Decodes `data` with `TextStream::receive`.
async fn text_anyio(data: &[u8]) -> Received {
    let mut stream = TextStream::new(FuturesIoStream::reader(data));
    let mut received = Received {
        pieces: 0,
        bytes: 0,
    };
    loop {
        match stream.receive().await {
            Ok(text) => {
                received.pieces += 1;
                received.bytes += text.len();
                black_box(text);
            }
            Err(StreamError::EndOfStream) => return received,
            Err(error) => panic!("{error}"),
        }
    }
}

fn text(c: &mut Criterion) {
    let input = text_input();
    let data = input.as_bytes();
    let native = || text_native(data);
    let anyio = || text_anyio(data);
    let received = block_on(native());
    assert_eq!(received.bytes, data.len());
    assert_eq!(block_on(anyio()), received);
    let mut group = c.benchmark_group("text/futures-io");
    on_block_on(&mut group, "native", native);
    on_block_on(&mut group, "anyio", anyio);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = receive_4k_chunks, receive_64k_chunks, lines, text
}
criterion_main!(benches);
