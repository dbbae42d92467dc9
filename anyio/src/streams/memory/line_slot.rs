//! [`LineSlot`]: the place in line that an end keeps for its poll-based trait (`Stream` for
//! the receiver, `Sink` for the sender).
//!
//! A `Stream` or `Sink` caller may stop polling at any time (a `next()` or `send()` future
//! dropped by a timeout), leaving the end's place in line behind. The end's own `receive`,
//! `send` and `try_*` methods, which take `&self`, then pick that place up (an item handed to
//! it, a reservation granted to it) instead of queueing behind it. So the slot is readable and
//! writable through `&self`: an atomic, only ever touched under the channel's lock, which
//! orders every access (hence `Relaxed`).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sync::waiters::Key;

const IDLE: usize = usize::MAX;
const RESERVED: usize = usize::MAX - 1;

/// Where an end's `Stream` or `Sink` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Not in line.
    Idle,
    /// In line (or served, not yet collected), under this key.
    Waiting(Key),
    /// Holds a reservation (senders only).
    Reserved,
}

/// An end's [`Place`], kept in an atomic; read and written under the channel's lock only.
#[derive(Debug)]
pub(super) struct LineSlot(AtomicUsize);

impl LineSlot {
    #[inline]
    pub(super) fn new() -> Self {
        LineSlot(AtomicUsize::new(IDLE))
    }

    #[inline]
    pub(super) fn get(&self) -> Place {
        match self.0.load(Ordering::Relaxed) {
            IDLE => Place::Idle,
            RESERVED => Place::Reserved,
            key => Place::Waiting(key),
        }
    }

    #[inline]
    pub(super) fn set(&self, place: Place) {
        let raw = match place {
            Place::Idle => IDLE,
            Place::Reserved => RESERVED,
            Place::Waiting(key) => key,
        };
        self.0.store(raw, Ordering::Relaxed);
    }

    /// The place, leaving `Idle` behind. Stores only when there was a place: this runs on
    /// every send and receive, where the slot is nearly always idle.
    #[inline]
    pub(super) fn take(&self) -> Place {
        let place = self.get();
        if place != Place::Idle {
            self.set(Place::Idle);
        }
        place
    }
}
