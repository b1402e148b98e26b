//! What the evaluator answers, and how a decision explains itself: one readable sentence for
//! people and logs ([`Decision::explain`]) and the Alibaba `AccessDeniedDetail` object for SDKs
//! ([`Decision::access_denied_detail`]).
//!
//! Decision types are deliberately not `#[non_exhaustive]`: a new kind of outcome must break the
//! callers' `match`es so that every front end decides how to render it.

use std::fmt;

use petrel_model::Arn;
use serde::Serialize;

use crate::eval::{PolicyType, Principal, PrincipalKind, Scope, Via};

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionEffect {
    /// An applicable `Allow` and no applicable `Deny` (or the account root).
    Allow,
    /// An applicable `Deny` statement.
    ExplicitDeny,
    /// Nothing allows the request.
    ImplicitDeny,
    /// The resource belongs to another account; nothing can allow that.
    CrossAccountDeny,
}

impl DecisionEffect {
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny` or `CrossAccountDeny` (the corpus spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionEffect::Allow => "Allow",
            DecisionEffect::ExplicitDeny => "ExplicitDeny",
            DecisionEffect::ImplicitDeny => "ImplicitDeny",
            DecisionEffect::CrossAccountDeny => "CrossAccountDeny",
        }
    }
}

/// The statement that decided: the first applicable `Deny`, or else the first applicable `Allow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The policy name.
    pub policy_name: String,
    /// System or Custom.
    pub policy_type: PolicyType,
    /// The evaluated version.
    pub version_id: String,
    /// 0-based index of the statement in the document (messages print it 1-based).
    pub statement_index: usize,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
    /// The scope of the attachment that brought the policy.
    pub scope: Scope,
    /// How the policy reaches the principal.
    pub via: Via,
}

/// The answer to one request, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The outcome.
    pub effect: DecisionEffect,
    /// The deciding statement (none for the root, implicit and cross-account denials).
    pub matched: Option<MatchedStatement>,
    /// Who asked.
    pub principal: Principal,
    /// The action asked for.
    pub action: String,
    /// The resource asked for.
    pub resource: Arn,
    /// The resource's group, as given in the request.
    pub resource_group: Option<String>,
    /// How many attachments were skipped because they are scoped to another resource group.
    pub attachments_out_of_scope: usize,
}

/// `NoPermissionType` of `AccessDeniedDetail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NoPermissionType {
    /// No statement allows.
    ImplicitDeny,
    /// A statement denies.
    ExplicitDeny,
}

/// `PolicyType` of `AccessDeniedDetail`: the level of the policy that denied, or, for an
/// implicit denial, the level at which a grant is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeniedPolicyType {
    /// An account-scoped identity policy.
    AccountLevelIdentityBasedPolicy,
    /// A resource-group-scoped identity policy.
    ResourceGroupLevelIdentityBasedPolicy,
}

/// `AuthPrincipalType` of `AccessDeniedDetail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuthPrincipalType {
    /// A RAM user.
    SubUser,
    /// The account root (only ever denied across accounts). Alibaba does not document this
    /// spelling.
    Account,
}

