//! RAM groups and group membership (kept in two index tables, user → groups and group → users,
//! so both listings are one prefix scan).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::ids;
use crate::tables::{GROUPS, GROUPS_OF_USER, USERS_OF_GROUP, key, last_component, prefix};
use crate::users::{User, user_subject};
use petrel_model::{NameKind, validate_name};

/// Groups per account.
pub const MAX_GROUPS: usize = 300;
/// Groups a user can be a member of.
pub const MAX_GROUPS_PER_USER: usize = 10;

/// A RAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// `g-` + 16 base62 characters.
    pub group_id: String,
    /// Name, unique in the account: 1–64 letters, digits, hyphens.
    pub name: String,
    /// Free comments.
    #[serde(default)]
    pub comments: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Input of [`WriteTx::create_group`].
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    /// Group name.
    pub name: String,
    /// Comments.
    pub comments: Option<String>,
}

/// Input of [`WriteTx::update_group`]; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct GroupUpdate {
    /// Rename the group (memberships and attachments follow).
    pub new_name: Option<String>,
    /// New comments.
    pub comments: Option<String>,
}

/// A group a user belongs to (ListGroupsForUser).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembership {
    /// The group.
    pub group: Group,
    /// When the user joined.
    pub joined_at: OffsetDateTime,
}

/// A member of a group (ListUsersForGroup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The user.
    pub user: User,
    /// When the user joined.
    pub joined_at: OffsetDateTime,
}

#[derive(Serialize, Deserialize)]
struct Joined {
    #[serde(with = "time::serde::rfc3339")]
    joined_at: OffsetDateTime,
}

pub(crate) fn group_subject(name: &str) -> String {
    format!("group {}", Quoted(name))
}

fn membership_subject(user: &str, group: &str) -> String {
    format!(
        "membership of {} in {}",
        user_subject(user),
        group_subject(group)
    )
}

