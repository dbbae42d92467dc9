//! `StapledStream`, typed attributes through every wrapper, and memory object streams used
//! through the stream traits, on every backend.
#![cfg(feature = "macros")]

use std::pin::pin;

use anyio::create_memory_object_stream;
use anyio::streams::memory::TrySendError;
use anyio::streams::{
    AsyncResource, AttributeRequest, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream,
    ByteStream, ChunkedByteStream, FuturesIoStream, ObjectReceiveStream, ObjectSendStream,
    ObjectStream, StapledStream, StreamError, TextStream, TypedAttribute,
    TypedAttributeLookupError, TypedAttributeProvider,
};
use futures_lite::future::poll_once;

mod common;

#[anyio::test]
async fn send_eof_closes_the_sending_half_only() {
    let (to_peer, peer_inbox) = create_memory_object_stream::<u8>(2);
    let (peer_outbox, from_peer) = create_memory_object_stream::<u8>(2);
    let mut stream = StapledStream::new(to_peer, from_peer);
    let mut peer = StapledStream::new(peer_outbox, peer_inbox);
    stream.send(1).await.unwrap();
    stream.send_eof().await.unwrap();
    stream.send_eof().await.unwrap();
    let error = stream.send(2).await.unwrap_err();
    assert!(matches!(error.error(), StreamError::Closed));
    assert_eq!(error.into_item(), 2, "the item comes back");
    assert_eq!(peer.receive().await.unwrap(), 1);
    assert!(matches!(
        peer.receive().await,
        Err(StreamError::EndOfStream)
    ));
    peer.send(3).await.unwrap();
    assert_eq!(stream.receive().await.unwrap(), 3, "receiving goes on");
}

#[anyio::test]
async fn close_closes_both_halves() {
    let (to_peer, peer_inbox) = create_memory_object_stream::<u8>(2);
    let (peer_outbox, from_peer) = create_memory_object_stream::<u8>(2);
    let mut stream = StapledStream::new(to_peer, from_peer);
    AsyncResource::aclose(&mut stream).await.unwrap();
    assert!(matches!(stream.receive().await, Err(StreamError::Closed)));
    assert!(matches!(
        peer_outbox.try_send(1),
        Err(TrySendError::Broken(1))
    ));
    assert!(matches!(
        peer_inbox.receive().await,
        Err(anyio::streams::memory::ReceiveError::EndOfStream)
    ));
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn a_stapled_byte_stream_half_closes() {
    use anyio::streams::TokioIoStream;
    // Two one-way pipes, stapled into a two-way stream at each end.
    let (a_out, b_in) = tokio::io::duplex(64);
    let (b_out, a_in) = tokio::io::duplex(64);
    let mut a = StapledStream::new(TokioIoStream::writer(a_out), TokioIoStream::reader(a_in));
    let mut b = StapledStream::new(TokioIoStream::writer(b_out), TokioIoStream::reader(b_in));
    a.send(b"hi").await.unwrap();
    a.send_eof().await.unwrap();
    assert!(matches!(a.send(b"more").await, Err(StreamError::Closed)));
    let mut buf = [0; 8];
    let n = b.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"hi");
    assert!(matches!(
        b.receive(&mut buf).await,
        Err(StreamError::EndOfStream)
    ));
    b.send(b"ok").await.unwrap();
    let n = a.receive(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"ok", "receiving goes on after send_eof");
}

#[anyio::test]
async fn a_cancelled_stapled_receive_loses_nothing() {
    let (tx, rx) = create_memory_object_stream::<u32>(0);
    let (back_tx, _back_rx) = create_memory_object_stream::<u32>(0);
    let mut stream = StapledStream::new(back_tx, rx);
    assert!(poll_once(pin!(stream.receive())).await.is_none());
    let (sent, received) = futures_lite::future::zip(tx.send(7), stream.receive()).await;
    sent.unwrap();
    assert_eq!(received.unwrap(), 7);
}

/// An attribute every test provider answers.
struct Name;
impl TypedAttribute for Name {
    type Value = &'static str;
}

/// An attribute only the inner stream answers.
struct InnerOnly;
impl TypedAttribute for InnerOnly {
    type Value = u32;
}

/// An attribute nobody answers.
struct Missing;
impl TypedAttribute for Missing {
    type Value = ();
}

/// A byte stream that receives nothing and sends nowhere, with attributes.
struct Labelled(&'static str);

impl TypedAttributeProvider for Labelled {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request.provide::<Name>(|| self.0);
        request.provide_optional::<InnerOnly>(|| (self.0 == "receive").then_some(7));
    }
}

