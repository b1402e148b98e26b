//! The physical layout: every redb table, its key format, and the small key-value layer that lets
//! the same read code run inside a read or a write transaction.
//!
//! All entity tables map a `/`-separated string key to a JSON value (the public entity types,
//! serialized with serde; a new field must be `#[serde(default)]` or come with a migration). Key
//! components are validated names that cannot contain `/`, so a prefix ending in `/` selects
//! exactly one parent's children.
//! Everything below an account starts with the account id, which is what keeps accounts apart.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `schema_version`, `audit_seq` | `u64` |
//! | `meta_blobs` | `master_key_check` | bytes |
//! | `accounts` | `{account}` | account + root password hash |
//! | `account_aliases` | `{alias}` | account id (UTF-8) |
//! | `access_keys` | `{ak}` | AccessKey + sealed secret (global: authentication index) |
//! | `access_keys_by_owner` | `{account}/root/{ak}`, `{account}/user/{name}/{ak}` | empty |
//! | `users` | `{account}/{user}` | user |
//! | `user_ids` | `{user_id}` | `{account}/{user}` (global uniqueness of ids) |
//! | `login_profiles` | `{account}/{user}` | login profile + password hash |
//! | `groups` | `{account}/{group}` | group |
//! | `groups_of_user` | `{account}/{user}/{group}` | join time |
//! | `users_of_group` | `{account}/{group}/{user}` | join time |
//! | `policies` | `{account}/{policy}` | custom policy |
//! | `policy_versions` | `{account}/{policy}/{n:010}` | version |
//! | `attachments` | `{account}/{user\|group}/{principal}/{System\|Custom}/{policy}/{scope}` | attachment |
//! | `attachments_by_policy` | `{account}/{System\|Custom}/{policy}/{user\|group}/{principal}/{scope}` | attachment |
//! | `resource_groups` | `{account}/{rg}` | resource group |
//! | `resource_group_names` | `{account}/{name}` | rg id (UTF-8) |
//! | `resource_group_members` | `{account}/{rg}/{instance}` | empty |
//! | `instances` | `{account}/{instance}` | instance |
//! | `topics` | `{account}/{instance}/{topic}` | topic |
//! | `consumer_groups` | `{account}/{instance}/{group}` | consumer group |
//! | `audit` | `{account}/{seq:020}` | audit record |
//! | `deleted_accounts` | `{account}` | deletion time (RFC 3339): ids are never reused |

use std::ops::ControlFlow;

