//! Custom policies and their versions (`v1`, `v2`, … monotonic, never reused; at most five; one
//! default). Documents are stored as given: parsing and validation belong to `petrel-iam` and
//! happen before these calls. System policies live in `petrel-iam`, not here.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::attachments::PolicyRef;
use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::ids;
use crate::tables::{POLICIES, POLICY_VERSIONS, key, prefix};
use petrel_model::{NameKind, validate_name};

/// Custom policies per account.
pub const MAX_POLICIES: usize = 1_500;
/// Versions per custom policy.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// Longest policy document, in characters.
pub const MAX_POLICY_DOCUMENT_CHARS: usize = 6_144;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1_024;

/// A custom policy (without its documents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Name, unique in the account: 1–128 letters, digits, hyphens.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Id of the default version (`v3`).
    pub default_version: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change (description, versions, default).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One version of a custom policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// Whether this is the version that is evaluated.
    pub is_default: bool,
    /// The policy document, as given.
    pub document: String,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// What [`WriteTx::create_policy_version`] does when the policy already has five versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotateStrategy {
    /// Refuse with `LimitExceeded.Policy.Version`.
    #[default]
    None,
    /// Delete the oldest version that is not the default, then create.
    DeleteOldestNonDefaultVersionWhenLimitExceeded,
}

/// Input of [`WriteTx::create_policy`].
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    /// Policy name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Document of `v1` (validated by the caller).
    pub document: String,
}

/// Input of [`WriteTx::create_policy_version`].
#[derive(Debug, Clone, Default)]
pub struct NewPolicyVersion {
    /// Document (validated by the caller).
    pub document: String,
    /// Make the new version the default.
    pub set_as_default: bool,
    /// What to do at the version limit.
    pub rotate_strategy: RotateStrategy,
}

#[derive(Serialize, Deserialize)]
struct StoredPolicy {
    policy: Policy,
    /// Number the next version gets; only ever grows, so ids are never reused.
    next_version: u32,
}

#[derive(Serialize, Deserialize)]
struct StoredVersion {
    number: u32,
    document: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

fn version_id(number: u32) -> String {
    format!("v{number}")
}

fn version_key(account: &str, policy: &str, number: u32) -> String {
    key(&[account, policy, &format!("{number:010}")])
}

pub(crate) fn policy_subject(name: &str) -> String {
    format!("policy {}", Quoted(name))
}

fn parse_version_id(id: &str) -> Result<u32, MetaError> {
    id.strip_prefix('v')
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| {
            MetaError::invalid(
                "VersionId.Format",
                format!("version id {} must look like `v1`", Quoted(id)),
            )
        })
}

fn check_document(document: &str) -> Result<(), MetaError> {
    let len = document.chars().count();
    if document.trim().is_empty() || len > MAX_POLICY_DOCUMENT_CHARS {
        return Err(MetaError::invalid(
            "PolicyDocument.Length",
            format!(
                "policy document must be 1 to {MAX_POLICY_DOCUMENT_CHARS} characters long, got {len}"
            ),
        ));
    }
    Ok(())
}

fn check_description(description: &str) -> Result<(), MetaError> {
    ids::check_text(
        "Description",
        "description",
        description,
        MAX_DESCRIPTION_CHARS,
        true,
    )
}

