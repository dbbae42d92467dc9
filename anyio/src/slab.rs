//! A slab: a vector of slots with a free list, for O(1) insertion and removal by index.
//!
//! Used where many short-lived entries come and go under one lock (the children of a scope,
//! of a task group): removal by index avoids both searching and shifting.

#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Option<T>>,
    free: Vec<usize>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` and returns its index.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(index) => {
                self.slots[index] = Some(value);
                index
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// Removes and returns the value at `index`, if there is one.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        let value = self.slots.get_mut(index)?.take()?;
        self.free.push(index);
        Some(value)
    }

    /// The stored values.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
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
    }
}
