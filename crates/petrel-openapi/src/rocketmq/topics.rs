//! Topics of an instance.

use petrel_meta::{NewTopic, Topic, TopicUpdate};
use petrel_model::MessageType;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, roa};
use crate::envelope::roa_time;
use crate::error::ApiError;
use crate::request::snippet;

use super::{paged, passes_filter};

const TOPIC: &str = "/instances/{instanceId}/topics/{topicName}";

pub(crate) const OPS: &[Op] = &[
    roa("CreateTopic", "POST", TOPIC, create_topic),
    roa("GetTopic", "GET", TOPIC, get_topic),
    roa(
        "ListTopics",
        "GET",
        "/instances/{instanceId}/topics",
        list_topics,
    ),
    roa("UpdateTopic", "PATCH", TOPIC, update_topic),
    roa("DeleteTopic", "DELETE", TOPIC, delete_topic),
];

pub(crate) fn topic_json(ctx: &Ctx<'_>, t: &Topic) -> Value {
    json!({
        "instanceId": t.instance_id,
        "regionId": ctx.service.region(),
        "topicName": t.name,
        "messageType": t.message_type.as_api_str(),
        "status": "RUNNING",
        "remark": t.remark,
        "createTime": roa_time(t.created_at),
        "updateTime": roa_time(t.updated_at),
    })
}

fn message_type(value: &str) -> Result<MessageType, ApiError> {
    value.parse().map_err(|_| {
        ApiError::invalid(
            "MessageType",
            format!(
                "`messageType` must be NORMAL, FIFO, DELAY or TRANSACTION, not `{}`",
                snippet(value)
            ),
        )
    })
}

fn create_topic(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let kind = match ctx.text("messageType")? {
        Some(t) => message_type(&t)?,
        None => return Err(ApiError::missing("messageType")),
    };
    ctx.service.create_topic(
        ctx.caller,
        ctx.path("instanceId"),
        NewTopic {
            name: ctx.path("topicName").to_owned(),
            message_type: kind,
            queue_count: None,
            remark: ctx.text("remark")?,
        },
    )?;
    Ok(json!(true))
}

fn get_topic(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let topic = ctx
        .service
        .get_topic(ctx.caller, ctx.path("instanceId"), ctx.path("topicName"))?;
    Ok(topic_json(ctx, &topic))
}

fn list_topics(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let wanted: Vec<MessageType> = match ctx.params().opt("messageTypes") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(message_type)
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let mut topics = ctx
        .service
        .list_topics(ctx.caller, ctx.path("instanceId"))?;
    topics.retain(|t| {
        passes_filter(ctx, &t.name) && (wanted.is_empty() || wanted.contains(&t.message_type))
    });
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let items = topics.iter().map(|t| topic_json(ctx, t)).collect();
    paged(ctx, items)
}

fn update_topic(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service.update_topic(
        ctx.caller,
        ctx.path("instanceId"),
        ctx.path("topicName"),
        TopicUpdate {
            remark: ctx.text("remark")?,
        },
    )?;
    Ok(json!(true))
}

fn delete_topic(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.service
        .delete_topic(ctx.caller, ctx.path("instanceId"), ctx.path("topicName"))?;
    Ok(json!(true))
}
