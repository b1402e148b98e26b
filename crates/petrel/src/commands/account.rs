//! `petrel account create|list|disable|enable|delete|token`: the operator's commands for
//! accounts (tenants). They act above every account, so they never use an account's AccessKey:
//! locally they open the data dir of a stopped server; remotely (`--endpoint`) they call the
//! server's operator API with the operator token (`--operator-token`/`PETREL_OPERATOR_TOKEN`),
//! which `petrel account token` mints on the server host.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use petrel_client::{AccountCredentials, AccountSummary, DeletedAccount, Endpoint, OperatorClient};
use petrel_meta::{AuditSource, Catalog, CatalogOptions};
use petrel_service::{Service, ServiceConfig};
use serde_json::json;

use super::output::{self, OutputFormat, Table, fields};
use super::{DEFAULT_DATA_DIR, DEFAULT_REGION};
use crate::exit::usage;

/// Where the operator command acts.
#[derive(Debug, Args)]
pub struct OperatorTarget {
    /// Data directory of a stopped server (local mode) [default: ./petrel-data].
    #[arg(long, value_name = "DIR", env = "PETREL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// A running server's HTTP address (remote mode), e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", env = "PETREL_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// The operator token (remote mode), from `petrel account token`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "PETREL_OPERATOR_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub operator_token: Option<String>,
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

impl OperatorTarget {
    pub fn format(&self) -> OutputFormat {
        if self.json {
            OutputFormat::Json
        } else {
            self.output
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; prints its root login, generated password and AccessKey once.
    Create {
        /// Unique alias (3–32 lowercase letters, digits, hyphens); the root logs in as
        /// `root@<alias>`.
        alias: String,
        /// Read the root password from the first line of standard input instead of generating
        /// one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account.
    List,
    /// Refuse the account's root, RAM users and AccessKeys everywhere until enabled again.
    Disable {
        /// Alias or id.
        account: String,
    },
    /// Let a disabled account's principals in again.
    Enable {
        /// Alias or id.
        account: String,
    },
    /// Delete an account and all its data (refused while it has instances, unless --force).
    Delete {
        /// Alias or id.
        account: String,
        /// Delete even though it still has instances (with their topics and groups).
        #[arg(long)]
        force: bool,
    },
    /// Mint the operator token for the running server's operator API (revokes the previous one);
    /// acts on the data dir and may run while the server does.
    Token,
}

/// What a command answers, in either mode.
enum Answer {
    Created(AccountCredentials),
    Listed(Vec<AccountSummary>),
    Changed(AccountSummary),
    Deleted(DeletedAccount),
}

pub fn run(target: &OperatorTarget, command: AccountCommand) -> anyhow::Result<()> {
    let format = target.format();
    if let AccountCommand::Token = command {
        if target.endpoint.is_some() {
            return Err(usage(
                "`petrel account token` writes to the data dir on the server host: drop --endpoint",
            ));
        }
        let dir = target.data_dir();
        if !dir.join(petrel_meta::META_FILE).exists() {
            return Err(usage(format!(
                "`{}` holds no catalog: is it the server's --data-dir?",
                dir.display()
            )));
        }
        let token = petrel_service::issue_operator_token(&dir)?;
        return output::print(format, &json!({ "operator_token": token }), || {
            format!(
                "operator token (shown only once; the previous one no longer works):\n  {token}\n\nuse it with: PETREL_OPERATOR_TOKEN=... petrel account list --endpoint http://HOST:PORT"
            )
        });
    }
    let password = match &command {
        AccountCommand::Create {
            password_stdin: true,
            ..
        } => Some(read_password()?),
        _ => None,
    };
    let answer = match &target.endpoint {
        Some(endpoint) => {
            let token = target.operator_token.clone().ok_or_else(|| {
                usage("remote mode needs the operator token: --operator-token or PETREL_OPERATOR_TOKEN (mint one with `petrel account token` on the server host)")
            })?;
            remote(endpoint, token, command, password)?
        }
        None => local(&target.data_dir(), command, password)?,
    };
    show(format, &answer)
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(usage("--password-stdin: standard input held no password"));
    }
    Ok(password)
}

fn local(
    dir: &std::path::Path,
    command: AccountCommand,
    password: Option<String>,
) -> anyhow::Result<Answer> {
    if !dir.join(petrel_meta::META_FILE).exists() {
        return Err(usage(format!(
            "`{}` holds no catalog: run `petrel serve --data-dir {}` once to create it, or give --endpoint to talk to a running server",
            dir.display(),
            dir.display()
        )));
    }
    let catalog = Catalog::open(dir, CatalogOptions::default()).with_context(|| {
        format!(
            "cannot open the catalog in `{}` (is `petrel serve` running on it? stop it first, or use --endpoint with the operator token)",
            dir.display()
        )
    })?;
    let service = Service::new(
        catalog,
        ServiceConfig {
            region: DEFAULT_REGION.to_owned(),
        },
    );
    let summary = |a: petrel_service::AccountSummary| AccountSummary {
        id: a.id,
        alias: a.alias,
        enabled: a.enabled,
        activated: a.activated,
        instances: a.instances,
        created_at: a.created_at,
    };
    Ok(match command {
        AccountCommand::Create { alias, .. } => {
            let c = service.create_account(
                &alias,
                password.as_deref(),
                AuditSource::Cli,
                "operator command",
            )?;
            let chosen = password.is_some();
            Answer::Created(AccountCredentials {
                account_id: c.account_id,
                login_name: c.login_name,
                password: (!chosen).then_some(c.password),
                access_key_id: c.access_key_id,
                access_key_secret: c.access_key_secret,
            })
        }
        AccountCommand::List => {
            Answer::Listed(service.list_accounts()?.into_iter().map(summary).collect())
        }
        AccountCommand::Disable { account } => Answer::Changed(summary(
            service.set_account_enabled(&account, false, AuditSource::Cli)?,
        )),
        AccountCommand::Enable { account } => Answer::Changed(summary(
            service.set_account_enabled(&account, true, AuditSource::Cli)?,
        )),
        AccountCommand::Delete { account, force } => {
            let gone = service.delete_account(&account, force)?;
            Answer::Deleted(DeletedAccount {
                id: gone.id,
                alias: gone.alias,
            })
        }
        AccountCommand::Token => return Err(usage("`token` is handled before the mode is chosen")),
    })
}

fn remote(
    endpoint: &str,
    token: String,
    command: AccountCommand,
    password: Option<String>,
) -> anyhow::Result<Answer> {
    let client = OperatorClient::new(Endpoint::parse(endpoint)?, token)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(async {
        Ok::<_, petrel_client::ClientError>(match command {
            AccountCommand::Create { alias, .. } => {
                Answer::Created(client.create_account(&alias, password.as_deref()).await?)
            }
            AccountCommand::List => Answer::Listed(client.list_accounts().await?),
            AccountCommand::Disable { account } => {
                Answer::Changed(client.set_account_enabled(&account, false).await?)
            }
            AccountCommand::Enable { account } => {
                Answer::Changed(client.set_account_enabled(&account, true).await?)
            }
            AccountCommand::Delete { account, force } => {
                Answer::Deleted(client.delete_account(&account, force).await?)
            }
            AccountCommand::Token => {
                return Err(petrel_client::ClientError::InvalidInput {
                    what: "command",
                    reason: "`token` is handled before the mode is chosen".to_owned(),
                });
            }
        })
    })?)
}

/// Prints an answer: the same JSON in both modes, or text for people.
fn show(format: OutputFormat, answer: &Answer) -> anyhow::Result<()> {
    match answer {
        Answer::Created(c) => output::print(format, c, || {
            format!(
                "created account {} (shown only once; keep these safe):\n{}",
                c.account_id,
                fields(&[
                    ("  account id", c.account_id.clone()),
                    ("  root login", c.login_name.clone()),
                    ("  root password", c.password.clone().unwrap_or_default()),
                    ("  AccessKey id", c.access_key_id.clone()),
                    ("  AccessKey secret", c.access_key_secret.clone()),
                ])
            )
        }),
        Answer::Listed(list) => output::print(format, &json!({ "accounts": list }), || {
            let mut t = Table::new(&["ID", "ALIAS", "STATE", "ACTIVATED", "INSTANCES", "CREATED"]);
            for a in list {
                t.row(vec![
                    a.id.clone(),
                    a.alias.clone(),
                    state(a.enabled).to_owned(),
                    a.activated.to_string(),
                    a.instances.to_string(),
                    a.created_at.clone(),
                ]);
            }
            t.render()
        }),
        Answer::Changed(a) => output::print(format, a, || {
            format!("account {} ({}) is {}", a.id, a.alias, state(a.enabled))
        }),
        Answer::Deleted(d) => output::print(format, &json!({ "deleted": d }), || {
            format!("deleted account {} ({})", d.id, d.alias)
        }),
    }
}

fn state(enabled: bool) -> &'static str {
    if enabled { "enabled" } else { "disabled" }
}
