//! RocketMQ 2022-08-01 (ROA): instances, moving one to another resource group, topics,
//! consumer groups, a group's lag on a topic and resetting its offset, and messages (test
//! send, query by id / key / store time, detail). Path segments are percent-encoded (a `/` in a
//! name travels as `%2F`); bodies are compact JSON; listings follow `pageNumber` to the end.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ClientError;
use crate::sign::encode;
use crate::transport::{Client, Query, decode};

/// API version of RocketMQ 5.x management.
pub const ROCKETMQ_VERSION: &str = "2022-08-01";

/// Largest page asked for.
const PAGE_SIZE: u32 = 200;
/// A bound on pages followed.
const MAX_PAGES: u32 = 10_000;

/// An instance.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Instance {
    pub instance_id: String,
    pub instance_name: Option<String>,
    pub region_id: Option<String>,
    pub status: Option<String>,
    pub resource_group_id: Option<String>,
    pub remark: Option<String>,
    pub create_time: Option<String>,
    pub update_time: Option<String>,
}

/// What `create_instance` needs; the server chooses the id.
#[derive(Debug, Clone, Default)]
pub struct NewInstance {
    pub name: String,
    /// The default resource group when `None`.
    pub resource_group_id: Option<String>,
    pub remark: Option<String>,
}

/// A topic.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Topic {
    pub instance_id: String,
    pub topic_name: String,
    /// `NORMAL`, `FIFO`, `DELAY` or `TRANSACTION`.
    pub message_type: String,
    pub status: Option<String>,
    pub remark: Option<String>,
    pub create_time: Option<String>,
    pub update_time: Option<String>,
}

/// A consumer group's retry policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryPolicy {
    /// `DefaultRetryPolicy` (backoff) or `FixedRetryPolicy`.
    pub retry_policy: Option<String>,
    pub max_retry_times: Option<u32>,
    pub fixed_interval_retry_time: Option<u32>,
    pub dead_letter_target_topic: Option<String>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerGroup {
    pub instance_id: String,
    pub consumer_group_id: String,
    /// `Concurrently` or `Orderly`.
    pub delivery_order_type: Option<String>,
    pub consume_retry_policy: Option<RetryPolicy>,
    pub message_model: Option<String>,
    pub status: Option<String>,
    pub remark: Option<String>,
    pub create_time: Option<String>,
    pub update_time: Option<String>,
}

/// What `create_consumer_group` needs.
#[derive(Debug, Clone)]
pub struct NewConsumerGroup {
    pub id: String,
    /// Deliver in order within a message group (`Orderly`, fixed retry interval) rather than
    /// concurrently (backoff retries).
    pub orderly: bool,
    pub max_retry_times: u32,
    pub remark: Option<String>,
}

/// How far behind a consumer group is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Lag {
    /// Messages ready to be delivered.
    pub ready_count: u64,
    /// Messages delivered and not yet acknowledged.
    pub inflight_count: u64,
    pub delivery_duration: Option<u64>,
    pub last_consume_timestamp: Option<i64>,
}

/// The answer of `GetConsumerGroupLag`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerGroupLag {
    pub instance_id: String,
    pub consumer_group_id: String,
    pub topic_name: Option<String>,
    pub total_lag: Lag,
    pub topic_lag_map: BTreeMap<String, Lag>,
}

/// Where one consumer group stands with a message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliveryState {
    pub consumer_group_id: String,
    /// `NOT_DELIVERED`, `IN_FLIGHT`, `AWAITING_REDELIVERY`, `CONSUMED`, `DEAD_LETTERED`, …
    pub state: String,
    pub delivery_attempt: Option<u64>,
    pub invisible_until: Option<String>,
}

