//! The RAM operations the management API needs beyond the console's set: updating users and
//! groups, the rest of the login-profile life cycle, a user's groups, policy descriptions and
//! single versions, and "who am I" (STS `GetCallerIdentity`).

use petrel_meta::{
    Group, GroupMembership, GroupUpdate, LoginProfile, LoginProfileUpdate, Policy, PolicyVersion,
    User, UserUpdate,
};

use crate::Service;
use crate::caller::{Caller, Identity};
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

/// The caller as `GetCallerIdentity` describes it.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    /// The caller's account.
    pub account_id: String,
    /// The account's alias (RAM users sign in as `name@alias`).
    pub account_alias: String,
    /// The RAM user, `None` for the root.
    pub user: Option<User>,
}

/// Input of [`Service::update_login_profile`]; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct LoginProfileChange {
    /// A new password (checked against the password policy, stored hashed).
    pub password: Option<String>,
    /// New "must change the password at next login" flag.
    pub password_reset_required: Option<bool>,
    /// New "must bind MFA at next login" flag.
    pub mfa_bind_required: Option<bool>,
}

impl Service {
    /// `ram:UpdateUser` (renames move everything that refers to the user).
    pub fn update_user(
        &self,
        caller: &Caller,
        name: &str,
        update: UserUpdate,
    ) -> Result<User, ServiceError> {
        let need = Need::new("ram:UpdateUser", Resource::User(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.update_user(&caller.account_id, name, update)?)
        })
    }

    /// `ram:GetLoginProfile`.
    pub fn get_login_profile(
        &self,
        caller: &Caller,
        user: &str,
    ) -> Result<LoginProfile, ServiceError> {
        let need = Need::new("ram:GetLoginProfile", Resource::User(user.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_login_profile(&caller.account_id, user)?)
        })
    }

    /// `ram:UpdateLoginProfile`.
    pub fn update_login_profile(
        &self,
        caller: &Caller,
        user: &str,
        change: LoginProfileChange,
    ) -> Result<LoginProfile, ServiceError> {
        let need = Need::new("ram:UpdateLoginProfile", Resource::User(user.to_owned()));
        // Hash before the transaction: argon2 is deliberately slow and must not hold the writer.
        let password = match change.password.as_deref() {
            Some(p) => Some(self.catalog.hash_password(p)?),
            None => None,
        };
        self.change(caller, &[need], |tx| {
            Ok(tx.update_login_profile(
                &caller.account_id,
                user,
                LoginProfileUpdate {
                    password,
                    password_reset_required: change.password_reset_required,
                    mfa_bind_required: change.mfa_bind_required,
                },
            )?)
        })
    }

    /// `ram:DeleteLoginProfile`.
    pub fn delete_login_profile(&self, caller: &Caller, user: &str) -> Result<(), ServiceError> {
        let need = Need::new("ram:DeleteLoginProfile", Resource::User(user.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_login_profile(&caller.account_id, user)?)
        })
    }

    /// `ram:GetGroup`.
    pub fn get_group(&self, caller: &Caller, name: &str) -> Result<Group, ServiceError> {
        let need = Need::new("ram:GetGroup", Resource::Group(name.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_group(&caller.account_id, name)?)
        })
    }

    /// `ram:UpdateGroup` (renames carry memberships and attachments along).
    pub fn update_group(
        &self,
        caller: &Caller,
        name: &str,
        update: GroupUpdate,
    ) -> Result<Group, ServiceError> {
        let need = Need::new("ram:UpdateGroup", Resource::Group(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.update_group(&caller.account_id, name, update)?)
        })
    }

    /// `ram:ListGroupsForUser`.
    pub fn list_groups_for_user(
        &self,
        caller: &Caller,
        user: &str,
    ) -> Result<Vec<GroupMembership>, ServiceError> {
        let need = Need::new("ram:ListGroupsForUser", Resource::User(user.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_groups_for_user(&caller.account_id, user)?)
        })
    }

    /// `ram:UpdatePolicyDescription` of a custom policy.
    pub fn update_policy_description(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
    ) -> Result<Policy, ServiceError> {
        let need = Need::new(
            "ram:UpdatePolicyDescription",
            Resource::Policy(name.to_owned()),
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.update_policy_description(&caller.account_id, name, description)?)
        })
    }

    /// `ram:GetPolicyVersion` of a custom policy.
    pub fn get_policy_version(
        &self,
        caller: &Caller,
        name: &str,
        version_id: &str,
    ) -> Result<PolicyVersion, ServiceError> {
        let need = Need::new("ram:GetPolicyVersion", Resource::Policy(name.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_policy_version(&caller.account_id, name, version_id)?)
        })
    }

    /// Who the caller is. Needs no permission (every principal may know itself), as STS
    /// `GetCallerIdentity` does not.
    pub fn caller_identity(&self, caller: &Caller) -> Result<CallerIdentity, ServiceError> {
        let (account, user) = self.catalog.read(|tx| {
            let account = tx.get_account(&caller.account_id)?;
            let user = match &caller.identity {
                Identity::Root => None,
                Identity::User(name) => Some(tx.get_user(&caller.account_id, name)?),
            };
            Ok((account, user))
        })?;
        Ok(CallerIdentity {
            account_id: account.id,
            account_alias: account.alias,
            user,
        })
    }
}
