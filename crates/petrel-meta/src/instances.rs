//! RocketMQ instances (namespaces): create in a resource group, update, move between groups
//! (ChangeResourceGroup), delete (refused while topics or consumer groups remain, unless forced).
//!
//! [`ReadTx::resource_group_of_instance`] is on the data-plane path: one point read.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::ids;
use crate::tables::{CONSUMER_GROUPS, INSTANCES, TOPICS, key, prefix};
use petrel_model::{NameKind, validate_name};

const MAX_INSTANCE_NAME_CHARS: usize = 64;
const MAX_REMARK_CHARS: usize = 128;

/// A RocketMQ instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// Instance id (the gRPC namespace), unique in the account.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Human name (1–64 characters).
    pub name: String,
    /// The resource group it belongs to.
    pub resource_group_id: String,
    /// Free remark.
    #[serde(default)]
    pub remark: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update (including moves).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Input of [`WriteTx::create_instance`].
#[derive(Debug, Clone, Default)]
pub struct NewInstance {
    /// A chosen id (3–64 letters, digits, `-`, `_`); generated (`rmq-cn-…`) when `None`.
    pub id: Option<String>,
    /// Human name.
    pub name: String,
    /// Resource group; the account's default group when `None`.
    pub resource_group_id: Option<String>,
    /// Remark.
    pub remark: Option<String>,
}

/// Input of [`WriteTx::update_instance`]; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct InstanceUpdate {
    /// New name.
    pub name: Option<String>,
    /// New remark.
    pub remark: Option<String>,
}

pub(crate) fn instance_subject(id: &str) -> String {
    format!("instance {}", Quoted(id))
}

pub(crate) fn check_remark(value: &str) -> Result<(), MetaError> {
    ids::check_text("Remark", "remark", value, MAX_REMARK_CHARS, false)
}

fn check_instance_name(value: &str) -> Result<(), MetaError> {
    ids::check_required_text(
        "InstanceName",
        "instance name",
        value,
        MAX_INSTANCE_NAME_CHARS,
    )
}

impl ReadTx<'_> {
    /// The instance `id`; `EntityNotExist.Instance` when missing or in another account.
    pub fn get_instance(&self, account: &str, id: &str) -> Result<Instance, MetaError> {
        validate_name(NameKind::InstanceId, id)?;
        ids::check_account_id(account)?;
        self.kv
            .get(INSTANCES, &key(&[account, id]))?
            .ok_or_else(|| MetaError::not_found(Entity::Instance, account, instance_subject(id)))
    }

    /// The account's instances, by id; only those in `resource_group` when given.
    pub fn list_instances(
        &self,
        account: &str,
        resource_group: Option<&str>,
    ) -> Result<Vec<Instance>, MetaError> {
        ids::check_account_id(account)?;
        let all: Vec<Instance> = self.kv.values(INSTANCES, &prefix(&[account]))?;
        Ok(match resource_group {
            Some(rg) => all
                .into_iter()
                .filter(|i| i.resource_group_id == rg)
                .collect(),
            None => all,
        })
    }

    /// The resource group of instance `id` (the authorizer's per-request lookup).
    pub fn resource_group_of_instance(&self, account: &str, id: &str) -> Result<String, MetaError> {
        self.get_instance(account, id).map(|i| i.resource_group_id)
    }
}

impl WriteTx<'_> {
    /// Creates an instance; `EntityAlreadyExists.Instance` when the id is taken in the account,
    /// `EntityNotExist.ResourceGroup` for an unknown group.
    pub fn create_instance(
        &mut self,
        account: &str,
        new: NewInstance,
    ) -> Result<Instance, MetaError> {
        check_instance_name(&new.name)?;
        let remark = new.remark.unwrap_or_default();
        check_remark(&remark)?;
        let acc = self.require_account(account)?;
        let id = match new.id {
            Some(id) => {
                validate_name(NameKind::InstanceId, &id)?;
                if self.kv.contains(INSTANCES, &key(&[account, &id]))? {
                    return Err(MetaError::exists(
                        Entity::Instance,
                        account,
                        instance_subject(&id),
                    ));
                }
                id
            }
            None => {
                let mut id = ids::instance_id();
                while self.kv.contains(INSTANCES, &key(&[account, &id]))? {
                    id = ids::instance_id();
                }
                id
            }
        };
        let rg = match new.resource_group_id {
            Some(rg) => self.get_resource_group(account, &rg)?.id,
            None => acc.default_resource_group_id,
        };
        let instance = Instance {
            id: id.clone(),
            account_id: account.to_owned(),
            name: new.name,
            resource_group_id: rg.clone(),
            remark,
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(INSTANCES, &key(&[account, &id]), &instance)?;
        self.add_resource_group_member(account, &rg, &id)?;
        Ok(instance)
    }

    /// Changes name and/or remark.
    pub fn update_instance(
        &mut self,
        account: &str,
        id: &str,
        update: InstanceUpdate,
    ) -> Result<Instance, MetaError> {
        let mut instance = self.get_instance(account, id)?;
        if let Some(name) = update.name {
            check_instance_name(&name)?;
            instance.name = name;
        }
        if let Some(remark) = update.remark {
            check_remark(&remark)?;
            instance.remark = remark;
        }
        instance.updated_at = self.now;
        self.w.put(INSTANCES, &key(&[account, id]), &instance)?;
        Ok(instance)
    }

    /// Moves the instance (with its topics and consumer groups) to another resource group of the
    /// same account.
    pub fn change_resource_group(
        &mut self,
        account: &str,
        id: &str,
        resource_group_id: &str,
    ) -> Result<Instance, MetaError> {
        let mut instance = self.get_instance(account, id)?;
        let target = self.get_resource_group(account, resource_group_id)?;
        if instance.resource_group_id == target.id {
            return Ok(instance);
        }
        self.remove_resource_group_member(account, &instance.resource_group_id, id)?;
        self.add_resource_group_member(account, &target.id, id)?;
        instance.resource_group_id = target.id;
        instance.updated_at = self.now;
        self.w.put(INSTANCES, &key(&[account, id]), &instance)?;
        Ok(instance)
    }

    /// Deletes an instance. Without `force`, refused while it has topics
    /// (`DeleteConflict.Instance.Topic`) or consumer groups (`.Instance.ConsumerGroup`); with
    /// `force`, those are deleted too.
    pub fn delete_instance(
        &mut self,
        account: &str,
        id: &str,
        force: bool,
    ) -> Result<(), MetaError> {
        let instance = self.get_instance(account, id)?;
        let children = prefix(&[account, id]);
        if !force {
            let topics = self.kv.count(TOPICS, &children)?;
            if topics > 0 {
                return Err(MetaError::conflict(
                    "Instance.Topic",
                    account,
                    instance_subject(id),
                    format!("it still has {topics} topic(s); delete them first"),
                ));
            }
            let groups = self.kv.count(CONSUMER_GROUPS, &children)?;
            if groups > 0 {
                return Err(MetaError::conflict(
                    "Instance.ConsumerGroup",
                    account,
                    instance_subject(id),
                    format!("it still has {groups} consumer group(s); delete them first"),
                ));
            }
        }
        self.w.del_prefix(TOPICS, &children)?;
        self.w.del_prefix(CONSUMER_GROUPS, &children)?;
        self.remove_resource_group_member(account, &instance.resource_group_id, id)?;
        self.w.del(INSTANCES, &key(&[account, id]))?;
        Ok(())
    }
}
