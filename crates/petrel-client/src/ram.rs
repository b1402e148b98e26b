//! RAM 2015-05-01 identities: users, their console passwords (login profiles) and AccessKeys,
//! and user groups with their members. Listings follow `Marker` pages to the end.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ClientError;
use crate::transport::{Client, Query, decode};

/// API version of RAM.
pub const RAM_VERSION: &str = "2015-05-01";

/// Most items asked for per page (RAM's maximum).
const MAX_ITEMS: u32 = 1000;
/// A bound on pages followed, against a server that never stops saying "truncated".
const MAX_PAGES: usize = 10_000;

/// A RAM user.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct User {
    pub user_id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub comments: Option<String>,
    pub create_date: Option<String>,
    pub update_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_date: Option<String>,
}

/// What `create_user` needs.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub name: String,
    pub display_name: Option<String>,
    pub comments: Option<String>,
}

/// A user's console password settings (the password itself is never returned).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoginProfile {
    pub user_name: String,
    pub password_reset_required: bool,
    #[serde(rename = "MFABindRequired")]
    pub mfa_bind_required: bool,
    pub create_date: Option<String>,
}

/// An AccessKey. `access_key_secret` is present only in the answer to `create_access_key`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccessKey {
    pub access_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_secret: Option<String>,
    pub status: String,
    pub create_date: Option<String>,
}

/// `Active` or `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }
}

/// A RAM user group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Group {
    pub group_id: String,
    pub group_name: String,
    pub comments: Option<String>,
    pub create_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
    /// When the user joined (listings of a user's groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_date: Option<String>,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupMember {
    pub user_id: Option<String>,
    pub user_name: String,
    pub display_name: Option<String>,
    pub join_date: Option<String>,
}

impl Client {
    /// An RPC call to RAM.
    pub(crate) async fn ram(&self, action: &str, query: Query) -> Result<Value, ClientError> {
        self.rpc(RAM_VERSION, action, query.0).await
    }

