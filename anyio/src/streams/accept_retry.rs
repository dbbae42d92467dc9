//! What an accept loop does when accepting fails: skip a connection that failed on its own,
//! wait out a shortage of resources, stop only when the listener itself is gone.
//!
//! The split follows Trio. A listener's `accept` retries the failures of one connection
//! itself (there is nothing else to do about a connection its peer already gave up on), and
//! returns a shortage of descriptors or memory to its caller, who may be able to free some.
//! [`Listener::serve`](super::Listener::serve), which has nobody to return to but its end,
//! waits [`BACKOFF`] and tries again: connections keep queueing in the listen backlog
//! meanwhile, and are accepted once descriptors are freed. Sleeping, rather than retrying at
//! once, keeps a server that cannot accept from spinning on a listener that stays readable.

use std::io;
use std::time::{Duration, Instant};

/// How long `serve` waits before accepting again after running out of resources (Trio's
/// `serve_listeners` waits as long).
pub(crate) const BACKOFF: Duration = Duration::from_millis(100);

/// What a failed accept says about the listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AcceptFailure {
    /// Only the connection being accepted failed (aborted or reset by its peer, refused by a
    /// firewall, a network error pending on it): the next one may be accepted at once.
    OneConnection,
    /// The process or the system is out of descriptors or memory: accepting works again once
    /// some are freed.
    Exhausted,
    /// The listener is closed or broken, or the failure is unknown: accepting is over.
    Fatal,
}

impl AcceptFailure {
    /// Classifies an error of `accept`, by its errno when it has one, else by its kind.
    pub(crate) fn of(error: &io::Error) -> AcceptFailure {
        match error.raw_os_error() {
            Some(errno) => AcceptFailure::of_errno(errno),
            None => match error.kind() {
                io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted => AcceptFailure::OneConnection,
                io::ErrorKind::OutOfMemory => AcceptFailure::Exhausted,
                _ => AcceptFailure::Fatal,
            },
        }
    }

    fn of_errno(errno: i32) -> AcceptFailure {
        match errno {
            // The per-process and system-wide descriptor limits, and memory for socket
            // buffers or the kernel. ENOSPC is not accept(2)'s but epoll's: registering the
            // new connection with the reactor fails with it at the system's watch limit.
            libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC => {
                AcceptFailure::Exhausted
            }
            // Aborted or reset before it was accepted, refused by a firewall (EPERM), or
            // interrupted; and the network errors that Linux's accept(2) passes on from the
            // new connection, which its manual says to treat like EAGAIN.
            libc::ECONNABORTED
            | libc::ECONNRESET
            | libc::EPERM
            | libc::EINTR
            | libc::EPROTO
            | libc::ENOPROTOOPT
            | libc::ENETDOWN
            | libc::ENETUNREACH
            | libc::EHOSTDOWN
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ETIMEDOUT => AcceptFailure::OneConnection,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            libc::ENONET => AcceptFailure::OneConnection,
            _ => AcceptFailure::Fatal,
        }
    }
}

/// Whether an accept error concerns only the connection being accepted, so that accepting may
/// go on at once.
pub(crate) fn is_about_one_connection(error: &io::Error) -> bool {
    AcceptFailure::of(error) == AcceptFailure::OneConnection
}

/// An accept loop's memory of its failures: when to try again after running out of
/// resources, and the shortage under way (an *episode*: from a failure to the next accept that
/// works).
///
/// An episode is logged when it starts, as an error, and when it ends, as info: not at every
/// retry. A server that keeps running short (each accept that works takes the descriptor
/// freed just before) goes through an episode every 100 ms or so; to keep its log readable,
/// the start of an episode is logged only if no error was in the last [`REPORT_INTERVAL`],
/// or once the episode has lasted until then, and the error says how many episodes went by
/// unlogged in between. Only the end of a logged episode is logged.
#[derive(Debug, Default)]
pub(crate) struct AcceptRetry {
    /// When the next accept may be tried, after a shortage; on the backend's clock.
    resume_at: Option<Instant>,
    episode: Option<Episode>,
    /// When the start of an episode was last logged.
    last_report: Option<Instant>,
    /// Episodes that started since then without being logged.
    unreported: u64,
}

/// How often, at most, running out of resources is logged as an error.
pub(crate) const REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// A shortage of resources under way.
#[derive(Debug)]
struct Episode {
    started: Instant,
    failed_attempts: u64,
    /// Whether its start was logged (so that its end is).
    reported: bool,
}

impl AcceptRetry {
    /// Waits until accepting may be tried again: at once, unless the last failure was a
    /// shortage, then until [`BACKOFF`] after it. Cancel safe: dropped and called again, it
    /// waits for the same instant.
    pub(crate) async fn pause(&mut self) {
        if let Some(resume_at) = self.resume_at {
            crate::sleep_until(resume_at).await;
            self.resume_at = None;
        }
    }

    /// Notes an accept that worked, which ends a shortage.
    pub(crate) fn succeeded(&mut self) {
        if let Some(episode) = self.episode.take() {
            if episode.reported {
                tracing::info!(
                    target: "anyio::serve",
                    failed_attempts = episode.failed_attempts,
                    duration = ?crate::current_time().saturating_duration_since(episode.started),
                    "accepting connections again after running out of resources"
                );
            }
        }
    }

