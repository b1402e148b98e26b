//! RAM 2015-05-01 permissions: system and custom policies with their versions, attaching them
//! (our `GrantPermissions`: several policies to several principals at once, at account or
//! resource-group scope), detaching them, and our `SimulatePrincipalPolicy`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ClientError;
use crate::transport::{Client, Query, decode};

/// `System` or `Custom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyType {
    System,
    Custom,
}

impl PolicyType {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }
}

/// A policy as `ListPolicies` and `GetPolicy` show it; Petrel adds the high-risk flag.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Policy {
    pub policy_name: String,
    pub policy_type: String,
    pub description: Option<String>,
    pub default_version: Option<String>,
    pub attachment_count: Option<u64>,
    pub high_risk: Option<bool>,
    pub high_risk_reasons: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
}

/// One version of a policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyVersion {
    pub version_id: String,
    pub is_default_version: bool,
    pub policy_document: Option<String>,
    pub create_date: Option<String>,
}

/// A policy attached to a principal (`ListPoliciesForUser`/`Group`; the scope is not shown).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_type: String,
    pub description: Option<String>,
    pub default_version: Option<String>,
    pub attach_date: Option<String>,
}

/// One attachment made by `GrantPermissions`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Grant {
    /// `User` or `Group`.
    pub principal_type: String,
    pub principal_name: String,
    pub policy_type: String,
    pub policy_name: String,
    /// `None` at account scope.
    pub resource_group_id: Option<String>,
    pub attach_date: Option<String>,
}

/// Where an attachment applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole account.
    Account,
    /// One resource group (`rg-…`).
    ResourceGroup(String),
}

impl Scope {
    fn resource_group(&self) -> Option<&str> {
        match self {
            Scope::Account => None,
            Scope::ResourceGroup(id) => Some(id),
        }
    }
}

/// Users or groups receiving (or losing) policies of one type.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub policy_type: PolicyType,
    pub policies: Vec<String>,
    pub scope: Scope,
    /// Attach a high-risk policy; without it the server refuses one with
    /// `InvalidParameter.HighRiskPolicy.NotConfirmed`.
    pub confirm_high_risk: bool,
}

/// A user or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(String),
    Group(String),
}

