//! Crash recovery: starting at the last checkpoint, verify records forward (framing, position,
//! generation, CRC), re-apply their index entries, and decide what the first bad spot means.
//!
//! * Zeros where the next record should be: the normal end of the log.
//! * A bad record (bad CRC, bad framing, a stale record of an older generation) at a position
//!   below the highest *proven-durable* position is corruption: [`StoreError::Corrupt`] naming
//!   the segment file and offset. Durability is proven by the checkpoint (a clean shutdown proves
//!   everything up to the log end) and by the `durable-up-to` field later records carry (each
//!   record names the log position that was fsynced when it was written). So "a bad record
//!   followed by valid records written after it was acknowledged" is always caught.
//! * A bad record beyond that position is a torn tail (a write cut short by the crash); the log
//!   is cut there and [`crate::TornTail`] is reported. Such bytes are never served, and because
//!   every open bumps the generation, leftovers behind the cut can never pass for new records.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::checkpoint::Checkpoint;
use crate::commit::{IndexOp, write_indexes};
use crate::config::VerifyOnOpen;
use crate::error::{Result, StoreError};
use crate::hash;
use crate::index::keys::KeyIndex;
use crate::index::queue::{QueueEntry, QueueRegistry};
use crate::message::TornTail;
use crate::record::{self, KIND_END_V1, PREFIX_LEN};
use crate::segment::Segment;

const READ_CHUNK: usize = 8 << 20;
const REPLAY_BATCH: usize = 4096;

pub(crate) struct Input<'a> {
    pub segments: &'a BTreeMap<u64, Arc<Segment>>,
    pub registry: &'a QueueRegistry,
    pub keys: &'a KeyIndex,
    pub ckpt: Option<&'a Checkpoint>,
    pub verify: VerifyOnOpen,
}

#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub end_pos: u64,
    pub last_gen: u32,
    pub last_store_ms: i64,
    pub replayed_from: u64,
    pub records_replayed: u64,
    pub bytes_verified: u64,
    pub torn_tail: Option<TornTail>,
    /// Segments after a torn tail that hold leftovers of the cut-off write (to be recreated).
    pub discard_segments: Vec<u64>,
}

/// Sequential reader over one segment with a large buffer (recovery reads whole segments).
struct SegReader<'a> {
    seg: &'a Segment,
    buf: Vec<u8>,
    /// Log position of `buf[0]`.
    start: u64,
}

impl<'a> SegReader<'a> {
    fn new(seg: &'a Segment) -> Self {
        SegReader {
            seg,
            buf: Vec::new(),
            start: seg.base,
        }
    }

    /// `n` bytes at `pos` (which must lie in the segment; `pos + n` is clamped by the caller).
    fn get(&mut self, pos: u64, n: usize) -> Result<&[u8]> {
        let have = pos >= self.start && pos + n as u64 <= self.start + self.buf.len() as u64;
        if !have {
            let len = (self.seg.end() - pos).min(READ_CHUNK.max(n) as u64) as usize;
            self.buf.resize(len, 0);
            self.seg.read_exact_at(&mut self.buf, pos)?;
            self.start = pos;
        }
        let off = (pos - self.start) as usize;
        Ok(&self.buf[off..off + n])
    }
}

enum Step {
    Message { len: u32 },
    End,
    Bad { reason: String, zeros: bool },
}

