//! Policy attachments: (principal user|group, policy System|Custom + name, scope
//! Account|ResourceGroup) with the time attached.
//!
//! Stored twice, keyed by principal and by policy, so that "what applies to this user" (the
//! authorizer's query on every request) and "who holds this policy" are both prefix scans.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::groups::{Group, group_subject};
use crate::ids;
use crate::tables::{ATTACHMENTS, ATTACHMENTS_BY_POLICY, key, prefix};
use crate::users::{User, user_subject};
use petrel_model::{NameKind, validate_name};

/// System policies attachable to one user or group.
pub const MAX_SYSTEM_POLICIES_PER_PRINCIPAL: usize = 20;
/// Custom policies attachable to one user or group.
pub const MAX_CUSTOM_POLICIES_PER_PRINCIPAL: usize = 10;

const ACCOUNT_SCOPE_KEY: &str = "@account";

/// Who a policy is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name")]
pub enum Principal {
    /// A RAM user, by name.
    User(String),
    /// A RAM group, by name.
    Group(String),
}

impl Principal {
    /// The user or group name.
    pub fn name(&self) -> &str {
        match self {
            Principal::User(n) | Principal::Group(n) => n,
        }
    }

    /// Whether this is a user.
    pub fn is_user(&self) -> bool {
        matches!(self, Principal::User(_))
    }

    fn kind_key(&self) -> &'static str {
        match self {
            Principal::User(_) => "user",
            Principal::Group(_) => "group",
        }
    }

    fn attachment_entity(&self) -> Entity {
        match self {
            Principal::User(_) => Entity::UserPolicy,
            Principal::Group(_) => Entity::GroupPolicy,
        }
    }

    fn with_name(&self, name: &str) -> Principal {
        match self {
            Principal::User(_) => Principal::User(name.to_owned()),
            Principal::Group(_) => Principal::Group(name.to_owned()),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(n) => f.write_str(&user_subject(n)),
            Principal::Group(n) => f.write_str(&group_subject(n)),
        }
    }
}

/// System (built into `petrel-iam`) or custom (stored here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PolicyType {
    /// Built in, read-only.
    System,
    /// Per account, versioned.
    Custom,
}

impl PolicyType {
    /// `System` or `Custom`, as the RAM API spells it.
    pub fn as_api_str(self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }
}

/// A policy by type and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyRef {
    /// System or custom.
    pub policy_type: PolicyType,
    /// Policy name.
    pub name: String,
}

impl PolicyRef {
    /// A system policy reference.
    pub fn system(name: &str) -> Self {
        PolicyRef {
            policy_type: PolicyType::System,
            name: name.to_owned(),
        }
    }

    /// A custom policy reference.
    pub fn custom(name: &str) -> Self {
        PolicyRef {
            policy_type: PolicyType::Custom,
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} policy {}",
            self.policy_type.as_api_str().to_lowercase(),
            Quoted(&self.name)
        )
    }
}

/// Where an attachment applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id")]
pub enum Scope {
    /// Everything in the account.
    Account,
    /// Only resources in this resource group.
    ResourceGroup(String),
}

impl Scope {
    fn key_part(&self) -> &str {
        match self {
            Scope::Account => ACCOUNT_SCOPE_KEY,
            Scope::ResourceGroup(id) => id,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Account => f.write_str("account scope"),
            Scope::ResourceGroup(id) => write!(f, "resource group {}", Quoted(id)),
        }
    }
}

/// A policy attached to a principal in a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// User or group.
    pub principal: Principal,
    /// The policy.
    pub policy: PolicyRef,
    /// Account or resource group.
    pub scope: Scope,
    /// When it was attached.
    #[serde(with = "time::serde::rfc3339")]
    pub attached_at: OffsetDateTime,
}

/// How an attachment reaches a user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Via {
    /// Attached to the user itself.
    Direct,
    /// Attached to this group, of which the user is a member.
    Group(String),
}

/// An attachment that applies to a user, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentWithVia {
    /// The attachment.
    pub attachment: Attachment,
    /// Direct or through a group.
    pub via: Via,
}