/// A stored message, as `ListMessages` and `GetMessageDetail` show it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Message {
    pub instance_id: String,
    pub topic_name: String,
    pub message_id: String,
    pub message_type: Option<String>,
    pub message_tag: Option<String>,
    pub message_keys: Vec<String>,
    pub message_group: Option<String>,
    pub delivery_time: Option<String>,
    pub born_host: Option<String>,
    pub born_time: Option<String>,
    pub store_host: Option<String>,
    pub store_time: Option<String>,
    /// A preview of the body (the server caps it); `body_size` is the full size.
    pub body: Option<String>,
    pub body_size: u64,
    pub user_properties: BTreeMap<String, String>,
    pub system_properties: BTreeMap<String, String>,
    pub delivery_states: Vec<DeliveryState>,
}

/// Which messages `list_messages` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageQuery {
    Id(String),
    Key(String),
    /// Store time, both ends inclusive: epoch milliseconds or `YYYY-MM-DD HH:mm:ss` (UTC).
    Time {
        start: String,
        end: String,
    },
}

/// Which page `list_messages` asks for; `None` leaves the server's default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessagePaging {
    pub page_number: Option<u32>,
    pub page_size: Option<u32>,
    /// Where a previous time-range page ended (its `scroll_id`).
    pub scroll_id: Option<String>,
}

/// One page of `ListMessages`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessagePage {
    pub page_number: u64,
    pub page_size: u64,
    /// `None` when the server does not know it (a time range not read to its end).
    pub total_count: Option<u64>,
    pub list: Vec<Message>,
    /// The position after this page, for the next one of a time range.
    pub scroll_id: Option<String>,
    /// More matches exist than this answer reaches.
    pub truncated: bool,
}

/// A test message for `verify_send_message`.
#[derive(Debug, Clone, Default)]
pub struct TestMessage {
    pub body: String,
    pub tag: Option<String>,
    pub key: Option<String>,
    /// Required by FIFO topics.
    pub message_group: Option<String>,
}

/// Where `reset_consume_offset` moves a group's progress.
#[derive(Debug, Clone, PartialEq)]
pub enum ResetOffset {
    /// Past every stored message (`LATEST_OFFSET`).
    Latest,
    /// To the first message stored at or after a time (`SPECIFIED_TIME`): epoch milliseconds or
    /// `YYYY-MM-DD HH:mm:ss` (UTC).
    Time(String),
}

pub(crate) fn instance_path(instance: &str) -> String {
    format!("/instances/{}", encode(instance))
}

pub(crate) fn topic_path(instance: &str, topic: &str) -> String {
    format!("{}/topics/{}", instance_path(instance), encode(topic))
}

fn messages_path(instance: &str, topic: &str) -> String {
    format!("{}/messages", topic_path(instance, topic))
}

pub(crate) fn group_path(instance: &str, group: &str) -> String {
    format!(
        "{}/consumerGroups/{}",
        instance_path(instance),
        encode(group)
    )
}

impl Client {
    pub(crate) async fn rocketmq(
        &self,
        action: &str,
        method: &str,
        path: String,
        query: Query,
        body: Option<Value>,
    ) -> Result<Value, ClientError> {
        self.roa(ROCKETMQ_VERSION, action, method, path, query.0, body)
            .await
    }

