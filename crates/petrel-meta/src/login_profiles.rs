//! Login profiles of RAM users: the console password (argon2id hash) and its flags.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError};
use crate::password::PasswordHash;
use crate::tables::{LOGIN_PROFILES, key};
use crate::users::user_subject;

/// A user's login profile, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// The user it belongs to.
    pub user_name: String,
    /// The user must change the password at next login.
    pub password_reset_required: bool,
    /// The user must bind an MFA device at next login.
    pub mfa_bind_required: bool,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change (password or flags).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Input of [`WriteTx::create_login_profile`].
#[derive(Debug, Clone)]
pub struct NewLoginProfile {
    /// The password, hashed with [`crate::Catalog::hash_password`].
    pub password: PasswordHash,
    /// Force a password change at next login.
    pub password_reset_required: bool,
    /// Force MFA binding at next login.
    pub mfa_bind_required: bool,
}

/// Input of [`WriteTx::update_login_profile`]; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct LoginProfileUpdate {
    /// New password hash.
    pub password: Option<PasswordHash>,
    /// New reset flag.
    pub password_reset_required: Option<bool>,
    /// New MFA flag.
    pub mfa_bind_required: Option<bool>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredLoginProfile {
    pub(crate) profile: LoginProfile,
    pub(crate) password_hash: String,
}

fn missing(account: &str, user: &str) -> MetaError {
    MetaError::not_found(
        Entity::LoginProfile,
        account,
        format!("login profile of {}", user_subject(user)),
    )
}

impl ReadTx<'_> {
    pub(crate) fn find_login_profile(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Option<StoredLoginProfile>, MetaError> {
        self.kv.get(LOGIN_PROFILES, &key(&[account, user]))
    }

    /// The login profile of `user`; `EntityNotExist.User.LoginProfile` when it has none.
    pub fn get_login_profile(&self, account: &str, user: &str) -> Result<LoginProfile, MetaError> {
        self.get_user(account, user)?;
        self.find_login_profile(account, user)?
            .map(|s| s.profile)
            .ok_or_else(|| missing(account, user))
    }
}

impl WriteTx<'_> {
    /// Gives `user` a console password; `EntityAlreadyExists.User.LoginProfile` if it has one.
    pub fn create_login_profile(
        &mut self,
        account: &str,
        user: &str,
        new: NewLoginProfile,
    ) -> Result<LoginProfile, MetaError> {
        self.get_user(account, user)?;
        if self.find_login_profile(account, user)?.is_some() {
            return Err(MetaError::exists(
                Entity::LoginProfile,
                account,
                format!("login profile of {}", user_subject(user)),
            ));
        }
        let profile = LoginProfile {
            user_name: user.to_owned(),
            password_reset_required: new.password_reset_required,
            mfa_bind_required: new.mfa_bind_required,
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(
            LOGIN_PROFILES,
            &key(&[account, user]),
            &StoredLoginProfile {
                profile: profile.clone(),
                password_hash: new.password.as_phc().to_owned(),
            },
        )?;
        Ok(profile)
    }

    /// Changes the password and/or the flags.
    pub fn update_login_profile(
        &mut self,
        account: &str,
        user: &str,
        update: LoginProfileUpdate,
    ) -> Result<LoginProfile, MetaError> {
        self.get_user(account, user)?;
        let mut stored = self
            .find_login_profile(account, user)?
            .ok_or_else(|| missing(account, user))?;
        if let Some(p) = update.password {
            stored.password_hash = p.as_phc().to_owned();
        }
        if let Some(v) = update.password_reset_required {
            stored.profile.password_reset_required = v;
        }
        if let Some(v) = update.mfa_bind_required {
            stored.profile.mfa_bind_required = v;
        }
        stored.profile.updated_at = self.now;
        self.w
            .put(LOGIN_PROFILES, &key(&[account, user]), &stored)?;
        Ok(stored.profile)
    }

    /// Removes the console password of `user`.
    pub fn delete_login_profile(&mut self, account: &str, user: &str) -> Result<(), MetaError> {
        self.get_user(account, user)?;
        if !self.remove_login_profile(account, user)? {
            return Err(missing(account, user));
        }
        Ok(())
    }

    pub(crate) fn remove_login_profile(
        &self,
        account: &str,
        user: &str,
    ) -> Result<bool, MetaError> {
        self.w.del(LOGIN_PROFILES, &key(&[account, user]))
    }

    pub(crate) fn rename_login_profile(
        &self,
        account: &str,
        from: &str,
        to: &str,
    ) -> Result<(), MetaError> {
        if let Some(mut stored) = self.find_login_profile(account, from)? {
            stored.profile.user_name = to.to_owned();
            self.w.del(LOGIN_PROFILES, &key(&[account, from]))?;
            self.w.put(LOGIN_PROFILES, &key(&[account, to]), &stored)?;
        }
        Ok(())
    }
}