/// Filter of [`ReadTx::list_attachments`]; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachmentFilter {
    /// Only this principal.
    pub principal: Option<Principal>,
    /// Only policies of this type.
    pub policy_type: Option<PolicyType>,
    /// Only policies of this name.
    pub policy_name: Option<String>,
    /// Only this scope.
    pub scope: Option<Scope>,
}

impl AttachmentFilter {
    fn matches(&self, a: &Attachment) -> bool {
        self.principal.as_ref().is_none_or(|p| *p == a.principal)
            && self.policy_type.is_none_or(|t| t == a.policy.policy_type)
            && self
                .policy_name
                .as_ref()
                .is_none_or(|n| *n == a.policy.name)
            && self.scope.as_ref().is_none_or(|s| *s == a.scope)
    }
}

/// A user holding a policy (ListEntitiesForPolicy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAttachment {
    /// The user.
    pub user: User,
    /// Scope of this attachment.
    pub scope: Scope,
    /// When it was attached.
    pub attached_at: OffsetDateTime,
}

/// A group holding a policy (ListEntitiesForPolicy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAttachment {
    /// The group.
    pub group: Group,
    /// Scope of this attachment.
    pub scope: Scope,
    /// When it was attached.
    pub attached_at: OffsetDateTime,
}

/// Everything a policy is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyEntities {
    /// Users, by name then scope.
    pub users: Vec<UserAttachment>,
    /// Groups, by name then scope.
    pub groups: Vec<GroupAttachment>,
}

fn principal_prefix(account: &str, p: &Principal) -> String {
    prefix(&[account, p.kind_key(), p.name()])
}

fn policy_prefix(account: &str, p: &PolicyRef) -> String {
    prefix(&[account, p.policy_type.as_api_str(), &p.name])
}

fn by_principal_key(account: &str, p: &Principal, policy: &PolicyRef, s: &Scope) -> String {
    key(&[
        account,
        p.kind_key(),
        p.name(),
        policy.policy_type.as_api_str(),
        &policy.name,
        s.key_part(),
    ])
}

fn by_policy_key(account: &str, p: &Principal, policy: &PolicyRef, s: &Scope) -> String {
    key(&[
        account,
        policy.policy_type.as_api_str(),
        &policy.name,
        p.kind_key(),
        p.name(),
        s.key_part(),
    ])
}

fn attachment_subject(p: &Principal, policy: &PolicyRef, s: &Scope) -> String {
    format!("attachment of {policy} to {p} at {s}")
}

