//! Accounts (tenants): id, alias, the root login, the enabled flag and service activation.
//!
//! The root logs in as `root@<alias>` (a RAM user name cannot contain `@`, so it never clashes
//! with a user called `root`). Creating an account also creates its default resource group and a
//! first root AccessKey, in the same transaction.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::access_keys::{CreatedAccessKey, Owner};
use crate::catalog::{ReadTx, WriteTx};
use crate::error::MetaError;
use crate::ids;
use crate::password::PasswordHash;
use crate::tables::{
    ACCESS_KEYS, ACCESS_KEYS_BY_OWNER, ACCOUNT_ALIASES, ACCOUNT_SCOPED_TABLES, ACCOUNTS,
    DELETED_ACCOUNTS, INSTANCES, USER_IDS, USERS, last_component, prefix,
};

/// An account (tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 16-digit numeric id.
    pub id: String,
    /// Unique alias (3–32 lowercase letters, digits, hyphens).
    pub alias: String,
    /// A disabled account cannot log in or use its AccessKeys.
    pub enabled: bool,
    /// Id of the account's default resource group.
    pub default_resource_group_id: String,
    /// Service activation, once done.
    #[serde(default)]
    pub activation: Option<Activation>,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change of alias, state or root password.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Last successful root console login.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub root_last_login_at: Option<OffsetDateTime>,
}

impl Account {
    /// The root's login name: `root@<alias>`.
    pub fn root_login_name(&self) -> String {
        format!("root@{}", self.alias)
    }

    /// Whether the messaging service has been activated.
    pub fn is_activated(&self) -> bool {
        self.activation.is_some()
    }
}

/// Acceptance of the service terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    /// When the service was activated.
    #[serde(with = "time::serde::rfc3339")]
    pub activated_at: OffsetDateTime,
    /// Version of the terms accepted.
    pub terms_version: String,
}

/// Result of [`WriteTx::activate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationOutcome {
    /// The account's activation (the earlier one when it was already active).
    pub activation: Activation,
    /// True when the account had been activated before this call (nothing changed).
    pub already_activated: bool,
}

/// Input of [`WriteTx::create_account`].
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Unique alias.
    pub alias: String,
    /// Root password, hashed with [`crate::Catalog::hash_password`].
    pub root_password: PasswordHash,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredAccount {
    pub(crate) account: Account,
    pub(crate) root_password_hash: String,
}

impl ReadTx<'_> {
    pub(crate) fn stored_account(&self, id: &str) -> Result<StoredAccount, MetaError> {
        ids::check_account_id(id)?;
        self.kv
            .get::<StoredAccount>(ACCOUNTS, id)?
            .ok_or_else(|| MetaError::AccountNotFound { account: id.into() })
    }

    /// Fails with `EntityNotExist.Account` unless `id` is an existing account.
    pub(crate) fn require_account(&self, id: &str) -> Result<Account, MetaError> {
        self.stored_account(id).map(|s| s.account)
    }

    /// The account with this id.
    pub fn get_account(&self, id: &str) -> Result<Account, MetaError> {
        self.require_account(id)
    }

    /// The account whose alias or id is `alias_or_id`, if any.
    pub fn find_account(&self, alias_or_id: &str) -> Result<Option<Account>, MetaError> {
        if ids::check_account_id(alias_or_id).is_ok()
            && let Some(s) = self.kv.get::<StoredAccount>(ACCOUNTS, alias_or_id)?
        {
            return Ok(Some(s.account));
        }
        if alias_or_id.is_empty() || alias_or_id.len() > 64 || alias_or_id.contains('/') {
            return Ok(None);
        }
        match self.kv.get_str(ACCOUNT_ALIASES, alias_or_id)? {
            Some(id) => Ok(self
                .kv
                .get::<StoredAccount>(ACCOUNTS, &id)?
                .map(|s| s.account)),
            None => Ok(None),
        }
    }

    /// Every account, ordered by id.
    pub fn list_accounts(&self) -> Result<Vec<Account>, MetaError> {
        Ok(self
            .kv
            .values::<StoredAccount>(ACCOUNTS, "")?
            .into_iter()
            .map(|s| s.account)
            .collect())
    }
}

