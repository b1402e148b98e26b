//! Message-id and message-key index: an on-disk chained hash index (one family of files for both;
//! ids and keys hash into separate namespaces, see `hash.rs`).
//!
//! File `index/keys/<20-digit seq>.kidx`:
//!
//! * header, 64 bytes: magic `PKI1`, version 1, slot count u32, entry capacity u32, sealed u32,
//!   entry count u32, first log position u64, last log position u64 (count and positions are
//!   authoritative only once sealed);
//! * slot table: `slots` × u32, 1-based number of the newest entry of the bucket (0 = empty);
//!   written once, when the file is sealed;
//! * entries, 32 bytes each: hash u64, log position u64, store timestamp i64, previous entry of the
//!   same bucket u32 (1-based, 0 = none), record size u32.
//!
//! Entries are only ever appended, so a lookup walks a bucket chain from newest to oldest. The
//! slot table of the file being filled lives in memory and is rebuilt on open from the entries
//! covered by the last checkpoint; entries after that are discarded and re-inserted from the log
//! by recovery, so an insert is never applied twice.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::error::{Result, StoreError};
use crate::index::queue::IndexFile;

const MAGIC: u32 = 0x3149_4B50; // "PKI1" little-endian
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 64;
const ENTRY_LEN: u64 = 32;
const REBUILD_CHUNK: u64 = 8192;

/// One item to index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyItem {
    pub hash: u64,
    pub pos: u64,
    pub size: u32,
    pub store_ms: i64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    pos: u64,
    prev: u32,
    size: u32,
}

fn decode_entry(b: &[u8]) -> Entry {
    let mut a8 = [0u8; 8];
    let mut a4 = [0u8; 4];
    a8.copy_from_slice(&b[0..8]);
    let hash = u64::from_le_bytes(a8);
    a8.copy_from_slice(&b[8..16]);
    let pos = u64::from_le_bytes(a8);
    a4.copy_from_slice(&b[24..28]);
    let prev = u32::from_le_bytes(a4);
    a4.copy_from_slice(&b[28..32]);
    let size = u32::from_le_bytes(a4);
    Entry {
        hash,
        pos,
        prev,
        size,
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Header {
    slots: u32,
    capacity: u32,
    sealed: bool,
    count: u32,
    first_pos: u64,
    last_pos: u64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut b = [0u8; HEADER_LEN as usize];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        b[8..12].copy_from_slice(&self.slots.to_le_bytes());
        b[12..16].copy_from_slice(&self.capacity.to_le_bytes());
        b[16..20].copy_from_slice(&(self.sealed as u32).to_le_bytes());
        b[20..24].copy_from_slice(&self.count.to_le_bytes());
        b[24..32].copy_from_slice(&self.first_pos.to_le_bytes());
        b[32..40].copy_from_slice(&self.last_pos.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Header> {
        let u32_at = |o: usize| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[o..o + 4]);
            u32::from_le_bytes(a)
        };
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(a)
        };
        if b.len() < HEADER_LEN as usize || u32_at(0) != MAGIC || u32_at(4) != VERSION {
            return None;
        }
        let h = Header {
            slots: u32_at(8),
            capacity: u32_at(12),
            sealed: u32_at(16) == 1,
            count: u32_at(20),
            first_pos: u64_at(24),
            last_pos: u64_at(32),
        };
        (h.slots > 0 && h.capacity > 0 && h.count <= h.capacity).then_some(h)
    }

    fn entries_offset(&self) -> u64 {
        HEADER_LEN + self.slots as u64 * 4
    }
}

#[derive(Debug)]
struct FileState {
    seq: u64,
    file: Arc<IndexFile>,
    header: Header,
}

#[derive(Debug)]
struct Inner {
    current: FileState,
    /// Bucket heads of the current file (its on-disk slot table is written at seal time).
    slots: Vec<u32>,
    sealed: BTreeMap<u64, FileState>,
}

/// A chain walk to do: file, its header, and the bucket head to start from.
type Walk = (Arc<IndexFile>, Header, u32);

/// The message-id / key index.
#[derive(Debug)]
pub(crate) struct KeyIndex {
    dir: PathBuf,
    slots: u32,
    capacity: u32,
    inner: RwLock<Inner>,
}

fn file_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.kidx"))
}

fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(seq) = name
            .strip_suffix(".kidx")
            .and_then(|s| s.parse::<u64>().ok())
        {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn create_file(dir: &Path, seq: u64, slots: u32, capacity: u32) -> Result<FileState> {
    let path = file_path(dir, seq);
    let _ = fs::remove_file(&path);
    let file = IndexFile::open(path.clone(), true)?.ok_or(StoreError::Closed)?;
    let header = Header {
        slots,
        capacity,
        ..Header::default()
    };
    file.write_at(&header.encode(), 0)?;
    // Sparse: blocks are allocated as entries arrive.
    file.file
        .set_len(header.entries_offset() + capacity as u64 * ENTRY_LEN)
        .map_err(|e| StoreError::io(&path, e))?;
    file.mark_dirty();
    Ok(FileState {
        seq,
        file: Arc::new(file),
        header,
    })
}

fn open_file(path: PathBuf, seq: u64) -> Result<Option<FileState>> {
    let Some(file) = IndexFile::open(path, false)? else {
        return Ok(None);
    };
    let mut b = [0u8; HEADER_LEN as usize];
    let n = file.read_at(&mut b, 0)?;
    let Some(header) = Header::decode(&b[..n]) else {
        return Ok(None);
    };
    Ok(Some(FileState {
        seq,
        file: Arc::new(file),
        header,
    }))
}

impl KeyIndex {
    /// Opens the index. `cursor` is the checkpointed (current file, entry count); `None` starts
    /// from scratch (all files removed; recovery then re-inserts everything from the log).
    pub fn open(
        dir: PathBuf,
        slots: u32,
        capacity: u32,
        cursor: Option<(u64, u32)>,
    ) -> Result<Self> {
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let files = list(&dir)?;
        let (cur_seq, cur_count) = cursor.unwrap_or((0, 0));
        let mut sealed = BTreeMap::new();
        let mut current = None;
        for (seq, path) in files {
            if cursor.is_none() || seq > cur_seq {
                fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                continue;
            }
            let state = open_file(path.clone(), seq)?;
            if seq == cur_seq {
                current = state;
                continue;
            }
            match state {
                Some(s) if s.header.sealed => {
                    sealed.insert(seq, s);
                }
                _ => {
                    // Key lookups lose this file's range; messages themselves are unaffected.
                    tracing::warn!(file = %path.display(), "dropping unreadable key index file");
                    fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                }
            }
        }
        let mut current = match current {
            Some(c) if c.header.capacity >= cur_count => c,
            _ => {
                if cur_count > 0 {
                    tracing::warn!(
                        seq = cur_seq,
                        "current key index file missing; starting afresh"
                    );
                }
                create_file(&dir, cur_seq, slots, capacity)?
            }
        };
        let count = if current.header.capacity >= cur_count {
            cur_count
        } else {
            0
        };
        let (heads, first, last) = rebuild_heads(&current, count)?;
        current.header.count = count;
        current.header.first_pos = first;
        current.header.last_pos = last;
        if current.header.sealed {
            current.header.sealed = false;
            current.file.write_at(&current.header.encode(), 0)?;
        }
        Ok(KeyIndex {
            dir,
            slots,
            capacity,
            inner: RwLock::new(Inner {
                current,
                slots: heads,
                sealed,
            }),
        })
    }

    /// (current file, entries in it): what a checkpoint records.
    pub fn cursor(&self) -> (u64, u32) {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        (inner.current.seq, inner.current.header.count)
    }

    /// Inserts items in log order. All-or-nothing per file: on error nothing in memory changes,
    /// so the same items can be inserted again.
    pub fn insert(&self, items: &[KeyItem]) -> Result<()> {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let mut rest = items;
        let mut buf = Vec::new();
        let mut overlay: HashMap<usize, u32> = HashMap::new();
        loop {
            if inner.current.header.count == inner.current.header.capacity {
                self.seal_and_roll(&mut inner)?;
            }
            if rest.is_empty() {
                return Ok(());
            }
            let h = inner.current.header;
            let room = (h.capacity - h.count) as usize;
            let (now, later) = rest.split_at(room.min(rest.len()));
            buf.clear();
            overlay.clear();
            for (i, item) in now.iter().enumerate() {
                let slot = (item.hash % h.slots as u64) as usize;
                let prev = overlay.get(&slot).copied().unwrap_or(inner.slots[slot]);
                buf.extend_from_slice(&item.hash.to_le_bytes());
                buf.extend_from_slice(&item.pos.to_le_bytes());
                buf.extend_from_slice(&item.store_ms.to_le_bytes());
                buf.extend_from_slice(&prev.to_le_bytes());
                buf.extend_from_slice(&item.size.to_le_bytes());
                overlay.insert(slot, h.count + i as u32 + 1);
            }
            let off = h.entries_offset() + h.count as u64 * ENTRY_LEN;
            inner.current.file.write_at(&buf, off)?;
            for (&slot, &head) in &overlay {
                inner.slots[slot] = head;
            }
            let cur = &mut inner.current.header;
            if cur.count == 0 {
                cur.first_pos = now[0].pos;
            }
            cur.count += now.len() as u32;
            cur.last_pos = now[now.len() - 1].pos;
            rest = later;
        }
    }

    fn seal_and_roll(&self, inner: &mut Inner) -> Result<()> {
        let mut table = Vec::with_capacity(inner.slots.len() * 4);
        for s in &inner.slots {
            table.extend_from_slice(&s.to_le_bytes());
        }
        let cur = &mut inner.current;
        cur.file.write_at(&table, HEADER_LEN)?;
        let mut h = cur.header;
        h.sealed = true;
        cur.file.write_at(&h.encode(), 0)?;
        cur.file.sync_if_dirty()?;
        let next = create_file(&self.dir, cur.seq + 1, self.slots, self.capacity)?;
        let mut old = std::mem::replace(&mut inner.current, next);
        old.header = h;
        inner.sealed.insert(old.seq, old);
        inner.slots = vec![0; self.slots as usize];
        Ok(())
    }

    /// Candidates for `hash`, newest first, stopping below `min_pos` or after `max_scan` chain
    /// steps. Returns (log position, record size) pairs and whether the scan limit was hit.
    pub fn lookup(
        &self,
        hash: u64,
        min_pos: u64,
        max_scan: usize,
    ) -> Result<(Vec<(u64, u32)>, bool)> {
        // Snapshot under the lock, walk without it: entries below a file's count never change,
        // so queries never stall the commit thread's inserts.
        let (walks, sealed): (Vec<Walk>, Vec<(Arc<IndexFile>, Header)>) = {
            let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
            let h = inner.current.header;
            let head = inner.slots[(hash % h.slots as u64) as usize];
            let cur = vec![(Arc::clone(&inner.current.file), h, head)];
            let sealed = inner
                .sealed
                .values()
                .rev()
                .map(|s| (Arc::clone(&s.file), s.header))
                .collect();
            (cur, sealed)
        };
        let mut out = Vec::new();
        let mut steps = 0usize;
        let mut all = walks;
        for (file, h) in sealed {
            let mut b = [0u8; 4];
            let slot = hash % h.slots as u64;
            let n = file.read_at(&mut b, HEADER_LEN + slot * 4)?;
            let head = if n == 4 { u32::from_le_bytes(b) } else { 0 };
            all.push((file, h, head));
        }
        for (file, h, mut head) in all {
            if h.count > 0 && h.last_pos < min_pos {
                break;
            }
            let mut eb = [0u8; ENTRY_LEN as usize];
            while head != 0 && head <= h.count {
                if steps >= max_scan {
                    return Ok((out, true));
                }
                steps += 1;
                let idx = head - 1;
                let n = file.read_at(&mut eb, h.entries_offset() + idx as u64 * ENTRY_LEN)?;
                if n != ENTRY_LEN as usize {
                    break;
                }
                let e = decode_entry(&eb);
                if e.pos < min_pos {
                    return Ok((out, false));
                }
                if e.hash == hash {
                    out.push((e.pos, e.size));
                }
                // Chains only point backwards; anything else is damage, so stop walking.
                if e.prev >= head {
                    break;
                }
                head = e.prev;
            }
        }
        Ok((out, false))
    }

    pub fn sync(&self) -> Result<()> {
        let file = {
            let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
            Arc::clone(&inner.current.file)
        };
        file.sync_if_dirty()
    }

    /// Deletes sealed files whose entries all point below `min_pos` (retention).
    pub fn drop_below(&self, min_pos: u64) -> Result<()> {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let doomed: Vec<u64> = inner
            .sealed
            .values()
            .filter(|s| s.header.last_pos < min_pos)
            .map(|s| s.seq)
            .collect();
        for seq in doomed {
            if let Some(s) = inner.sealed.remove(&seq) {
                fs::remove_file(&s.file.path).map_err(|e| StoreError::io(&s.file.path, e))?;
            }
        }
        Ok(())
    }

    pub fn disk_bytes(&self) -> u64 {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        std::iter::once(&inner.current)
            .chain(inner.sealed.values())
            .map(|s| s.header.entries_offset() + s.header.count as u64 * ENTRY_LEN)
            .sum()
    }
}

/// Recomputes bucket heads (and first/last positions) from the first `count` entries.
fn rebuild_heads(f: &FileState, count: u32) -> Result<(Vec<u32>, u64, u64)> {
    let h = f.header;
    let mut heads = vec![0u32; h.slots as usize];
    let (mut first, mut last) = (0u64, 0u64);
    let mut buf = Vec::new();
    let mut idx = 0u64;
    while idx < count as u64 {
        let n = (count as u64 - idx).min(REBUILD_CHUNK);
        buf.resize((n * ENTRY_LEN) as usize, 0);
        let got = f
            .file
            .read_at(&mut buf, h.entries_offset() + idx * ENTRY_LEN)?;
        if got < buf.len() {
            return Err(StoreError::IndexInconsistent {
                topic: String::new(),
                queue_id: 0,
                reason: format!(
                    "key index {} is shorter than its checkpoint",
                    f.file.path.display()
                ),
            });
        }
        for (i, chunk) in buf.chunks_exact(ENTRY_LEN as usize).enumerate() {
            let e = decode_entry(chunk);
            let n = idx + i as u64;
            heads[(e.hash % h.slots as u64) as usize] = n as u32 + 1;
            if n == 0 {
                first = e.pos;
            }
            last = e.pos;
        }
        idx += n;
    }
    Ok((heads, first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(hash: u64, pos: u64) -> KeyItem {
        KeyItem {
            hash,
            pos,
            size: 10,
            store_ms: pos as i64,
        }
    }

    #[test]
    fn lookups_find_every_insert_newest_first_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let idx = KeyIndex::open(dir.path().to_path_buf(), 8, 5, None).unwrap();
        let items: Vec<_> = (0..23).map(|i| item(i % 3, i * 100)).collect();
        idx.insert(&items[..7]).unwrap();
        idx.insert(&items[7..]).unwrap();
        let (found, limited) = idx.lookup(1, 0, 1000).unwrap();
        assert!(!limited);
        let want: Vec<_> = (0..23)
            .rev()
            .filter(|i| i % 3 == 1)
            .map(|i| (i * 100, 10))
            .collect();
        assert_eq!(found, want);
        let (found, _) = idx.lookup(1, 1000, 1000).unwrap();
        assert!(found.iter().all(|(p, _)| *p >= 1000));
        let (found, limited) = idx.lookup(1, 0, 2).unwrap();
        assert!(limited && found.len() <= 2);
    }

    #[test]
    fn reopen_at_checkpoint_discards_later_entries() {
        let dir = tempfile::tempdir().unwrap();
        let idx = KeyIndex::open(dir.path().to_path_buf(), 8, 5, None).unwrap();
        idx.insert(&(0..7).map(|i| item(7, i)).collect::<Vec<_>>())
            .unwrap();
        let cursor = idx.cursor();
        idx.insert(&(7..12).map(|i| item(7, i)).collect::<Vec<_>>())
            .unwrap();
        idx.sync().unwrap();
        drop(idx);
        let idx = KeyIndex::open(dir.path().to_path_buf(), 8, 5, Some(cursor)).unwrap();
        let (found, _) = idx.lookup(7, 0, 100).unwrap();
        assert_eq!(
            found.iter().map(|f| f.0).collect::<Vec<_>>(),
            vec![6, 5, 4, 3, 2, 1, 0]
        );
        idx.insert(&[item(7, 50)]).unwrap();
        assert_eq!(idx.lookup(7, 0, 100).unwrap().0[0].0, 50);
    }
}
