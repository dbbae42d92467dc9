//! Property tests of the TLS engine against a hostile peer, in both directions (anyio as the
//! client and as the server), on every backend, over a UNIX socket pair.
//!
//! The peer is rustls driven by hand, so that the test controls every byte it sends: random
//! bytes instead of TLS, or a genuine handshake and records whose byte stream is tampered
//! with (bytes flipped, the stream cut short) at random offsets, during the handshake or the
//! data after it, with TLS 1.2 or 1.3. After what it sends, the peer ends its side without
//! `close_notify`. anyio's side must end in a clear error, or give the genuine plaintext (a
//! prefix of it) and then an error, never the end of the stream, a panic, or a hang.

use std::io::Write;
use std::sync::{Arc, LazyLock};

use anyio::net::UnixStream;
use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
use anyio::tls::rustls::{self, ClientConfig, Connection, ServerConfig};
use anyio::tls::{TlsAcceptor, TlsConnector};
use futures_lite::future::zip;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::props::{config, on_every_backend};

/// The configurations: one server, and clients offering TLS 1.2 and 1.3, 1.3 only, 1.2 only;
/// made once, with one certificate.
struct Configs {
    server: Arc<ServerConfig>,
    clients: [Arc<ClientConfig>; 3],
}

static CONFIGS: LazyLock<Configs> = LazyLock::new(|| {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate).unwrap();
    let client = |versions: &[&'static rustls::SupportedProtocolVersion]| {
        Arc::new(
            ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(versions)
                .unwrap()
                .with_root_certificates(roots.clone())
                .with_no_client_auth(),
        )
    };
    Configs {
        server: Arc::new(server),
        clients: [
            client(&[&rustls::version::TLS13, &rustls::version::TLS12]),
            client(&[&rustls::version::TLS13]),
            client(&[&rustls::version::TLS12]),
        ],
    }
});

/// What the peer does to the bytes it sends.
#[derive(Clone, Debug)]
struct Tamper {
    /// Offsets in the peer's byte stream, and what to xor the byte there with (not 0).
    flips: Vec<(usize, u8)>,
    /// The peer's stream ends after this many bytes.
    cut: Option<usize>,
    /// The largest write: records go out whole or in pieces.
    piece: usize,
}

/// The peer's side of the socket, tampering with what goes through it.
struct Wire {
    stream: UnixStream,
    tamper: Tamper,
    sent: usize,
    /// A byte was changed or held back: the peer has said what it will say.
    tampered: bool,
}

