//! Consumer progress: the in-memory state per (group, topic) (`state`, `ranges`), its record
//! format (`codec`) and its durability in an internal topic of the store (`journal`).

pub(crate) mod codec;
pub(crate) mod journal;
pub(crate) mod ranges;
pub(crate) mod state;
