//! Property tests of the stream wrappers that parse what a peer sends, on every backend:
//! `BufferedByteReceiveStream` against a plain model of its documented behaviour (random
//! chunking by the peer, random delimiters and limits, cancellations mid-flight), and
//! `TextStream` against `str::from_utf8` (arbitrary bytes, random chunking and every split).
//!
//! CI runs a moderate number of cases with a fixed seed; see `support/props.rs` for a long
//! run (`PROPTEST_CASES`, `PROPTEST_RNG_SEED`).

use std::future::Future;
use std::pin::pin;

use anyio::create_memory_object_stream;
use anyio::streams::memory::{MemoryObjectReceiver, MemoryObjectSender};
use anyio::streams::{
    BufferedByteReceiveStream, ByteReceiveStream, ChunkedByteStream, ObjectReceiveStream,
    StreamError, TextStream,
};
use futures_lite::future::{poll_once, zip};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::props::{config, on_every_backend};

/// The inner stream of the wrappers under test: bytes arriving in the chunks the peer sent.
type Wire = ChunkedByteStream<MemoryObjectReceiver<Vec<u8>>>;

/// Splits `data` into chunks of the lengths in `lengths`, taken in turn (0: an empty chunk).
fn chunk(data: &[u8], lengths: &[usize]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut rest = data;
    let mut idle = 0;
    for &len in lengths.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let len = len.min(rest.len());
        chunks.push(rest[..len].to_vec());
        rest = &rest[len..];
        // Only empty chunks in the list: send the rest whole rather than loop.
        idle = if len == 0 { idle + 1 } else { 0 };
        if idle >= lengths.len() {
            chunks.push(rest.to_vec());
            break;
        }
    }
    chunks
}

/// The peer: sends `chunks` one by one (waiting for room when the wire's capacity is 0, so
/// that sends and receives interleave), then ends the stream.
async fn peer(tx: MemoryObjectSender<Vec<u8>>, chunks: Vec<Vec<u8>>) {
    for chunk in chunks {
        if tx.send(chunk).await.is_err() {
            return; // the receiver is gone: it has seen what it wanted
        }
    }
}

/// A wire and the sender that feeds it.
fn wire(capacity: usize) -> (MemoryObjectSender<Vec<u8>>, Wire) {
    let (tx, rx) = create_memory_object_stream(capacity);
    (tx, ChunkedByteStream::new(rx))
}

/// Polls `future` at most `polls` times, letting the other tasks run between polls, and
/// drops it if it has not finished by then: a cancellation at a point the test chooses.
async fn poll_at_most<F: Future>(future: F, polls: u8) -> Option<F::Output> {
    let mut future = pin!(future);
    for _ in 0..polls {
        if let Some(output) = poll_once(future.as_mut()).await {
            return Some(output);
        }
        anyio::lowlevel::checkpoint().await;
    }
    None
}

/// What the buffered stream is asked to do.
#[derive(Clone, Debug)]
enum Op {
    Exactly(usize),
    Until(Vec<u8>, usize),
    /// A plain receive into a buffer of this size.
    Receive(usize),
    /// `receive_until`, cancelled after this many polls unless it finished.
    CancelledUntil(Vec<u8>, usize, u8),
    /// `receive_exactly`, cancelled after this many polls unless it finished.
    CancelledExactly(usize, u8),
}

/// What the specification says an operation gives, for the bytes not yet received.
#[derive(Debug, PartialEq)]
enum Expected {
    /// These bytes, and this many more consumed (the delimiter).
    Bytes(Vec<u8>, usize),
    IncompleteRead,
    DelimiterNotFound(usize),
    InvalidInput,
}

/// `receive_exactly(n)` by the documentation: `n` bytes if that many remain before the end,
/// else an incomplete read that consumes nothing.
fn model_exactly(rest: &[u8], n: usize) -> Expected {
    if rest.len() >= n {
        Expected::Bytes(rest[..n].to_vec(), 0)
    } else {
        Expected::IncompleteRead
    }
}

/// `receive_until(delimiter, max_bytes)` by the documentation: the bytes before the first
/// delimiter if it starts within `max_bytes` bytes; `DelimiterNotFound` once `max_bytes`
/// bytes and a delimiter's length more have arrived without one; else (the stream ended
/// first) an incomplete read. Failures consume nothing.
fn model_until(rest: &[u8], delimiter: &[u8], max_bytes: usize) -> Expected {
    if delimiter.is_empty() {
        return Expected::InvalidInput;
    }
    let found = rest
        .windows(delimiter.len())
        .position(|window| window == delimiter);
    match found {
        Some(at) if at <= max_bytes => Expected::Bytes(rest[..at].to_vec(), delimiter.len()),
        _ if rest.len() >= max_bytes.saturating_add(delimiter.len()) => {
            Expected::DelimiterNotFound(max_bytes)
        }
        _ => Expected::IncompleteRead,
    }
}

