//! Schema migrations: the steps that upgrade a catalogue written by an older Petrel.
//!
//! To change the stored layout: bump [`crate::schema::SCHEMA_VERSION`] to N, add a step
//! `(N - 1, upgrade_to_N)` to `STEPS` that rewrites the affected tables, and add a test that
//! opens a file of version N - 1. Steps run inside the opening write transaction, so a failed
//! migration leaves the file untouched.

use crate::error::MetaError;
use crate::tables::Writer;

/// A step upgrading from the version it is listed with to the next one.
type Step = fn(&Writer<'_>) -> Result<(), MetaError>;

/// `(from_version, step)`, in ascending order. Version 1 is the first schema: nothing yet.
const STEPS: &[(u64, Step)] = &[];

/// Applies every step from `from` up to the current version.
pub(crate) fn run(w: &Writer<'_>, from: u64) -> Result<(), MetaError> {
    for (version, step) in STEPS {
        if *version >= from {
            step(w)?;
        }
    }
    Ok(())
}
