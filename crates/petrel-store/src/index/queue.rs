//! Per-queue index: for each (topic, queue id), fixed-width 32-byte entries in files of
//! `entries_per_file` entries, so the entry for queue offset N is one positional read.
//!
//! Entry layout (little-endian): log position u64, record size u32, tag hash u32, store
//! timestamp i64, reserved u64. A size of 0 marks a hole (never written).
//!
//! Files live in `index/queues/<percent-encoded topic>/<queue id>/<20-digit first offset>` and
//! grow by appending (they are not preallocated: a broker can have thousands of queues). They are
//! fsynced only at checkpoints; recovery rewrites every entry the log has beyond the checkpoint
//! and truncates each file at its queue's recovered max offset, which drops entries that point
//! past the recovered log end.
//!
//! Open handles are bounded: 10,000 topics of 8 queues are 80,000 files, more than a process
//! may hold open. Past the budget (half the open-file limit), the least recently used queues
//! close theirs — each dirty one fsynced first, so a checkpoint never counts on a handle that
//! is gone — and reopen them on their next use.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::error::{Result, StoreError};

pub(crate) const ENTRY_LEN: u64 = 32;

/// One queue index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct QueueEntry {
    pub pos: u64,
    pub size: u32,
    pub tag_hash: u32,
    pub store_ms: i64,
}

impl QueueEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.pos.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.tag_hash.to_le_bytes());
        out.extend_from_slice(&self.store_ms.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
    }

    fn decode(b: &[u8]) -> QueueEntry {
        let mut a8 = [0u8; 8];
        let mut a4 = [0u8; 4];
        a8.copy_from_slice(&b[0..8]);
        let pos = u64::from_le_bytes(a8);
        a4.copy_from_slice(&b[8..12]);
        let size = u32::from_le_bytes(a4);
        a4.copy_from_slice(&b[12..16]);
        let tag_hash = u32::from_le_bytes(a4);
        a8.copy_from_slice(&b[16..24]);
        let store_ms = i64::from_le_bytes(a8);
        QueueEntry {
            pos,
            size,
            tag_hash,
            store_ms,
        }
    }
}

/// An index file handle with a dirty flag for the checkpoint's fsync pass.
#[derive(Debug)]
pub(crate) struct IndexFile {
    pub path: PathBuf,
    pub file: File,
    dirty: AtomicBool,
}

