//! Read paths: by queue offset (one index read, then one `pread` per run of adjacent records,
//! bodies handed out as slices of that buffer), by message id, by key, and by time range. Every
//! record is CRC-checked and matched against what the index said before it is returned.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use crate::error::{Result, StoreError};
use crate::hash;
use crate::index::queue::{QueueEntry, QueueIndex};
use crate::message::{QueryResult, ReadBatch, ReadStatus, StoredMessage, TimeCursor};
use crate::record;
use crate::store::Shared;

/// Reads `[pos, pos + len)` from the log as one buffer. `None` if retention removed it.
fn read_span(shared: &Shared, pos: u64, len: usize) -> Result<Option<Bytes>> {
    if pos < shared.min_log_pos.load(Ordering::Acquire) {
        return Ok(None);
    }
    let Some(seg) = shared.segment_containing(pos) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; len];
    seg.read_exact_at(&mut buf, pos)?;
    Ok(Some(Bytes::from(buf)))
}

/// Verifies and parses the record at `start` inside `buf` (which was read from `pos0`).
fn decode_at(
    shared: &Shared,
    buf: &Bytes,
    start: usize,
    size: u32,
    pos: u64,
) -> Result<StoredMessage> {
    let corrupt = |reason: String| {
        let seg = shared.segment_containing(pos);
        StoreError::Corrupt {
            segment: seg.as_ref().map(|s| s.path.clone()).unwrap_or_default(),
            offset: seg.map_or(pos, |s| pos - s.base),
            reason,
        }
    };
    let rec = buf
        .get(start..start + size as usize)
        .ok_or_else(|| corrupt("record outside the read buffer".into()))?;
    record::verify_crc(rec).map_err(&corrupt)?;
    let view = record::parse_message(rec).map_err(&corrupt)?;
    if view.pos != pos {
        return Err(corrupt(format!("record claims log position {}", view.pos)));
    }
    Ok(view.to_stored(buf, start))
}

fn load_one(shared: &Shared, pos: u64, size: u32) -> Result<Option<StoredMessage>> {
    match read_span(shared, pos, size as usize)? {
        None => Ok(None),
        Some(buf) => decode_at(shared, &buf, 0, size, pos).map(Some),
    }
}

pub(crate) fn read(
    shared: &Shared,
    topic: &str,
    queue_id: u32,
    offset: u64,
    max_messages: usize,
    max_bytes: usize,
) -> Result<ReadBatch> {
    let q = shared.registry.get(topic, queue_id);
    let (min, max) = q.as_ref().map_or((0, 0), |q| q.bounds());
    let mut batch = ReadBatch {
        status: ReadStatus::Found,
        messages: Vec::new(),
        next_offset: offset,
        min_offset: min,
        max_offset: max,
    };
    let status = if offset < min {
        Some(ReadStatus::OffsetBelowMin)
    } else if offset == max {
        Some(ReadStatus::NoNewMessages)
    } else if offset > max {
        Some(ReadStatus::OffsetBeyondMax)
    } else if max_messages == 0 {
        Some(ReadStatus::Found)
    } else {
        None
    };
    let Some(q) = q.filter(|_| status.is_none()) else {
        batch.status = status.unwrap_or(ReadStatus::NoNewMessages);
        batch.next_offset = match batch.status {
            ReadStatus::OffsetBelowMin => min,
            ReadStatus::OffsetBeyondMax => max,
            _ => offset,
        };
        return Ok(batch);
    };
    let count = (max - offset).min(max_messages as u64);
    let entries = q.read(offset, count)?;
    // Keep whole records within max_bytes (but always at least one).
    let mut take = 0;
    let mut bytes = 0usize;
    for e in &entries {
        if take > 0 && bytes + e.size as usize > max_bytes {
            break;
        }
        bytes += e.size as usize;
        take += 1;
    }
    let mut i = 0;
    while i < take {
        // A run of records that are adjacent in the log is read with one pread.
        let run_start = entries[i].pos;
        let mut j = i + 1;
        let mut run_end = run_start + entries[i].size as u64;
        while j < take && entries[j].pos == run_end && run_end - run_start < (4 << 20) {
            run_end += entries[j].size as u64;
            j += 1;
        }
        let same_segment = shared
            .segment_containing(run_start)
            .is_some_and(|s| run_end <= s.end());
        if !same_segment {
            j = i + 1;
            run_end = run_start + entries[i].size as u64;
        }
        let Some(buf) = read_span(shared, run_start, (run_end - run_start) as usize)? else {
            // Retention removed it while we were reading.
            if batch.messages.is_empty() {
                let (min, max) = q.bounds();
                batch.status = ReadStatus::OffsetBelowMin;
                batch.next_offset = min;
                batch.min_offset = min;
                batch.max_offset = max;
                return Ok(batch);
            }
            break;
        };
        for (k, e) in entries[i..j].iter().enumerate() {
            let off = offset + (i + k) as u64;
            let start = (e.pos - run_start) as usize;
            let m = match decode_at(shared, &buf, start, e.size, e.pos) {
                Ok(m) => m,
                // Never skip past a bad record: return what precedes it, fail if nothing does.
                Err(err) if batch.messages.is_empty() => return Err(err),
                Err(_) => return Ok(finish(batch, offset)),
            };
            if m.topic != topic || m.queue_id != queue_id || m.queue_offset != off {
                let err = StoreError::IndexInconsistent {
                    topic: topic.to_string(),
                    queue_id,
                    reason: format!(
                        "entry {off} points at log position {} holding {}/{}@{}",
                        e.pos, m.topic, m.queue_id, m.queue_offset
                    ),
                };
                if batch.messages.is_empty() {
                    return Err(err);
                }
                return Ok(finish(batch, offset));
            }
            batch.messages.push(m);
        }
        i = j;
    }
    Ok(finish(batch, offset))
}

