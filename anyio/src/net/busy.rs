//! One user per direction of a socket shared by reference: a second concurrent receive (or
//! send) fails with [`BusyResourceError`] instead of stealing the first one's wake-ups.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::BusyResourceError;

/// Whether somebody is using one direction of a socket.
#[derive(Debug, Default)]
pub(super) struct BusyFlag(AtomicBool);

impl BusyFlag {
    /// Claims the direction for as long as the guard lives, or fails with what the other user
    /// is doing (`action`: "receiving on", "sending on").
    pub(super) fn claim(&self, action: &'static str) -> Result<BusyGuard<'_>, BusyResourceError> {
        if self.0.swap(true, Ordering::Acquire) {
            return Err(BusyResourceError::new(action));
        }
        Ok(BusyGuard(&self.0))
    }
}

/// Releases its direction when dropped, also when the operation is cancelled.
#[derive(Debug)]
pub(super) struct BusyGuard<'a>(&'a AtomicBool);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::BusyFlag;

    #[test]
    fn a_second_claim_fails_until_the_first_is_released() {
        let flag = BusyFlag::default();
        let first = flag.claim("receiving on").unwrap();
        let error = flag.claim("receiving on").unwrap_err();
        assert_eq!(
            error.to_string(),
            "another task is already receiving on this resource"
        );
        drop(first);
        assert!(flag.claim("receiving on").is_ok());
    }
}
