//! The write path: appenders encode their records under one short lock into the pending buffer
//! (assigning log positions, queue offsets and store timestamps), and a single group-commit
//! thread takes everything pending, writes it with one `pwrite` per segment touched, fsyncs once
//! (sync mode), applies the index entries, publishes the new queue max offsets and wakes every
//! appender of the batch. While it writes and fsyncs, the next batch accumulates.
//!
//! A failed write or fsync rewinds the writer to the start of the failed batch: every append in
//! it, and every append queued behind it, fails; the generation is bumped (and persisted) so the
//! bytes of the failed attempt can never be mistaken for records later.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::completion::Completion;
use crate::config::FlushMode;
use crate::error::{Result, StoreError};
use crate::hash;
use crate::index::keys::{KeyIndex, KeyItem};
use crate::index::queue::{QueueEntry, QueueIndex, QueueRegistry};
use crate::message::{Appended, NewMessage};
use crate::record::{self, MessageHeader};
use crate::segment::Segment;
use crate::store::Shared;

/// Batches with at most this many appenders are woken by the commit thread itself.
const INLINE_WAKES: usize = 2;

/// Index work for one record, applied by the commit thread once the record is durable.
#[derive(Debug, Clone)]
pub(crate) struct IndexOp {
    pub topic: Arc<str>,
    pub queue_id: u32,
    pub queue_offset: u64,
    pub entry: QueueEntry,
    pub id_hash: u64,
    pub key_hashes: Vec<u64>,
}

struct Chunk {
    seg: Arc<Segment>,
    /// Offset of `buf` inside the segment file.
    file_off: u64,
    buf: Vec<u8>,
}

#[derive(Default)]
struct Pending {
    chunks: Vec<Chunk>,
    ops: Vec<IndexOp>,
    waiters: Vec<Arc<Completion>>,
    bytes: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.waiters.is_empty() && self.chunks.is_empty()
    }
}

pub(crate) struct WriterState {
    pos: u64,
    seg: Arc<Segment>,
    generation: u32,
    gen_saved: bool,
    durable: u64,
    last_store_ms: i64,
    next: HashMap<Arc<str>, HashMap<u32, u64>>,
    pending: Pending,
    /// Log position where `pending` starts.
    pending_start: u64,
    /// Index entries of durable records that could not be written yet (e.g. disk full).
    backlog: Vec<IndexOp>,
    backlog_end: u64,
    backlog_gen: u32,
    /// Why appends are refused until the commit thread repairs the situation.
    blocked: Option<StoreError>,
    closed: bool,
    abandon: bool,
}

/// Writer state plus the condition variables around it.
pub(crate) struct Writer {
    state: Mutex<WriterState>,
    work: Condvar,
    space: Condvar,
}

