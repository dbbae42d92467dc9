//! The FIFO queue of waiting futures that every primitive keeps under its lock.
//!
//! A waiter is a slot in a vector, linked to its neighbours by index, so that joining the end,
//! leaving from the middle (a cancelled wait) and serving the front are all O(1) and allocate
//! nothing once the vector has grown to the high-water mark of concurrent waiters.
//!
//! A waiter goes through two states. *Queued*: it waits in line, with its waker. *Granted*: the
//! primitive served it (handed it a permit, a notification, ...) and took it out of the line,
//! but its future has not yet collected the grant. The slot stays until the future collects it
//! or is dropped, so a dropped future can give back what it was granted: this is what makes the
//! waits cancel safe.
//!
//! # Waiters whose cancellation is pending
//! Each waiter remembers the scope whose cancellation would cancel it (see
//! `cancel::context::waiter_scope`). A primitive serving its line asks
//! [`front_live`](WaiterList::front_live) for the first waiter, which passes over the waiters
//! whose scope is effectively cancelled: they are *evicted* (taken out of the line with nothing
//! granted; what they were given so far goes back to the primitive). Their scope drops them at
//! their next poll anyway; a grant would be consumed by a task about to be dropped, or held up
//! until it is (DESIGN §4 rule 9). An evicted waiter that is polled again without having been
//! cancelled after all (a shield switched on around it) joins the line again at the back.

use std::sync::Arc;
use std::task::Waker;

use crate::cancel::context;
use crate::cancel::node::ScopeNode;

/// No neighbour.
const NONE: usize = usize::MAX;

/// A waiter's key, returned by [`WaiterList::push_back`].
pub(crate) type Key = usize;

/// What [`WaiterList::remove`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Removed<D> {
    /// The waiter was still in line.
    Queued(D),
    /// The waiter had been served, and must give back (or pass on) what it was granted.
    Granted(D),
    /// The waiter was evicted (its cancellation was pending): it has nothing to give back.
    Evicted,
}

/// Where a waiter stands, for its future's poll.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    Queued,
    Granted,
    Evicted,
}

#[derive(Debug)]
enum Slot<D> {
    Vacant {
        next_free: usize,
    },
    Queued {
        waker: Waker,
        data: D,
        /// The scope whose cancellation would cancel the waiter.
        scope: Option<Arc<ScopeNode>>,
        prev: usize,
        next: usize,
    },
    Granted {
        data: D,
    },
    Evicted,
}

/// A FIFO line of waiters, each carrying data `D` (what it asks for).
#[derive(Debug)]
pub(crate) struct WaiterList<D> {
    slots: Vec<Slot<D>>,
    free: usize,
    head: usize,
    tail: usize,
    queued: usize,
}

impl<D> Default for WaiterList<D> {
    fn default() -> Self {
        WaiterList::new()
    }
}

impl<D> WaiterList<D> {
    pub(crate) const fn new() -> Self {
        WaiterList {
            slots: Vec::new(),
            free: NONE,
            head: NONE,
            tail: NONE,
            queued: 0,
        }
    }

    /// How many waiters are in line (granted ones not counted).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Whether nobody is in line.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Puts a waiter at the end of the line. Call it from the waiter's own poll: it remembers
    /// the scope being polled, to pass the waiter over if that scope is cancelled.
    pub(crate) fn push_back(&mut self, waker: Waker, data: D) -> Key {
        let scope = context::waiter_scope(&waker);
        let slot = Slot::Queued {
            waker,
            data,
            scope,
            prev: self.tail,
            next: NONE,
        };
        let key = if self.free == NONE {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let key = self.free;
            let Slot::Vacant { next_free } = self.slots[key] else {
                unreachable!("the free list holds vacant slots only");
            };
            self.free = next_free;
            self.slots[key] = slot;
            key
        };
        match self.tail {
            NONE => self.head = key,
            tail => self.set_next(tail, key),
        }
        self.tail = key;
        self.queued += 1;
        key
    }

    /// Puts a waiter at the front of the line: one that was served but could not use what it
    /// was granted, and keeps its turn.
    pub(crate) fn push_front(&mut self, waker: Waker, data: D) -> Key {
        let key = self.push_back(waker, data);
        if self.head != key {
            // Unlink from the tail (where push_back put it) and relink at the head.
            let (waker, data, scope) = self.unlink(key);
            let old_head = self.head;
            self.slots[key] = Slot::Queued {
                waker,
                data,
                scope,
                prev: NONE,
                next: old_head,
            };
            self.set_prev(old_head, key);
            self.head = key;
            self.queued += 1;
        }
        key
    }

    /// The key of the first waiter in line.
    ///
    /// # Panics
    /// When nobody is in line.
    pub(crate) fn front_key(&self) -> Key {
        assert_ne!(self.head, NONE, "anyio internal error: the line is empty");
        self.head
    }

    /// The data of the first waiter in line.
    pub(crate) fn front_mut(&mut self) -> Option<&mut D> {
        match self.slots.get_mut(self.head)? {
            Slot::Queued { data, .. } => Some(data),
            _ => unreachable!("the head of the line is queued"),
        }
    }

