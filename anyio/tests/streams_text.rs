//! `TextStream`, on every backend: incremental UTF-8 that never splits a character, invalid
//! and truncated input as clear errors, sends that hand the text back, and cancellation.
#![cfg(feature = "macros")]

use std::pin::pin;

use anyio::create_unbounded_memory_object_stream;
use anyio::streams::memory::MemoryObjectSender;
use anyio::streams::{
    AsyncResource, ChunkedByteStream, ObjectReceiveStream, ObjectSendStream, ObjectStream,
    StreamError, TextStream,
};
use futures_lite::future::poll_once;

use common::byte_pipe;

mod common;

type Text = TextStream<ChunkedByteStream<anyio::streams::memory::MemoryObjectReceiver<Vec<u8>>>>;

/// A text stream fed by the returned sender, one chunk of bytes per send.
fn fed_by_chunks() -> (MemoryObjectSender<Vec<u8>>, Text) {
    let (tx, rx) = create_unbounded_memory_object_stream();
    (tx, TextStream::new(ChunkedByteStream::new(rx)))
}

/// Receives until the end of the stream, checking that no receive is empty.
async fn receive_all(text: &mut Text) -> Result<String, StreamError> {
    let mut all = String::new();
    loop {
        match text.receive().await {
            Ok(piece) => {
                assert!(!piece.is_empty(), "a receive returned an empty string");
                all.push_str(&piece);
            }
            Err(StreamError::EndOfStream) => return Ok(all),
            Err(error) => return Err(error),
        }
    }
}

const SAMPLE: &str = "a¢€𝄞b"; // characters of 1, 2, 3 and 4 bytes

#[anyio::test]
async fn a_split_at_any_byte_decodes_whole_characters() {
    let bytes = SAMPLE.as_bytes();
    for split in 0..=bytes.len() {
        let (tx, mut text) = fed_by_chunks();
        tx.try_send(bytes[..split].to_vec()).unwrap();
        tx.try_send(bytes[split..].to_vec()).unwrap();
        drop(tx);
        assert_eq!(
            receive_all(&mut text).await.unwrap(),
            SAMPLE,
            "split at {split}"
        );
    }
}

#[anyio::test]
async fn one_byte_at_a_time_decodes_whole_characters() {
    let (tx, mut text) = fed_by_chunks();
    for &byte in SAMPLE.as_bytes() {
        tx.try_send(vec![byte]).unwrap();
    }
    drop(tx);
    let mut pieces = Vec::new();
    while let Ok(piece) = text.receive().await {
        pieces.push(piece);
    }
    assert_eq!(pieces, ["a", "¢", "€", "𝄞", "b"]);
}

#[anyio::test]
async fn half_a_character_waits_for_its_rest() {
    let (tx, mut text) = fed_by_chunks();
    let euro = "€".as_bytes();
    tx.try_send(euro[..2].to_vec()).unwrap();
    {
        let mut receiving = pin!(text.receive());
        assert!(poll_once(&mut receiving).await.is_none());
        tx.try_send(euro[2..].to_vec()).unwrap();
        assert_eq!(receiving.await.unwrap(), "€");
    }
}

#[anyio::test]
async fn invalid_bytes_are_an_error_after_the_valid_text() {
    let (tx, mut text) = fed_by_chunks();
    tx.try_send(b"ok \xff then".to_vec()).unwrap();
    assert_eq!(text.receive().await.unwrap(), "ok ");
    for _ in 0..2 {
        match text.receive().await {
            Err(StreamError::InvalidUtf8(error)) => assert_eq!(error.error_len(), Some(1)),
            other => panic!("expected invalid UTF-8, got {other:?}"),
        }
    }
    let error = text.receive().await.unwrap_err();
    assert!(error.to_string().contains("not valid UTF-8"), "{error}");
    let (_inner, undecoded) = text.into_parts();
    assert_eq!(undecoded, b"\xff then", "the stream stops at the bad bytes");
}

#[anyio::test]
async fn a_stream_that_ends_inside_a_character_is_an_error() {
    let (tx, mut text) = fed_by_chunks();
    tx.try_send([b"x", &"€".as_bytes()[..2]].concat()).unwrap();
    drop(tx);
    assert_eq!(text.receive().await.unwrap(), "x");
    assert!(matches!(
        text.receive().await,
        Err(StreamError::InvalidUtf8(error)) if error.error_len().is_none()
    ));
}

#[anyio::test]
async fn a_cancelled_receive_loses_no_bytes() {
    let (tx, mut text) = fed_by_chunks();
    tx.try_send("𝄞".as_bytes()[..3].to_vec()).unwrap();
    assert!(poll_once(pin!(text.receive())).await.is_none());
    let cancelled = anyio::move_on_after(std::time::Duration::from_millis(5), text.receive()).await;
    assert!(cancelled.is_none());
    tx.try_send("𝄞".as_bytes()[3..].to_vec()).unwrap();
    assert_eq!(text.receive().await.unwrap(), "𝄞");
}

#[anyio::test]
async fn text_goes_both_ways_and_a_failed_send_hands_it_back() {
    let (a, b) = byte_pipe(4);
    let (mut a, mut b) = (TextStream::new(a), TextStream::new(b));
    a.send("grüß ").await.unwrap();
    a.send(String::from("dich")).await.unwrap();
    a.send_eof().await.unwrap();
    let mut received = String::new();
    loop {
        match b.receive().await {
            Ok(piece) => received.push_str(&piece),
            Err(StreamError::EndOfStream) => break,
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(received, "grüß dich");
    b.send("back").await.unwrap();
    assert_eq!(a.receive().await.unwrap(), "back");
    let error = a.send(String::from("too late")).await.unwrap_err();
    assert!(matches!(error.error(), StreamError::Closed));
    assert_eq!(error.into_item(), "too late");
    b.aclose().await.unwrap();
    assert!(matches!(b.receive().await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn a_closed_text_stream_fails_even_with_bytes_held() {
    let (tx, mut text) = fed_by_chunks();
    tx.try_send(b"ab\xffcd".to_vec()).unwrap();
    assert_eq!(text.receive().await.unwrap(), "ab");
    text.aclose().await.unwrap();
    assert!(matches!(text.receive().await, Err(StreamError::Closed)));
}
