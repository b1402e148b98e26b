//! Console login: resolving a login name to the root or a RAM user and checking the password.
//!
//! Login names: the root is `root@<alias>`; a RAM user is `<name>`, `<name>@<alias>` or
//! `<name>@<alias>.onaliyun.com` (the form Alibaba shows). A bare `root` is the RAM user named
//! `root`, never the account root. The account may be given separately (alias or id) or, when
//! empty, taken from the login name's suffix.
//!
//! Every failure before the password check (unknown account, unknown user, no login profile)
//! answers `InvalidCredentials` after spending the time of a real verification, so neither the
//! answer nor its timing reveals which names exist.

use crate::accounts::Account;
use crate::catalog::Catalog;
use crate::error::MetaError;

/// Who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginIdentity {
    /// The account root.
    Root,
    /// A RAM user.
    User {
        /// User name.
        name: String,
        /// User id.
        user_id: String,
    },
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPrincipal {
    /// The account (after the login was stamped).
    pub account: Account,
    /// Root or user.
    pub identity: LoginIdentity,
    /// The user must change the password now (always false for the root).
    pub password_reset_required: bool,
    /// The user must bind an MFA device now (always false for the root).
    pub mfa_bind_required: bool,
}

enum Candidate {
    Root {
        account: Account,
        hash: String,
    },
    User {
        account: Account,
        name: String,
        user_id: String,
        hash: String,
        reset: bool,
        mfa: bool,
    },
}

const ALIBABA_LOGIN_SUFFIX: &str = ".onaliyun.com";

impl Catalog {
    /// Checks a console login. `account_alias_or_id` may be empty when `login_name` carries the
    /// alias (`alice@acme`). Wrong names and passwords give `InvalidCredentials`; a correct login
    /// to a disabled account gives `Account.Disabled`. A success stamps the last-login time.
    ///
    /// Runs argon2 outside any transaction: call it directly, not from inside `read`/`write`.
    pub fn verify_login(
        &self,
        account_alias_or_id: &str,
        login_name: &str,
        password: &str,
    ) -> Result<LoginPrincipal, MetaError> {
        let hasher = &self.inner.hasher;
        let candidate = self.read(|tx| {
            let (name, suffix) = match login_name.split_once('@') {
                Some((n, s)) => (n, Some(s.strip_suffix(ALIBABA_LOGIN_SUFFIX).unwrap_or(s))),
                None => (login_name, None),
            };
            let account_ref = match (account_alias_or_id.is_empty(), suffix) {
                (false, _) => account_alias_or_id,
                (true, Some(s)) => s,
                (true, None) => return Ok(None),
            };
            let Some(account) = tx.find_account(account_ref)? else {
                return Ok(None);
            };
            if let Some(s) = suffix
                && s != account.alias
                && s != account.id
            {
                return Ok(None);
            }
            if name == "root" && suffix.is_some() {
                let hash = tx.stored_account(&account.id)?.root_password_hash;
                return Ok(Some(Candidate::Root { account, hash }));
            }
            if petrel_model::validate_name(petrel_model::NameKind::UserName, name).is_err() {
                return Ok(None);
            }
            let Ok(user) = tx.get_user(&account.id, name) else {
                return Ok(None);
            };
            let Some(profile) = tx.find_login_profile(&account.id, name)? else {
                return Ok(None);
            };
            Ok(Some(Candidate::User {
                account,
                name: user.name,
                user_id: user.user_id,
                hash: profile.password_hash,
                reset: profile.profile.password_reset_required,
                mfa: profile.profile.mfa_bind_required,
            }))
        })?;
        let Some(candidate) = candidate else {
            hasher.verify_nothing(password);
            return Err(MetaError::InvalidCredentials);
        };
        let hash = match &candidate {
            Candidate::Root { hash, .. } | Candidate::User { hash, .. } => hash,
        };
        if !hasher.verify(hash, password) {
            return Err(MetaError::InvalidCredentials);
        }
        let account = match &candidate {
            Candidate::Root { account, .. } | Candidate::User { account, .. } => account,
        };
        if !account.enabled {
            return Err(MetaError::AccountDisabled {
                account: account.id.clone(),
            });
        }
        self.write(|tx| match candidate {
            Candidate::Root { account, .. } => {
                let mut stored = tx.stored_account(&account.id)?;
                stored.account.root_last_login_at = Some(tx.now);
                tx.put_account(&stored)?;
                Ok(LoginPrincipal {
                    account: stored.account,
                    identity: LoginIdentity::Root,
                    password_reset_required: false,
                    mfa_bind_required: false,
                })
            }
            Candidate::User {
                account,
                name,
                user_id,
                reset,
                mfa,
                ..
            } => {
                // The user may have been deleted or renamed since the read: then it is no login.
                match tx.get_user(&account.id, &name) {
                    Ok(u) if u.user_id == user_id => {}
                    _ => return Err(MetaError::InvalidCredentials),
                }
                tx.record_user_login(&account.id, &name)?;
                Ok(LoginPrincipal {
                    account,
                    identity: LoginIdentity::User { name, user_id },
                    password_reset_required: reset,
                    mfa_bind_required: mfa,
                })
            }
        })
    }
}
