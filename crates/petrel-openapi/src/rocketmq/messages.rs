//! The operations that reach messages and consumer progress through the broker:
//! `VerifySendMessage` (send a test message to a topic), `GetConsumerGroupLag` (what a group
//! has yet to consume of a topic) and `ResetConsumeOffset` (move a group's progress on a topic
//! to the latest offset or to a time). The service authorizes and supplies the catalogue
//! entries; the broker does the rest. Message query is in `query`.

use std::sync::Arc;

use petrel_broker::{
    Broker, BrokerError, GroupRef, OutgoingMessage, ResetTarget, TopicRef, TopicSpec,
};
use petrel_service::new_request_id;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, roa};
use crate::error::ApiError;

const MESSAGES: &str = "/instances/{instanceId}/topics/{topicName}/messages";

pub(crate) const OPS: &[Op] = &[
    roa("VerifySendMessage", "POST", MESSAGES, verify_send_message),
    roa(
        "GetConsumerGroupLag",
        "GET",
        "/instances/{instanceId}/consumerGroups/{consumerGroupId}/lag",
        get_consumer_group_lag,
    ),
    roa(
        "ResetConsumeOffset",
        "PATCH",
        "/instances/{instanceId}/consumerGroups/{consumerGroupId}/consumeOffsets/{topicName}",
        reset_consume_offset,
    ),
];

pub(crate) fn broker<'a>(ctx: &Ctx<'a>) -> Result<&'a Arc<Broker>, ApiError> {
    ctx.broker.ok_or_else(|| {
        ApiError::new(
            503,
            "ServiceUnavailable",
            "this management endpoint has no broker attached, so it cannot reach messages",
        )
    })
}

pub(crate) fn broker_error(e: BrokerError) -> ApiError {
    match e {
        BrokerError::Unsupported(what) => ApiError::new(400, "OperationNotSupported", what),
        e if e.rocketmq_code() < 50000 => ApiError::invalid("Message", e.to_string()),
        e => ApiError::new(500, "InternalError", e.to_string()),
    }
}

/// Runs a broker future from the blocking thread the operation runs on.
pub(crate) fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Handle::current().block_on(f)
}

/// A message id in the RocketMQ 5 shape: `01` and 32 upper-case hex digits.
fn new_message_id() -> String {
    format!("01{}", new_request_id().replace('-', ""))
}

fn verify_send_message(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let broker = broker(ctx)?;
    let (instance, topic_name) = (ctx.path("instanceId"), ctx.path("topicName"));
    let body = ctx
        .text("message")?
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ApiError::missing("message"))?;
    let topic = ctx
        .service
        .authorize_verify_send(ctx.caller, instance, topic_name)?;
    let target = TopicRef::new(
        &ctx.caller.account_id,
        instance,
        topic_name,
        TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        },
    )
    .map_err(broker_error)?;
    let mut message = OutgoingMessage::new(new_message_id(), body.into_bytes());
    message.message_type = topic.message_type;
    message.tag = ctx.text("messageTag")?.filter(|t| !t.is_empty());
    message.keys = ctx
        .text("messageKey")?
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect();
    message.message_group = ctx.text("messageGroup")?.filter(|g| !g.is_empty());
    message.delivery_timestamp_ms = ctx.number("deliveryTimeStamp", 0, i64::MAX)?;
    message.born_host = "petrel-openapi".to_owned();
    let receipts = block_on(broker.send(&target, vec![message])).map_err(broker_error)?;
    let id = receipts
        .first()
        .map(|r| r.message_id.clone())
        .ok_or_else(|| ApiError::new(500, "InternalError", "the broker answered no receipt"))?;
    Ok(json!(id))
}

fn get_consumer_group_lag(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let broker = broker(ctx)?;
    let (instance, group_id) = (ctx.path("instanceId"), ctx.path("consumerGroupId"));
    // Petrel does not record which topics a group subscribes to outside live sessions, so the
    // topic is required rather than guessed.
    let topic_name = ctx.params().required("topicName")?;
    let (_, topic) = ctx
        .service
        .consumer_group_lag_target(ctx.caller, instance, group_id, topic_name)?;
    let group = GroupRef::new(&ctx.caller.account_id, instance, group_id).map_err(broker_error)?;
    let target = TopicRef::new(
        &ctx.caller.account_id,
        instance,
        topic_name,
        TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        },
    )
    .map_err(broker_error)?;
    let stats = broker
        .group_topic_stats(&group, &target)
        .map_err(broker_error)?;
    // Seconds behind: the age of the oldest unfinished message; `null` when it could not be
    // read (unknown is never reported as zero). Petrel does not record when a group last
    // consumed, so `lastConsumeTimestamp` is always unknown.
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let lag = json!({
        "readyCount": stats.ready,
        "inflightCount": stats.inflight,
        "deliveryDuration": stats.delivery_lag_ms(now).map(|ms| ms / 1000),
        "lastConsumeTimestamp": null,
    });
    Ok(json!({
        "instanceId": instance,
        "regionId": ctx.service.region(),
        "consumerGroupId": group_id,
        "topicName": topic_name,
        "totalLag": lag,
        "topicLagMap": { topic_name: lag },
    }))
}

fn reset_consume_offset(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let broker = broker(ctx)?;
    let (instance, group_id, topic_name) = (
        ctx.path("instanceId"),
        ctx.path("consumerGroupId"),
        ctx.path("topicName"),
    );
    let reset_type = ctx
        .text("resetType")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("resetType"))?;
    let target = match reset_type.as_str() {
        "LATEST_OFFSET" => ResetTarget::Latest,
        "SPECIFIED_TIME" => {
            let text = ctx
                .text("resetTime")?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ApiError::missing("resetTime"))?;
            ResetTarget::Timestamp(super::query::parse_time("resetTime", &text)?)
        }
        other => {
            return Err(ApiError::invalid(
                "ResetType",
                format!(
                    "`resetType` must be `LATEST_OFFSET` or `SPECIFIED_TIME`, not `{}`",
                    crate::request::snippet(other)
                ),
            ));
        }
    };
    let (_, topic) = ctx
        .service
        .reset_consume_offset_target(ctx.caller, instance, group_id, topic_name)?;
    let group = GroupRef::new(&ctx.caller.account_id, instance, group_id).map_err(broker_error)?;
    let target_topic = TopicRef::new(
        &ctx.caller.account_id,
        instance,
        topic_name,
        TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        },
    )
    .map_err(broker_error)?;
    block_on(broker.reset_offset(&group, &target_topic, target)).map_err(broker_error)?;
    // The 2022-08-01 answer carries no data.
    Ok(Value::Null)
}
