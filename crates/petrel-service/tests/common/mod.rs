//! Fixtures: a service over a fresh catalogue with one account set up by hand.

#![allow(dead_code, reason = "each test binary uses part of the fixtures")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test fixtures")]

use petrel_meta::{AuditSource, Catalog, CatalogOptions, NewAccount, NewUser};
use petrel_service::{Caller, Identity, RequestContext, Service, ServiceConfig};

pub struct Fixture {
    pub service: Service,
    pub account: String,
    _dir: tempfile::TempDir,
}

pub fn ctx() -> RequestContext {
    RequestContext::new(AuditSource::Internal)
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path(), CatalogOptions::for_tests()).unwrap();
        let service = Service::new(
            catalog,
            ServiceConfig {
                region: "cn-hangzhou".to_owned(),
            },
        );
        let account = Fixture::add_account(&service, "acme");
        Fixture {
            service,
            account,
            _dir: dir,
        }
    }

    pub fn add_account(service: &Service, alias: &str) -> String {
        let hash = service.catalog().hash_password("Passw0rd-root").unwrap();
        let (account, _key) = service
            .catalog()
            .write(|tx| {
                tx.create_account(NewAccount {
                    alias: alias.to_owned(),
                    root_password: hash,
                })
            })
            .unwrap();
        account.id
    }

    pub fn root(&self) -> Caller {
        self.root_of(&self.account)
    }

    pub fn root_of(&self, account: &str) -> Caller {
        Caller {
            account_id: account.to_owned(),
            identity: Identity::Root,
            context: ctx(),
        }
    }

    pub fn user(&self, name: &str) -> Caller {
        Caller {
            account_id: self.account.clone(),
            identity: Identity::User(name.to_owned()),
            context: ctx(),
        }
    }

    pub fn new_user(&self, name: &str) -> Caller {
        self.service
            .create_user(
                &self.root(),
                NewUser {
                    name: name.to_owned(),
                    ..Default::default()
                },
            )
            .unwrap();
        self.user(name)
    }
}