impl ReadTx<'_> {
    fn stored_policy(&self, account: &str, name: &str) -> Result<StoredPolicy, MetaError> {
        validate_name(NameKind::PolicyName, name)?;
        ids::check_account_id(account)?;
        self.kv
            .get(POLICIES, &key(&[account, name]))?
            .ok_or_else(|| MetaError::not_found(Entity::Policy, account, policy_subject(name)))
    }

    /// The custom policy `name`; `EntityNotExist.Policy` when missing.
    pub fn get_policy(&self, account: &str, name: &str) -> Result<Policy, MetaError> {
        self.stored_policy(account, name).map(|s| s.policy)
    }

    /// The account's custom policies, ordered by name.
    pub fn list_policies(&self, account: &str) -> Result<Vec<Policy>, MetaError> {
        ids::check_account_id(account)?;
        Ok(self
            .kv
            .values::<StoredPolicy>(POLICIES, &prefix(&[account]))?
            .into_iter()
            .map(|s| s.policy)
            .collect())
    }

    fn versions_of(&self, account: &str, policy: &Policy) -> Result<Vec<PolicyVersion>, MetaError> {
        Ok(self
            .kv
            .values::<StoredVersion>(POLICY_VERSIONS, &prefix(&[account, &policy.name]))?
            .into_iter()
            .map(|v| {
                let id = version_id(v.number);
                PolicyVersion {
                    is_default: id == policy.default_version,
                    version_id: id,
                    document: v.document,
                    created_at: v.created_at,
                }
            })
            .collect())
    }

    /// The versions of `name`, oldest first.
    pub fn list_policy_versions(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<PolicyVersion>, MetaError> {
        let policy = self.get_policy(account, name)?;
        self.versions_of(account, &policy)
    }

    /// One version; `EntityNotExist.Policy.Version` when missing.
    pub fn get_policy_version(
        &self,
        account: &str,
        name: &str,
        version: &str,
    ) -> Result<PolicyVersion, MetaError> {
        let number = parse_version_id(version)?;
        let policy = self.get_policy(account, name)?;
        let stored: StoredVersion = self
            .kv
            .get(POLICY_VERSIONS, &version_key(account, name, number))?
            .ok_or_else(|| {
                MetaError::not_found(
                    Entity::PolicyVersion,
                    account,
                    format!("version {} of {}", Quoted(version), policy_subject(name)),
                )
            })?;
        Ok(PolicyVersion {
            is_default: version == policy.default_version,
            version_id: version.to_owned(),
            document: stored.document,
            created_at: stored.created_at,
        })
    }

    /// The default version, i.e. the document that is evaluated.
    pub fn get_default_policy_version(
        &self,
        account: &str,
        name: &str,
    ) -> Result<PolicyVersion, MetaError> {
        let policy = self.get_policy(account, name)?;
        self.get_policy_version(account, name, &policy.default_version)
    }

    /// How many attachments refer to the policy (AttachmentCount of GetPolicy/ListPolicies).
    pub fn policy_attachment_count(
        &self,
        account: &str,
        policy: &PolicyRef,
    ) -> Result<usize, MetaError> {
        Ok(self.attachments_of_policy(account, policy)?.len())
    }
}