/// Checks an actual result against the model, and returns how many bytes it consumed.
fn check(actual: Result<Vec<u8>, StreamError>, expected: Expected, op: &Op) -> usize {
    match (actual, expected) {
        (Ok(bytes), Expected::Bytes(want, skip)) if bytes == want => bytes.len() + skip,
        (Err(StreamError::IncompleteRead), Expected::IncompleteRead) => 0,
        (Err(StreamError::DelimiterNotFound { max_bytes }), Expected::DelimiterNotFound(max))
            if max_bytes == max =>
        {
            0
        }
        (Err(StreamError::InvalidInput(_)), Expected::InvalidInput) => 0,
        (actual, expected) => panic!("{op:?}: got {actual:?}, the model says {expected:?}"),
    }
}

/// Runs `ops` on a buffered stream fed `fed` first and then `chunks` by a peer, comparing
/// every answer with the model; then receives the rest and checks that no byte was lost.
async fn buffered_case(fed: Vec<u8>, chunks: Vec<Vec<u8>>, capacity: usize, ops: Vec<Op>) {
    let all: Vec<u8> = fed.iter().chain(chunks.iter().flatten()).copied().collect();
    let (tx, wire) = wire(capacity);
    let receiver = async move {
        let mut stream = BufferedByteReceiveStream::new(wire);
        stream.feed_data(&fed);
        let mut at = 0; // how many bytes of `all` have been received
        for op in &ops {
            let rest = &all[at..];
            at += match op {
                Op::Exactly(n) => check(
                    stream.receive_exactly(*n).await,
                    model_exactly(rest, *n),
                    op,
                ),
                Op::Until(delimiter, max) => check(
                    stream.receive_until(delimiter, *max).await,
                    model_until(rest, delimiter, *max),
                    op,
                ),
                Op::CancelledExactly(n, polls) => {
                    match poll_at_most(stream.receive_exactly(*n), *polls).await {
                        Some(actual) => check(actual, model_exactly(rest, *n), op),
                        None => 0,
                    }
                }
                Op::CancelledUntil(delimiter, max, polls) => {
                    match poll_at_most(stream.receive_until(delimiter, *max), *polls).await {
                        Some(actual) => check(actual, model_until(rest, delimiter, *max), op),
                        None => 0,
                    }
                }
                Op::Receive(len) => {
                    let mut buf = vec![0; *len];
                    match stream.receive(&mut buf).await {
                        Ok(n) => {
                            assert!(n > 0 && n <= *len, "{op:?}: received {n} bytes");
                            assert_eq!(&buf[..n], &rest[..n], "{op:?}");
                            n
                        }
                        Err(StreamError::InvalidInput(_)) if *len == 0 => 0,
                        Err(StreamError::EndOfStream) if rest.is_empty() => 0,
                        Err(error) => panic!("{op:?}: {error:?} with {} bytes left", rest.len()),
                    }
                }
            };
            // Whatever happened, the buffer holds the next bytes of the stream.
            assert!(
                all[at..].starts_with(stream.buffer()),
                "after {op:?} the buffer holds {:?}, not the next bytes",
                stream.buffer()
            );
        }
        let mut rest = Vec::new();
        let mut buf = [0; 97];
        loop {
            match stream.receive(&mut buf).await {
                Ok(n) => rest.extend_from_slice(&buf[..n]),
                Err(StreamError::EndOfStream) => break,
                Err(error) => panic!("draining: {error:?}"),
            }
        }
        assert_eq!(rest, all[at..], "bytes were lost or invented");
    };
    zip(peer(tx, chunks), receiver).await;
}

/// Bytes from a small alphabet, so that random delimiters occur in random data.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![4 => prop::sample::select(&b"ab\r\n"[..]), 1 => any::<u8>()]
}

/// Delimiters: empty, single bytes, repeated prefixes ("aab", "abab"), long ones.
fn delimiter() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        4 => vec(byte(), 1..=1),
        4 => vec(byte(), 2..=4),
        2 => (byte(), 1..6usize, byte()).prop_map(|(a, n, b)| {
            let mut d = vec![a; n];
            d.push(b);
            d
        }),
        1 => vec(byte(), 5..=40),
    ]
}

