//! Resource groups (ResourceManager): per-account containers of instances, the scope of
//! resource-group attachments. Each account has an undeletable default group named `default`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::ids;
use crate::tables::{
    RESOURCE_GROUP_MEMBERS, RESOURCE_GROUP_NAMES, RESOURCE_GROUPS, key, last_component, prefix,
};
use petrel_model::{NameKind, validate_name};

/// Name of every account's default resource group.
pub const DEFAULT_RESOURCE_GROUP_NAME: &str = "default";
/// Display name of the default resource group.
pub const DEFAULT_RESOURCE_GROUP_DISPLAY_NAME: &str = "Default resource group";
/// Resource groups per account.
pub const MAX_RESOURCE_GROUPS: usize = 100;
const MAX_DISPLAY_NAME_CHARS: usize = 50;

/// Life-cycle state. Creation and deletion are synchronous here, so only `OK` occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceGroupStatus {
    /// Usable.
    #[serde(rename = "OK")]
    Ok,
}

impl ResourceGroupStatus {
    /// `OK`, as ResourceManager spells it.
    pub fn as_api_str(self) -> &'static str {
        "OK"
    }
}

/// A resource group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceGroup {
    /// `rg-` + 13 lowercase base36 characters.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Unique name in the account: 3–50 letters, digits, hyphens, starting with a letter.
    pub name: String,
    /// Display name (1–50 characters).
    pub display_name: String,
    /// State.
    pub status: ResourceGroupStatus,
    /// Whether this is the account's default group.
    pub is_default: bool,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Input of [`WriteTx::create_resource_group`].
#[derive(Debug, Clone, Default)]
pub struct NewResourceGroup {
    /// Unique name.
    pub name: String,
    /// Display name; the name when `None`.
    pub display_name: Option<String>,
}

pub(crate) fn rg_subject(id: &str) -> String {
    format!("resource group {}", Quoted(id))
}

fn check_display_name(value: &str) -> Result<(), MetaError> {
    ids::check_required_text("DisplayName", "display name", value, MAX_DISPLAY_NAME_CHARS)
}

impl ReadTx<'_> {
    /// The resource group `id`; `EntityNotExist.ResourceGroup` when missing or in another
    /// account.
    pub fn get_resource_group(&self, account: &str, id: &str) -> Result<ResourceGroup, MetaError> {
        ids::check_account_id(account)?;
        ids::check_resource_group_id(id, account)?;
        self.kv
            .get(RESOURCE_GROUPS, &key(&[account, id]))?
            .ok_or_else(|| MetaError::not_found(Entity::ResourceGroup, account, rg_subject(id)))
    }

    /// The resource group named `name`, if any.
    pub fn find_resource_group_by_name(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Option<ResourceGroup>, MetaError> {
        ids::check_account_id(account)?;
        if validate_name(NameKind::ResourceGroupName, name).is_err() {
            return Ok(None);
        }
        match self
            .kv
            .get_str(RESOURCE_GROUP_NAMES, &key(&[account, name]))?
        {
            Some(id) => self.kv.get(RESOURCE_GROUPS, &key(&[account, &id])),
            None => Ok(None),
        }
    }

    /// The account's default resource group.
    pub fn default_resource_group(&self, account: &str) -> Result<ResourceGroup, MetaError> {
        let acc = self.require_account(account)?;
        self.get_resource_group(account, &acc.default_resource_group_id)
    }

    /// The account's resource groups, by id.
    pub fn list_resource_groups(&self, account: &str) -> Result<Vec<ResourceGroup>, MetaError> {
        ids::check_account_id(account)?;
        self.kv.values(RESOURCE_GROUPS, &prefix(&[account]))
    }

    /// Ids of the instances in resource group `id` (ListResources).
    pub fn list_resource_group_instances(
        &self,
        account: &str,
        id: &str,
    ) -> Result<Vec<String>, MetaError> {
        self.get_resource_group(account, id)?;
        Ok(self
            .kv
            .keys(RESOURCE_GROUP_MEMBERS, &prefix(&[account, id]))?
            .iter()
            .map(|k| last_component(k).to_owned())
            .collect())
    }
}

