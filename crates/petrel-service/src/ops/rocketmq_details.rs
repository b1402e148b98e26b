//! The resource-group and RocketMQ operations the management API needs beyond the console's set:
//! reading one resource group and its resources, and updating or removing instances, topics and
//! consumer groups.

use petrel_meta::{
    ConsumerGroup, ConsumerGroupUpdate, Instance, InstanceUpdate, ResourceGroup, Topic, TopicUpdate,
};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// `ram:GetResourceGroup`.
    pub fn get_resource_group(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ResourceGroup, ServiceError> {
        let need = Need::new(
            "ram:GetResourceGroup",
            Resource::ResourceGroup(id.to_owned()),
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_resource_group(&caller.account_id, id)?)
        })
    }

    /// `ram:ListResources`: the instances of one resource group, or of every group. Listing
    /// resources is a resource-group question, so it is not gated by service activation.
    pub fn list_resources(
        &self,
        caller: &Caller,
        resource_group: Option<&str>,
    ) -> Result<Vec<Instance>, ServiceError> {
        let target = resource_group.unwrap_or("*").to_owned();
        let need = Need::new("ram:ListResources", Resource::ResourceGroup(target));
        self.observe(caller, &[need], |tx| {
            if let Some(rg) = resource_group {
                tx.get_resource_group(&caller.account_id, rg)?;
            }
            Ok(tx.list_instances(&caller.account_id, resource_group)?)
        })
    }

    /// `rocketmq:UpdateInstance`: name and remark.
    pub fn update_instance(
        &self,
        caller: &Caller,
        id: &str,
        update: InstanceUpdate,
    ) -> Result<Instance, ServiceError> {
        let need = Need::new("rocketmq:UpdateInstance", Resource::Instance(id.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.update_instance(&caller.account_id, id, update)?)
        })
    }

    /// `rocketmq:UpdateTopic`: the remark (type and queues are fixed at creation).
    pub fn update_topic(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
        update: TopicUpdate,
    ) -> Result<Topic, ServiceError> {
        let need = Need::new(
            "rocketmq:UpdateTopic",
            Resource::Topic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.update_topic(&caller.account_id, instance, topic, update)?)
        })
    }

    /// `rocketmq:GetConsumerGroup`.
    pub fn get_consumer_group(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
    ) -> Result<ConsumerGroup, ServiceError> {
        let need = Need::new(
            "rocketmq:GetConsumerGroup",
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_consumer_group(&caller.account_id, instance, group)?)
        })
    }

    /// `rocketmq:UpdateConsumerGroup`.
    pub fn update_consumer_group(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
        update: ConsumerGroupUpdate,
    ) -> Result<ConsumerGroup, ServiceError> {
        let need = Need::new(
            "rocketmq:UpdateConsumerGroup",
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.update_consumer_group(&caller.account_id, instance, group, update)?)
        })
    }

    /// `rocketmq:DeleteConsumerGroup`.
    pub fn delete_consumer_group(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
    ) -> Result<(), ServiceError> {
        let need = Need::new(
            "rocketmq:DeleteConsumerGroup",
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_consumer_group(&caller.account_id, instance, group)?)
        })
    }
}

/// Operations that reach the broker: the service authorizes and returns the catalogue entries
/// the broker call needs; the front end then calls the broker.
impl Service {
    /// `rocketmq:VerifySendMessage` on the topic, and the topic's entry (type and queues).
    pub fn authorize_verify_send(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<Topic, ServiceError> {
        let need = Need::new(
            "rocketmq:VerifySendMessage",
            Resource::Topic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_topic(&caller.account_id, instance, topic)?)
        })
    }

    /// `rocketmq:GetConsumerGroupLag` on the group, and the group's and the topic's entries.
    pub fn consumer_group_lag_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<(ConsumerGroup, Topic), ServiceError> {
        let need = Need::new(
            "rocketmq:GetConsumerGroupLag",
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        );
        self.observe(caller, &[need], |tx| {
            let g = tx.get_consumer_group(&caller.account_id, instance, group)?;
            let t = tx.get_topic(&caller.account_id, instance, topic)?;
            Ok((g, t))
        })
    }
}
