//! ResourceManager 2020-03-31 (RPC): resource groups, the resources in them (RocketMQ
//! instances), moving resources between groups, and policy attachments whose scope is a resource
//! group or — when `ResourceGroupId` is the account id — the whole account.

use petrel_meta::{AttachmentFilter, Instance, Principal, ResourceGroup, Scope};
use petrel_service::AttachRequest;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Product, rpc};
use crate::envelope::{Style, iso, wrapped};
use crate::error::ApiError;
use crate::page;
use crate::request::{Params, snippet};

pub(crate) const PRODUCT: Product = Product {
    version: "2020-03-31",
    style: Style::Rpc,
    ops: &[&[
        rpc("CreateResourceGroup", create_resource_group),
        rpc("GetResourceGroup", get_resource_group),
        rpc("ListResourceGroups", list_resource_groups),
        rpc("UpdateResourceGroup", update_resource_group),
        rpc("DeleteResourceGroup", delete_resource_group),
        rpc("ListResources", list_resources),
        rpc("MoveResources", move_resources),
        rpc("AttachPolicy", attach_policy),
        rpc("DetachPolicy", detach_policy),
        rpc("ListPolicyAttachments", list_policy_attachments),
    ]],
};

/// The only resource type Petrel places in resource groups.
const SERVICE: &str = "rocketmq";
const RESOURCE_TYPE: &str = "instance";

fn rg_json(ctx: &Ctx<'_>, rg: &ResourceGroup) -> Value {
    json!({
        "Id": rg.id,
        "Name": rg.name,
        "DisplayName": rg.display_name,
        "AccountId": rg.account_id,
        "Status": rg.status.as_api_str(),
        "CreateDate": iso(rg.created_at),
        "RegionStatuses": wrapped("RegionStatus", vec![json!({
            "RegionId": ctx.service.region(),
            "Status": rg.status.as_api_str(),
        })]),
    })
}

fn paging(p: &Params) -> Result<(Option<i64>, Option<i64>), ApiError> {
    Ok((
        p.int("PageNumber", 1, i64::MAX)?,
        p.int("PageSize", 1, 100)?,
    ))
}

fn create_resource_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let rg = ctx.service.create_resource_group(
        ctx.caller,
        p.required("Name")?,
        p.required("DisplayName")?,
    )?;
    Ok(json!({ "ResourceGroup": rg_json(ctx, &rg) }))
}

fn get_resource_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let id = ctx.params().required("ResourceGroupId")?;
    let rg = ctx.service.get_resource_group(ctx.caller, id)?;
    Ok(json!({ "ResourceGroup": rg_json(ctx, &rg) }))
}

fn list_resource_groups(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let mut ids = p.indexed("ResourceGroupIds");
    if ids.is_empty()
        && let Some(id) = p.opt("ResourceGroupId")
    {
        ids.push(id.to_owned());
    }
    let mut groups: Vec<ResourceGroup> = ctx
        .service
        .list_resource_groups(ctx.caller)?
        .into_iter()
        .filter(|g| ids.is_empty() || ids.contains(&g.id))
        .filter(|g| p.opt("Name").is_none_or(|n| g.name == n))
        .filter(|g| p.opt("DisplayName").is_none_or(|n| g.display_name == n))
        .filter(|g| p.opt("Status").is_none_or(|s| g.status.as_api_str() == s))
        .collect();
    groups.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let (number, size) = paging(p)?;
    let page = page::by_number(number, size, 10, groups);
    Ok(json!({
        "PageNumber": page.number,
        "PageSize": page.size,
        "TotalCount": page.total,
        "ResourceGroups": wrapped("ResourceGroup", page.items.iter().map(|g| rg_json(ctx, g)).collect()),
    }))
}

fn update_resource_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let rg = ctx.service.rename_resource_group(
        ctx.caller,
        p.required("ResourceGroupId")?,
        p.required("NewDisplayName")?,
    )?;
    Ok(json!({ "ResourceGroup": rg_json(ctx, &rg) }))
}

