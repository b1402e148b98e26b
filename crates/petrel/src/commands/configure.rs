//! `petrel configure`: write a profile (endpoint, AccessKey, region) to the profile file with
//! mode 0600, after checking the key against the server (`GetCallerIdentity`). Values not given
//! keep the profile's; a secret not given is read from standard input.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use petrel_client::{Credentials, Endpoint};

use super::DEFAULT_REGION;
use super::output::OutputFormat;
use super::remote::{Remote, Settings};
use crate::exit::usage;
use crate::profile::{self, DEFAULT_PROFILE};

#[derive(Debug, Args)]
pub struct ConfigureArgs {
    /// The profile to write.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROFILE)]
    pub profile: String,
    /// Management endpoint of the server, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", env = "PETREL_ENDPOINT")]
    pub endpoint: Option<String>,
    /// AccessKey id.
    #[arg(long, value_name = "ID", env = "PETREL_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,
    /// AccessKey secret; read from standard input when absent.
    #[arg(
        long,
        value_name = "SECRET",
        env = "PETREL_ACCESS_KEY_SECRET",
        hide_env_values = true
    )]
    pub access_key_secret: Option<String>,
    /// Region spelled in ARNs.
    #[arg(long, value_name = "REGION", env = "PETREL_REGION")]
    pub region: Option<String>,
    /// Save without checking the AccessKey against the server.
    #[arg(long)]
    pub no_verify: bool,
}

fn read_secret() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("AccessKey secret (shown as typed): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| usage(format!("cannot read the secret from standard input: {e}")))?;
    let secret = line.trim().to_owned();
    if secret.is_empty() {
        return Err(usage(
            "no AccessKey secret: give --access-key-secret, PETREL_ACCESS_KEY_SECRET, or one line on standard input",
        ));
    }
    Ok(secret)
}

pub fn run(args: &ConfigureArgs) -> anyhow::Result<()> {
    let path = profile::path().ok_or_else(|| {
        usage("no place for the profiles: HOME is not set (set it, or PETREL_CLI_CONFIG to a file)")
    })?;
    let mut file = profile::load(&path)?;
    let mut p = file
        .profiles
        .get(&args.profile)
        .cloned()
        .unwrap_or_default();
    if let Some(e) = &args.endpoint {
        p.endpoint = Some(e.trim().to_owned());
    }
    let endpoint_text = p.endpoint.clone().ok_or_else(|| {
        usage(format!(
            "profile `{}` needs an endpoint: give --endpoint URL",
            args.profile
        ))
    })?;
    let endpoint = Endpoint::parse(&endpoint_text)?;
    p.endpoint = Some(endpoint.to_string());
    if let Some(id) = &args.access_key_id {
        if p.access_key_id.as_deref() != Some(id.trim()) {
            // Another key: the old secret cannot belong to it.
            p.access_key_secret = None;
        }
        p.access_key_id = Some(id.trim().to_owned());
    }
    let id = p.access_key_id.clone().ok_or_else(|| {
        usage(format!(
            "profile `{}` needs an AccessKey: give --access-key-id",
            args.profile
        ))
    })?;
    let secret = match (&args.access_key_secret, &p.access_key_secret) {
        (Some(s), _) => s.trim().to_owned(),
        (None, Some(s)) => s.clone(),
        (None, None) => read_secret()?,
    };
    p.access_key_secret = Some(secret.clone());
    if let Some(region) = &args.region {
        p.region = Some(region.clone());
    }
    let mut checked = String::new();
    if !args.no_verify {
        let remote = Remote::connect(
            Settings {
                endpoint: endpoint.clone(),
                credentials: Credentials::new(id.clone(), secret),
                region: p
                    .region
                    .clone()
                    .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            },
            OutputFormat::Table,
        )?;
        let who = remote.call(remote.client.caller_identity())?;
        checked = format!(
            " ({} {} of account {})",
            who.identity_type, who.arn, who.account_id
        );
    }
    file.profiles.insert(args.profile.clone(), p);
    profile::save(&path, &file)?;
    println!(
        "saved profile `{}` to {}: {endpoint} as {id}{checked}",
        args.profile,
        path.display()
    );
    Ok(())
}
