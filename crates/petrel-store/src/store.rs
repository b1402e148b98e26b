//! The `Store` handle: opening (directory layout, lock, recovery, thread start), the shared
//! state the background threads work on, checkpoints, statistics and shutdown.
//!
//! Directory layout: `log/` (segments), `index/queues/`, `index/keys/`, `checkpoint`,
//! `generation`, `LOCK`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::checkpoint::{self, Checkpoint, GenFile, QueueRow};
use crate::commit::{self, Writer, WriterStart};
use crate::completion::AppendFuture;
use crate::config::{FlushMode, StoreConfig};
use crate::error::{Result, StoreError};
use crate::index::keys::KeyIndex;
use crate::index::queue::{self, QueueRegistry};
use crate::message::{
    Appended, NewMessage, QueryResult, ReadBatch, RecoveryReport, RetentionReport, StoreStats,
    StoredMessage, TimeCursor,
};
use crate::segment::{self, Allocator, PrepareSpec, Segment};
use crate::{read, recovery, retention};

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub appended_records: AtomicU64,
    pub appended_bytes: AtomicU64,
    pub fsyncs: AtomicU64,
    pub commit_batches: AtomicU64,
    pub last_batch_records: AtomicU64,
    pub last_batch_bytes: AtomicU64,
    pub max_batch_records: AtomicU64,
    pub disk_full_errors: AtomicU64,
    pub timings: crate::metrics::Timings,
}

/// Index application progress; its mutex is the "apply lock" that checkpoints take to get a
/// consistent snapshot of the indexes.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub pos: u64,
    pub generation: u32,
    pub last_store_ms: i64,
}

/// State shared by the handle and the background threads.
pub(crate) struct Shared {
    pub dir: PathBuf,
    pub cfg: StoreConfig,
    pub segments: RwLock<BTreeMap<u64, Arc<Segment>>>,
    pub allocator: Arc<Allocator>,
    pub registry: QueueRegistry,
    pub keys: KeyIndex,
    pub writer: Writer,
    pub applied: Mutex<Applied>,
    pub durable_pos: AtomicU64,
    pub min_log_pos: AtomicU64,
    pub ckpt_index_pos: AtomicU64,
    pub gen_file: GenFile,
    pub stats: Counters,
    pub ckpt_lock: Mutex<()>,
    pub roll_lock: Mutex<()>,
    stop: Mutex<bool>,
    stop_cv: Condvar,
}

