//! Remote mode: which endpoint and AccessKey a command uses, and running its API calls.
//!
//! The endpoint is `--endpoint`/`PETREL_ENDPOINT`, else the profile's. The AccessKey is the one
//! of a profile named with `--profile`; otherwise `PETREL_ACCESS_KEY_ID`/`_SECRET`, then
//! `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`, then the default profile's.

use std::future::Future;

use anyhow::Context;
use petrel_client::{Client, Credentials, Endpoint};

use super::output::OutputFormat;
use super::{DEFAULT_REGION, Target};
use crate::exit::usage;
use crate::profile::{self, DEFAULT_PROFILE, Profile};

/// The environment variables that may hold an AccessKey, in order of precedence.
const KEY_ENV: [(&str, &str); 2] = [
    ("PETREL_ACCESS_KEY_ID", "PETREL_ACCESS_KEY_SECRET"),
    (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    ),
];

/// Everything remote mode needs.
#[derive(Debug)]
pub struct Settings {
    pub endpoint: Endpoint,
    pub credentials: Credentials,
    pub region: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The AccessKey from the environment, if one is set there.
fn key_from_env() -> anyhow::Result<Option<Credentials>> {
    for (id_var, secret_var) in KEY_ENV {
        match (env(id_var), env(secret_var)) {
            (Some(id), Some(secret)) => return Ok(Some(Credentials::new(id.trim(), secret))),
            (None, None) => {}
            (Some(_), None) => {
                return Err(usage(format!("{id_var} is set but {secret_var} is not")));
            }
            (None, Some(_)) => {
                return Err(usage(format!("{secret_var} is set but {id_var} is not")));
            }
        }
    }
    Ok(None)
}

fn key_from_profile(name: &str, p: &Profile) -> anyhow::Result<Option<Credentials>> {
    match (&p.access_key_id, &p.access_key_secret) {
        (Some(id), Some(secret)) => Ok(Some(Credentials::new(id.clone(), secret.clone()))),
        (None, None) => Ok(None),
        _ => Err(usage(format!(
            "profile `{name}` has only half an AccessKey: run `petrel configure --profile {name}` again"
        ))),
    }
}

/// The remote settings, or `None` for local mode.
pub fn settings(target: &Target) -> anyhow::Result<Option<Settings>> {
    let wants_file =
        target.endpoint.is_some() || target.profile.is_some() || target.data_dir.is_none();
    if !wants_file {
        return Ok(None);
    }
    let path = profile::path();
    let file = match &path {
        Some(p) => profile::load(p)?,
        None => profile::ProfileFile::default(),
    };
    let shown_path = path.as_ref().map_or_else(
        || "~/.petrel/config.toml".to_owned(),
        |p| p.display().to_string(),
    );
    let (profile_name, chosen) = match &target.profile {
        Some(name) => match file.profiles.get(name) {
            Some(p) => (name.as_str(), Some(p)),
            None => {
                return Err(usage(format!(
                    "no profile `{name}` in `{shown_path}`: create it with `petrel configure --profile {name}`"
                )));
            }
        },
        None => (DEFAULT_PROFILE, file.profiles.get(DEFAULT_PROFILE)),
    };
    let endpoint = match (&target.endpoint, chosen.and_then(|p| p.endpoint.as_ref())) {
        (Some(e), _) | (None, Some(e)) => e.clone(),
        (None, None) if target.profile.is_some() => {
            return Err(usage(format!(
                "profile `{profile_name}` has no endpoint: run `petrel configure --profile {profile_name} --endpoint URL`"
            )));
        }
        (None, None) => return Ok(None),
    };
    let endpoint = Endpoint::parse(&endpoint)?;
    let from_profile = match chosen {
        Some(p) => key_from_profile(profile_name, p)?,
        None => None,
    };
    let credentials = if target.profile.is_some() {
        match from_profile {
            Some(c) => Some(c),
            None => key_from_env()?,
        }
    } else {
        match key_from_env()? {
            Some(c) => Some(c),
            None => from_profile,
        }
    };
    let credentials = credentials.ok_or_else(|| {
        usage(format!(
            "no AccessKey for {endpoint}: set PETREL_ACCESS_KEY_ID and PETREL_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET), or run `petrel configure`"
        ))
    })?;
    let region = target
        .region
        .clone()
        .or_else(|| chosen.and_then(|p| p.region.clone()))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());
    Ok(Some(Settings {
        endpoint,
        credentials,
        region,
    }))
}

/// A connected remote mode: the client and a runtime to run its calls on.
pub struct Remote {
    pub client: Client,
    pub region: String,
    pub format: OutputFormat,
    runtime: tokio::runtime::Runtime,
}

impl Remote {
    /// A client for `settings`.
    pub fn connect(settings: Settings, format: OutputFormat) -> anyhow::Result<Remote> {
        let client = Client::new(settings.endpoint, settings.credentials)?
            .with_user_agent(concat!("petrel-cli/", env!("CARGO_PKG_VERSION")));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Remote {
            client,
            region: settings.region,
            format,
            runtime,
        })
    }

    /// Runs one API call (or several, in a block) to completion.
    pub fn call<T, E>(&self, f: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Ok(self.runtime.block_on(f)?)
    }

    /// Runs one call and keeps its typed error, for callers that branch on the code.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Prints `value` as JSON, or `text` for people.
    pub fn print(
        &self,
        value: &impl serde::Serialize,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        super::output::print(self.format, value, text)
    }
}
