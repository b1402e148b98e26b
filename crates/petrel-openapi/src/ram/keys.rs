//! AccessKeys of RAM users and of the caller itself. The secret appears once, in the answer to
//! `CreateAccessKey`.

use petrel_meta::{AccessKey, AccessKeyStatus};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::envelope::{iso, wrapped};
use crate::error::ApiError;
use crate::request::snippet;

pub(crate) const OPS: &[Op] = &[
    rpc("CreateAccessKey", create_access_key),
    rpc("ListAccessKeys", list_access_keys),
    rpc("UpdateAccessKey", update_access_key),
    rpc("DeleteAccessKey", delete_access_key),
    rpc("GetAccessKeyLastUsed", get_access_key_last_used),
];

fn key_json(k: &AccessKey) -> Value {
    json!({
        "AccessKeyId": k.id,
        "Status": k.status.as_api_str(),
        "CreateDate": iso(k.created_at),
    })
}

fn create_access_key(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().opt("UserName");
    let created = ctx.service.create_access_key(ctx.caller, user)?;
    Ok(json!({
        "AccessKey": {
            "AccessKeyId": created.id,
            "AccessKeySecret": created.secret.expose(),
            "Status": created.access_key.status.as_api_str(),
            "CreateDate": iso(created.access_key.created_at),
        }
    }))
}

fn list_access_keys(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().opt("UserName");
    let keys = ctx.service.list_access_keys(ctx.caller, user)?;
    Ok(json!({
        "AccessKeys": wrapped("AccessKey", keys.iter().map(key_json).collect()),
    }))
}

fn update_access_key(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let user = p.opt("UserName");
    let key_id = p.required("UserAccessKeyId")?;
    let status = match p.required("Status")? {
        "Active" => AccessKeyStatus::Active,
        "Inactive" => AccessKeyStatus::Inactive,
        other => {
            return Err(ApiError::invalid(
                "Status",
                format!(
                    "`Status` must be `Active` or `Inactive`, not `{}`",
                    snippet(other)
                ),
            ));
        }
    };
    ctx.service
        .set_access_key_status(ctx.caller, user, key_id, status)?;
    Ok(json!({}))
}

fn delete_access_key(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let key_id = p.required("UserAccessKeyId")?;
    ctx.service
        .delete_access_key(ctx.caller, p.opt("UserName"), key_id)?;
    Ok(json!({}))
}

fn get_access_key_last_used(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let user = p.opt("UserName");
    let key_id = p.required("UserAccessKeyId")?;
    let keys = ctx.service.list_access_keys(ctx.caller, user)?;
    let key = keys.iter().find(|k| k.id == key_id).ok_or_else(|| {
        ApiError::new(
            404,
            "EntityNotExist.User.AccessKey",
            format!(
                "access key `{}` does not exist for {}",
                snippet(key_id),
                user.map_or_else(|| "the caller".to_owned(), |u| format!("user `{u}`"))
            ),
        )
    })?;
    let mut last = serde_json::Map::new();
    if let Some(at) = key.last_used_at {
        last.insert("LastUsedDate".to_owned(), json!(iso(at)));
    }
    Ok(json!({ "AccessKeyLastUsed": last }))
}
