//! Message query: `ListMessages` (by `messageId`, by `messageKey`, or by store-time range
//! `startTime..=endTime`) and `GetMessageDetail`. Each message carries, beyond the SDK's
//! fields, `deliveryStates`: where each consumer group of the instance stands with it.
//!
//! Paging: key queries are bounded (at most 1000 newest matches; `truncated` says more
//! exist) and paged by number. Time queries page by `scrollId` (the position after the last
//! message of a page; `pageNumber` counts on from it); their `totalCount` is exact only on the
//! last page reached without a `scrollId`, and `null` (unknown) otherwise, since counting
//! would read the whole range.

use petrel_broker::{
    DeliveryState, GroupRef, MAX_QUERY_MESSAGES, QueriedMessage, TimeCursor, TopicRef, TopicSpec,
};
use petrel_service::MessageQueryTarget;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::dispatch::{Ctx, Op, roa};
use crate::envelope::roa_time;
use crate::error::ApiError;
use crate::page;
use crate::request::snippet;

use super::messages::{broker, broker_error};

pub(crate) const OPS: &[Op] = &[
    roa(
        "ListMessages",
        "GET",
        "/instances/{instanceId}/topics/{topicName}/messages",
        list_messages,
    ),
    roa(
        "GetMessageDetail",
        "GET",
        "/instances/{instanceId}/topics/{topicName}/messages/{messageId}",
        get_message_detail,
    ),
];

/// Most messages a time query skips to reach the page number asked for (each skipped page is
/// read); further pages are reached by `scrollId`.
const MAX_SKIP: i64 = 100_000;

/// Body bytes shown per message (the console shows a preview; `bodySize` has the full size).
const BODY_PREVIEW: usize = 64 << 10;

fn time_text(ms: i64) -> Value {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_or(Value::Null, |t| json!(roa_time(t)))
}

/// A time parameter: epoch milliseconds, or `YYYY-MM-DD HH:mm:ss` (UTC, as Petrel writes
/// times).
pub(super) fn parse_time(name: &str, v: &str) -> Result<i64, ApiError> {
    if let Ok(ms) = v.trim().parse::<i64>() {
        return Ok(ms);
    }
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(v.trim(), format)
        .map(|t| {
            let nanos = t.assume_utc().unix_timestamp_nanos();
            i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
        })
        .map_err(|_| {
            ApiError::invalid(
                name,
                format!(
                    "`{name}` must be epoch milliseconds or `YYYY-MM-DD HH:mm:ss`, not `{}`",
                    snippet(v)
                ),
            )
        })
}

fn opt_time(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    ctx.text(name)?
        .filter(|s| !s.is_empty())
        .map(|s| parse_time(name, &s))
        .transpose()
}

fn state_json(group: &str, state: DeliveryState) -> Value {
    let until = match state {
        DeliveryState::InFlight { until_ms, .. } => time_text(until_ms),
        _ => Value::Null,
    };
    json!({
        "consumerGroupId": group,
        "state": state.as_str(),
        "deliveryAttempt": state.attempt(),
        "invisibleUntil": until,
    })
}

fn message_json(ctx: &Ctx<'_>, instance: &str, q: &QueriedMessage) -> Value {
    let m = &q.message;
    let user: Map<String, Value> = m
        .user_properties
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut system = Map::new();
    system.insert("QUEUE_ID".into(), json!(m.queue_id.to_string()));
    system.insert("QUEUE_OFFSET".into(), json!(m.queue_offset.to_string()));
    system.insert(
        "BORN_TIMESTAMP".into(),
        json!(m.born_timestamp_ms.to_string()),
    );
    system.insert(
        "STORE_TIMESTAMP".into(),
        json!(m.store_timestamp_ms.to_string()),
    );
    if let Some(d) = m.delivery_timestamp_ms {
        system.insert("DELIVERY_TIMESTAMP".into(), json!(d.to_string()));
    }
    if let Some(t) = &m.trace_context {
        system.insert("TRACE_CONTEXT".into(), json!(t));
    }
    let preview = &m.body[..m.body.len().min(BODY_PREVIEW)];
    json!({
        "instanceId": instance,
        "regionId": ctx.service.region(),
        "topicName": m.topic,
        "messageId": m.message_id,
        "messageType": m.message_type.as_api_str(),
        "messageTag": m.tag,
        "messageKeys": m.keys,
        "messageGroup": m.message_group,
        "deliveryTime": m.delivery_timestamp_ms.map_or(Value::Null, time_text),
        "bornHost": m.born_host,
        "bornTime": time_text(m.born_timestamp_ms),
        "storeHost": "petrel",
        "storeTime": time_text(m.store_timestamp_ms),
        "body": String::from_utf8_lossy(preview),
        "bodySize": m.body.len(),
        "userProperties": user,
        "systemProperties": system,
        "deliveryStates": q
            .deliveries
            .iter()
            .map(|d| state_json(&d.group, d.state))
            .collect::<Vec<_>>(),
    })
}

/// The broker's names for the topic and the instance's groups.
fn targets(
    ctx: &Ctx<'_>,
    instance: &str,
    target: &MessageQueryTarget,
) -> Result<(TopicRef, Vec<GroupRef>), ApiError> {
    let account = &ctx.caller.account_id;
    let topic = TopicRef::new(
        account,
        instance,
        &target.topic.name,
        TopicSpec {
            message_type: target.topic.message_type,
            queue_count: target.topic.queue_count,
        },
    )
    .map_err(broker_error)?;
    let groups = target
        .groups
        .iter()
        .map(|g| GroupRef::new(account, instance, &g.group_id))
        .collect::<Result<Vec<_>, _>>()
        .map_err(broker_error)?;
    Ok((topic, groups))
}