pub(crate) fn recover(input: &Input<'_>) -> Result<Outcome> {
    let segs = input.segments;
    let (Some(first), Some(last)) = (segs.values().next(), segs.values().next_back()) else {
        let end = input.ckpt.map_or(0, |c| c.index_pos);
        return Ok(Outcome {
            end_pos: end,
            last_gen: input.ckpt.map_or(0, |c| c.last_gen),
            replayed_from: end,
            ..Outcome::default()
        });
    };
    let replay_from = input
        .ckpt
        .map_or(first.base, |c| c.index_pos)
        .max(first.base);
    if replay_from > last.end() {
        return Err(StoreError::LogGap {
            dir: last
                .path
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_default(),
            reason: format!(
                "checkpoint position {replay_from} is beyond the log end {}",
                last.end()
            ),
        });
    }
    let full = input.verify == VerifyOnOpen::Full || input.ckpt.is_none();
    let scan_from = if full { first.base } else { replay_from };
    let mut durable = input.ckpt.map_or(0, |c| {
        if c.clean {
            c.durable_pos.max(c.index_pos)
        } else {
            c.durable_pos
        }
    });
    let mut out = Outcome {
        replayed_from: replay_from,
        last_gen: if scan_from == replay_from {
            input.ckpt.map_or(0, |c| c.last_gen)
        } else {
            0
        },
        ..Outcome::default()
    };
    // Clean shutdown and nothing to verify: the log ends exactly at the checkpoint.
    if input.ckpt.is_some_and(|c| c.clean) && !full {
        out.end_pos = replay_from;
        return Ok(out);
    }

    // A full verification after a clean shutdown stops at the known log end.
    let stop_at = input.ckpt.filter(|c| c.clean).map(|_| replay_from);
    let mut next_offsets: HashMap<(Arc<str>, u32), u64> = HashMap::new();
    let mut ops: Vec<IndexOp> = Vec::new();
    let mut pos = scan_from;
    let mut seg_iter = segs.range(..=pos).next_back().map(|(b, _)| *b);
    'segments: while let Some(base) = seg_iter {
        let Some(seg) = segs.get(&base) else { break };
        if !seg.contains(pos) {
            // `pos` sits exactly at the end of the last segment.
            break;
        }
        let mut reader = SegReader::new(seg);
        loop {
            if stop_at == Some(pos) {
                break 'segments;
            }
            let step = classify(&mut reader, seg, pos, out.last_gen)?;
            match step {
                Step::End => {
                    out.bytes_verified += (seg.end() - pos).min(record::END_MARKER_LEN as u64);
                    pos = seg.end();
                    seg_iter = segs.contains_key(&pos).then_some(pos);
                    if seg_iter.is_none() {
                        break 'segments;
                    }
                    continue 'segments;
                }
                Step::Bad { reason, zeros } => {
                    if pos < durable {
                        return Err(StoreError::Corrupt {
                            segment: seg.path.clone(),
                            offset: pos - seg.base,
                            reason: format!(
                                "{reason} (log position {pos}, below the proven-durable position {durable})"
                            ),
                        });
                    }
                    if !zeros {
                        // Look past the bad record: a valid record written after this one was
                        // fsynced proves it was durable, so it is corruption, not a torn write.
                        let after = examine_after(seg, pos, out.last_gen)?;
                        let next = segs.get(&seg.end());
                        let next_proof = match next {
                            Some(n) => first_record_proof(n, out.last_gen)?,
                            None => None,
                        };
                        let proof = after.proof.max(next_proof);
                        if let Some((at, upto)) = proof.filter(|p| p.1 > pos) {
                            return Err(StoreError::Corrupt {
                                segment: seg.path.clone(),
                                offset: pos - seg.base,
                                reason: format!(
                                    "{reason} (log position {pos}); the valid record at log position {at} was written after log position {upto} was fsynced"
                                ),
                            });
                        }
                        // Torn: zero what the cut-off write left so it never reappears.
                        for (start, len) in after.nonzero {
                            let from = start.max(pos);
                            let zeros = vec![0u8; (start + len - from) as usize];
                            seg.write_all_at(&zeros, from - seg.base)?;
                        }
                        seg.sync_data()?;
                        if let Some(n) = next
                            && next_nonzero(n)?
                        {
                            out.discard_segments.push(n.base);
                        }
                        out.torn_tail = Some(TornTail {
                            segment: seg.path.clone(),
                            offset: pos - seg.base,
                            reason,
                        });
                    }
                    break 'segments;
                }
                Step::Message { len } => {
                    let rec = reader.get(pos, len as usize)?;
                    let view =
                        record::parse_message(rec).map_err(|reason| StoreError::Corrupt {
                            segment: seg.path.clone(),
                            offset: pos - seg.base,
                            reason,
                        })?;
                    durable = durable.max(view.durable_upto.min(pos));
                    out.last_gen = view.generation;
                    out.last_store_ms = out.last_store_ms.max(view.store_ms);
                    out.bytes_verified += len as u64;
                    if pos >= replay_from {
                        let topic: Arc<str> = Arc::from(view.topic);
                        let key = (Arc::clone(&topic), view.queue_id);
                        let expected = match next_offsets.get(&key) {
                            Some(&n) => Some(n),
                            None => input
                                .registry
                                .get(view.topic, view.queue_id)
                                .map(|q| q.bounds().1),
                        };
                        match expected {
                            Some(n) if n != view.queue_offset => {
                                return Err(StoreError::IndexInconsistent {
                                    topic: view.topic.to_string(),
                                    queue_id: view.queue_id,
                                    reason: format!(
                                        "record at log position {pos} has queue offset {}, expected {n}",
                                        view.queue_offset
                                    ),
                                });
                            }
                            Some(_) => {}
                            None => {
                                let q = input.registry.get_or_create(&topic, view.queue_id)?;
                                q.set_min(view.queue_offset);
                                q.set_max(view.queue_offset);
                            }
                        }
                        next_offsets.insert(key, view.queue_offset + 1);
                        ops.push(IndexOp {
                            topic: Arc::clone(&topic),
                            queue_id: view.queue_id,
                            queue_offset: view.queue_offset,
                            entry: QueueEntry {
                                pos,
                                size: len,
                                tag_hash: view.tag_hash,
                                store_ms: view.store_ms,
                            },
                            id_hash: hash::id_hash(view.msg_id),
                            key_hashes: view.keys().map(|k| hash::key_hash(&topic, k)).collect(),
                        });
                        out.records_replayed += 1;
                        if ops.len() >= REPLAY_BATCH {
                            flush(input, &mut ops)?;
                        }
                    }
                    pos += len as u64;
                }
            }
        }
    }
    flush(input, &mut ops)?;
    out.end_pos = pos.max(replay_from);
    Ok(out)
}

