//! The account as a whole: activating the message queue service (ONS 2019-02-14
//! `OpenOnsService`), who the caller is (STS 2015-04-01 `GetCallerIdentity`), and its resource
//! groups (ResourceManager 2020-03-31).

use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::policies::Principal;
use crate::transport::{Client, Query, decode};

/// API version of ONS (activation).
pub const ONS_VERSION: &str = "2019-02-14";
/// API version of STS.
pub const STS_VERSION: &str = "2015-04-01";
/// API version of ResourceManager.
pub const RM_VERSION: &str = "2020-03-31";

/// Largest ResourceManager page.
const RM_PAGE_SIZE: u32 = 100;
/// A bound on pages followed.
const MAX_PAGES: u32 = 10_000;

/// The outcome of `OpenOnsService`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "status"
)]
pub enum Activation {
    /// Activated now.
    Activated {
        /// `OrderId` of the activation.
        order_id: String,
    },
    /// It already was (`OrderOpend`, which Terraform also treats as success).
    AlreadyActivated {
        /// The server's message.
        message: String,
    },
}

/// The caller, as `GetCallerIdentity` tells.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CallerIdentity {
    pub account_id: String,
    pub user_id: String,
    pub principal_id: Option<String>,
    /// `Account` or `RAMUser`.
    pub identity_type: String,
    pub arn: String,
}

/// A resource group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ResourceGroup {
    pub id: String,
    pub name: String,
    pub display_name: Option<String>,
    pub account_id: Option<String>,
    pub status: Option<String>,
    pub create_date: Option<String>,
}

/// An attachment with its scope, as ResourceManager lists it: `resource_group_id` is a
/// resource group id, or the account id for account scope.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyAttachment {
    pub policy_name: String,
    pub policy_type: String,
    /// `name@alias.onaliyun.com` for a user, the name for a group.
    pub principal_name: String,
    /// `IMSUser` or `IMSGroup`.
    pub principal_type: String,
    pub resource_group_id: String,
    pub attach_date: Option<String>,
    pub description: Option<String>,
}

fn principal_query(principal: &Principal) -> Query {
    let (kind, name) = match principal {
        Principal::User(n) => ("IMSUser", n),
        Principal::Group(n) => ("IMSGroup", n),
    };
    Query::new()
        .set("PrincipalType", kind)
        .set("PrincipalName", name)
}

impl Client {
    /// ResourceManager `ListPolicyAttachments` of one principal, every page, with scopes.
    pub async fn list_policy_attachments(
        &self,
        principal: &Principal,
    ) -> Result<Vec<PolicyAttachment>, ClientError> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let q = principal_query(principal)
                .set("PageNumber", page)
                .set("PageSize", RM_PAGE_SIZE);
            let answer = self.rpc(RM_VERSION, "ListPolicyAttachments", q.0).await?;
            let items: Vec<PolicyAttachment> = decode(
                "ListPolicyAttachments",
                &answer,
                "/PolicyAttachments/PolicyAttachment",
            )?;
            let total: u64 = decode("ListPolicyAttachments", &answer, "/TotalCount")?;
            let got = items.len();
            all.extend(items);
            if got == 0 || all.len() as u64 >= total {
                return Ok(all);
            }
        }
        Err(ClientError::InvalidResponse {
            action: "ListPolicyAttachments".to_owned(),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// ResourceManager `DetachPolicy` of one listed attachment, at its scope.
    pub async fn detach_policy_attachment(
        &self,
        attachment: &PolicyAttachment,
    ) -> Result<(), ClientError> {
        let q = Query::new()
            .set("ResourceGroupId", &attachment.resource_group_id)
            .set("PolicyType", &attachment.policy_type)
            .set("PolicyName", &attachment.policy_name)
            .set("PrincipalType", &attachment.principal_type)
            .set("PrincipalName", &attachment.principal_name);
        self.rpc(RM_VERSION, "DetachPolicy", q.0).await?;
        Ok(())
    }

    /// `OpenOnsService`: activate the account's message queue service.
    pub async fn open_ons_service(&self) -> Result<Activation, ClientError> {
        match self.rpc(ONS_VERSION, "OpenOnsService", Vec::new()).await {
            Ok(answer) => Ok(Activation::Activated {
                order_id: decode("OpenOnsService", &answer, "/OrderId")?,
            }),
            Err(ClientError::Api(e)) if e.code == "OrderOpend" => {
                Ok(Activation::AlreadyActivated { message: e.message })
            }
            Err(e) => Err(e),
        }
    }

    /// `GetCallerIdentity`.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, ClientError> {
        let answer = self
            .rpc(STS_VERSION, "GetCallerIdentity", Vec::new())
            .await?;
        decode("GetCallerIdentity", &answer, "")
    }

    /// `CreateResourceGroup`; the display name defaults to the name.
    pub async fn create_resource_group(
        &self,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<ResourceGroup, ClientError> {
        let q = Query::new().set("Name", name).set(
            "DisplayName",
            display_name.filter(|d| !d.is_empty()).unwrap_or(name),
        );
        let answer = self.rpc(RM_VERSION, "CreateResourceGroup", q.0).await?;
        decode("CreateResourceGroup", &answer, "/ResourceGroup")
    }

    /// `ListResourceGroups`, every page.
    pub async fn list_resource_groups(&self) -> Result<Vec<ResourceGroup>, ClientError> {
        let mut groups = Vec::new();
        for page in 1..=MAX_PAGES {
            let q = Query::new()
                .set("PageNumber", page)
                .set("PageSize", RM_PAGE_SIZE);
            let answer = self.rpc(RM_VERSION, "ListResourceGroups", q.0).await?;
            let items: Vec<ResourceGroup> = decode(
                "ListResourceGroups",
                &answer,
                "/ResourceGroups/ResourceGroup",
            )?;
            let total: u64 = decode("ListResourceGroups", &answer, "/TotalCount")?;
            let got = items.len();
            groups.extend(items);
            if got == 0 || groups.len() as u64 >= total {
                return Ok(groups);
            }
        }
        Err(ClientError::InvalidResponse {
            action: "ListResourceGroups".to_owned(),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `DeleteResourceGroup` (refused while it holds resources).
    pub async fn delete_resource_group(&self, id: &str) -> Result<(), ClientError> {
        let q = Query::new().set("ResourceGroupId", id);
        self.rpc(RM_VERSION, "DeleteResourceGroup", q.0).await?;
        Ok(())
    }
}
