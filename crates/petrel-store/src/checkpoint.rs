//! The checkpoint file (where recovery starts) and the generation file (what makes stale bytes
//! beyond the log end recognisable).
//!
//! `checkpoint` (rewritten via `checkpoint.tmp` + fsync + rename): magic `PCK1`, clean flag,
//! index position (every index entry for records below it is fsynced), durable position (log
//! bytes below it are fsynced), last store timestamp, key-index cursor (file, entry count), the
//! generation of the last indexed record, and
//! the queue table (topic, queue id, next offset, min offset) as of the index position; CRC32C
//! over everything before it.
//!
//! `generation`: two 8-byte slots (u32 generation, u32 CRC) overwritten in place, alternately,
//! so a torn write of one slot leaves the other. Every open and every failed write bumps the
//! generation before new records are written; records carry it, and a record whose generation is
//! lower than its predecessor's is a leftover from before a truncation, not a continuation.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::segment::sync_dir;

const MAGIC: u32 = 0x314B_4350; // "PCK1"

/// One queue's row in the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueRow {
    pub topic: String,
    pub queue_id: u32,
    pub next_offset: u64,
    pub min_offset: u64,
}

/// Contents of the checkpoint file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub clean: bool,
    pub index_pos: u64,
    pub durable_pos: u64,
    pub last_store_ms: i64,
    pub key_seq: u64,
    pub key_count: u32,
    /// Generation of the last record below `index_pos` (baseline for the stale-record check).
    pub last_gen: u32,
    pub queues: Vec<QueueRow>,
}

impl Checkpoint {
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + self.queues.len() * 48);
        b.extend_from_slice(&MAGIC.to_le_bytes());
        b.push(self.clean as u8);
        b.extend_from_slice(&[0, 0, 0]);
        b.extend_from_slice(&self.index_pos.to_le_bytes());
        b.extend_from_slice(&self.durable_pos.to_le_bytes());
        b.extend_from_slice(&self.last_store_ms.to_le_bytes());
        b.extend_from_slice(&self.key_seq.to_le_bytes());
        b.extend_from_slice(&self.key_count.to_le_bytes());
        b.extend_from_slice(&self.last_gen.to_le_bytes());
        b.extend_from_slice(&(self.queues.len() as u32).to_le_bytes());
        for q in &self.queues {
            b.extend_from_slice(&(q.topic.len() as u32).to_le_bytes());
            b.extend_from_slice(q.topic.as_bytes());
            b.extend_from_slice(&q.queue_id.to_le_bytes());
            b.extend_from_slice(&q.next_offset.to_le_bytes());
            b.extend_from_slice(&q.min_offset.to_le_bytes());
        }
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Checkpoint> {
        let body_len = b.len().checked_sub(4)?;
        let (body, crc) = b.split_at(body_len);
        if crc32c::crc32c(body) != u32::from_le_bytes(crc.try_into().ok()?) {
            return None;
        }
        let mut r = Reader { b: body, off: 0 };
        if r.u32()? != MAGIC {
            return None;
        }
        let clean = r.take(4)?[0] == 1;
        let index_pos = r.u64()?;
        let durable_pos = r.u64()?;
        let last_store_ms = r.u64()? as i64;
        let key_seq = r.u64()?;
        let key_count = r.u32()?;
        let last_gen = r.u32()?;
        let n = r.u32()? as usize;
        let mut queues = Vec::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let tl = r.u32()? as usize;
            let topic = String::from_utf8(r.take(tl)?.to_vec()).ok()?;
            queues.push(QueueRow {
                topic,
                queue_id: r.u32()?,
                next_offset: r.u64()?,
                min_offset: r.u64()?,
            });
        }
        Some(Checkpoint {
            clean,
            index_pos,
            durable_pos,
            last_store_ms,
            key_seq,
            key_count,
            last_gen,
            queues,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    off: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.off..self.off.checked_add(n)?)?;
        self.off += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn path(dir: &Path) -> PathBuf {
    dir.join("checkpoint")
}

/// Loads the checkpoint. `Ok(None)` when there is none or it does not verify (recovery then
/// rebuilds every index from the log).
pub(crate) fn load(dir: &Path) -> Result<Option<Checkpoint>> {
    let p = path(dir);
    match fs::read(&p) {
        Ok(b) => {
            let ck = Checkpoint::decode(&b);
            if ck.is_none() {
                tracing::warn!(file = %p.display(), "checkpoint does not verify; rebuilding indexes from the log");
            }
            Ok(ck)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(&p, e)),
    }
}

/// Writes the checkpoint atomically and durably.
pub(crate) fn store(dir: &Path, ck: &Checkpoint) -> Result<()> {
    let tmp = dir.join("checkpoint.tmp");
    let bytes = ck.encode();
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| StoreError::io(&tmp, e))?;
    f.write_all_at(&bytes, 0)
        .and_then(|_| f.sync_all())
        .map_err(|e| StoreError::io(&tmp, e))?;
    let p = path(dir);
    fs::rename(&tmp, &p).map_err(|e| StoreError::io(&p, e))?;
    sync_dir(dir)
}

