//! The audit log: append-only records of decisions and changes, numbered by a global monotonic
//! sequence, listed per account newest first.
//!
//! Appending inside the same write transaction as the change it describes makes "changed but not
//! audited" impossible. Records are never updated or deleted by this crate.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::MetaError;
use crate::ids;
use crate::tables::{AUDIT, encode, key, prefix};

/// Key of the last sequence number in the `meta` table.
const AUDIT_SEQ_KEY: &str = "audit_seq";
/// Longest stored text field; longer input is cut (an audit append must not fail on size).
const MAX_FIELD_CHARS: usize = 4_096;

/// What kind of caller acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrincipalKind {
    /// The account root.
    Root,
    /// A RAM user.
    User,
    /// Not authenticated.
    Anonymous,
    /// Petrel itself (bootstrap, background tasks).
    System,
}

/// The caller of an audited action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuditPrincipal {
    /// Root, user, anonymous or system.
    pub kind: PrincipalKind,
    /// Display string, e.g. `alice` or `root@acme`.
    pub display: String,
}

/// Whether the action was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Allowed (and attempted).
    Allowed,
    /// Refused.
    Denied,
}

/// Which front end the request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditSource {
    /// RocketMQ gRPC.
    Grpc,
    /// Alibaba-compatible OpenAPI.
    OpenApi,
    /// Web console.
    Console,
    /// `petrel` CLI.
    Cli,
    /// Petrel itself.
    Internal,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Global sequence number, strictly increasing in append order.
    pub seq: u64,
    /// When it was appended.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The account acted upon.
    pub account_id: String,
    /// Who acted.
    pub principal: AuditPrincipal,
    /// The action, e.g. `ram:CreateUser`, `mq:PUB`.
    pub action: String,
    /// The resource ARN or name.
    pub resource: String,
    /// Allowed or denied.
    pub outcome: Outcome,
    /// Why (the denial diagnostic, or a short note).
    pub reason: String,
    /// Request id given to the caller.
    pub request_id: String,
    /// Front end.
    pub source: AuditSource,
}

/// Input of [`WriteTx::append_audit`]; the sequence number and time are assigned.
#[derive(Debug, Clone)]
pub struct NewAuditRecord {
    /// The account acted upon (required).
    pub account_id: String,
    /// Who acted.
    pub principal: AuditPrincipal,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// Allowed or denied.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
    /// Request id.
    pub request_id: String,
    /// Front end.
    pub source: AuditSource,
}

/// Filter of [`ReadTx::list_audit`]; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this principal display string.
    pub principal: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only resources starting with this.
    pub resource_prefix: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Only this front end.
    pub source: Option<AuditSource>,
    /// Only records at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only records before this time.
    pub until: Option<OffsetDateTime>,
    /// Only records with a smaller sequence number (paging: pass the last `seq` seen).
    pub before_seq: Option<u64>,
}

impl AuditFilter {
    fn matches(&self, r: &AuditRecord) -> bool {
        self.principal
            .as_ref()
            .is_none_or(|p| *p == r.principal.display)
            && self.action.as_ref().is_none_or(|a| *a == r.action)
            && self
                .resource_prefix
                .as_ref()
                .is_none_or(|p| r.resource.starts_with(p.as_str()))
            && self.outcome.is_none_or(|o| o == r.outcome)
            && self.source.is_none_or(|s| s == r.source)
            && self.since.is_none_or(|t| r.time >= t)
            && self.until.is_none_or(|t| r.time < t)
    }
}

fn seq_key(seq: u64) -> String {
    format!("{seq:020}")
}

fn clip(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(MAX_FIELD_CHARS) {
        s.truncate(i);
    }
    s
}

impl ReadTx<'_> {
    /// Up to `limit` records of `account` matching `filter`, newest first.
    pub fn list_audit(
        &self,
        account: &str,
        filter: &AuditFilter,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, MetaError> {
        ids::check_account_id(account)?;
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let scan_prefix = prefix(&[account]);
        let mut error = None;
        self.kv.scan(AUDIT, &scan_prefix, true, |k, v| {
            if let Some(before) = filter.before_seq {
                let seq = k
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                if seq >= before {
                    return Ok(ControlFlow::Continue(()));
                }
            }
            let record: AuditRecord = match serde_json::from_slice(v) {
                Ok(r) => r,
                Err(e) => {
                    error = Some(MetaError::Corrupt {
                        table: "audit".into(),
                        key: k.to_owned(),
                        detail: e.to_string(),
                    });
                    return Ok(ControlFlow::Break(()));
                }
            };
            // Newest first: once older than `since`, nothing further can match.
            if filter.since.is_some_and(|t| record.time < t) {
                return Ok(ControlFlow::Break(()));
            }
            if filter.matches(&record) {
                out.push(record);
                if out.len() >= limit {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        match error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

impl WriteTx<'_> {
    /// Appends a record stamped with the next sequence number and this transaction's time.
    /// Text fields longer than 4,096 characters are cut.
    pub fn append_audit(&mut self, new: NewAuditRecord) -> Result<AuditRecord, MetaError> {
        ids::check_account_id(&new.account_id)?;
        let seq = self.kv.meta(AUDIT_SEQ_KEY)?.unwrap_or(0).saturating_add(1);
        self.w.set_meta(AUDIT_SEQ_KEY, seq)?;
        let record = AuditRecord {
            seq,
            time: self.now,
            account_id: new.account_id,
            principal: AuditPrincipal {
                kind: new.principal.kind,
                display: clip(new.principal.display),
            },
            action: clip(new.action),
            resource: clip(new.resource),
            outcome: new.outcome,
            reason: clip(new.reason),
            request_id: clip(new.request_id),
            source: new.source,
        };
        let k = key(&[&record.account_id, &seq_key(seq)]);
        let bytes = encode(AUDIT, &k, &record)?;
        self.w.put_raw(AUDIT, &k, &bytes)?;
        Ok(record)
    }
}
