//! Operator commands that act on a local data dir through the service layer, as the account
//! root — for newcomers and tests until the management API exists. They need the server to be
//! stopped: the catalogue is one file that a running server holds open.
//!
//! One file per noun; each command authenticates as the root of the chosen account and goes
//! through the same authorize → act → audit pipeline as every other front end.

pub mod access_key;
pub mod grant;
pub mod instance;
pub mod policy;
pub mod resource_group;
pub mod simulate;
pub mod user;

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use petrel_meta::{AuditSource, Catalog, CatalogOptions};
use petrel_service::{Caller, RequestContext, Service, ServiceConfig};
use serde::Serialize;

/// Where and as whom a local command acts.
#[derive(Debug, Args)]
pub struct Local {
    /// Data directory of a stopped server.
    #[arg(
        long,
        value_name = "DIR",
        env = "PETREL_DATA_DIR",
        default_value = "./petrel-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Account id; may be omitted when the data dir holds a single account.
    #[arg(long, value_name = "ID", env = "PETREL_ACCOUNT", global = true)]
    pub account: Option<String>,
    /// Region spelled in ARNs.
    #[arg(
        long,
        value_name = "REGION",
        env = "PETREL_REGION",
        default_value = "cn-hangzhou",
        global = true
    )]
    pub region: String,
    /// Print results as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// An opened data dir with the caller acting on it.
pub struct Session {
    pub service: Service,
    pub root: Caller,
    json: bool,
}

impl Local {
    /// Opens the data dir and resolves the account root.
    pub fn open(&self) -> anyhow::Result<Session> {
        if !self.data_dir.join(petrel_meta::META_FILE).exists() {
            bail!(
                "`{}` holds no catalog: run `petrel serve --data-dir {}` once to create it",
                self.data_dir.display(),
                self.data_dir.display()
            );
        }
        let catalog = Catalog::open(&self.data_dir, CatalogOptions::default()).with_context(|| {
            format!(
                "cannot open the catalog in `{}` (is `petrel serve` running on it? stop it first)",
                self.data_dir.display()
            )
        })?;
        let account = match &self.account {
            Some(id) => id.clone(),
            None => {
                let accounts = catalog.read(|tx| tx.list_accounts())?;
                match accounts.as_slice() {
                    [only] => only.id.clone(),
                    [] => bail!("the catalog has no account"),
                    _ => bail!(
                        "the catalog has {} accounts: choose one with --account",
                        accounts.len()
                    ),
                }
            }
        };
        let service = Service::new(
            catalog,
            ServiceConfig {
                region: self.region.clone(),
            },
        );
        let root = service.local_root(&account, RequestContext::new(AuditSource::Cli))?;
        Ok(Session {
            service,
            root,
            json: self.json,
        })
    }
}

impl Session {
    /// Prints `value` as JSON, or `text` for people.
    pub fn print(
        &self,
        value: &impl Serialize,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{}", text());
        }
        Ok(())
    }
}
