//! Counters and histograms: plain atomics, recorded with relaxed ordering (a scrape needs each
//! number to be eventually right, not a consistent cut across numbers).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Counters keyed by a small set of label values, for rare events (errors by code, denials by
/// action): a mutex and a map lookup per event is fine there, and the label values need not be
/// known in advance.
#[derive(Debug, Default)]
pub struct LabeledCounters {
    counts: Mutex<BTreeMap<Vec<String>, u64>>,
}

/// More distinct label sets than this are folded into one `other` set, so that a client
/// sending endless distinct values cannot grow the map (and the scrape) without bound.
const MAX_LABEL_SETS: usize = 4096;

impl LabeledCounters {
    /// An empty set of counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one to the counter of `labels` (values in the order the caller renders them).
    pub fn inc(&self, labels: &[&str]) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let key: Vec<String> = labels.iter().map(|s| (*s).to_owned()).collect();
        if let Some(n) = counts.get_mut(&key) {
            *n += 1;
            return;
        }
        let key = if counts.len() >= MAX_LABEL_SETS {
            labels.iter().map(|_| "other".to_owned()).collect()
        } else {
            key
        };
        *counts.entry(key).or_insert(0) += 1;
    }

    /// Every label set with its count, sorted by labels.
    pub fn snapshot(&self) -> Vec<(Vec<String>, u64)> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// Histograms keyed by a small set of label values (latency per front end and operation),
/// created on first use. Recording takes a mutex for the lookup; meant for per-request, not
/// per-message, events.
#[derive(Debug)]
pub struct LabeledHistograms {
    bounds: &'static [u64],
    histograms: Mutex<BTreeMap<Vec<String>, std::sync::Arc<Histogram>>>,
}

impl LabeledHistograms {
    /// Histograms with the given ascending upper bounds.
    pub fn new(bounds: &'static [u64]) -> Self {
        LabeledHistograms {
            bounds,
            histograms: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records `value` in the histogram of `labels`.
    pub fn observe(&self, labels: &[&str], value: u64) {
        let h = {
            let mut map = self.histograms.lock().unwrap_or_else(|p| p.into_inner());
            let key: Vec<String> = labels.iter().map(|s| (*s).to_owned()).collect();
            let key = if map.len() >= MAX_LABEL_SETS && !map.contains_key(&key) {
                labels.iter().map(|_| "other".to_owned()).collect()
            } else {
                key
            };
            std::sync::Arc::clone(
                map.entry(key)
                    .or_insert_with(|| std::sync::Arc::new(Histogram::new(self.bounds))),
            )
        };
        h.observe(value);
    }

    /// Every label set with its histogram's state, sorted by labels.
    pub fn snapshot(&self) -> Vec<(Vec<String>, HistogramSnapshot)> {
        let map = self.histograms.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, h)| (k.clone(), h.snapshot())).collect()
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
