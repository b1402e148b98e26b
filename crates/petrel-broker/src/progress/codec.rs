//! Binary format of consumer-progress records (bodies of messages in the internal topic; the
//! store frames and CRC-checks each one). All integers little-endian; strings are a `u16`
//! length and UTF-8 bytes.
//!
//! Every body starts with a format byte (`1`) and a kind byte; a reader refuses formats and
//! kinds it does not know rather than guess.
//!
//! * Change (kind `1`): group key, topic key, `u32` op count, then ops: `1` lease = queue `u32`,
//!   offset `u64`, token `u128`, attempt `u32`, deadline ms `i64`; `2` done = queue `u32`, start
//!   `u64`, end `u64`; `3` reopen = queue `u32`, offset `u64`; `4` reset = queue `u32`, offset
//!   `u64`.
//! * Snapshot chunk (kind `2`): replay-from offset `u64`, chunk index `u32`, chunk count `u32`,
//!   then a slice of the snapshot payload. Concatenated in index order the payload is: `u32`
//!   state count; per state group key, topic key, `u32` queue count; per queue: id `u32`,
//!   consume `u64`, frontier `u64`, `u32` range count and `(start u64, end u64)` pairs, `u32`
//!   in-flight count and `(offset u64, token u128, attempt u32, deadline ms i64)` tuples.

use std::sync::Arc;

use crate::progress::state::{GroupTopicState, InFlight, Op, QueueProgress};

const FORMAT: u8 = 1;
const KIND_CHANGE: u8 = 1;
const KIND_SNAPSHOT: u8 = 2;
const OP_LEASE: u8 = 1;
const OP_DONE: u8 = 2;
const OP_REOPEN: u8 = 3;
const OP_RESET: u8 = 4;

/// Size of the header of a snapshot chunk.
pub(crate) const CHUNK_HEADER: usize = 2 + 8 + 4 + 4;

/// (group key, topic key).
pub(crate) type StateKey = (Arc<str>, Arc<str>);

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        // Keys are validated names (at most a few hundred bytes).
        let b = s.as_bytes();
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(&b[..len as usize]);
    }
    fn count(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.b.len() < n {
            return Err(format!(
                "truncated: needed {n} more bytes, {} left",
                self.b.len()
            ));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.arr::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    fn u128(&mut self) -> Result<u128, String> {
        Ok(u128::from_le_bytes(self.arr()?))
    }
    fn str(&mut self) -> Result<Arc<str>, String> {
        let len = u16::from_le_bytes(self.arr()?) as usize;
        let b = self.take(len)?;
        std::str::from_utf8(b)
            .map(Arc::from)
            .map_err(|_| "key is not utf-8".to_string())
    }
    fn header(&mut self, kind: u8) -> Result<(), String> {
        let (f, k) = (self.u8()?, self.u8()?);
        if f != FORMAT {
            return Err(format!("unknown format {f} (written by a newer petrel?)"));
        }
        if k != kind {
            return Err(format!("record kind {k} where {kind} was expected"));
        }
        Ok(())
    }
}

/// Encodes the ops of one (group, topic) as a change record.
pub(crate) fn encode_change(group: &str, topic: &str, ops: &[Op]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64 + ops.len() * 41));
    w.u8(FORMAT);
    w.u8(KIND_CHANGE);
    w.str(group);
    w.str(topic);
    w.count(ops.len());
    for op in ops {
        match *op {
            Op::Lease {
                queue,
                offset,
                token,
                attempt,
                deadline_ms,
            } => {
                w.u8(OP_LEASE);
                w.u32(queue);
                w.u64(offset);
                w.u128(token);
                w.u32(attempt);
                w.i64(deadline_ms);
            }
            Op::Done { queue, start, end } => {
                w.u8(OP_DONE);
                w.u32(queue);
                w.u64(start);
                w.u64(end);
            }
            Op::Reopen { queue, offset } => {
                w.u8(OP_REOPEN);
                w.u32(queue);
                w.u64(offset);
            }
            Op::Reset { queue, offset } => {
                w.u8(OP_RESET);
                w.u32(queue);
                w.u64(offset);
            }
        }
    }
    w.0
}

/// Decodes a change record.
pub(crate) fn decode_change(body: &[u8]) -> Result<(StateKey, Vec<Op>), String> {
    let mut r = Reader { b: body };
    r.header(KIND_CHANGE)?;
    let key = (r.str()?, r.str()?);
    let n = r.u32()? as usize;
    let mut ops = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let op = match r.u8()? {
            OP_LEASE => Op::Lease {
                queue: r.u32()?,
                offset: r.u64()?,
                token: r.u128()?,
                attempt: r.u32()?,
                deadline_ms: r.i64()?,
            },
            OP_DONE => Op::Done {
                queue: r.u32()?,
                start: r.u64()?,
                end: r.u64()?,
            },
            OP_REOPEN => Op::Reopen {
                queue: r.u32()?,
                offset: r.u64()?,
            },
            OP_RESET => Op::Reset {
                queue: r.u32()?,
                offset: r.u64()?,
            },
            other => return Err(format!("unknown op {other}")),
        };
        ops.push(op);
    }
    if !r.b.is_empty() {
        return Err(format!("{} trailing bytes", r.b.len()));
    }
    Ok((key, ops))
}

