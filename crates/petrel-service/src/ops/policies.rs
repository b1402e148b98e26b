//! Policies: the built-in system policies (read-only) and the account's custom policies with
//! their versions. Every document is parsed before it is stored, so a stored document always
//! evaluates.

use petrel_meta::{
    NewPolicy, NewPolicyVersion, Policy, PolicyRef, PolicyType, PolicyVersion, RotateStrategy,
};
use serde::Serialize;

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

/// System or custom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyKind {
    /// Built in, read-only, versioned by Petrel.
    System,
    /// Owned by the account.
    Custom,
}

/// A policy as listings show it, with the high-risk flag of our own listing.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    /// Name.
    pub name: String,
    /// System or custom.
    pub kind: PolicyKind,
    /// Description.
    pub description: String,
    /// The default (evaluated) version.
    pub default_version: String,
    /// The default version's document.
    pub document: String,
    /// Why the policy is high-risk; empty when it is not.
    pub high_risk_reasons: Vec<String>,
    /// How many principals hold it in the caller's account.
    pub attachment_count: usize,
}

impl PolicyInfo {
    /// Whether attaching it deserves a warning and an explicit confirmation.
    pub fn is_high_risk(&self) -> bool {
        !self.high_risk_reasons.is_empty()
    }
}

impl Service {
    /// `ram:CreatePolicy`: a custom policy whose `document` becomes its default version `v1`.
    pub fn create_policy(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
        document: &str,
    ) -> Result<Policy, ServiceError> {
        petrel_iam::PolicyDocument::parse(document)?;
        let need = Need::new("ram:CreatePolicy", Resource::Policy(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.create_policy(
                &caller.account_id,
                NewPolicy {
                    name: name.to_owned(),
                    description: (!description.is_empty()).then(|| description.to_owned()),
                    document: document.to_owned(),
                },
            )?)
        })
    }

    /// `ram:CreatePolicyVersion`.
    pub fn create_policy_version(
        &self,
        caller: &Caller,
        name: &str,
        document: &str,
        set_as_default: bool,
        rotate_strategy: RotateStrategy,
    ) -> Result<PolicyVersion, ServiceError> {
        petrel_iam::PolicyDocument::parse(document)?;
        let need = Need::new("ram:CreatePolicyVersion", Resource::Policy(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.create_policy_version(
                &caller.account_id,
                name,
                NewPolicyVersion {
                    document: document.to_owned(),
                    set_as_default,
                    rotate_strategy,
                },
            )?)
        })
    }

    /// `ram:SetDefaultPolicyVersion`.
    pub fn set_default_policy_version(
        &self,
        caller: &Caller,
        name: &str,
        version_id: &str,
    ) -> Result<Policy, ServiceError> {
        let need = Need::new(
            "ram:SetDefaultPolicyVersion",
            Resource::Policy(name.to_owned()),
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.set_default_policy_version(&caller.account_id, name, version_id)?)
        })
    }

    /// `ram:DeletePolicyVersion` (never the default one).
    pub fn delete_policy_version(
        &self,
        caller: &Caller,
        name: &str,
        version_id: &str,
    ) -> Result<(), ServiceError> {
        let need = Need::new("ram:DeletePolicyVersion", Resource::Policy(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_policy_version(&caller.account_id, name, version_id)?)
        })
    }

    /// `ram:DeletePolicy`; refused while attached or while other versions exist, unless
    /// `cascade`.
    pub fn delete_policy(
        &self,
        caller: &Caller,
        name: &str,
        cascade: bool,
    ) -> Result<(), ServiceError> {
        let need = Need::new("ram:DeletePolicy", Resource::Policy(name.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_policy(&caller.account_id, name, cascade)?)
        })
    }

    /// `ram:ListPolicyVersions` of a custom policy.
    pub fn list_policy_versions(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Vec<PolicyVersion>, ServiceError> {
        let need = Need::new("ram:ListPolicyVersions", Resource::Policy(name.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_policy_versions(&caller.account_id, name)?)
        })
    }

    /// `ram:GetPolicy`: a system or custom policy with its default document and risk.
    pub fn get_policy(
        &self,
        caller: &Caller,
        kind: PolicyKind,
        name: &str,
    ) -> Result<PolicyInfo, ServiceError> {
        let resource = match kind {
            PolicyKind::System => Resource::SystemPolicy(name.to_owned()),
            PolicyKind::Custom => Resource::Policy(name.to_owned()),
        };
        let need = Need::new("ram:GetPolicy", resource);
        self.observe(caller, &[need], |tx| match kind {
            PolicyKind::System => {
                let policy = petrel_iam::system_policy(name)
                    .ok_or_else(|| ServiceError::NoSuchSystemPolicy(name.to_owned()))?;
                let count =
                    tx.policy_attachment_count(&caller.account_id, &PolicyRef::system(name))?;
                Ok(system_info(policy, count))
            }
            PolicyKind::Custom => {
                let policy = tx.get_policy(&caller.account_id, name)?;
                let version = tx.get_default_policy_version(&caller.account_id, name)?;
                let count =
                    tx.policy_attachment_count(&caller.account_id, &PolicyRef::custom(name))?;
                custom_info(policy, version.document, count)
            }
        })
    }

    /// `ram:ListPolicies`: system policies then the account's custom ones, optionally of one kind.
    pub fn list_policies(
        &self,
        caller: &Caller,
        kind: Option<PolicyKind>,
    ) -> Result<Vec<PolicyInfo>, ServiceError> {
        let need = Need::new("ram:ListPolicies", Resource::Policy("*".to_owned()));
        self.observe(caller, &[need], |tx| {
            let mut out = Vec::new();
            if kind != Some(PolicyKind::Custom) {
                for policy in petrel_iam::system_policies() {
                    let count = tx.policy_attachment_count(
                        &caller.account_id,
                        &PolicyRef::system(policy.name()),
                    )?;
                    out.push(system_info(policy, count));
                }
            }
            if kind != Some(PolicyKind::System) {
                for policy in tx.list_policies(&caller.account_id)? {
                    let version =
                        tx.get_default_policy_version(&caller.account_id, &policy.name)?;
                    let count = tx.policy_attachment_count(
                        &caller.account_id,
                        &PolicyRef::custom(&policy.name),
                    )?;
                    out.push(custom_info(policy, version.document, count)?);
                }
            }
            Ok(out)
        })
    }

    /// The high-risk reasons of a policy that is about to be attached, or the error when it
    /// does not exist.
    pub(crate) fn policy_risk(
        &self,
        tx: &petrel_meta::ReadTx<'_>,
        account: &str,
        policy: &PolicyRef,
    ) -> Result<Vec<String>, ServiceError> {
        match policy.policy_type {
            PolicyType::System => petrel_iam::system_policy(&policy.name)
                .map(|p| risk_reasons(p.document()))
                .ok_or_else(|| ServiceError::NoSuchSystemPolicy(policy.name.clone())),
            PolicyType::Custom => {
                let version = tx.get_default_policy_version(account, &policy.name)?;
                let doc = petrel_iam::PolicyDocument::parse(&version.document)?;
                Ok(risk_reasons(&doc))
            }
        }
    }
}

fn risk_reasons(doc: &petrel_iam::PolicyDocument) -> Vec<String> {
    match petrel_iam::classify(doc) {
        petrel_iam::Risk::Normal => Vec::new(),
        petrel_iam::Risk::HighRisk { reasons } => reasons,
    }
}

fn system_info(policy: &petrel_iam::SystemPolicy, attachment_count: usize) -> PolicyInfo {
    PolicyInfo {
        name: policy.name().to_owned(),
        kind: PolicyKind::System,
        description: policy.description().to_owned(),
        default_version: policy.version_id().to_owned(),
        document: policy.document().to_json_pretty(),
        high_risk_reasons: risk_reasons(policy.document()),
        attachment_count,
    }
}

fn custom_info(
    policy: Policy,
    document: String,
    attachment_count: usize,
) -> Result<PolicyInfo, ServiceError> {
    let parsed = petrel_iam::PolicyDocument::parse(&document)?;
    Ok(PolicyInfo {
        high_risk_reasons: risk_reasons(&parsed),
        name: policy.name,
        kind: PolicyKind::Custom,
        description: policy.description,
        default_version: policy.default_version,
        document,
        attachment_count,
    })
}
