//! Authorization of the subscription operations of RocketMQ 2022-08-01: which groups consume a
//! topic (`ListTopicSubscriptions`), which topics a group consumes and with which clients
//! (`ListConsumerGroupSubscriptions`, `GetConsumerGroupSubscription`), and forgetting an
//! offline subscription (`DeleteConsumerGroupSubscription`, a change). Subscriptions are what
//! clients report to the broker; the service checks the resource exists and may be seen, and
//! returns its entry and the instance's topics (a subscription may name a topic that does not
//! exist: `topicCreated` tells).

use petrel_meta::{ConsumerGroup, Topic};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// `rocketmq:ListTopicSubscriptions` on the topic: its entry.
    pub fn topic_subscriptions_target(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<Topic, ServiceError> {
        let need = Need::new(
            "rocketmq:ListTopicSubscriptions",
            Resource::Topic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_topic(&caller.account_id, instance, topic)?)
        })
    }

    /// `rocketmq:ListConsumerGroupSubscriptions` or `rocketmq:GetConsumerGroupSubscription`
    /// (`action`) on the group: its entry and the instance's topics.
    pub fn group_subscriptions_target(
        &self,
        caller: &Caller,
        action: &'static str,
        instance: &str,
        group: &str,
    ) -> Result<(ConsumerGroup, Vec<Topic>), ServiceError> {
        let need = Need::on_group(action, instance, group);
        self.observe(caller, &[need], |tx| {
            let g = tx.get_consumer_group(&caller.account_id, instance, group)?;
            Ok((g, tx.list_topics(&caller.account_id, instance)?))
        })
    }

    /// `rocketmq:DeleteConsumerGroupSubscription` on the group (audited as a change).
    pub fn delete_group_subscription_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
    ) -> Result<ConsumerGroup, ServiceError> {
        let need = Need::on_group("rocketmq:DeleteConsumerGroupSubscription", instance, group);
        self.change(caller, &[need], |tx| {
            Ok(tx.get_consumer_group(&caller.account_id, instance, group)?)
        })
    }
}