impl ReadTx<'_> {
    fn check_principal(&self, account: &str, p: &Principal) -> Result<(), MetaError> {
        match p {
            Principal::User(n) => self.get_user(account, n).map(|_| ()),
            Principal::Group(n) => self.get_group(account, n).map(|_| ()),
        }
    }

    fn check_policy_ref(&self, account: &str, policy: &PolicyRef) -> Result<(), MetaError> {
        match policy.policy_type {
            PolicyType::Custom => self.get_policy(account, &policy.name).map(|_| ()),
            PolicyType::System => {
                validate_name(NameKind::PolicyName, &policy.name).map_err(MetaError::from)
            }
        }
    }

    pub(crate) fn direct_attachments(
        &self,
        account: &str,
        p: &Principal,
    ) -> Result<Vec<Attachment>, MetaError> {
        self.kv.values(ATTACHMENTS, &principal_prefix(account, p))
    }

    /// The policies attached directly to a user or group.
    pub fn list_attachments_for(
        &self,
        account: &str,
        principal: &Principal,
    ) -> Result<Vec<Attachment>, MetaError> {
        self.check_principal(account, principal)?;
        self.direct_attachments(account, principal)
    }

    pub(crate) fn attachments_of_policy(
        &self,
        account: &str,
        policy: &PolicyRef,
    ) -> Result<Vec<Attachment>, MetaError> {
        ids::check_account_id(account)?;
        validate_name(NameKind::PolicyName, &policy.name)?;
        self.kv
            .values(ATTACHMENTS_BY_POLICY, &policy_prefix(account, policy))
    }

    /// Every attachment that applies to `user`: its own, then those of each of its groups (by
    /// group name), each marked with how it applies. One snapshot, 2 + groups prefix scans.
    pub fn attachments_for_user_with_groups(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Vec<AttachmentWithVia>, MetaError> {
        self.get_user(account, user)?;
        let mut out: Vec<AttachmentWithVia> = self
            .direct_attachments(account, &Principal::User(user.to_owned()))?
            .into_iter()
            .map(|attachment| AttachmentWithVia {
                attachment,
                via: Via::Direct,
            })
            .collect();
        for group in self.group_names_of_user(account, user)? {
            let principal = Principal::Group(group.clone());
            for attachment in self.direct_attachments(account, &principal)? {
                out.push(AttachmentWithVia {
                    attachment,
                    via: Via::Group(group.clone()),
                });
            }
        }
        Ok(out)
    }

    /// The account's attachments matching `filter` (ListPolicyAttachments), using the principal
    /// or policy index when the filter names one.
    pub fn list_attachments(
        &self,
        account: &str,
        filter: &AttachmentFilter,
    ) -> Result<Vec<Attachment>, MetaError> {
        ids::check_account_id(account)?;
        let candidates = if let Some(p) = &filter.principal {
            match p {
                Principal::User(n) => validate_name(NameKind::UserName, n)?,
                Principal::Group(n) => validate_name(NameKind::GroupName, n)?,
            }
            self.direct_attachments(account, p)?
        } else if let (Some(t), Some(n)) = (filter.policy_type, &filter.policy_name) {
            self.attachments_of_policy(
                account,
                &PolicyRef {
                    policy_type: t,
                    name: n.clone(),
                },
            )?
        } else {
            self.kv.values(ATTACHMENTS, &prefix(&[account]))?
        };
        Ok(candidates
            .into_iter()
            .filter(|a| filter.matches(a))
            .collect())
    }

    /// The users and groups a policy is attached to (ListEntitiesForPolicy).
    pub fn entities_for_policy(
        &self,
        account: &str,
        policy: &PolicyRef,
    ) -> Result<PolicyEntities, MetaError> {
        self.check_policy_ref(account, policy)?;
        let mut out = PolicyEntities::default();
        for a in self.attachments_of_policy(account, policy)? {
            match &a.principal {
                Principal::User(n) => out.users.push(UserAttachment {
                    user: self.get_user(account, n)?,
                    scope: a.scope,
                    attached_at: a.attached_at,
                }),
                Principal::Group(n) => out.groups.push(GroupAttachment {
                    group: self.get_group(account, n)?,
                    scope: a.scope,
                    attached_at: a.attached_at,
                }),
            }
        }
        Ok(out)
    }
}