    /// Every item of a paged listing (`data{pageNumber, pageSize, totalCount, list}`).
    async fn rocketmq_list<T: serde::de::DeserializeOwned>(
        &self,
        action: &str,
        path: String,
        query: Query,
    ) -> Result<Vec<T>, ClientError> {
        let mut items = Vec::new();
        for page in 1..=MAX_PAGES {
            let q = query
                .clone()
                .set("pageNumber", page)
                .set("pageSize", PAGE_SIZE);
            let data = self.rocketmq(action, "GET", path.clone(), q, None).await?;
            let list: Vec<T> = decode(action, &data, "/list")?;
            let total: u64 = decode(action, &data, "/totalCount")?;
            let got = list.len();
            items.extend(list);
            if got == 0 || items.len() as u64 >= total {
                return Ok(items);
            }
        }
        Err(ClientError::InvalidResponse {
            action: action.to_owned(),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `CreateInstance`; the new instance's id.
    pub async fn create_instance(&self, instance: &NewInstance) -> Result<String, ClientError> {
        let mut body = json!({
            "instanceName": instance.name,
            "serviceCode": "rmq",
        });
        if let Value::Object(m) = &mut body {
            if let Some(rg) = &instance.resource_group_id {
                m.insert("resourceGroupId".to_owned(), json!(rg));
            }
            if let Some(remark) = &instance.remark {
                m.insert("remark".to_owned(), json!(remark));
            }
        }
        let data = self
            .rocketmq(
                "CreateInstance",
                "POST",
                "/instances".to_owned(),
                Query::new(),
                Some(body),
            )
            .await?;
        decode("CreateInstance", &data, "")
    }

    /// `GetInstance`.
    pub async fn get_instance(&self, id: &str) -> Result<Instance, ClientError> {
        let data = self
            .rocketmq("GetInstance", "GET", instance_path(id), Query::new(), None)
            .await?;
        decode("GetInstance", &data, "")
    }

    /// `ListInstances`, optionally of one resource group.
    pub async fn list_instances(
        &self,
        resource_group: Option<&str>,
    ) -> Result<Vec<Instance>, ClientError> {
        let q = Query::new().opt("resourceGroupId", resource_group);
        self.rocketmq_list("ListInstances", "/instances".to_owned(), q)
            .await
    }

    /// `DeleteInstance` (refused while it has topics or groups).
    pub async fn delete_instance(&self, id: &str) -> Result<(), ClientError> {
        self.rocketmq(
            "DeleteInstance",
            "DELETE",
            instance_path(id),
            Query::new(),
            None,
        )
        .await?;
        Ok(())
    }

    /// `ChangeResourceGroup`: move an instance to another resource group.
    pub async fn change_resource_group(
        &self,
        instance: &str,
        resource_group: &str,
        region: &str,
    ) -> Result<(), ClientError> {
        let q = Query::new()
            .set("resourceId", instance)
            .set("resourceGroupId", resource_group)
            .set("regionId", region)
            .set("resourceType", "instance");
        self.rocketmq(
            "ChangeResourceGroup",
            "POST",
            "/resourceGroup/change".to_owned(),
            q,
            None,
        )
        .await?;
        Ok(())
    }

    /// `CreateTopic`.
    pub async fn create_topic(
        &self,
        instance: &str,
        topic: &str,
        message_type: &str,
        remark: Option<&str>,
    ) -> Result<(), ClientError> {
        let mut body = json!({ "messageType": message_type });
        if let (Some(r), Value::Object(m)) = (remark, &mut body) {
            m.insert("remark".to_owned(), json!(r));
        }
        self.rocketmq(
            "CreateTopic",
            "POST",
            topic_path(instance, topic),
            Query::new(),
            Some(body),
        )
        .await?;
        Ok(())
    }

    /// `GetTopic`.
    pub async fn get_topic(&self, instance: &str, topic: &str) -> Result<Topic, ClientError> {
        let data = self
            .rocketmq(
                "GetTopic",
                "GET",
                topic_path(instance, topic),
                Query::new(),
                None,
            )
            .await?;
        decode("GetTopic", &data, "")
    }

    /// `ListTopics` of an instance.
    pub async fn list_topics(&self, instance: &str) -> Result<Vec<Topic>, ClientError> {
        self.rocketmq_list(
            "ListTopics",
            format!("{}/topics", instance_path(instance)),
            Query::new(),
        )
        .await
    }

    /// `DeleteTopic`.
    pub async fn delete_topic(&self, instance: &str, topic: &str) -> Result<(), ClientError> {
        self.rocketmq(
            "DeleteTopic",
            "DELETE",
            topic_path(instance, topic),
            Query::new(),
            None,
        )
        .await?;
        Ok(())
    }

    /// `CreateConsumerGroup`.
    pub async fn create_consumer_group(
        &self,
        instance: &str,
        group: &NewConsumerGroup,
    ) -> Result<(), ClientError> {
        let (order, policy) = if group.orderly {
            ("Orderly", "FixedRetryPolicy")
        } else {
            ("Concurrently", "DefaultRetryPolicy")
        };
        let mut body = json!({
            "deliveryOrderType": order,
            "consumeRetryPolicy": {
                "retryPolicy": policy,
                "maxRetryTimes": group.max_retry_times,
            },
        });
        if let (Some(r), Value::Object(m)) = (&group.remark, &mut body) {
            m.insert("remark".to_owned(), json!(r));
        }
        self.rocketmq(
            "CreateConsumerGroup",
            "POST",
            group_path(instance, &group.id),
            Query::new(),
            Some(body),
        )
        .await?;
        Ok(())
    }

    /// `GetConsumerGroup`.
    pub async fn get_consumer_group(
        &self,
        instance: &str,
        group: &str,
    ) -> Result<ConsumerGroup, ClientError> {
        let data = self
            .rocketmq(
                "GetConsumerGroup",
                "GET",
                group_path(instance, group),
                Query::new(),
                None,
            )
            .await?;
        decode("GetConsumerGroup", &data, "")
    }

    /// `ListConsumerGroups` of an instance.
    pub async fn list_consumer_groups(
        &self,
        instance: &str,
    ) -> Result<Vec<ConsumerGroup>, ClientError> {
        self.rocketmq_list(
            "ListConsumerGroups",
            format!("{}/consumerGroups", instance_path(instance)),
            Query::new(),
        )
        .await
    }

    /// `DeleteConsumerGroup`.
    pub async fn delete_consumer_group(
        &self,
        instance: &str,
        group: &str,
    ) -> Result<(), ClientError> {
        self.rocketmq(
            "DeleteConsumerGroup",
            "DELETE",
            group_path(instance, group),
            Query::new(),
            None,
        )
        .await?;
        Ok(())
    }

    /// `GetConsumerGroupLag` of a group on one topic.
    pub async fn consumer_group_lag(
        &self,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<ConsumerGroupLag, ClientError> {
        let data = self
            .rocketmq(
                "GetConsumerGroupLag",
                "GET",
                format!("{}/lag", group_path(instance, group)),
                Query::new().set("topicName", topic),
                None,
            )
            .await?;
        decode("GetConsumerGroupLag", &data, "")
    }

    /// `VerifySendMessage`: sends a test message; its message id.
    pub async fn verify_send_message(
        &self,
        instance: &str,
        topic: &str,
        message: &TestMessage,
    ) -> Result<String, ClientError> {
        let mut body = json!({ "message": message.body });
        if let Value::Object(m) = &mut body {
            for (name, v) in [
                ("messageTag", &message.tag),
                ("messageKey", &message.key),
                ("messageGroup", &message.message_group),
            ] {
                if let Some(v) = v {
                    m.insert(name.to_owned(), json!(v));
                }
            }
        }
        let data = self
            .rocketmq(
                "VerifySendMessage",
                "POST",
                messages_path(instance, topic),
                Query::new(),
                Some(body),
            )
            .await?;
        decode("VerifySendMessage", &data, "")
    }

    /// `ListMessages`: one page of a topic's messages matching `query`.
    pub async fn list_messages(
        &self,
        instance: &str,
        topic: &str,
        query: &MessageQuery,
        paging: &MessagePaging,
    ) -> Result<MessagePage, ClientError> {
        let q = match query {
            MessageQuery::Id(id) => Query::new().set("messageId", id),
            MessageQuery::Key(key) => Query::new().set("messageKey", key),
            MessageQuery::Time { start, end } => {
                Query::new().set("startTime", start).set("endTime", end)
            }
        };
        let q = q
            .opt("pageNumber", paging.page_number)
            .opt("pageSize", paging.page_size)
            .opt("scrollId", paging.scroll_id.as_deref());
        let data = self
            .rocketmq(
                "ListMessages",
                "GET",
                messages_path(instance, topic),
                q,
                None,
            )
            .await?;
        decode("ListMessages", &data, "")
    }

    /// `GetMessageDetail`.
    pub async fn get_message_detail(
        &self,
        instance: &str,
        topic: &str,
        message_id: &str,
    ) -> Result<Message, ClientError> {
        let data = self
            .rocketmq(
                "GetMessageDetail",
                "GET",
                format!("{}/{}", messages_path(instance, topic), encode(message_id)),
                Query::new(),
                None,
            )
            .await?;
        decode("GetMessageDetail", &data, "")
    }

    /// `ResetConsumeOffset`: moves a group's progress on a topic.
    pub async fn reset_consume_offset(
        &self,
        instance: &str,
        group: &str,
        topic: &str,
        to: &ResetOffset,
    ) -> Result<(), ClientError> {
        let body = match to {
            ResetOffset::Latest => json!({ "resetType": "LATEST_OFFSET" }),
            ResetOffset::Time(t) => json!({ "resetType": "SPECIFIED_TIME", "resetTime": t }),
        };
        self.rocketmq(
            "ResetConsumeOffset",
            "PATCH",
            format!(
                "{}/consumeOffsets/{}",
                group_path(instance, group),
                encode(topic)
            ),
            Query::new(),
            Some(body),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_each_segment() {
        assert_eq!(
            topic_path("rmq-cn-test", "topic a/b"),
            "/instances/rmq-cn-test/topics/topic%20a%2Fb"
        );
        assert_eq!(
            group_path("i", "GID_x"),
            "/instances/i/consumerGroups/GID_x"
        );
    }

    #[test]
    fn lag_answer_reads() {
        let data = json!({
            "instanceId": "i", "regionId": "cn-hangzhou", "consumerGroupId": "g",
            "topicName": "t",
            "totalLag": {"readyCount": 3, "inflightCount": 1, "deliveryDuration": 0, "lastConsumeTimestamp": null},
            "topicLagMap": {"t": {"readyCount": 3, "inflightCount": 1}},
        });
        let lag: ConsumerGroupLag = decode("GetConsumerGroupLag", &data, "").unwrap();
        assert_eq!(
            (lag.total_lag.ready_count, lag.total_lag.inflight_count),
            (3, 1)
        );
        assert_eq!(lag.topic_lag_map["t"].ready_count, 3);
    }

    #[test]
    fn message_page_reads_with_unknown_total() {
        let data = json!({
            "pageNumber": 1, "pageSize": 10, "totalCount": null, "scrollId": "17.42",
            "truncated": true,
            "list": [{
                "instanceId": "i", "regionId": "r", "topicName": "t", "messageId": "01AB",
                "messageType": "NORMAL", "messageTag": null, "messageKeys": ["k"],
                "messageGroup": null, "deliveryTime": null, "bornHost": "h",
                "bornTime": "2026-01-01T00:00:00Z", "storeHost": "petrel",
                "storeTime": "2026-01-01T00:00:00Z", "body": "hi", "bodySize": 2,
                "userProperties": {"a": "b"}, "systemProperties": {"QUEUE_ID": "0"},
                "deliveryStates": [{"consumerGroupId": "g", "state": "NOT_DELIVERED",
                    "deliveryAttempt": 0, "invisibleUntil": null}],
            }],
        });
        let page: MessagePage = decode("ListMessages", &data, "").unwrap();
        assert_eq!(page.total_count, None);
        assert_eq!(page.scroll_id.as_deref(), Some("17.42"));
        let m = &page.list[0];
        assert_eq!((m.message_id.as_str(), m.body_size), ("01AB", 2));
        assert_eq!(m.message_keys, ["k"]);
        assert_eq!(m.delivery_states[0].state, "NOT_DELIVERED");
    }
}
