//! The store's metrics: fsync latency and group-commit batch sizes (recorded by the commit
//! thread), and, at scrape time, segments, disk use, flush backlog and free space.

use petrel_metrics::{Exposition, Histogram, Kind};

use crate::segment;
use crate::store::Store;

/// Upper bounds of the fsync latency histogram, in microseconds: 50 µs to 5 s. A
/// preallocated segment syncs in ~70-150 µs here when idle and in milliseconds when the disk
/// is contended (spec §2.2), so the buckets are dense below 10 ms.
static FSYNC_MICROS: &[u64] = &[
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 5_000_000,
];

/// Upper bounds of the group-commit batch size histogram, in records.
static BATCH_RECORDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/// Histograms the commit thread records into.
#[derive(Debug)]
pub(crate) struct Timings {
    pub fsync_micros: Histogram,
    pub batch_records: Histogram,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            fsync_micros: Histogram::new(FSYNC_MICROS),
            batch_records: Histogram::new(BATCH_RECORDS),
        }
    }
}

impl Timings {
    /// Runs `sync` (an fdatasync) and records how long it took, failed or not.
    pub fn time_fsync<T>(&self, sync: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let r = sync();
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.fsync_micros.observe(micros);
        r
    }
}

impl Store {
    /// Writes the store's metric families into `e` (names `petrel_store_*`, plus RocketMQ's
    /// `rocketmq_storage_size` and `rocketmq_storage_flush_behind_bytes`).
    pub fn write_metrics(&self, e: &mut Exposition) {
        let stats = self.stats();
        let timings = &self.shared.stats.timings;
        e.family(
            "petrel_store_fsync_duration_seconds",
            "Latency of fdatasync calls on the commit log.",
            Kind::Histogram,
        );
        e.histogram(&[], &timings.fsync_micros.snapshot(), 1_000_000);
        e.family(
            "petrel_store_group_commit_batch_records",
            "Records written and made durable together by one group commit.",
            Kind::Histogram,
        );
        e.histogram(&[], &timings.batch_records.snapshot(), 1);
        let counters: [(&str, &str, u64); 5] = [
            (
                "petrel_store_appended_records_total",
                "Records appended to the commit log since start.",
                stats.appended_records,
            ),
            (
                "petrel_store_appended_bytes_total",
                "Record bytes appended to the commit log since start.",
                stats.appended_bytes,
            ),
            (
                "petrel_store_fsyncs_total",
                "fdatasync calls on the commit log since start.",
                stats.fsyncs,
            ),
            (
                "petrel_store_group_commits_total",
                "Group-commit batches written since start.",
                stats.commit_batches,
            ),
            (
                "petrel_store_disk_full_errors_total",
                "Appends refused because the disk was full.",
                stats.disk_full_errors,
            ),
        ];
        for (name, help, value) in counters {
            e.family(name, help, Kind::Counter);
            e.sample(&[], value);
        }
        let mut gauges: Vec<(&str, &str, u64)> = vec![
            (
                "petrel_store_segments",
                "Commit-log segment files in use.",
                stats.segments,
            ),
            (
                "petrel_store_segment_bytes",
                "Bytes of commit-log segment files (preallocated, so their full size).",
                stats.segment_bytes,
            ),
            (
                "petrel_store_index_bytes",
                "Bytes of queue and key index files.",
                stats.index_bytes,
            ),
            (
                "rocketmq_storage_size",
                "Bytes the message store uses on disk (segments and indexes).",
                stats.segment_bytes + stats.index_bytes,
            ),
            (
                "rocketmq_storage_flush_behind_bytes",
                "Bytes written to the commit log but not yet fsynced.",
                stats.write_pos.saturating_sub(stats.durable_pos),
            ),
            (
                "petrel_store_queues",
                "Queues known to the store (including internal ones).",
                stats.queues,
            ),
        ];
        // Unknown free space is left out rather than shown as zero (a full disk).
        if let Ok(free) = segment::free_space(&self.shared.dir, None) {
            gauges.push((
                "petrel_store_disk_free_bytes",
                "Free bytes on the filesystem of the data dir.",
                free,
            ));
        }
        for (name, help, value) in gauges {
            e.family(name, help, Kind::Gauge);
            e.sample(&[], value);
        }
    }
}
