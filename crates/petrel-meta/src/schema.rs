//! The schema version of `meta.redb` and what happens at open: refuse a newer schema, migrate an
//! older one, create missing tables, and check that the master key is the catalogue's own.

use std::path::Path;

use crate::error::{MetaError, storage};
use crate::migrations;
use crate::seal::Sealer;
use crate::tables::{ENTITY_TABLES, Kv, META, META_BLOBS, Writer};

/// The schema version this build writes. Bump it together with a step in [`crate::migrations`].
pub const SCHEMA_VERSION: u64 = 1;

/// Key of the schema version in the `meta` table.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";
const MASTER_KEY_CHECK: &str = "master_key_check";

/// Brings the file to [`SCHEMA_VERSION`] in one write transaction (all or nothing).
pub(crate) fn prepare(
    db: &redb::Database,
    sealer: &Sealer,
    db_path: &Path,
    key_path: &Path,
) -> Result<(), MetaError> {
    let tx = db
        .begin_write()
        .map_err(storage("beginning the schema check"))?;
    {
        // Opening `meta` in a write transaction creates it on a fresh file.
        tx.open_table(META)
            .map_err(storage("opening the meta table"))?;
        let found = Kv::Write(&tx).meta(SCHEMA_VERSION_KEY)?;
        let w = Writer(&tx);
        match found {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(MetaError::SchemaTooNew {
                    path: db_path.display().to_string(),
                    found: v,
                    supported: SCHEMA_VERSION,
                });
            }
            Some(v) => migrations::run(&w, v)?,
            None => {}
        }
        for t in ENTITY_TABLES {
            tx.open_table(*t).map_err(storage("creating a table"))?;
        }
        w.set_meta(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
        match Kv::Write(&tx).get_raw(META_BLOBS, MASTER_KEY_CHECK)? {
            Some(check) if sealer.verify_key_check(&check) => {}
            Some(_) => {
                return Err(MetaError::MasterKey {
                    path: key_path.display().to_string(),
                    problem: format!(
                        "is not the key catalog `{}` was created with; restore the original \
                         master key",
                        db_path.display()
                    ),
                });
            }
            None => w.put_raw(META_BLOBS, MASTER_KEY_CHECK, &sealer.key_check()?)?,
        }
    }
    tx.commit()
        .map_err(storage("committing the schema check"))?;
    Ok(())
}
