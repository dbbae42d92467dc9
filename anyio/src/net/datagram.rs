//! What every datagram socket shares, UDP's and UNIX's: a registered socket used by one
//! receiver and one sender at a time, closed by `aclose`, and the object-stream receive by
//! way of a reusable buffer.

use std::fmt;
use std::io;

use super::busy::BusyFlag;
use crate::backend::wait_point::WaitPoint;
use crate::backend::{Direction, OwnsFd, Registered};
use crate::cancel::gate::gated_io;
use crate::streams::{AttributeRequest, StreamError};

/// A std datagram socket type, with the calls [`Shared`] makes on it (named apart from the
/// std types' own methods, which they forward to).
pub(super) trait DatagramSocket: OwnsFd {
    /// A sender's or peer's address, as the system reports it.
    type Addr: fmt::Debug;
    /// Where a datagram can be sent, converted once before the send.
    type Target: ?Sized;
    /// The size of the buffer an object-stream receive uses: longer datagrams are cut.
    const MAX_OBJECT: usize;

    fn recv_datagram(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn recv_datagram_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
    fn send_datagram(&self, data: &[u8]) -> io::Result<usize>;
    fn send_datagram_to(&self, data: &[u8], target: &Self::Target) -> io::Result<usize>;
    fn local(&self) -> io::Result<Self::Addr>;
    fn peer(&self) -> io::Result<Self::Addr>;
    /// Provides the socket's typed attributes.
    fn provide(&self, request: &mut AttributeRequest<'_>);
}

/// The socket both kinds (unconnected and connected) share: registered, with one user per
/// direction.
pub(super) struct Shared<S: DatagramSocket> {
    /// `None` once closed.
    io: Option<Registered<S>>,
    receiving: BusyFlag,
    sending: BusyFlag,
    /// The buffer the object-stream receive fills, allocated at its first use.
    scratch: Vec<u8>,
}

impl<S: DatagramSocket> Shared<S> {
    pub(super) fn new(io: Registered<S>) -> Shared<S> {
        Shared {
            io: Some(io),
            receiving: BusyFlag::default(),
            sending: BusyFlag::default(),
            scratch: Vec::new(),
        }
    }

    fn io(&self) -> Result<&Registered<S>, StreamError> {
        self.io.as_ref().ok_or(StreamError::Closed)
    }

    /// The socket, or [`StreamError::Closed`] (as an `io::Error`) once closed.
    pub(super) fn socket(&self) -> io::Result<&S> {
        Ok(self.io()?.get_ref())
    }

    /// Closes the socket at once.
    pub(super) fn close(&mut self) {
        drop(self.io.take());
    }

    pub(super) async fn receive_from(
        &self,
        buf: &mut [u8],
    ) -> Result<(usize, S::Addr), StreamError> {
        let io = self.io()?;
        let _busy = self.receiving.claim("receiving on")?;
        Ok(gated_io(
            WaitPoint::Datagram,
            io.io(Direction::Read, |socket| socket.recv_datagram_from(buf)),
        )
        .await?)
    }

    pub(super) async fn receive(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        let io = self.io()?;
        let _busy = self.receiving.claim("receiving on")?;
        Ok(gated_io(
            WaitPoint::Datagram,
            io.io(Direction::Read, |socket| socket.recv_datagram(buf)),
        )
        .await?)
    }

    pub(super) async fn send_to(&self, data: &[u8], target: &S::Target) -> Result<(), StreamError> {
        let io = self.io()?;
        let _busy = self.sending.claim("sending on")?;
        let sent = gated_io(
            WaitPoint::Datagram,
            io.io(Direction::Write, |socket| {
                socket.send_datagram_to(data, target)
            }),
        )
        .await?;
        check_whole(sent, data.len())
    }

    pub(super) async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        let io = self.io()?;
        let _busy = self.sending.claim("sending on")?;
        let sent = gated_io(
            WaitPoint::Datagram,
            io.io(Direction::Write, |socket| socket.send_datagram(data)),
        )
        .await?;
        check_whole(sent, data.len())
    }

    /// Receives one datagram into a fresh `Vec`, by way of the reusable scratch buffer.
    pub(super) async fn receive_object(&mut self) -> Result<(Vec<u8>, S::Addr), StreamError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(S::MAX_OBJECT, 0);
        let received = self.receive_from(&mut scratch).await;
        let datagram = received.map(|(n, from)| (scratch[..n].to_vec(), from));
        self.scratch = scratch;
        datagram
    }

    pub(super) fn provide(&self, request: &mut AttributeRequest<'_>) {
        if let Ok(socket) = self.socket() {
            socket.provide(request);
        }
    }

    pub(super) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct(name);
        match self.socket() {
            Ok(socket) => debug
                .field("local", &socket.local().ok())
                .field("peer", &socket.peer().ok())
                .field("fd", &socket.as_raw_fd()),
            Err(_) => debug.field("closed", &true),
        }
        .finish()
    }
}

/// A datagram goes whole or not at all; a short count would mean a truncated datagram.
fn check_whole(sent: usize, len: usize) -> Result<(), StreamError> {
    if sent == len {
        Ok(())
    } else {
        Err(StreamError::Broken(Some(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("only {sent} of the datagram's {len} bytes were sent"),
        ))))
    }
}
