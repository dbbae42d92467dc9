//! [`HandshakeError`]: why a [`TlsListener`](super::TlsListener) dropped a connection, as its
//! [handshake error hook](super::TlsListener::on_handshake_error) is told.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A server's TLS handshake that failed or took too long, on a connection a
/// [`TlsListener`](super::TlsListener) accepted (what AnyIO passes to
/// `TLSListener.handle_handshake_error`). The connection has been dropped by then.
///
/// # Examples
/// See [`TlsListener::on_handshake_error`](super::TlsListener::on_handshake_error).
#[derive(Debug)]
pub struct HandshakeError {
    peer: Option<SocketAddr>,
    failure: Failure,
}

#[derive(Debug)]
enum Failure {
    /// The handshake failed: rustls's error, the transport's, or its end.
    Failed(io::Error),
    /// The client did not finish within the handshake timeout.
    TimedOut(Duration),
}

impl HandshakeError {
    /// A handshake with `peer` that failed with `error`.
    pub(super) fn failed(peer: Option<SocketAddr>, error: io::Error) -> HandshakeError {
        HandshakeError {
            peer,
            failure: Failure::Failed(error),
        }
    }

    /// A handshake with `peer` that did not finish within `timeout`.
    pub(super) fn timed_out(peer: Option<SocketAddr>, timeout: Duration) -> HandshakeError {
        HandshakeError {
            peer,
            failure: Failure::TimedOut(timeout),
        }
    }

    /// The client's address, when the listener underneath knows it (a TCP listener does; a
    /// UNIX one has none to give).
    ///
    /// # Examples
    /// See [`TlsListener::on_handshake_error`](super::TlsListener::on_handshake_error).
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Whether the client took longer than the
    /// [handshake timeout](super::TlsListener::handshake_timeout).
    ///
    /// # Examples
    /// See [`TlsListener::on_handshake_error`](super::TlsListener::on_handshake_error).
    pub fn is_timeout(&self) -> bool {
        matches!(self.failure, Failure::TimedOut(_))
    }

    /// The kind of the error: `TimedOut` for a timeout, `InvalidData` when rustls refused the
    /// peer's messages ([`rustls_error`](Self::rustls_error) says why), `UnexpectedEof` when
    /// the client went away during the handshake, or the transport's.
    ///
    /// # Examples
    /// See [`TlsListener::on_handshake_error`](super::TlsListener::on_handshake_error).
    pub fn kind(&self) -> io::ErrorKind {
        match &self.failure {
            Failure::Failed(error) => error.kind(),
            Failure::TimedOut(_) => io::ErrorKind::TimedOut,
        }
    }

    /// rustls's error, when the handshake failed on the peer's messages (a client that speaks
    /// no TLS, a certificate that does not verify, no protocol in common).
    ///
    /// # Examples
    /// See [`TlsListener::on_handshake_error`](super::TlsListener::on_handshake_error).
    pub fn rustls_error(&self) -> Option<&rustls::Error> {
        match &self.failure {
            Failure::Failed(error) => rustls_error_of(error),
            Failure::TimedOut(_) => None,
        }
    }
}

/// The [`rustls::Error`] an `io::Error` of this module's handshakes carries, if any.
pub(crate) fn rustls_error_of(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the TLS handshake")?;
        if let Some(peer) = self.peer {
            write!(f, " with {peer}")?;
        }
        match &self.failure {
            Failure::Failed(error) => write!(f, " failed: {error}"),
            Failure::TimedOut(timeout) => write!(f, " timed out after {timeout:?}"),
        }
    }
}

impl Error for HandshakeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.failure {
            Failure::Failed(error) => Some(error),
            Failure::TimedOut(_) => None,
        }
    }
}

impl From<HandshakeError> for io::Error {
    fn from(error: HandshakeError) -> io::Error {
        io::Error::new(error.kind(), error)
    }
}