/// Encodes the snapshot payload of every state.
pub(crate) fn encode_snapshot(states: &[(StateKey, GroupTopicState)]) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.count(states.len());
    for ((group, topic), s) in states {
        w.str(group);
        w.str(topic);
        w.count(s.queues.len());
        for (&id, q) in &s.queues {
            w.u32(id);
            w.u64(q.consume);
            w.u64(q.frontier);
            w.count(q.done.len());
            for (start, end) in q.done.iter() {
                w.u64(start);
                w.u64(end);
            }
            w.count(q.inflight.len());
            for (&offset, f) in &q.inflight {
                w.u64(offset);
                w.u128(f.token);
                w.u32(f.attempt);
                w.i64(f.deadline_ms);
            }
        }
    }
    w.0
}

/// Decodes a snapshot payload.
pub(crate) fn decode_snapshot(payload: &[u8]) -> Result<Vec<(StateKey, GroupTopicState)>, String> {
    let mut r = Reader { b: payload };
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let key = (r.str()?, r.str()?);
        let mut s = GroupTopicState::default();
        let nq = r.u32()?;
        for _ in 0..nq {
            let id = r.u32()?;
            let mut q = QueueProgress::starting_at(r.u64()?);
            q.frontier = r.u64()?;
            for _ in 0..r.u32()? {
                let (start, end) = (r.u64()?, r.u64()?);
                q.done.insert(start, end);
            }
            for _ in 0..r.u32()? {
                let offset = r.u64()?;
                let f = InFlight {
                    token: r.u128()?,
                    attempt: r.u32()?,
                    deadline_ms: r.i64()?,
                };
                q.inflight.insert(offset, f);
            }
            if q.frontier < q.consume {
                return Err(format!("queue {id}: frontier below consume offset"));
            }
            s.queues.insert(id, q);
        }
        s.reindex();
        out.push((key, s));
    }
    if !r.b.is_empty() {
        return Err(format!("{} trailing bytes", r.b.len()));
    }
    Ok(out)
}

/// Header of a snapshot chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkHeader {
    pub replay_from: u64,
    pub index: u32,
    pub count: u32,
}

/// Splits a snapshot payload into chunk bodies of at most `chunk` payload bytes each.
pub(crate) fn encode_chunks(payload: &[u8], replay_from: u64, chunk: usize) -> Vec<Vec<u8>> {
    let parts: Vec<&[u8]> = if payload.is_empty() {
        vec![&[][..]]
    } else {
        payload.chunks(chunk.max(1)).collect()
    };
    let count = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut w = Writer(Vec::with_capacity(CHUNK_HEADER + part.len()));
            w.u8(FORMAT);
            w.u8(KIND_SNAPSHOT);
            w.u64(replay_from);
            w.count(i);
            w.u32(count);
            w.0.extend_from_slice(part);
            w.0
        })
        .collect()
}

/// Reads a chunk's header; returns it and the payload slice.
pub(crate) fn decode_chunk(body: &[u8]) -> Result<(ChunkHeader, &[u8]), String> {
    let mut r = Reader { b: body };
    r.header(KIND_SNAPSHOT)?;
    let h = ChunkHeader {
        replay_from: r.u64()?,
        index: r.u32()?,
        count: r.u32()?,
    };
    if h.count == 0 || h.index >= h.count {
        return Err(format!("chunk {} of {}", h.index, h.count));
    }
    Ok((h, r.b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_records_round_trip() {
        let ops = vec![
            Op::Lease {
                queue: 3,
                offset: 9,
                token: u128::MAX - 1,
                attempt: 2,
                deadline_ms: -5,
            },
            Op::Done {
                queue: 1,
                start: 4,
                end: 8,
            },
            Op::Reopen {
                queue: 2,
                offset: 11,
            },
            Op::Reset {
                queue: 4,
                offset: 12,
            },
        ];
        let body = encode_change("a/i/g", "a/i/t", &ops);
        let ((g, t), back) = decode_change(&body).unwrap();
        assert_eq!((&*g, &*t), ("a/i/g", "a/i/t"));
        assert_eq!(back, ops);
        assert!(decode_change(&body[..body.len() - 1]).is_err());
        let mut future = body.clone();
        future[0] = 9;
        assert!(decode_change(&future).unwrap_err().contains("format"));
    }

    #[test]
    fn snapshots_round_trip_through_chunks() {
        let mut s = GroupTopicState::default();
        s.queue_at(0, 5, 100);
        for o in 5..40 {
            s.apply(&Op::Lease {
                queue: 0,
                offset: o,
                token: o as u128 + 1,
                attempt: 1,
                deadline_ms: 1000 + o as i64,
            });
        }
        s.apply(&Op::Done {
            queue: 0,
            start: 7,
            end: 9,
        });
        s.apply(&Op::Done {
            queue: 2,
            start: 0,
            end: 3,
        });
        let key: StateKey = ("a/i/g".into(), "a/i/t".into());
        let payload = encode_snapshot(&[(key.clone(), s.clone())]);
        let chunks = encode_chunks(&payload, 77, 50);
        assert!(chunks.len() > 3);
        let mut joined = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let (h, part) = decode_chunk(c).unwrap();
            assert_eq!(h.index as usize, i);
            assert_eq!(h.count as usize, chunks.len());
            assert_eq!(h.replay_from, 77);
            joined.extend_from_slice(part);
        }
        let back = decode_snapshot(&joined).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].0, key);
        let mut expected = s;
        expected.next_queue = 0;
        assert_eq!(back[0].1.queues, expected.queues);
        assert_eq!(back[0].1.next_expiry(), Some(1005));
        let empty = encode_chunks(&encode_snapshot(&[]), 0, 50);
        assert_eq!(empty.len(), 1);
    }
}
