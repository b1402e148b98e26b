//! The one authorizer: every operation of every front end asks here, inside the transaction that
//! will act, so the decision and the change see the same catalogue.
//!
//! Order of checks: the account is enabled; the messaging service is activated (for `mq:*` and
//! `rocketmq:*` actions only — RAM actions are never gated, so an administrator can prepare users
//! before activation); then the policy engine decides from the caller's attachments, direct and
//! through groups, each at its scope.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use petrel_iam::{Decision, PolicyDocument};
use petrel_meta::{MetaError, PolicyType, ReadTx, Scope, Via};

use crate::caller::{Caller, Identity};
use crate::error::ServiceError;
use crate::resource::{Resolved, Resource};

/// A refusal by the policy engine, with the decision that explains it.
#[derive(Debug, Clone)]
pub struct Denial {
    /// The decision: effect, the statement that decided (for an explicit deny), principal,
    /// action and resource.
    pub decision: Decision,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.decision.explain())
    }
}

/// Parsed custom policy documents, keyed by their text: a default version's text never changes,
/// so a cached parse is never stale, and reparsing on every request would dominate the cost of
/// an authorization.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    parsed: Mutex<HashMap<String, Arc<PolicyDocument>>>,
}

/// Upper bound on cached documents; past it the cache starts over rather than grow unbounded.
const POLICY_CACHE_LIMIT: usize = 10_000;

impl PolicyCache {
    fn get(&self, text: &str) -> Result<Arc<PolicyDocument>, ServiceError> {
        if let Some(doc) = self.lock().get(text) {
            return Ok(doc.clone());
        }
        let doc = Arc::new(PolicyDocument::parse(text)?);
        let mut map = self.lock();
        if map.len() >= POLICY_CACHE_LIMIT {
            map.clear();
        }
        map.insert(text.to_owned(), doc.clone());
        Ok(doc)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<PolicyDocument>>> {
        // A poisoned cache holds only parsed documents, which stay valid.
        self.parsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether `action` belongs to the messaging service that activation gates.
pub(crate) fn is_gated(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    service.eq_ignore_ascii_case("mq") || service.eq_ignore_ascii_case("rocketmq")
}

/// Everything the authorizer needs besides the transaction.
pub(crate) struct Authorizer<'a> {
    pub(crate) region: &'a str,
    pub(crate) cache: &'a PolicyCache,
    pub(crate) metrics: &'a crate::metrics::ServiceMetrics,
}

impl Authorizer<'_> {
    /// Decides whether `caller` may do `action` on `resource`. The outer error is a catalogue
    /// failure; the inner one a refusal (disabled account, not activated, denied), which is
    /// counted for metrics here, the one place every front end's requests are decided.
    pub(crate) fn check(
        &self,
        tx: &ReadTx<'_>,
        caller: &Caller,
        action: &str,
        resource: &Resource,
    ) -> Result<Result<(Resolved, Decision), ServiceError>, MetaError> {
        let result = self.check_uncounted(tx, caller, action, resource);
        if let Ok(Err(refusal)) = &result {
            self.metrics.refused(action, caller.context.source, refusal);
        }
        result
    }

    fn check_uncounted(
        &self,
        tx: &ReadTx<'_>,
        caller: &Caller,
        action: &str,
        resource: &Resource,
    ) -> Result<Result<(Resolved, Decision), ServiceError>, MetaError> {
        let account = tx.get_account(&caller.account_id)?;
        if !account.enabled {
            return Ok(Err(ServiceError::AccountDisabled {
                account: account.id,
            }));
        }
        if is_gated(action) && !account.is_activated() {
            return Ok(Err(ServiceError::NotActivated {
                account: account.id,
                action: action.to_owned(),
            }));
        }
        let resolved = resource.resolve(tx, self.region, &caller.account_id)?;
        let decision = match self.decide(tx, caller, action, &resolved)? {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        if decision.is_allowed() {
            Ok(Ok((resolved, decision)))
        } else {
            Ok(Err(ServiceError::Denied(Box::new(Denial { decision }))))
        }
    }

    /// The policy engine's decision, without the account and activation gates.
    pub(crate) fn decide(
        &self,
        tx: &ReadTx<'_>,
        caller: &Caller,
        action: &str,
        resolved: &Resolved,
    ) -> Result<Result<Decision, ServiceError>, MetaError> {
        let principal = match &caller.identity {
            Identity::Root => petrel_iam::Principal::root(&caller.account_id),
            Identity::User(name) => petrel_iam::Principal::user(&caller.account_id, name),
        };
        let mut attachments = Vec::new();
        if let Identity::User(name) = &caller.identity {
            for found in tx.attachments_for_user_with_groups(&caller.account_id, name)? {
                let a = &found.attachment;
                let (document, version_id) = match a.policy.policy_type {
                    PolicyType::System => match petrel_iam::system_policy(&a.policy.name) {
                        Some(p) => (p.document().clone(), p.version_id().to_owned()),
                        // An attachment to a system policy this build no longer ships grants
                        // nothing.
                        None => continue,
                    },
                    PolicyType::Custom => {
                        let version =
                            tx.get_default_policy_version(&caller.account_id, &a.policy.name)?;
                        match self.cache.get(&version.document) {
                            Ok(doc) => (doc, version.version_id),
                            Err(e) => return Ok(Err(e)),
                        }
                    }
                };
                attachments.push(petrel_iam::Attachment {
                    policy_name: a.policy.name.clone(),
                    policy_type: match a.policy.policy_type {
                        PolicyType::System => petrel_iam::PolicyType::System,
                        PolicyType::Custom => petrel_iam::PolicyType::Custom,
                    },
                    version_id,
                    document,
                    scope: match &a.scope {
                        Scope::Account => petrel_iam::Scope::Account,
                        Scope::ResourceGroup(id) => petrel_iam::Scope::ResourceGroup(id.clone()),
                    },
                    via: match &found.via {
                        Via::Direct => petrel_iam::Via::Direct,
                        Via::Group(g) => petrel_iam::Via::Group(g.clone()),
                    },
                });
            }
        }
        let mut context = petrel_iam::Context::new(time::OffsetDateTime::now_utc());
        context.source_ip = caller.context.source_ip;
        context.secure_transport = caller.context.secure_transport;
        context.mfa_present = caller.context.mfa_present;
        let request = petrel_iam::Request {
            principal: &principal,
            action,
            resource: &resolved.arn,
            resource_group: resolved.resource_group.as_deref(),
            context: &context,
        };
        Ok(petrel_iam::evaluate(&request, &attachments).map_err(ServiceError::from))
    }
}
