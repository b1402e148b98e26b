//! Public data types exchanged with the store: what callers append, what reads return, and the
//! reports of recovery, retention and statistics.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

/// A message to append. The store assigns the queue offset, log position and store timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewMessage {
    /// Topic name (opaque to the store).
    pub topic: String,
    /// Queue within the topic.
    pub queue_id: u32,
    /// Message id (indexed for [`crate::Store::get_by_id`]).
    pub msg_id: String,
    /// Message keys (indexed for [`crate::Store::query_by_key`]).
    pub keys: Vec<String>,
    /// Optional tag; its hash is kept in the queue index for cheap filtering.
    pub tag: Option<String>,
    /// Producer-side timestamp (ms since the epoch).
    pub born_ms: i64,
    /// Ordered properties.
    pub properties: Vec<(String, String)>,
    /// Payload.
    pub body: Bytes,
}

/// Where an appended message landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Queue offset assigned to the message.
    pub queue_offset: u64,
    /// Position of its record in the commit log.
    pub log_pos: u64,
    /// Size of its record in bytes.
    pub size: u32,
    /// Store timestamp assigned (ms); non-decreasing across the whole store.
    pub store_ms: i64,
}

/// A message read back from the store. The body shares the buffer the record was read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Topic name.
    pub topic: String,
    /// Queue id.
    pub queue_id: u32,
    /// Offset in its queue.
    pub queue_offset: u64,
    /// Position of the record in the commit log.
    pub log_pos: u64,
    /// Size of the record in bytes.
    pub size: u32,
    /// Message id.
    pub msg_id: String,
    /// Keys.
    pub keys: Vec<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Producer timestamp (ms).
    pub born_ms: i64,
    /// Store timestamp (ms).
    pub store_ms: i64,
    /// Properties in their original order.
    pub properties: Vec<(String, String)>,
    /// Payload (zero-copy slice of the read buffer).
    pub body: Bytes,
}

/// Outcome of [`crate::Store::read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// At least one message was returned.
    Found,
    /// The offset equals the queue's max offset: nothing new yet.
    NoNewMessages,
    /// The offset was removed by retention; resume from `next_offset` (the min offset).
    OffsetBelowMin,
    /// The offset is beyond the queue's max offset.
    OffsetBeyondMax,
}

/// Messages read from one queue.
#[derive(Debug, Clone)]
pub struct ReadBatch {
    /// What happened.
    pub status: ReadStatus,
    /// The messages, in queue order, contiguous from the requested offset.
    pub messages: Vec<StoredMessage>,
    /// Where the next read should start.
    pub next_offset: u64,
    /// The queue's minimum available offset at the time of the read.
    pub min_offset: u64,
    /// The queue's max offset (one past the last message) at the time of the read.
    pub max_offset: u64,
}

/// Position after which a paged time query continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeCursor {
    /// Store timestamp of the last message returned.
    pub store_ms: i64,
    /// Log position of the last message returned.
    pub log_pos: u64,
}

/// Result of a key or time query.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Matching messages (key queries: newest first; time queries: oldest first).
    pub messages: Vec<StoredMessage>,
    /// True when more matches exist (or may exist) than were returned.
    pub truncated: bool,
    /// For time queries: pass this back to get the next page.
    pub next_cursor: Option<TimeCursor>,
}

/// A torn tail removed by recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Segment file holding the torn record.
    pub segment: PathBuf,
    /// Offset of the torn record inside that file; the log now ends there.
    pub offset: u64,
    /// Why the bytes there are not a valid record.
    pub reason: String,
}

/// What recovery did when the store was opened.
#[derive(Debug, Clone, Default)]
pub struct RecoveryReport {
    /// The previous shutdown was clean (final checkpoint written).
    pub clean_shutdown: bool,
    /// No usable checkpoint: every index was rebuilt from the log.
    pub full_rebuild: bool,
    /// Log position recovery replayed indexes from.
    pub replayed_from: u64,
    /// Records whose index entries were (re)applied from the log.
    pub records_replayed: u64,
    /// Bytes of log verified (CRC) during open.
    pub bytes_verified: u64,
    /// Log end after recovery (next append position).
    pub end_pos: u64,
    /// A torn tail that was cut off, if any.
    pub torn_tail: Option<TornTail>,
    /// Time recovery took.
    pub duration: Duration,
}

/// What [`crate::Store::enforce_retention`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Segment files deleted.
    pub deleted_segments: Vec<PathBuf>,
    /// Bytes freed by those deletions.
    pub freed_bytes: u64,
    /// First log position still retained.
    pub min_log_pos: u64,
}

/// Counters and gauges for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Segment files in use (including the one preallocated ahead, once taken).
    pub segments: u64,
    /// Bytes of segment files on disk.
    pub segment_bytes: u64,
    /// Bytes of index files (queue indexes as on disk, key indexes as used).
    pub index_bytes: u64,
    /// Messages appended since open.
    pub appended_records: u64,
    /// Record bytes appended since open.
    pub appended_bytes: u64,
    /// `fdatasync` calls on the commit log since open.
    pub fsyncs: u64,
    /// Group-commit batches written since open.
    pub commit_batches: u64,
    /// Records in the last group commit.
    pub last_batch_records: u64,
    /// Bytes in the last group commit.
    pub last_batch_bytes: u64,
    /// Largest group commit (records) since open.
    pub max_batch_records: u64,
    /// Appends refused because the disk was full.
    pub disk_full_errors: u64,
    /// First retained log position.
    pub min_log_pos: u64,
    /// Next log position to be written.
    pub write_pos: u64,
    /// Log position known fsynced.
    pub durable_pos: u64,
    /// Queues known to the store.
    pub queues: u64,
    /// The next segment is preallocated and waiting (false while it is being prepared).
    pub next_segment_ready: bool,
}