fn scroll_id(c: TimeCursor) -> String {
    format!("{}.{}", c.store_ms, c.log_pos)
}

fn parse_scroll_id(v: &str) -> Result<TimeCursor, ApiError> {
    let bad = || {
        ApiError::invalid(
            "ScrollId",
            format!(
                "`scrollId` `{}` is not one this server returned",
                snippet(v)
            ),
        )
    };
    let (ms, pos) = v.split_once('.').ok_or_else(bad)?;
    Ok(TimeCursor {
        store_ms: ms.parse().map_err(|_| bad())?,
        log_pos: pos.parse().map_err(|_| bad())?,
    })
}

fn list_messages(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let broker = broker(ctx)?;
    let (instance, topic_name) = (ctx.path("instanceId"), ctx.path("topicName"));
    let target = ctx
        .service
        .list_messages_target(ctx.caller, instance, topic_name)?;
    let (topic, groups) = targets(ctx, instance, &target)?;
    let number = ctx.number("pageNumber", 1, 100_000)?.unwrap_or(1);
    let size = ctx.number("pageSize", 1, 200)?.unwrap_or(10);
    let json_of = |q: &QueriedMessage| message_json(ctx, instance, q);

    if let Some(id) = ctx.text("messageId")?.filter(|s| !s.is_empty()) {
        let found = broker
            .message_by_id(&topic, &id, &groups)
            .map_err(broker_error)?;
        let items: Vec<Value> = found.iter().map(json_of).collect();
        let page = page::by_number(Some(number), Some(size), 10, items);
        return Ok(json!({
            "pageNumber": page.number, "pageSize": page.size, "totalCount": page.total,
            "list": page.items, "scrollId": null, "truncated": false,
        }));
    }
    if let Some(key) = ctx.text("messageKey")?.filter(|s| !s.is_empty()) {
        let found = broker
            .messages_by_key(&topic, &key, MAX_QUERY_MESSAGES, &groups)
            .map_err(broker_error)?;
        let items: Vec<Value> = found.messages.iter().map(json_of).collect();
        let page = page::by_number(Some(number), Some(size), 10, items);
        return Ok(json!({
            "pageNumber": page.number, "pageSize": page.size, "totalCount": page.total,
            "list": page.items, "scrollId": null, "truncated": found.truncated,
        }));
    }

    let start = opt_time(ctx, "startTime")?.unwrap_or(0);
    let end = opt_time(ctx, "endTime")?.unwrap_or(i64::MAX);
    if start > end {
        return Err(ApiError::invalid(
            "EndTime",
            "`endTime` must not be before `startTime`",
        ));
    }
    let mut cursor = ctx
        .params()
        .opt("scrollId")
        .filter(|s| !s.is_empty())
        .map(parse_scroll_id)
        .transpose()?;
    let from_start = cursor.is_none();
    if (number - 1).saturating_mul(size) > MAX_SKIP {
        return Err(ApiError::invalid(
            "PageNumber",
            format!(
                "`pageNumber` {number} skips more than {MAX_SKIP} messages; continue with the \
                 `scrollId` of a previous page instead"
            ),
        ));
    }
    let size = usize::try_from(size).unwrap_or(10);
    // Skip whole pages before the one asked for (counted from the scroll position).
    let mut skipped: u64 = 0;
    for _ in 1..number {
        let page = broker
            .messages_by_time(&topic, start, end, size, cursor, &[])
            .map_err(broker_error)?;
        skipped += page.messages.len() as u64;
        match page.next {
            Some(next) => cursor = Some(next),
            None => {
                return Ok(json!({
                    "pageNumber": number, "pageSize": size,
                    "totalCount": if from_start { json!(skipped) } else { Value::Null },
                    "list": [], "scrollId": null, "truncated": false,
                }));
            }
        }
    }
    let page = broker
        .messages_by_time(&topic, start, end, size, cursor, &groups)
        .map_err(broker_error)?;
    let shown = skipped + page.messages.len() as u64;
    let total = if page.next.is_none() && from_start {
        json!(shown)
    } else {
        Value::Null
    };
    Ok(json!({
        "pageNumber": number,
        "pageSize": size,
        "totalCount": total,
        "list": page.messages.iter().map(json_of).collect::<Vec<_>>(),
        "scrollId": page.next.map(scroll_id),
        "truncated": page.next.is_some(),
    }))
}

fn get_message_detail(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let broker = broker(ctx)?;
    let (instance, topic_name, id) = (
        ctx.path("instanceId"),
        ctx.path("topicName"),
        ctx.path("messageId"),
    );
    let target = ctx
        .service
        .message_detail_target(ctx.caller, instance, topic_name)?;
    let (topic, groups) = targets(ctx, instance, &target)?;
    let found = broker
        .message_by_id(&topic, id, &groups)
        .map_err(broker_error)?;
    let found = found.ok_or_else(|| {
        ApiError::new(
            404,
            "ResourceNotFound.Message",
            format!(
                "topic `{topic_name}` of instance `{instance}` holds no message `{}`",
                snippet(id)
            ),
        )
    })?;
    Ok(message_json(ctx, instance, &found))
}