fn flush(input: &Input<'_>, ops: &mut Vec<IndexOp>) -> Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    for (q, max) in write_indexes(input.registry, input.keys, ops)? {
        q.set_max(max);
    }
    ops.clear();
    Ok(())
}

/// Looks at the bytes at `pos` and says whether they are a verified record.
fn classify(reader: &mut SegReader<'_>, seg: &Segment, pos: u64, last_gen: u32) -> Result<Step> {
    let bad = |reason: String| {
        Ok(Step::Bad {
            reason,
            zeros: false,
        })
    };
    if pos + PREFIX_LEN as u64 > seg.end() {
        return bad("no room for a record before the segment end".into());
    }
    let prefix = match record::parse_prefix(reader.get(pos, PREFIX_LEN)?) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Ok(Step::Bad {
                reason: "unwritten space".into(),
                zeros: true,
            });
        }
        Err(reason) => return bad(reason),
    };
    if prefix.pos != pos {
        return bad(format!("record claims log position {}", prefix.pos));
    }
    if prefix.generation < last_gen {
        return bad(format!(
            "stale record of generation {} after generation {last_gen}",
            prefix.generation
        ));
    }
    if pos + prefix.len as u64 > seg.end() {
        return bad(format!(
            "record length {} runs past the segment end",
            prefix.len
        ));
    }
    if let Err(reason) = record::verify_crc(reader.get(pos, prefix.len as usize)?) {
        return bad(reason);
    }
    if prefix.kind == KIND_END_V1 {
        return Ok(Step::End);
    }
    Ok(Step::Message { len: prefix.len })
}

