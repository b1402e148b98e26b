//! Reading the audit log (`actiontrail:LookupEvents` on the account): who did what, when, and
//! whether it was allowed. Looking is itself audited, like every other read.

use petrel_meta::{AuditFilter, AuditRecord};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

/// Most records one lookup returns.
pub const MAX_AUDIT_PAGE: usize = 500;

impl Service {
    /// Up to `limit` (at most [`MAX_AUDIT_PAGE`]) audit records of the caller's account that
    /// match `filter`, newest first. Page on with `filter.before_seq` set to the last `seq`.
    pub fn list_audit(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, ServiceError> {
        let need = Need::new("actiontrail:LookupEvents", Resource::Account);
        let limit = limit.clamp(1, MAX_AUDIT_PAGE);
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_audit(&caller.account_id, filter, limit)?)
        })
    }
}
