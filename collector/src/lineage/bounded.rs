//! A map that forgets its oldest keys past a capacity: the resolver's side
//! indexes (agents' declarations, hop marks, inference candidates) stay
//! within the memory bounds of the main ones.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A `HashMap` with insertion-order eviction. Hand-written because the
/// resolver needs only insert, get and oldest-first eviction, with no per-read
/// bookkeeping (an LRU crate would reorder on every read).
#[derive(Debug)]
pub struct BoundedMap<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> BoundedMap<K, V> {
    /// An empty map holding at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// The value of `key`, mutable.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    /// Inserts or replaces; returns whether the key was new. A new key may
    /// evict the oldest ones.
    pub fn insert(&mut self, key: K, value: V) -> bool {
        if let Some(slot) = self.map.get_mut(&key) {
            *slot = value;
            return false;
        }
        self.order.push_back(key.clone());
        self.map.insert(key, value);
        while self.map.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.map.remove(&oldest);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedMap;

    #[test]
    fn forgets_the_oldest_key_past_capacity() {
        let mut m = BoundedMap::new(2);
        assert!(m.insert(1, "a"));
        assert!(m.insert(2, "b"));
        assert!(!m.insert(1, "a2"), "a replacement is not new");
        assert!(m.insert(3, "c"));
        assert_eq!(m.get(&1), None);
        assert_eq!(m.get(&2), Some(&"b"));
        assert_eq!(m.get(&3), Some(&"c"));
    }
}
