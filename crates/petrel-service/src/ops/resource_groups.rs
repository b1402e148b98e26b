//! Resource groups: create, list, rename, delete, and moving instances between them.

use petrel_meta::{Instance, NewResourceGroup, ResourceGroup};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// `ram:CreateResourceGroup`.
    pub fn create_resource_group(
        &self,
        caller: &Caller,
        name: &str,
        display_name: &str,
    ) -> Result<ResourceGroup, ServiceError> {
        let need = Need::new(
            "ram:CreateResourceGroup",
            Resource::ResourceGroup("*".to_owned()),
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.create_resource_group(
                &caller.account_id,
                NewResourceGroup {
                    name: name.to_owned(),
                    display_name: (!display_name.is_empty()).then(|| display_name.to_owned()),
                },
            )?)
        })
    }

    /// `ram:ListResourceGroups`.
    pub fn list_resource_groups(
        &self,
        caller: &Caller,
    ) -> Result<Vec<ResourceGroup>, ServiceError> {
        let need = Need::new(
            "ram:ListResourceGroups",
            Resource::ResourceGroup("*".to_owned()),
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_resource_groups(&caller.account_id)?)
        })
    }

    /// `ram:UpdateResourceGroup`: a new display name.
    pub fn rename_resource_group(
        &self,
        caller: &Caller,
        id: &str,
        display_name: &str,
    ) -> Result<ResourceGroup, ServiceError> {
        let need = Need::new(
            "ram:UpdateResourceGroup",
            Resource::ResourceGroup(id.to_owned()),
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.update_resource_group(&caller.account_id, id, display_name)?)
        })
    }

    /// `ram:DeleteResourceGroup`: refused for the default group and while it holds instances or
    /// grants.
    pub fn delete_resource_group(&self, caller: &Caller, id: &str) -> Result<(), ServiceError> {
        let need = Need::new(
            "ram:DeleteResourceGroup",
            Resource::ResourceGroup(id.to_owned()),
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_resource_group(&caller.account_id, id)?)
        })
    }

    /// `rocketmq:ChangeResourceGroup`: moves an instance (with its topics and groups) to
    /// another resource group. The caller needs the action on the instance where it is now and
    /// `ram:MoveResources` on the target group, so a grant in one group cannot push resources
    /// into a group the caller does not manage.
    pub fn move_instance(
        &self,
        caller: &Caller,
        instance: &str,
        target_group: &str,
    ) -> Result<Instance, ServiceError> {
        let needs = [
            Need::new(
                "rocketmq:ChangeResourceGroup",
                Resource::Instance(instance.to_owned()),
            ),
            Need::new(
                "ram:MoveResources",
                Resource::ResourceGroup(target_group.to_owned()),
            ),
        ];
        self.change(caller, &needs, |tx| {
            Ok(tx.change_resource_group(&caller.account_id, instance, target_group)?)
        })
    }
}
