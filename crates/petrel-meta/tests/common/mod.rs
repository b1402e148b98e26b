//! Shared helpers of the integration tests: a catalogue in a temporary dir with cheap argon2.

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use petrel_meta::{Account, Catalog, CatalogOptions, CreatedAccessKey, MetaError, NewAccount};
use tempfile::TempDir;

/// A catalogue in its own temporary data dir (removed on drop).
pub struct TestCatalog {
    pub dir: TempDir,
    pub catalog: Catalog,
}

pub fn open() -> TestCatalog {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Catalog::open(dir.path(), CatalogOptions::for_tests()).expect("open catalog");
    TestCatalog { dir, catalog }
}

pub fn reopen(dir: &std::path::Path) -> Result<Catalog, MetaError> {
    Catalog::open(dir, CatalogOptions::for_tests())
}

pub const ROOT_PASSWORD: &str = "Root-passw0rd";

pub fn account(catalog: &Catalog, alias: &str) -> (Account, CreatedAccessKey) {
    let root_password = catalog.hash_password(ROOT_PASSWORD).expect("hash");
    catalog
        .write(|tx| {
            tx.create_account(NewAccount {
                alias: alias.into(),
                root_password,
            })
        })
        .expect("create account")
}

/// The rendered code of an error result.
pub fn code<T: std::fmt::Debug>(r: Result<T, MetaError>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code().as_str().into_owned(),
    }
}
