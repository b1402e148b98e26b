//! Commit-log record framing: encoding, CRC32C, and parsing back into views and messages.
//!
//! Every record starts with a 24-byte prefix (all integers little-endian):
//!
//! | off | size | field |
//! |----:|----:|---|
//! | 0 | 4 | total length of the record, prefix included |
//! | 4 | 4 | CRC32C of bytes `8..total` |
//! | 8 | 1 | kind + format version: `0xC1` message v1, `0xE1` end-of-segment marker v1 |
//! | 9 | 1 | flags (0) |
//! | 10 | 2 | reserved (0) |
//! | 12 | 4 | generation (bumped at every open and after every failed write; see recovery) |
//! | 16 | 8 | log position of this record (detects misplaced or stale copies) |
//!
//! A message (kind `0xC1`) continues with a fixed part and then variable fields:
//!
//! | off | size | field |
//! |----:|----:|---|
//! | 24 | 8 | durable-up-to: log position known fsynced when this record was written |
//! | 32 | 8 | queue offset |
//! | 40 | 8 | born timestamp (ms) |
//! | 48 | 8 | store timestamp (ms) |
//! | 56 | 4 | queue id |
//! | 60 | 4 | tag hash ([`crate::tag_hash`], 0 without a tag) |
//! | 64 | 2 | topic length |
//! | 66 | 2 | message id length |
//! | 68 | 2 | tag length, `0xFFFF` = no tag |
//! | 70 | 2 | key count |
//! | 72 | 2 | property count |
//! | 74 | 2 | reserved (0) |
//! | 76 | 4 | body length |
//! | 80 | … | topic, message id, tag, keys (u16 length + bytes each), properties (u16 key length, u32 value length, key, value each), body |
//!
//! The body comes last so a reader can hand it out as a slice of the read buffer. A new field
//! means a new kind byte (`0xC2`, …); readers reject kinds they do not know rather than guess.

use bytes::Bytes;

use crate::message::{NewMessage, StoredMessage};

pub(crate) const PREFIX_LEN: usize = 24;
pub(crate) const END_MARKER_LEN: usize = PREFIX_LEN;
pub(crate) const MESSAGE_HEADER_LEN: usize = 80;
pub(crate) const KIND_MESSAGE_V1: u8 = 0xC1;
pub(crate) const KIND_END_V1: u8 = 0xE1;
const NO_TAG: u16 = 0xFFFF;

/// The fixed fields the store assigns to a message when it is appended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageHeader {
    pub generation: u32,
    pub pos: u64,
    pub durable_upto: u64,
    pub queue_offset: u64,
    pub born_ms: i64,
    pub store_ms: i64,
    pub queue_id: u32,
    pub tag_hash: u32,
}

/// Checks field limits and returns the encoded length of `msg`.
pub(crate) fn encoded_len(msg: &NewMessage, max_bytes: usize) -> Result<usize, String> {
    fn short(what: &str, len: usize) -> Result<usize, String> {
        if len >= NO_TAG as usize {
            return Err(format!("{what} is {len} bytes, the limit is 65534"));
        }
        Ok(len)
    }
    if msg.topic.is_empty() {
        return Err("topic is empty".into());
    }
    let mut len = MESSAGE_HEADER_LEN;
    len += short("topic", msg.topic.len())?;
    len += short("message id", msg.msg_id.len())?;
    if let Some(tag) = &msg.tag {
        len += short("tag", tag.len())?;
    }
    short("key count", msg.keys.len())?;
    for key in &msg.keys {
        len += 2 + short("key", key.len())?;
    }
    short("property count", msg.properties.len())?;
    for (k, v) in &msg.properties {
        len += 6 + short("property name", k.len())? + v.len();
    }
    len += msg.body.len();
    if len > max_bytes {
        return Err(format!(
            "message of {len} encoded bytes exceeds the limit of {max_bytes}"
        ));
    }
    Ok(len)
}

fn put_u16(buf: &mut Vec<u8>, v: usize) {
    buf.extend_from_slice(&(v as u16).to_le_bytes());
}

fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_prefix(buf: &mut Vec<u8>, len: usize, kind: u8, generation: u32, pos: u64) {
    put_u32(buf, len as u32);
    put_u32(buf, 0); // CRC, patched once the record is complete
    buf.push(kind);
    buf.push(0);
    buf.extend_from_slice(&[0, 0]);
    put_u32(buf, generation);
    put_u64(buf, pos);
}

fn seal(buf: &mut [u8], start: usize) {
    let crc = crc32c::crc32c(&buf[start + 8..]);
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Appends the encoding of `msg` (already measured as `len` bytes) to `buf`.
pub(crate) fn encode_message(buf: &mut Vec<u8>, h: &MessageHeader, msg: &NewMessage, len: usize) {
    let start = buf.len();
    buf.reserve(len);
    put_prefix(buf, len, KIND_MESSAGE_V1, h.generation, h.pos);
    put_u64(buf, h.durable_upto);
    put_u64(buf, h.queue_offset);
    put_u64(buf, h.born_ms as u64);
    put_u64(buf, h.store_ms as u64);
    put_u32(buf, h.queue_id);
    put_u32(buf, h.tag_hash);
    put_u16(buf, msg.topic.len());
    put_u16(buf, msg.msg_id.len());
    put_u16(buf, msg.tag.as_ref().map_or(NO_TAG as usize, |t| t.len()));
    put_u16(buf, msg.keys.len());
    put_u16(buf, msg.properties.len());
    put_u16(buf, 0);
    put_u32(buf, msg.body.len() as u32);
    buf.extend_from_slice(msg.topic.as_bytes());
    buf.extend_from_slice(msg.msg_id.as_bytes());
    if let Some(tag) = &msg.tag {
        buf.extend_from_slice(tag.as_bytes());
    }
    for key in &msg.keys {
        put_u16(buf, key.len());
        buf.extend_from_slice(key.as_bytes());
    }
    for (k, v) in &msg.properties {
        put_u16(buf, k.len());
        put_u32(buf, v.len() as u32);
        buf.extend_from_slice(k.as_bytes());
        buf.extend_from_slice(v.as_bytes());
    }
    buf.extend_from_slice(&msg.body);
    debug_assert_eq!(buf.len() - start, len);
    seal(buf, start);
}

/// Appends an end-of-segment marker: the rest of the segment after it is unused.
pub(crate) fn encode_end(buf: &mut Vec<u8>, generation: u32, pos: u64) {
    let start = buf.len();
    put_prefix(buf, END_MARKER_LEN, KIND_END_V1, generation, pos);
    seal(buf, start);
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[off..off + 2]);
    u16::from_le_bytes(a)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// What the first bytes at a log position say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix {
    pub len: u32,
    pub kind: u8,
    pub generation: u32,
    pub pos: u64,
}

/// Parses a prefix (needs [`PREFIX_LEN`] bytes). `Ok(None)` means all zeros: never written.
pub(crate) fn parse_prefix(b: &[u8]) -> Result<Option<Prefix>, String> {
    if b.len() < PREFIX_LEN {
        return Err("truncated record prefix".into());
    }
    let b = &b[..PREFIX_LEN];
    if b.iter().all(|&x| x == 0) {
        return Ok(None);
    }
    let p = Prefix {
        len: u32_at(b, 0),
        kind: b[8],
        generation: u32_at(b, 12),
        pos: u64_at(b, 16),
    };
    let min = match p.kind {
        KIND_MESSAGE_V1 => MESSAGE_HEADER_LEN,
        KIND_END_V1 => END_MARKER_LEN,
        k => return Err(format!("unknown record kind 0x{k:02x}")),
    };
    if (p.len as usize) < min {
        return Err(format!("record length {} too small", p.len));
    }
    if p.kind == KIND_END_V1 && p.len as usize != END_MARKER_LEN {
        return Err(format!("end marker length {} invalid", p.len));
    }
    Ok(Some(p))
}

/// Verifies the CRC of a complete record.
pub(crate) fn verify_crc(rec: &[u8]) -> Result<(), String> {
    if rec.len() < PREFIX_LEN {
        return Err("truncated record".into());
    }
    let stored = u32_at(rec, 4);
    let actual = crc32c::crc32c(&rec[8..]);
    if stored != actual {
        return Err(format!(
            "crc mismatch (stored {stored:08x}, computed {actual:08x})"
        ));
    }
    Ok(())
}

