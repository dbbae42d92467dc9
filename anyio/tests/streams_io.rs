//! `FuturesIoStream` and `TokioIoStream`, on every backend: the byte stream traits over real
//! sockets (async-io's) and tokio's in-memory duplex, half closes, local closes, a broken
//! peer, cancellation, and `StreamError`'s round trip through `io::Error`.
#![cfg(feature = "macros")]

use std::io;
use std::pin::pin;

#[cfg(feature = "tokio")]
use anyio::streams::TokioIoStream;
use anyio::streams::{
    AsyncResource, ByteReceiveStream, ByteSendStream, ByteStream, FuturesIoStream, StreamError,
};
use anyio::{BrokenResourceError, BusyResourceError, ClosedResourceError, EndOfStream};
use futures_lite::future::poll_once;
use smol::net::unix::UnixStream;

/// How long a conversation may take before the test fails instead of hanging.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Two connected UNIX sockets, as futures-io byte streams. (smol's sockets shut their writing
/// half down on `poll_close`; async-io's bare `Async<UnixStream>` only flushes.)
fn socket_pair() -> (FuturesIoStream<UnixStream>, FuturesIoStream<UnixStream>) {
    let (a, b) = UnixStream::pair().unwrap();
    (FuturesIoStream::new(a), FuturesIoStream::new(b))
}

/// Two ends of tokio's in-memory duplex, as byte streams.
#[cfg(feature = "tokio")]
fn duplex() -> (
    TokioIoStream<tokio::io::DuplexStream>,
    TokioIoStream<tokio::io::DuplexStream>,
) {
    let (a, b) = tokio::io::duplex(64);
    (TokioIoStream::new(a), TokioIoStream::new(b))
}

/// Receives until the end of the stream.
async fn receive_to_end(stream: &mut impl ByteReceiveStream) -> Result<Vec<u8>, StreamError> {
    let mut all = Vec::new();
    let mut buf = [0; 7];
    loop {
        match stream.receive(&mut buf).await {
            Ok(n) => {
                assert!(n > 0, "a receive returned 0 bytes");
                all.extend_from_slice(&buf[..n]);
            }
            Err(StreamError::EndOfStream) => return Ok(all),
            Err(error) => return Err(error),
        }
    }
}

