//! Attaching policies to users and groups, at account scope or — with `ResourceGroupId` — at the
//! scope of one resource group, and listing who holds what. `GrantPermissions` is our own
//! operation: several policies to several principals in one all-or-nothing step, as the
//! console's grant panel does.

use petrel_meta::{AttachmentFilter, PolicyRef, PolicyType, Principal, Scope};
use petrel_service::{AttachRequest, Grant};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::envelope::{iso, wrapped};
use crate::error::ApiError;
use crate::request::{Params, snippet};

use super::{policy_ref, policy_type};

pub(crate) const OPS: &[Op] = &[
    rpc("AttachPolicyToUser", attach_to_user),
    rpc("DetachPolicyFromUser", detach_from_user),
    rpc("AttachPolicyToGroup", attach_to_group),
    rpc("DetachPolicyFromGroup", detach_from_group),
    rpc("ListPoliciesForUser", list_policies_for_user),
    rpc("ListPoliciesForGroup", list_policies_for_group),
    rpc("ListEntitiesForPolicy", list_entities_for_policy),
    rpc("GrantPermissions", grant_permissions),
];

/// The scope named by an optional `ResourceGroupId`: absent, or the account id itself, means
/// account scope (as ResourceManager spells it).
pub(crate) fn scope_of(ctx: &Ctx<'_>, params: &Params) -> Scope {
    match params.opt("ResourceGroupId") {
        None => Scope::Account,
        Some(id) if id == ctx.caller.account_id => Scope::Account,
        Some(id) => Scope::ResourceGroup(id.to_owned()),
    }
}

fn one(ctx: &Ctx<'_>, principal: Principal, attach: bool) -> Result<Value, ApiError> {
    let request = AttachRequest {
        principals: vec![principal],
        policies: vec![policy_ref(ctx.params())?],
        scope: scope_of(ctx, ctx.params()),
        // Alibaba's API attaches high-risk policies without a confirmation; only our console
        // and CLI ask for one.
        confirm_high_risk: true,
    };
    if attach {
        ctx.service.attach(ctx.caller, &request)?;
    } else {
        ctx.service.detach(ctx.caller, &request)?;
    }
    Ok(json!({}))
}

fn attach_to_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().required("UserName")?.to_owned();
    one(ctx, Principal::User(user), true)
}

fn detach_from_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().required("UserName")?.to_owned();
    one(ctx, Principal::User(user), false)
}

fn attach_to_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let group = ctx.params().required("GroupName")?.to_owned();
    one(ctx, Principal::Group(group), true)
}

fn detach_from_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let group = ctx.params().required("GroupName")?.to_owned();
    one(ctx, Principal::Group(group), false)
}

/// The policies of one principal, each once (a policy attached at several scopes is listed
/// with its earliest attachment: RAM's listing does not show scopes).
fn policies_of(ctx: &Ctx<'_>, principal: Principal) -> Result<Value, ApiError> {
    let grants = ctx.service.list_grants(
        ctx.caller,
        &AttachmentFilter {
            principal: Some(principal),
            ..AttachmentFilter::default()
        },
    )?;
    let mut seen: Vec<(PolicyRef, Grant)> = Vec::new();
    for g in grants {
        match seen.iter_mut().find(|(p, _)| *p == g.policy) {
            Some((_, kept)) if kept.attached_at > g.attached_at => *kept = g,
            Some(_) => {}
            None => seen.push((g.policy.clone(), g)),
        }
    }
    let items = seen
        .iter()
        .map(|(policy, grant)| {
            let mut v = json!({
                "PolicyName": policy.name,
                "PolicyType": policy.policy_type.as_api_str(),
                "AttachDate": iso(grant.attached_at),
            });
            if let (PolicyType::System, Some(sys), Value::Object(m)) = (
                policy.policy_type,
                petrel_iam::system_policy(&policy.name),
                &mut v,
            ) {
                m.insert("Description".to_owned(), json!(sys.description()));
                m.insert("DefaultVersion".to_owned(), json!(sys.version_id()));
            }
            v
        })
        .collect();
    Ok(json!({ "Policies": wrapped("Policy", items) }))
}

fn list_policies_for_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().required("UserName")?.to_owned();
    policies_of(ctx, Principal::User(user))
}

fn list_policies_for_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let group = ctx.params().required("GroupName")?.to_owned();
    policies_of(ctx, Principal::Group(group))
}

fn list_entities_for_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let policy = policy_ref(ctx.params())?;
    let entities = ctx.service.policy_holders(ctx.caller, &policy)?;
    let users = entities
        .users
        .iter()
        .map(|u| {
            json!({
                "UserId": u.user.user_id,
                "UserName": u.user.name,
                "DisplayName": u.user.display_name,
                "AttachDate": iso(u.attached_at),
            })
        })
        .collect();
    let groups = entities
        .groups
        .iter()
        .map(|g| {
            json!({
                "GroupName": g.group.name,
                "Comments": g.group.comments,
                "AttachDate": iso(g.attached_at),
            })
        })
        .collect();
    Ok(json!({
        "Users": wrapped("User", users),
        "Groups": wrapped("Group", groups),
        "Roles": wrapped("Role", Vec::new()),
    }))
}

/// A JSON array of names, sent as a string the way the SDKs send `Tag`.
fn name_list(params: &Params, name: &str) -> Result<Vec<String>, ApiError> {
    let Some(raw) = params.opt(name) else {
        return Ok(Vec::new());
    };
    serde_json::from_str::<Vec<String>>(raw).map_err(|_| {
        ApiError::invalid(
            name,
            format!(
                "`{name}` must be a JSON array of names, like [\"a\",\"b\"], not `{}`",
                snippet(raw)
            ),
        )
    })
}

fn grant_permissions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let policy_type = policy_type(p)?;
    let principals: Vec<Principal> = name_list(p, "UserNames")?
        .into_iter()
        .map(Principal::User)
        .chain(
            name_list(p, "GroupNames")?
                .into_iter()
                .map(Principal::Group),
        )
        .collect();
    if principals.is_empty() {
        return Err(ApiError::missing("UserNames"));
    }
    let policies: Vec<PolicyRef> = name_list(p, "PolicyNames")?
        .into_iter()
        .map(|name| PolicyRef { policy_type, name })
        .collect();
    if policies.is_empty() {
        return Err(ApiError::missing("PolicyNames"));
    }
    let grants = ctx.service.attach(
        ctx.caller,
        &AttachRequest {
            principals,
            policies,
            scope: scope_of(ctx, p),
            confirm_high_risk: p.bool("ConfirmHighRisk")?.unwrap_or(false),
        },
    )?;
    Ok(json!({ "Grants": wrapped("Grant", grants.iter().map(grant_json).collect()) }))
}

pub(crate) fn grant_json(g: &Grant) -> Value {
    let (kind, name) = match &g.principal {
        Principal::User(n) => ("User", n),
        Principal::Group(n) => ("Group", n),
    };
    json!({
        "PrincipalType": kind,
        "PrincipalName": name,
        "PolicyType": g.policy.policy_type.as_api_str(),
        "PolicyName": g.policy.name,
        "ResourceGroupId": match &g.scope { Scope::Account => None, Scope::ResourceGroup(id) => Some(id) },
        "AttachDate": iso(g.attached_at),
    })
}