fn finish(mut batch: ReadBatch, offset: u64) -> ReadBatch {
    batch.next_offset = offset + batch.messages.len() as u64;
    batch.status = if batch.messages.is_empty() {
        ReadStatus::NoNewMessages
    } else {
        ReadStatus::Found
    };
    batch
}

/// Loads candidates newest first, keeping those `accept` likes, deduplicated by position.
fn load_candidates(
    shared: &Shared,
    hash: u64,
    limit: usize,
    accept: impl Fn(&StoredMessage) -> bool,
) -> Result<QueryResult> {
    let min = shared.min_log_pos.load(Ordering::Acquire);
    let (cands, scan_limited) = shared.keys.lookup(hash, min, shared.cfg.max_query_scan)?;
    let mut out = QueryResult::default();
    let mut seen = HashSet::new();
    for (pos, size) in cands {
        if !seen.insert(pos) {
            continue;
        }
        let Some(m) = load_one(shared, pos, size)? else {
            continue;
        };
        if accept(&m) {
            if out.messages.len() == limit {
                out.truncated = true;
                return Ok(out);
            }
            out.messages.push(m);
        }
    }
    out.truncated = scan_limited;
    Ok(out)
}

pub(crate) fn get_by_id(shared: &Shared, msg_id: &str) -> Result<Option<StoredMessage>> {
    let r = load_candidates(shared, hash::id_hash(msg_id), 1, |m| m.msg_id == msg_id)?;
    Ok(r.messages.into_iter().next())
}

/// Messages of `topic` with id `msg_id`, newest first (an id is stored again when resent
/// outside the broker's dedup window).
pub(crate) fn query_by_id(
    shared: &Shared,
    topic: &str,
    msg_id: &str,
    limit: usize,
) -> Result<QueryResult> {
    load_candidates(shared, hash::id_hash(msg_id), limit, |m| {
        m.topic == topic && m.msg_id == msg_id
    })
}

pub(crate) fn query_by_key(
    shared: &Shared,
    topic: &str,
    key: &str,
    limit: usize,
) -> Result<QueryResult> {
    load_candidates(shared, hash::key_hash(topic, key), limit, |m| {
        m.topic == topic && m.keys.iter().any(|k| k == key)
    })
}

pub(crate) fn lookup_offset_by_time(
    shared: &Shared,
    topic: &str,
    queue_id: u32,
    ts_ms: i64,
) -> Result<u64> {
    let Some(q) = shared.registry.get(topic, queue_id) else {
        return Ok(0);
    };
    let (min, max) = q.bounds();
    q.partition_point(min, max, |e| e.store_ms >= ts_ms)
}

/// Per-queue cursor for the k-way merge of a time query.
struct QueueScan {
    q: Arc<QueueIndex>,
    next: u64,
    end: u64,
}

impl QueueScan {
    fn peek(&self) -> Result<Option<QueueEntry>> {
        if self.next >= self.end {
            return Ok(None);
        }
        self.q.entry(self.next).map(Some)
    }
}

pub(crate) fn query_by_time(
    shared: &Shared,
    topic: &str,
    start_ms: i64,
    end_ms: i64,
    limit: usize,
    after: Option<TimeCursor>,
) -> Result<QueryResult> {
    let after = after.unwrap_or(TimeCursor {
        store_ms: i64::MIN,
        log_pos: 0,
    });
    let min_pos = shared.min_log_pos.load(Ordering::Acquire);
    let mut scans = Vec::new();
    for q in shared.registry.of_topic(topic) {
        let (min, max) = q.bounds();
        // Store timestamps are non-decreasing per queue, and so are log positions.
        let first = q.partition_point(min, max, |e| {
            e.pos >= min_pos
                && e.store_ms >= start_ms
                && (e.store_ms, e.pos) > (after.store_ms, after.log_pos)
        })?;
        let end = q.partition_point(first, max, |e| e.store_ms > end_ms)?;
        scans.push(QueueScan {
            q,
            next: first,
            end,
        });
    }
    let mut heap = BinaryHeap::new();
    for (i, s) in scans.iter().enumerate() {
        if let Some(e) = s.peek()? {
            heap.push(Reverse((e.store_ms, e.pos, i, e.size)));
        }
    }
    let mut out = QueryResult::default();
    while let Some(Reverse((ms, pos, i, size))) = heap.pop() {
        if out.messages.len() == limit {
            out.truncated = true;
            break;
        }
        if let Some(m) = load_one(shared, pos, size)? {
            out.next_cursor = Some(TimeCursor {
                store_ms: ms,
                log_pos: pos,
            });
            out.messages.push(m);
        }
        let s = &mut scans[i];
        s.next += 1;
        if let Some(e) = s.peek()? {
            heap.push(Reverse((e.store_ms, e.pos, i, e.size)));
        }
    }
    if !out.truncated {
        out.next_cursor = None;
    }
    Ok(out)
}
