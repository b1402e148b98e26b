//! Subscriptions (RocketMQ 2022-08-01): `ListTopicSubscriptions`,
//! `ListConsumerGroupSubscriptions`, `GetConsumerGroupSubscription` and
//! `DeleteConsumerGroupSubscription`, answered from what the group's clients reported to the
//! broker (topics, filters, who is online). `data` is an array, unpaged, as the SDK expects.
//!
//! Deleting refuses a subscription that still has online clients (they would report it again
//! at once); an offline one is forgotten.

use petrel_broker::{Subscription, SubscriptionError};
use petrel_meta::Topic;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, roa};
use crate::error::ApiError;

use super::messages::broker;

const GROUP_SUBSCRIPTIONS: &str =
    "/instances/{instanceId}/consumerGroups/{consumerGroupId}/subscriptions";

pub(crate) const OPS: &[Op] = &[
    roa(
        "ListTopicSubscriptions",
        "GET",
        "/instances/{instanceId}/topics/{topicName}/subscriptions",
        list_topic_subscriptions,
    ),
    roa(
        "ListConsumerGroupSubscriptions",
        "GET",
        GROUP_SUBSCRIPTIONS,
        list_group_subscriptions,
    ),
    roa(
        "GetConsumerGroupSubscription",
        "GET",
        "/instances/{instanceId}/consumerGroups/{consumerGroupId}/subscriptions/{topicName}",
        get_group_subscription,
    ),
    roa(
        "DeleteConsumerGroupSubscription",
        "DELETE",
        GROUP_SUBSCRIPTIONS,
        delete_group_subscription,
    ),
];

fn status(s: &Subscription) -> &'static str {
    if s.online { "ONLINE" } else { "OFFLINE" }
}

fn item(s: &Subscription, topics: Option<&[Topic]>) -> Value {
    let mut v = json!({
        "consumerGroupId": s.group,
        "topicName": s.topic,
        "messageModel": "CLUSTERING",
        "subscriptionStatus": status(s),
        "filterExpression": s.filter.expression,
        "filterExpressionType": s.filter.kind,
        "consistency": s.consistent,
    });
    if let Some(topics) = topics {
        v["topicCreated"] = json!(topics.iter().any(|t| t.name == s.topic));
    }
    v
}

fn list_topic_subscriptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, topic) = (ctx.path("instanceId"), ctx.path("topicName"));
    ctx.service
        .topic_subscriptions_target(ctx.caller, instance, topic)?;
    let subs = broker(ctx)?
        .subscriptions()
        .of_topic(&ctx.caller.account_id, instance, topic);
    Ok(Value::Array(subs.iter().map(|s| item(s, None)).collect()))
}

fn list_group_subscriptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, group) = (ctx.path("instanceId"), ctx.path("consumerGroupId"));
    let (_, topics) = ctx.service.group_subscriptions_target(
        ctx.caller,
        "rocketmq:ListConsumerGroupSubscriptions",
        instance,
        group,
    )?;
    let only = ctx.params().opt("topicName").filter(|t| !t.is_empty());
    let subs = broker(ctx)?
        .subscriptions()
        .of_group(&ctx.caller.account_id, instance, group);
    Ok(Value::Array(
        subs.iter()
            .filter(|s| only.is_none_or(|t| s.topic == t))
            .map(|s| item(s, Some(&topics)))
            .collect(),
    ))
}

fn get_group_subscription(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, group, topic) = (
        ctx.path("instanceId"),
        ctx.path("consumerGroupId"),
        ctx.path("topicName"),
    );
    ctx.service.group_subscriptions_target(
        ctx.caller,
        "rocketmq:GetConsumerGroupSubscription",
        instance,
        group,
    )?;
    let subs = broker(ctx)?
        .subscriptions()
        .of_group(&ctx.caller.account_id, instance, group);
    let Some(sub) = subs.into_iter().find(|s| s.topic == topic) else {
        return Err(not_found(group, topic));
    };
    // One entry per client that lists the topic, as the SDK models it.
    Ok(Value::Array(
        sub.clients
            .iter()
            .map(|c| {
                json!({
                    "connectionDTO": {
                        "clientId": c.info.client_id,
                        "egressIp": c.info.host,
                        "hostname": c.info.host,
                        "language": c.info.language,
                        "messageModel": "CLUSTERING",
                        "version": c.info.version,
                    },
                    "subscriptionDTO": {
                        "consumerGroupId": sub.group,
                        "topicName": sub.topic,
                        "filterExpression": c.filter.expression,
                        "filterExpressionType": c.filter.kind,
                        "messageModel": "CLUSTERING",
                        "subscriptionStatus": if c.online { "ONLINE" } else { "OFFLINE" },
                    },
                })
            })
            .collect(),
    ))
}

fn not_found(group: &str, topic: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFound.Subscription",
        format!("consumer group `{group}` has no subscription to topic `{topic}`"),
    )
}

fn delete_group_subscription(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (instance, group) = (ctx.path("instanceId"), ctx.path("consumerGroupId"));
    let topic = ctx.params().required("topicName")?;
    ctx.service
        .delete_group_subscription_target(ctx.caller, instance, group)?;
    broker(ctx)?
        .subscriptions()
        .delete(&ctx.caller.account_id, instance, group, topic)
        .map_err(|e| match e {
            SubscriptionError::NotFound { .. } => not_found(group, topic),
            e @ SubscriptionError::Online { .. } => {
                ApiError::new(409, "Conflict.SubscriptionOnline", e.to_string())
            }
        })?;
    Ok(Value::Null)
}
