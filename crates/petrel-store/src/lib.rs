//! `petrel-store`: the durable message log of Petrel.
//!
//! One append-only commit log shared by every queue, in fixed-size segment files that are
//! preallocated and zero-filled ahead of the writer (so appends overwrite blocks in place and an
//! fsync never has to grow a file). Each record is framed with its length, a CRC32C, a format
//! version and everything needed to rebuild the indexes.
//!
//! * **Group commit**: concurrent appends are encoded into one pending buffer; a single thread
//!   writes it with one `pwrite`, `fdatasync`s once and wakes every appender of the batch. See
//!   [`FlushMode`] for what an acknowledgement promises.
//! * **Indexes**: a fixed-width per-queue index (queue offset → log position, size, tag hash,
//!   store time; O(1) per offset), and an on-disk chained hash index for message ids and keys.
//!   Indexes are written after the log and fsynced only at checkpoints: recovery re-derives
//!   anything missing from the log, so only the log must be durable before an ack.
//! * **Recovery**: from the last checkpoint, verify CRCs forward, re-apply index entries, cut a
//!   torn tail, and report corruption of durable data as [`StoreError::Corrupt`].
//! * **Retention** by age and size, whole segments at a time ([`Store::enforce_retention`]).
//! * **Disk full**: preparing a segment checks free space (statvfs, minus a reserve) and
//!   failures surface as [`StoreError::DiskFull`] to appenders; the allocator retries on its own.
//!
//! The store knows nothing about what topics mean: a queue is `(topic, queue_id)`.
//!
//! # Guarantees
//! * An acknowledged append (see [`FlushMode`]) is returned by every later read of its queue at
//!   its offset, across restarts and crashes, until retention removes its segment.
//! * Offsets of a queue are contiguous from its min offset; a batch is all-or-nothing.
//! * A record is CRC-checked every time it is read; a damaged one is reported as
//!   [`StoreError::Corrupt`] (segment file and offset), never returned as a message and never
//!   skipped silently. [`VerifyOnOpen::Full`] finds such damage at open time instead.
//! * Recovery distinguishes a torn tail (cut off and reported in [`RecoveryReport::torn_tail`])
//!   from corruption of durable data (open fails with [`StoreError::Corrupt`]); see the
//!   `recovery` module for the rule.
//!
//! # Disk full
//! Segments are preallocated, so space runs out when the next segment is prepared. That
//! happens in the background; an append that needs the segment fails with
//! [`StoreError::DiskFull`] (nothing is written, nothing acknowledged is affected) and appends
//! work again once a retry, every [`StoreConfig::disk_full_retry_interval`], succeeds. The free
//! space check uses `statvfs` and keeps [`StoreConfig::min_free_bytes`] in reserve; tests (or
//! embedders with quotas) replace it with [`StoreConfig::free_space_probe`].
//!
//! # Files
//! `log/<20-digit base position>` segments; `index/queues/<topic>/<queue id>/<first offset>`
//! fixed 32-byte entries; `index/keys/<seq>.kidx` hash index; `checkpoint`; `generation`;
//! `LOCK`. Formats are documented in the `record`, `index::queue`, `index::keys` and
//! `checkpoint` modules.

mod checkpoint;
mod commit;
mod completion;
mod config;
mod error;
mod hash;
mod index;
mod message;
mod metrics;
mod read;
mod record;
mod recovery;
mod retention;
mod segment;
mod store;

pub use completion::AppendFuture;
pub use config::{FlushMode, FreeSpaceProbe, StoreConfig, VerifyOnOpen, WriteFaultHook};
pub use error::StoreError;
pub use hash::tag_hash;
pub use message::{
    Appended, NewMessage, QueryResult, ReadBatch, ReadStatus, RecoveryReport, RetentionReport,
    StoreStats, StoredMessage, TimeCursor, TornTail,
};
pub use store::Store;
