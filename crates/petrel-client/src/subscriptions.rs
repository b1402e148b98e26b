//! Subscriptions (RocketMQ 2022-08-01): which groups consume a topic, which topics a group
//! consumes with which filter and clients, and deleting an offline one.

use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::rocketmq::{group_path, topic_path};
use crate::sign::encode;
use crate::transport::{Client, Query, decode};

/// A group's subscription to a topic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionInfo {
    pub consumer_group_id: String,
    pub topic_name: String,
    pub message_model: String,
    /// `ONLINE` or `OFFLINE`.
    pub subscription_status: String,
    pub filter_expression: String,
    /// `TAG` or `SQL`.
    pub filter_expression_type: String,
    /// Every online client uses the same filter.
    pub consistency: bool,
    /// Whether the topic exists (group listings only).
    pub topic_created: Option<bool>,
}

/// A client that consumes a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Connection {
    pub client_id: String,
    pub egress_ip: String,
    pub hostname: String,
    pub language: String,
    pub message_model: String,
    pub version: String,
}

/// One client of a subscription, with the filter it uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionClient {
    #[serde(rename = "connectionDTO")]
    pub connection: Connection,
    #[serde(rename = "subscriptionDTO")]
    pub subscription: SubscriptionInfo,
}

impl Client {
    /// `ListTopicSubscriptions`: the groups that consume `topic`.
    pub async fn list_topic_subscriptions(
        &self,
        instance: &str,
        topic: &str,
    ) -> Result<Vec<SubscriptionInfo>, ClientError> {
        let data = self
            .rocketmq(
                "ListTopicSubscriptions",
                "GET",
                format!("{}/subscriptions", topic_path(instance, topic)),
                Query::new(),
                None,
            )
            .await?;
        decode("ListTopicSubscriptions", &data, "")
    }

    /// `ListConsumerGroupSubscriptions`: the topics `group` consumes (only `topic`, if given).
    pub async fn list_group_subscriptions(
        &self,
        instance: &str,
        group: &str,
        topic: Option<&str>,
    ) -> Result<Vec<SubscriptionInfo>, ClientError> {
        let data = self
            .rocketmq(
                "ListConsumerGroupSubscriptions",
                "GET",
                format!("{}/subscriptions", group_path(instance, group)),
                Query::new().opt("topicName", topic),
                None,
            )
            .await?;
        decode("ListConsumerGroupSubscriptions", &data, "")
    }

    /// `GetConsumerGroupSubscription`: the clients of `group` that consume `topic`.
    pub async fn group_subscription(
        &self,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<Vec<SubscriptionClient>, ClientError> {
        let data = self
            .rocketmq(
                "GetConsumerGroupSubscription",
                "GET",
                format!(
                    "{}/subscriptions/{}",
                    group_path(instance, group),
                    encode(topic)
                ),
                Query::new(),
                None,
            )
            .await?;
        decode("GetConsumerGroupSubscription", &data, "")
    }

    /// `DeleteConsumerGroupSubscription`: forgets an offline subscription.
    pub async fn delete_group_subscription(
        &self,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<(), ClientError> {
        self.rocketmq(
            "DeleteConsumerGroupSubscription",
            "DELETE",
            format!("{}/subscriptions", group_path(instance, group)),
            Query::new().set("topicName", topic),
            None,
        )
        .await?;
        Ok(())
    }
}
