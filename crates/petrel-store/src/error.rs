//! The store's error type. Every variant names what went wrong and where (file, offset, queue),
//! so an operator can act on the message alone. `StoreError` is `Clone` because one failed group
//! commit has to be reported to every appender that shared it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Errors returned by [`crate::Store`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// An operating-system I/O error on a named file.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The disk (or the configured free-space reserve) is exhausted. Nothing already acknowledged
    /// is affected; appends succeed again once space returns (the store retries by itself).
    #[error("disk full: {detail}")]
    DiskFull {
        /// What could not be written and how much space was left.
        detail: String,
    },
    /// A record failed its checksum or framing checks at a place where valid data must be
    /// (a bad record followed by valid ones, or below a proven-durable position).
    #[error("corrupt record in segment {segment} at offset {offset}: {reason}")]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the bad record inside that file.
        offset: u64,
        /// Which check failed.
        reason: String,
    },
    /// An index file disagrees with the commit log in a way recovery cannot repair by itself.
    #[error("inconsistent index for queue {topic}/{queue_id}: {reason}")]
    IndexInconsistent {
        /// Topic of the queue.
        topic: String,
        /// Queue id.
        queue_id: u32,
        /// What disagreed.
        reason: String,
    },
    /// The segment files do not form one contiguous log.
    #[error("commit log in {dir} is not contiguous: {reason}")]
    LogGap {
        /// The log directory.
        dir: PathBuf,
        /// Which segment is missing or misplaced.
        reason: String,
    },
    /// A message was rejected before anything was written (too large, field too long, ...).
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The configuration cannot work (e.g. a segment smaller than the largest message).
    #[error("invalid store config: {0}")]
    Config(String),
    /// Another process (or another `Store` in this one) holds the data directory.
    #[error("store directory {path} is locked by another store")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The store is closing or closed.
    #[error("store is closed")]
    Closed,
}

impl StoreError {
    /// Wraps an I/O error on `path`, turning ENOSPC/EDQUOT into [`StoreError::DiskFull`].
    pub(crate) fn io(path: &Path, err: io::Error) -> StoreError {
        if is_disk_full(&err) {
            return StoreError::DiskFull {
                detail: format!("writing {}: {err}", path.display()),
            };
        }
        StoreError::Io {
            path: path.to_path_buf(),
            source: Arc::new(err),
        }
    }

    /// True for [`StoreError::DiskFull`].
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }
}

fn is_disk_full(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Shorthand used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
