//! Consumer groups of an instance, with their delivery order and retry policy.

use petrel_meta::{
    ConsumerGroup, ConsumerGroupUpdate, DeliveryOrder, NewConsumerGroup, RetryBackoff, RetryPolicy,
};
use serde_json::{Map, Value, json};

use crate::dispatch::{Ctx, Op, roa};
use crate::envelope::roa_time;
use crate::error::ApiError;
use crate::request::{parse_int, snippet};

use super::{paged, passes_filter};

const GROUP: &str = "/instances/{instanceId}/consumerGroups/{consumerGroupId}";

pub(crate) const OPS: &[Op] = &[
    roa("CreateConsumerGroup", "POST", GROUP, create_group),
    roa("GetConsumerGroup", "GET", GROUP, get_group),
    roa(
        "ListConsumerGroups",
        "GET",
        "/instances/{instanceId}/consumerGroups",
        list_groups,
    ),
    roa("UpdateConsumerGroup", "PATCH", GROUP, update_group),
    roa("DeleteConsumerGroup", "DELETE", GROUP, delete_group),
];

/// Seconds between attempts of a fixed retry policy when the request names none.
const DEFAULT_FIXED_INTERVAL_SECONDS: u32 = 10;

pub(crate) fn group_json(ctx: &Ctx<'_>, g: &ConsumerGroup) -> Value {
    let (policy, interval) = match g.retry_policy.backoff {
        RetryBackoff::Default => ("DefaultRetryPolicy", None),
        RetryBackoff::Fixed { interval_seconds } => ("FixedRetryPolicy", Some(interval_seconds)),
    };
    json!({
        "instanceId": g.instance_id,
        "regionId": ctx.service.region(),
        "consumerGroupId": g.group_id,
        "status": "RUNNING",
        "deliveryOrderType": g.delivery_order.as_api_str(),
        "consumeRetryPolicy": {
            "retryPolicy": policy,
            "maxRetryTimes": g.retry_policy.max_retry_times,
            "fixedIntervalRetryTime": interval,
            "deadLetterTargetTopic": g.retry_policy.dead_letter_target_topic,
        },
        "messageModel": "CLUSTERING",
        "remark": g.remark,
        "createTime": roa_time(g.created_at),
        "updateTime": roa_time(g.updated_at),
    })
}

fn delivery_order(ctx: &Ctx<'_>) -> Result<Option<DeliveryOrder>, ApiError> {
    match ctx.text("deliveryOrderType")?.as_deref() {
        None => Ok(None),
        Some("Concurrently") => Ok(Some(DeliveryOrder::Concurrently)),
        Some("Orderly") => Ok(Some(DeliveryOrder::Orderly)),
        Some(other) => Err(ApiError::invalid(
            "DeliveryOrderType",
            format!(
                "`deliveryOrderType` must be `Concurrently` or `Orderly`, not `{}`",
                snippet(other)
            ),
        )),
    }
}

fn retry_policy(ctx: &Ctx<'_>) -> Result<Option<RetryPolicy>, ApiError> {
    let obj: Map<String, Value> = match ctx.body.get("consumeRetryPolicy") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                "ConsumeRetryPolicy",
                "`consumeRetryPolicy` must be an object",
            ));
        }
    };
    let int = |name: &str, max: i64| -> Result<Option<u32>, ApiError> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                let n = parse_int(name, &text, 0, max)?;
                Ok(u32::try_from(n).ok())
            }
        }
    };
    let max_retry_times = int("maxRetryTimes", i64::from(u32::MAX))?
        .unwrap_or(RetryPolicy::default().max_retry_times);
    let backoff = match obj.get("retryPolicy").and_then(Value::as_str) {
        None | Some("DefaultRetryPolicy") => RetryBackoff::Default,
        Some("FixedRetryPolicy") => RetryBackoff::Fixed {
            interval_seconds: int("fixedIntervalRetryTime", i64::from(u32::MAX))?
                .unwrap_or(DEFAULT_FIXED_INTERVAL_SECONDS),
        },
        Some(other) => {
            return Err(ApiError::invalid(
                "RetryPolicy",
                format!(
                    "`retryPolicy` must be `DefaultRetryPolicy` or `FixedRetryPolicy`, not `{}`",
                    snippet(other)
                ),
            ));
        }
    };
    let dead_letter_target_topic = obj
        .get("deadLetterTargetTopic")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Some(RetryPolicy {
        backoff,
        max_retry_times,
        dead_letter_target_topic,
    }))
}

fn create_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.create_consumer_group(
        ctx.caller,
        ctx.path("instanceId"),
        NewConsumerGroup {
            group_id: ctx.path("consumerGroupId").to_owned(),
            delivery_order: delivery_order(ctx)?.unwrap_or_default(),
            retry_policy: retry_policy(ctx)?.unwrap_or_default(),
            remark: ctx.text("remark")?,
        },
    )?;
    Ok(json!(true))
}

fn get_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let group = ctx.service.get_consumer_group(
        ctx.caller,
        ctx.path("instanceId"),
        ctx.path("consumerGroupId"),
    )?;
    Ok(group_json(ctx, &group))
}

fn list_groups(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let mut groups = ctx
        .service
        .list_consumer_groups(ctx.caller, ctx.path("instanceId"))?;
    groups.retain(|g| passes_filter(ctx, &g.group_id));
    groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    let items = groups.iter().map(|g| group_json(ctx, g)).collect();
    paged(ctx, items)
}

fn update_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.update_consumer_group(
        ctx.caller,
        ctx.path("instanceId"),
        ctx.path("consumerGroupId"),
        ConsumerGroupUpdate {
            delivery_order: delivery_order(ctx)?,
            retry_policy: retry_policy(ctx)?,
            remark: ctx.text("remark")?,
        },
    )?;
    Ok(json!(true))
}

fn delete_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.delete_consumer_group(
        ctx.caller,
        ctx.path("instanceId"),
        ctx.path("consumerGroupId"),
    )?;
    Ok(json!(true))
}
