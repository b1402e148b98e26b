//! The operator credential: one bearer token for the operator API of a running server
//! (`/operator/…`), separate from every account's logins and AccessKeys.
//!
//! `petrel account token` mints a token, prints it once and keeps only its SHA-256 in the data
//! dir (`operator-token.sha256`, mode 0600). The server reads that file on each operator
//! request, so minting a new token revokes the old one without a restart. With no file the
//! operator API refuses everything. The token is 256 random bits, so a plain hash is enough:
//! there is nothing to brute-force that a slow hash would protect.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// File in the data dir holding the hex SHA-256 of the operator token.
pub const OPERATOR_TOKEN_FILE: &str = "operator-token.sha256";

/// Prefix of every operator token, so that a leaked one is recognisable in a scan.
const TOKEN_PREFIX: &str = "petrel-op-";

/// Why an operator request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OperatorAuthError {
    /// No token has been minted for this data dir.
    #[error(
        "the operator api is disabled: no operator token exists; run `petrel account token --data-dir DIR` on the server host"
    )]
    NotConfigured,
    /// The request carried no bearer token.
    #[error("missing operator token: send it as `authorization: Bearer <token>`")]
    Missing,
    /// The token does not match.
    #[error("the operator token is not valid")]
    Invalid,
    /// The token file cannot be read or written.
    #[error("operator token file `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Mints a new operator token for `data_dir`, replacing (revoking) any earlier one. The token is
/// returned here only; the data dir keeps its hash.
pub fn issue_operator_token(data_dir: &Path) -> Result<String, OperatorAuthError> {
    let token = format!(
        "{TOKEN_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 43)
    );
    let path = data_dir.join(OPERATOR_TOKEN_FILE);
    let io = |source| OperatorAuthError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("sha256.tmp");
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        file.write_all(digest(&token).as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(token)
}

/// Checks `presented` (the bearer token of a request, if any) against the data dir's hash.
pub fn check_operator_token(
    data_dir: &Path,
    presented: Option<&str>,
) -> Result<(), OperatorAuthError> {
    let path = data_dir.join(OPERATOR_TOKEN_FILE);
    let stored = match std::fs::read_to_string(&path) {
        Ok(s) => s.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OperatorAuthError::NotConfigured);
        }
        Err(source) => {
            return Err(OperatorAuthError::Io {
                path: path.display().to_string(),
                source,
            });
        }
    };
    if stored.is_empty() {
        return Err(OperatorAuthError::NotConfigured);
    }
    let presented = presented
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(OperatorAuthError::Missing)?;
    if bool::from(digest(presented).as_bytes().ct_eq(stored.as_bytes())) {
        Ok(())
    } else {
        Err(OperatorAuthError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_token_is_accepted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            check_operator_token(dir.path(), Some("x")),
            Err(OperatorAuthError::NotConfigured)
        ));
        let first = issue_operator_token(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(check_operator_token(dir.path(), Some(&first)).is_ok());
        assert!(matches!(
            check_operator_token(dir.path(), None),
            Err(OperatorAuthError::Missing)
        ));
        let second = issue_operator_token(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(check_operator_token(dir.path(), Some(&second)).is_ok());
        assert!(matches!(
            check_operator_token(dir.path(), Some(&first)),
            Err(OperatorAuthError::Invalid)
        ));
        let text = std::fs::read_to_string(dir.path().join(OPERATOR_TOKEN_FILE))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !text.contains(&second),
            "the file holds a hash, not the token"
        );
    }
}
