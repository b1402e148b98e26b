//! A set of `u64` offsets kept as disjoint half-open ranges: the offsets of a queue that a
//! group finished (acked or filtered out) above its consume offset. Acks mostly arrive in
//! order, so the set stays a handful of ranges even with many finished offsets.

use std::collections::BTreeMap;

/// Disjoint, non-adjacent `[start, end)` ranges keyed by start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RangeSet {
    ranges: BTreeMap<u64, u64>,
    count: u64,
}

impl RangeSet {
    /// Adds `[start, end)`, merging with overlapping or adjacent ranges.
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut lo, mut hi) = (start, end);
        // A range starting at or before `start` that reaches it.
        if let Some((&s, &e)) = self.ranges.range(..=start).next_back()
            && e >= start
        {
            lo = s;
            hi = hi.max(e);
        }
        // Ranges starting inside `[lo, hi]` are absorbed.
        let absorbed: Vec<(u64, u64)> = self.ranges.range(lo..=hi).map(|(&s, &e)| (s, e)).collect();
        for (s, e) in absorbed {
            self.ranges.remove(&s);
            self.count -= e - s;
            hi = hi.max(e);
        }
        self.ranges.insert(lo, hi);
        self.count += hi - lo;
    }

    pub fn contains(&self, x: u64) -> bool {
        self.ranges
            .range(..=x)
            .next_back()
            .is_some_and(|(_, &e)| x < e)
    }

    /// Removes every offset below `x`.
    pub fn remove_below(&mut self, x: u64) {
        while let Some((&s, &e)) = self.ranges.iter().next() {
            if s >= x {
                break;
            }
            self.ranges.remove(&s);
            self.count -= e - s;
            if e > x {
                self.ranges.insert(x, e);
                self.count += e - x;
                break;
            }
        }
    }

    /// Removes every offset at or above `x`.
    pub fn remove_from(&mut self, x: u64) {
        let above: Vec<(u64, u64)> = self.ranges.range(x..).map(|(&s, &e)| (s, e)).collect();
        for (s, e) in above {
            self.ranges.remove(&s);
            self.count -= e - s;
        }
        if let Some((_, e)) = self.ranges.range_mut(..x).next_back()
            && *e > x
        {
            self.count -= *e - x;
            *e = x;
        }
    }

    /// Removes the single offset `x` (splitting its range).
    pub fn remove(&mut self, x: u64) {
        let Some((&s, &e)) = self.ranges.range(..=x).next_back() else {
            return;
        };
        if x >= e {
            return;
        }
        self.ranges.remove(&s);
        self.count -= e - s;
        if s < x {
            self.ranges.insert(s, x);
            self.count += x - s;
        }
        if x + 1 < e {
            self.ranges.insert(x + 1, e);
            self.count += e - x - 1;
        }
    }

    /// The end of the range containing `x`, if any.
    pub fn end_of_range_containing(&self, x: u64) -> Option<u64> {
        self.ranges
            .range(..=x)
            .next_back()
            .map(|(_, &e)| e)
            .filter(|&e| x < e)
    }

    /// If a range starts exactly at `x`, removes it and returns its end.
    pub fn take_run_at(&mut self, x: u64) -> Option<u64> {
        let e = self.ranges.remove(&x)?;
        self.count -= e - x;
        Some(e)
    }

    /// Number of offsets in the set.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(&s, &e)| (s, e))
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn merges_adjacent_and_overlapping_ranges() {
        let mut r = RangeSet::default();
        r.insert(5, 6);
        r.insert(7, 8);
        assert_eq!(r.len(), 2);
        r.insert(6, 7);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![(5, 8)]);
        r.insert(0, 10);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![(0, 10)]);
        assert_eq!(r.count(), 10);
        r.remove_below(4);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![(4, 10)]);
        assert_eq!(r.take_run_at(4), Some(10));
        assert_eq!(r.count(), 0);
    }

    proptest! {
        #[test]
        fn behaves_like_a_set(ops in prop::collection::vec((0u64..64, 1u64..6, any::<bool>()), 1..60)) {
            let mut r = RangeSet::default();
            let mut model = BTreeSet::new();
            for (start, len, cut) in ops {
                if cut && len == 5 {
                    r.remove(start);
                    model.remove(&start);
                } else if cut && len % 2 == 0 {
                    r.remove_from(start);
                    let _ = model.split_off(&start);
                } else if cut {
                    r.remove_below(start);
                    model = model.split_off(&start);
                } else {
                    r.insert(start, start + len);
                    model.extend(start..start + len);
                }
                prop_assert_eq!(r.count(), model.len() as u64);
                for x in 0..72 {
                    prop_assert_eq!(r.contains(x), model.contains(&x));
                }
                let ranges: Vec<_> = r.iter().collect();
                for w in ranges.windows(2) {
                    prop_assert!(w[0].1 < w[1].0, "ranges must be disjoint and non-adjacent");
                }
            }
        }
    }
}