fn delete_resource_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let id = ctx.params().required("ResourceGroupId")?;
    let rg = ctx.service.get_resource_group(ctx.caller, id)?;
    ctx.service.delete_resource_group(ctx.caller, id)?;
    Ok(json!({ "ResourceGroup": rg_json(ctx, &rg) }))
}

fn resource_json(ctx: &Ctx<'_>, i: &Instance) -> Value {
    json!({
        "ResourceId": i.id,
        "ResourceType": RESOURCE_TYPE,
        "Service": SERVICE,
        "RegionId": ctx.service.region(),
        "ResourceGroupId": i.resource_group_id,
        "CreateDate": iso(i.created_at),
    })
}

fn list_resources(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let ours = p.opt("Service").is_none_or(|s| s == SERVICE)
        && p.opt("ResourceType").is_none_or(|t| t == RESOURCE_TYPE)
        && p.opt("Region").is_none_or(|r| r == ctx.service.region());
    let mut instances: Vec<Instance> = if ours {
        ctx.service
            .list_resources(ctx.caller, p.opt("ResourceGroupId"))?
    } else {
        Vec::new()
    };
    if let Some(id) = p.opt("ResourceId") {
        instances.retain(|i| i.id == id);
    }
    instances.sort_by(|a, b| a.id.cmp(&b.id));
    let (number, size) = paging(p)?;
    let page = page::by_number(number, size, 10, instances);
    Ok(json!({
        "PageNumber": page.number,
        "PageSize": page.size,
        "TotalCount": page.total,
        "Resources": wrapped("Resource", page.items.iter().map(|i| resource_json(ctx, i)).collect()),
    }))
}

fn move_resources(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let target = p.required("ResourceGroupId")?;
    let resources = p.repeated("Resources");
    if resources.is_empty() {
        return Err(ApiError::missing("Resources"));
    }
    let mut responses = Vec::new();
    for r in &resources {
        let id = r
            .required("ResourceId")
            .map_err(|_| ApiError::missing("Resources.N.ResourceId"))?;
        let service = r.opt("Service").unwrap_or(SERVICE);
        let outcome = if service != SERVICE {
            Err(ApiError::invalid(
                "Service",
                format!(
                    "service `{}` has no resources here; only `{SERVICE}` does",
                    snippet(service)
                ),
            ))
        } else {
            ctx.service
                .move_instance(ctx.caller, id, target)
                .map_err(ApiError::from)
        };
        let mut v = json!({
            "ResourceId": id,
            "Service": service,
            "ResourceType": r.opt("ResourceType").unwrap_or(RESOURCE_TYPE),
            "RegionId": r.opt("RegionId").unwrap_or(ctx.service.region()),
            "RequestId": ctx.caller.context.request_id,
            "Status": "SUCCESS",
        });
        if let (Err(e), Value::Object(m)) = (outcome, &mut v) {
            // A denial of any resource fails the call, so that a caller without permission
            // learns it from the status as with every other operation.
            if e.status == 403 {
                return Err(e);
            }
            m.insert("Status".to_owned(), json!("FAIL"));
            m.insert("ErrorCode".to_owned(), json!(e.code));
            m.insert("ErrorMsg".to_owned(), json!(e.message));
        }
        responses.push(v);
    }
    Ok(json!({ "Responses": responses }))
}

