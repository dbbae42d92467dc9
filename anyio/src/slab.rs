//! A slab: a vector of slots with a free list, for O(1) insertion and removal by index.
//!
//! Used where many short-lived entries come and go under one lock (the children of a scope,
//! of a task group): removal by index avoids both searching and shifting.

use std::num::NonZeroU32;

/// The free list threads through the vacant slots themselves, so a slab is one vector and
/// one index: an empty slab is small (a scope node carries one) and has one buffer to free.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// The first vacant slot, or [`END`].
    free: usize,
}

/// The end of the free list.
const END: usize = usize::MAX;

/// The index that a key of [`Slab::insert_keyed`] stands for.
pub(crate) fn index_of(key: NonZeroU32) -> usize {
    key.get() as usize - 1
}

#[derive(Debug)]
enum Slot<T> {
    Full(T),
    /// Vacant; the next vacant slot, or [`END`].
    Vacant(usize),
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: END,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` and returns its index.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        let index = self.free;
        if let Some(slot) = self.slots.get_mut(index) {
            if let Slot::Vacant(next) = *slot {
                *slot = Slot::Full(value);
                self.free = next;
                return index;
            }
        }
        self.slots.push(Slot::Full(value));
        self.slots.len() - 1
    }

    /// Stores `value` under a four-byte key (its index plus one), for holders that keep their
    /// key in a small field; `None`, storing nothing, if the index would not fit (a slab that
    /// holds 2^32 - 1 entries at once, which no list of tasks or scopes comes near).
    pub(crate) fn insert_keyed(&mut self, value: T) -> Option<NonZeroU32> {
        let next = if self.slots.get(self.free).is_some() {
            self.free
        } else {
            self.slots.len()
        };
        let key = u32::try_from(next + 1).ok().and_then(NonZeroU32::new)?;
        let index = self.insert(value);
        debug_assert_eq!(
            index, next,
            "the slab stored the value where it said it would"
        );
        Some(key)
    }

    /// Removes and returns the value stored under `key` by
    /// [`insert_keyed`](Self::insert_keyed), if it is still there.
    pub(crate) fn remove_keyed(&mut self, key: NonZeroU32) -> Option<T> {
        self.remove(index_of(key))
    }

    /// Removes and returns the value at `index`, if there is one.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        let slot = self.slots.get_mut(index)?;
        match std::mem::replace(slot, Slot::Vacant(self.free)) {
            Slot::Full(value) => {
                self.free = index;
                Some(value)
            }
            vacant => {
                *slot = vacant;
                None
            }
        }
    }

    /// The stored values.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|slot| match slot {
            Slot::Full(value) => Some(value),
            Slot::Vacant(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn indices_are_reused_and_values_kept() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        let c = slab.insert("c");
        assert_eq!(c, a);
        assert_eq!(slab.iter().count(), 2);
        let mut values: Vec<_> = slab.iter().copied().collect();
        values.sort_unstable();
        assert_eq!(values, ["b", "c"]);
        assert_eq!(slab.remove(b), Some("b"));
        assert_eq!(slab.remove(99), None);
        // Vacant slots are reused last-freed first, and the vector does not grow meanwhile.
        let d = slab.insert("d");
        assert_eq!(d, b);
        assert_eq!(slab.slots.len(), 2);
        let e = slab.insert("e");
        assert_eq!(e, 2);
    }

    #[test]
    fn keys_are_indices_plus_one_and_reused_like_them() {
        let mut slab = Slab::default();
        let a = slab.insert_keyed("a").unwrap();
        let b = slab.insert_keyed("b").unwrap();
        assert_eq!((a.get(), b.get()), (1, 2));
        assert_eq!(super::index_of(b), 1);
        assert_eq!(slab.remove_keyed(a), Some("a"));
        assert_eq!(slab.remove_keyed(a), None);
        let c = slab.insert_keyed("c").unwrap();
        assert_eq!(c, a, "the freed slot comes back under the same key");
        assert_eq!(slab.remove(super::index_of(b)), Some("b"));
        assert_eq!(slab.insert("d"), super::index_of(b));
        assert_eq!(slab.insert_keyed("e").unwrap().get(), 3);
    }
}
