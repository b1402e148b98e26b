//! The bench's message bodies: a fixed header (marker, run id, unique message number, send
//! time, whether it was sent in the measured phase, and for FIFO runs the message group and the
//! message's place in it) followed by filler up to the requested size.
//! Consumers read the header to measure end-to-end latency and to tell this run's messages from
//! a backlog left by earlier runs or other producers.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// Marks a bench body.
const MAGIC: [u8; 8] = *b"PTRLBNCH";

/// Bytes of the header: marker, run id, number, send time (µs since the epoch), flags, message
/// group index, sequence number within the group.
pub const HEADER_LEN: usize = 8 + 8 + 8 + 8 + 1 + 4 + 8;

const MEASURED: u8 = 1;

/// What a body says about its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The run that sent it.
    pub run_id: u64,
    /// Unique within the run.
    pub number: u64,
    /// When its SendMessage call started, µs since the Unix epoch.
    pub sent_at_us: u64,
    /// Sent after the warm-up.
    pub measured: bool,
    /// Index of the message group (FIFO runs; 0 otherwise).
    pub group: u32,
    /// Place of the message in its group, from 0 (FIFO runs; 0 otherwise).
    pub seq: u64,
}

/// Microseconds since the Unix epoch (the clock both ends of a local run share).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Filler for bodies of `size` bytes: printable, so a body read by hand is recognisable.
pub fn template(size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| b"petrel-bench-"[i % 13])
        .collect::<Vec<u8>>()
}

/// A body made of `template` with `stamp` written over its start. `template` is at least
/// [`HEADER_LEN`] bytes long (the configuration checks it).
pub fn build(template: &[u8], stamp: &Stamp) -> Bytes {
    let mut body = template.to_vec();
    if body.len() < HEADER_LEN {
        body.resize(HEADER_LEN, 0);
    }
    body[..8].copy_from_slice(&MAGIC);
    body[8..16].copy_from_slice(&stamp.run_id.to_le_bytes());
    body[16..24].copy_from_slice(&stamp.number.to_le_bytes());
    body[24..32].copy_from_slice(&stamp.sent_at_us.to_le_bytes());
    body[32] = if stamp.measured { MEASURED } else { 0 };
    body[33..37].copy_from_slice(&stamp.group.to_le_bytes());
    body[37..45].copy_from_slice(&stamp.seq.to_le_bytes());
    Bytes::from(body)
}

fn u64_at(body: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = body.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The stamp of a bench body; `None` for any other body.
pub fn read(body: &[u8]) -> Option<Stamp> {
    if body.get(..8)? != MAGIC {
        return None;
    }
    Some(Stamp {
        run_id: u64_at(body, 8)?,
        number: u64_at(body, 16)?,
        sent_at_us: u64_at(body, 24)?,
        measured: *body.get(32)? & MEASURED != 0,
        group: u32::from_le_bytes(body.get(33..37)?.try_into().ok()?),
        seq: u64_at(body, 37)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_bodies_keep_their_size() {
        let stamp = Stamp {
            run_id: 7,
            number: 1 << 40,
            sent_at_us: 1_767_225_600_000_000,
            measured: true,
            group: 999,
            seq: 1 << 33,
        };
        let body = build(&template(1024), &stamp);
        assert_eq!(body.len(), 1024);
        assert_eq!(read(&body), Some(stamp));
        let warm = Stamp {
            measured: false,
            ..stamp
        };
        assert_eq!(read(&build(&template(HEADER_LEN), &warm)), Some(warm));
    }

    #[test]
    fn foreign_bodies_have_no_stamp() {
        assert_eq!(read(b"hello"), None);
        assert_eq!(read(&template(2048)), None);
        assert_eq!(read(&MAGIC), None);
    }
}