impl WriteTx<'_> {
    fn insert_resource_group(
        &self,
        account: &str,
        name: &str,
        display_name: &str,
        is_default: bool,
    ) -> Result<ResourceGroup, MetaError> {
        let name_key = key(&[account, name]);
        if self.kv.contains(RESOURCE_GROUP_NAMES, &name_key)? {
            return Err(MetaError::exists(
                Entity::ResourceGroup,
                account,
                format!("resource group named {}", Quoted(name)),
            ));
        }
        let mut id = ids::resource_group_id();
        while self.kv.contains(RESOURCE_GROUPS, &key(&[account, &id]))? {
            id = ids::resource_group_id();
        }
        let rg = ResourceGroup {
            id: id.clone(),
            account_id: account.to_owned(),
            name: name.to_owned(),
            display_name: display_name.to_owned(),
            status: ResourceGroupStatus::Ok,
            is_default,
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(RESOURCE_GROUPS, &key(&[account, &id]), &rg)?;
        self.w
            .put_raw(RESOURCE_GROUP_NAMES, &name_key, id.as_bytes())?;
        Ok(rg)
    }

    /// Creates the default group of a new account; returns its id.
    pub(crate) fn insert_default_resource_group(&self, account: &str) -> Result<String, MetaError> {
        self.insert_resource_group(
            account,
            DEFAULT_RESOURCE_GROUP_NAME,
            DEFAULT_RESOURCE_GROUP_DISPLAY_NAME,
            true,
        )
        .map(|rg| rg.id)
    }

    /// Creates a resource group; `EntityAlreadyExists.ResourceGroup` when the name is taken.
    pub fn create_resource_group(
        &mut self,
        account: &str,
        new: NewResourceGroup,
    ) -> Result<ResourceGroup, MetaError> {
        validate_name(NameKind::ResourceGroupName, &new.name)?;
        let display_name = new.display_name.unwrap_or_else(|| new.name.clone());
        check_display_name(&display_name)?;
        self.require_account(account)?;
        if self.kv.count(RESOURCE_GROUPS, &prefix(&[account]))? >= MAX_RESOURCE_GROUPS {
            return Err(MetaError::limit(
                "ResourceGroup",
                account,
                format!("an account can have at most {MAX_RESOURCE_GROUPS} resource groups"),
            ));
        }
        self.insert_resource_group(account, &new.name, &display_name, false)
    }

    /// Changes the display name (the name is immutable, as in ResourceManager).
    pub fn update_resource_group(
        &mut self,
        account: &str,
        id: &str,
        display_name: &str,
    ) -> Result<ResourceGroup, MetaError> {
        check_display_name(display_name)?;
        let mut rg = self.get_resource_group(account, id)?;
        rg.display_name = display_name.to_owned();
        rg.updated_at = self.now;
        self.w.put(RESOURCE_GROUPS, &key(&[account, id]), &rg)?;
        Ok(rg)
    }

    /// Deletes a resource group. Refused for the default group
    /// (`DeleteConflict.ResourceGroup.Default`), while it holds instances
    /// (`DeleteConflict.ResourceGroup.Resource`) and while policies are attached in its scope
    /// (`DeleteConflict.ResourceGroup.PolicyAttachment`).
    pub fn delete_resource_group(&mut self, account: &str, id: &str) -> Result<(), MetaError> {
        let rg = self.get_resource_group(account, id)?;
        if rg.is_default {
            return Err(MetaError::conflict(
                "ResourceGroup.Default",
                account,
                rg_subject(id),
                "it is the account's default resource group",
            ));
        }
        let members = self
            .kv
            .count(RESOURCE_GROUP_MEMBERS, &prefix(&[account, id]))?;
        if members > 0 {
            return Err(MetaError::conflict(
                "ResourceGroup.Resource",
                account,
                rg_subject(id),
                format!("it still holds {members} instance(s); move or delete them first"),
            ));
        }
        let scoped = self.attachments_in_scope(account, id)?;
        if scoped > 0 {
            return Err(MetaError::conflict(
                "ResourceGroup.PolicyAttachment",
                account,
                rg_subject(id),
                format!("{scoped} policy attachment(s) are scoped to it; detach them first"),
            ));
        }
        self.w.del(RESOURCE_GROUPS, &key(&[account, id]))?;
        self.w
            .del(RESOURCE_GROUP_NAMES, &key(&[account, &rg.name]))?;
        Ok(())
    }

    pub(crate) fn add_resource_group_member(
        &self,
        account: &str,
        rg: &str,
        instance: &str,
    ) -> Result<(), MetaError> {
        self.w
            .put_raw(RESOURCE_GROUP_MEMBERS, &key(&[account, rg, instance]), &[])
    }

    pub(crate) fn remove_resource_group_member(
        &self,
        account: &str,
        rg: &str,
        instance: &str,
    ) -> Result<(), MetaError> {
        self.w
            .del(RESOURCE_GROUP_MEMBERS, &key(&[account, rg, instance]))
            .map(|_| ())
    }
}