/// Limits: small ones, around the data's size, and the largest there is.
fn limit() -> impl Strategy<Value = usize> {
    prop_oneof![6 => 0..=24usize, 2 => 24..=400usize, 1 => Just(usize::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => limit().prop_map(Op::Exactly),
        4 => (delimiter(), limit()).prop_map(|(d, max)| Op::Until(d, max)),
        2 => (0..=40usize).prop_map(Op::Receive),
        2 => (delimiter(), limit(), 0..6u8).prop_map(|(d, max, polls)| Op::CancelledUntil(d, max, polls)),
        1 => (limit(), 0..6u8).prop_map(|(n, polls)| Op::CancelledExactly(n, polls)),
    ]
}

proptest! {
    #![proptest_config(config(96))]

    /// Small messages in small random chunks, a random mix of operations.
    #[test]
    fn buffered_stream_matches_its_model(
        fed in vec(byte(), 0..8),
        data in vec(byte(), 0..300),
        lengths in vec(0..24usize, 1..8),
        capacity in 0..2usize,
        ops in vec(op(), 1..24),
    ) {
        let chunks = chunk(&data, &lengths);
        on_every_backend(|| buffered_case(fed.clone(), chunks.clone(), capacity, ops.clone()));
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// Large messages in large chunks: across the read chunk (8 KiB), the largest read (64
    /// KiB) and the storage kept after a large message (64 KiB).
    #[test]
    fn buffered_stream_matches_its_model_for_large_messages(
        sizes in vec(0..150_000usize, 1..4),
        lengths in vec(1..70_000usize, 1..4),
        delimiter in prop_oneof![Just(b"\n".to_vec()), Just(b"\r\n\r\n".to_vec())],
        limits in vec(prop_oneof![0..200_000usize, Just(usize::MAX)], 4),
    ) {
        // Messages of the given sizes, each followed by the delimiter.
        let data: Vec<u8> = sizes
            .iter()
            .flat_map(|&size| (0..size).map(|i| b'a' + (i % 26) as u8).chain(delimiter.iter().copied()))
            .collect();
        let chunks = chunk(&data, &lengths);
        let ops = vec![
            Op::Until(delimiter.clone(), limits[0]),
            Op::Exactly(limits[1] % 100_000),
            Op::Until(delimiter.clone(), limits[2]),
            Op::CancelledUntil(delimiter.clone(), limits[3], 3),
            Op::Receive(70_000),
            Op::Until(delimiter.clone(), usize::MAX),
        ];
        on_every_backend(|| buffered_case(Vec::new(), chunks.clone(), 1, ops.clone()));
    }
}

/// How a text stream's receives went: the strings, and how the receiving ended.
#[derive(Debug)]
struct Decoded {
    strings: Vec<String>,
    /// `None`: a receive waited for bytes the peer had not sent (the stream still open).
    end: Option<StreamError>,
    undecoded: Vec<u8>,
}

/// Receives from a text stream over `chunks` until an error, or, with `keep_open`, until a
/// receive waits for more: with the peer's stream still open, a receive that waits is
/// raced against a run of checkpoints, after which it counts as waiting for bytes.
async fn decode(chunks: Vec<Vec<u8>>, keep_open: bool) -> Decoded {
    let (tx, wire) = wire(usize::MAX);
    for chunk in chunks {
        tx.try_send(chunk).unwrap();
    }
    let _open = keep_open.then_some(tx); // dropped at once unless kept open
    let mut text = TextStream::new(wire);
    let mut strings = Vec::new();
    let end = loop {
        let received = futures_lite::future::or(async { Some(text.receive().await) }, async {
            for _ in 0..64 {
                anyio::lowlevel::checkpoint().await;
            }
            None
        })
        .await;
        match received {
            Some(Ok(string)) => strings.push(string),
            Some(Err(error)) => break Some(error),
            None => break None,
        }
    };
    if let Some(StreamError::InvalidUtf8(_)) = end {
        // The stream stays failed.
        assert!(matches!(
            text.receive().await,
            Err(StreamError::InvalidUtf8(_))
        ));
    }
    let (_, undecoded) = text.into_parts();
    Decoded {
        strings,
        end,
        undecoded,
    }
}

/// Checks what a text stream gave for `data` against `str::from_utf8`: the valid text, in
/// non-empty strings, then `InvalidUtf8` at the first invalid byte, or at the end of a
/// stream that ends inside a character; with the stream kept open, an unfinished character
/// at the end is waited for, and bytes that are already invalid are not.
fn check_decoded(data: &[u8], decoded: &Decoded, keep_open: bool) {
    let (valid, error) = match std::str::from_utf8(data) {
        Ok(text) => (text.len(), None),
        Err(error) => (error.valid_up_to(), Some(error)),
    };
    assert!(
        decoded.strings.iter().all(|s| !s.is_empty()),
        "an empty string was received: {decoded:?}"
    );
    assert_eq!(
        decoded.strings.concat().as_bytes(),
        &data[..valid],
        "the text differs from the valid start of the bytes"
    );
    // Bytes that can still become a character are waited for only while the stream is open.
    let unfinished_at_end = error.is_some_and(|error| error.error_len().is_none());
    match (&decoded.end, error) {
        (None, _) => {
            assert!(keep_open, "a receive waited on a stream that had ended");
            assert!(
                error.is_none() || unfinished_at_end,
                "invalid bytes were held back as if more could complete them: {decoded:?}"
            );
            assert_eq!(decoded.undecoded, data[valid..]);
        }
        (Some(StreamError::EndOfStream), None) => assert!(!keep_open),
        (Some(StreamError::InvalidUtf8(reported)), Some(_)) => {
            assert!(!keep_open || !unfinished_at_end, "{decoded:?}");
            assert_eq!(reported.valid_up_to(), 0, "valid text was held back");
            assert!(
                !decoded.undecoded.is_empty() && data[valid..].starts_with(&decoded.undecoded),
                "the undecoded bytes are not those at the first invalid one: {decoded:?}"
            );
        }
        (end, _) => panic!("the stream ended with {end:?} for {data:?}"),
    }
}

/// Bytes that are mostly UTF-8, with the ways it goes wrong: stray continuation bytes,
/// overlong forms, surrogates, code points past U+10FFFF, truncated characters.
fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    let corrupt = (any::<String>(), any::<prop::sample::Index>(), any::<u8>()).prop_map(
        |(text, at, byte)| {
            let mut bytes = text.into_bytes();
            let at = at.index(bytes.len() + 1);
            bytes.insert(at, byte);
            bytes
        },
    );
    let truncated = (any::<String>(), any::<prop::sample::Index>()).prop_map(|(text, at)| {
        let bytes = text.into_bytes();
        let at = at.index(bytes.len() + 1);
        bytes[..at].to_vec()
    });
    let nasty = prop::sample::select(vec![
        &b"\xc0"[..],
        b"\xc1",
        b"\xf5",
        b"\xe0\x80",
        b"\xed\xa0",
        b"\xc0\x80",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xf0\x80",
        b"\xe2\x82",
        b"\x80",
        b"\xff",
        b"\xf8\x88\x80\x80\x80",
    ]);
    let spliced = (any::<String>(), nasty.clone(), any::<String>())
        .prop_map(|(a, bad, b)| [a.as_bytes(), bad, b.as_bytes()].concat());
    let at_the_end =
        (any::<String>(), nasty.clone()).prop_map(|(a, bad)| [a.as_bytes(), bad].concat());
    prop_oneof![
        2 => any::<String>().prop_map(String::into_bytes),
        2 => at_the_end,
        2 => vec(any::<u8>(), 0..48),
        2 => corrupt,
        2 => truncated,
        2 => spliced,
    ]
}

proptest! {
    #![proptest_config(config(128))]

    /// Random bytes in random chunks, with the stream ended or kept open after them.
    #[test]
    fn text_stream_decodes_like_from_utf8(
        data in text_bytes(),
        lengths in vec(0..8usize, 1..6),
        keep_open: bool,
    ) {
        let chunks = chunk(&data, &lengths);
        on_every_backend(|| async {
            let decoded = decode(chunks.clone(), keep_open).await;
            check_decoded(&data, &decoded, keep_open);
        });
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// The same bytes split in two at every position, and one byte at a time.
    #[test]
    fn text_stream_decodes_every_split_alike(data in text_bytes(), keep_open: bool) {
        on_every_backend(|| async {
            for at in 0..=data.len() {
                let chunks = vec![data[..at].to_vec(), data[at..].to_vec()];
                check_decoded(&data, &decode(chunks, keep_open).await, keep_open);
            }
            let bytes = data.iter().map(|&b| vec![b]).collect();
            check_decoded(&data, &decode(bytes, keep_open).await, keep_open);
        });
    }
}

/// The shrunk cases the text property found: a byte sequence at the end of what has arrived
/// that no continuation can make valid (C0, F5, F0 80: F0 needs 90..=BF next) was held back
/// as the start of a character, so the receive waited for more bytes instead of failing.
#[test]
fn an_invalid_sequence_at_the_end_of_the_bytes_fails_at_once() {
    on_every_backend(|| async {
        for data in [
            &b"\xc0"[..],
            b"\xf5",
            b"\xf0\x80",
            b"ok\xed\xa0",
            b"\xe0\x80",
        ] {
            let decoded = decode(vec![data.to_vec()], true).await;
            assert!(
                matches!(decoded.end, Some(StreamError::InvalidUtf8(_))),
                "{data:?}: {decoded:?}"
            );
            check_decoded(data, &decoded, true);
        }
    });
}