impl ReadTx<'_> {
    /// The group `name`; `EntityNotExist.Group` when missing.
    pub fn get_group(&self, account: &str, name: &str) -> Result<Group, MetaError> {
        validate_name(NameKind::GroupName, name)?;
        ids::check_account_id(account)?;
        self.kv
            .get(GROUPS, &key(&[account, name]))?
            .ok_or_else(|| MetaError::not_found(Entity::Group, account, group_subject(name)))
    }

    /// The account's groups, ordered by name.
    pub fn list_groups(&self, account: &str) -> Result<Vec<Group>, MetaError> {
        ids::check_account_id(account)?;
        self.kv.values(GROUPS, &prefix(&[account]))
    }

    /// Names of the groups `user` belongs to (no existence check; internal and authorizer use).
    pub(crate) fn group_names_of_user(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Vec<String>, MetaError> {
        Ok(self
            .kv
            .keys(GROUPS_OF_USER, &prefix(&[account, user]))?
            .iter()
            .map(|k| last_component(k).to_owned())
            .collect())
    }

    /// The groups `user` belongs to, by group name.
    pub fn list_groups_for_user(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Vec<GroupMembership>, MetaError> {
        self.get_user(account, user)?;
        let mut out = Vec::new();
        for (k, joined) in self
            .kv
            .entries::<Joined>(GROUPS_OF_USER, &prefix(&[account, user]))?
        {
            let group = self.get_group(account, last_component(&k))?;
            out.push(GroupMembership {
                group,
                joined_at: joined.joined_at,
            });
        }
        Ok(out)
    }

    /// The members of `group`, by user name.
    pub fn list_users_for_group(
        &self,
        account: &str,
        group: &str,
    ) -> Result<Vec<GroupMember>, MetaError> {
        self.get_group(account, group)?;
        let mut out = Vec::new();
        for (k, joined) in self
            .kv
            .entries::<Joined>(USERS_OF_GROUP, &prefix(&[account, group]))?
        {
            let user = self.get_user(account, last_component(&k))?;
            out.push(GroupMember {
                user,
                joined_at: joined.joined_at,
            });
        }
        Ok(out)
    }
}

impl WriteTx<'_> {
    /// Creates a group; `EntityAlreadyExists.Group` when the name is taken.
    pub fn create_group(&mut self, account: &str, new: NewGroup) -> Result<Group, MetaError> {
        validate_name(NameKind::GroupName, &new.name)?;
        let comments = new.comments.unwrap_or_default();
        ids::check_text("Comments", "comments", &comments, 128, false)?;
        self.require_account(account)?;
        let k = key(&[account, &new.name]);
        if self.kv.contains(GROUPS, &k)? {
            return Err(MetaError::exists(
                Entity::Group,
                account,
                group_subject(&new.name),
            ));
        }
        if self.kv.count(GROUPS, &prefix(&[account]))? >= MAX_GROUPS {
            return Err(MetaError::limit(
                "Group",
                account,
                format!("an account can have at most {MAX_GROUPS} groups"),
            ));
        }
        let group = Group {
            group_id: ids::group_id(),
            name: new.name,
            comments,
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(GROUPS, &k, &group)?;
        Ok(group)
    }

    /// Updates comments and optionally renames the group (memberships and attachments follow).
    pub fn update_group(
        &mut self,
        account: &str,
        name: &str,
        update: GroupUpdate,
    ) -> Result<Group, MetaError> {
        let mut group = self.get_group(account, name)?;
        if let Some(c) = update.comments {
            ids::check_text("Comments", "comments", &c, 128, false)?;
            group.comments = c;
        }
        group.updated_at = self.now;
        match update.new_name {
            Some(new_name) if new_name != name => {
                validate_name(NameKind::GroupName, &new_name)?;
                let new_key = key(&[account, &new_name]);
                if self.kv.contains(GROUPS, &new_key)? {
                    return Err(MetaError::exists(
                        Entity::Group,
                        account,
                        group_subject(&new_name),
                    ));
                }
                self.w.del(GROUPS, &key(&[account, name]))?;
                group.name = new_name.clone();
                self.w.put(GROUPS, &new_key, &group)?;
                for (k, joined) in self
                    .kv
                    .entries::<Joined>(USERS_OF_GROUP, &prefix(&[account, name]))?
                {
                    let user = last_component(&k).to_owned();
                    self.remove_membership(account, &user, name)?;
                    self.put_membership(account, &user, &new_name, &joined)?;
                }
                self.rename_principal_attachments(
                    account,
                    &crate::Principal::Group(name.to_owned()),
                    &new_name,
                )?;
            }
            _ => self.w.put(GROUPS, &key(&[account, name]), &group)?,
        }
        Ok(group)
    }

    /// Deletes a group. Without `force`, refuses while it has members (`DeleteConflict.Group.User`)
    /// or attached policies (`DeleteConflict.Group.Policy`); with `force`, removes those too.
    pub fn delete_group(
        &mut self,
        account: &str,
        name: &str,
        force: bool,
    ) -> Result<(), MetaError> {
        self.get_group(account, name)?;
        let members = self.kv.keys(USERS_OF_GROUP, &prefix(&[account, name]))?;
        let principal = crate::Principal::Group(name.to_owned());
        let attachments = self.list_attachments_for(account, &principal)?;
        if !force {
            if !members.is_empty() {
                return Err(MetaError::conflict(
                    "Group.User",
                    account,
                    group_subject(name),
                    format!(
                        "it still has {} member(s); remove them first",
                        members.len()
                    ),
                ));
            }
            if !attachments.is_empty() {
                return Err(MetaError::conflict(
                    "Group.Policy",
                    account,
                    group_subject(name),
                    format!(
                        "it still has {} policy attachment(s); detach them first",
                        attachments.len()
                    ),
                ));
            }
        }
        for k in &members {
            self.remove_membership(account, last_component(k), name)?;
        }
        for a in &attachments {
            self.remove_attachment(account, a)?;
        }
        self.w.del(GROUPS, &key(&[account, name]))?;
        Ok(())
    }

    /// Adds `user` to `group`; `EntityAlreadyExists.User.Group` if already a member,
    /// `LimitExceeded.User.Group` beyond ten groups.
    pub fn add_user_to_group(
        &mut self,
        account: &str,
        user: &str,
        group: &str,
    ) -> Result<(), MetaError> {
        self.get_user(account, user)?;
        self.get_group(account, group)?;
        if self
            .kv
            .contains(GROUPS_OF_USER, &key(&[account, user, group]))?
        {
            return Err(MetaError::exists(
                Entity::Membership,
                account,
                membership_subject(user, group),
            ));
        }
        if self.kv.count(GROUPS_OF_USER, &prefix(&[account, user]))? >= MAX_GROUPS_PER_USER {
            return Err(MetaError::limit(
                "User.Group",
                account,
                format!(
                    "{} is already in {MAX_GROUPS_PER_USER} groups, the maximum",
                    user_subject(user)
                ),
            ));
        }
        let joined = Joined {
            joined_at: self.now,
        };
        self.put_membership(account, user, group, &joined)
    }

    /// Removes `user` from `group`; `EntityNotExist.User.Group` if not a member.
    pub fn remove_user_from_group(
        &mut self,
        account: &str,
        user: &str,
        group: &str,
    ) -> Result<(), MetaError> {
        self.get_user(account, user)?;
        self.get_group(account, group)?;
        if !self.remove_membership(account, user, group)? {
            return Err(MetaError::not_found(
                Entity::Membership,
                account,
                membership_subject(user, group),
            ));
        }
        Ok(())
    }

    fn put_membership(
        &self,
        account: &str,
        user: &str,
        group: &str,
        joined: &Joined,
    ) -> Result<(), MetaError> {
        self.w
            .put(GROUPS_OF_USER, &key(&[account, user, group]), joined)?;
        self.w
            .put(USERS_OF_GROUP, &key(&[account, group, user]), joined)
    }

    pub(crate) fn remove_membership(
        &self,
        account: &str,
        user: &str,
        group: &str,
    ) -> Result<bool, MetaError> {
        let a = self.w.del(GROUPS_OF_USER, &key(&[account, user, group]))?;
        let b = self.w.del(USERS_OF_GROUP, &key(&[account, group, user]))?;
        Ok(a || b)
    }

    pub(crate) fn rename_user_memberships(
        &self,
        account: &str,
        from: &str,
        to: &str,
    ) -> Result<(), MetaError> {
        for (k, joined) in self
            .kv
            .entries::<Joined>(GROUPS_OF_USER, &prefix(&[account, from]))?
        {
            let group = last_component(&k).to_owned();
            self.remove_membership(account, from, &group)?;
            self.put_membership(account, to, &group, &joined)?;
        }
        Ok(())
    }
}
