//! Secondary indexes derived from the commit log: the per-queue offset index ([`queue`]) and the
//! message-id / key hash index ([`keys`]). Both can be rebuilt from the log alone, which is why
//! only the log is fsynced before an append is acknowledged.

pub(crate) mod keys;
pub(crate) mod queue;
