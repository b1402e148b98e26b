//! Retention: deletes whole segments, oldest first, that are older than the retention time
//! (by the file's last write, as RocketMQ does) or beyond the size cap; then advances every
//! queue's minimum offset and drops index files that only cover deleted segments.
//!
//! Never deleted: the segment being written, anything at or after it, and anything the last
//! checkpoint still needs for recovery.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::{Result, StoreError};
use crate::message::RetentionReport;
use crate::segment::Segment;
use crate::store::Shared;

pub(crate) fn enforce(shared: &Shared, now_ms: i64) -> Result<RetentionReport> {
    // Move the checkpoint forward first so recovery no longer needs the oldest segments.
    shared.checkpoint(false)?;
    let write_pos = shared.writer.write_pos();
    let ckpt_pos = shared.ckpt_index_pos.load(Ordering::Acquire);
    let limit = write_pos.min(ckpt_pos);
    let retention_ms = shared.cfg.retention.as_millis().min(i64::MAX as u128) as i64;
    let segs: Vec<Arc<Segment>> = shared
        .segments
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect();
    let mut total: u64 = segs
        .iter()
        .filter(|s| s.base <= write_pos)
        .map(|s| s.size)
        .sum();
    let mut doomed = Vec::new();
    for s in &segs {
        if s.end() > limit || s.contains(write_pos) {
            break;
        }
        let expired = s
            .modified_ms()
            .is_some_and(|m| m.saturating_add(retention_ms) <= now_ms);
        let over_cap = shared
            .cfg
            .retention_max_bytes
            .is_some_and(|cap| total > cap);
        if !(expired || over_cap) {
            break;
        }
        total -= s.size;
        doomed.push(Arc::clone(s));
    }
    let mut report = RetentionReport {
        min_log_pos: shared.min_log_pos.load(Ordering::Acquire),
        ..RetentionReport::default()
    };
    let Some(last) = doomed.last() else {
        return Ok(report);
    };
    let new_min = last.end();
    // Readers check min_log_pos first, so they stop touching these segments before they go.
    shared.min_log_pos.store(new_min, Ordering::Release);
    report.min_log_pos = new_min;
    {
        let mut map = shared.segments.write().unwrap_or_else(|p| p.into_inner());
        for s in &doomed {
            map.remove(&s.base);
        }
    }
    for s in &doomed {
        fs::remove_file(&s.path).map_err(|e| StoreError::io(&s.path, e))?;
        report.freed_bytes += s.size;
        report.deleted_segments.push(s.path.clone());
        tracing::info!(segment = %s.path.display(), "retention deleted segment");
    }
    for q in shared.registry.all() {
        let (min, max) = q.bounds();
        let first = q.partition_point(min, max, |e| e.pos >= new_min)?;
        if first != min {
            q.set_min(first);
        }
        q.drop_below(first)?;
    }
    shared.keys.drop_below(new_min)?;
    shared.checkpoint(false)?;
    Ok(report)
}
