//! RAM users: create, read, update (including rename, which moves everything that refers to the
//! user), delete (refused while the user still has keys, a login profile, groups or policies,
//! unless forced).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::ids;
use crate::tables::{USER_IDS, USERS, key, prefix};
use petrel_model::{NameKind, validate_name};

/// RAM users per account.
pub const MAX_USERS: usize = 5_000;

/// A RAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// 16-digit numeric id, unique across accounts.
    pub user_id: String,
    /// Name, unique in the account: 1–64 of `[A-Za-z0-9._-]`.
    pub name: String,
    /// Display name (defaults to the name).
    pub display_name: String,
    /// Email address, empty when unset.
    #[serde(default)]
    pub email: String,
    /// Mobile phone (`86-18600008888`), empty when unset.
    #[serde(default)]
    pub mobile_phone: String,
    /// Free comments.
    #[serde(default)]
    pub comments: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Last successful console login.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
}

/// Input of [`WriteTx::create_user`].
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// User name.
    pub name: String,
    /// Display name; the name when `None`.
    pub display_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Mobile phone.
    pub mobile_phone: Option<String>,
    /// Comments.
    pub comments: Option<String>,
}

/// Input of [`WriteTx::update_user`]; `None` leaves a field as it is, `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// Rename the user.
    pub new_name: Option<String>,
    /// New display name (cannot be empty).
    pub display_name: Option<String>,
    /// New email.
    pub email: Option<String>,
    /// New mobile phone.
    pub mobile_phone: Option<String>,
    /// New comments.
    pub comments: Option<String>,
}

fn check_display_name(value: &str) -> Result<(), MetaError> {
    validate_name(NameKind::DisplayName, value).map_err(MetaError::from)
}

fn check_email(value: &str) -> Result<(), MetaError> {
    ids::check_text("Email", "email", value, 128, false)?;
    if !value.is_empty() && !value.contains('@') {
        return Err(MetaError::invalid(
            "Email.Format",
            format!("email {} must contain `@`", Quoted(value)),
        ));
    }
    Ok(())
}

fn check_mobile(value: &str) -> Result<(), MetaError> {
    ids::check_text("MobilePhone", "mobile phone", value, 32, false)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
    {
        return Err(MetaError::invalid(
            "MobilePhone.Format",
            format!(
                "mobile phone {} may contain only digits, `+` and `-`",
                Quoted(value)
            ),
        ));
    }
    Ok(())
}

fn check_comments(value: &str) -> Result<(), MetaError> {
    ids::check_text("Comments", "comments", value, 128, false)
}

pub(crate) fn user_subject(name: &str) -> String {
    format!("user {}", Quoted(name))
}

impl ReadTx<'_> {
    /// The user `name`; `EntityNotExist.User` when missing.
    pub fn get_user(&self, account: &str, name: &str) -> Result<User, MetaError> {
        validate_name(NameKind::UserName, name)?;
        ids::check_account_id(account)?;
        self.kv
            .get(USERS, &key(&[account, name]))?
            .ok_or_else(|| MetaError::not_found(Entity::User, account, user_subject(name)))
    }

    /// The account's users, ordered by name.
    pub fn list_users(&self, account: &str) -> Result<Vec<User>, MetaError> {
        ids::check_account_id(account)?;
        self.kv.values(USERS, &prefix(&[account]))
    }

    /// The user with this id, in whichever account: `(account id, user)`.
    pub fn find_user_by_id(&self, user_id: &str) -> Result<Option<(String, User)>, MetaError> {
        if user_id.is_empty() || user_id.len() > 64 || user_id.contains('/') {
            return Ok(None);
        }
        let Some(path) = self.kv.get_str(USER_IDS, user_id)? else {
            return Ok(None);
        };
        let account = path.split('/').next().unwrap_or_default().to_owned();
        Ok(self.kv.get::<User>(USERS, &path)?.map(|u| (account, u)))
    }
}