impl IndexFile {
    pub fn open(path: PathBuf, create: bool) -> Result<Option<IndexFile>> {
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&path)
        {
            Ok(file) => Ok(Some(IndexFile {
                path,
                file,
                dirty: AtomicBool::new(false),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => Ok(None),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    pub fn write_at(&self, buf: &[u8], off: u64) -> Result<()> {
        self.dirty.store(true, Ordering::Release);
        self.file
            .write_all_at(buf, off)
            .map_err(|e| StoreError::io(&self.path, e))
    }

    pub fn read_at(&self, buf: &mut [u8], off: u64) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .file
                .read_at(&mut buf[done..], off + done as u64)
                .map_err(|e| StoreError::io(&self.path, e))?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    pub fn sync_if_dirty(&self) -> Result<()> {
        if self.dirty.swap(false, Ordering::AcqRel)
            && let Err(e) = self.file.sync_data()
        {
            self.dirty.store(true, Ordering::Release);
            return Err(StoreError::io(&self.path, e));
        }
        Ok(())
    }
}

/// Open queue index files across every queue, and how many may be.
#[derive(Debug)]
pub(crate) struct FileBudget {
    open: AtomicUsize,
    cap: usize,
    /// A logical clock: each queue remembers when it was last used.
    clock: AtomicU64,
    /// One eviction at a time.
    evicting: Mutex<()>,
}

impl FileBudget {
    /// At most `cap` open files (never fewer than 16).
    pub fn new(cap: usize) -> FileBudget {
        FileBudget {
            open: AtomicUsize::new(0),
            cap: cap.max(16),
            clock: AtomicU64::new(0),
            evicting: Mutex::new(()),
        }
    }

    /// Half the process's open-file limit, leaving the rest to segments, sockets and the
    /// catalogue.
    pub fn from_limit() -> FileBudget {
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(1 << 20);
        FileBudget::new(usize::try_from(soft / 2).unwrap_or(usize::MAX))
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn over(&self) -> bool {
        self.open.load(Ordering::Relaxed) > self.cap
    }
}

/// The index of one queue plus its published bounds.
#[derive(Debug)]
pub(crate) struct QueueIndex {
    pub topic: Arc<str>,
    pub queue_id: u32,
    dir: PathBuf,
    per_file: u64,
    files: Mutex<BTreeMap<u64, Arc<IndexFile>>>,
    min: AtomicU64,
    max: AtomicU64,
    budget: Arc<FileBudget>,
    last_used: AtomicU64,
}

impl Drop for QueueIndex {
    fn drop(&mut self) {
        let n = self.files.get_mut().map_or(0, |f| f.len());
        self.budget.open.fetch_sub(n, Ordering::Relaxed);
    }
}

impl QueueIndex {
    fn lock_files(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<IndexFile>>> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (min offset, max offset): readable offsets are `min..max`.
    pub fn bounds(&self) -> (u64, u64) {
        let max = self.max.load(Ordering::Acquire);
        let min = self.min.load(Ordering::Acquire).min(max);
        (min, max)
    }

    pub fn set_max(&self, max: u64) {
        self.max.store(max, Ordering::Release);
    }

    pub fn set_min(&self, min: u64) {
        self.min.store(min, Ordering::Release);
    }

    fn file(&self, first: u64, create: bool) -> Result<Option<Arc<IndexFile>>> {
        self.last_used.store(self.budget.tick(), Ordering::Relaxed);
        let mut files = self.lock_files();
        if let Some(f) = files.get(&first) {
            return Ok(Some(Arc::clone(f)));
        }
        let path = self.dir.join(format!("{first:020}"));
        let Some(f) = IndexFile::open(path, create)? else {
            return Ok(None);
        };
        let f = Arc::new(f);
        files.insert(first, Arc::clone(&f));
        self.budget.open.fetch_add(1, Ordering::Relaxed);
        Ok(Some(f))
    }

    /// Closes this queue's idle files, fsyncing each dirty one first; a file someone is
    /// using right now stays open.
    fn close_idle_files(&self) -> Result<()> {
        let mut files = self.lock_files();
        let mut kept = BTreeMap::new();
        let mut closed = 0;
        for (start, f) in std::mem::take(&mut *files) {
            // Under the lock nobody can take a new handle; a count above one is a user.
            if Arc::strong_count(&f) > 1 {
                kept.insert(start, f);
                continue;
            }
            if let Err(e) = f.sync_if_dirty() {
                kept.insert(start, f);
                *files = kept;
                self.budget.open.fetch_sub(closed, Ordering::Relaxed);
                return Err(e);
            }
            closed += 1;
        }
        *files = kept;
        self.budget.open.fetch_sub(closed, Ordering::Relaxed);
        Ok(())
    }

    /// Writes consecutive entries starting at queue offset `start`.
    pub fn write(&self, start: u64, entries: &[QueueEntry], scratch: &mut Vec<u8>) -> Result<()> {
        let mut off = start;
        let mut rest = entries;
        while !rest.is_empty() {
            let first = off - off % self.per_file;
            let room = (first + self.per_file - off) as usize;
            let (now, later) = rest.split_at(room.min(rest.len()));
            scratch.clear();
            for e in now {
                e.encode(scratch);
            }
            let file = self.file(first, true)?.ok_or(StoreError::Closed)?;
            file.write_at(scratch, (off - first) * ENTRY_LEN)?;
            off += now.len() as u64;
            rest = later;
        }
        Ok(())
    }

    /// Reads `count` entries from `offset`; every one must exist.
    pub fn read(&self, offset: u64, count: u64) -> Result<Vec<QueueEntry>> {
        let mut out = Vec::with_capacity(count as usize);
        let mut off = offset;
        let end = offset + count;
        let mut buf = Vec::new();
        while off < end {
            let first = off - off % self.per_file;
            let n = (first + self.per_file).min(end) - off;
            let file = self
                .file(first, false)?
                .ok_or_else(|| self.inconsistent(format!("index file for offset {off} missing")))?;
            buf.resize((n * ENTRY_LEN) as usize, 0);
            let got = file.read_at(&mut buf, (off - first) * ENTRY_LEN)?;
            for (i, chunk) in buf[..got - got % ENTRY_LEN as usize]
                .chunks_exact(ENTRY_LEN as usize)
                .enumerate()
            {
                let e = QueueEntry::decode(chunk);
                if e.size == 0 {
                    return Err(self.inconsistent(format!("entry {} is empty", off + i as u64)));
                }
                out.push(e);
            }
            if (got as u64) < n * ENTRY_LEN {
                return Err(self.inconsistent(format!(
                    "index file {} ends before offset {end}",
                    file.path.display()
                )));
            }
            off += n;
        }
        Ok(out)
    }

    pub fn entry(&self, offset: u64) -> Result<QueueEntry> {
        self.read(offset, 1)?
            .pop()
            .ok_or_else(|| self.inconsistent(format!("entry {offset} missing")))
    }

    /// First offset in `lo..hi` whose entry satisfies the monotone predicate `pred`, or `hi`.
    pub fn partition_point(
        &self,
        mut lo: u64,
        mut hi: u64,
        pred: impl Fn(&QueueEntry) -> bool,
    ) -> Result<u64> {
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&self.entry(mid)?) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }

    /// Drops entries at and beyond `next` (recovery: they point past the recovered log end).
    pub fn truncate(&self, next: u64) -> Result<()> {
        let first = next - next % self.per_file;
        let names = self.list_files()?;
        let mut files = self.lock_files();
        for (start, path) in names {
            if start > first {
                if files.remove(&start).is_some() {
                    self.budget.open.fetch_sub(1, Ordering::Relaxed);
                }
                fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            } else if start == first {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| StoreError::io(&path, e))?;
                let len = (next - first) * ENTRY_LEN;
                let cur = f.metadata().map_err(|e| StoreError::io(&path, e))?.len();
                if cur > len {
                    f.set_len(len).map_err(|e| StoreError::io(&path, e))?;
                    f.sync_all().map_err(|e| StoreError::io(&path, e))?;
                }
            }
        }
        Ok(())
    }

    /// Deletes index files that only hold offsets below `min` (retention).
    pub fn drop_below(&self, min: u64) -> Result<()> {
        let names = self.list_files()?;
        let mut files = self.lock_files();
        for (start, path) in names {
            if start + self.per_file <= min {
                if files.remove(&start).is_some() {
                    self.budget.open.fetch_sub(1, Ordering::Relaxed);
                }
                fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            }
        }
        Ok(())
    }

    pub fn sync(&self) -> Result<()> {
        let files: Vec<_> = self.lock_files().values().cloned().collect();
        for f in files {
            f.sync_if_dirty()?;
        }
        Ok(())
    }

    pub fn disk_bytes(&self) -> u64 {
        self.list_files()
            .unwrap_or_default()
            .iter()
            .filter_map(|(_, p)| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    fn list_files(&self) -> Result<Vec<(u64, PathBuf)>> {
        let mut out = Vec::new();
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(StoreError::io(&self.dir, e)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            if let Ok(start) = entry.file_name().to_string_lossy().parse::<u64>() {
                out.push((start, entry.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    fn inconsistent(&self, reason: String) -> StoreError {
        StoreError::IndexInconsistent {
            topic: self.topic.to_string(),
            queue_id: self.queue_id,
            reason,
        }
    }
}

type QueueMap = HashMap<Arc<str>, HashMap<u32, Arc<QueueIndex>>>;

/// All queue indexes of the store.
#[derive(Debug)]
pub(crate) struct QueueRegistry {
    root: PathBuf,
    per_file: u64,
    map: RwLock<QueueMap>,
    budget: Arc<FileBudget>,
}

/// Percent-encodes a topic into a directory name (reversible; keeps `[A-Za-z0-9_-]`).
pub(crate) fn encode_topic(topic: &str) -> String {
    let mut s = String::with_capacity(topic.len());
    for b in topic.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn decode_topic(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl QueueRegistry {
    pub fn new(root: PathBuf, per_file: u64) -> QueueRegistry {
        QueueRegistry::with_budget(root, per_file, FileBudget::from_limit())
    }

    pub fn with_budget(root: PathBuf, per_file: u64, budget: FileBudget) -> QueueRegistry {
        QueueRegistry {
            root,
            per_file,
            map: RwLock::new(HashMap::new()),
            budget: Arc::new(budget),
        }
    }

    fn read_map(&self) -> std::sync::RwLockReadGuard<'_, QueueMap> {
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, topic: &str, queue_id: u32) -> Option<Arc<QueueIndex>> {
        let q = self.read_map().get(topic)?.get(&queue_id).cloned();
        if self.budget.over() {
            self.evict(q.as_deref());
        }
        q
    }

    /// Closes the files of the least recently used queues (never `keep`'s) until a quarter
    /// of the budget is free again.
    fn evict(&self, keep: Option<&QueueIndex>) {
        let Ok(_one) = self.budget.evicting.try_lock() else {
            return;
        };
        let mut queues: Vec<Arc<QueueIndex>> = self
            .all()
            .into_iter()
            .filter(|q| !q.lock_files().is_empty())
            .filter(|q| keep.is_none_or(|k| !std::ptr::eq(Arc::as_ptr(q), k)))
            .collect();
        queues.sort_by_key(|q| q.last_used.load(Ordering::Relaxed));
        let target = self.budget.cap / 4 * 3;
        for q in queues {
            if self.budget.open.load(Ordering::Relaxed) <= target {
                break;
            }
            if let Err(e) = q.close_idle_files() {
                // The files stay open; the next eviction tries again.
                tracing::warn!(topic = %q.topic, queue = q.queue_id, error = %e, "cannot close an idle queue index file");
            }
        }
    }

    pub fn get_or_create(&self, topic: &Arc<str>, queue_id: u32) -> Result<Arc<QueueIndex>> {
        if let Some(q) = self.get(topic, queue_id) {
            return Ok(q);
        }
        if self.budget.over() {
            self.evict(None);
        }
        let dir = self
            .root
            .join(encode_topic(topic))
            .join(queue_id.to_string());
        if dir.as_os_str().len() > 4000 || encode_topic(topic).len() > 255 {
            return Err(StoreError::InvalidMessage(format!(
                "topic name too long for an index directory: {topic}"
            )));
        }
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        let q = map
            .entry(Arc::clone(topic))
            .or_default()
            .entry(queue_id)
            .or_insert_with(|| {
                Arc::new(QueueIndex {
                    topic: Arc::clone(topic),
                    queue_id,
                    dir,
                    per_file: self.per_file,
                    files: Mutex::new(BTreeMap::new()),
                    min: AtomicU64::new(0),
                    max: AtomicU64::new(0),
                    budget: Arc::clone(&self.budget),
                    last_used: AtomicU64::new(0),
                })
            });
        Ok(Arc::clone(q))
    }

    pub fn all(&self) -> Vec<Arc<QueueIndex>> {
        self.read_map()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    pub fn of_topic(&self, topic: &str) -> Vec<Arc<QueueIndex>> {
        self.read_map()
            .get(topic)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.read_map().values().map(HashMap::len).sum()
    }

    /// Removes queue directories on disk that the registry does not know (created after the
    /// last checkpoint by records that did not survive recovery).
    pub fn remove_unknown_dirs(&self) -> Result<()> {
        let rd = match fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io(&self.root, e)),
        };
        for tdir in rd {
            let tdir = tdir.map_err(|e| StoreError::io(&self.root, e))?;
            let tpath = tdir.path();
            let topic = decode_topic(&tdir.file_name().to_string_lossy());
            let qdirs = fs::read_dir(&tpath).map_err(|e| StoreError::io(&tpath, e))?;
            for qdir in qdirs {
                let qdir = qdir.map_err(|e| StoreError::io(&tpath, e))?;
                let qid = qdir.file_name().to_string_lossy().parse::<u32>().ok();
                let known = match (&topic, qid) {
                    (Some(t), Some(q)) => self.get(t, q).is_some(),
                    _ => false,
                };
                if !known {
                    let p = qdir.path();
                    fs::remove_dir_all(&p).map_err(|e| StoreError::io(&p, e))?;
                }
            }
        }
        Ok(())
    }
}

/// Deletes every queue index (before a full rebuild from the log).
pub(crate) fn wipe(root: &Path) -> Result<()> {
    match fs::remove_dir_all(root) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io(root, e)),
    }
    fs::create_dir_all(root).map_err(|e| StoreError::io(root, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_round_trip_through_directory_names() {
        for t in ["orders", "%RETRY%g1", "a/b c", "ünï", "x.y"] {
            let enc = encode_topic(t);
            assert!(!enc.contains('/') && !enc.contains('.'));
            assert_eq!(decode_topic(&enc).as_deref(), Some(t));
        }
    }

    #[test]
    fn entries_span_files_and_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let reg = QueueRegistry::new(dir.path().to_path_buf(), 4);
        let q = reg.get_or_create(&Arc::from("t"), 1).unwrap();
        let entries: Vec<_> = (0..10)
            .map(|i| QueueEntry {
                pos: i * 100,
                size: 50,
                tag_hash: 1,
                store_ms: i as i64,
            })
            .collect();
        let mut scratch = Vec::new();
        q.write(0, &entries, &mut scratch).unwrap();
        assert_eq!(q.read(2, 7).unwrap(), entries[2..9].to_vec());
        assert_eq!(q.partition_point(0, 10, |e| e.store_ms >= 6).unwrap(), 6);
        q.truncate(6).unwrap();
        assert!(q.read(5, 1).is_ok());
        assert!(q.read(6, 1).is_err());
        q.drop_below(5).unwrap();
        assert!(q.read(3, 1).is_err());
        assert!(q.read(4, 1).is_ok());
    }

    #[test]
    fn more_queues_than_the_open_file_budget_stay_readable_and_writable() {
        let dir = tempfile::tempdir().unwrap();
        let reg = QueueRegistry::with_budget(dir.path().to_path_buf(), 4, FileBudget::new(16));
        let mut scratch = Vec::new();
        let entry = |i: u64| QueueEntry {
            pos: i * 100,
            size: 10,
            tag_hash: 0,
            store_ms: 1,
        };
        // 200 queues, each written twice (across two files of 4 entries) and read back.
        for round in 0..2u64 {
            for q in 0..200u32 {
                let topic: Arc<str> = Arc::from(format!("t{}", q % 50).as_str());
                let idx = reg.get_or_create(&topic, q).unwrap();
                let start = round * 3;
                idx.write(
                    start,
                    &[entry(start), entry(start + 1), entry(start + 2)],
                    &mut scratch,
                )
                .unwrap();
                assert!(
                    reg.budget.open.load(Ordering::Relaxed) <= 16 + 2,
                    "open files {} past the budget",
                    reg.budget.open.load(Ordering::Relaxed)
                );
            }
        }
        for q in 0..200u32 {
            let topic = format!("t{}", q % 50);
            let idx = reg.get(&topic, q).unwrap();
            let got = idx.read(0, 6).unwrap();
            assert_eq!(
                got.iter().map(|e| e.pos).collect::<Vec<_>>(),
                [0, 100, 200, 300, 400, 500]
            );
        }
        assert!(reg.budget.open.load(Ordering::Relaxed) <= 18);
    }
}
