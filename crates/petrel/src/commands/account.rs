//! `petrel account create|list|disable|enable|delete|token`: the operator's commands for
//! accounts (tenants). They act above every account, so they never use an account's AccessKey:
//! locally they open the data dir of a stopped server; remotely (`--endpoint`) they call the
//! server's operator API with the operator token (`--operator-token`/`PETREL_OPERATOR_TOKEN`),
//! which `petrel account token` mints on the server host.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use petrel_meta::{AuditSource, Catalog, CatalogOptions};
use petrel_service::{AccountSummary, Service, ServiceConfig};
use serde_json::{Value, json};

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
    /// Create an account; prints its root login, password and AccessKey once.
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

/// A refusal from the operator API.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct OperatorApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
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
    match &target.endpoint {
        Some(endpoint) => {
            let token = target.operator_token.clone().ok_or_else(|| {
                usage("remote mode needs the operator token: --operator-token or PETREL_OPERATOR_TOKEN (mint one with `petrel account token` on the server host)")
            })?;
            remote(endpoint, &token, command, password, format)
        }
        None => local(&target.data_dir(), command, password, format),
    }
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
    format: OutputFormat,
) -> anyhow::Result<()> {
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
    let answer = match command {
        AccountCommand::Create { alias, .. } => serde_json::to_value(service.create_account(
            &alias,
            password.as_deref(),
            AuditSource::Cli,
            "operator command",
        )?)?,
        AccountCommand::List => json!({ "accounts": service.list_accounts()? }),
        AccountCommand::Disable { account } => {
            serde_json::to_value(service.set_account_enabled(&account, false, AuditSource::Cli)?)?
        }
        AccountCommand::Enable { account } => {
            serde_json::to_value(service.set_account_enabled(&account, true, AuditSource::Cli)?)?
        }
        AccountCommand::Delete { account, force } => {
            let gone = service.delete_account(&account, force)?;
            json!({ "deleted": { "id": gone.id, "alias": gone.alias } })
        }
        AccountCommand::Token => return Err(usage("unreachable: token is handled above")),
    };
    show(format, &answer)
}

fn remote(
    endpoint: &str,
    token: &str,
    command: AccountCommand,
    password: Option<String>,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let base = endpoint.trim_end_matches('/');
    let base = if base.contains("://") {
        base.to_owned()
    } else {
        format!("http://{base}")
    };
    let seg = percent_encode;
    let (method, path, body) = match command {
        AccountCommand::Create { alias, .. } => (
            reqwest::Method::POST,
            "/operator/accounts".to_owned(),
            Some(json!({ "alias": alias, "password": password })),
        ),
        AccountCommand::List => (reqwest::Method::GET, "/operator/accounts".to_owned(), None),
        AccountCommand::Disable { account } => (
            reqwest::Method::POST,
            format!("/operator/accounts/{}/disable", seg(&account)),
            None,
        ),
        AccountCommand::Enable { account } => (
            reqwest::Method::POST,
            format!("/operator/accounts/{}/enable", seg(&account)),
            None,
        ),
        AccountCommand::Delete { account, force } => (
            reqwest::Method::DELETE,
            format!("/operator/accounts/{}?force={force}", seg(&account)),
            None,
        ),
        AccountCommand::Token => return Err(usage("unreachable: token is handled above")),
    };
    let url = format!("{base}{path}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (status, text) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut req = client.request(method, &url).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach `{url}`"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.context("reading the answer")?;
        anyhow::Ok((status, text))
    })?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("`{url}` answered {status} with something that is not json"))?;
    if status >= 400 {
        return Err(OperatorApiError {
            status,
            code: value["code"].as_str().unwrap_or("Unknown").to_owned(),
            message: value["message"].as_str().unwrap_or(&text).to_owned(),
        }
        .into());
    }
    show(format, &value)
}

/// Percent-encodes one path segment (aliases and ids are plain, but the input is the user's).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Prints an answer of either mode (both have the same JSON shape).
fn show(format: OutputFormat, value: &Value) -> anyhow::Result<()> {
    output::print(format, value, || text_of(value))
}

fn text_of(value: &Value) -> String {
    if let Ok(creds) = serde_json::from_value::<CredentialsView>(value.clone()) {
        return format!(
            "created account {} (shown only once; keep these safe):\n{}",
            creds.account_id,
            fields(&[
                ("  account id", creds.account_id.clone()),
                ("  root login", creds.login_name),
                ("  root password", creds.password),
                ("  AccessKey id", creds.access_key_id),
                ("  AccessKey secret", creds.access_key_secret),
            ])
        );
    }
    if let Some(list) = value.get("accounts") {
        let accounts: Vec<AccountSummary> = list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| summary(v.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut t = Table::new(&["ID", "ALIAS", "STATE", "ACTIVATED", "INSTANCES", "CREATED"]);
        for a in accounts {
            t.row(vec![
                a.id,
                a.alias,
                state(a.enabled).to_owned(),
                a.activated.to_string(),
                a.instances.to_string(),
                a.created_at,
            ]);
        }
        return t.render();
    }
    if let Some(gone) = value.get("deleted") {
        return format!(
            "deleted account {} ({})",
            gone["id"].as_str().unwrap_or_default(),
            gone["alias"].as_str().unwrap_or_default()
        );
    }
    match summary(value.clone()) {
        Some(a) => format!("account {} ({}) is {}", a.id, a.alias, state(a.enabled)),
        None => value.to_string(),
    }
}

fn state(enabled: bool) -> &'static str {
    if enabled { "enabled" } else { "disabled" }
}

fn summary(v: Value) -> Option<AccountSummary> {
    Some(AccountSummary {
        id: v.get("id")?.as_str()?.to_owned(),
        alias: v.get("alias")?.as_str()?.to_owned(),
        enabled: v.get("enabled")?.as_bool()?,
        activated: v.get("activated")?.as_bool()?,
        instances: usize::try_from(v.get("instances")?.as_u64()?).ok()?,
        created_at: v.get("created_at")?.as_str()?.to_owned(),
    })
}

/// The credentials answer, read back for the text output.
#[derive(serde::Deserialize)]
struct CredentialsView {
    account_id: String,
    login_name: String,
    password: String,
    access_key_id: String,
    access_key_secret: String,
}