/// The generation file.
#[derive(Debug)]
pub(crate) struct GenFile {
    path: PathBuf,
    file: File,
}

impl GenFile {
    pub fn open(dir: &Path) -> Result<(GenFile, u32)> {
        let path = dir.join("generation");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        let mut b = [0u8; 16];
        let mut n = 0;
        while n < 16 {
            let r = file
                .read_at(&mut b[n..], n as u64)
                .map_err(|e| StoreError::io(&path, e))?;
            if r == 0 {
                break;
            }
            n += r;
        }
        let mut generation = 0u32;
        for slot in b.chunks_exact(8) {
            let g = u32::from_le_bytes([slot[0], slot[1], slot[2], slot[3]]);
            let c = u32::from_le_bytes([slot[4], slot[5], slot[6], slot[7]]);
            if c == crc32c::crc32c(&slot[..4]) && c != 0 {
                generation = generation.max(g);
            }
        }
        // Preallocate both slots so later in-place writes never need new blocks (they must work
        // on a full disk).
        if n < 16 {
            file.write_all_at(&b, 0)
                .and_then(|_| file.sync_all())
                .map_err(|e| StoreError::io(&path, e))?;
        }
        Ok((GenFile { path, file }, generation))
    }

    /// Durably records `generation` (overwrite in place, no allocation).
    pub fn store(&self, generation: u32) -> Result<()> {
        let mut slot = [0u8; 8];
        slot[..4].copy_from_slice(&generation.to_le_bytes());
        let crc = crc32c::crc32c(&slot[..4]);
        slot[4..].copy_from_slice(&crc.to_le_bytes());
        self.file
            .write_all_at(&slot, (generation % 2) as u64 * 8)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| StoreError::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_round_trips_and_rejects_damage() {
        let dir = tempfile::tempdir().unwrap();
        let ck = Checkpoint {
            clean: true,
            index_pos: 10,
            durable_pos: 20,
            last_store_ms: 30,
            key_seq: 2,
            key_count: 5,
            last_gen: 4,
            queues: vec![QueueRow {
                topic: "t".into(),
                queue_id: 1,
                next_offset: 9,
                min_offset: 3,
            }],
        };
        store(dir.path(), &ck).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(ck));
        let p = dir.path().join("checkpoint");
        let mut b = fs::read(&p).unwrap();
        b[10] ^= 1;
        fs::write(&p, b).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
    }

    #[test]
    fn generation_survives_reopen_and_a_torn_slot() {
        let dir = tempfile::tempdir().unwrap();
        let (g, generation) = GenFile::open(dir.path()).unwrap();
        assert_eq!(generation, 0);
        g.store(1).unwrap();
        g.store(2).unwrap();
        drop(g);
        let p = dir.path().join("generation");
        let mut b = fs::read(&p).unwrap();
        b[0] ^= 0xff; // damage slot 0 (generation 2)
        fs::write(&p, b).unwrap();
        let (_, generation) = GenFile::open(dir.path()).unwrap();
        assert_eq!(generation, 1);
    }
}