/// The answer of `SimulatePrincipalPolicy`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Simulation {
    pub allowed: bool,
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny`, …
    pub decision: String,
    pub blocked_by_activation: bool,
    pub explanation: String,
    pub resource: Option<String>,
    pub resource_group_id: Option<String>,
    pub matched_statement: Option<Value>,
}

fn json_names(names: &[String]) -> Result<String, ClientError> {
    serde_json::to_string(names).map_err(|e| ClientError::InvalidInput {
        what: "names",
        reason: e.to_string(),
    })
}

impl Client {
    /// `ListPolicies` (of one type, or all), every page.
    pub async fn list_policies(
        &self,
        kind: Option<PolicyType>,
    ) -> Result<Vec<Policy>, ClientError> {
        let q = Query::new().opt("PolicyType", kind.map(PolicyType::as_str));
        self.ram_list("ListPolicies", q, "Policies", "Policy").await
    }

    /// `GetPolicy`: the policy with its default document.
    pub async fn get_policy(&self, kind: PolicyType, name: &str) -> Result<Policy, ClientError> {
        let q = Query::new()
            .set("PolicyType", kind.as_str())
            .set("PolicyName", name);
        let answer = self.ram("GetPolicy", q).await?;
        decode("GetPolicy", &answer, "/Policy")
    }

    /// `CreatePolicy`: a custom policy from a JSON document.
    pub async fn create_policy(
        &self,
        name: &str,
        document: &str,
        description: Option<&str>,
    ) -> Result<Policy, ClientError> {
        let q = Query::new()
            .set("PolicyName", name)
            .set("PolicyDocument", document)
            .opt("Description", description.filter(|d| !d.is_empty()));
        let answer = self.ram("CreatePolicy", q).await?;
        decode("CreatePolicy", &answer, "/Policy")
    }

    /// `DeletePolicy`; `cascade` also detaches it and deletes its other versions.
    pub async fn delete_policy(&self, name: &str, cascade: bool) -> Result<(), ClientError> {
        let q = Query::new()
            .set("PolicyName", name)
            .opt("CascadingDelete", cascade.then_some("true"));
        self.ram("DeletePolicy", q).await?;
        Ok(())
    }

    /// `CreatePolicyVersion`.
    pub async fn create_policy_version(
        &self,
        name: &str,
        document: &str,
        set_as_default: bool,
        rotate: bool,
    ) -> Result<PolicyVersion, ClientError> {
        let q = Query::new()
            .set("PolicyName", name)
            .set("PolicyDocument", document)
            .set("SetAsDefault", set_as_default)
            .opt(
                "RotateStrategy",
                rotate.then_some("DeleteOldestNonDefaultVersionWhenLimitExceeded"),
            );
        let answer = self.ram("CreatePolicyVersion", q).await?;
        decode("CreatePolicyVersion", &answer, "/PolicyVersion")
    }

    /// `ListPolicyVersions`.
    pub async fn list_policy_versions(
        &self,
        kind: PolicyType,
        name: &str,
    ) -> Result<Vec<PolicyVersion>, ClientError> {
        let q = Query::new()
            .set("PolicyType", kind.as_str())
            .set("PolicyName", name);
        let answer = self.ram("ListPolicyVersions", q).await?;
        decode(
            "ListPolicyVersions",
            &answer,
            "/PolicyVersions/PolicyVersion",
        )
    }

    /// `GetPolicyVersion`.
    pub async fn get_policy_version(
        &self,
        kind: PolicyType,
        name: &str,
        version: &str,
    ) -> Result<PolicyVersion, ClientError> {
        let q = Query::new()
            .set("PolicyType", kind.as_str())
            .set("PolicyName", name)
            .set("VersionId", version);
        let answer = self.ram("GetPolicyVersion", q).await?;
        decode("GetPolicyVersion", &answer, "/PolicyVersion")
    }

    /// `SetDefaultPolicyVersion`.
    pub async fn set_default_policy_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(), ClientError> {
        let q = Query::new()
            .set("PolicyName", name)
            .set("VersionId", version);
        self.ram("SetDefaultPolicyVersion", q).await?;
        Ok(())
    }

    /// `DeletePolicyVersion`.
    pub async fn delete_policy_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(), ClientError> {
        let q = Query::new()
            .set("PolicyName", name)
            .set("VersionId", version);
        self.ram("DeletePolicyVersion", q).await?;
        Ok(())
    }

    /// `GrantPermissions`: every policy to every principal, all or nothing.
    pub async fn grant_permissions(
        &self,
        request: &GrantRequest,
    ) -> Result<Vec<Grant>, ClientError> {
        if request.users.is_empty() && request.groups.is_empty() {
            return Err(ClientError::InvalidInput {
                what: "grant",
                reason: "name at least one user or group".to_owned(),
            });
        }
        let q = Query::new()
            .set("PolicyType", request.policy_type.as_str())
            .set("PolicyNames", json_names(&request.policies)?)
            .opt(
                "UserNames",
                (!request.users.is_empty())
                    .then(|| json_names(&request.users))
                    .transpose()?,
            )
            .opt(
                "GroupNames",
                (!request.groups.is_empty())
                    .then(|| json_names(&request.groups))
                    .transpose()?,
            )
            .opt("ResourceGroupId", request.scope.resource_group())
            .set("ConfirmHighRisk", request.confirm_high_risk);
        let answer = self.ram("GrantPermissions", q).await?;
        decode("GrantPermissions", &answer, "/Grants/Grant")
    }

    /// `DetachPolicyFromUser` / `DetachPolicyFromGroup` at `scope`.
    pub async fn detach_policy(
        &self,
        principal: &Principal,
        kind: PolicyType,
        policy: &str,
        scope: &Scope,
    ) -> Result<(), ClientError> {
        let (action, q) = match principal {
            Principal::User(u) => ("DetachPolicyFromUser", Query::new().set("UserName", u)),
            Principal::Group(g) => ("DetachPolicyFromGroup", Query::new().set("GroupName", g)),
        };
        let q = q
            .set("PolicyType", kind.as_str())
            .set("PolicyName", policy)
            .opt("ResourceGroupId", scope.resource_group());
        self.ram(action, q).await?;
        Ok(())
    }

    /// `ListPoliciesForUser` / `ListPoliciesForGroup`.
    pub async fn list_policies_for(
        &self,
        principal: &Principal,
    ) -> Result<Vec<AttachedPolicy>, ClientError> {
        let (action, q) = match principal {
            Principal::User(u) => ("ListPoliciesForUser", Query::new().set("UserName", u)),
            Principal::Group(g) => ("ListPoliciesForGroup", Query::new().set("GroupName", g)),
        };
        let answer = self.ram(action, q).await?;
        decode(action, &answer, "/Policies/Policy")
    }

    /// `SimulatePrincipalPolicy`: would `user` (the root when `None`) be allowed `action` on the
    /// resource `arn`?
    pub async fn simulate_principal_policy(
        &self,
        user: Option<&str>,
        action: &str,
        arn: &str,
    ) -> Result<Simulation, ClientError> {
        let q = Query::new()
            .opt("UserName", user)
            .set("ActionName", action)
            .set("ResourceArn", arn);
        let answer = self.ram("SimulatePrincipalPolicy", q).await?;
        decode("SimulatePrincipalPolicy", &answer, "")
    }
}