impl Wire {
    /// Sends `bytes`, tampered with, in pieces. `false`: the victim is gone.
    async fn send(&mut self, bytes: &[u8]) -> bool {
        let mut bytes = bytes.to_vec();
        for &(offset, xor) in &self.tamper.flips {
            if (self.sent..self.sent + bytes.len()).contains(&offset) {
                bytes[offset - self.sent] ^= xor;
                self.tampered = true;
            }
        }
        if let Some(cut) = self.tamper.cut {
            if self.sent + bytes.len() > cut {
                bytes.truncate(cut.saturating_sub(self.sent));
                self.tampered = true;
            }
        }
        self.sent += bytes.len();
        for piece in bytes.chunks(self.tamper.piece) {
            if self.stream.send(piece).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Sends whatever the session has queued. `false`: the victim is gone.
    async fn flush(&mut self, conn: &mut Connection) -> bool {
        while conn.wants_write() {
            let mut records = Vec::new();
            conn.write_tls(&mut records).unwrap();
            if !self.send(&records).await {
                return false;
            }
        }
        true
    }
}

/// The peer: a genuine handshake and then `plaintext`, all through the tampering wire; it
/// stops talking once it has tampered (the victim decides what follows), ends its side
/// without `close_notify`, and reads until the victim closes. Returns whether it tampered.
async fn tls_peer(
    mut conn: Connection,
    stream: UnixStream,
    tamper: Tamper,
    plaintext: &[u8],
) -> bool {
    let mut wire = Wire {
        stream,
        tamper,
        sent: 0,
        tampered: false,
    };
    let mut buf = vec![0; 16 * 1024];
    let handshaken = loop {
        if !wire.flush(&mut conn).await || wire.tampered {
            break false;
        }
        if !conn.is_handshaking() {
            break true;
        }
        let Ok(n) = wire.stream.receive(&mut buf).await else {
            break false;
        };
        let mut rest = &buf[..n];
        let mut failed = false;
        while !rest.is_empty() && !failed {
            failed = conn.read_tls(&mut rest).is_err() || conn.process_new_packets().is_err();
        }
        if failed {
            // The victim sent something this peer refuses: tell it (the alert), and stop.
            wire.flush(&mut conn).await;
            break false;
        }
    };
    if handshaken {
        conn.writer().write_all(plaintext).unwrap();
        wire.flush(&mut conn).await;
    }
    let _ = wire.stream.send_eof().await;
    while wire.stream.receive(&mut buf).await.is_ok() {}
    wire.tampered
}

/// A peer that sends `garbage` instead of TLS, then ends its side and reads until the victim
/// closes.
async fn garbage_peer(mut stream: UnixStream, garbage: &[u8], piece: usize) {
    for piece in garbage.chunks(piece) {
        if stream.send(piece).await.is_err() {
            break;
        }
    }
    let _ = stream.send_eof().await;
    let mut buf = [0; 4096];
    while stream.receive(&mut buf).await.is_ok() {}
}

/// How anyio's side ended.
#[derive(Debug)]
enum Outcome {
    /// The handshake failed, with this message.
    HandshakeFailed(String),
    /// The handshake succeeded; this plaintext arrived, then this error.
    Received(Vec<u8>, StreamError),
}

/// anyio's side: the handshake (`connect` as the client, `accept` as the server), then
/// receiving until an error. The stream is dropped (closing the transport) when this returns.
async fn victim(stream: UnixStream, as_client: bool, client: Arc<ClientConfig>) -> Outcome {
    let session = if as_client {
        TlsConnector::new(client).connect("localhost", stream).await
    } else {
        TlsAcceptor::new(CONFIGS.server.clone())
            .accept(stream)
            .await
    };
    let mut session = match session {
        Ok(session) => session,
        Err(error) => {
            let message = error.to_string();
            assert!(!message.is_empty(), "an error without a message: {error:?}");
            return Outcome::HandshakeFailed(message);
        }
    };
    let mut plaintext = Vec::new();
    let mut buf = vec![0; 4096];
    loop {
        match session.receive(&mut buf).await {
            Ok(n) => plaintext.extend_from_slice(&buf[..n]),
            Err(error) => return Outcome::Received(plaintext, error),
        }
    }
}

/// The rustls session of the peer, facing anyio's side.
fn peer_session(as_client: bool, client: &Arc<ClientConfig>) -> Connection {
    if as_client {
        // anyio is the client: the peer is a server.
        rustls::ServerConnection::new(CONFIGS.server.clone())
            .unwrap()
            .into()
    } else {
        let name = "localhost".try_into().unwrap();
        rustls::ClientConnection::new(client.clone(), name)
            .unwrap()
            .into()
    }
}

/// An offset in the peer's byte stream: mostly in the handshake (its first 2 KB or so), some
/// in the data after it.
fn offset() -> impl Strategy<Value = usize> {
    prop_oneof![2 => 0..400usize, 2 => 400..2000usize, 1 => 2000..5000usize]
}

fn tamper() -> impl Strategy<Value = Tamper> {
    (
        vec((offset(), 1..=255u8), 0..3),
        prop_oneof![2 => Just(None), 1 => offset().prop_map(Some)],
        prop_oneof![1 => 1..16usize, 3 => Just(usize::MAX)],
    )
        .prop_map(|(flips, cut, piece)| Tamper { flips, cut, piece })
}

proptest! {
    #![proptest_config(config(64))]

    /// A genuine peer whose bytes are tampered with: anyio fails cleanly, or receives the
    /// genuine plaintext (all of it when nothing was touched) and then an error.
    #[test]
    fn a_tampered_peer_gives_an_error_or_the_genuine_plaintext(
        as_client: bool,
        versions in 0..3usize,
        tamper in tamper(),
        plaintext in vec(any::<u8>(), 0..3000),
    ) {
        let client = CONFIGS.clients[versions].clone();
        on_every_backend(|| async {
            let (ours, theirs) = UnixStream::pair().unwrap();
            let conn = peer_session(as_client, &client);
            let (tampered, outcome) = zip(
                tls_peer(conn, theirs, tamper.clone(), &plaintext),
                victim(ours, as_client, client.clone()),
            )
            .await;
            match outcome {
                Outcome::HandshakeFailed(message) => {
                    assert!(tampered, "an untouched handshake failed: {message}");
                }
                Outcome::Received(received, error) => {
                    assert!(
                        !matches!(error, StreamError::EndOfStream),
                        "the stream ended cleanly, yet the peer sent no close_notify"
                    );
                    assert!(
                        plaintext.starts_with(&received),
                        "plaintext arrived that the peer did not send"
                    );
                    if !tampered {
                        assert_eq!(received.len(), plaintext.len(), "plaintext was lost");
                    }
                }
            }
        });
    }

    /// Random bytes instead of TLS, ended: the handshake fails, as client and as server.
    #[test]
    fn random_bytes_fail_the_handshake(
        as_client: bool,
        garbage in prop_oneof![
            vec(any::<u8>(), 0..2000),
            // A plausible record header (handshake, TLS 1.0 to 1.3), then anything.
            (0x01..=0x04u8, any::<u16>(), vec(any::<u8>(), 0..600))
                .prop_map(|(minor, len, body)| [&[0x16, 0x03, minor][..], &len.to_be_bytes(), &body].concat()),
        ],
        piece in prop_oneof![1..64usize, Just(usize::MAX)],
    ) {
        let client = CONFIGS.clients[0].clone();
        on_every_backend(|| async {
            let (ours, theirs) = UnixStream::pair().unwrap();
            let ((), outcome) = zip(
                garbage_peer(theirs, &garbage, piece),
                victim(ours, as_client, client.clone()),
            )
            .await;
            assert!(
                matches!(outcome, Outcome::HandshakeFailed(_)),
                "random bytes made a session: {outcome:?}"
            );
        });
    }
}
