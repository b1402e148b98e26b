//! The pipeline every operation runs: authorize → act → audit, in one catalogue transaction for
//! changes; reads decide on a snapshot and audit afterwards.

use petrel_meta::{MetaError, NewAuditRecord, Outcome, ReadTx, WriteTx};

use crate::Service;
use crate::authorize::Authorizer;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::resource::Resource;

/// One permission an operation needs.
#[derive(Debug, Clone)]
pub(crate) struct Need {
    pub(crate) action: &'static str,
    pub(crate) resource: Resource,
}

impl Need {
    pub(crate) fn new(action: &'static str, resource: Resource) -> Self {
        Need { action, resource }
    }

    /// `action` on consumer group `group` of `instance`.
    pub(crate) fn on_group(action: &'static str, instance: &str, group: &str) -> Self {
        Need::new(
            action,
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        )
    }
}

impl Service {
    pub(crate) fn authorizer(&self) -> Authorizer<'_> {
        Authorizer {
            region: &self.config.region,
            cache: &self.cache,
            metrics: &self.metrics,
        }
    }

    fn audit_record(
        &self,
        caller: &Caller,
        need: &Need,
        outcome: Outcome,
        reason: String,
        tx: &ReadTx<'_>,
    ) -> NewAuditRecord {
        let resource = need
            .resource
            .resolve(tx, &self.config.region, &caller.account_id)
            .map(|r| r.arn.to_string())
            .unwrap_or_else(|_| format!("{:?}", need.resource));
        NewAuditRecord {
            account_id: caller.account_id.clone(),
            principal: caller.audit_principal(),
            action: need.action.to_owned(),
            resource,
            outcome,
            reason,
            request_id: caller.context.request_id.clone(),
            source: caller.context.source,
        }
    }

    /// Authorizes every need inside `tx`; on the first refusal appends its audit record and
    /// returns it.
    fn check_all(
        &self,
        tx: &mut WriteTx<'_>,
        caller: &Caller,
        needs: &[Need],
    ) -> Result<Result<(), ServiceError>, MetaError> {
        for need in needs {
            if let Err(refusal) =
                self.authorizer()
                    .check(tx, caller, need.action, &need.resource)?
            {
                let record =
                    self.audit_record(caller, need, Outcome::Denied, refusal.to_string(), tx);
                tx.append_audit(record)?;
                return Ok(Err(refusal));
            }
        }
        Ok(Ok(()))
    }

    /// Runs a change: authorizes `needs`, then `act`, then audits, all in one transaction.
    pub(crate) fn change<T>(
        &self,
        caller: &Caller,
        needs: &[Need],
        act: impl FnOnce(&mut WriteTx<'_>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let mut act_error = None;
        let outcome = self.catalog.write(|tx| {
            if let Err(refusal) = self.check_all(tx, caller, needs)? {
                return Ok(Err(refusal));
            }
            let value = match act(tx) {
                Ok(v) => v,
                Err(ServiceError::Meta(e)) => return Err(e),
                Err(other) => {
                    // Abort the transaction; the error is returned below.
                    act_error = Some(other);
                    return Err(MetaError::Aborted);
                }
            };
            for need in needs {
                let record = self.audit_record(caller, need, Outcome::Allowed, String::new(), tx);
                tx.append_audit(record)?;
            }
            Ok(Ok(value))
        });
        match outcome {
            Ok(result) => result,
            Err(e) => Err(act_error.take().unwrap_or(ServiceError::Meta(e))),
        }
    }

    /// Runs a read: authorizes `needs` and runs `read` on one snapshot, then audits without
    /// waiting for the audit record to reach the disk (a read changes nothing to protect).
    pub(crate) fn observe<T>(
        &self,
        caller: &Caller,
        needs: &[Need],
        read: impl FnOnce(&ReadTx<'_>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let mut refused = None;
        let mut records = Vec::new();
        let mut read_error = None;
        let value = self.catalog.read(|tx| {
            for need in needs {
                if let Err(refusal) =
                    self.authorizer()
                        .check(tx, caller, need.action, &need.resource)?
                {
                    records.push(self.audit_record(
                        caller,
                        need,
                        Outcome::Denied,
                        refusal.to_string(),
                        tx,
                    ));
                    refused = Some(refusal);
                    return Ok(None);
                }
                records.push(self.audit_record(caller, need, Outcome::Allowed, String::new(), tx));
            }
            match read(tx) {
                Ok(v) => Ok(Some(v)),
                Err(ServiceError::Meta(e)) => Err(e),
                Err(other) => {
                    read_error = Some(other);
                    Ok(None)
                }
            }
        })?;
        self.catalog.write_deferred(|tx| {
            for record in records {
                tx.append_audit(record)?;
            }
            Ok(())
        })?;
        match (value, refused, read_error) {
            (Some(v), _, _) => Ok(v),
            (None, Some(refusal), _) => Err(refusal),
            (None, None, Some(e)) => Err(e),
            (None, None, None) => Err(ServiceError::Meta(MetaError::Aborted)),
        }
    }

    /// The decision for `caller` on one need, without acting (the gRPC data plane and the
    /// policy simulator use this). Denials are audited; allowed checks are not, since the data
    /// plane would write one record per message.
    pub fn authorize(
        &self,
        caller: &Caller,
        action: &'static str,
        resource: Resource,
    ) -> Result<(), ServiceError> {
        let need = Need::new(action, resource);
        let checked = self.catalog.read(|tx| {
            let result = self
                .authorizer()
                .check(tx, caller, need.action, &need.resource)?;
            Ok(result.map_err(|refusal| {
                let record =
                    self.audit_record(caller, &need, Outcome::Denied, refusal.to_string(), tx);
                (refusal, record)
            }))
        })?;
        match checked {
            Ok(_) => Ok(()),
            Err((refusal, record)) => {
                self.catalog
                    .write_deferred(|tx| tx.append_audit(record).map(|_| ()))?;
                Err(refusal)
            }
        }
    }
}
