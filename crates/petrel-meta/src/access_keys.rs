//! AccessKeys of the root and of RAM users: creation (the secret is shown once), status, deletion,
//! and the global id → key index that request authentication uses.
//!
//! Secrets are stored sealed (see [`crate::seal`]); only [`crate::Catalog::unseal_secret`] opens
//! them. At most [`MAX_ACCESS_KEYS`] per owner.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::ids;
use crate::seal::Secret;
use crate::tables::{ACCESS_KEYS, ACCESS_KEYS_BY_OWNER, last_component, prefix};

/// AccessKeys per RAM user, and for the root.
pub const MAX_ACCESS_KEYS: usize = 2;

/// Who an AccessKey belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name")]
pub enum Owner {
    /// The account's root.
    Root,
    /// A RAM user, by name.
    User(String),
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Root => f.write_str("the root"),
            Owner::User(name) => write!(f, "user {}", Quoted(name)),
        }
    }
}

/// Whether a key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    /// Usable.
    Active,
    /// Refused by authentication, kept for later reactivation.
    Inactive,
}

impl AccessKeyStatus {
    /// `Active` or `Inactive`, as the RAM API spells it.
    pub fn as_api_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }
}

/// An AccessKey without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `LTAI` + 20 base62 characters.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning principal.
    pub owner: Owner,
    /// Active or inactive.
    pub status: AccessKeyStatus,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last successful use, as recorded with [`WriteTx::touch_access_key`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// An AccessKey with its sealed secret, as stored. Open the secret with
/// [`crate::Catalog::unseal_secret`].
#[derive(Clone, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// The key.
    pub access_key: AccessKey,
    sealed_secret: String,
}

impl AccessKeyRecord {
    pub(crate) fn sealed_secret(&self) -> &str {
        &self.sealed_secret
    }
}

impl fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key", &self.access_key)
            .field("sealed_secret", &"<sealed>")
            .finish()
    }
}

/// A new AccessKey and its secret. The secret is available only here.
#[derive(Debug, Clone)]
pub struct CreatedAccessKey {
    /// The AccessKey id.
    pub id: String,
    /// The secret; show it once.
    pub secret: Secret,
    /// The key's record.
    pub access_key: AccessKey,
}

fn owner_prefix(account: &str, owner: &Owner) -> String {
    match owner {
        Owner::Root => prefix(&[account, "root"]),
        Owner::User(name) => prefix(&[account, "user", name]),
    }
}

impl ReadTx<'_> {
    fn check_owner(&self, account: &str, owner: &Owner) -> Result<(), MetaError> {
        match owner {
            Owner::Root => self.require_account(account).map(|_| ()),
            Owner::User(name) => self.get_user(account, name).map(|_| ()),
        }
    }

    /// The keys of `owner`, oldest first.
    pub fn list_access_keys(
        &self,
        account: &str,
        owner: &Owner,
    ) -> Result<Vec<AccessKey>, MetaError> {
        self.check_owner(account, owner)?;
        let mut keys = Vec::new();
        for k in self
            .kv
            .keys(ACCESS_KEYS_BY_OWNER, &owner_prefix(account, owner))?
        {
            if let Some(r) = self
                .kv
                .get::<AccessKeyRecord>(ACCESS_KEYS, last_component(&k))?
            {
                keys.push(r.access_key);
            }
        }
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(keys)
    }

    /// The key `id` of `owner` in `account`; `EntityNotExist.User.AccessKey` when it belongs to
    /// anyone else.
    pub fn get_access_key(
        &self,
        account: &str,
        owner: &Owner,
        id: &str,
    ) -> Result<AccessKey, MetaError> {
        self.owned_record(account, owner, id).map(|r| r.access_key)
    }

    fn owned_record(
        &self,
        account: &str,
        owner: &Owner,
        id: &str,
    ) -> Result<AccessKeyRecord, MetaError> {
        self.check_owner(account, owner)?;
        match self.lookup_access_key(id)? {
            Some(r) if r.access_key.account_id == account && &r.access_key.owner == owner => Ok(r),
            _ => Err(MetaError::not_found(
                Entity::AccessKey,
                account,
                format!("access key {} of {owner}", Quoted(id)),
            )),
        }
    }

    /// The key with this id in any account, with its sealed secret: the authentication lookup.
    pub fn lookup_access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>, MetaError> {
        if id.is_empty() || id.len() > 128 {
            return Ok(None);
        }
        self.kv.get(ACCESS_KEYS, id)
    }
}

