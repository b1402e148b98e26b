//! What the messaging front end (gRPC) asks before it hands a request to the broker: which
//! instance a client means, whether the topic and group exist, and whether the caller may
//! publish or subscribe. The broker itself never decides permissions.

use petrel_meta::{ConsumerGroup, MetaError, Topic};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::resource::Resource;

/// A topic as the data plane addresses it.
#[derive(Debug, Clone)]
pub struct DataTopic {
    /// The instance (namespace) holding the topic.
    pub instance: String,
    /// The catalogue entry: message type and queue count.
    pub topic: Topic,
}

impl Service {
    /// The instance a client means: its namespace when it sent one, else the only instance of
    /// the caller's account that has `topic` (the Rust SDK cannot send a namespace).
    pub fn resolve_instance(
        &self,
        caller: &Caller,
        namespace: Option<&str>,
        topic: &str,
    ) -> Result<String, ServiceError> {
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            return Ok(ns.to_owned());
        }
        let candidates = self.catalog.read(|tx| {
            let mut found = Vec::new();
            for instance in tx.list_instances(&caller.account_id, None)? {
                match tx.get_topic(&caller.account_id, &instance.id, topic) {
                    Ok(_) => found.push(instance.id),
                    Err(MetaError::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(found)
        })?;
        match candidates.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(ServiceError::InvalidParameter {
                param: "Topic",
                reason: format!(
                    "topic `{topic}` does not exist in any instance of account `{}`",
                    caller.account_id
                ),
            }),
            many => Err(ServiceError::InvalidParameter {
                param: "Namespace",
                reason: format!(
                    "topic `{topic}` exists in instances {}: set the client's namespace to one of them",
                    many.join(", ")
                ),
            }),
        }
    }

    /// Route lookup (`QueryRoute`): allowed to callers that may publish *or* subscribe to the
    /// topic, as RocketMQ's own ACL does. Refused with the publish denial when both are denied.
    pub fn route_topic(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<DataTopic, ServiceError> {
        let target = Resource::MqTopic {
            instance: instance.to_owned(),
            topic: topic.to_owned(),
        };
        if let Err(pub_denied) = self.authorize(caller, "mq:PUB", target.clone()) {
            if !matches!(pub_denied, ServiceError::Denied(_)) {
                return Err(pub_denied);
            }
            self.authorize(caller, "mq:SUB", target)
                .map_err(|_| pub_denied)?;
        }
        self.data_topic(caller, instance, topic)
    }

    /// Permission to publish to a topic (`mq:PUB`), and the topic's catalogue entry.
    pub fn authorize_publish(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<DataTopic, ServiceError> {
        self.authorize(
            caller,
            "mq:PUB",
            Resource::MqTopic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        )?;
        self.data_topic(caller, instance, topic)
    }

    /// Permission to consume a topic as a group (`mq:SUB` on both), and both catalogue entries.
    pub fn authorize_subscribe(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
        group: &str,
    ) -> Result<(DataTopic, ConsumerGroup), ServiceError> {
        self.authorize(
            caller,
            "mq:SUB",
            Resource::MqTopic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        )?;
        self.authorize(
            caller,
            "mq:SUB",
            Resource::MqGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        )?;
        let data = self.data_topic(caller, instance, topic)?;
        let group = self
            .catalog
            .read(|tx| tx.get_consumer_group(&caller.account_id, instance, group))?;
        Ok((data, group))
    }

    fn data_topic(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<DataTopic, ServiceError> {
        let topic = self
            .catalog
            .read(|tx| tx.get_topic(&caller.account_id, instance, topic))?;
        Ok(DataTopic {
            instance: instance.to_owned(),
            topic,
        })
    }
}
