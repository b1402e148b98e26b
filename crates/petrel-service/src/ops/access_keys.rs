//! AccessKeys of the root and of RAM users. A secret is returned once, at creation.

use petrel_meta::{AccessKey, AccessKeyStatus, CreatedAccessKey, Owner};

use crate::Service;
use crate::caller::{Caller, Identity};
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// The owner meant by an optional user name: the named user, else the caller itself.
    fn key_owner(caller: &Caller, user: Option<&str>) -> (Owner, Resource) {
        let name = match (user, &caller.identity) {
            (Some(name), _) => name,
            (None, Identity::User(name)) => name.as_str(),
            (None, Identity::Root) => return (Owner::Root, Resource::Account),
        };
        (
            Owner::User(name.to_owned()),
            Resource::User(name.to_owned()),
        )
    }

    /// `ram:CreateAccessKey` for `user`, or for the caller when `None`.
    pub fn create_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> Result<CreatedAccessKey, ServiceError> {
        let (owner, resource) = Self::key_owner(caller, user);
        let need = Need::new("ram:CreateAccessKey", resource);
        self.change(caller, &[need], |tx| {
            Ok(tx.create_access_key(&caller.account_id, &owner)?)
        })
    }

    /// `ram:ListAccessKeys` (ids and status, never secrets).
    pub fn list_access_keys(
        &self,
        caller: &Caller,
        user: Option<&str>,
    ) -> Result<Vec<AccessKey>, ServiceError> {
        let (owner, resource) = Self::key_owner(caller, user);
        let need = Need::new("ram:ListAccessKeys", resource);
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_access_keys(&caller.account_id, &owner)?)
        })
    }

    /// `ram:UpdateAccessKey`: enable or disable a key.
    pub fn set_access_key_status(
        &self,
        caller: &Caller,
        user: Option<&str>,
        key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<AccessKey, ServiceError> {
        let (owner, resource) = Self::key_owner(caller, user);
        let need = Need::new("ram:UpdateAccessKey", resource);
        self.change(caller, &[need], |tx| {
            Ok(tx.set_access_key_status(&caller.account_id, &owner, key_id, status)?)
        })
    }

    /// `ram:DeleteAccessKey`.
    pub fn delete_access_key(
        &self,
        caller: &Caller,
        user: Option<&str>,
        key_id: &str,
    ) -> Result<(), ServiceError> {
        let (owner, resource) = Self::key_owner(caller, user);
        let need = Need::new("ram:DeleteAccessKey", resource);
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_access_key(&caller.account_id, &owner, key_id)?)
        })
    }
}