    /// Notes an accept that failed: `None` when accepting should go on (after
    /// [`pause`](Self::pause)), or the error back when it is fatal.
    pub(crate) fn failed(&mut self, error: io::Error) -> Option<io::Error> {
        match AcceptFailure::of(&error) {
            AcceptFailure::OneConnection => {
                tracing::debug!(target: "anyio::serve", %error, "a connection failed before it was accepted; skipped");
                None
            }
            AcceptFailure::Exhausted => {
                let now = crate::current_time();
                self.resume_at = Some(now + BACKOFF);
                let episode = self.episode.get_or_insert_with(|| {
                    self.unreported += 1;
                    Episode {
                        started: now,
                        failed_attempts: 0,
                        reported: false,
                    }
                });
                episode.failed_attempts += 1;
                let due = self
                    .last_report
                    .is_none_or(|last| now.saturating_duration_since(last) >= REPORT_INTERVAL);
                if !episode.reported && due {
                    episode.reported = true;
                    self.unreported -= 1;
                    self.last_report = Some(now);
                    // Taken out here: the macro evaluates its fields only when enabled.
                    let unlogged = std::mem::take(&mut self.unreported);
                    tracing::error!(
                        target: "anyio::serve",
                        %error,
                        retry_every = ?BACKOFF,
                        unlogged_shortages = unlogged,
                        "cannot accept connections for want of resources; retrying until it works"
                    );
                }
                None
            }
            AcceptFailure::Fatal => Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::{AcceptFailure, AcceptRetry, REPORT_INTERVAL};

    #[test]
    fn shortages_of_descriptors_and_memory_are_transient() {
        for errno in [
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOBUFS,
            libc::ENOMEM,
            libc::ENOSPC,
        ] {
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(
                AcceptFailure::of(&error),
                AcceptFailure::Exhausted,
                "{error}"
            );
        }
        let error = io::Error::from(io::ErrorKind::OutOfMemory);
        assert_eq!(AcceptFailure::of(&error), AcceptFailure::Exhausted);
    }

    #[test]
    fn failures_of_one_connection_are_skipped() {
        for errno in [
            libc::ECONNABORTED,
            libc::ECONNRESET,
            libc::EPERM,
            libc::EINTR,
            libc::EPROTO,
            libc::ENOPROTOOPT,
            libc::ENETDOWN,
            libc::ENETUNREACH,
            libc::EHOSTDOWN,
            libc::EHOSTUNREACH,
            libc::EOPNOTSUPP,
            libc::ETIMEDOUT,
            libc::ENONET,
        ] {
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(
                AcceptFailure::of(&error),
                AcceptFailure::OneConnection,
                "{error}"
            );
        }
        let error = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(AcceptFailure::of(&error), AcceptFailure::OneConnection);
    }

    #[test]
    fn a_closed_or_broken_listener_is_fatal() {
        for errno in [libc::EBADF, libc::ENOTSOCK, libc::EINVAL, libc::EFAULT] {
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(AcceptFailure::of(&error), AcceptFailure::Fatal, "{error}");
        }
        let closed = io::Error::from(crate::streams::StreamError::Closed);
        assert_eq!(AcceptFailure::of(&closed), AcceptFailure::Fatal);
    }

    #[test]
    fn a_shortage_pauses_the_next_accept_and_a_success_ends_it() {
        let mut retry = AcceptRetry::default();
        assert!(
            retry
                .failed(io::Error::from_raw_os_error(libc::ECONNABORTED))
                .is_none()
        );
        assert!(
            retry.resume_at.is_none(),
            "a lost connection is no reason to wait"
        );
        assert!(
            retry
                .failed(io::Error::from_raw_os_error(libc::EMFILE))
                .is_none()
        );
        assert!(
            retry
                .failed(io::Error::from_raw_os_error(libc::EMFILE))
                .is_none()
        );
        assert!(retry.resume_at.is_some());
        let episode = retry.episode.as_ref().unwrap();
        assert_eq!(episode.failed_attempts, 2);
        assert!(episode.reported);
        retry.succeeded();
        assert!(retry.episode.is_none());
        let fatal = retry.failed(io::Error::from_raw_os_error(libc::EBADF));
        assert_eq!(fatal.unwrap().raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn shortages_in_quick_succession_are_reported_together() {
        let mut retry = AcceptRetry::default();
        let emfile = || io::Error::from_raw_os_error(libc::EMFILE);
        assert!(retry.failed(emfile()).is_none());
        let first_report = retry.last_report.unwrap();
        retry.succeeded();
        // Two more episodes within the interval: counted, not logged.
        for _ in 0..2 {
            assert!(retry.failed(emfile()).is_none());
            assert!(!retry.episode.as_ref().unwrap().reported);
            retry.succeeded();
        }
        assert_eq!(retry.unreported, 2);
        // One that lasts past the interval is logged then, with the two before it.
        assert!(retry.failed(emfile()).is_none());
        retry.last_report = first_report.checked_sub(REPORT_INTERVAL);
        assert!(retry.failed(emfile()).is_none());
        assert!(retry.episode.as_ref().unwrap().reported);
        assert_eq!(retry.unreported, 0);
    }
}
