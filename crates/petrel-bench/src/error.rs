//! Why a bench run could not take place. Failures of the calls themselves are not errors of the
//! run: they are counted by code in the report.

/// A bench run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An option is out of range or missing.
    #[error("invalid --{option}: {reason}")]
    InvalidOption {
        /// The command-line option, without dashes.
        option: &'static str,
        /// What is wrong with it, naming the value.
        reason: String,
    },
    /// The endpoint does not form a usable address.
    #[error("invalid --endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached.
    #[error("cannot connect to `{endpoint}` (is `petrel serve` running there?): {reason}")]
    Connect {
        /// The endpoint as given.
        endpoint: String,
        /// The innermost cause the transport gave (e.g. `Connection refused`).
        reason: String,
    },
    /// A task of the load generator itself failed (a bug, not a server answer).
    #[error("a bench task failed: {0}")]
    Task(String),
}

/// The innermost cause of `e`: the transport wraps the OS error in several layers that each
/// repeat the same words.
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