impl WriteTx<'_> {
    /// Creates a key for `owner`; `LimitExceeded.User.AccessKey` when it has two already.
    pub fn create_access_key(
        &mut self,
        account: &str,
        owner: &Owner,
    ) -> Result<CreatedAccessKey, MetaError> {
        self.check_owner(account, owner)?;
        let owned = owner_prefix(account, owner);
        if self.kv.count(ACCESS_KEYS_BY_OWNER, &owned)? >= MAX_ACCESS_KEYS {
            return Err(MetaError::limit(
                "User.AccessKey",
                account,
                format!("{owner} already has {MAX_ACCESS_KEYS} access keys, the maximum"),
            ));
        }
        let mut id = ids::access_key_id();
        while self.kv.contains(ACCESS_KEYS, &id)? {
            id = ids::access_key_id();
        }
        let secret = Secret::new(ids::access_key_secret());
        let access_key = AccessKey {
            id: id.clone(),
            account_id: account.to_owned(),
            owner: owner.clone(),
            status: AccessKeyStatus::Active,
            created_at: self.now,
            last_used_at: None,
        };
        let record = AccessKeyRecord {
            access_key: access_key.clone(),
            sealed_secret: self.inner.sealer.seal_secret(&id, &secret)?,
        };
        self.w.put(ACCESS_KEYS, &id, &record)?;
        self.w
            .put_raw(ACCESS_KEYS_BY_OWNER, &format!("{owned}{id}"), &[])?;
        Ok(CreatedAccessKey {
            id,
            secret,
            access_key,
        })
    }

    /// Activates or deactivates a key of `owner`.
    pub fn set_access_key_status(
        &mut self,
        account: &str,
        owner: &Owner,
        id: &str,
        status: AccessKeyStatus,
    ) -> Result<AccessKey, MetaError> {
        let mut record = self.owned_record(account, owner, id)?;
        record.access_key.status = status;
        self.w.put(ACCESS_KEYS, id, &record)?;
        Ok(record.access_key)
    }

    /// Deletes a key of `owner`.
    pub fn delete_access_key(
        &mut self,
        account: &str,
        owner: &Owner,
        id: &str,
    ) -> Result<(), MetaError> {
        self.owned_record(account, owner, id)?;
        self.remove_access_key(account, owner, id)
    }

    pub(crate) fn remove_access_key(
        &self,
        account: &str,
        owner: &Owner,
        id: &str,
    ) -> Result<(), MetaError> {
        self.w.del(ACCESS_KEYS, id)?;
        self.w.del(
            ACCESS_KEYS_BY_OWNER,
            &format!("{}{id}", owner_prefix(account, owner)),
        )?;
        Ok(())
    }

    /// Records a successful use of key `id` at `at`. Unknown ids are ignored. Every call is a
    /// write, so callers should coalesce (e.g. at most once a minute per key).
    pub fn touch_access_key(&mut self, id: &str, at: OffsetDateTime) -> Result<(), MetaError> {
        if let Some(mut record) = self.lookup_access_key(id)? {
            record.access_key.last_used_at = Some(at);
            self.w.put(ACCESS_KEYS, id, &record)?;
        }
        Ok(())
    }

    /// Moves a user's keys to a new owner name (user rename).
    pub(crate) fn rename_access_key_owner(
        &self,
        account: &str,
        from: &str,
        to: &str,
    ) -> Result<(), MetaError> {
        let old = Owner::User(from.to_owned());
        let new = Owner::User(to.to_owned());
        for k in self
            .kv
            .keys(ACCESS_KEYS_BY_OWNER, &owner_prefix(account, &old))?
        {
            let id = last_component(&k).to_owned();
            if let Some(mut record) = self.kv.get::<AccessKeyRecord>(ACCESS_KEYS, &id)? {
                record.access_key.owner = new.clone();
                self.w.put(ACCESS_KEYS, &id, &record)?;
            }
            self.w.del(ACCESS_KEYS_BY_OWNER, &k)?;
            self.w.put_raw(
                ACCESS_KEYS_BY_OWNER,
                &format!("{}{id}", owner_prefix(account, &new)),
                &[],
            )?;
        }
        Ok(())
    }

    /// Ids of a user's keys (for delete checks and cascades).
    pub(crate) fn user_access_key_ids(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Vec<String>, MetaError> {
        Ok(self
            .kv
            .keys(
                ACCESS_KEYS_BY_OWNER,
                &owner_prefix(account, &Owner::User(user.to_owned())),
            )?
            .iter()
            .map(|k| last_component(k).to_owned())
            .collect())
    }
}
