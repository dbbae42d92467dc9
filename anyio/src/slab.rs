//! A slab: a vector of slots with a free list, for O(1) insertion and removal by index.
//!
//! Used where many short-lived entries come and go under one lock (the children of a scope,
//! of a task group): removal by index avoids both searching and shifting.

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
}