    /// The data of the first waiter in line whose cancellation is not pending. The waiters
    /// before it are evicted: each leaves the line, its data goes to `evicted` (to give back
    /// what it was given), and its future finds [`Standing::Evicted`].
    #[inline]
    pub(crate) fn front_live(&mut self, evicted: impl FnMut(D)) -> Option<&mut D> {
        if self.head == NONE {
            return None;
        }
        self.front_live_slow(evicted)
    }

    fn front_live_slow(&mut self, mut evicted: impl FnMut(D)) -> Option<&mut D> {
        loop {
            let cancelled = match self.slots.get(self.head)? {
                Slot::Queued { scope, .. } => scope
                    .as_ref()
                    .is_some_and(|scope| scope.effectively_cancelled()),
                _ => unreachable!("the head of the line is queued"),
            };
            if !cancelled {
                break;
            }
            let key = self.head;
            let (_waker, data, _scope) = self.unlink(key);
            self.slots[key] = Slot::Evicted;
            evicted(data);
        }
        self.front_mut()
    }

    /// Evicts every waiter in line whose cancellation is pending, wherever it stands, passing
    /// their data to `evicted`: for a primitive that counts its waiters as capacity.
    pub(crate) fn evict_cancelled(&mut self, mut evicted: impl FnMut(D)) {
        let mut key = self.head;
        while key != NONE {
            let (next, cancelled) = match &self.slots[key] {
                Slot::Queued { next, scope, .. } => (
                    *next,
                    scope
                        .as_ref()
                        .is_some_and(|scope| scope.effectively_cancelled()),
                ),
                _ => unreachable!("the line links queued waiters only"),
            };
            if cancelled {
                let (_waker, data, _scope) = self.unlink(key);
                self.slots[key] = Slot::Evicted;
                evicted(data);
            }
            key = next;
        }
    }

    /// Serves the first waiter in line: it leaves the line, keeps its slot as granted, and its
    /// waker is returned, to be woken once the caller has released its lock.
    pub(crate) fn grant_front(&mut self) -> Option<Waker> {
        if self.head == NONE {
            return None;
        }
        let key = self.head;
        let (waker, data, _scope) = self.unlink(key);
        self.slots[key] = Slot::Granted { data };
        Some(waker)
    }

    /// Serves the first waiter in line whose cancellation is not pending, evicting the ones
    /// before it (see [`front_live`](Self::front_live)), for lines whose waiters were given
    /// nothing before they are served.
    #[inline]
    pub(crate) fn grant_front_live(&mut self) -> Option<Waker> {
        if self.head == NONE {
            return None;
        }
        self.front_live_slow(drop)?;
        self.grant_front()
    }

    /// Whether the waiter `key` has been served.
    pub(crate) fn is_granted(&self, key: Key) -> bool {
        matches!(self.slots.get(key), Some(Slot::Granted { .. }))
    }

    /// Where the waiter `key` stands.
    pub(crate) fn standing(&self, key: Key) -> Standing {
        match self.slots.get(key) {
            Some(Slot::Queued { .. }) => Standing::Queued,
            Some(Slot::Granted { .. }) => Standing::Granted,
            Some(Slot::Evicted) => Standing::Evicted,
            _ => panic!("anyio internal error: waiter {key} is not in the list"),
        }
    }

    /// The data of a served waiter that has not collected its grant yet.
    pub(crate) fn granted_mut(&mut self, key: Key) -> Option<&mut D> {
        match self.slots.get_mut(key) {
            Some(Slot::Granted { data }) => Some(data),
            _ => None,
        }
    }

    /// Stores `waker` for the waiter `key` if it is still in line and the waker changed.
    pub(crate) fn update_waker(&mut self, key: Key, waker: &Waker) {
        if let Some(Slot::Queued { waker: stored, .. }) = self.slots.get_mut(key) {
            if !stored.will_wake(waker) {
                stored.clone_from(waker);
            }
        }
    }

    /// Takes the waiter `key` out, whatever its state, freeing its slot.
    ///
    /// # Panics
    /// If `key` is not a live waiter: a bug in the primitive, which owns its keys.
    pub(crate) fn remove(&mut self, key: Key) -> Removed<D> {
        let removed = match self.slots.get(key) {
            Some(Slot::Queued { .. }) => Removed::Queued(self.unlink(key).1),
            Some(Slot::Granted { .. }) => {
                let Slot::Granted { data } =
                    std::mem::replace(&mut self.slots[key], Slot::Vacant { next_free: NONE })
                else {
                    unreachable!("checked above");
                };
                Removed::Granted(data)
            }
            Some(Slot::Evicted) => Removed::Evicted,
            _ => panic!("anyio internal error: waiter {key} is not in the list"),
        };
        self.slots[key] = Slot::Vacant {
            next_free: self.free,
        };
        self.free = key;
        removed
    }