impl WriteTx<'_> {
    /// Attaches `policy` to `principal` in `scope`. Errors: the principal, custom policy or
    /// resource group missing; `EntityAlreadyExists.User.Policy` / `.Group.Policy` for a
    /// duplicate; `LimitExceeded.User.Policy` / `.Group.Policy` beyond 20 system or 10 custom.
    /// The caller checks that a system policy name exists.
    pub fn attach(
        &mut self,
        account: &str,
        principal: &Principal,
        policy: &PolicyRef,
        scope: &Scope,
    ) -> Result<Attachment, MetaError> {
        self.check_principal(account, principal)?;
        self.check_policy_ref(account, policy)?;
        if let Scope::ResourceGroup(id) = scope {
            self.get_resource_group(account, id)?;
        }
        let k = by_principal_key(account, principal, policy, scope);
        if self.kv.contains(ATTACHMENTS, &k)? {
            return Err(MetaError::exists(
                principal.attachment_entity(),
                account,
                attachment_subject(principal, policy, scope),
            ));
        }
        let same_type = self
            .direct_attachments(account, principal)?
            .iter()
            .filter(|a| a.policy.policy_type == policy.policy_type)
            .count();
        let max = match policy.policy_type {
            PolicyType::System => MAX_SYSTEM_POLICIES_PER_PRINCIPAL,
            PolicyType::Custom => MAX_CUSTOM_POLICIES_PER_PRINCIPAL,
        };
        if same_type >= max {
            let code = if principal.is_user() {
                "User.Policy"
            } else {
                "Group.Policy"
            };
            return Err(MetaError::limit(
                code,
                account,
                format!(
                    "{principal} already has {max} {} policy attachments, the maximum",
                    policy.policy_type.as_api_str().to_lowercase()
                ),
            ));
        }
        let attachment = Attachment {
            principal: principal.clone(),
            policy: policy.clone(),
            scope: scope.clone(),
            attached_at: self.now,
        };
        self.put_attachment(account, &attachment)?;
        Ok(attachment)
    }

    /// Detaches; `EntityNotExist.User.Policy` / `.Group.Policy` when not attached so.
    pub fn detach(
        &mut self,
        account: &str,
        principal: &Principal,
        policy: &PolicyRef,
        scope: &Scope,
    ) -> Result<(), MetaError> {
        self.check_principal(account, principal)?;
        validate_name(NameKind::PolicyName, &policy.name)?;
        if let Scope::ResourceGroup(id) = scope {
            ids::check_resource_group_id(id, account)?;
        }
        let k = by_principal_key(account, principal, policy, scope);
        let Some(existing) = self.kv.get::<Attachment>(ATTACHMENTS, &k)? else {
            return Err(MetaError::not_found(
                principal.attachment_entity(),
                account,
                attachment_subject(principal, policy, scope),
            ));
        };
        self.remove_attachment(account, &existing)
    }

    fn put_attachment(&self, account: &str, a: &Attachment) -> Result<(), MetaError> {
        self.w.put(
            ATTACHMENTS,
            &by_principal_key(account, &a.principal, &a.policy, &a.scope),
            a,
        )?;
        self.w.put(
            ATTACHMENTS_BY_POLICY,
            &by_policy_key(account, &a.principal, &a.policy, &a.scope),
            a,
        )
    }

    pub(crate) fn remove_attachment(&self, account: &str, a: &Attachment) -> Result<(), MetaError> {
        self.w.del(
            ATTACHMENTS,
            &by_principal_key(account, &a.principal, &a.policy, &a.scope),
        )?;
        self.w.del(
            ATTACHMENTS_BY_POLICY,
            &by_policy_key(account, &a.principal, &a.policy, &a.scope),
        )?;
        Ok(())
    }

    /// Moves a principal's attachments to its new name (user or group rename).
    pub(crate) fn rename_principal_attachments(
        &self,
        account: &str,
        old: &Principal,
        new_name: &str,
    ) -> Result<(), MetaError> {
        let renamed = old.with_name(new_name);
        for a in self.direct_attachments(account, old)? {
            self.remove_attachment(account, &a)?;
            self.put_attachment(
                account,
                &Attachment {
                    principal: renamed.clone(),
                    ..a
                },
            )?;
        }
        Ok(())
    }

    /// Number of attachments scoped to resource group `rg` (delete check).
    pub(crate) fn attachments_in_scope(&self, account: &str, rg: &str) -> Result<usize, MetaError> {
        let scope = Scope::ResourceGroup(rg.to_owned());
        Ok(self
            .kv
            .values::<Attachment>(ATTACHMENTS, &prefix(&[account]))?
            .iter()
            .filter(|a| a.scope == scope)
            .count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_matches_all_given_fields() {
        let a = Attachment {
            principal: Principal::User("alice".into()),
            policy: PolicyRef::system("AliyunMQFullAccess"),
            scope: Scope::Account,
            attached_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(AttachmentFilter::default().matches(&a));
        let f = AttachmentFilter {
            policy_type: Some(PolicyType::Custom),
            ..Default::default()
        };
        assert!(!f.matches(&a));
        let f = AttachmentFilter {
            principal: Some(Principal::User("alice".into())),
            scope: Some(Scope::Account),
            ..Default::default()
        };
        assert!(f.matches(&a));
    }

    #[test]
    fn scope_and_principal_keys_cannot_collide() {
        let p = Principal::User("alice".into());
        let k1 = by_principal_key("1", &p, &PolicyRef::custom("x"), &Scope::Account);
        let k2 = by_principal_key(
            "1",
            &p,
            &PolicyRef::custom("x"),
            &Scope::ResourceGroup("rg-1".into()),
        );
        assert_ne!(k1, k2);
        assert!(k1.starts_with(&principal_prefix("1", &p)));
    }
}