/// `PrincipalType` + `PrincipalName` (`alice`, or `alice@<alias>.onaliyun.com`). A suffix
/// must name the caller's own account: `alice@other.onaliyun.com` is refused rather than
/// quietly taken to mean the caller's own `alice`.
fn principal(ctx: &Ctx<'_>, p: &Params) -> Result<Principal, ApiError> {
    let name = p.required("PrincipalName")?;
    let bare = match name.split_once('@') {
        None => name.to_owned(),
        Some((bare, suffix)) => {
            let who = ctx.service.caller_identity(ctx.caller)?;
            let domain = suffix.strip_suffix(".onaliyun.com").unwrap_or(suffix);
            if domain != who.account_alias && domain != who.account_id {
                return Err(ApiError::invalid(
                    "PrincipalName",
                    format!(
                        "`{}` is not a principal of account `{}`: the part after `@` must be `{}.onaliyun.com`",
                        snippet(name),
                        who.account_id,
                        who.account_alias
                    ),
                ));
            }
            bare.to_owned()
        }
    };
    match p.required("PrincipalType")? {
        "IMSUser" => Ok(Principal::User(bare)),
        "IMSGroup" => Ok(Principal::Group(bare)),
        other => Err(ApiError::invalid(
            "PrincipalType",
            format!(
                "`PrincipalType` must be `IMSUser` or `IMSGroup`, not `{}`",
                snippet(other)
            ),
        )),
    }
}

fn scope(ctx: &Ctx<'_>, id: &str) -> Scope {
    if id == ctx.caller.account_id {
        Scope::Account
    } else {
        Scope::ResourceGroup(id.to_owned())
    }
}

fn attach_request(ctx: &Ctx<'_>) -> Result<AttachRequest, ApiError> {
    let p = ctx.params();
    let scope = scope(ctx, p.required("ResourceGroupId")?);
    Ok(AttachRequest {
        principals: vec![principal(ctx, p)?],
        policies: vec![crate::ram::policy_ref(p)?],
        scope,
        confirm_high_risk: true,
    })
}

fn attach_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.attach(ctx.caller, &attach_request(ctx)?)?;
    Ok(json!({}))
}

fn detach_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.detach(ctx.caller, &attach_request(ctx)?)?;
    Ok(json!({}))
}

fn list_policy_attachments(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let principal = match (p.opt("PrincipalType"), p.opt("PrincipalName")) {
        (Some(_), Some(_)) => Some(principal(ctx, p)?),
        _ => None,
    };
    let filter = AttachmentFilter {
        principal,
        policy_type: p
            .opt("PolicyType")
            .map(crate::ram::parse_policy_type)
            .transpose()?,
        policy_name: p.opt("PolicyName").map(str::to_owned),
        scope: p.opt("ResourceGroupId").map(|id| scope(ctx, id)),
    };
    let who = ctx.service.caller_identity(ctx.caller)?;
    let mut grants = ctx.service.list_grants(ctx.caller, &filter)?;
    if let Some(kind) = p
        .opt("PrincipalType")
        .filter(|_| filter.principal.is_none())
    {
        grants.retain(|g| (kind == "IMSUser") == g.principal.is_user());
    }
    let (number, size) = paging(p)?;
    let page = page::by_number(number, size, 10, grants);
    let items = page
        .items
        .iter()
        .map(|g| {
            let (kind, name) = match &g.principal {
                Principal::User(n) => {
                    ("IMSUser", format!("{n}@{}.onaliyun.com", who.account_alias))
                }
                Principal::Group(n) => ("IMSGroup", n.clone()),
            };
            let description = match g.policy.policy_type {
                petrel_meta::PolicyType::System => petrel_iam::system_policy(&g.policy.name)
                    .map(|s| s.description().to_owned())
                    .unwrap_or_default(),
                petrel_meta::PolicyType::Custom => String::new(),
            };
            json!({
                "PolicyName": g.policy.name,
                "PolicyType": g.policy.policy_type.as_api_str(),
                "PrincipalName": name,
                "PrincipalType": kind,
                "ResourceGroupId": match &g.scope {
                    Scope::Account => ctx.caller.account_id.clone(),
                    Scope::ResourceGroup(id) => id.clone(),
                },
                "AttachDate": iso(g.attached_at),
                "Description": description,
            })
        })
        .collect();
    Ok(json!({
        "PageNumber": page.number,
        "PageSize": page.size,
        "TotalCount": page.total,
        "PolicyAttachments": wrapped("PolicyAttachment", items),
    }))
}
