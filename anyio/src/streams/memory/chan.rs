//! The state shared by every clone of both ends of a memory object stream, and the moves that
//! change it. Everything here runs under the channel's lock; wakers are collected in a
//! [`WakeList`] and woken by the caller once the lock is released.
//!
//! # The protocol
//! - **Items move only while a sender or receiver is being polled (or in a `try_*` call).**
//!   A waiting sender keeps its item; what it waits for is a *reservation*: room in the buffer
//!   or a waiting receiver. Once granted, its next poll delivers. So a send dropped at any
//!   moment has delivered nothing (AnyIO's "a cancelled send delivers nothing"), and a send
//!   that returned `Ok` has delivered.
//! - **A waiting receiver may be handed an item directly** (its slot holds it). If it is
//!   dropped before collecting it, the item goes to the next receiver that was handed one after
//!   it (which passes its own on, and so on down the line), and the last goes to the next
//!   waiting receiver or back to the front of the buffer: a cancelled receive loses nothing,
//!   and the order is kept.
//! - **Hand-offs pass over waiters whose cancellation is pending**: a receiver or a sender
//!   whose scope is cancelled is evicted from its line instead of being handed an item or a
//!   reservation (it is about to be dropped). Evicted, it starts over if polled again.
//! - `room` is what the stream can take now: the free buffer space plus the receivers waiting
//!   (each of which takes one item directly). `reserved` counts granted senders that have not
//!   yet delivered. Invariant: **senders wait in line only while `reserved >= room`**, so a
//!   newcomer (or a `try_send`) that finds `reserved < room` overtakes nobody, and a
//!   reservation cannot be stolen.
//! - Receivers wait only while the buffer is empty, so a newcomer that finds an item
//!   overtakes nobody either.

use std::collections::VecDeque;
use std::task::Waker;

use crate::sync::waiters::{Key, Removed, Standing, WaiterList, WakeList};

/// Why a `try_send` failed, with the item back.
#[derive(Debug)]
pub(super) enum SendRefused<T> {
    /// No room and no waiting receiver (or other senders are ahead).
    Full(T),
    /// Every receiver is closed.
    Broken(T),
}

/// Where a waiting sender stands.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Reservation {
    /// Still in line.
    Waiting,
    /// Granted a reservation, which the sender now holds (it has left the line).
    Held,
    /// Passed over (its cancellation was pending) and out of the line: it must start over.
    Evicted,
}

/// Why a `try_receive` found nothing.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Empty {
    /// Nothing buffered yet; senders are still open.
    Waiting,
    /// Nothing buffered and every sender is closed.
    Ended,
}

/// The shared state of one stream.
#[derive(Debug)]
pub(super) struct Chan<T> {
    queue: VecDeque<T>,
    /// The buffer size; `usize::MAX` for an unbounded stream.
    capacity: usize,
    /// Waiting receivers; a granted one holds the item handed to it (`None`: woken because the
    /// last sender closed).
    receivers: WaiterList<Option<T>>,
    /// The receivers handed an item that they have not collected yet, in the order handed.
    handed: VecDeque<Key>,
    /// Waiting senders; granted ones hold a reservation.
    senders: WaiterList<()>,
    reserved: usize,
    pub(super) senders_open: usize,
    pub(super) receivers_open: usize,
}