impl WriteTx<'_> {
    /// Creates a user; `EntityAlreadyExists.User` when the name is taken in this account.
    pub fn create_user(&mut self, account: &str, new: NewUser) -> Result<User, MetaError> {
        validate_name(NameKind::UserName, &new.name)?;
        let display_name = new.display_name.unwrap_or_else(|| new.name.clone());
        check_display_name(&display_name)?;
        let email = new.email.unwrap_or_default();
        check_email(&email)?;
        let mobile_phone = new.mobile_phone.unwrap_or_default();
        check_mobile(&mobile_phone)?;
        let comments = new.comments.unwrap_or_default();
        check_comments(&comments)?;
        self.require_account(account)?;
        let k = key(&[account, &new.name]);
        if self.kv.contains(USERS, &k)? {
            return Err(MetaError::exists(
                Entity::User,
                account,
                user_subject(&new.name),
            ));
        }
        if self.kv.count(USERS, &prefix(&[account]))? >= MAX_USERS {
            return Err(MetaError::limit(
                "User",
                account,
                format!("an account can have at most {MAX_USERS} users"),
            ));
        }
        let mut user_id = ids::user_id();
        while self.kv.contains(USER_IDS, &user_id)? {
            user_id = ids::user_id();
        }
        let user = User {
            user_id: user_id.clone(),
            name: new.name,
            display_name,
            email,
            mobile_phone,
            comments,
            created_at: self.now,
            updated_at: self.now,
            last_login_at: None,
        };
        self.w.put(USERS, &k, &user)?;
        self.w.put_raw(USER_IDS, &user_id, k.as_bytes())?;
        Ok(user)
    }

    /// Updates a user's fields and optionally renames it. A rename carries its AccessKeys, login
    /// profile, group memberships and policy attachments over to the new name.
    pub fn update_user(
        &mut self,
        account: &str,
        name: &str,
        update: UserUpdate,
    ) -> Result<User, MetaError> {
        let mut user = self.get_user(account, name)?;
        if let Some(v) = update.display_name {
            check_display_name(&v)?;
            user.display_name = v;
        }
        if let Some(v) = update.email {
            check_email(&v)?;
            user.email = v;
        }
        if let Some(v) = update.mobile_phone {
            check_mobile(&v)?;
            user.mobile_phone = v;
        }
        if let Some(v) = update.comments {
            check_comments(&v)?;
            user.comments = v;
        }
        user.updated_at = self.now;
        match update.new_name {
            Some(new_name) if new_name != name => {
                validate_name(NameKind::UserName, &new_name)?;
                let new_key = key(&[account, &new_name]);
                if self.kv.contains(USERS, &new_key)? {
                    return Err(MetaError::exists(
                        Entity::User,
                        account,
                        user_subject(&new_name),
                    ));
                }
                self.w.del(USERS, &key(&[account, name]))?;
                user.name = new_name.clone();
                self.w.put(USERS, &new_key, &user)?;
                self.w
                    .put_raw(USER_IDS, &user.user_id, new_key.as_bytes())?;
                self.rename_access_key_owner(account, name, &new_name)?;
                self.rename_login_profile(account, name, &new_name)?;
                self.rename_user_memberships(account, name, &new_name)?;
                self.rename_principal_attachments(
                    account,
                    &crate::Principal::User(name.to_owned()),
                    &new_name,
                )?;
            }
            _ => self.w.put(USERS, &key(&[account, name]), &user)?,
        }
        Ok(user)
    }

    /// Deletes a user. Without `force`, refuses while the user has AccessKeys
    /// (`DeleteConflict.User.AccessKey`), a login profile (`.User.LoginProfile`), group
    /// memberships (`.User.Group`) or attached policies (`.User.Policy`); with `force`, removes
    /// all of those too.
    pub fn delete_user(&mut self, account: &str, name: &str, force: bool) -> Result<(), MetaError> {
        let user = self.get_user(account, name)?;
        let subject = user_subject(name);
        let key_ids = self.user_access_key_ids(account, name)?;
        let has_profile = self.find_login_profile(account, name)?.is_some();
        let groups = self.group_names_of_user(account, name)?;
        let principal = crate::Principal::User(name.to_owned());
        let attachments = self.list_attachments_for(account, &principal)?;
        if !force {
            if !key_ids.is_empty() {
                return Err(MetaError::conflict(
                    "User.AccessKey",
                    account,
                    subject,
                    format!(
                        "it still has {} access key(s); delete them first",
                        key_ids.len()
                    ),
                ));
            }
            if has_profile {
                return Err(MetaError::conflict(
                    "User.LoginProfile",
                    account,
                    subject,
                    "it still has a login profile; delete it first",
                ));
            }
            if !groups.is_empty() {
                return Err(MetaError::conflict(
                    "User.Group",
                    account,
                    subject,
                    format!(
                        "it is still a member of {} group(s); remove it from them first",
                        groups.len()
                    ),
                ));
            }
            if !attachments.is_empty() {
                return Err(MetaError::conflict(
                    "User.Policy",
                    account,
                    subject,
                    format!(
                        "it still has {} policy attachment(s); detach them first",
                        attachments.len()
                    ),
                ));
            }
        }
        let owner = crate::Owner::User(name.to_owned());
        for id in &key_ids {
            self.remove_access_key(account, &owner, id)?;
        }
        if has_profile {
            self.remove_login_profile(account, name)?;
        }
        for g in &groups {
            self.remove_membership(account, name, g)?;
        }
        for a in &attachments {
            self.remove_attachment(account, a)?;
        }
        self.w.del(USERS, &key(&[account, name]))?;
        self.w.del(USER_IDS, &user.user_id)?;
        Ok(())
    }

    /// Stamps a successful console login.
    pub(crate) fn record_user_login(&self, account: &str, name: &str) -> Result<(), MetaError> {
        let mut user = self.get_user(account, name)?;
        user.last_login_at = Some(self.now);
        self.w.put(USERS, &key(&[account, name]), &user)
    }
}
