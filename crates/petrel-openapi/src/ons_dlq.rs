//! ONS 2019-02-14 dead-letter operations, as the `alibabacloud-ons20190214` SDK calls them:
//! `OnsDLQMessagePageQueryByGroupId` (a group's dead letters of a time range, paged),
//! `OnsDLQMessageGetById` and `OnsDLQMessageResendById` (by the original message id).
//!
//! A message that failed again after a re-send has several dead letters; by id, the newest one
//! is meant. Listing reads at most [`MAX_SCAN`] dead letters of the group, oldest first: a
//! larger dead-letter queue is answered from its oldest part, which is where a time range
//! usually starts.

use petrel_broker::{DeadLetter, GroupRef, TopicRef, TopicSpec};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::error::ApiError;
use crate::request::snippet;
use crate::rocketmq::{block_on, broker, broker_error};

pub(crate) const OPS: &[Op] = &[
    rpc("OnsDLQMessagePageQueryByGroupId", page_query),
    rpc("OnsDLQMessageGetById", get_by_id),
    rpc("OnsDLQMessageResendById", resend_by_id),
];

/// Most dead letters of one group an operation reads.
const MAX_SCAN: usize = 10_000;
/// Body bytes returned per message.
const BODY_PREVIEW: usize = 64 << 10;

fn instance_and_group<'a>(ctx: &'a Ctx<'_>) -> Result<(&'a str, &'a str), ApiError> {
    Ok((
        ctx.params().required("InstanceId")?,
        ctx.params().required("GroupId")?,
    ))
}

/// Every dead letter of `group` (up to [`MAX_SCAN`]), oldest first.
fn all_letters(ctx: &Ctx<'_>, group: &GroupRef) -> Result<Vec<DeadLetter>, ApiError> {
    let broker = broker(ctx)?;
    let mut letters = Vec::new();
    let mut from = None;
    loop {
        let page = broker
            .dead_letters(group, from, 1000)
            .map_err(broker_error)?;
        letters.extend(page.items);
        match page.next {
            Some(next) if letters.len() < MAX_SCAN => from = Some(next),
            _ => break,
        }
    }
    letters.truncate(MAX_SCAN);
    Ok(letters)
}

/// The newest dead letter of `msg_id`.
fn find(letters: Vec<DeadLetter>, msg_id: &str, group: &str) -> Result<DeadLetter, ApiError> {
    letters
        .into_iter()
        .rev()
        .find(|l| l.message.message_id == msg_id)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "ResourceNotFound.Message",
                format!(
                    "the dead-letter queue of group `{group}` holds no message `{}`",
                    snippet(msg_id)
                ),
            )
        })
}

/// One dead letter in the SDK's `OnsRestMessageDo` shape; where it came from, why and when are
/// properties (`DLQ_ORIGIN_TOPIC`, `DLQ_REASON`, `DLQ_RESENT_AT`).
fn letter_json(instance: &str, l: &DeadLetter) -> Value {
    let m = &l.message;
    let mut props: Vec<Value> = m
        .user_properties
        .iter()
        .map(|(k, v)| json!({"Name": k, "Value": v}))
        .collect();
    if let Some(tag) = &m.tag {
        props.push(json!({"Name": "TAGS", "Value": tag}));
    }
    if !m.keys.is_empty() {
        props.push(json!({"Name": "KEYS", "Value": m.keys.join(" ")}));
    }
    props.push(json!({"Name": "DLQ_ORIGIN_TOPIC", "Value": m.topic}));
    props.push(json!({"Name": "DLQ_REASON", "Value": l.reason.as_str()}));
    props.push(json!({"Name": "DLQ_OFFSET", "Value": l.dlq_offset.to_string()}));
    if let Some(at) = l.resent_at_ms {
        props.push(json!({"Name": "DLQ_RESENT_AT", "Value": at.to_string()}));
    }
    let preview = &m.body[..m.body.len().min(BODY_PREVIEW)];
    json!({
        "MsgId": m.message_id,
        "Topic": m.topic,
        "InstanceId": instance,
        "BornTimestamp": m.born_timestamp_ms,
        "BornHost": m.born_host,
        "StoreTimestamp": l.dead_lettered_at_ms,
        "StoreHost": "petrel",
        "StoreSize": m.body.len(),
        "ReconsumeTimes": l.attempts,
        "Body": String::from_utf8_lossy(preview),
        "PropertyList": { "MessageProperty": props },
    })
}