    /// Serves up to `count` waiters from the front of the line, returning their wakers.
    /// Waiters whose cancellation is pending are passed over (evicted) when `skip_cancelled`.
    pub(crate) fn grant(&mut self, count: usize, skip_cancelled: bool) -> WakeList {
        let mut wakers = WakeList::default();
        for _ in 0..count {
            let served = if skip_cancelled {
                self.grant_front_live()
            } else {
                self.grant_front()
            };
            match served {
                Some(waker) => wakers.push(waker),
                None => break,
            }
        }
        wakers
    }

    fn set_next(&mut self, key: Key, next: usize) {
        if let Slot::Queued { next: link, .. } = &mut self.slots[key] {
            *link = next;
        }
    }

    fn set_prev(&mut self, key: Key, prev: usize) {
        if let Slot::Queued { prev: link, .. } = &mut self.slots[key] {
            *link = prev;
        }
    }

    /// Takes a queued waiter out of the line, leaving its slot vacant but not yet free.
    fn unlink(&mut self, key: Key) -> (Waker, D, Option<Arc<ScopeNode>>) {
        let Slot::Queued {
            waker,
            data,
            scope,
            prev,
            next,
        } = std::mem::replace(&mut self.slots[key], Slot::Vacant { next_free: NONE })
        else {
            unreachable!("only queued waiters are unlinked");
        };
        match prev {
            NONE => self.head = next,
            prev => self.set_next(prev, next),
        }
        match next {
            NONE => self.tail = prev,
            next => self.set_prev(next, prev),
        }
        self.queued -= 1;
        (waker, data, scope)
    }
}

/// Wakers collected under a lock, to wake after releasing it. The common case, one waker,
/// allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    /// Adds a waker, if there is one.
    pub(crate) fn extend(&mut self, waker: Option<Waker>) {
        if let Some(waker) = waker {
            self.push(waker);
        }
    }

    pub(crate) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes them all. Call it with no lock held: a woken task may run at once on another
    /// thread and take the lock.
    #[inline]
    pub(crate) fn wake(self) {
        // Usually none: this test is inlined into every operation, the waking is not.
        if self.first.is_some() {
            self.wake_all();
        }
    }

    fn wake_all(self) {
        // Usually one: wake the inline one, and touch the vector only if it was used.
        let Some(first) = self.first else {
            return;
        };
        first.wake();
        for waker in self.rest {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::{Removed, WaiterList};

    #[test]
    fn serves_in_order_and_skips_removed_waiters() {
        let mut list = WaiterList::new();
        let a = list.push_back(Waker::noop().clone(), 'a');
        let b = list.push_back(Waker::noop().clone(), 'b');
        let c = list.push_back(Waker::noop().clone(), 'c');
        assert_eq!(list.len(), 3);
        assert_eq!(list.remove(b), Removed::Queued('b'));
        assert_eq!(list.front_mut(), Some(&mut 'a'));
        assert!(list.grant_front().is_some());
        assert!(list.is_granted(a));
        assert!(!list.is_granted(c));
        assert_eq!(list.front_mut(), Some(&mut 'c'));
        assert!(list.grant_front().is_some());
        assert!(list.grant_front().is_none());
        assert!(list.is_empty());
        assert_eq!(list.remove(a), Removed::Granted('a'));
        assert_eq!(list.remove(c), Removed::Granted('c'));
    }

    #[test]
    fn a_waiter_put_back_in_front_is_served_first() {
        let mut list = WaiterList::new();
        assert_eq!(list.push_front(Waker::noop().clone(), 'b'), 0);
        list.push_back(Waker::noop().clone(), 'c');
        let a = list.push_front(Waker::noop().clone(), 'a');
        assert_eq!(list.len(), 3);
        let mut served = Vec::new();
        while let Some(front) = list.front_mut() {
            served.push(*front);
            list.grant_front();
        }
        assert_eq!(served, ['a', 'b', 'c']);
        assert_eq!(list.remove(a), Removed::Granted('a'));
    }

    #[test]
    fn slots_are_reused_and_links_stay_sound() {
        let mut list = WaiterList::new();
        for round in 0..3 {
            let keys: Vec<_> = (0..5)
                .map(|i| list.push_back(Waker::noop().clone(), round * 10 + i))
                .collect();
            // Leave from the tail, the middle and the head.
            assert_eq!(list.remove(keys[4]), Removed::Queued(round * 10 + 4));
            assert_eq!(list.remove(keys[2]), Removed::Queued(round * 10 + 2));
            assert_eq!(list.remove(keys[0]), Removed::Queued(round * 10));
            let extra = list.push_back(Waker::noop().clone(), 99);
            let mut served = Vec::new();
            while let Some(front) = list.front_mut() {
                served.push(*front);
                list.grant_front();
            }
            assert_eq!(served, [round * 10 + 1, round * 10 + 3, 99]);
            for key in [keys[1], keys[3], extra] {
                assert!(matches!(list.remove(key), Removed::Granted(_)));
            }
        }
        assert!(
            list.slots.len() <= 5,
            "slots are reused: {}",
            list.slots.len()
        );
    }
}