impl Shared {
    pub fn segment_at(&self, base: u64) -> Option<Arc<Segment>> {
        self.segments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&base)
            .cloned()
    }

    pub fn segment_containing(&self, pos: u64) -> Option<Arc<Segment>> {
        let segs = self.segments.read().unwrap_or_else(|p| p.into_inner());
        segs.range(..=pos)
            .next_back()
            .map(|(_, s)| s)
            .filter(|s| s.contains(pos))
            .cloned()
    }

    pub fn insert_segment(&self, seg: Arc<Segment>) {
        self.segments
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(seg.base, seg);
    }

    pub fn is_last_segment(&self, base: u64) -> bool {
        let segs = self.segments.read().unwrap_or_else(|p| p.into_inner());
        segs.keys().next_back() == Some(&base)
    }

    /// Fsyncs the indexes and writes a checkpoint at the applied position.
    pub fn checkpoint(&self, clean: bool) -> Result<()> {
        let _guard = self.ckpt_lock.lock().unwrap_or_else(|p| p.into_inner());
        let (pos, last_gen, last_store_ms, key_cursor, queues) = {
            let applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
            let queues = self.registry.all();
            let rows: Vec<QueueRow> = queues
                .iter()
                .map(|q| {
                    let (min, max) = q.bounds();
                    QueueRow {
                        topic: q.topic.to_string(),
                        queue_id: q.queue_id,
                        next_offset: max,
                        min_offset: min,
                    }
                })
                .collect();
            (
                applied.pos,
                applied.generation,
                applied.last_store_ms,
                self.keys.cursor(),
                (queues, rows),
            )
        };
        if self.cfg.flush_mode == FlushMode::Async && self.durable_pos.load(Ordering::Acquire) < pos
        {
            let prev = self.ckpt_index_pos.load(Ordering::Acquire);
            let segs: Vec<Arc<Segment>> = {
                let s = self.segments.read().unwrap_or_else(|p| p.into_inner());
                s.values()
                    .filter(|s| s.end() > prev && s.base < pos)
                    .cloned()
                    .collect()
            };
            for s in segs {
                self.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
                s.sync_data()?;
            }
            self.durable_pos.fetch_max(pos, Ordering::AcqRel);
        }
        for q in &queues.0 {
            q.sync()?;
        }
        self.keys.sync()?;
        let ck = Checkpoint {
            clean,
            index_pos: pos,
            durable_pos: self.durable_pos.load(Ordering::Acquire).max(pos),
            last_store_ms,
            key_seq: key_cursor.0,
            key_count: key_cursor.1,
            last_gen,
            queues: queues.1,
        };
        checkpoint::store(&self.dir, &ck)?;
        self.ckpt_index_pos.store(pos, Ordering::Release);
        Ok(())
    }

    fn stopping(&self) -> bool {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn checkpoint_loop(shared: Arc<Shared>) {
    let interval = shared.cfg.checkpoint_interval;
    loop {
        {
            let stop = shared.stop.lock().unwrap_or_else(|p| p.into_inner());
            let (stop, _) = shared
                .stop_cv
                .wait_timeout_while(stop, interval, |s| !*s)
                .unwrap_or_else(|p| p.into_inner());
            if *stop {
                return;
            }
        }
        if let Err(e) = shared.checkpoint(false) {
            tracing::warn!(error = %e, "checkpoint failed; will retry");
        }
    }
}

struct Threads {
    commit: JoinHandle<()>,
    checkpoint: JoinHandle<()>,
    alloc: JoinHandle<()>,
}

/// The durable message log. Share it via `Arc<Store>`; all methods take `&self`.
pub struct Store {
    pub(crate) shared: Arc<Shared>,
    threads: Mutex<Option<Threads>>,
    report: RecoveryReport,
    _lock: File,
}

fn mkdir(p: &Path) -> Result<()> {
    fs::create_dir_all(p).map_err(|e| StoreError::io(p, e))
}

impl Store {
    /// Opens (or creates) the store in `dir`, running crash recovery. See
    /// [`Store::recovery_report`] for what recovery did.
    ///
    /// Fails with [`StoreError::Corrupt`] if a record in the part of the log recovery verifies
    /// is damaged where valid data must be (as opposed to a torn tail, which is cut off).
    pub fn open(dir: &Path, config: StoreConfig) -> Result<Store> {
        config.validate()?;
        let started = Instant::now();
        let log_dir = dir.join("log");
        let queues_dir = dir.join("index").join("queues");
        let keys_dir = dir.join("index").join("keys");
        for d in [dir, &log_dir, &queues_dir, &keys_dir] {
            mkdir(d)?;
        }
        let lock_path = dir.join("LOCK");
        let lock = File::create(&lock_path).map_err(|e| StoreError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked { path: lock_path });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&lock_path, e)),
        }

        let (gen_file, old_gen) = GenFile::open(dir)?;
        let generation = old_gen.wrapping_add(1);
        gen_file.store(generation)?;

        let ckpt = checkpoint::load(dir)?;
        let mut segments = segment::open_all(&log_dir)?;
        let registry = QueueRegistry::new(queues_dir.clone(), config.queue_index_entries_per_file);
        if ckpt.is_none() {
            queue::wipe(&queues_dir)?;
        }
        let keys = KeyIndex::open(
            keys_dir,
            config.key_index_slots,
            config.key_index_entries,
            ckpt.as_ref().map(|c| (c.key_seq, c.key_count)),
        )?;
        if let Some(ck) = &ckpt {
            for row in &ck.queues {
                let q = registry.get_or_create(&Arc::from(row.topic.as_str()), row.queue_id)?;
                q.set_max(row.next_offset);
                q.set_min(row.min_offset);
            }
        }

        let outcome = recovery::recover(&recovery::Input {
            segments: &segments,
            registry: &registry,
            keys: &keys,
            ckpt: ckpt.as_ref(),
            verify: config.verify_on_open,
        })?;
        for base in &outcome.discard_segments {
            if let Some(s) = segments.remove(base) {
                fs::remove_file(&s.path).map_err(|e| StoreError::io(&s.path, e))?;
            }
        }
        let clean = ckpt.as_ref().is_some_and(|c| c.clean) && outcome.records_replayed == 0;
        if !clean {
            for q in registry.all() {
                q.truncate(q.bounds().1)?;
            }
            registry.remove_unknown_dirs()?;
        }

        // The active segment, and at most one prepared segment after it.
        let end = outcome.end_pos;
        let spec = PrepareSpec {
            dir: log_dir.clone(),
            size: config.segment_size,
            min_free: config.min_free_bytes,
            probe: config.free_space_probe.clone(),
        };
        let active = match segments.range(..=end).next_back() {
            Some((_, s)) if s.contains(end) => Arc::clone(s),
            _ => {
                let seg = Arc::new(segment::prepare(&spec, end, &AtomicBool::new(false))?);
                segments.insert(end, Arc::clone(&seg));
                seg
            }
        };
        let extra: Vec<u64> = segments
            .range(active.end()..)
            .map(|(b, _)| *b)
            .filter(|&b| b != active.end())
            .collect();
        for base in extra {
            if let Some(s) = segments.remove(&base) {
                fs::remove_file(&s.path).map_err(|e| StoreError::io(&s.path, e))?;
            }
        }
        // After a crash the recovered bytes may only be in the page cache.
        for s in segments.range(..=active.base).rev().take(2) {
            s.1.sync_data()?;
        }
        let min_log_pos = segments.keys().next().copied().unwrap_or(0);
        let last_store_ms = outcome
            .last_store_ms
            .max(ckpt.as_ref().map_or(0, |c| c.last_store_ms));

        let allocator = Allocator::new(spec, config.disk_full_retry_interval);
        let writer = Writer::new(WriterStart {
            pos: end,
            seg: Arc::clone(&active),
            generation,
            durable: end,
            last_store_ms,
        });
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            cfg: config,
            segments: RwLock::new(segments),
            allocator,
            registry,
            keys,
            writer,
            applied: Mutex::new(Applied {
                pos: end,
                generation: outcome.last_gen,
                last_store_ms,
            }),
            durable_pos: AtomicU64::new(end),
            min_log_pos: AtomicU64::new(min_log_pos),
            ckpt_index_pos: AtomicU64::new(end),
            gen_file,
            stats: Counters::default(),
            ckpt_lock: Mutex::new(()),
            roll_lock: Mutex::new(()),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
        });
        shared.checkpoint(false)?;
        if shared.is_last_segment(active.base) {
            shared.allocator.request(active.end());
        }
        let alloc = shared.allocator.start()?;
        let s1 = Arc::clone(&shared);
        let commit = std::thread::Builder::new()
            .name("petrel-store-commit".into())
            .spawn(move || commit::run(s1))
            .map_err(|e| StoreError::io(dir, e))?;
        let s2 = Arc::clone(&shared);
        let checkpoint = std::thread::Builder::new()
            .name("petrel-store-ckpt".into())
            .spawn(move || checkpoint_loop(s2))
            .map_err(|e| StoreError::io(dir, e))?;

        let report = RecoveryReport {
            clean_shutdown: clean,
            full_rebuild: ckpt.is_none(),
            replayed_from: outcome.replayed_from,
            records_replayed: outcome.records_replayed,
            bytes_verified: outcome.bytes_verified,
            end_pos: end,
            torn_tail: outcome.torn_tail,
            duration: started.elapsed(),
        };
        if let Some(t) = &report.torn_tail {
            tracing::warn!(segment = %t.segment.display(), offset = t.offset, reason = %t.reason, "recovery cut a torn tail");
        }
        Ok(Store {
            shared,
            threads: Mutex::new(Some(Threads {
                commit,
                checkpoint,
                alloc,
            })),
            report,
            _lock: lock,
        })
    }

    /// What recovery did when this store was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    /// Appends a batch (all-or-nothing) and blocks until it is durable per the flush mode.
    /// Results are in input order.
    pub fn append(&self, msgs: Vec<NewMessage>) -> Result<Vec<Appended>> {
        let (appended, completion) = self.shared.writer.enqueue(&self.shared, &msgs)?;
        completion.wait()?;
        Ok(appended)
    }

    /// Like [`Store::append`] but returns a future instead of blocking. Encoding happens in this
    /// call (a short lock; it can wait if a new segment is still being prepared or too many bytes
    /// are pending); only the wait for durability is asynchronous.
    pub fn submit(&self, msgs: Vec<NewMessage>) -> AppendFuture {
        match self.shared.writer.enqueue(&self.shared, &msgs) {
            Ok((appended, completion)) => AppendFuture::waiting(completion, appended),
            Err(e) => AppendFuture::failed(e),
        }
    }

    /// Reads up to `max_messages` messages (and about `max_bytes`, but at least one) from a
    /// queue starting at `offset`.
    pub fn read(
        &self,
        topic: &str,
        queue_id: u32,
        offset: u64,
        max_messages: usize,
        max_bytes: usize,
    ) -> Result<ReadBatch> {
        read::read(
            &self.shared,
            topic,
            queue_id,
            offset,
            max_messages,
            max_bytes,
        )
    }

    /// The newest message with this id, if retained.
    pub fn get_by_id(&self, msg_id: &str) -> Result<Option<StoredMessage>> {
        read::get_by_id(&self.shared, msg_id)
    }

    /// Messages of `topic` with id `msg_id`, newest first, at most `limit` (ids are global in
    /// the index; this keeps only `topic`'s).
    pub fn query_by_id(&self, topic: &str, msg_id: &str, limit: usize) -> Result<QueryResult> {
        read::query_by_id(&self.shared, topic, msg_id, limit)
    }

    /// Messages of `topic` carrying `key`, newest first, at most `limit`.
    pub fn query_by_key(&self, topic: &str, key: &str, limit: usize) -> Result<QueryResult> {
        read::query_by_key(&self.shared, topic, key, limit)
    }

    /// Messages of `topic` stored in `start_ms..=end_ms`, oldest first, at most `limit`; pass
    /// the returned cursor as `after` to continue.
    pub fn query_by_time(
        &self,
        topic: &str,
        start_ms: i64,
        end_ms: i64,
        limit: usize,
        after: Option<TimeCursor>,
    ) -> Result<QueryResult> {
        read::query_by_time(&self.shared, topic, start_ms, end_ms, limit, after)
    }

    /// (minimum available offset, max offset) of a queue; `(0, 0)` for an unknown queue.
    pub fn queue_offsets(&self, topic: &str, queue_id: u32) -> (u64, u64) {
        self.shared
            .registry
            .get(topic, queue_id)
            .map_or((0, 0), |q| q.bounds())
    }

    /// The first offset whose store timestamp is `>= ts_ms` (the max offset if none).
    pub fn lookup_offset_by_time(&self, topic: &str, queue_id: u32, ts_ms: i64) -> Result<u64> {
        read::lookup_offset_by_time(&self.shared, topic, queue_id, ts_ms)
    }

    /// Deletes whole segments past the retention time or size cap (never the active one).
    pub fn enforce_retention(&self, now_ms: i64) -> Result<RetentionReport> {
        retention::enforce(&self.shared, now_ms)
    }

    /// Writes a checkpoint now (indexes fsynced; shortens the next recovery).
    pub fn checkpoint(&self) -> Result<()> {
        self.shared.checkpoint(false)
    }

    /// Counters and gauges for metrics.
    pub fn stats(&self) -> StoreStats {
        let s = &self.shared;
        let (segments, segment_bytes) = {
            let segs = s.segments.read().unwrap_or_else(|p| p.into_inner());
            (segs.len() as u64, segs.values().map(|x| x.size).sum())
        };
        let c = &s.stats;
        StoreStats {
            segments,
            segment_bytes,
            index_bytes: s.keys.disk_bytes()
                + s.registry.all().iter().map(|q| q.disk_bytes()).sum::<u64>(),
            appended_records: c.appended_records.load(Ordering::Relaxed),
            appended_bytes: c.appended_bytes.load(Ordering::Relaxed),
            fsyncs: c.fsyncs.load(Ordering::Relaxed),
            commit_batches: c.commit_batches.load(Ordering::Relaxed),
            last_batch_records: c.last_batch_records.load(Ordering::Relaxed),
            last_batch_bytes: c.last_batch_bytes.load(Ordering::Relaxed),
            max_batch_records: c.max_batch_records.load(Ordering::Relaxed),
            disk_full_errors: c.disk_full_errors.load(Ordering::Relaxed),
            min_log_pos: s.min_log_pos.load(Ordering::Relaxed),
            write_pos: s.writer.write_pos(),
            durable_pos: s.durable_pos.load(Ordering::Relaxed),
            queues: s.registry.len() as u64,
            next_segment_ready: s.allocator.is_ready(),
        }
    }

    /// Flushes everything pending, writes a final (clean) checkpoint and stops the background
    /// threads. Dropping the store does the same but cannot report errors.
    pub fn close(self) -> Result<()> {
        self.shutdown(false)
    }

    /// Stops the store the way a crash would: pending appends fail, no final flush, no final
    /// checkpoint. Meant for recovery tests; already-acknowledged data is durable per the flush
    /// mode, exactly as after a real crash.
    #[doc(hidden)]
    pub fn abandon(self) {
        let _ = self.shutdown(true);
    }

    fn shutdown(&self, abandon: bool) -> Result<()> {
        let Some(threads) = self
            .threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return Ok(());
        };
        let s = &self.shared;
        s.writer.close(abandon);
        let _ = threads.commit.join();
        *s.stop.lock().unwrap_or_else(|p| p.into_inner()) = true;
        s.stop_cv.notify_all();
        let _ = threads.checkpoint.join();
        s.allocator.shutdown();
        let _ = threads.alloc.join();
        debug_assert!(s.stopping());
        if abandon {
            return Ok(());
        }
        let clean = {
            let applied = s.applied.lock().unwrap_or_else(|p| p.into_inner());
            applied.pos == s.writer.write_pos()
        };
        let mut result = Ok(());
        if clean {
            let segs: Vec<Arc<Segment>> = s
                .segments
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .cloned()
                .collect();
            if let Some(last) = segs.iter().rev().find(|x| x.base <= s.writer.write_pos()) {
                result = last.sync_data();
                s.durable_pos
                    .fetch_max(s.writer.write_pos(), Ordering::AcqRel);
            }
        }
        result.and_then(|_| s.checkpoint(clean))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown(false) {
            tracing::warn!(error = %e, "store shutdown failed");
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.shared.dir)
            .field("write_pos", &self.shared.writer.write_pos())
            .finish()
    }
}

// Compile-time check that the handle can be shared across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
};