/// A parsed message record borrowing the bytes it came from.
#[derive(Debug, Clone)]
pub(crate) struct MessageView<'a> {
    pub generation: u32,
    pub pos: u64,
    pub len: u32,
    pub durable_upto: u64,
    pub queue_offset: u64,
    pub born_ms: i64,
    pub store_ms: i64,
    pub queue_id: u32,
    pub tag_hash: u32,
    pub topic: &'a str,
    pub msg_id: &'a str,
    pub tag: Option<&'a str>,
    keys: &'a [u8],
    key_count: u16,
    props: &'a [u8],
    prop_count: u16,
    body_start: usize,
}

struct Cursor<'a> {
    b: &'a [u8],
    off: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .off
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| "field runs past the record end".to_string())?;
        let s = &self.b[self.off..end];
        self.off = end;
        Ok(s)
    }

    fn str(&mut self, n: usize) -> Result<&'a str, String> {
        std::str::from_utf8(self.take(n)?).map_err(|_| "field is not utf-8".to_string())
    }

    fn u16(&mut self) -> Result<usize, String> {
        Ok(u16_at(self.take(2)?, 0) as usize)
    }

    fn u32(&mut self) -> Result<usize, String> {
        Ok(u32_at(self.take(4)?, 0) as usize)
    }
}

/// Parses a complete message record whose CRC has been verified (`rec` is exactly the record).
pub(crate) fn parse_message(rec: &[u8]) -> Result<MessageView<'_>, String> {
    let prefix = parse_prefix(rec)?.ok_or_else(|| "record is all zeros".to_string())?;
    if prefix.kind != KIND_MESSAGE_V1 {
        return Err(format!(
            "record kind 0x{:02x} is not a message",
            prefix.kind
        ));
    }
    if prefix.len as usize != rec.len() {
        return Err("record length disagrees with its frame".into());
    }
    let topic_len = u16_at(rec, 64) as usize;
    let id_len = u16_at(rec, 66) as usize;
    let tag_len = u16_at(rec, 68);
    let key_count = u16_at(rec, 70);
    let prop_count = u16_at(rec, 72);
    let body_len = u32_at(rec, 76) as usize;
    let mut c = Cursor {
        b: rec,
        off: MESSAGE_HEADER_LEN,
    };
    let topic = c.str(topic_len)?;
    let msg_id = c.str(id_len)?;
    let tag = if tag_len == NO_TAG {
        None
    } else {
        Some(c.str(tag_len as usize)?)
    };
    let keys_start = c.off;
    for _ in 0..key_count {
        let n = c.u16()?;
        c.str(n)?;
    }
    let keys = &rec[keys_start..c.off];
    let props_start = c.off;
    for _ in 0..prop_count {
        let kl = c.u16()?;
        let vl = c.u32()?;
        c.str(kl)?;
        c.str(vl)?;
    }
    let props = &rec[props_start..c.off];
    let body_start = c.off;
    if body_start + body_len != rec.len() {
        return Err("body length disagrees with the record length".into());
    }
    Ok(MessageView {
        generation: prefix.generation,
        pos: prefix.pos,
        len: prefix.len,
        durable_upto: u64_at(rec, 24),
        queue_offset: u64_at(rec, 32),
        born_ms: u64_at(rec, 40) as i64,
        store_ms: u64_at(rec, 48) as i64,
        queue_id: u32_at(rec, 56),
        tag_hash: u32_at(rec, 60),
        topic,
        msg_id,
        tag,
        keys,
        key_count,
        props,
        prop_count,
        body_start,
    })
}

