//! The store's metrics as a scrape sees them: fsync latency and batch sizes move with appends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{msg, small_config};
use petrel_metrics::Exposition;
use petrel_store::Store;

/// The value of the sample line starting with `series ` (exact name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

fn scrape(store: &Store) -> String {
    let mut e = Exposition::new();
    store.write_metrics(&mut e);
    e.finish()
}

#[test]
fn appends_grow_the_fsync_histogram_batch_sizes_and_disk_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), small_config()).unwrap();
    let before = scrape(&store);
    let fsyncs_before = value(&before, "petrel_store_fsync_duration_seconds_count").unwrap();
    for i in 0..5 {
        let batch = (0..3)
            .map(|j| msg("orders", j, &format!("m{i}-{j}"), b"hello"))
            .collect();
        store.append(batch).unwrap();
    }
    let after = scrape(&store);
    let fsyncs_after = value(&after, "petrel_store_fsync_duration_seconds_count").unwrap();
    assert!(
        fsyncs_after >= fsyncs_before + 5.0,
        "{fsyncs_before} -> {fsyncs_after}"
    );
    assert!(value(&after, "petrel_store_fsync_duration_seconds_sum").unwrap() > 0.0);
    // Each append is one batch of 3 records (nothing else writes concurrently).
    let batches = value(&after, "petrel_store_group_commit_batch_records_count").unwrap();
    let records = value(&after, "petrel_store_group_commit_batch_records_sum").unwrap();
    assert_eq!(batches, 5.0);
    assert_eq!(records, 15.0);
    assert_eq!(
        value(
            &after,
            "petrel_store_group_commit_batch_records_bucket{le=\"2\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &after,
            "petrel_store_group_commit_batch_records_bucket{le=\"4\"}"
        ),
        Some(5.0)
    );
    assert_eq!(
        value(&after, "petrel_store_appended_records_total"),
        Some(15.0)
    );
    assert!(value(&after, "petrel_store_segments").unwrap() >= 1.0);
    let size = value(&after, "rocketmq_storage_size").unwrap();
    let segment_bytes = value(&after, "petrel_store_segment_bytes").unwrap();
    assert!(size >= segment_bytes && segment_bytes > 0.0);
    assert_eq!(
        value(&after, "rocketmq_storage_flush_behind_bytes"),
        Some(0.0)
    );
    assert!(value(&after, "petrel_store_disk_free_bytes").unwrap() > 0.0);
}
