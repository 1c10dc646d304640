//! A set of sequence numbers kept as disjoint half-open ranges.
//!
//! Acknowledgements and batches are mostly runs of consecutive numbers, so a
//! range map stays a handful of entries where a plain set would hold one
//! entry per request.

use std::collections::BTreeMap;

/// Disjoint, non-adjacent half-open ranges `[start, end)` of `u64`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqSet {
    /// start -> end (exclusive).
    ranges: BTreeMap<u64, u64>,
}

impl SeqSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The set of `seqs` (any order, duplicates allowed).
    pub fn from_seqs(seqs: &[u64]) -> Self {
        let mut set = Self::new();
        for &s in seqs {
            set.insert(s);
        }
        set
    }

    /// Adds one number.
    pub fn insert(&mut self, seq: u64) {
        self.insert_range(seq, seq.saturating_add(1));
    }

    /// Adds `[start, end)`, merging with touching or overlapping ranges.
    pub fn insert_range(&mut self, mut start: u64, mut end: u64) {
        if start >= end {
            return;
        }
        // A range that starts at or before `start` and reaches it absorbs it.
        if let Some((&s, &e)) = self.ranges.range(..=start).next_back()
            && e >= start
        {
            start = s;
            end = end.max(e);
        }
        // Every range that starts inside the new one (or right at its end) merges in.
        let inside: Vec<(u64, u64)> = self
            .ranges
            .range(start..=end)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in inside {
            self.ranges.remove(&s);
            end = end.max(e);
        }
        self.ranges.insert(start, end);
    }

    /// Whether `seq` is in the set.
    pub fn contains(&self, seq: u64) -> bool {
        self.range_end(seq).is_some()
    }

    /// The exclusive end of the range holding `seq`, if any.
    pub fn range_end(&self, seq: u64) -> Option<u64> {
        self.ranges
            .range(..=seq)
            .next_back()
            .filter(|&(_, &e)| e > seq)
            .map(|(_, &e)| e)
    }

    /// Drops every number below `bound`.
    pub fn remove_below(&mut self, bound: u64) {
        let below: Vec<(u64, u64)> = self.ranges.range(..bound).map(|(&s, &e)| (s, e)).collect();
        for (s, e) in below {
            self.ranges.remove(&s);
            if e > bound {
                self.ranges.insert(bound, e);
            }
        }
    }

    /// Removes one number.
    pub fn remove(&mut self, seq: u64) {
        let Some((&s, &e)) = self.ranges.range(..=seq).next_back() else {
            return;
        };
        if e <= seq {
            return;
        }
        self.ranges.remove(&s);
        if s < seq {
            self.ranges.insert(s, seq);
        }
        if seq + 1 < e {
            self.ranges.insert(seq + 1, e);
        }
    }

    /// The ranges, lowest first.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(&s, &e)| (s, e))
    }

    /// Every number, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges().flat_map(|(s, e)| s..e)
    }

    /// How many numbers the set holds.
    pub fn len(&self) -> u64 {
        self.ranges().map(|(s, e)| e - s).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Adds every number of `other`.
    pub fn extend(&mut self, other: &SeqSet) {
        for (start, end) in other.ranges() {
            self.insert_range(start, end);
        }
    }

    /// The numbers in `[start, end)` that are not in the set.
    pub fn gaps(&self, start: u64, end: u64) -> SeqSet {
        let mut gaps = SeqSet::new();
        let mut at = start;
        for (s, e) in self.ranges() {
            if e <= at {
                continue;
            }
            if s >= end {
                break;
            }
            gaps.insert_range(at, s.min(end));
            at = at.max(e);
        }
        gaps.insert_range(at, end);
        gaps
    }

    /// The highest number, if any.
    pub fn last(&self) -> Option<u64> {
        self.ranges.values().next_back().map(|&e| e - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_touching_and_overlapping_ranges() {
        let mut set = SeqSet::new();
        for s in [5, 1, 2, 9, 3, 7, 8] {
            set.insert(s);
        }
        assert_eq!(
            set.ranges().collect::<Vec<_>>(),
            vec![(1, 4), (5, 6), (7, 10)]
        );
        set.insert(4);
        set.insert(6);
        assert_eq!(set.ranges().collect::<Vec<_>>(), vec![(1, 10)]);
        set.insert_range(0, 20);
        assert_eq!(set.ranges().collect::<Vec<_>>(), vec![(0, 20)]);
        assert_eq!(set.len(), 20);
    }

    #[test]
    fn membership_removal_and_bounds() {
        let mut set = SeqSet::from_seqs(&[10, 11, 12, 20]);
        assert!(set.contains(11) && !set.contains(13) && !set.contains(9));
        assert_eq!(set.range_end(10), Some(13));
        set.remove(11);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![10, 12, 20]);
        set.remove_below(12);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![12, 20]);
        assert_eq!(set.last(), Some(20));
        assert_eq!(
            set.gaps(0, 25).ranges().collect::<Vec<_>>(),
            vec![(0, 12), (13, 20), (21, 25)]
        );
        assert_eq!(set.gaps(12, 13), SeqSet::new());
        set.remove_below(21);
        assert!(set.is_empty());
    }
}