    /// Every item of a `Marker`-paged RAM listing: `outer`/`inner` name the doubled wrapping
    /// (`Users`/`User`).
    pub(crate) async fn ram_list<T: serde::de::DeserializeOwned>(
        &self,
        action: &str,
        query: Query,
        outer: &str,
        inner: &str,
    ) -> Result<Vec<T>, ClientError> {
        let mut items = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let q = query
                .clone()
                .set("MaxItems", MAX_ITEMS)
                .opt("Marker", marker.as_deref());
            let answer = self.ram(action, q).await?;
            let page: Vec<T> = decode(action, &answer, &format!("/{outer}/{inner}"))?;
            items.extend(page);
            let next = answer
                .get("Marker")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty());
            match (answer.get("IsTruncated").and_then(Value::as_bool), next) {
                (Some(true), Some(m)) if Some(m) != marker.as_deref() => {
                    marker = Some(m.to_owned());
                }
                _ => return Ok(items),
            }
        }
        Err(ClientError::InvalidResponse {
            action: action.to_owned(),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `CreateUser`.
    pub async fn create_user(&self, user: &NewUser) -> Result<User, ClientError> {
        let q = Query::new()
            .set("UserName", &user.name)
            .opt("DisplayName", user.display_name.as_deref())
            .opt("Comments", user.comments.as_deref());
        let answer = self.ram("CreateUser", q).await?;
        decode("CreateUser", &answer, "/User")
    }

    /// `GetUser`.
    pub async fn get_user(&self, name: &str) -> Result<User, ClientError> {
        let answer = self
            .ram("GetUser", Query::new().set("UserName", name))
            .await?;
        decode("GetUser", &answer, "/User")
    }

    /// `ListUsers`, every page.
    pub async fn list_users(&self) -> Result<Vec<User>, ClientError> {
        self.ram_list("ListUsers", Query::new(), "Users", "User")
            .await
    }

    /// `DeleteUser` (refused while the user still has keys, a password, groups or policies).
    pub async fn delete_user(&self, name: &str) -> Result<(), ClientError> {
        self.ram("DeleteUser", Query::new().set("UserName", name))
            .await?;
        Ok(())
    }

    /// `CreateLoginProfile`: a console password.
    pub async fn create_login_profile(
        &self,
        user: &str,
        password: &str,
        reset_required: bool,
    ) -> Result<LoginProfile, ClientError> {
        let q = Query::new()
            .set("UserName", user)
            .set("Password", password)
            .set(
                "PasswordResetRequired",
                if reset_required { "true" } else { "false" },
            );
        let answer = self.ram("CreateLoginProfile", q).await?;
        decode("CreateLoginProfile", &answer, "/LoginProfile")
    }

    /// `DeleteLoginProfile`.
    pub async fn delete_login_profile(&self, user: &str) -> Result<(), ClientError> {
        self.ram("DeleteLoginProfile", Query::new().set("UserName", user))
            .await?;
        Ok(())
    }

    /// `CreateAccessKey` for `user`, or for the caller when `None`. The answer holds the secret.
    pub async fn create_access_key(&self, user: Option<&str>) -> Result<AccessKey, ClientError> {
        let answer = self
            .ram("CreateAccessKey", Query::new().opt("UserName", user))
            .await?;
        decode("CreateAccessKey", &answer, "/AccessKey")
    }

    /// `ListAccessKeys` of `user`, or of the caller.
    pub async fn list_access_keys(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<AccessKey>, ClientError> {
        let answer = self
            .ram("ListAccessKeys", Query::new().opt("UserName", user))
            .await?;
        decode("ListAccessKeys", &answer, "/AccessKeys/AccessKey")
    }

    /// `UpdateAccessKey`: enable or disable.
    pub async fn set_access_key_status(
        &self,
        user: Option<&str>,
        id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), ClientError> {
        let q = Query::new()
            .opt("UserName", user)
            .set("UserAccessKeyId", id)
            .set("Status", status.as_str());
        self.ram("UpdateAccessKey", q).await?;
        Ok(())
    }

    /// `DeleteAccessKey`.
    pub async fn delete_access_key(&self, user: Option<&str>, id: &str) -> Result<(), ClientError> {
        let q = Query::new()
            .opt("UserName", user)
            .set("UserAccessKeyId", id);
        self.ram("DeleteAccessKey", q).await?;
        Ok(())
    }

    /// `CreateGroup`.
    pub async fn create_group(
        &self,
        name: &str,
        comments: Option<&str>,
    ) -> Result<Group, ClientError> {
        let q = Query::new()
            .set("GroupName", name)
            .opt("Comments", comments);
        let answer = self.ram("CreateGroup", q).await?;
        decode("CreateGroup", &answer, "/Group")
    }

    /// `GetGroup`.
    pub async fn get_group(&self, name: &str) -> Result<Group, ClientError> {
        let answer = self
            .ram("GetGroup", Query::new().set("GroupName", name))
            .await?;
        decode("GetGroup", &answer, "/Group")
    }

    /// `ListGroups`, every page.
    pub async fn list_groups(&self) -> Result<Vec<Group>, ClientError> {
        self.ram_list("ListGroups", Query::new(), "Groups", "Group")
            .await
    }

    /// `DeleteGroup` (refused while it has members or policies).
    pub async fn delete_group(&self, name: &str) -> Result<(), ClientError> {
        self.ram("DeleteGroup", Query::new().set("GroupName", name))
            .await?;
        Ok(())
    }

    /// `AddUserToGroup`.
    pub async fn add_user_to_group(&self, user: &str, group: &str) -> Result<(), ClientError> {
        let q = Query::new().set("UserName", user).set("GroupName", group);
        self.ram("AddUserToGroup", q).await?;
        Ok(())
    }

    /// `RemoveUserFromGroup`.
    pub async fn remove_user_from_group(&self, user: &str, group: &str) -> Result<(), ClientError> {
        let q = Query::new().set("UserName", user).set("GroupName", group);
        self.ram("RemoveUserFromGroup", q).await?;
        Ok(())
    }

    /// `ListUsersForGroup`, every page.
    pub async fn list_users_for_group(&self, group: &str) -> Result<Vec<GroupMember>, ClientError> {
        self.ram_list(
            "ListUsersForGroup",
            Query::new().set("GroupName", group),
            "Users",
            "User",
        )
        .await
    }

    /// `ListGroupsForUser`.
    pub async fn list_groups_for_user(&self, user: &str) -> Result<Vec<Group>, ClientError> {
        let answer = self
            .ram("ListGroupsForUser", Query::new().set("UserName", user))
            .await?;
        decode("ListGroupsForUser", &answer, "/Groups/Group")
    }
}
