//! The evaluator: who asks (principal), what (action), on what (resource ARN and its resource
//! group), in which circumstances (context), with which policies attached (attachments).
//!
//! Order of the rules, first decisive one wins:
//! 1. a request naming a wildcard action or a wildcard/empty account is refused as malformed;
//! 2. a resource of another account is denied to everyone, the root included
//!    ([`DecisionEffect::CrossAccountDeny`]);
//! 3. the account root may do anything within its own account;
//! 4. any applicable `Deny` statement denies ([`DecisionEffect::ExplicitDeny`]);
//! 5. any applicable `Allow` statement allows;
//! 6. otherwise [`DecisionEffect::ImplicitDeny`].
//!
//! An attachment applies when its scope is the account, or when it is scoped to exactly the
//! resource group of the requested resource; a resource without a group (a RAM user, say) is
//! never covered by a resource-group-scoped grant. The loop below does no allocation until it
//! builds the final [`Decision`].

use std::fmt;
use std::sync::Arc;

use petrel_model::{Arn, ErrorCode};

use crate::condition::Context;
use crate::decision::{Decision, DecisionEffect, MatchedStatement};
use crate::policy::{Effect, PolicyDocument};

/// The account field of system-policy ARNs (`acs:ram:*:system:policy/<name>`). Those resources
/// are the shared catalogue, not another tenant, so they are not cross-account.
pub const SYSTEM_ACCOUNT: &str = "system";

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The account the principal belongs to.
    pub account_id: String,
    /// Root or RAM user.
    pub kind: PrincipalKind,
}

/// The kind of principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account owner: not subject to policies within its own account.
    Root,
    /// A RAM user of the account; its group memberships show in [`Attachment::via`].
    User {
        /// The user name.
        name: String,
    },
}

impl Principal {
    /// The root of `account_id`.
    pub fn root(account_id: &str) -> Self {
        Principal {
            account_id: account_id.to_owned(),
            kind: PrincipalKind::Root,
        }
    }

    /// RAM user `name` of `account_id`.
    pub fn user(account_id: &str, name: &str) -> Self {
        Principal {
            account_id: account_id.to_owned(),
            kind: PrincipalKind::User {
                name: name.to_owned(),
            },
        }
    }

    /// Whether this is the account root.
    pub fn is_root(&self) -> bool {
        matches!(self.kind, PrincipalKind::Root)
    }

    /// The user name, for RAM users.
    pub fn user_name(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::Root => None,
            PrincipalKind::User { name } => Some(name),
        }
    }
}

impl fmt::Display for Principal {
    /// "user `alice`" or "the root of account `123`".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            PrincipalKind::Root => write!(f, "the root of account `{}`", self.account_id),
            PrincipalKind::User { name } => write!(f, "user `{name}`"),
        }
    }
}

/// System (built in, read-only) or Custom (per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Built in, maintained by Petrel.
    System,
    /// Written by the account.
    Custom,
}

impl PolicyType {
    /// `System` or `Custom`, the API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }
}

/// Where an attachment grants: the whole account or one resource group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every resource of the account.
    Account,
    /// Only resources in this resource group.
    ResourceGroup(String),
}

/// How a policy reaches the principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Via {
    /// Attached to the user.
    Direct,
    /// Attached to a group the user belongs to.
    Group(String),
}

/// One policy attached to the principal (directly or through a group), at one scope.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The policy name.
    pub policy_name: String,
    /// System or Custom.
    pub policy_type: PolicyType,
    /// The default version being evaluated (`v1`, …).
    pub version_id: String,
    /// The document of that version.
    pub document: Arc<PolicyDocument>,
    /// Account or resource-group scope.
    pub scope: Scope,
    /// Direct or through a group.
    pub via: Via,
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// `service:Action`, e.g. `mq:PUB`, `rocketmq:CreateTopic`; no wildcards.
    pub action: &'a str,
    /// The resource; its account must be concrete.
    pub resource: &'a Arn,
    /// The resource group the resource belongs to, if resources of its kind have one.
    pub resource_group: Option<&'a str>,
    /// Request facts for conditions.
    pub context: &'a Context,
}