fn page_query(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, group_id) = instance_and_group(ctx)?;
    let begin = ctx.params().int("BeginTime", 0, i64::MAX)?;
    let end = ctx.params().int("EndTime", 0, i64::MAX)?;
    let size = ctx.params().int("PageSize", 1, 1000)?.unwrap_or(20);
    let current = ctx.params().int("CurrentPage", 1, i64::MAX)?.unwrap_or(1);
    if let (Some(b), Some(e)) = (begin, end)
        && b > e
    {
        return Err(ApiError::invalid(
            "EndTime",
            format!("`EndTime` {e} is before `BeginTime` {b}"),
        ));
    }
    ctx.service
        .dead_letters_target(ctx.caller, instance, group_id)?;
    let group = GroupRef::new(&ctx.caller.account_id, instance, group_id).map_err(broker_error)?;
    let matching: Vec<DeadLetter> = all_letters(ctx, &group)?
        .into_iter()
        .filter(|l| begin.is_none_or(|b| l.dead_lettered_at_ms >= b))
        .filter(|l| end.is_none_or(|e| l.dead_lettered_at_ms <= e))
        .collect();
    let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
    let max_page = ((total + size - 1) / size).max(1);
    let skip = usize::try_from((current - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let items: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(usize::try_from(size).unwrap_or(20))
        .map(|l| letter_json(instance, l))
        .collect();
    Ok(json!({
        "MsgFoundDo": {
            // The query is answered at once; the task id only names it.
            "TaskId": format!("dlq-{group_id}-{}-{}", begin.unwrap_or(0), end.unwrap_or(0)),
            "CurrentPage": current,
            "MaxPageCount": max_page,
            "MsgFoundList": { "OnsRestMessageDo": items },
        }
    }))
}

fn get_by_id(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, group_id) = instance_and_group(ctx)?;
    let msg_id = ctx.params().required("MsgId")?;
    ctx.service
        .dead_letters_target(ctx.caller, instance, group_id)?;
    let group = GroupRef::new(&ctx.caller.account_id, instance, group_id).map_err(broker_error)?;
    let letter = find(all_letters(ctx, &group)?, msg_id, group_id)?;
    Ok(json!({ "Data": letter_json(instance, &letter) }))
}

fn resend_by_id(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, group_id) = instance_and_group(ctx)?;
    let msg_id = ctx.params().required("MsgId")?;
    let (_, topics) = ctx
        .service
        .resend_dead_letter_target(ctx.caller, instance, group_id)?;
    let group = GroupRef::new(&ctx.caller.account_id, instance, group_id).map_err(broker_error)?;
    let letter = find(all_letters(ctx, &group)?, msg_id, group_id)?;
    let origin = &letter.message.topic;
    let topic = topics
        .iter()
        .find(|t| &t.name == origin)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "ResourceNotFound.Topic",
                format!(
                    "message `{}` came from topic `{origin}`, which instance `{instance}` no longer has",
                    snippet(msg_id)
                ),
            )
        })?;
    let target = TopicRef::new(
        &ctx.caller.account_id,
        instance,
        origin,
        TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        },
    )
    .map_err(broker_error)?;
    block_on(broker(ctx)?.resend_dead_letter(&group, &target, letter.dlq_offset))
        .map_err(broker_error)?;
    Ok(json!({ "Data": { "MsgId": letter.message.message_id } }))
}
