//! Login passwords: the password policy, argon2id hashing and constant-time verification.
//!
//! Hashing is deliberately slow, so it happens outside write transactions: callers turn a plain
//! password into a [`PasswordHash`] with [`crate::Catalog::hash_password`] first and pass the hash
//! to the mutation. The only constructor of [`PasswordHash`] applies the policy, so nothing weak
//! can be stored.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::TryRngCore;

use crate::error::MetaError;

/// Shortest accepted password.
pub const PASSWORD_MIN_LEN: usize = 8;
/// Longest accepted password (bounds the hashing work an input can cause).
pub const PASSWORD_MAX_LEN: usize = 128;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashing {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    /// The OWASP-recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        PasswordHashing {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashing {
    /// The cheapest parameters argon2 accepts. For tests only: such hashes are easy to brute-force.
    pub fn insecure_fast_for_tests() -> Self {
        PasswordHashing {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// An argon2id hash in PHC string form, made by [`crate::Catalog::hash_password`] from a password
/// that met the policy.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The PHC string (`$argon2id$v=19$m=…`).
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Checks the password policy: 8–128 characters with at least one letter and one digit.
pub fn check_password_policy(password: &str) -> Result<(), MetaError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_LEN {
        return Err(MetaError::PasswordTooWeak {
            reason: "it must be at least 8 characters long",
        });
    }
    if len > PASSWORD_MAX_LEN {
        return Err(MetaError::PasswordTooWeak {
            reason: "it must be at most 128 characters long",
        });
    }
    if !password.chars().any(|c| c.is_alphabetic()) {
        return Err(MetaError::PasswordTooWeak {
            reason: "it must contain a letter",
        });
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(MetaError::PasswordTooWeak {
            reason: "it must contain a digit",
        });
    }
    if password.chars().any(char::is_control) {
        return Err(MetaError::PasswordTooWeak {
            reason: "it must not contain control characters",
        });
    }
    Ok(())
}

/// Hashes and verifies with fixed parameters.
pub(crate) struct Hasher {
    argon: Argon2<'static>,
    /// A hash of a random password, verified against when the login name is unknown so that an
    /// unknown name takes as long as a wrong password.
    dummy: OnceLock<Option<String>>,
}

impl Hasher {
    pub(crate) fn new(params: PasswordHashing) -> Result<Hasher, MetaError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| MetaError::Crypto {
            detail: format!("invalid argon2 parameters: {e}"),
        })?;
        Ok(Hasher {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
            dummy: OnceLock::new(),
        })
    }

    /// Applies the policy, then hashes with a fresh random salt.
    pub(crate) fn hash(&self, password: &str) -> Result<PasswordHash, MetaError> {
        check_password_policy(password)?;
        self.hash_unchecked(password).map(PasswordHash)
    }

    fn hash_unchecked(&self, password: &str) -> Result<String, MetaError> {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|e| MetaError::Crypto {
                detail: format!("cannot draw a random salt: {e}"),
            })?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| MetaError::Crypto {
            detail: format!("cannot encode the salt: {e}"),
        })?;
        let hash = self
            .argon
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| MetaError::Crypto {
                detail: format!("argon2 failed: {e}"),
            })?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches `phc`. The comparison inside argon2 is constant-time; the cost
    /// parameters come from the stored hash, so old hashes keep verifying after a change of
    /// settings.
    pub(crate) fn verify(&self, phc: &str, password: &str) -> bool {
        match argon2::password_hash::PasswordHash::new(phc) {
            Ok(parsed) => self
                .argon
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the time of one verification and fails; used when there is nothing to verify.
    pub(crate) fn verify_nothing(&self, password: &str) -> bool {
        let dummy = self.dummy.get_or_init(|| {
            let mut random = [0u8; 24];
            rand::rngs::OsRng.try_fill_bytes(&mut random).ok()?;
            self.hash_unchecked(&hex::encode(random)).ok()
        });
        if let Some(phc) = dummy {
            let _ = self.verify(phc, password);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_requires_length_letters_and_digits() {
        for weak in ["short1", "allletters", "12345678", ""] {
            let err = check_password_policy(weak).unwrap_err();
            assert_eq!(err.code().as_str(), "InvalidParameter.Password.TooWeak");
        }
        assert!(check_password_policy("Passw0rd-ok").is_ok());
        assert!(check_password_policy(&format!("a1{}", "x".repeat(200))).is_err());
    }

    #[test]
    fn hash_verifies_only_the_right_password() {
        let h = Hasher::new(PasswordHashing::insecure_fast_for_tests()).unwrap();
        let hash = h.hash("correct horse 1").unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$"));
        assert!(h.verify(hash.as_phc(), "correct horse 1"));
        assert!(!h.verify(hash.as_phc(), "correct horse 2"));
        assert!(!h.verify("garbage", "correct horse 1"));
        assert!(!h.verify_nothing("correct horse 1"));
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }
}
