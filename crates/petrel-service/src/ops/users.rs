//! RAM users and their console passwords.

use petrel_meta::{LoginProfile, NewLoginProfile, NewUser, User};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// `ram:CreateUser`.
    pub fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User, ServiceError> {
        let need = Need::new("ram:CreateUser", Resource::User(new.name.clone()));
        self.change(caller, &[need], |tx| {
            Ok(tx.create_user(&caller.account_id, new)?)
        })
    }

    /// `ram:GetUser`.
    pub fn get_user(&self, caller: &Caller, name: &str) -> Result<User, ServiceError> {
        let need = Need::new("ram:GetUser", Resource::User(name.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_user(&caller.account_id, name)?)
        })
    }

    /// `ram:ListUsers`.
    pub fn list_users(&self, caller: &Caller) -> Result<Vec<User>, ServiceError> {
        let need = Need::new("ram:ListUsers", Resource::User("*".to_owned()));
        self.observe(caller, &[need], |tx| Ok(tx.list_users(&caller.account_id)?))
    }

    /// `ram:DeleteUser`; with `force`, its keys, password, memberships and grants go too.
    pub fn delete_user(
        &self,
        caller: &Caller,
        name: &str,
        force: bool,
    ) -> Result<(), ServiceError> {
        let need = Need::new("ram:DeleteUser", Resource::User(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_user(&caller.account_id, name, force)?)
        })
    }

    /// `ram:CreateLoginProfile`: gives a user a console password (checked against the password
    /// policy, stored as an argon2id hash).
    pub fn create_login_profile(
        &self,
        caller: &Caller,
        user: &str,
        password: &str,
        password_reset_required: bool,
    ) -> Result<LoginProfile, ServiceError> {
        let need = Need::new("ram:CreateLoginProfile", Resource::User(user.to_owned()));
        // Hash before the transaction: argon2 is deliberately slow and must not hold the writer.
        let hash = self.catalog.hash_password(password)?;
        self.change(caller, &[need], |tx| {
            Ok(tx.create_login_profile(
                &caller.account_id,
                user,
                NewLoginProfile {
                    password: hash,
                    password_reset_required,
                    mfa_bind_required: false,
                },
            )?)
        })
    }
}