#[derive(Debug, Default)]
struct After {
    /// (position, durable-up-to) of the valid record after the bad spot with the highest claim.
    proof: Option<(u64, u64)>,
    /// Non-zero byte ranges (log positions) from the bad spot to the segment end.
    nonzero: Vec<(u64, u64)>,
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// A verified record at `c` (with a generation no older than `last_gen`): (length,
/// durable-up-to; 0 for an end marker).
fn record_at(
    seg: &Segment,
    chunk: &[u8],
    chunk_pos: u64,
    c: u64,
    last_gen: u32,
) -> Result<Option<(u32, u64)>> {
    let end = chunk_pos + chunk.len() as u64;
    let bytes_at = |at: u64, n: usize| -> Result<std::borrow::Cow<'_, [u8]>> {
        if at >= chunk_pos && at + n as u64 <= end {
            let o = (at - chunk_pos) as usize;
            Ok(std::borrow::Cow::Borrowed(&chunk[o..o + n]))
        } else {
            let mut b = vec![0u8; n];
            seg.read_exact_at(&mut b, at)?;
            Ok(std::borrow::Cow::Owned(b))
        }
    };
    if c + PREFIX_LEN as u64 > seg.end() {
        return Ok(None);
    }
    let prefix_bytes = bytes_at(c, PREFIX_LEN)?;
    // Cheap filter first: a record names its own log position.
    if u64_at(&prefix_bytes, 16) != c {
        return Ok(None);
    }
    let Ok(Some(p)) = record::parse_prefix(&prefix_bytes) else {
        return Ok(None);
    };
    if p.generation < last_gen || c + p.len as u64 > seg.end() {
        return Ok(None);
    }
    let rec = bytes_at(c, p.len as usize)?;
    if record::verify_crc(&rec).is_err() {
        return Ok(None);
    }
    let upto = if p.kind == KIND_END_V1 {
        0
    } else {
        u64_at(&rec, 24)
    };
    Ok(Some((p.len, upto)))
}

/// Scans the rest of the segment after a bad record at `bad` for valid records (resynchronising
/// byte by byte inside non-zero regions) and notes where non-zero bytes are.
fn examine_after(seg: &Segment, bad: u64, last_gen: u32) -> Result<After> {
    let mut after = After::default();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut c = bad + 1;
    let mut off = bad;
    while off < seg.end() {
        let n = (seg.end() - off).min(READ_CHUNK as u64) as usize;
        seg.read_exact_at(&mut chunk[..n], off)?;
        let data = &chunk[..n];
        if data.iter().all(|&b| b == 0) {
            c = c.max(off + n as u64);
            off += n as u64;
            continue;
        }
        after.nonzero.push((off, n as u64));
        while c < off + n as u64 {
            match record_at(seg, data, off, c, last_gen)? {
                Some((len, upto)) => {
                    if after.proof.is_none_or(|p| upto > p.1) {
                        after.proof = Some((c, upto));
                    }
                    c += len as u64;
                }
                None => c += 1,
            }
        }
        off += n as u64;
    }
    Ok(after)
}

/// Durability proof carried by the first record of the following segment, if it is valid.
fn first_record_proof(seg: &Segment, last_gen: u32) -> Result<Option<(u64, u64)>> {
    let n = (seg.size as usize).min(64 << 10);
    let mut b = vec![0u8; n];
    seg.read_exact_at(&mut b, seg.base)?;
    Ok(record_at(seg, &b, seg.base, seg.base, last_gen)?.map(|(_, upto)| (seg.base, upto)))
}

fn next_nonzero(seg: &Segment) -> Result<bool> {
    let n = (seg.size as usize).min(64 << 10);
    let mut b = vec![0u8; n];
    seg.read_exact_at(&mut b, seg.base)?;
    Ok(b.iter().any(|&x| x != 0))
}
