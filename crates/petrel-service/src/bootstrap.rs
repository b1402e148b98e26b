//! First start: with an empty catalogue, create one account and hand its root login and
//! AccessKey to the operator exactly once (printed by the binary, and written to
//! `initial-credentials.json` with mode 0600 for scripts and tests).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use petrel_meta::{
    AuditPrincipal, AuditSource, MetaError, NewAccount, NewAuditRecord, Outcome, PrincipalKind,
};
use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;

use crate::Service;
use crate::caller::new_request_id;
use crate::error::ServiceError;

/// File name of the first account's credentials inside the data dir.
pub const INITIAL_CREDENTIALS_FILE: &str = "initial-credentials.json";

/// Alias of the account created on first start.
const INITIAL_ALIAS: &str = "petrel";

/// The first account's credentials. Shown once; `Debug` never prints the secrets.
#[derive(Clone, Serialize)]
pub struct InitialCredentials {
    /// The account id.
    pub account_id: String,
    /// The root login name for the console.
    pub login_name: String,
    /// The root password.
    pub password: String,
    /// The root AccessKey id.
    pub access_key_id: String,
    /// The root AccessKey secret.
    pub access_key_secret: String,
}

impl std::fmt::Debug for InitialCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitialCredentials")
            .field("account_id", &self.account_id)
            .field("login_name", &self.login_name)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Creates the first account when the catalogue has none and returns its credentials;
    /// returns `None` on every later start, so secrets are never printed or rewritten again.
    ///
    /// The credentials file is written inside the catalogue transaction that creates the
    /// account: if writing it fails, no account is created, and the next start tries again.
    pub fn bootstrap(&self) -> Result<Option<InitialCredentials>, ServiceError> {
        let has_account = self
            .catalog
            .read(|tx| Ok(!tx.list_accounts()?.is_empty()))?;
        if has_account {
            return Ok(None);
        }
        let password = generate_password();
        let hash = self.catalog.hash_password(&password)?;
        let path = self.catalog.data_dir().join(INITIAL_CREDENTIALS_FILE);
        let mut io_error = None;
        let created = self.catalog.write(|tx| {
            if !tx.list_accounts()?.is_empty() {
                return Ok(None);
            }
            let (account, key) = tx.create_account(NewAccount {
                alias: INITIAL_ALIAS.to_owned(),
                root_password: hash,
            })?;
            let creds = InitialCredentials {
                login_name: account.root_login_name(),
                account_id: account.id.clone(),
                password: password.clone(),
                access_key_id: key.id.clone(),
                access_key_secret: key.secret.expose().to_owned(),
            };
            tx.append_audit(NewAuditRecord {
                account_id: account.id.clone(),
                principal: AuditPrincipal {
                    kind: PrincipalKind::System,
                    display: "petrel".to_owned(),
                },
                action: "petrel:CreateAccount".to_owned(),
                resource: petrel_model::Arn::ram_account(&account.id).to_string(),
                outcome: Outcome::Allowed,
                reason: "first start with an empty data dir".to_owned(),
                request_id: new_request_id(),
                source: AuditSource::Internal,
            })?;
            if let Err(e) = write_private_json(&path, &creds) {
                io_error = Some(e);
                return Err(MetaError::Aborted);
            }
            Ok(Some(creds))
        });
        match created {
            Ok(c) => Ok(c),
            Err(e) => Err(match io_error {
                Some(source) => ServiceError::Io {
                    path: path.display().to_string(),
                    source,
                },
                None => ServiceError::Meta(e),
            }),
        }
    }
}

/// A password that meets the password policy: 24 alphanumerics with letters and digits.
pub(crate) fn generate_password() -> String {
    loop {
        let candidate = Alphanumeric.sample_string(&mut rand::rng(), 24);
        let letters = candidate.chars().any(|c| c.is_ascii_alphabetic());
        let digits = candidate.chars().any(|c| c.is_ascii_digit());
        if letters && digits {
            return candidate;
        }
    }
}

/// Writes `value` as JSON to `path` with mode 0600, atomically (temp file, fsync, rename).
fn write_private_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&text)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
