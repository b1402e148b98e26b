//! Store configuration: segment geometry, flush mode, index sizing, retention and the disk-space
//! guard (including the free-space probe hook that tests use to simulate a full disk).

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::error::StoreError;
use crate::record;

/// When an append is acknowledged, and therefore what survives a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushMode {
    /// An append completes only after the commit-log bytes of its batch have been written and
    /// `fdatasync`ed. Concurrent appends share one write and one fsync (group commit). An
    /// acknowledged message survives a process crash, a kernel crash and a power loss (as far as
    /// the disk honours cache flushes). Index files are not fsynced before the ack: recovery
    /// rebuilds any index entry the log has from the log itself.
    #[default]
    Sync,
    /// An append completes once its bytes have been written to the segment file (the page
    /// cache); the log is `fdatasync`ed every [`StoreConfig::async_flush_interval`]. An
    /// acknowledged message survives a process crash (the kernel still has the bytes) but up to
    /// one interval of acknowledged messages can be lost on a kernel crash or power loss.
    Async,
}

/// How much of the log recovery verifies when the store opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyOnOpen {
    /// Verify (CRC and framing) from the last checkpoint forward. Older records are verified
    /// when they are read: a corrupt one is reported as [`StoreError::Corrupt`], never served.
    #[default]
    FromCheckpoint,
    /// Verify every retained record. Slower (reads the whole log) but reports any corruption at
    /// open time.
    Full,
}

/// Returns the bytes available to the store on the filesystem holding the given directory.
/// The default uses `statvfs`; tests substitute a probe to simulate a full disk.
pub type FreeSpaceProbe = Arc<dyn Fn(&Path) -> io::Result<u64> + Send + Sync>;

/// Fault-injection hook for tests: called after the commit log is written and before it is
/// fsynced; an error it returns is handled exactly like a failed `fdatasync`.
pub type WriteFaultHook = Arc<dyn Fn() -> Option<io::Error> + Send + Sync>;

/// Configuration of a [`crate::Store`].
#[derive(Clone)]
pub struct StoreConfig {
    /// Size of each commit-log segment file. Default 1 GiB; a few MiB in tests.
    pub segment_size: u64,
    /// Acknowledgement policy; see [`FlushMode`].
    pub flush_mode: FlushMode,
    /// Fsync interval in [`FlushMode::Async`].
    pub async_flush_interval: Duration,
    /// Largest encoded record accepted (default 4 MiB, like RocketMQ).
    pub max_message_bytes: usize,
    /// Appenders wait (back-pressure) while this many encoded bytes await the commit thread.
    pub max_pending_bytes: usize,
    /// Entries per per-queue index file (32 bytes each). Default 300,000 (~9.2 MiB per file).
    pub queue_index_entries_per_file: u64,
    /// Hash slots per message-id/key index file. Default 2^20.
    pub key_index_slots: u32,
    /// Entries per message-id/key index file (32 bytes each). Default 2^22.
    pub key_index_entries: u32,
    /// How often index files are fsynced and the checkpoint rewritten.
    pub checkpoint_interval: Duration,
    /// Whole segments whose last write is older than this are deleted by
    /// [`crate::Store::enforce_retention`]. Default 72 h.
    pub retention: Duration,
    /// Optional cap on the bytes of retained segments; the oldest are deleted beyond it.
    pub retention_max_bytes: Option<u64>,
    /// A new segment is only prepared if at least `segment_size + min_free_bytes` are free.
    pub min_free_bytes: u64,
    /// How long after a failed segment preparation the store tries again.
    pub disk_full_retry_interval: Duration,
    /// Replaces `statvfs` for the free-space check. Meant for tests (simulating a full disk) and
    /// for embedders with their own quota; `None` uses `statvfs`.
    pub free_space_probe: Option<FreeSpaceProbe>,
    /// Test-only fault injection on the commit path (`None` in production).
    pub write_fault: Option<WriteFaultHook>,
    /// How much of the log to verify on open.
    pub verify_on_open: VerifyOnOpen,
    /// Upper bound on index candidates examined by one key or id query.
    pub max_query_scan: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            segment_size: 1 << 30,
            flush_mode: FlushMode::Sync,
            async_flush_interval: Duration::from_millis(500),
            max_message_bytes: 4 << 20,
            max_pending_bytes: 64 << 20,
            queue_index_entries_per_file: 300_000,
            key_index_slots: 1 << 20,
            key_index_entries: 1 << 22,
            checkpoint_interval: Duration::from_secs(1),
            retention: Duration::from_secs(72 * 3600),
            retention_max_bytes: None,
            min_free_bytes: 256 << 20,
            disk_full_retry_interval: Duration::from_secs(1),
            free_space_probe: None,
            write_fault: None,
            verify_on_open: VerifyOnOpen::FromCheckpoint,
            max_query_scan: 10_000,
        }
    }
}

impl StoreConfig {
    /// A configuration sized for tests: 4 MiB segments, small index files, no free-space reserve.
    pub fn for_tests() -> Self {
        StoreConfig {
            segment_size: 4 << 20,
            max_message_bytes: 1 << 20,
            queue_index_entries_per_file: 1024,
            key_index_slots: 1024,
            key_index_entries: 4096,
            min_free_bytes: 0,
            disk_full_retry_interval: Duration::from_millis(50),
            ..StoreConfig::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        let min_seg = record::MESSAGE_HEADER_LEN as u64 + record::END_MARKER_LEN as u64 + 64;
        if self.segment_size < min_seg || self.segment_size > u32::MAX as u64 * 64 {
            return Err(StoreError::Config(format!(
                "segment_size {} out of range",
                self.segment_size
            )));
        }
        if self.max_message_bytes as u64 + record::END_MARKER_LEN as u64 > self.segment_size {
            return Err(StoreError::Config(format!(
                "max_message_bytes {} does not fit in a segment of {} bytes",
                self.max_message_bytes, self.segment_size
            )));
        }
        if self.max_message_bytes > u32::MAX as usize {
            return Err(StoreError::Config("max_message_bytes exceeds 4 GiB".into()));
        }
        if self.queue_index_entries_per_file == 0
            || self.key_index_slots == 0
            || self.key_index_entries == 0
        {
            return Err(StoreError::Config("index sizes must be positive".into()));
        }
        Ok(())
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("segment_size", &self.segment_size)
            .field("flush_mode", &self.flush_mode)
            .field("async_flush_interval", &self.async_flush_interval)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("max_pending_bytes", &self.max_pending_bytes)
            .field(
                "queue_index_entries_per_file",
                &self.queue_index_entries_per_file,
            )
            .field("key_index_slots", &self.key_index_slots)
            .field("key_index_entries", &self.key_index_entries)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("retention", &self.retention)
            .field("retention_max_bytes", &self.retention_max_bytes)
            .field("min_free_bytes", &self.min_free_bytes)
            .field("disk_full_retry_interval", &self.disk_full_retry_interval)
            .field(
                "free_space_probe",
                &self.free_space_probe.as_ref().map(|_| "custom"),
            )
            .field("write_fault", &self.write_fault.as_ref().map(|_| "set"))
            .field("verify_on_open", &self.verify_on_open)
            .field("max_query_scan", &self.max_query_scan)
            .finish()
    }
}
