//! The [`Catalog`] handle: opening the data dir, and running closures in read or write
//! transactions ([`ReadTx`], [`WriteTx`]).
//!
//! A write closure runs inside one redb write transaction that commits only when the closure
//! returns `Ok`, so any combination of changes (create a user, attach a policy, append the audit
//! record) is atomic. Reads see one consistent snapshot and never block the writer.

use std::fs::OpenOptions;
use std::ops::Deref;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::ReadableDatabase;
use time::OffsetDateTime;

use crate::access_keys::{AccessKey, AccessKeyRecord};
use crate::accounts::Account;
use crate::error::{MetaError, storage};
use crate::password::{Hasher, PasswordHash, PasswordHashing};
use crate::schema;
use crate::seal::{Sealer, Secret};
use crate::tables::{Kv, Writer};

/// File name of the catalogue inside the data dir.
pub const META_FILE: &str = "meta.redb";
/// File name of the master key inside the data dir.
pub const MASTER_KEY_FILE: &str = "master.key";

/// Settings of a [`Catalog`].
#[derive(Debug, Clone, Default)]
pub struct CatalogOptions {
    /// Argon2id cost of new password hashes (existing hashes keep their own parameters).
    pub password_hashing: PasswordHashing,
}

impl CatalogOptions {
    /// Options for tests: the cheapest argon2 parameters, so that a login takes microseconds.
    pub fn for_tests() -> Self {
        CatalogOptions {
            password_hashing: PasswordHashing::insecure_fast_for_tests(),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) db: redb::Database,
    pub(crate) sealer: Sealer,
    pub(crate) hasher: Hasher,
    pub(crate) dir: PathBuf,
    /// Bumped after every [`Catalog::write`] commit; see [`Catalog::generation`].
    pub(crate) generation: std::sync::atomic::AtomicU64,
}

/// The catalogue: one redb file (`meta.redb`) plus the master key (`master.key`) in a data dir.
/// Cheap to clone; all clones share one database handle.
#[derive(Clone)]
pub struct Catalog {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// Opens the catalogue in `data_dir`, creating the directory, `meta.redb` (mode 0600) and
    /// `master.key` (32 random bytes, mode 0600) when missing.
    ///
    /// Refuses a master key with group/other permissions or a wrong size, a missing master key
    /// next to an existing catalogue, a master key other than the one the catalogue was created
    /// with, and a catalogue written by a newer schema. Older schemas are migrated.
    pub fn open(data_dir: &Path, opts: CatalogOptions) -> Result<Catalog, MetaError> {
        std::fs::create_dir_all(data_dir).map_err(MetaError::io(format!(
            "cannot create data dir `{}`",
            data_dir.display()
        )))?;
        let db_path = data_dir.join(META_FILE);
        let key_path = data_dir.join(MASTER_KEY_FILE);
        let db_exists = std::fs::metadata(&db_path).is_ok_and(|m| m.len() > 0);
        let sealer = Sealer::load_or_create(&key_path, !db_exists)?;
        if !db_path.exists() {
            // The file holds password hashes and sealed secrets: keep it private from the start.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&db_path)
                .map_err(MetaError::io(format!(
                    "cannot create catalog `{}`",
                    db_path.display()
                )))?;
        }
        let db = redb::Database::create(&db_path)
            .map_err(storage(format!("opening catalog `{}`", db_path.display())))?;
        schema::prepare(&db, &sealer, &db_path, &key_path)?;
        Ok(Catalog {
            inner: Arc::new(Inner {
                db,
                sealer,
                hasher: Hasher::new(opts.password_hashing)?,
                dir: data_dir.to_owned(),
                generation: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The data dir this catalogue lives in.
    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs `f` on a consistent snapshot.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&ReadTx<'_>) -> Result<T, MetaError>,
    ) -> Result<T, MetaError> {
        let tx = self
            .inner
            .db
            .begin_read()
            .map_err(storage("beginning a read transaction"))?;
        let r = ReadTx {
            kv: Kv::Read(&tx),
            inner: &self.inner,
        };
        f(&r)
    }

    /// Runs `f` in one write transaction, committed only if `f` returns `Ok`; on `Err` nothing
    /// `f` did is kept. The commit is durable (fsynced) when this returns. Writers are
    /// serialised; keep `f` short (hash passwords before, with [`Catalog::hash_password`]).
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, MetaError>,
    ) -> Result<T, MetaError> {
        let value = self.write_with(redb::Durability::Immediate, f)?;
        // After the commit and before returning: once a change (a disabled key, a deleted
        // user) is reported done, no cache keyed by the old generation is used again.
        self.inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(value)
    }

    /// A number that changes after every committed [`Catalog::write`]. A value derived from a
    /// read that started at generation `g` is still current while this returns `g`: caches of
    /// catalogue data tag entries with the generation taken *before* their read.
    /// [`Catalog::write_deferred`] does not change it, so it must only append records nothing
    /// is cached from (audit entries).
    pub fn generation(&self) -> u64 {
        self.inner
            .generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Like [`Catalog::write`] but without waiting for the disk: the commit is atomic and
    /// immediately visible, and becomes durable with the next [`Catalog::write`]. A crash before
    /// that loses it (never corrupts). For high-rate, low-value records such as data-plane audit
    /// entries. It leaves [`Catalog::generation`] alone: never change keys, principals, policies
    /// or resources with it.
    pub fn write_deferred<T>(
        &self,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, MetaError>,
    ) -> Result<T, MetaError> {
        self.write_with(redb::Durability::None, f)
    }

    fn write_with<T>(
        &self,
        durability: redb::Durability,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, MetaError>,
    ) -> Result<T, MetaError> {
        let mut tx = self
            .inner
            .db
            .begin_write()
            .map_err(storage("beginning a write transaction"))?;
        tx.set_durability(durability)
            .map_err(storage("setting the commit durability"))?;
        let result = {
            let mut w = WriteTx {
                read: ReadTx {
                    kv: Kv::Write(&tx),
                    inner: &self.inner,
                },
                w: Writer(&tx),
                now: OffsetDateTime::now_utc(),
            };
            f(&mut w)
        };
        match result {
            Ok(value) => {
                tx.commit()
                    .map_err(storage("committing a write transaction"))?;
                Ok(value)
            }
            Err(e) => {
                // Dropping would abort as well; aborting explicitly frees the pages at once.
                let _ = tx.abort();
                Err(e)
            }
        }
    }

    /// Applies the password policy and hashes `password` with argon2id. Slow on purpose: call it
    /// before [`Catalog::write`], not inside.
    pub fn hash_password(&self, password: &str) -> Result<PasswordHash, MetaError> {
        self.inner.hasher.hash(password)
    }

    /// The plain secret of an AccessKey, for signature checks only.
    pub fn unseal_secret(&self, record: &AccessKeyRecord) -> Result<Secret, MetaError> {
        self.inner
            .sealer
            .unseal_secret(&record.access_key.id, record.sealed_secret())
    }

    /// Looks up an AccessKey by id across all accounts, with its account, and unseals its
    /// secret: everything a signature check needs, from one snapshot. `None` when the id is
    /// unknown. The caller still checks the key's status and the account's state.
    pub fn authenticate_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyAuth>, MetaError> {
        let found = self.read(|tx| match tx.lookup_access_key(access_key_id)? {
            Some(record) => {
                let account = tx.get_account(&record.access_key.account_id)?;
                Ok(Some((record, account)))
            }
            None => Ok(None),
        })?;
        let Some((record, account)) = found else {
            return Ok(None);
        };
        let secret = self.unseal_secret(&record)?;
        Ok(Some(AccessKeyAuth {
            access_key: record.access_key,
            account,
            secret,
        }))
    }
}

/// What [`Catalog::authenticate_access_key`] returns.
#[derive(Debug, Clone)]
pub struct AccessKeyAuth {
    /// The key (owner, status).
    pub access_key: AccessKey,
    /// Its account (enabled flag, activation).
    pub account: Account,
    /// The unsealed secret, for the signature check only.
    pub secret: Secret,
}

/// A read transaction: every get/list method of the catalogue.
pub struct ReadTx<'a> {
    pub(crate) kv: Kv<'a>,
    pub(crate) inner: &'a Inner,
}

/// A write transaction: everything [`ReadTx`] has (through `Deref`, seeing this transaction's own
/// changes) plus the mutations.
pub struct WriteTx<'a> {
    read: ReadTx<'a>,
    pub(crate) w: Writer<'a>,
    /// One timestamp for everything this transaction creates or updates.
    pub(crate) now: OffsetDateTime,
}

impl<'a> Deref for WriteTx<'a> {
    type Target = ReadTx<'a>;

    fn deref(&self) -> &ReadTx<'a> {
        &self.read
    }
}

impl WriteTx<'_> {
    /// The time stamped on everything this transaction creates or updates.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_shareable_between_threads() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<Catalog>();
    }
}
