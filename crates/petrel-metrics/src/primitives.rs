//! Counters and histograms: plain atomics, recorded with relaxed ordering (a scrape needs each
//! number to be eventually right, not a consistent cut across numbers).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A distribution over fixed upper bounds, in integer units (e.g. microseconds or records);
/// the exposition scales them (e.g. to seconds).
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    /// One per bound, plus the overflow (`+Inf`) bucket; not cumulative.
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
    count: AtomicU64,
}

/// A copy of a [`Histogram`]'s state, with cumulative buckets as the exposition needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// `(upper bound, observations <= bound)`, ascending.
    pub buckets: Vec<(u64, u64)>,
    /// Sum of every observation.
    pub sum: u64,
    /// Number of observations (the `+Inf` bucket).
    pub count: u64,
}

impl Histogram {
    /// A histogram with the given ascending upper bounds.
    pub fn new(bounds: &'static [u64]) -> Self {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, value: u64) {
        // A linear scan: the bound lists are short and the small values come first.
        let i = self
            .bounds
            .iter()
            .position(|&b| value <= b)
            .unwrap_or(self.bounds.len());
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The current state. `count` is read after the buckets, so under concurrent recording it
    /// is never below the last cumulative bucket.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0u64;
        let buckets = self
            .bounds
            .iter()
            .zip(self.buckets.iter())
            .map(|(&bound, n)| {
                running += n.load(Ordering::Relaxed);
                (bound, running)
            })
            .collect();
        let overflow = self.buckets.last().map_or(0, |n| n.load(Ordering::Relaxed));
        let sum = self.sum.load(Ordering::Relaxed);
        let count = self.count.load(Ordering::Relaxed).max(running + overflow);
        HistogramSnapshot {
            buckets,
            sum,
            count,
        }
    }
}

/// More distinct label sets than this are folded into one `other` set, so that a client
/// sending endless distinct values cannot grow the map (and the scrape) without bound.
const MAX_LABEL_SETS: usize = 4096;

/// Values keyed by label sets, looked up without allocating: entries are bucketed by a hash of
/// the label values, and only a new label set is copied.
#[derive(Debug)]
struct LabelMap<V> {
    hasher: RandomState,
    buckets: HashMap<u64, Vec<Entry<V>>>,
    len: usize,
}

/// One label set (values in order) and its value.
type Entry<V> = (Box<[String]>, V);

impl<V> Default for LabelMap<V> {
    fn default() -> Self {
        LabelMap {
            hasher: RandomState::new(),
            buckets: HashMap::new(),
            len: 0,
        }
    }
}

impl<V> LabelMap<V> {
    fn hash(&self, labels: &[&str]) -> u64 {
        let mut h = self.hasher.build_hasher();
        for l in labels {
            h.write(l.as_bytes());
            // 0xff never occurs in UTF-8: ("a", "bc") and ("ab", "c") hash apart.
            h.write_u8(0xff);
        }
        h.finish()
    }

    fn entry(&mut self, labels: &[&str], make: impl FnOnce() -> V) -> &mut V {
        let other: Vec<&str>;
        let labels = if self.len >= MAX_LABEL_SETS && !self.contains(labels) {
            other = labels.iter().map(|_| "other").collect();
            &other[..]
        } else {
            labels
        };
        let hash = self.hash(labels);
        let bucket = self.buckets.entry(hash).or_default();
        let found = bucket
            .iter()
            .position(|(k, _)| k.iter().map(String::as_str).eq(labels.iter().copied()));
        let i = match found {
            Some(i) => i,
            None => {
                let key: Box<[String]> = labels.iter().map(|s| (*s).to_owned()).collect();
                bucket.push((key, make()));
                self.len += 1;
                bucket.len() - 1
            }
        };
        &mut bucket[i].1
    }

    fn contains(&self, labels: &[&str]) -> bool {
        self.buckets.get(&self.hash(labels)).is_some_and(|b| {
            b.iter()
                .any(|(k, _)| k.iter().map(String::as_str).eq(labels.iter().copied()))
        })
    }