impl WriteTx<'_> {
    pub(crate) fn put_account(&self, stored: &StoredAccount) -> Result<(), MetaError> {
        self.w.put(ACCOUNTS, &stored.account.id, stored)
    }

    /// Creates an account with its default resource group and a first root AccessKey, whose
    /// secret is returned here and never again.
    pub fn create_account(
        &mut self,
        new: NewAccount,
    ) -> Result<(Account, CreatedAccessKey), MetaError> {
        petrel_model::validate_name(petrel_model::NameKind::AccountAlias, &new.alias)?;
        if self.kv.contains(ACCOUNT_ALIASES, &new.alias)? {
            return Err(MetaError::AliasTaken { alias: new.alias });
        }
        let mut id = ids::account_id();
        // A deleted account's id is never handed out again: stale references to it (message
        // log entries kept until retention, consumer progress, copies of its ARNs in other
        // accounts' policies) must never come to name a new tenant.
        while self.kv.contains(ACCOUNTS, &id)? || self.kv.contains(DELETED_ACCOUNTS, &id)? {
            id = ids::account_id();
        }
        let default_rg = self.insert_default_resource_group(&id)?;
        let account = Account {
            id: id.clone(),
            alias: new.alias.clone(),
            enabled: true,
            default_resource_group_id: default_rg,
            activation: None,
            created_at: self.now,
            updated_at: self.now,
            root_last_login_at: None,
        };
        self.put_account(&StoredAccount {
            account: account.clone(),
            root_password_hash: new.root_password.as_phc().to_owned(),
        })?;
        self.w.put_raw(ACCOUNT_ALIASES, &new.alias, id.as_bytes())?;
        let key = self.create_access_key(&id, &Owner::Root)?;
        Ok((account, key))
    }

    /// Changes the alias (and so the root login name).
    pub fn set_account_alias(&mut self, id: &str, alias: &str) -> Result<Account, MetaError> {
        petrel_model::validate_name(petrel_model::NameKind::AccountAlias, alias)?;
        let mut stored = self.stored_account(id)?;
        if stored.account.alias == alias {
            return Ok(stored.account);
        }
        if self.kv.contains(ACCOUNT_ALIASES, alias)? {
            return Err(MetaError::AliasTaken {
                alias: alias.into(),
            });
        }
        self.w.del(ACCOUNT_ALIASES, &stored.account.alias)?;
        self.w.put_raw(ACCOUNT_ALIASES, alias, id.as_bytes())?;
        stored.account.alias = alias.to_owned();
        stored.account.updated_at = self.now;
        self.put_account(&stored)?;
        Ok(stored.account)
    }

    /// Enables or disables the account.
    pub fn set_account_enabled(&mut self, id: &str, enabled: bool) -> Result<Account, MetaError> {
        let mut stored = self.stored_account(id)?;
        stored.account.enabled = enabled;
        stored.account.updated_at = self.now;
        self.put_account(&stored)?;
        Ok(stored.account)
    }

    /// Deletes the account and everything below it: users, keys, groups, policies, grants,
    /// resource groups, instances, topics, consumer groups, audit log. Refused with
    /// `DeleteConflict.Account.Instance` while it has instances, unless `force`. The id is kept
    /// as a tombstone so that it is never reused. Returns the deleted account.
    pub fn delete_account(&mut self, id: &str, force: bool) -> Result<Account, MetaError> {
        let stored = self.stored_account(id)?;
        let instances = self.kv.count(INSTANCES, &prefix(&[id]))?;
        if instances > 0 && !force {
            return Err(MetaError::conflict(
                "Account.Instance",
                id,
                format!("account `{id}` ({})", stored.account.alias),
                format!(
                    "it still has {instances} instance(s); delete them first or force the deletion"
                ),
            ));
        }
        let mine = prefix(&[id]);
        for owned in self.kv.keys(ACCESS_KEYS_BY_OWNER, &mine)? {
            self.w.del(ACCESS_KEYS, last_component(&owned))?;
        }
        for user in self.kv.values::<crate::users::User>(USERS, &mine)? {
            self.w.del(USER_IDS, &user.user_id)?;
        }
        for table in ACCOUNT_SCOPED_TABLES {
            self.w.del_prefix(*table, &mine)?;
        }
        self.w.del(ACCOUNT_ALIASES, &stored.account.alias)?;
        self.w.del(ACCOUNTS, id)?;
        let when = self
            .now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.w.put_raw(DELETED_ACCOUNTS, id, when.as_bytes())?;
        Ok(stored.account)
    }

    /// Replaces the root password.
    pub fn set_root_password(
        &mut self,
        id: &str,
        password: &PasswordHash,
    ) -> Result<(), MetaError> {
        let mut stored = self.stored_account(id)?;
        stored.root_password_hash = password.as_phc().to_owned();
        stored.account.updated_at = self.now;
        self.put_account(&stored)
    }

    /// Activates the messaging service for the account. Idempotent: a second call changes
    /// nothing and returns the first activation with `already_activated` set.
    pub fn activate(
        &mut self,
        id: &str,
        terms_version: &str,
    ) -> Result<ActivationOutcome, MetaError> {
        ids::check_required_text("TermsVersion", "terms version", terms_version, 64)?;
        let mut stored = self.stored_account(id)?;
        if let Some(existing) = &stored.account.activation {
            return Ok(ActivationOutcome {
                activation: existing.clone(),
                already_activated: true,
            });
        }
        let activation = Activation {
            activated_at: self.now,
            terms_version: terms_version.to_owned(),
        };
        stored.account.activation = Some(activation.clone());
        stored.account.updated_at = self.now;
        self.put_account(&stored)?;
        Ok(ActivationOutcome {
            activation,
            already_activated: false,
        })
    }
}
