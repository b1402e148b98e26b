//! The master key (`master.key`) and the sealing of AccessKey secrets with it.
//!
//! Secrets must be recoverable (the server recomputes HMAC signatures with them), so they cannot
//! be hashed; instead each is encrypted with ChaCha20-Poly1305 under the master key, with a fresh
//! random nonce and the AccessKey id as associated data (a sealed secret copied onto another key's
//! record does not open). The master key never enters the database file.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::TryRngCore;
use zeroize::Zeroize;

use crate::error::MetaError;

/// Size of `master.key` in bytes.
pub const MASTER_KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
/// First byte of a sealed value; lets a future format coexist with this one.
const SEAL_FORMAT_V1: u8 = 1;
const AD_PREFIX: &[u8] = b"petrel/access-key/v1/";
const KEY_CHECK_AD: &[u8] = b"petrel/master-key-check/v1";
const KEY_CHECK_PLAINTEXT: &[u8] = b"petrel master key check";

/// A secret string (an AccessKey secret). Never printed by `Debug`, wiped from memory on drop;
/// read it with [`Secret::expose`] only where it is needed (signature checks, the one-time
/// display at creation).
#[derive(Clone)]
pub struct Secret(String);

impl PartialEq for Secret {
    /// Constant-time, so comparing a presented secret leaks nothing through timing.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Loads or creates the master key and seals/unseals with it.
pub(crate) struct Sealer {
    cipher: ChaCha20Poly1305,
}

/// The 32 key bytes, wiped on drop.
struct KeyBytes([u8; MASTER_KEY_LEN]);

impl Drop for KeyBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Sealer {
    /// Reads `path`, or creates it (mode 0600, 32 random bytes) when `create` is true.
    ///
    /// Refuses a key file that others may read or write, or whose size is not 32 bytes: a key
    /// that leaked or was truncated must not silently be used.
    pub(crate) fn load_or_create(path: &Path, create: bool) -> Result<Sealer, MetaError> {
        let shown = path.display().to_string();
        let bad = |problem: String| MetaError::MasterKey {
            path: shown.clone(),
            problem,
        };
        let key = match fs::symlink_metadata(path) {
            Ok(meta) => {
                if !meta.file_type().is_file() {
                    return Err(bad("is not a regular file".into()));
                }
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(bad(format!(
                        "permissions {mode:o} let other users read or change it; \
                         run `chmod 600` on it"
                    )));
                }
                if meta.len() != MASTER_KEY_LEN as u64 {
                    return Err(bad(format!(
                        "is {} bytes long, expected {MASTER_KEY_LEN}",
                        meta.len()
                    )));
                }
                let mut file = fs::File::open(path)
                    .map_err(MetaError::io(format!("cannot open master key `{shown}`")))?;
                let mut key = KeyBytes([0; MASTER_KEY_LEN]);
                file.read_exact(&mut key.0)
                    .map_err(MetaError::io(format!("cannot read master key `{shown}`")))?;
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Err(bad(
                        "is missing but the catalog already exists: without it no AccessKey \
                         secret can be recovered; restore the file from a backup"
                            .into(),
                    ));
                }
                let mut key = KeyBytes([0; MASTER_KEY_LEN]);
                rand::rngs::OsRng
                    .try_fill_bytes(&mut key.0)
                    .map_err(|e| bad(format!("cannot draw random bytes: {e}")))?;
                // `create_new` so that two processes racing on an empty dir cannot both win.
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(MetaError::io(format!("cannot create master key `{shown}`")))?;
                file.write_all(&key.0)
                    .and_then(|()| file.sync_all())
                    .map_err(MetaError::io(format!("cannot write master key `{shown}`")))?;
                key
            }
            Err(e) => {
                return Err(MetaError::Io {
                    context: format!("cannot inspect master key `{shown}`"),
                    source: e,
                });
            }
        };
        Ok(Sealer::from_key(&key.0))
    }

    fn from_key(key: &[u8; MASTER_KEY_LEN]) -> Sealer {
        Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    fn seal_raw(&self, plaintext: &[u8], ad: &[u8]) -> Result<Vec<u8>, MetaError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| MetaError::Crypto {
                detail: format!("cannot draw a random nonce: {e}"),
            })?;
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: ad,
                },
            )
            .map_err(|_| MetaError::Crypto {
                detail: "encryption failed".into(),
            })?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(SEAL_FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    fn open_raw(&self, sealed: &[u8], ad: &[u8]) -> Option<Vec<u8>> {
        let (&format, rest) = sealed.split_first()?;
        if format != SEAL_FORMAT_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: ad,
                },
            )
            .ok()
    }

    /// Seals the secret of AccessKey `access_key_id`; returns text safe to store.
    pub(crate) fn seal_secret(
        &self,
        access_key_id: &str,
        secret: &Secret,
    ) -> Result<String, MetaError> {
        let sealed = self.seal_raw(secret.expose().as_bytes(), &ad_for(access_key_id))?;
        Ok(STANDARD_NO_PAD.encode(sealed))
    }

    /// Opens a secret sealed by [`Sealer::seal_secret`] for the same AccessKey id.
    pub(crate) fn unseal_secret(
        &self,
        access_key_id: &str,
        sealed: &str,
    ) -> Result<Secret, MetaError> {
        let fail = || MetaError::Unseal {
            access_key_id: access_key_id.to_owned(),
        };
        let bytes = STANDARD_NO_PAD.decode(sealed).map_err(|_| fail())?;
        let mut plain = self
            .open_raw(&bytes, &ad_for(access_key_id))
            .ok_or_else(fail)?;
        let text = String::from_utf8(std::mem::take(&mut plain)).map_err(|e| {
            e.into_bytes().zeroize();
            fail()
        })?;
        Ok(Secret(text))
    }

    /// A sealed known value stored in the catalogue, so that opening it with another master key
    /// fails at once instead of at the first signature check.
    pub(crate) fn key_check(&self) -> Result<Vec<u8>, MetaError> {
        self.seal_raw(KEY_CHECK_PLAINTEXT, KEY_CHECK_AD)
    }

    /// Whether `check` (from [`Sealer::key_check`]) was made with this key.
    pub(crate) fn verify_key_check(&self, check: &[u8]) -> bool {
        self.open_raw(check, KEY_CHECK_AD)
            .is_some_and(|p| p == KEY_CHECK_PLAINTEXT)
    }
}