/// A request that cannot be evaluated: a programming error of the caller, not a denial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The action is not a concrete `service:Action`.
    #[error("invalid action `{0}`: a request names one concrete `<service>:<action>`")]
    InvalidAction(String),
    /// The resource's account is empty or a wildcard.
    #[error("invalid resource `{0}`: a request names a concrete account, not a pattern")]
    InvalidResource(String),
}

impl RequestError {
    /// `InvalidParameter.Action` or `InvalidParameter.Resource`.
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::InvalidAction(_) => ErrorCode::InvalidParameter("Action".into()),
            RequestError::InvalidResource(_) => ErrorCode::InvalidParameter("Resource".into()),
        }
    }
}

/// Decides `request` against the principal's `attachments` (see the module docs for the rules).
pub fn evaluate(
    request: &Request<'_>,
    attachments: &[Attachment],
) -> Result<Decision, RequestError> {
    validate(request)?;
    let resource = request.resource;
    let principal = request.principal;
    let own = resource.account() == principal.account_id || resource.account() == SYSTEM_ACCOUNT;
    if !own {
        return Ok(decision(request, DecisionEffect::CrossAccountDeny, None, 0));
    }
    if principal.is_root() {
        return Ok(decision(request, DecisionEffect::Allow, None, 0));
    }
    let mut allowed: Option<(usize, usize)> = None;
    let mut out_of_scope = 0;
    for (a, att) in attachments.iter().enumerate() {
        if let Scope::ResourceGroup(rg) = &att.scope
            && request.resource_group != Some(rg.as_str())
        {
            out_of_scope += 1;
            continue;
        }
        for (s, st) in att.document.statements().iter().enumerate() {
            // An Allow is only interesting until the first one is found; a Deny always is.
            if st.effect() == Effect::Allow && allowed.is_some() {
                continue;
            }
            if !st.applies(request.action, resource, request.context) {
                continue;
            }
            match st.effect() {
                Effect::Deny => {
                    let matched = matched(att, s);
                    return Ok(decision(
                        request,
                        DecisionEffect::ExplicitDeny,
                        Some(matched),
                        out_of_scope,
                    ));
                }
                Effect::Allow => allowed = Some((a, s)),
            }
        }
    }
    Ok(
        match allowed.and_then(|(a, s)| attachments.get(a).map(|att| matched(att, s))) {
            Some(m) => decision(request, DecisionEffect::Allow, Some(m), out_of_scope),
            None => decision(request, DecisionEffect::ImplicitDeny, None, out_of_scope),
        },
    )
}

fn validate(request: &Request<'_>) -> Result<(), RequestError> {
    let action = request.action;
    let concrete_action = !action.contains(['*', '?'])
        && matches!(action.split_once(':'), Some((s, n)) if !s.is_empty() && !n.is_empty());
    if !concrete_action {
        return Err(RequestError::InvalidAction(crate::policy::snippet(action)));
    }
    let account = request.resource.account();
    if account.is_empty() || account.contains(['*', '?']) {
        return Err(RequestError::InvalidResource(crate::policy::snippet(
            &request.resource.to_string(),
        )));
    }
    Ok(())
}

fn matched(att: &Attachment, statement_index: usize) -> MatchedStatement {
    MatchedStatement {
        policy_name: att.policy_name.clone(),
        policy_type: att.policy_type,
        version_id: att.version_id.clone(),
        statement_index,
        sid: att
            .document
            .statements()
            .get(statement_index)
            .and_then(|s| s.sid())
            .map(str::to_owned),
        scope: att.scope.clone(),
        via: att.via.clone(),
    }
}

fn decision(
    request: &Request<'_>,
    effect: DecisionEffect,
    matched: Option<MatchedStatement>,
    out_of_scope: usize,
) -> Decision {
    Decision {
        effect,
        matched,
        principal: request.principal.clone(),
        action: request.action.to_owned(),
        resource: request.resource.clone(),
        resource_group: request.resource_group.map(str::to_owned),
        attachments_out_of_scope: out_of_scope,
    }
}
