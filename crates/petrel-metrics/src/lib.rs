//! `petrel-metrics`: the metric primitives every Petrel crate records into (lock-free counters
//! and fixed-bucket histograms) and the Prometheus text exposition (version 0.0.4) that
//! `GET /metrics` answers with.
//!
//! Recording is a relaxed atomic add; nothing is allocated or looked up by label on a hot
//! path. Each crate owns its counters inside the structures it already has (per topic, per
//! consumer group, per store) and writes them out at scrape time through [`Exposition`], which
//! takes care of `# HELP` / `# TYPE` lines, label escaping, and histogram series.

mod exposition;
mod primitives;

pub use exposition::{CONTENT_TYPE, Exposition, Kind};
pub use primitives::{Counter, Histogram, HistogramSnapshot, LabeledCounters, LabeledHistograms};