fn ad_for(access_key_id: &str) -> Vec<u8> {
    let mut ad = AD_PREFIX.to_vec();
    ad.extend_from_slice(access_key_id.as_bytes());
    ad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_with_same_key_and_id() {
        let a = Sealer::from_key(&[7; MASTER_KEY_LEN]);
        let b = Sealer::from_key(&[8; MASTER_KEY_LEN]);
        let secret = Secret::new("abcdefghijklmnopqrstuvwxyz0123".into());
        let sealed = a.seal_secret("LTAI1", &secret).unwrap();
        assert!(!sealed.contains("abcdefghij"));
        assert_eq!(a.unseal_secret("LTAI1", &sealed).unwrap(), secret);
        assert!(matches!(
            b.unseal_secret("LTAI1", &sealed),
            Err(MetaError::Unseal { .. })
        ));
        assert!(a.unseal_secret("LTAI2", &sealed).is_err());
        assert!(a.unseal_secret("LTAI1", "not base64!").is_err());
    }

    #[test]
    fn same_secret_seals_differently_each_time() {
        let a = Sealer::from_key(&[7; MASTER_KEY_LEN]);
        let secret = Secret::new("s".repeat(30));
        let x = a.seal_secret("LTAI1", &secret).unwrap();
        let y = a.seal_secret("LTAI1", &secret).unwrap();
        assert_ne!(x, y);
    }

    #[test]
    fn key_check_detects_another_key() {
        let a = Sealer::from_key(&[1; MASTER_KEY_LEN]);
        let b = Sealer::from_key(&[2; MASTER_KEY_LEN]);
        let check = a.key_check().unwrap();
        assert!(a.verify_key_check(&check));
        assert!(!b.verify_key_check(&check));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("topsecret".into());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }
}