/// The half-close conversation every two-way byte stream must hold.
async fn half_close_conversation(mut a: impl ByteStream, mut b: impl ByteStream) {
    a.send(b"question").await.unwrap();
    a.send_eof().await.unwrap();
    a.send_eof().await.unwrap(); // a second time does nothing
    assert!(matches!(a.send(b"more").await, Err(StreamError::Closed)));
    assert_eq!(receive_to_end(&mut b).await.unwrap(), b"question");
    // b may still answer, and a still receive.
    b.send(b"answer").await.unwrap();
    b.aclose().await.unwrap();
    assert_eq!(receive_to_end(&mut a).await.unwrap(), b"answer");
    a.aclose().await.unwrap();
    a.aclose().await.unwrap(); // closing twice is harmless
    assert!(matches!(
        a.receive(&mut [0; 4]).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(a.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(a.send_eof().await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn futures_io_sockets_half_close_and_close() {
    let (a, b) = socket_pair();
    anyio::fail_after(LIMIT, half_close_conversation(a, b))
        .await
        .expect("the peer sees each end");
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn tokio_io_duplexes_half_close_and_close() {
    let (a, b) = duplex();
    anyio::fail_after(LIMIT, half_close_conversation(a, b))
        .await
        .expect("the peer sees each end");
}

#[anyio::test]
async fn a_send_flushes_a_buffering_writer() {
    let mut futures_side = FuturesIoStream::writer(futures_lite::io::BufWriter::new(Vec::new()));
    futures_side.send(b"now").await.unwrap();
    assert_eq!(futures_side.get_ref().get_ref(), b"now");
    #[cfg(feature = "tokio")]
    {
        let mut tokio_side = TokioIoStream::writer(tokio::io::BufWriter::new(Vec::new()));
        tokio_side.send(b"now").await.unwrap();
        assert_eq!(tokio_side.get_ref().get_ref(), b"now");
    }
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn a_large_send_arrives_whole_through_a_small_pipe() {
    let (mut a, mut b) = duplex(); // 64 bytes of room: the send must wait for the reader
    let data: Vec<u8> = (0..10_000u32).map(|n| n as u8).collect();
    let (sent, received) = futures_lite::future::zip(
        async {
            a.send(&data).await.unwrap();
            a.send_eof().await.unwrap();
        },
        receive_to_end(&mut b),
    )
    .await;
    let () = sent;
    assert_eq!(received.unwrap(), data);
}

#[anyio::test]
async fn an_empty_buffer_is_invalid_input_and_an_empty_send_succeeds() {
    let (mut a, _b) = socket_pair();
    assert!(matches!(
        a.receive(&mut []).await,
        Err(StreamError::InvalidInput(_))
    ));
    a.send(b"").await.unwrap();
    #[cfg(feature = "tokio")]
    {
        let (mut c, _d) = duplex();
        assert!(matches!(
            c.receive(&mut []).await,
            Err(StreamError::InvalidInput(_))
        ));
    }
}

#[anyio::test]
async fn a_cancelled_receive_takes_no_bytes() {
    let families = [
        "futures",
        #[cfg(feature = "tokio")]
        "tokio",
    ];
    for family in families {
        let (mut a, mut b): (Box<dyn Pair>, Box<dyn Pair>) = match family {
            "futures" => {
                let (a, b) = socket_pair();
                (Box::new(a), Box::new(b))
            }
            #[cfg(feature = "tokio")]
            "tokio" => {
                let (a, b) = duplex();
                (Box::new(a), Box::new(b))
            }
            _ => unreachable!(),
        };
        assert!(poll_once(pin!(b.receive_boxed())).await.is_none());
        let cancelled =
            anyio::move_on_after(std::time::Duration::from_millis(5), b.receive_boxed()).await;
        assert!(cancelled.is_none(), "{family}");
        a.send_boxed(b"data").await;
        let received = anyio::fail_after(LIMIT, b.receive_boxed()).await;
        assert_eq!(received.expect("the bytes arrive"), b"data", "{family}");
    }
}

/// Dynamic access to the two adapters, so one test can run over both.
trait Pair {
    fn receive_boxed(&mut self) -> std::pin::Pin<Box<dyn Future<Output = Vec<u8>> + '_>>;
    fn send_boxed<'a>(
        &'a mut self,
        data: &'a [u8],
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>>;
}

impl<S: ByteStream> Pair for S {
    fn receive_boxed(&mut self) -> std::pin::Pin<Box<dyn Future<Output = Vec<u8>> + '_>> {
        Box::pin(async {
            let mut buf = [0; 64];
            let n = self.receive(&mut buf).await.unwrap();
            buf[..n].to_vec()
        })
    }

    fn send_boxed<'a>(
        &'a mut self,
        data: &'a [u8],
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(async move { self.send(data).await.unwrap() })
    }
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn a_vanished_peer_breaks_the_stream() {
    let (mut a, b) = duplex();
    drop(b);
    match a.send(b"anyone?").await {
        Err(StreamError::Broken(Some(cause))) => {
            assert_eq!(cause.kind(), io::ErrorKind::BrokenPipe)
        }
        other => panic!("expected a broken stream, got {other:?}"),
    }
    assert!(matches!(
        a.receive(&mut [0; 4]).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn one_way_adapters_read_or_write() {
    let mut reader = FuturesIoStream::reader(&b"abc"[..]);
    assert_eq!(receive_to_end(&mut reader).await.unwrap(), b"abc");
    reader.aclose().await.unwrap();
    #[cfg(feature = "tokio")]
    {
        let mut writer = TokioIoStream::writer(Vec::new());
        writer.send(b"x").await.unwrap();
        writer.aclose().await.unwrap();
        assert!(matches!(writer.send(b"y").await, Err(StreamError::Closed)));
        assert_eq!(writer.into_inner(), b"x");
    }
}

#[test]
fn stream_errors_survive_a_round_trip_through_io_error() {
    let round_trip = |error: StreamError| StreamError::from(io::Error::from(error));
    assert!(matches!(
        round_trip(StreamError::EndOfStream),
        StreamError::EndOfStream
    ));
    assert!(matches!(
        round_trip(StreamError::IncompleteRead),
        StreamError::IncompleteRead
    ));
    assert!(matches!(
        round_trip(StreamError::DelimiterNotFound { max_bytes: 3 }),
        StreamError::DelimiterNotFound { max_bytes: 3 }
    ));
    assert!(matches!(
        round_trip(StreamError::Closed),
        StreamError::Closed
    ));
    assert!(matches!(
        round_trip(StreamError::Busy(BusyResourceError::new("reading from"))),
        StreamError::Busy(busy) if busy.action() == "reading from"
    ));
    assert!(matches!(
        round_trip(StreamError::Broken(None)),
        StreamError::Broken(None)
    ));
    assert!(matches!(
        round_trip(StreamError::Broken(Some(io::ErrorKind::ConnectionReset.into()))),
        StreamError::Broken(Some(cause)) if cause.kind() == io::ErrorKind::ConnectionReset
    ));
    assert!(matches!(
        round_trip(StreamError::InvalidInput("bad")),
        StreamError::InvalidInput("bad")
    ));
    let kinds = [
        (StreamError::EndOfStream, io::ErrorKind::UnexpectedEof),
        (StreamError::Closed, io::ErrorKind::NotConnected),
        (StreamError::Broken(None), io::ErrorKind::BrokenPipe),
        (
            StreamError::InvalidInput("bad"),
            io::ErrorKind::InvalidInput,
        ),
    ];
    for (error, kind) in kinds {
        assert_eq!(io::Error::from(error).kind(), kind);
    }
    // anyio's unit errors inside an io::Error are recognised too.
    let from = |error: io::Error| StreamError::from(error);
    assert!(matches!(
        from(EndOfStream::new().into()),
        StreamError::EndOfStream
    ));
    assert!(matches!(
        from(ClosedResourceError::new().into()),
        StreamError::Closed
    ));
    assert!(matches!(
        from(BrokenResourceError::new().into()),
        StreamError::Broken(None)
    ));
    assert!(matches!(
        from(BusyResourceError::new("writing to").into()),
        StreamError::Busy(_)
    ));
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn a_reader_does_not_send_even_over_a_two_way_object() {
    let (a, _b) = tokio::io::duplex(64);
    let mut a = TokioIoStream::reader(a);
    assert!(matches!(
        a.send(b"x").await,
        Err(StreamError::InvalidInput(_))
    ));
    assert!(matches!(
        a.send_eof().await,
        Err(StreamError::InvalidInput(_))
    ));
    let (c, _d) = UnixStream::pair().unwrap();
    let mut c = FuturesIoStream::reader(c);
    assert!(matches!(
        c.send(b"x").await,
        Err(StreamError::InvalidInput(_))
    ));
    let error = futures_lite::AsyncWriteExt::write(&mut c, b"x")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[anyio::test]
async fn the_io_traits_pass_through_until_closed() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let (a, b) = socket_pair();
    let (mut a, mut b) = (a, b);
    a.write_all(b"raw").await.unwrap();
    AsyncWriteExt::close(&mut a).await.unwrap(); // the futures-io half close
    AsyncWriteExt::close(&mut a).await.unwrap(); // twice is harmless
    assert!(
        matches!(a.send(b"x").await, Err(StreamError::Closed)),
        "it was send_eof"
    );
    let mut got = Vec::new();
    b.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"raw");
    b.aclose().await.unwrap();
    let error = b.read(&mut [0; 4]).await.unwrap_err();
    assert!(matches!(StreamError::from(error), StreamError::Closed));
}

#[cfg(feature = "tokio")]
#[anyio::test]
async fn the_io_traits_of_both_families_pass_through_a_tokio_object_until_closed() {
    // TokioIoStream speaks both families, so name the one meant.
    let (mut c, mut d) = duplex();
    tokio::io::AsyncWriteExt::write_all(&mut c, b"tokio")
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut c).await.unwrap();
    let mut got = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut d, &mut got)
        .await
        .unwrap();
    assert_eq!(got, b"tokio");

    // And futures-io's, through to the same tokio object.
    let (mut e, mut f) = duplex();
    futures_lite::AsyncWriteExt::write_all(&mut e, b"futures")
        .await
        .unwrap();
    futures_lite::AsyncWriteExt::close(&mut e).await.unwrap();
    let mut got = Vec::new();
    futures_lite::AsyncReadExt::read_to_end(&mut f, &mut got)
        .await
        .unwrap();
    assert_eq!(got, b"futures");
    assert!(matches!(e.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(c.send(b"x").await, Err(StreamError::Closed)));
}
