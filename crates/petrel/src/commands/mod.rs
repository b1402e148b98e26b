//! Operator commands. Each acts either on the data dir of a stopped server (local mode, as the
//! account root, through the same authorize → act → audit pipeline as every other front end),
//! or on a running server through its management API (remote mode, as whoever owns the
//! AccessKey; the server authorizes). [`Target`] holds the options that choose.
//!
//! One file per command group; each holds its flags, its local and its remote implementation.
//! Requests and answers of the API are `petrel-client`'s; these files only map flags and print.

pub mod access_key;
pub mod account;
pub mod activate;
pub mod bench;
pub mod completions;
pub mod configure;
pub mod consumer_group;
pub mod dlq;
pub mod grant;
pub mod instance;
pub mod lag;
pub mod message;
pub mod offset;
pub mod output;
pub mod policy;
pub mod remote;
pub mod resource_group;
pub mod simulate;
pub mod subscription;
pub mod topic;
pub mod user;
pub mod user_group;
pub mod whoami;

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use petrel_meta::{AuditSource, Catalog, CatalogOptions};
use petrel_service::{Caller, RequestContext, Service, ServiceConfig};
use serde::Serialize;

use crate::exit::usage;
use output::OutputFormat;
pub use remote::Remote;

/// The data dir used when none is named.
pub const DEFAULT_DATA_DIR: &str = "./petrel-data";
/// The region used when none is named.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Where and how a command acts: a local data dir, or a server's management API.
#[derive(Debug, Args)]
pub struct Target {
    /// Data directory of a stopped server (local mode) [default: ./petrel-data].
    #[arg(long, value_name = "DIR", env = "PETREL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Account id (local mode); may be omitted when the data dir holds a single account.
    #[arg(long, value_name = "ID", env = "PETREL_ACCOUNT", global = true)]
    pub account: Option<String>,
    /// Region spelled in ARNs [default: the profile's, else cn-hangzhou].
    #[arg(long, value_name = "REGION", env = "PETREL_REGION", global = true)]
    pub region: Option<String>,
    /// Management API of a running server (remote mode), e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", env = "PETREL_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// Profile of ~/.petrel/config.toml to use (remote mode) [default: `default`, if it exists].
    #[arg(long, value_name = "NAME", env = "PETREL_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Output format.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        env = "PETREL_OUTPUT",
        default_value_t = OutputFormat::Table,
        global = true
    )]
    pub output: OutputFormat,
    /// Same as `--output json`.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The chosen mode.
pub enum Mode {
    /// An opened data dir.
    Local(Session),
    /// A server's management API.
    Remote(Remote),
}

impl Target {
    /// The output format (`--json` wins).
    pub fn format(&self) -> OutputFormat {
        if self.json {
            OutputFormat::Json
        } else {
            self.output
        }
    }

    /// Remote when an endpoint is given (`--endpoint`, or a profile's); local when a data dir
    /// is named; otherwise the default profile's endpoint, else the default data dir.
    pub fn mode(&self) -> anyhow::Result<Mode> {
        match remote::settings(self)? {
            Some(settings) => Ok(Mode::Remote(Remote::connect(settings, self.format())?)),
            None => Ok(Mode::Local(self.open_local()?)),
        }
    }

    /// The remote mode, for commands only a server can answer.
    pub fn remote(&self, command: &str) -> anyhow::Result<Remote> {
        match remote::settings(self)? {
            Some(settings) => Remote::connect(settings, self.format()),
            None => Err(usage(format!(
                "`petrel {command}` asks a running server: give --endpoint URL (or PETREL_ENDPOINT, or a profile from `petrel configure`)"
            ))),
        }
    }

    /// The local mode, for commands the management API does not serve.
    pub fn local(&self, command: &str) -> anyhow::Result<Session> {
        match remote::settings(self)? {
            Some(_) => Err(usage(format!(
                "`petrel {command}` works on a local data dir only (the management api has no such operation): drop --endpoint/--profile and stop the server"
            ))),
            None => self.open_local(),
        }
    }

    /// Opens the data dir and resolves the account root.
    fn open_local(&self) -> anyhow::Result<Session> {
        let data_dir = self
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        if !data_dir.join(petrel_meta::META_FILE).exists() {
            return Err(usage(format!(
                "`{}` holds no catalog: run `petrel serve --data-dir {}` once to create it, or give --endpoint to talk to a running server",
                data_dir.display(),
                data_dir.display()
            )));
        }
        let catalog = Catalog::open(&data_dir, CatalogOptions::default()).with_context(|| {
            format!(
                "cannot open the catalog in `{}` (is `petrel serve` running on it? stop it first, or use --endpoint)",
                data_dir.display()
            )
        })?;
        let account = match &self.account {
            Some(id) => id.clone(),
            None => {
                let accounts = catalog.read(|tx| tx.list_accounts())?;
                match accounts.as_slice() {
                    [only] => only.id.clone(),
                    [] => return Err(usage("the catalog has no account")),
                    _ => {
                        return Err(usage(format!(
                            "the catalog has {} accounts: choose one with --account",
                            accounts.len()
                        )));
                    }
                }
            }
        };
        let service = Service::new(
            catalog,
            ServiceConfig {
                region: self
                    .region
                    .clone()
                    .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            },
        );
        let root = service.local_root(&account, RequestContext::new(AuditSource::Cli))?;
        Ok(Session {
            service,
            root,
            format: self.format(),
        })
    }
}

/// An opened data dir with the caller acting on it.
pub struct Session {
    pub service: Service,
    pub root: Caller,
    pub format: OutputFormat,
}

impl Session {
    /// Prints `value` as JSON, or `text` for people.
    pub fn print(
        &self,
        value: &impl Serialize,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        output::print(self.format, value, text)
    }
}
