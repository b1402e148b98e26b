//! The benchmark's error type: what could not be started, connected or set up, naming the
//! system and the input at fault.

use std::path::PathBuf;

/// Why a run (or the suite) could not go on.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// A server process could not be started.
    #[error("cannot start {system} ({program}): {reason}")]
    Start {
        system: String,
        program: PathBuf,
        reason: String,
    },
    /// A server started but never answered.
    #[error("{system} did not become ready within {secs} s: {reason}")]
    NotReady {
        system: String,
        secs: u64,
        reason: String,
    },
    /// The client could not reach a started server.
    #[error("cannot connect to {system}: {reason}")]
    Connect { system: String, reason: String },
    /// Topics, queues, streams or groups could not be created.
    #[error("cannot set up {what} on {system}: {reason}")]
    Setup {
        system: String,
        what: String,
        reason: String,
    },
    /// Setting up took longer than the bound.
    #[error("setting up {topics} topics on {system} took longer than {secs} s")]
    SetupTimeout {
        system: String,
        topics: usize,
        secs: u64,
    },
    /// A file of the benchmark could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The suite was interrupted (Ctrl-C or SIGTERM); what it measured so far is saved.
    #[error("interrupted; the runs so far are in {saved}")]
    Interrupted { saved: PathBuf },
    /// An option the suite was given makes no sense.
    #[error("invalid {option} `{value}`: {reason}")]
    InvalidOption {
        option: &'static str,
        value: String,
        reason: String,
    },
}

impl PeerError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> PeerError {
        PeerError::Io {
            path: path.into(),
            source,
        }
    }
}