/// The `AccessDeniedDetail` object Alibaba SDKs read from a 403 body (PascalCase keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessDeniedDetail {
    /// Implicit or explicit.
    pub no_permission_type: NoPermissionType,
    /// The policy level concerned.
    pub policy_type: DeniedPolicyType,
    /// The action refused.
    pub auth_action: String,
    /// Sub-user or account.
    pub auth_principal_type: AuthPrincipalType,
    /// The user name (or the account id for the root).
    pub auth_principal_display_name: String,
    /// The principal's account id.
    pub auth_principal_owner_id: String,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        self.effect == DecisionEffect::Allow
    }

    /// One sentence saying what was decided and why.
    pub fn explain(&self) -> String {
        self.to_string()
    }

    /// The `AccessDeniedDetail` for a denial; `None` when allowed.
    pub fn access_denied_detail(&self) -> Option<AccessDeniedDetail> {
        let no_permission_type = match self.effect {
            DecisionEffect::Allow => return None,
            DecisionEffect::ExplicitDeny => NoPermissionType::ExplicitDeny,
            DecisionEffect::ImplicitDeny | DecisionEffect::CrossAccountDeny => {
                NoPermissionType::ImplicitDeny
            }
        };
        let policy_type = match self.matched.as_ref().map(|m| &m.scope) {
            Some(Scope::ResourceGroup(_)) => {
                DeniedPolicyType::ResourceGroupLevelIdentityBasedPolicy
            }
            _ => DeniedPolicyType::AccountLevelIdentityBasedPolicy,
        };
        let (auth_principal_type, auth_principal_display_name) = match &self.principal.kind {
            PrincipalKind::User { name } => (AuthPrincipalType::SubUser, name.clone()),
            PrincipalKind::Root => (
                AuthPrincipalType::Account,
                self.principal.account_id.clone(),
            ),
        };
        Some(AccessDeniedDetail {
            no_permission_type,
            policy_type,
            auth_action: self.action.clone(),
            auth_principal_type,
            auth_principal_display_name,
            auth_principal_owner_id: self.principal.account_id.clone(),
        })
    }
}

impl fmt::Display for MatchedStatement {
    /// "statement 2 of custom policy `deny-orders` (v1)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statement {}", self.statement_index + 1)?;
        if let Some(sid) = &self.sid {
            write!(f, " (`Sid` \"{sid}\")")?;
        }
        let kind = match self.policy_type {
            PolicyType::System => "system",
            PolicyType::Custom => "custom",
        };
        write!(
            f,
            " of {kind} policy `{}` ({})",
            self.policy_name, self.version_id
        )
    }
}

struct Attached<'a>(&'a MatchedStatement, &'a Principal);

impl fmt::Display for Attached<'_> {
    /// "attached to user `alice` at account scope".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Attached(m, principal) = self;
        match &m.via {
            Via::Direct => write!(f, "attached to {principal}")?,
            Via::Group(g) => write!(f, "attached to group `{g}` of {principal}")?,
        }
        match &m.scope {
            Scope::Account => f.write_str(" at account scope"),
            Scope::ResourceGroup(rg) => write!(f, " at the scope of resource group `{rg}`"),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, resource, principal) = (&self.action, &self.resource, &self.principal);
        match (self.effect, &self.matched) {
            (DecisionEffect::Allow, Some(m)) => write!(
                f,
                "allow: {m}, {}, allows `{action}` on `{resource}`",
                Attached(m, principal)
            ),
            (DecisionEffect::Allow, None) => write!(
                f,
                "allow: {principal} may do anything within its own account, so `{action}` on `{resource}`"
            ),
            (DecisionEffect::ExplicitDeny, Some(m)) => write!(
                f,
                "explicit deny: {m}, {}, denies `{action}` on `{resource}`",
                Attached(m, principal)
            ),
            (DecisionEffect::CrossAccountDeny, _) => write!(
                f,
                "cross-account deny: `{resource}` belongs to account `{}`, and {principal} of account `{}` cannot act on another account's resources (`{action}`)",
                resource.account(),
                principal.account_id
            ),
            (DecisionEffect::ImplicitDeny | DecisionEffect::ExplicitDeny, _) => {
                write!(
                    f,
                    "implicit deny: no policy attached to {principal} allows `{action}` on `{resource}`"
                )?;
                let n = self.attachments_out_of_scope;
                if n > 0 {
                    let s = if n == 1 { "" } else { "s" };
                    let where_ = match &self.resource_group {
                        Some(rg) => format!("the resource is in resource group `{rg}`"),
                        None => "the resource belongs to no resource group".to_owned(),
                    };
                    write!(
                        f,
                        " ({n} attachment{s} scoped to another resource group did not apply: {where_})"
                    )?;
                }
                Ok(())
            }
        }
    }
}