use redb::{ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{MetaError, storage};

/// An entity table: string key → serialized value.
pub(crate) type Tbl = TableDefinition<'static, &'static str, &'static [u8]>;

/// Counters and the schema version.
pub(crate) const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
/// Small binary values that are not entities (the master-key check).
pub(crate) const META_BLOBS: Tbl = TableDefinition::new("meta_blobs");

pub(crate) const ACCOUNTS: Tbl = TableDefinition::new("accounts");
pub(crate) const ACCOUNT_ALIASES: Tbl = TableDefinition::new("account_aliases");
pub(crate) const ACCESS_KEYS: Tbl = TableDefinition::new("access_keys");
pub(crate) const ACCESS_KEYS_BY_OWNER: Tbl = TableDefinition::new("access_keys_by_owner");
pub(crate) const USERS: Tbl = TableDefinition::new("users");
pub(crate) const USER_IDS: Tbl = TableDefinition::new("user_ids");
pub(crate) const LOGIN_PROFILES: Tbl = TableDefinition::new("login_profiles");
pub(crate) const GROUPS: Tbl = TableDefinition::new("groups");
pub(crate) const GROUPS_OF_USER: Tbl = TableDefinition::new("groups_of_user");
pub(crate) const USERS_OF_GROUP: Tbl = TableDefinition::new("users_of_group");
pub(crate) const POLICIES: Tbl = TableDefinition::new("policies");
pub(crate) const POLICY_VERSIONS: Tbl = TableDefinition::new("policy_versions");
pub(crate) const ATTACHMENTS: Tbl = TableDefinition::new("attachments");
pub(crate) const ATTACHMENTS_BY_POLICY: Tbl = TableDefinition::new("attachments_by_policy");
pub(crate) const RESOURCE_GROUPS: Tbl = TableDefinition::new("resource_groups");
pub(crate) const RESOURCE_GROUP_NAMES: Tbl = TableDefinition::new("resource_group_names");
pub(crate) const RESOURCE_GROUP_MEMBERS: Tbl = TableDefinition::new("resource_group_members");
pub(crate) const INSTANCES: Tbl = TableDefinition::new("instances");
pub(crate) const TOPICS: Tbl = TableDefinition::new("topics");
pub(crate) const CONSUMER_GROUPS: Tbl = TableDefinition::new("consumer_groups");
pub(crate) const AUDIT: Tbl = TableDefinition::new("audit");
pub(crate) const DELETED_ACCOUNTS: Tbl = TableDefinition::new("deleted_accounts");

/// The tables whose keys all start with `{account}/`: deleting an account empties its prefix
/// in each.
pub(crate) const ACCOUNT_SCOPED_TABLES: &[Tbl] = &[
    ACCESS_KEYS_BY_OWNER,
    USERS,
    LOGIN_PROFILES,
    GROUPS,
    GROUPS_OF_USER,
    USERS_OF_GROUP,
    POLICIES,
    POLICY_VERSIONS,
    ATTACHMENTS,
    ATTACHMENTS_BY_POLICY,
    RESOURCE_GROUPS,
    RESOURCE_GROUP_NAMES,
    RESOURCE_GROUP_MEMBERS,
    INSTANCES,
    TOPICS,
    CONSUMER_GROUPS,
    AUDIT,
];

/// Every entity table, so that opening a catalogue can create them all up front (a read
/// transaction cannot open a table that was never created).
pub(crate) const ENTITY_TABLES: &[Tbl] = &[
    META_BLOBS,
    ACCOUNTS,
    ACCOUNT_ALIASES,
    ACCESS_KEYS,
    ACCESS_KEYS_BY_OWNER,
    USERS,
    USER_IDS,
    LOGIN_PROFILES,
    GROUPS,
    GROUPS_OF_USER,
    USERS_OF_GROUP,
    POLICIES,
    POLICY_VERSIONS,
    ATTACHMENTS,
    ATTACHMENTS_BY_POLICY,
    RESOURCE_GROUPS,
    RESOURCE_GROUP_NAMES,
    RESOURCE_GROUP_MEMBERS,
    INSTANCES,
    TOPICS,
    CONSUMER_GROUPS,
    AUDIT,
    DELETED_ACCOUNTS,
];

/// Joins key components with `/`.
pub(crate) fn key(parts: &[&str]) -> String {
    parts.join("/")
}

/// Joins key components with `/` and appends a trailing `/`, selecting the children of a parent.
pub(crate) fn prefix(parts: &[&str]) -> String {
    let mut p = parts.join("/");
    p.push('/');
    p
}

/// The last component of a key.
pub(crate) fn last_component(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// The transaction a read runs in. Both kinds see the same tables through this one type, so the
/// read methods are written once and work inside a write (seeing its own uncommitted changes).
#[derive(Clone, Copy)]
pub(crate) enum Kv<'a> {
    Read(&'a redb::ReadTransaction),
    Write(&'a redb::WriteTransaction),
}

fn table_name(t: Tbl) -> String {
    use redb::TableHandle;
    t.name().to_owned()
}

fn decode<T: DeserializeOwned>(t: Tbl, key: &str, bytes: &[u8]) -> Result<T, MetaError> {
    serde_json::from_slice(bytes).map_err(|e| MetaError::Corrupt {
        table: table_name(t),
        key: key.to_owned(),
        detail: e.to_string(),
    })
}

pub(crate) fn encode<T: Serialize>(t: Tbl, key: &str, value: &T) -> Result<Vec<u8>, MetaError> {
    serde_json::to_vec(value).map_err(|e| MetaError::Corrupt {
        table: table_name(t),
        key: key.to_owned(),
        detail: e.to_string(),
    })
}

fn get_in<T: ReadableTable<&'static str, &'static [u8]>>(
    table: &T,
    key: &str,
) -> Result<Option<Vec<u8>>, MetaError> {
    let guard = table.get(key).map_err(storage("reading a record"))?;
    Ok(guard.map(|g| g.value().to_vec()))
}

/// Walks the keys starting with `prefix` in key order (or reversed), handing each entry to
/// `f` until it breaks.
fn scan_in<T, F>(table: &T, prefix: &str, reverse: bool, mut f: F) -> Result<(), MetaError>
where
    T: ReadableTable<&'static str, &'static [u8]>,
    F: FnMut(&str, &[u8]) -> Result<ControlFlow<()>, MetaError>,
{
    // `char::MAX` sorts after every character a validated key component can hold.
    let end = format!("{prefix}{}", char::MAX);
    let range = table
        .range::<&str>(prefix..end.as_str())
        .map_err(storage("scanning records"))?;
    let mut step = |item: Result<
        (redb::AccessGuard<'_, &str>, redb::AccessGuard<'_, &[u8]>),
        redb::StorageError,
    >|
     -> Result<ControlFlow<()>, MetaError> {
        let (k, v) = item.map_err(storage("scanning records"))?;
        f(k.value(), v.value())
    };
    if reverse {
        for item in range.rev() {
            if step(item)?.is_break() {
                break;
            }
        }
    } else {
        for item in range {
            if step(item)?.is_break() {
                break;
            }
        }
    }
    Ok(())
}

impl<'a> Kv<'a> {
    /// The raw value under `key`.
    pub(crate) fn get_raw(&self, t: Tbl, key: &str) -> Result<Option<Vec<u8>>, MetaError> {
        match self {
            Kv::Read(tx) => get_in(&tx.open_table(t).map_err(storage("opening a table"))?, key),
            Kv::Write(tx) => get_in(&tx.open_table(t).map_err(storage("opening a table"))?, key),
        }
    }

    /// Whether `key` is present.
    pub(crate) fn contains(&self, t: Tbl, key: &str) -> Result<bool, MetaError> {
        Ok(self.get_raw(t, key)?.is_some())
    }

    /// The decoded value under `key`.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        t: Tbl,
        key: &str,
    ) -> Result<Option<T>, MetaError> {
        match self.get_raw(t, key)? {
            Some(bytes) => decode(t, key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The UTF-8 string under `key` (index tables that store an id).
    pub(crate) fn get_str(&self, t: Tbl, key: &str) -> Result<Option<String>, MetaError> {
        match self.get_raw(t, key)? {
            Some(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|e| MetaError::Corrupt {
                    table: table_name(t),
                    key: key.to_owned(),
                    detail: e.to_string(),
                }),
            None => Ok(None),
        }
    }

    /// Visits the entries whose key starts with `prefix`; `f` must not touch the catalogue.
    pub(crate) fn scan<F>(&self, t: Tbl, prefix: &str, reverse: bool, f: F) -> Result<(), MetaError>
    where
        F: FnMut(&str, &[u8]) -> Result<ControlFlow<()>, MetaError>,
    {
        match self {
            Kv::Read(tx) => scan_in(
                &tx.open_table(t).map_err(storage("opening a table"))?,
                prefix,
                reverse,
                f,
            ),
            Kv::Write(tx) => scan_in(
                &tx.open_table(t).map_err(storage("opening a table"))?,
                prefix,
                reverse,
                f,
            ),
        }
    }

    /// All keys starting with `prefix`, in order.
    pub(crate) fn keys(&self, t: Tbl, prefix: &str) -> Result<Vec<String>, MetaError> {
        let mut out = Vec::new();
        self.scan(t, prefix, false, |k, _| {
            out.push(k.to_owned());
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    /// How many keys start with `prefix`.
    pub(crate) fn count(&self, t: Tbl, prefix: &str) -> Result<usize, MetaError> {
        let mut n = 0usize;
        self.scan(t, prefix, false, |_, _| {
            n += 1;
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(n)
    }

    /// All decoded values whose key starts with `prefix`, in key order, with their keys.
    pub(crate) fn entries<T: DeserializeOwned>(
        &self,
        t: Tbl,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, MetaError> {
        let mut out = Vec::new();
        self.scan(t, prefix, false, |k, v| {
            out.push((k.to_owned(), decode(t, k, v)?));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    /// All decoded values whose key starts with `prefix`, in key order.
    pub(crate) fn values<T: DeserializeOwned>(
        &self,
        t: Tbl,
        prefix: &str,
    ) -> Result<Vec<T>, MetaError> {
        Ok(self
            .entries(t, prefix)?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// A counter or the schema version from the `meta` table.
    pub(crate) fn meta(&self, name: &str) -> Result<Option<u64>, MetaError> {
        let get = |v: Option<redb::AccessGuard<'_, u64>>| v.map(|g| g.value());
        match self {
            Kv::Read(tx) => {
                let t = tx
                    .open_table(META)
                    .map_err(storage("opening the meta table"))?;
                Ok(get(t
                    .get(name)
                    .map_err(storage("reading the meta table"))?))
            }
            Kv::Write(tx) => {
                let t = tx
                    .open_table(META)
                    .map_err(storage("opening the meta table"))?;
                Ok(get(t
                    .get(name)
                    .map_err(storage("reading the meta table"))?))
            }
        }
    }
}

/// Mutations; only available on the write transaction.
pub(crate) struct Writer<'a>(pub(crate) &'a redb::WriteTransaction);

impl Writer<'_> {
    /// Stores raw bytes under `key`.
    pub(crate) fn put_raw(&self, t: Tbl, key: &str, value: &[u8]) -> Result<(), MetaError> {
        let mut table = self.0.open_table(t).map_err(storage("opening a table"))?;
        table
            .insert(key, value)
            .map_err(storage("writing a record"))?;
        Ok(())
    }

    /// Stores `value` encoded under `key`, replacing what was there.
    pub(crate) fn put<T: Serialize>(&self, t: Tbl, key: &str, value: &T) -> Result<(), MetaError> {
        let bytes = encode(t, key, value)?;
        self.put_raw(t, key, &bytes)
    }

    /// Removes `key`; says whether it was present.
    pub(crate) fn del(&self, t: Tbl, key: &str) -> Result<bool, MetaError> {
        let mut table = self.0.open_table(t).map_err(storage("opening a table"))?;
        let old = table.remove(key).map_err(storage("deleting a record"))?;
        Ok(old.is_some())
    }

    /// Removes every key starting with `prefix`; returns how many.
    pub(crate) fn del_prefix(&self, t: Tbl, prefix: &str) -> Result<usize, MetaError> {
        let keys = Kv::Write(self.0).keys(t, prefix)?;
        for k in &keys {
            self.del(t, k)?;
        }
        Ok(keys.len())
    }

    /// Sets a counter or the schema version in the `meta` table.
    pub(crate) fn set_meta(&self, name: &str, value: u64) -> Result<(), MetaError> {
        let mut t = self
            .0
            .open_table(META)
            .map_err(storage("opening the meta table"))?;
        t.insert(name, value)
            .map_err(storage("writing the meta table"))?;
        Ok(())
    }
}