impl<T> Chan<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Chan {
            queue: VecDeque::new(),
            capacity,
            receivers: WaiterList::new(),
            handed: VecDeque::new(),
            senders: WaiterList::new(),
            reserved: 0,
            senders_open: 1,
            receivers_open: 1,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(super) fn buffered(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn senders_waiting(&self) -> usize {
        self.senders.len()
    }

    pub(super) fn receivers_waiting(&self) -> usize {
        self.receivers.len()
    }

    /// Counts waiting receivers as room only if they will take an item: receivers whose
    /// cancellation is pending are evicted first (a stream of size 0 must not take an item
    /// for a receiver that is about to be dropped).
    #[inline]
    fn evict_cancelled_receivers(&mut self) {
        if !self.receivers.is_empty() {
            self.receivers.evict_cancelled(drop);
        }
    }

    /// What the stream can take now.
    #[inline]
    fn room(&self) -> usize {
        self.capacity
            .saturating_sub(self.queue.len())
            .saturating_add(self.receivers.len())
    }

    /// Grants waiting senders reservations while there is room for them, passing over those
    /// whose cancellation is pending.
    #[inline]
    fn serve_senders(&mut self, woken: &mut WakeList) {
        if !self.senders.is_empty() {
            self.serve_waiting_senders(woken);
        }
    }

    /// [`serve_senders`](Self::serve_senders) once some sender waits: out of line, so that
    /// the common case (nobody waits) stays small where it is inlined.
    fn serve_waiting_senders(&mut self, woken: &mut WakeList) {
        self.evict_cancelled_receivers();
        while self.reserved < self.room() {
            let Some(waker) = self.senders.grant_front_live() else {
                break;
            };
            self.reserved += 1;
            woken.push(waker);
        }
    }

    /// Puts `item` in the hands of the first waiting receiver whose cancellation is not
    /// pending, or gives it back if there is none.
    #[inline]
    fn hand_to_receiver(&mut self, item: T, woken: &mut WakeList) -> Result<(), T> {
        let Some(slot) = self.receivers.front_live(drop) else {
            return Err(item);
        };
        *slot = Some(item);
        let key = self.receivers.front_key();
        woken.extend(self.receivers.grant_front());
        self.handed.push_back(key);
        Ok(())
    }

    /// Puts `item` in a waiting receiver's hands, or at the back of the buffer.
    #[inline]
    fn deliver(&mut self, item: T, woken: &mut WakeList) {
        if let Err(item) = self.hand_to_receiver(item, woken) {
            self.queue.push_back(item);
        }
    }

    /// Sends at once if the stream has room nobody else reserved.
    #[inline]
    pub(super) fn try_send(&mut self, item: T, woken: &mut WakeList) -> Result<(), SendRefused<T>> {
        if self.receivers_open == 0 {
            return Err(SendRefused::Broken(item));
        }
        self.evict_cancelled_receivers();
        if self.reserved >= self.room() {
            return Err(SendRefused::Full(item));
        }
        self.deliver(item, woken);
        Ok(())
    }

    /// Takes a reservation without waiting: `true` if there was room nobody else reserved.
    pub(super) fn try_reserve(&mut self) -> bool {
        self.evict_cancelled_receivers();
        let free = self.reserved < self.room();
        self.reserved += usize::from(free);
        free
    }

    /// Puts a sender in line for a reservation.
    pub(super) fn wait_to_send(&mut self, waker: &Waker) -> Key {
        self.senders.push_back(waker.clone(), ())
    }

    /// Polls a waiting sender.
    pub(super) fn poll_reservation(&mut self, key: Key, waker: &Waker) -> Reservation {
        match self.senders.standing(key) {
            Standing::Queued => {
                self.senders.update_waker(key, waker);
                Reservation::Waiting
            }
            Standing::Granted => {
                self.senders.remove(key);
                Reservation::Held
            }
            Standing::Evicted => {
                self.senders.remove(key);
                Reservation::Evicted
            }
        }
    }

    /// Delivers on a reservation the caller holds (even if the room it was granted for has
    /// gone: the buffer then holds an item more than its size, which a `Sink` needs).
    pub(super) fn send_on_reservation(&mut self, item: T, woken: &mut WakeList) {
        self.reserved -= 1;
        self.deliver(item, woken);
    }

    /// Delivers on a reservation the caller holds if there is still room. If the room it was
    /// granted for has gone (the receiver it would have gone to left), the sender goes back
    /// to the front of the line and gets its item back, with its new key.
    pub(super) fn send_if_room(
        &mut self,
        item: T,
        waker: &Waker,
        woken: &mut WakeList,
    ) -> Result<(), (T, Key)> {
        self.evict_cancelled_receivers();
        if self.room() > 0 {
            self.send_on_reservation(item, woken);
            return Ok(());
        }
        self.reserved -= 1;
        Err((item, self.senders.push_front(waker.clone(), ())))
    }

    /// Delivers without a reservation: for a `Sink` whose reservation was taken over by the
    /// sender's own `send`. The buffer may then hold an item more than its size.
    pub(super) fn send_unreserved(&mut self, item: T, woken: &mut WakeList) {
        self.deliver(item, woken);
    }

    /// Takes the place in line `key` over from a `Sink` that stopped polling: `true` if it had
    /// been granted a reservation, which the caller now holds; otherwise it leaves the line.
    pub(super) fn take_over_send_place(&mut self, key: Key, woken: &mut WakeList) -> bool {
        if self.senders.is_granted(key) {
            self.senders.remove(key);
            return true;
        }
        self.leave_send_line(key, woken);
        false
    }

    /// Gives back a reservation the caller holds and did not use.
    pub(super) fn unreserve(&mut self, woken: &mut WakeList) {
        self.reserved -= 1;
        self.serve_senders(woken);
    }

    /// A waiting sender leaves; a reservation granted to it goes to the next in line.
    pub(super) fn leave_send_line(&mut self, key: Key, woken: &mut WakeList) {
        if let Removed::Granted(()) = self.senders.remove(key) {
            self.unreserve(woken);
        }
    }

    /// Receives at once if an item is buffered.
    #[inline]
    pub(super) fn try_receive(&mut self, woken: &mut WakeList) -> Result<T, Empty> {
        match self.queue.pop_front() {
            Some(item) => {
                self.serve_senders(woken);
                Ok(item)
            }
            None if self.senders_open == 0 => Err(Empty::Ended),
            None => Err(Empty::Waiting),
        }
    }

    /// Puts a receiver in line; its arrival makes room for a waiting sender.
    pub(super) fn wait_to_receive(&mut self, waker: &Waker, woken: &mut WakeList) -> Key {
        let key = self.receivers.push_back(waker.clone(), None);
        self.serve_senders(woken);
        key
    }

    /// Polls a waiting receiver: `Ok(Some(item))` when it was handed one, `Ok(None)` when it
    /// was woken because the last sender closed (it has left the line), `Err(())` while it
    /// still waits.
    pub(super) fn collect(&mut self, key: Key, waker: &Waker) -> Result<Option<T>, ()> {
        self.take_over_receive_place(key).ok_or_else(|| {
            self.receivers.update_waker(key, waker);
        })
    }

    /// Takes over the place in line `key` of a `Stream` that stopped polling, if it was
    /// served: `Some(Some(item))` for an item handed to it, `Some(None)` if it was woken by
    /// the end of the stream or passed over for a pending cancellation (the place is freed:
    /// look at the buffer); `None` while it still waits (it keeps its place).
    pub(super) fn take_over_receive_place(&mut self, key: Key) -> Option<Option<T>> {
        match self.receivers.standing(key) {
            Standing::Queued => None,
            Standing::Evicted => {
                self.receivers.remove(key);
                Some(None)
            }
            Standing::Granted => match self.receivers.remove(key) {
                Removed::Granted(Some(item)) => {
                    self.unlist_handed(key);
                    Some(Some(item))
                }
                Removed::Granted(None) => Some(None),
                _ => unreachable!("checked that it was granted"),
            },
        }
    }

    /// Takes `key` off the list of receivers holding an item; its position, if it was there.
    fn unlist_handed(&mut self, key: Key) -> Option<usize> {
        let position = self.handed.iter().position(|&handed| handed == key)?;
        self.handed.remove(position);
        Some(position)
    }

    /// A waiting receiver leaves. An item it had been handed moves down the line: to the
    /// receiver handed an item after it, whose item moves on to the next, and so on; the last
    /// goes to the next waiting receiver or back to the front of the buffer. So nothing is
    /// lost and the order holds.
    pub(super) fn leave_receive_line(&mut self, key: Key, woken: &mut WakeList) {
        let Removed::Granted(Some(mut carried)) = self.receivers.remove(key) else {
            return;
        };
        let position = self
            .unlist_handed(key)
            .expect("a receiver holding an item is listed");
        for &later in self.handed.range(position..) {
            let held = self
                .receivers
                .granted_mut(later)
                .and_then(Option::as_mut)
                .expect("a listed receiver holds an item");
            std::mem::swap(held, &mut carried);
        }
        if let Err(item) = self.hand_to_receiver(carried, woken) {
            self.queue.push_front(item);
        }
    }

    /// The last sender closed: waiting receivers wake to find the end of the stream.
    pub(super) fn close_sending(&mut self, woken: &mut WakeList) {
        while let Some(waker) = self.receivers.grant_front() {
            woken.push(waker);
        }
    }

    /// The last receiver closed: waiting senders wake to find the stream broken, and the
    /// buffered items, which nobody can receive any more, are returned to be dropped outside
    /// the lock.
    pub(super) fn close_receiving(&mut self, woken: &mut WakeList) -> VecDeque<T> {
        while let Some(waker) = self.senders.grant_front() {
            self.reserved += 1;
            woken.push(waker);
        }
        std::mem::take(&mut self.queue)
    }
}
