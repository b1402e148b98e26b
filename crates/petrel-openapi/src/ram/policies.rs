//! Policies: the system catalogue (read-only) and the account's custom policies with their
//! versions. Our listings add a high-risk flag with its reasons, which the console and CLI use to
//! ask for confirmation before attaching.

use petrel_meta::{PolicyType, PolicyVersion, RotateStrategy};
use petrel_service::{PolicyInfo, PolicyKind};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::envelope::{iso, wrapped};
use crate::error::ApiError;
use crate::page;
use crate::request::snippet;

use super::{parse_policy_type, policy_type};

pub(crate) const OPS: &[Op] = &[
    rpc("CreatePolicy", create_policy),
    rpc("GetPolicy", get_policy),
    rpc("ListPolicies", list_policies),
    rpc("UpdatePolicyDescription", update_policy_description),
    rpc("DeletePolicy", delete_policy),
    rpc("CreatePolicyVersion", create_policy_version),
    rpc("GetPolicyVersion", get_policy_version),
    rpc("ListPolicyVersions", list_policy_versions),
    rpc("SetDefaultPolicyVersion", set_default_policy_version),
    rpc("DeletePolicyVersion", delete_policy_version),
];

fn kind(t: PolicyType) -> PolicyKind {
    match t {
        PolicyType::System => PolicyKind::System,
        PolicyType::Custom => PolicyKind::Custom,
    }
}

fn kind_str(k: PolicyKind) -> &'static str {
    match k {
        PolicyKind::System => "System",
        PolicyKind::Custom => "Custom",
    }
}

fn info_json(p: &PolicyInfo, with_document: bool) -> Value {
    let mut v = json!({
        "PolicyName": p.name,
        "PolicyType": kind_str(p.kind),
        "Description": p.description,
        "DefaultVersion": p.default_version,
        "AttachmentCount": p.attachment_count,
        "HighRisk": p.is_high_risk(),
        "HighRiskReasons": p.high_risk_reasons,
    });
    if let (true, Value::Object(m)) = (with_document, &mut v) {
        m.insert("PolicyDocument".to_owned(), json!(p.document));
    }
    v
}

fn version_json(v: &PolicyVersion) -> Value {
    json!({
        "VersionId": v.version_id,
        "IsDefaultVersion": v.is_default,
        "PolicyDocument": v.document,
        "CreateDate": iso(v.created_at),
    })
}

/// A system policy's single version, as the version calls show it.
fn system_version_json(p: &PolicyInfo) -> Value {
    json!({
        "VersionId": p.default_version,
        "IsDefaultVersion": true,
        "PolicyDocument": p.document,
    })
}

fn create_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let policy = ctx.service.create_policy(
        ctx.caller,
        p.required("PolicyName")?,
        p.opt("Description").unwrap_or_default(),
        p.required("PolicyDocument")?,
    )?;
    Ok(json!({
        "Policy": {
            "PolicyName": policy.name,
            "PolicyType": "Custom",
            "Description": policy.description,
            "DefaultVersion": policy.default_version,
            "CreateDate": iso(policy.created_at),
        }
    }))
}

fn get_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let policy_kind = kind(policy_type(p)?);
    let info = ctx
        .service
        .get_policy(ctx.caller, policy_kind, p.required("PolicyName")?)?;
    let version = system_version_json(&info);
    Ok(json!({
        "Policy": info_json(&info, true),
        "DefaultPolicyVersion": version,
    }))
}

fn list_policies(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let filter = p.opt("PolicyType").map(parse_policy_type).transpose()?;
    let policies = ctx.service.list_policies(ctx.caller, filter.map(kind))?;
    let (items, mut meta) = page::by_marker(
        p,
        policies,
        |i| format!("{}:{}", kind_str(i.kind), i.name),
        |i| info_json(&i, false),
    )?;
    meta.insert("Policies".to_owned(), wrapped("Policy", items));
    Ok(Value::Object(meta))
}

fn update_policy_description(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let policy = ctx.service.update_policy_description(
        ctx.caller,
        p.required("PolicyName")?,
        p.raw("NewDescription").unwrap_or_default(),
    )?;
    Ok(json!({
        "Policy": {
            "PolicyName": policy.name,
            "PolicyType": "Custom",
            "Description": policy.description,
            "DefaultVersion": policy.default_version,
            "CreateDate": iso(policy.created_at),
            "UpdateDate": iso(policy.updated_at),
        }
    }))
}

fn delete_policy(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let cascade = p.bool("CascadingDelete")?.unwrap_or(false);
    ctx.service
        .delete_policy(ctx.caller, p.required("PolicyName")?, cascade)?;
    Ok(json!({}))
}

fn create_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let rotate = match p.opt("RotateStrategy") {
        None | Some("None") => RotateStrategy::None,
        Some("DeleteOldestNonDefaultVersionWhenLimitExceeded") => {
            RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "RotateStrategy",
                format!(
                    "`RotateStrategy` must be `None` or `DeleteOldestNonDefaultVersionWhenLimitExceeded`, not `{}`",
                    snippet(other)
                ),
            ));
        }
    };
    let version = ctx.service.create_policy_version(
        ctx.caller,
        p.required("PolicyName")?,
        p.required("PolicyDocument")?,
        p.bool("SetAsDefault")?.unwrap_or(false),
        rotate,
    )?;
    Ok(json!({ "PolicyVersion": version_json(&version) }))
}

fn get_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let name = p.required("PolicyName")?;
    let version_id = p.required("VersionId")?;
    match policy_type(p)? {
        PolicyType::Custom => {
            let v = ctx
                .service
                .get_policy_version(ctx.caller, name, version_id)?;
            Ok(json!({ "PolicyVersion": version_json(&v) }))
        }
        PolicyType::System => {
            let info = ctx
                .service
                .get_policy(ctx.caller, PolicyKind::System, name)?;
            if info.default_version != version_id {
                return Err(ApiError::new(
                    404,
                    "EntityNotExist.Policy.Version",
                    format!(
                        "version `{}` of system policy `{name}` does not exist; it is at `{}`",
                        snippet(version_id),
                        info.default_version
                    ),
                ));
            }
            Ok(json!({ "PolicyVersion": system_version_json(&info) }))
        }
    }
}

fn list_policy_versions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let name = p.required("PolicyName")?;
    let items = match policy_type(p)? {
        PolicyType::Custom => ctx
            .service
            .list_policy_versions(ctx.caller, name)?
            .iter()
            .map(version_json)
            .collect(),
        PolicyType::System => {
            let info = ctx
                .service
                .get_policy(ctx.caller, PolicyKind::System, name)?;
            vec![system_version_json(&info)]
        }
    };
    Ok(json!({ "PolicyVersions": wrapped("PolicyVersion", items) }))
}

fn set_default_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    ctx.service.set_default_policy_version(
        ctx.caller,
        p.required("PolicyName")?,
        p.required("VersionId")?,
    )?;
    Ok(json!({}))
}

fn delete_policy_version(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    ctx.service.delete_policy_version(
        ctx.caller,
        p.required("PolicyName")?,
        p.required("VersionId")?,
    )?;
    Ok(json!({}))
}