impl WriteTx<'_> {
    /// Creates a custom policy with `v1` as default; `EntityAlreadyExists.Policy` when the name
    /// is taken, `LimitExceeded.Policy` beyond 1,500.
    pub fn create_policy(&mut self, account: &str, new: NewPolicy) -> Result<Policy, MetaError> {
        validate_name(NameKind::PolicyName, &new.name)?;
        let description = new.description.unwrap_or_default();
        check_description(&description)?;
        check_document(&new.document)?;
        self.require_account(account)?;
        let k = key(&[account, &new.name]);
        if self.kv.contains(POLICIES, &k)? {
            return Err(MetaError::exists(
                Entity::Policy,
                account,
                policy_subject(&new.name),
            ));
        }
        if self.kv.count(POLICIES, &prefix(&[account]))? >= MAX_POLICIES {
            return Err(MetaError::limit(
                "Policy",
                account,
                format!("an account can have at most {MAX_POLICIES} custom policies"),
            ));
        }
        let policy = Policy {
            name: new.name.clone(),
            description,
            default_version: version_id(1),
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(
            POLICIES,
            &k,
            &StoredPolicy {
                policy: policy.clone(),
                next_version: 2,
            },
        )?;
        self.w.put(
            POLICY_VERSIONS,
            &version_key(account, &new.name, 1),
            &StoredVersion {
                number: 1,
                document: new.document,
                created_at: self.now,
            },
        )?;
        Ok(policy)
    }

    /// Replaces the description.
    pub fn update_policy_description(
        &mut self,
        account: &str,
        name: &str,
        description: &str,
    ) -> Result<Policy, MetaError> {
        check_description(description)?;
        let mut stored = self.stored_policy(account, name)?;
        stored.policy.description = description.to_owned();
        stored.policy.updated_at = self.now;
        self.w.put(POLICIES, &key(&[account, name]), &stored)?;
        Ok(stored.policy)
    }

    /// Adds a version. At five versions: `LimitExceeded.Policy.Version`, or with
    /// [`RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded`] the oldest non-default
    /// version is deleted first.
    pub fn create_policy_version(
        &mut self,
        account: &str,
        name: &str,
        new: NewPolicyVersion,
    ) -> Result<PolicyVersion, MetaError> {
        check_document(&new.document)?;
        let mut stored = self.stored_policy(account, name)?;
        let versions = self.versions_of(account, &stored.policy)?;
        if versions.len() >= MAX_POLICY_VERSIONS {
            match new.rotate_strategy {
                RotateStrategy::None => {
                    return Err(MetaError::limit(
                        "Policy.Version",
                        account,
                        format!(
                            "{} already has {MAX_POLICY_VERSIONS} versions, the maximum; delete \
                             one or use the rotate strategy",
                            policy_subject(name)
                        ),
                    ));
                }
                RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded => {
                    // Versions come back oldest first, so the first non-default one goes.
                    if let Some(oldest) = versions.iter().find(|v| !v.is_default) {
                        let number = parse_version_id(&oldest.version_id)?;
                        self.w
                            .del(POLICY_VERSIONS, &version_key(account, name, number))?;
                    }
                }
            }
        }
        let number = stored.next_version;
        stored.next_version = number.saturating_add(1);
        let id = version_id(number);
        if new.set_as_default {
            stored.policy.default_version = id.clone();
        }
        stored.policy.updated_at = self.now;
        self.w.put(POLICIES, &key(&[account, name]), &stored)?;
        self.w.put(
            POLICY_VERSIONS,
            &version_key(account, name, number),
            &StoredVersion {
                number,
                document: new.document.clone(),
                created_at: self.now,
            },
        )?;
        Ok(PolicyVersion {
            version_id: id,
            is_default: new.set_as_default,
            document: new.document,
            created_at: self.now,
        })
    }

    /// Makes `version` the evaluated one.
    pub fn set_default_policy_version(
        &mut self,
        account: &str,
        name: &str,
        version: &str,
    ) -> Result<Policy, MetaError> {
        self.get_policy_version(account, name, version)?;
        let mut stored = self.stored_policy(account, name)?;
        stored.policy.default_version = version.to_owned();
        stored.policy.updated_at = self.now;
        self.w.put(POLICIES, &key(&[account, name]), &stored)?;
        Ok(stored.policy)
    }

    /// Deletes a non-default version; the default is refused with
    /// `DeleteConflict.Policy.Version.Default`.
    pub fn delete_policy_version(
        &mut self,
        account: &str,
        name: &str,
        version: &str,
    ) -> Result<(), MetaError> {
        let v = self.get_policy_version(account, name, version)?;
        if v.is_default {
            return Err(MetaError::conflict(
                "Policy.Version.Default",
                account,
                format!("version {} of {}", Quoted(version), policy_subject(name)),
                "it is the default version; make another version the default first",
            ));
        }
        let number = parse_version_id(version)?;
        self.w
            .del(POLICY_VERSIONS, &version_key(account, name, number))?;
        let mut stored = self.stored_policy(account, name)?;
        stored.policy.updated_at = self.now;
        self.w.put(POLICIES, &key(&[account, name]), &stored)
    }

    /// Deletes a custom policy. Without `cascade`, refused while attached to a user
    /// (`DeleteConflict.Policy.User`) or group (`.Policy.Group`), or while it has non-default
    /// versions (`.Policy.Version`); with `cascade`, detaches and deletes all of those.
    pub fn delete_policy(
        &mut self,
        account: &str,
        name: &str,
        cascade: bool,
    ) -> Result<(), MetaError> {
        let policy = self.get_policy(account, name)?;
        let pref = PolicyRef::custom(name);
        let attachments = self.attachments_of_policy(account, &pref)?;
        if !cascade {
            let users = attachments.iter().filter(|a| a.principal.is_user()).count();
            if users > 0 {
                return Err(MetaError::conflict(
                    "Policy.User",
                    account,
                    policy_subject(name),
                    format!("it is attached to {users} user attachment(s); detach it first"),
                ));
            }
            let groups = attachments.len() - users;
            if groups > 0 {
                return Err(MetaError::conflict(
                    "Policy.Group",
                    account,
                    policy_subject(name),
                    format!("it is attached to {groups} group attachment(s); detach it first"),
                ));
            }
            let extra = self.versions_of(account, &policy)?.len().saturating_sub(1);
            if extra > 0 {
                return Err(MetaError::conflict(
                    "Policy.Version",
                    account,
                    policy_subject(name),
                    format!("it has {extra} non-default version(s); delete them first"),
                ));
            }
        }
        for a in &attachments {
            self.remove_attachment(account, a)?;
        }
        self.w
            .del_prefix(POLICY_VERSIONS, &prefix(&[account, name]))?;
        self.w.del(POLICIES, &key(&[account, name]))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_parse_strictly() {
        assert_eq!(parse_version_id("v1").unwrap(), 1);
        assert_eq!(parse_version_id("v12").unwrap(), 12);
        for bad in ["1", "v", "v01", "v-1", "V1", "v1x"] {
            let e = parse_version_id(bad).unwrap_err();
            assert_eq!(e.code().as_str(), "InvalidParameter.VersionId.Format");
        }
    }

    #[test]
    fn version_keys_sort_numerically() {
        assert!(version_key("a", "p", 9) < version_key("a", "p", 10));
    }
}