impl AsyncResource for Labelled {
    async fn aclose(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

impl ByteReceiveStream for Labelled {
    async fn receive(&mut self, _buf: &mut [u8]) -> Result<usize, StreamError> {
        Err(StreamError::EndOfStream)
    }
}

impl ByteSendStream for Labelled {
    async fn send(&mut self, _data: &[u8]) -> Result<(), StreamError> {
        Ok(())
    }
}

impl ByteStream for Labelled {
    async fn send_eof(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

/// A wrapper that overrides `Name`.
struct Renamed<S>(S);

impl<S: TypedAttributeProvider> TypedAttributeProvider for Renamed<S> {
    fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
        request.provide::<Name>(|| "renamed");
        self.0.provide_attributes(request);
    }
}

#[test]
fn wrappers_inherit_attributes_and_may_override_them() {
    let stapled = StapledStream::new(Labelled("send"), Labelled("receive"));
    assert_eq!(
        stapled.extra(Name).unwrap(),
        "receive",
        "the receiving half wins"
    );
    assert_eq!(stapled.extra(InnerOnly).unwrap(), 7);
    let stapled = StapledStream::new(Labelled("receive"), Labelled("other"));
    assert_eq!(
        stapled.extra(InnerOnly).unwrap(),
        7,
        "a half that lacks it leaves it to the other"
    );

    let buffered = BufferedByteReceiveStream::new(Labelled("receive"));
    assert_eq!(buffered.extra(Name).unwrap(), "receive");
    let text = TextStream::new(BufferedByteReceiveStream::new(Labelled("receive")));
    assert_eq!(text.extra(InnerOnly).unwrap(), 7);
    let renamed = Renamed(TextStream::new(Labelled("receive")));
    assert_eq!(renamed.extra(Name).unwrap(), "renamed");
    assert_eq!(renamed.extra(InnerOnly).unwrap(), 7);

    let error: TypedAttributeLookupError = renamed.extra(Missing).unwrap_err();
    assert!(error.attribute().ends_with("Missing"));
    assert!(error.to_string().contains("Missing"), "{error}");
}

#[test]
fn values_are_computed_only_for_the_attribute_asked_for() {
    struct Counting(std::cell::Cell<u32>);
    impl TypedAttributeProvider for Counting {
        fn provide_attributes(&self, request: &mut AttributeRequest<'_>) {
            request.provide::<Name>(|| {
                self.0.set(self.0.get() + 1);
                "counted"
            });
            request.provide::<InnerOnly>(|| {
                self.0.set(self.0.get() + 100);
                1
            });
        }
    }
    let counting = Counting(std::cell::Cell::new(0));
    assert_eq!(counting.extra(Name).unwrap(), "counted");
    assert_eq!(counting.0.get(), 1);
}

#[anyio::test]
async fn memory_streams_work_through_the_traits() {
    async fn pump(
        from: &mut impl ObjectReceiveStream<Item = u32>,
        to: &mut impl ObjectSendStream<u32>,
    ) -> Result<u32, StreamError> {
        let mut count = 0;
        loop {
            match from.receive().await {
                Ok(n) => to.send(n * 2).await.map_err(StreamError::from)?,
                Err(StreamError::EndOfStream) => return Ok(count),
                Err(error) => return Err(error),
            }
            count += 1;
        }
    }
    let (in_tx, mut in_rx) = create_memory_object_stream::<u32>(4);
    let (mut out_tx, out_rx) = create_memory_object_stream::<u32>(4);
    for n in 1..=3 {
        in_tx.try_send(n).unwrap();
    }
    drop(in_tx);
    assert_eq!(pump(&mut in_rx, &mut out_tx).await.unwrap(), 3);
    assert_eq!(
        [
            out_rx.try_receive(),
            out_rx.try_receive(),
            out_rx.try_receive()
        ],
        [Ok(2), Ok(4), Ok(6)]
    );
    drop(out_rx);
    let error = ObjectSendStream::send(&mut out_tx, 9).await.unwrap_err();
    assert!(matches!(error.error(), StreamError::Broken(None)));
    assert_eq!(error.into_item(), 9);
    AsyncResource::aclose(&mut out_tx).await.unwrap();
    assert!(out_tx.is_closed());
}

/// A writer whose close never finishes.
struct EndlessClose;

impl futures_io::AsyncWrite for EndlessClose {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Pending
    }
}

#[anyio::test]
async fn a_cancelled_close_leaves_the_stapled_stream_closed() {
    let (tx, rx) = create_memory_object_stream::<Vec<u8>>(1);
    tx.try_send(b"x".to_vec()).unwrap();
    let mut stream = StapledStream::new(
        FuturesIoStream::writer(EndlessClose),
        ChunkedByteStream::new(rx),
    );
    assert!(poll_once(pin!(stream.aclose())).await.is_none());
    assert!(matches!(
        stream.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(stream.send(b"y").await, Err(StreamError::Closed)));
    assert!(matches!(stream.send_eof().await, Err(StreamError::Closed)));
}
