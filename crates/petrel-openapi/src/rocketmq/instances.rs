//! Instances: create, read, list, update, delete, and moving one to another resource group.

use petrel_meta::{Instance, InstanceUpdate, NewInstance};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, roa};
use crate::envelope::roa_time;
use crate::error::ApiError;

use super::{paged, passes_filter};

pub(crate) const OPS: &[Op] = &[
    roa("CreateInstance", "POST", "/instances", create_instance),
    roa(
        "GetInstance",
        "GET",
        "/instances/{instanceId}",
        get_instance,
    ),
    roa("ListInstances", "GET", "/instances", list_instances),
    roa(
        "UpdateInstance",
        "PATCH",
        "/instances/{instanceId}",
        update_instance,
    ),
    roa(
        "DeleteInstance",
        "DELETE",
        "/instances/{instanceId}",
        delete_instance,
    ),
    roa(
        "ChangeResourceGroup",
        "POST",
        "/resourceGroup/change",
        change_resource_group,
    ),
];

/// The name an instance gets when the request names none.
const DEFAULT_INSTANCE_NAME: &str = "rocketmq-instance";

pub(crate) fn instance_json(ctx: &Ctx<'_>, i: &Instance) -> Value {
    json!({
        "instanceId": i.id,
        "instanceName": i.name,
        "regionId": ctx.service.region(),
        "userId": i.account_id,
        "status": "RUNNING",
        "serviceCode": "rmq",
        "seriesCode": "standard",
        "subSeriesCode": "cluster_ha",
        "paymentType": "PayAsYouGo",
        "resourceGroupId": i.resource_group_id,
        "remark": i.remark,
        "startTime": roa_time(i.created_at),
        "createTime": roa_time(i.created_at),
        "updateTime": roa_time(i.updated_at),
    })
}

fn create_instance(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let instance = ctx.service.create_instance(
        ctx.caller,
        NewInstance {
            id: None,
            name: ctx
                .text("instanceName")?
                .unwrap_or_else(|| DEFAULT_INSTANCE_NAME.to_owned()),
            resource_group_id: ctx.text("resourceGroupId")?,
            remark: ctx.text("remark")?,
        },
    )?;
    Ok(json!(instance.id))
}

fn get_instance(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let instance = ctx
        .service
        .get_instance(ctx.caller, ctx.path("instanceId"))?;
    Ok(instance_json(ctx, &instance))
}

fn list_instances(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rg = ctx.params().opt("resourceGroupId");
    let mut instances = ctx.service.list_instances(ctx.caller, rg)?;
    instances.retain(|i| passes_filter(ctx, &i.name) || passes_filter(ctx, &i.id));
    instances.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let items = instances.iter().map(|i| instance_json(ctx, i)).collect();
    paged(ctx, items)
}

fn update_instance(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.update_instance(
        ctx.caller,
        ctx.path("instanceId"),
        InstanceUpdate {
            name: ctx.text("instanceName")?,
            remark: ctx.text("remark")?,
        },
    )?;
    Ok(json!(true))
}

fn delete_instance(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service
        .delete_instance(ctx.caller, ctx.path("instanceId"), false)?;
    Ok(json!(true))
}

fn change_resource_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    if let Some(t) = p.opt("resourceType")
        && !t.eq_ignore_ascii_case("instance")
    {
        return Err(ApiError::invalid(
            "resourceType",
            format!(
                "`resourceType` must be `instance`, not `{}`",
                crate::request::snippet(t)
            ),
        ));
    }
    ctx.service.move_instance(
        ctx.caller,
        p.required("resourceId")?,
        p.required("resourceGroupId")?,
    )?;
    Ok(json!(true))
}
