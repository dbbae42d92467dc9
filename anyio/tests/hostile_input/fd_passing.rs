//! Property tests of file descriptor passing (`SCM_RIGHTS`) over a UNIX socket pair, on every
//! backend: a peer sends messages of random sizes carrying random numbers of descriptors
//! (none, fewer or more than the receiver asks for), the receiver mixes `receive_fds` with
//! random limits (zero, small, huge) and plain receives. Every answer is the right bytes and
//! descriptors or a clear error, and no descriptor is left open afterwards (counted in
//! `/proc/self/fd`).
//!
//! The cases of this test binary run one at a time (see `props::on_every_backend`), so that
//! the descriptor counts are the case's alone; cargo runs test binaries one after another.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use anyio::net::UnixStream;
use anyio::streams::{ByteReceiveStream, ByteSendStream, StreamError};
use futures_lite::future::zip;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::props::{config, on_every_backend};

/// How many descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// What a descriptor refers to, as `/proc` names it ("socket:[1234]"): the same for every
/// copy of one descriptor, and different for different sockets.
fn identity(fd: BorrowedFd<'_>) -> String {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A message from the peer: bytes, and how many of the pool's descriptors travel with them.
#[derive(Clone, Debug)]
struct Message {
    len: usize,
    fds: usize,
}

/// How the receiver asks.
#[derive(Clone, Debug)]
enum Receive {
    Fds { max_bytes: usize, max_fds: usize },
    Plain(usize),
}

/// The distinct sockets whose descriptors the peer sends (each kept with its other end).
const POOL: usize = 12;

async fn fd_case(messages: Vec<Message>, receives: Vec<Receive>) {
    // The first socket a process registers with smol's reactor opens the reactor's own
    // descriptors, for good: open them before counting.
    drop(UnixStream::pair().unwrap());
    let baseline = open_fds();
    {
        let pool: Vec<_> = (0..POOL)
            .map(|_| std::os::unix::net::UnixStream::pair().unwrap())
            .collect();
        let names: Vec<String> = pool.iter().map(|(a, _)| identity(a.as_fd())).collect();
        // The stream as the peer sends it: message `i`'s bytes are all `i`, so that each
        // byte tells its message.
        let sent: Vec<u8> = messages
            .iter()
            .enumerate()
            .flat_map(|(i, message)| std::iter::repeat_n(i as u8, message.len))
            .collect();
        let most_fds = messages.iter().map(|m| m.fds).max().unwrap_or(0);
        let (mut peer, mut receiver) = UnixStream::pair().unwrap();

        let sending = async {
            for (index, message) in messages.iter().enumerate() {
                let bytes = vec![index as u8; message.len];
                let result = if message.fds == 0 {
                    peer.send(&bytes).await
                } else {
                    let fds: Vec<BorrowedFd<'_>> =
                        pool[..message.fds].iter().map(|(a, _)| a.as_fd()).collect();
                    peer.send_fds(&bytes, &fds).await
                };
                result.unwrap();
            }
            drop(peer); // the end of the stream
        };

        let receiving = async {
            // What arrived: the bytes, and for each receive_fds where its bytes were and the
            // descriptors that came with them.
            let mut received = Vec::new();
            let mut descriptors: Vec<(usize, usize, Vec<OwnedFd>)> = Vec::new();
            let mut broken = 0;
            // Receives refused for their limits (0) in a row: a whole round of them would
            // loop for ever, so then a plain `receive_fds` goes instead.
            let mut refused = 0;
            let fallback = Receive::Fds {
                max_bytes: 64,
                max_fds: POOL,
            };
            for receive in receives.iter().cycle() {
                let receive = if refused >= receives.len() {
                    refused = 0;
                    &fallback
                } else {
                    receive
                };
                match receive {
                    Receive::Fds { max_bytes, max_fds } => {
                        match receiver.receive_fds(*max_bytes, *max_fds).await {
                            Ok((bytes, fds)) => {
                                assert!(
                                    !bytes.is_empty() && bytes.len() <= *max_bytes,
                                    "{receive:?} gave {} bytes",
                                    bytes.len()
                                );
                                assert!(
                                    fds.len() <= *max_fds,
                                    "{receive:?} gave {} fds",
                                    fds.len()
                                );
                                for fd in &fds {
                                    let flags = rustix::io::fcntl_getfd(fd).unwrap();
                                    assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
                                }
                                descriptors.push((received.len(), bytes.len(), fds));
                                received.extend_from_slice(&bytes);
                            }
                            Err(StreamError::InvalidInput(_))
                                if *max_bytes == 0 || *max_fds == 0 =>
                            {
                                refused += 1;
                                continue;
                            }
                            Err(StreamError::EndOfStream) => break,
                            Err(StreamError::Broken(Some(error))) => {
                                assert!(
                                    *max_fds < most_fds,
                                    "{receive:?}: broken, though no message has more than \
                                     {most_fds} descriptors: {error}"
                                );
                                assert!(error.to_string().contains("more file descriptors"));
                                broken += 1;
                            }
                            Err(error) => panic!("{receive:?}: {error:?}"),
                        }
                    }
                    Receive::Plain(len) => {
                        let mut buf = vec![0; *len];
                        match receiver.receive(&mut buf).await {
                            Ok(n) => received.extend_from_slice(&buf[..n]),
                            Err(StreamError::InvalidInput(_)) if *len == 0 => {
                                refused += 1;
                                continue;
                            }
                            Err(StreamError::EndOfStream) => break,
                            Err(error) => panic!("{receive:?}: {error:?}"),
                        }
                    }
                }
                refused = 0;
            }
            (received, descriptors, broken)
        };

        let ((), (received, descriptors, broken)) = zip(sending, receiving).await;

        if broken == 0 {
            assert_eq!(received, sent, "the bytes differ from those sent");
            // A message's descriptors come with the receive_fds whose bytes hold its first
            // byte (or are dropped with a plain receive of it); such a receive may hold bytes
            // of the messages before it too, but not the start of a second one with
            // descriptors.
            let mut offset = 0;
            let mut starts = Vec::new(); // (offset, descriptors) of the messages with some
            for message in &messages {
                if message.fds > 0 {
                    starts.push((offset, message.fds));
                }
                offset += message.len;
            }
            for (at, len, fds) in &descriptors {
                let within: Vec<usize> = starts
                    .iter()
                    .filter(|(start, _)| (*at..at + len).contains(start))
                    .map(|&(_, count)| count)
                    .collect();
                let names_received: Vec<String> =
                    fds.iter().map(|fd| identity(fd.as_fd())).collect();
                match within[..] {
                    [] => assert!(
                        fds.is_empty(),
                        "descriptors came with bytes {at}..{}",
                        at + len
                    ),
                    [count] => assert_eq!(
                        names_received,
                        names[..count],
                        "bytes {at}..{} came with the wrong descriptors",
                        at + len
                    ),
                    _ => panic!("bytes {at}..{} hold the starts of {within:?}", at + len),
                }
            }
        } else {
            // The bytes of each broken receive were dropped: what arrived is what was sent,
            // less some bytes.
            let mut rest = sent.iter();
            assert!(
                received.iter().all(|byte| rest.any(|sent| sent == byte)),
                "bytes arrived that were not sent, or out of order"
            );
        }
        drop(descriptors);
    }
    assert_eq!(open_fds(), baseline, "descriptors leaked");
}

fn message() -> impl Strategy<Value = Message> {
    (1..=40usize, prop_oneof![2 => Just(0usize), 3 => 1..=POOL])
        .prop_map(|(len, fds)| Message { len, fds })
}

fn limit(small: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = usize> {
    prop_oneof![
        1 => Just(0usize),
        8 => small,
        1 => Just(usize::MAX),
    ]
}

fn receive() -> impl Strategy<Value = Receive> {
    prop_oneof![
        4 => (limit(1..=64), limit(1..=POOL + 2))
            .prop_map(|(max_bytes, max_fds)| Receive::Fds { max_bytes, max_fds }),
        1 => (0..=64usize).prop_map(Receive::Plain),
    ]
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn fd_passing_gives_the_right_descriptors_or_a_clear_error(
        messages in vec(message(), 1..12),
        receives in vec(receive(), 1..6),
    ) {
        on_every_backend(|| fd_case(messages.clone(), receives.clone()));
    }
}

/// The shrunk case of a receiver whose limits meant "no limit": `receive_fds(usize::MAX, ..)`
/// allocated `max_bytes` bytes up front (a capacity overflow panic), and a huge `max_fds`
/// overflowed the control buffer's size.
#[test]
fn receive_fds_takes_huge_limits() {
    on_every_backend(|| {
        fd_case(
            vec![Message { len: 3, fds: 2 }],
            vec![Receive::Fds {
                max_bytes: usize::MAX,
                max_fds: usize::MAX,
            }],
        )
    });
}

/// More descriptors than asked for: the receive fails, and every descriptor that arrived is
/// closed.
#[test]
fn too_many_descriptors_are_closed() {
    on_every_backend(|| {
        fd_case(
            vec![Message { len: 5, fds: POOL }, Message { len: 2, fds: 1 }],
            vec![Receive::Fds {
                max_bytes: 64,
                max_fds: 1,
            }],
        )
    });
}
