//! Grants: attaching policies to users and groups at account or resource-group scope — several
//! principals and several policies in one atomic step, as the console's Grant Permission panel
//! does — and listing who holds what.

use petrel_meta::{Attachment, AttachmentFilter, PolicyEntities, PolicyRef, Principal, Scope};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

/// A principal that policies attach to.
pub type PrincipalRef = Principal;

/// A grant as listings show it.
pub type Grant = Attachment;

/// Attach (or detach) every policy to (from) every principal at one scope.
#[derive(Debug, Clone)]
pub struct AttachRequest {
    /// Users and groups.
    pub principals: Vec<PrincipalRef>,
    /// System and custom policies.
    pub policies: Vec<PolicyRef>,
    /// Account or one resource group.
    pub scope: Scope,
    /// The caller saw the high-risk warning and confirmed. The management API does not require
    /// it (Alibaba's API does not); the console and CLI do.
    pub confirm_high_risk: bool,
}

fn attach_need(principal: &PrincipalRef, attach: bool) -> Need {
    match (principal, attach) {
        (Principal::User(name), true) => {
            Need::new("ram:AttachPolicyToUser", Resource::User(name.clone()))
        }
        (Principal::User(name), false) => {
            Need::new("ram:DetachPolicyFromUser", Resource::User(name.clone()))
        }
        (Principal::Group(name), true) => {
            Need::new("ram:AttachPolicyToGroup", Resource::Group(name.clone()))
        }
        (Principal::Group(name), false) => {
            Need::new("ram:DetachPolicyFromGroup", Resource::Group(name.clone()))
        }
    }
}

impl Service {
    /// Attaches every policy to every principal at the scope, all or nothing.
    pub fn attach(
        &self,
        caller: &Caller,
        request: &AttachRequest,
    ) -> Result<Vec<Grant>, ServiceError> {
        if request.principals.is_empty() || request.policies.is_empty() {
            return Err(ServiceError::InvalidParameter {
                param: "Principal",
                reason: "name at least one principal and one policy".to_owned(),
            });
        }
        let needs: Vec<Need> = request
            .principals
            .iter()
            .map(|p| attach_need(p, true))
            .collect();
        self.change(caller, &needs, |tx| {
            let mut grants = Vec::new();
            for policy in &request.policies {
                let reasons = self.policy_risk(tx, &caller.account_id, policy)?;
                if !reasons.is_empty() && !request.confirm_high_risk {
                    return Err(ServiceError::HighRiskNotConfirmed {
                        policy: policy.name.clone(),
                        reasons: reasons.join("; "),
                    });
                }
                for principal in &request.principals {
                    grants.push(tx.attach(
                        &caller.account_id,
                        principal,
                        policy,
                        &request.scope,
                    )?);
                }
            }
            Ok(grants)
        })
    }

    /// Detaches every policy from every principal at the scope, all or nothing.
    pub fn detach(&self, caller: &Caller, request: &AttachRequest) -> Result<(), ServiceError> {
        let needs: Vec<Need> = request
            .principals
            .iter()
            .map(|p| attach_need(p, false))
            .collect();
        self.change(caller, &needs, |tx| {
            for policy in &request.policies {
                for principal in &request.principals {
                    tx.detach(&caller.account_id, principal, policy, &request.scope)?;
                }
            }
            Ok(())
        })
    }

    /// Grants with their scope, filtered (`ram:ListPolicyAttachments`; for one principal
    /// `ram:ListPoliciesForUser` / `ram:ListPoliciesForGroup` on it).
    pub fn list_grants(
        &self,
        caller: &Caller,
        filter: &AttachmentFilter,
    ) -> Result<Vec<Grant>, ServiceError> {
        let need = match &filter.principal {
            Some(Principal::User(name)) => {
                Need::new("ram:ListPoliciesForUser", Resource::User(name.clone()))
            }
            Some(Principal::Group(name)) => {
                Need::new("ram:ListPoliciesForGroup", Resource::Group(name.clone()))
            }
            None => Need::new(
                "ram:ListPolicyAttachments",
                Resource::Policy("*".to_owned()),
            ),
        };
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_attachments(&caller.account_id, filter)?)
        })
    }

    /// `ram:ListEntitiesForPolicy`: the users and groups that hold a policy.
    pub fn policy_holders(
        &self,
        caller: &Caller,
        policy: &PolicyRef,
    ) -> Result<PolicyEntities, ServiceError> {
        let resource = match policy.policy_type {
            petrel_meta::PolicyType::System => Resource::SystemPolicy(policy.name.clone()),
            petrel_meta::PolicyType::Custom => Resource::Policy(policy.name.clone()),
        };
        let need = Need::new("ram:ListEntitiesForPolicy", resource);
        self.observe(caller, &[need], |tx| {
            Ok(tx.entities_for_policy(&caller.account_id, policy)?)
        })
    }
}