/// Initial writer position, from recovery.
pub(crate) struct WriterStart {
    pub pos: u64,
    pub seg: Arc<Segment>,
    pub generation: u32,
    pub durable: u64,
    pub last_store_ms: i64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Writer {
    pub fn new(start: WriterStart) -> Writer {
        Writer {
            state: Mutex::new(WriterState {
                pos: start.pos,
                seg: start.seg,
                generation: start.generation,
                gen_saved: true,
                durable: start.durable,
                last_store_ms: start.last_store_ms,
                next: HashMap::new(),
                pending: Pending::default(),
                pending_start: start.pos,
                backlog: Vec::new(),
                backlog_end: start.pos,
                backlog_gen: start.generation,
                blocked: None,
                closed: false,
                abandon: false,
            }),
            work: Condvar::new(),
            space: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, WriterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn write_pos(&self) -> u64 {
        self.lock().pos
    }

    /// Stops accepting appends; the commit thread drains what is pending (or, with `abandon`,
    /// fails it, as a crash would lose it) and exits.
    pub fn close(&self, abandon: bool) {
        let mut st = self.lock();
        st.closed = true;
        st.abandon |= abandon;
        self.work.notify_all();
        self.space.notify_all();
    }

    /// Encodes `msgs` into the pending batch. Returns where they will land and the completion
    /// to wait on. Nothing is assigned if an error is returned (the batch is all-or-nothing).
    pub fn enqueue(
        &self,
        shared: &Shared,
        msgs: &[NewMessage],
    ) -> Result<(Vec<Appended>, Arc<Completion>)> {
        if msgs.is_empty() {
            return Ok((Vec::new(), Completion::done(Ok(()))));
        }
        let max = shared.cfg.max_message_bytes;
        let mut lens = Vec::with_capacity(msgs.len());
        for m in msgs {
            lens.push(record::encoded_len(m, max).map_err(StoreError::InvalidMessage)?);
        }
        let total: usize = lens.iter().sum();
        let end_len = record::END_MARKER_LEN as u64;

        // Plan where the batch goes; if it needs a segment that is not prepared yet, wait for
        // it without holding the writer lock (the commit thread needs that lock to ack).
        let (mut st, rolls) = loop {
            let mut st = self.lock();
            loop {
                if st.closed {
                    return Err(StoreError::Closed);
                }
                if let Some(e) = &st.blocked {
                    return Err(e.clone());
                }
                if st.pending.bytes == 0 || st.pending.bytes + total <= shared.cfg.max_pending_bytes
                {
                    break;
                }
                st = self.space.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            let mut rolls = Vec::new();
            let mut missing = None;
            let (mut p, mut seg) = (st.pos, Arc::clone(&st.seg));
            for &len in &lens {
                if p + len as u64 + end_len > seg.end() {
                    match shared.segment_at(seg.end()) {
                        Some(next) => {
                            rolls.push(Arc::clone(&next));
                            seg = next;
                            p = seg.base;
                        }
                        None => {
                            missing = Some(seg.end());
                            break;
                        }
                    }
                }
                p += len as u64;
            }
            let Some(base) = missing else {
                break (st, rolls);
            };
            drop(st);
            if let Err(e) = next_segment(shared, base) {
                if e.is_disk_full() {
                    shared
                        .stats
                        .disk_full_errors
                        .fetch_add(1, Ordering::Relaxed);
                }
                return Err(e);
            }
        };

        let now = now_ms();
        let mut rolls = rolls.into_iter();
        let mut appended = Vec::with_capacity(msgs.len());
        let st = &mut *st;
        for (msg, &len) in msgs.iter().zip(&lens) {
            if st.pos + len as u64 + end_len > st.seg.end() {
                let (generation, pos) = (st.generation, st.pos);
                let buf = chunk_for(&mut st.pending, &st.seg, pos);
                record::encode_end(buf, generation, pos);
                st.pending.bytes += record::END_MARKER_LEN;
                let Some(next) = rolls.next() else {
                    return Err(StoreError::Closed);
                };
                if shared.is_last_segment(next.base) {
                    shared.allocator.request(next.end());
                }
                st.seg = next;
                st.pos = st.seg.base;
            }
            let topic = match st.next.get_key_value(msg.topic.as_str()) {
                Some((k, _)) => Arc::clone(k),
                None => {
                    let k: Arc<str> = Arc::from(msg.topic.as_str());
                    st.next.insert(Arc::clone(&k), HashMap::new());
                    k
                }
            };
            let queue_map = st.next.entry(Arc::clone(&topic)).or_default();
            let offset = queue_map.entry(msg.queue_id).or_insert_with(|| {
                shared
                    .registry
                    .get(&topic, msg.queue_id)
                    .map_or(0, |q| q.bounds().1)
            });
            let queue_offset = *offset;
            *offset += 1;
            let store_ms = now.max(st.last_store_ms);
            st.last_store_ms = store_ms;
            let tag_hash = hash::tag_hash(msg.tag.as_deref());
            let header = MessageHeader {
                generation: st.generation,
                pos: st.pos,
                durable_upto: st.durable,
                queue_offset,
                born_ms: msg.born_ms,
                store_ms,
                queue_id: msg.queue_id,
                tag_hash,
            };
            let pos = st.pos;
            let buf = chunk_for(&mut st.pending, &st.seg, pos);
            record::encode_message(buf, &header, msg, len);
            st.pending.bytes += len;
            st.pending.ops.push(IndexOp {
                topic: Arc::clone(&topic),
                queue_id: msg.queue_id,
                queue_offset,
                entry: QueueEntry {
                    pos,
                    size: len as u32,
                    tag_hash,
                    store_ms,
                },
                id_hash: hash::id_hash(&msg.msg_id),
                key_hashes: msg.keys.iter().map(|k| hash::key_hash(&topic, k)).collect(),
            });
            appended.push(Appended {
                queue_offset,
                log_pos: pos,
                size: len as u32,
                store_ms,
            });
            st.pos += len as u64;
        }
        let completion = Completion::new();
        st.pending.waiters.push(Arc::clone(&completion));
        self.work.notify_one();
        Ok((appended, completion))
    }
}

/// The buffer that continues the log at `pos` in `seg` (a new chunk after a roll).
fn chunk_for<'a>(pending: &'a mut Pending, seg: &Arc<Segment>, pos: u64) -> &'a mut Vec<u8> {
    let file_off = pos - seg.base;
    let contiguous = pending
        .chunks
        .last()
        .is_some_and(|c| c.seg.base == seg.base && c.file_off + c.buf.len() as u64 == file_off);
    if !contiguous {
        pending.chunks.push(Chunk {
            seg: Arc::clone(seg),
            file_off,
            buf: Vec::with_capacity(64 << 10),
        });
    }
    let last = pending.chunks.len() - 1;
    &mut pending.chunks[last].buf
}

/// The segment starting at `base`: an existing one (e.g. after a rewind) or a fresh one from
/// the allocator.
fn next_segment(shared: &Shared, base: u64) -> Result<Arc<Segment>> {
    // Several appenders can find the same segment missing; only one may take it.
    let _roll = shared.roll_lock.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(seg) = shared.segment_at(base) {
        return Ok(seg);
    }
    let seg = shared.allocator.acquire(base)?;
    shared.insert_segment(Arc::clone(&seg));
    Ok(seg)
}

/// Body of the group-commit thread. Waking the appenders of a batch (one futex wake each) is
/// handed to a helper thread so the commit thread can start the next write and fsync at once.
pub(crate) fn run(shared: Arc<Shared>) {
    let (tx, rx) = mpsc::channel::<Vec<Arc<Completion>>>();
    std::thread::scope(|s| {
        let waker = std::thread::Builder::new()
            .name("petrel-store-wake".into())
            .spawn_scoped(s, move || {
                for batch in rx {
                    for w in batch {
                        w.complete(Ok(()));
                    }
                }
            });
        if let Err(e) = waker {
            tracing::warn!(error = %e, "cannot start the wake thread; waking inline");
        }
        commit_loop(&shared, &tx);
        drop(tx);
    });
}

fn commit_loop(shared: &Arc<Shared>, wake: &mpsc::Sender<Vec<Arc<Completion>>>) {
    let shared = Arc::clone(shared);
    let writer = &shared.writer;
    let sync_mode = shared.cfg.flush_mode == FlushMode::Sync;
    let interval = shared.cfg.async_flush_interval;
    let retry = shared.cfg.disk_full_retry_interval;
    let mut unsynced: Vec<Arc<Segment>> = Vec::new();
    let mut last_sync = Instant::now();
    let mut last_repair = Instant::now();
    loop {
        let mut st = writer.lock();
        // Wait for work, a due async flush, or a due repair attempt.
        let taken = loop {
            if st.closed && st.abandon {
                let p = std::mem::take(&mut st.pending);
                fail_all(p.waiters, &StoreError::Closed);
                return;
            }
            let needs_repair = st.blocked.is_some();
            if needs_repair && last_repair.elapsed() >= retry {
                last_repair = Instant::now();
                drop(st);
                repair(&shared);
                st = writer.lock();
                continue;
            }
            if !st.pending.is_empty() {
                break std::mem::take(&mut st.pending);
            }
            if !unsynced.is_empty() && last_sync.elapsed() >= interval {
                break Pending::default();
            }
            if st.closed {
                drop(st);
                let _ = sync_segments(&shared, &mut unsynced);
                return;
            }
            let mut wait = if unsynced.is_empty() {
                Duration::from_secs(3600)
            } else {
                interval.saturating_sub(last_sync.elapsed())
            };
            if needs_repair {
                wait = wait.min(retry.saturating_sub(last_repair.elapsed()));
            }
            st = writer
                .work
                .wait_timeout(st, wait.max(Duration::from_millis(1)))
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        };
        let start = st.pending_start;
        let end = st.pos;
        st.pending_start = end;
        let gen_saved = st.gen_saved;
        let batch_gen = st.generation;
        drop(st);
        writer.space.notify_all();

        if taken.is_empty() {
            // Async mode: the flush interval elapsed.
            if sync_segments(&shared, &mut unsynced).is_ok() {
                last_sync = Instant::now();
                let pos = writer.write_pos();
                shared.set_durable(&shared.writer, pos.min(end));
            }
            continue;
        }

        let mut result = if gen_saved {
            Ok(())
        } else {
            Err(StoreError::Closed)
        };
        if result.is_ok() {
            for c in &taken.chunks {
                if let Err(e) = c.seg.write_all_at(&c.buf, c.file_off) {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok()
            && let Some(fault) = &shared.cfg.write_fault
            && let Some(e) = fault()
        {
            result = Err(StoreError::io(&writer_path(&taken), e));
        }
        let mut touched: Vec<Arc<Segment>> = Vec::new();
        for c in &taken.chunks {
            if !touched.iter().any(|s| s.base == c.seg.base) {
                touched.push(Arc::clone(&c.seg));
            }
        }
        if result.is_ok() {
            if sync_mode {
                for s in &touched {
                    shared.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
                    if let Err(e) = shared.stats.timings.time_fsync(|| s.sync_data()) {
                        result = Err(e);
                        break;
                    }
                }
            } else {
                for s in touched {
                    if !unsynced.iter().any(|u| u.base == s.base) {
                        unsynced.push(s);
                    }
                }
            }
        }
        match result {
            Ok(()) => {
                if sync_mode {
                    shared.set_durable(writer, end);
                }
                let records = taken.ops.len() as u64;
                let stats = &shared.stats;
                stats.commit_batches.fetch_add(1, Ordering::Relaxed);
                stats.appended_records.fetch_add(records, Ordering::Relaxed);
                stats
                    .appended_bytes
                    .fetch_add(taken.bytes as u64, Ordering::Relaxed);
                stats.last_batch_records.store(records, Ordering::Relaxed);
                stats.timings.batch_records.observe(records);
                stats
                    .last_batch_bytes
                    .store(taken.bytes as u64, Ordering::Relaxed);
                stats
                    .max_batch_records
                    .fetch_max(records, Ordering::Relaxed);
                apply_or_backlog(&shared, taken.ops, end, batch_gen);
                // A thread hop costs more than a couple of wakes: only hand off big batches.
                let inline = if taken.waiters.len() <= INLINE_WAKES {
                    taken.waiters
                } else {
                    match wake.send(taken.waiters) {
                        Ok(()) => Vec::new(),
                        Err(mpsc::SendError(waiters)) => waiters,
                    }
                };
                for w in inline {
                    w.complete(Ok(()));
                }
                if !sync_mode && last_sync.elapsed() >= interval {
                    if sync_segments(&shared, &mut unsynced).is_ok() {
                        shared.set_durable(writer, end);
                    }
                    last_sync = Instant::now();
                }
            }
            Err(e) => {
                let e = if gen_saved {
                    e
                } else {
                    writer.lock().blocked.clone().unwrap_or(e)
                };
                tracing::warn!(error = %e, start, "group commit failed; rewinding the writer");
                rewind(&shared, start, taken.waiters, &e);
            }
        }
    }
}

fn writer_path(p: &Pending) -> std::path::PathBuf {
    p.chunks
        .first()
        .map(|c| c.seg.path.clone())
        .unwrap_or_default()
}

fn sync_segments(shared: &Shared, unsynced: &mut Vec<Arc<Segment>>) -> Result<()> {
    while let Some(s) = unsynced.last() {
        shared.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = shared.stats.timings.time_fsync(|| s.sync_data()) {
            tracing::warn!(error = %e, "async flush failed; will retry");
            return Err(e);
        }
        unsynced.pop();
    }
    Ok(())
}

fn fail_all(waiters: Vec<Arc<Completion>>, e: &StoreError) {
    for w in waiters {
        w.complete(Err(e.clone()));
    }
}

/// Applies index entries; on failure keeps them as a backlog and blocks appends until a retry
/// succeeds (the records themselves are durable and acknowledged).
fn apply_or_backlog(shared: &Shared, ops: Vec<IndexOp>, end: u64, generation: u32) {
    let mut st = shared.writer.lock();
    if !st.backlog.is_empty() {
        st.backlog.extend(ops);
        st.backlog_end = end;
        st.backlog_gen = generation;
        return;
    }
    drop(st);
    if let Err(e) = shared.apply_ops(&ops, end, generation) {
        tracing::warn!(error = %e, "index update failed; appends paused until it succeeds");
        st = shared.writer.lock();
        st.backlog = ops;
        st.backlog_end = end;
        st.backlog_gen = generation;
        st.blocked = Some(e);
    }
}

/// Retries whatever blocks appends: an unsaved generation and index backlog.
fn repair(shared: &Shared) {
    let mut st = shared.writer.lock();
    if !st.gen_saved {
        match shared.gen_file.store(st.generation) {
            Ok(()) => st.gen_saved = true,
            Err(e) => {
                st.blocked = Some(e);
                return;
            }
        }
    }
    if !st.backlog.is_empty() {
        let ops = std::mem::take(&mut st.backlog);
        let (end, generation) = (st.backlog_end, st.backlog_gen);
        drop(st);
        let res = shared.apply_ops(&ops, end, generation);
        st = shared.writer.lock();
        if let Err(e) = res {
            st.backlog = ops;
            st.blocked = Some(e);
            return;
        }
    }
    if st.blocked.take().is_some() {
        tracing::info!("store accepts appends again");
    }
}

fn rewind(shared: &Shared, start: u64, waiters: Vec<Arc<Completion>>, e: &StoreError) {
    if e.is_disk_full() {
        shared
            .stats
            .disk_full_errors
            .fetch_add(1, Ordering::Relaxed);
    }
    let mut st = shared.writer.lock();
    let queued = std::mem::take(&mut st.pending);
    st.pos = start;
    st.pending_start = start;
    if let Some(seg) = shared.segment_containing(start) {
        st.seg = seg;
    }
    st.next.clear();
    st.generation = st.generation.wrapping_add(1);
    match shared.gen_file.store(st.generation) {
        Ok(()) => st.gen_saved = true,
        Err(ge) => {
            st.gen_saved = false;
            st.blocked = Some(ge);
        }
    }
    drop(st);
    shared.writer.space.notify_all();
    fail_all(waiters, e);
    fail_all(queued.waiters, e);
}

impl Shared {
    fn set_durable(&self, writer: &Writer, pos: u64) {
        let mut st = writer.lock();
        if pos > st.durable {
            st.durable = pos;
        }
        drop(st);
        self.durable_pos.fetch_max(pos, Ordering::AcqRel);
    }

    /// Writes the index entries of `ops` (in log order) and publishes the new max offsets.
    pub(crate) fn apply_ops(&self, ops: &[IndexOp], end: u64, generation: u32) -> Result<()> {
        let mut applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
        let queues = write_indexes(&self.registry, &self.keys, ops)?;
        for (q, max) in queues {
            q.set_max(max);
        }
        if let Some(last) = ops.last() {
            applied.last_store_ms = applied.last_store_ms.max(last.entry.store_ms);
        }
        applied.pos = end;
        applied.generation = generation;
        Ok(())
    }
}

/// Writes queue-index entries and key-index entries for `ops` (in log order). Returns each
/// touched queue with its new max offset; publishing it is the caller's job.
pub(crate) fn write_indexes(
    registry: &QueueRegistry,
    keys: &KeyIndex,
    ops: &[IndexOp],
) -> Result<Vec<(Arc<QueueIndex>, u64)>> {
    let mut groups: Vec<(Arc<str>, u32, u64, Vec<QueueEntry>)> = Vec::new();
    let mut at: HashMap<(&str, u32), usize> = HashMap::new();
    let mut items = Vec::with_capacity(ops.len() * 2);
    for op in ops {
        let key = (&*op.topic, op.queue_id);
        match at.get(&key) {
            Some(&i) => groups[i].3.push(op.entry),
            None => {
                at.insert(key, groups.len());
                groups.push((
                    Arc::clone(&op.topic),
                    op.queue_id,
                    op.queue_offset,
                    vec![op.entry],
                ));
            }
        }
        let item = |hash| KeyItem {
            hash,
            pos: op.entry.pos,
            size: op.entry.size,
            store_ms: op.entry.store_ms,
        };
        items.push(item(op.id_hash));
        items.extend(op.key_hashes.iter().map(|&h| item(h)));
    }
    let mut scratch = Vec::new();
    let mut queues = Vec::with_capacity(groups.len());
    for (topic, qid, start, entries) in &groups {
        let q = registry.get_or_create(topic, *qid)?;
        q.write(*start, entries, &mut scratch)?;
        queues.push((q, *start + entries.len() as u64));
    }
    keys.insert(&items)?;
    Ok(queues)
}
