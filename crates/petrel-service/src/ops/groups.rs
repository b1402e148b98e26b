//! RAM user groups and membership: policies attached to a group reach its members.

use petrel_meta::{Group, GroupMember, NewGroup};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// `ram:CreateGroup`.
    pub fn create_group(
        &self,
        caller: &Caller,
        name: &str,
        comments: Option<&str>,
    ) -> Result<Group, ServiceError> {
        let need = Need::new("ram:CreateGroup", Resource::Group(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.create_group(
                &caller.account_id,
                NewGroup {
                    name: name.to_owned(),
                    comments: comments.map(str::to_owned),
                },
            )?)
        })
    }

    /// `ram:ListGroups`.
    pub fn list_groups(&self, caller: &Caller) -> Result<Vec<Group>, ServiceError> {
        let need = Need::new("ram:ListGroups", Resource::Group("*".to_owned()));
        self.observe(
            caller,
            &[need],
            |tx| Ok(tx.list_groups(&caller.account_id)?),
        )
    }

    /// `ram:DeleteGroup`; with `force`, its memberships and grants go too.
    pub fn delete_group(
        &self,
        caller: &Caller,
        name: &str,
        force: bool,
    ) -> Result<(), ServiceError> {
        let need = Need::new("ram:DeleteGroup", Resource::Group(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_group(&caller.account_id, name, force)?)
        })
    }

    /// `ram:AddUserToGroup`.
    pub fn add_user_to_group(
        &self,
        caller: &Caller,
        user: &str,
        group: &str,
    ) -> Result<(), ServiceError> {
        let need = Need::new("ram:AddUserToGroup", Resource::Group(group.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.add_user_to_group(&caller.account_id, user, group)?)
        })
    }

    /// `ram:RemoveUserFromGroup`.
    pub fn remove_user_from_group(
        &self,
        caller: &Caller,
        user: &str,
        group: &str,
    ) -> Result<(), ServiceError> {
        let need = Need::new("ram:RemoveUserFromGroup", Resource::Group(group.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.remove_user_from_group(&caller.account_id, user, group)?)
        })
    }

    /// `ram:ListUsersForGroup`.
    pub fn list_users_for_group(
        &self,
        caller: &Caller,
        group: &str,
    ) -> Result<Vec<GroupMember>, ServiceError> {
        let need = Need::new("ram:ListUsersForGroup", Resource::Group(group.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_users_for_group(&caller.account_id, group)?)
        })
    }
}