impl<'a> MessageView<'a> {
    /// The message keys, in the order they were given.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut c = Cursor {
            b: self.keys,
            off: 0,
        };
        (0..self.key_count).filter_map(move |_| {
            let n = c.u16().ok()?;
            c.str(n).ok()
        })
    }

    fn properties(&self) -> Vec<(String, String)> {
        let mut c = Cursor {
            b: self.props,
            off: 0,
        };
        let mut out = Vec::with_capacity(self.prop_count as usize);
        for _ in 0..self.prop_count {
            let parsed = (|| {
                let kl = c.u16()?;
                let vl = c.u32()?;
                Ok::<_, String>((c.str(kl)?.to_string(), c.str(vl)?.to_string()))
            })();
            if let Ok(kv) = parsed {
                out.push(kv);
            }
        }
        out
    }

    /// Builds an owned message; `record` is the shared buffer holding this record at `start`,
    /// so the body is a slice of it rather than a copy.
    pub fn to_stored(&self, record: &Bytes, start: usize) -> StoredMessage {
        let end = start + self.len as usize;
        StoredMessage {
            topic: self.topic.to_string(),
            queue_id: self.queue_id,
            queue_offset: self.queue_offset,
            log_pos: self.pos,
            size: self.len,
            msg_id: self.msg_id.to_string(),
            keys: self.keys().map(str::to_string).collect(),
            tag: self.tag.map(str::to_string),
            born_ms: self.born_ms,
            store_ms: self.store_ms,
            properties: self.properties(),
            body: record.slice(start + self.body_start..end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewMessage {
        NewMessage {
            topic: "orders".into(),
            queue_id: 3,
            msg_id: "id-1".into(),
            keys: vec!["k1".into(), "k2".into()],
            tag: Some("TagA".into()),
            born_ms: 1234,
            properties: vec![("a".into(), "1".into()), ("b".into(), String::new())],
            body: Bytes::from_static(b"hello body"),
        }
    }

    fn header() -> MessageHeader {
        MessageHeader {
            generation: 7,
            pos: 4096,
            durable_upto: 100,
            queue_offset: 42,
            born_ms: 1234,
            store_ms: 5678,
            queue_id: 3,
            tag_hash: 99,
        }
    }

    #[test]
    fn message_round_trips_through_encoding() {
        let msg = sample();
        let len = encoded_len(&msg, 1 << 20).unwrap();
        let mut buf = vec![0xAAu8; 5];
        encode_message(&mut buf, &header(), &msg, len);
        let rec = &buf[5..];
        assert_eq!(rec.len(), len);
        verify_crc(rec).unwrap();
        let v = parse_message(rec).unwrap();
        assert_eq!(
            (v.generation, v.pos, v.queue_offset, v.queue_id),
            (7, 4096, 42, 3)
        );
        let shared = Bytes::from(buf.clone());
        let s = v.to_stored(&shared, 5);
        assert_eq!(s.topic, "orders");
        assert_eq!(s.keys, vec!["k1", "k2"]);
        assert_eq!(s.tag.as_deref(), Some("TagA"));
        assert_eq!(s.properties, msg.properties);
        assert_eq!(&s.body[..], b"hello body");
        assert_eq!(s.store_ms, 5678);
    }

    #[test]
    fn any_flipped_byte_is_detected() {
        let msg = sample();
        let len = encoded_len(&msg, 1 << 20).unwrap();
        let mut buf = Vec::new();
        encode_message(&mut buf, &header(), &msg, len);
        for i in 0..buf.len() {
            let mut b = buf.clone();
            b[i] ^= 0x10;
            let ok = parse_prefix(&b)
                .ok()
                .flatten()
                .is_some_and(|p| p.len as usize == b.len())
                && verify_crc(&b).is_ok();
            assert!(!ok, "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn zeros_are_not_a_record_and_limits_are_enforced() {
        assert_eq!(parse_prefix(&[0u8; PREFIX_LEN]).unwrap(), None);
        let mut msg = sample();
        msg.body = Bytes::from(vec![0u8; 2000]);
        assert!(encoded_len(&msg, 1000).is_err());
        msg.topic = String::new();
        assert!(encoded_len(&msg, 1 << 20).is_err());
    }

    #[test]
    fn end_marker_is_recognised() {
        let mut buf = Vec::new();
        encode_end(&mut buf, 3, 77);
        let p = parse_prefix(&buf).unwrap().unwrap();
        assert_eq!(
            (p.kind, p.generation, p.pos, p.len),
            (KIND_END_V1, 3, 77, 24)
        );
        verify_crc(&buf).unwrap();
    }
}