    /// Every entry, sorted by labels.
    fn sorted<T>(&self, f: impl Fn(&V) -> T) -> Vec<(Vec<String>, T)> {
        let mut out: Vec<(Vec<String>, T)> = self
            .buckets
            .values()
            .flatten()
            .map(|(k, v)| (k.to_vec(), f(v)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// Counters keyed by a small set of label values that need not be known in advance (requests
/// by operation and code, denials by action): one mutex and one hash lookup per event, no
/// allocation once a label set has been seen.
#[derive(Debug, Default)]
pub struct LabeledCounters {
    counts: Mutex<LabelMap<u64>>,
}

impl LabeledCounters {
    /// An empty set of counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one to the counter of `labels` (values in the order the caller renders them).
    pub fn inc(&self, labels: &[&str]) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(labels, || 0) += 1;
    }

    /// Every label set with its count, sorted by labels.
    pub fn snapshot(&self) -> Vec<(Vec<String>, u64)> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.sorted(|n| *n)
    }
}

/// Histograms keyed by a small set of label values (latency per front end and operation),
/// created on first use. The lookup takes a mutex; the observation itself is atomic.
#[derive(Debug)]
pub struct LabeledHistograms {
    bounds: &'static [u64],
    histograms: Mutex<LabelMap<Arc<Histogram>>>,
}

impl LabeledHistograms {
    /// Histograms with the given ascending upper bounds.
    pub fn new(bounds: &'static [u64]) -> Self {
        LabeledHistograms {
            bounds,
            histograms: Mutex::new(LabelMap::default()),
        }
    }

    /// Records `value` in the histogram of `labels`.
    pub fn observe(&self, labels: &[&str], value: u64) {
        let h = {
            let mut map = self.histograms.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(map.entry(labels, || Arc::new(Histogram::new(self.bounds))))
        };
        h.observe(value);
    }

    /// Every label set with its histogram's state, sorted by labels.
    pub fn snapshot(&self) -> Vec<(Vec<String>, HistogramSnapshot)> {
        let map = self.histograms.lock().unwrap_or_else(|p| p.into_inner());
        map.sorted(|h| h.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BOUNDS: &[u64] = &[1, 10, 100];

    #[test]
    fn histogram_buckets_are_cumulative_and_count_includes_overflow() {
        let h = Histogram::new(BOUNDS);
        for v in [0, 1, 5, 10, 50, 1000] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.buckets, vec![(1, 2), (10, 4), (100, 5)]);
        assert_eq!(s.count, 6);
        assert_eq!(s.sum, 1066);
    }

    #[test]
    fn labeled_counters_count_per_label_set() {
        let c = LabeledCounters::new();
        c.inc(&["a", "x"]);
        c.inc(&["a", "x"]);
        c.inc(&["b", "x"]);
        assert_eq!(
            c.snapshot(),
            vec![
                (vec!["a".to_owned(), "x".to_owned()], 2),
                (vec!["b".to_owned(), "x".to_owned()], 1)
            ]
        );
    }

    #[test]
    fn label_sets_that_concatenate_alike_stay_apart() {
        let c = LabeledCounters::new();
        c.inc(&["a", "bc"]);
        c.inc(&["ab", "c"]);
        assert_eq!(c.snapshot().len(), 2);
    }

    #[test]
    fn labeled_histograms_record_per_label_set() {
        static B: &[u64] = &[10];
        let h = LabeledHistograms::new(B);
        h.observe(&["x"], 5);
        h.observe(&["x"], 50);
        h.observe(&["y"], 1);
        let snap = h.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(snap[0].0, vec!["x".to_owned()]);
        assert_eq!(snap[0].1.count, 2);
        assert_eq!(snap[0].1.buckets, vec![(10, 1)]);
    }

    #[test]
    fn labeled_counters_fold_label_sets_past_the_limit() {
        let c = LabeledCounters::new();
        for i in 0..(MAX_LABEL_SETS + 10) {
            c.inc(&[&i.to_string()]);
        }
        let snap = c.snapshot();
        assert_eq!(snap.len(), MAX_LABEL_SETS + 1);
        let other = snap.iter().find(|(k, _)| k[0] == "other").map(|(_, n)| *n);
        assert_eq!(other, Some(10));
    }
}
