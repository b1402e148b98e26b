//! Instances, topics and consumer groups as catalogue entries (the RocketMQ 2022-08-01
//! management operations). Messaging itself lives in the broker.

use petrel_meta::{ConsumerGroup, Instance, NewConsumerGroup, NewInstance, NewTopic, Topic};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

impl Service {
    /// `rocketmq:CreateInstance`, authorized against the group the instance will land in.
    pub fn create_instance(
        &self,
        caller: &Caller,
        new: NewInstance,
    ) -> Result<Instance, ServiceError> {
        let need = Need::new(
            "rocketmq:CreateInstance",
            Resource::NewInstance {
                resource_group: new.resource_group_id.clone(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.create_instance(&caller.account_id, new)?)
        })
    }

    /// `rocketmq:GetInstance`.
    pub fn get_instance(&self, caller: &Caller, id: &str) -> Result<Instance, ServiceError> {
        let need = Need::new("rocketmq:GetInstance", Resource::Instance(id.to_owned()));
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_instance(&caller.account_id, id)?)
        })
    }

    /// `rocketmq:ListInstances`. An un-targeted listing needs the action on `instance/*` at
    /// account scope; naming a resource group lets a grant scoped to that group list it.
    pub fn list_instances(
        &self,
        caller: &Caller,
        resource_group: Option<&str>,
    ) -> Result<Vec<Instance>, ServiceError> {
        let resource = match resource_group {
            Some(rg) => Resource::NewInstance {
                resource_group: Some(rg.to_owned()),
            },
            None => Resource::AllInstances,
        };
        let need = Need::new("rocketmq:ListInstances", resource);
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_instances(&caller.account_id, resource_group)?)
        })
    }

    /// `rocketmq:DeleteInstance`; refused while it has topics or groups unless `force`.
    pub fn delete_instance(
        &self,
        caller: &Caller,
        id: &str,
        force: bool,
    ) -> Result<(), ServiceError> {
        let need = Need::new("rocketmq:DeleteInstance", Resource::Instance(id.to_owned()));
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_instance(&caller.account_id, id, force)?)
        })
    }

    /// `rocketmq:CreateTopic`.
    pub fn create_topic(
        &self,
        caller: &Caller,
        instance: &str,
        new: NewTopic,
    ) -> Result<Topic, ServiceError> {
        let need = Need::new(
            "rocketmq:CreateTopic",
            Resource::Topic {
                instance: instance.to_owned(),
                topic: new.name.clone(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.create_topic(&caller.account_id, instance, new)?)
        })
    }

    /// `rocketmq:GetTopic`.
    pub fn get_topic(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<Topic, ServiceError> {
        let need = Need::new(
            "rocketmq:GetTopic",
            Resource::Topic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_topic(&caller.account_id, instance, topic)?)
        })
    }

    /// `rocketmq:ListTopics` of one instance.
    pub fn list_topics(&self, caller: &Caller, instance: &str) -> Result<Vec<Topic>, ServiceError> {
        let need = Need::new(
            "rocketmq:ListTopics",
            Resource::Instance(instance.to_owned()),
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_topics(&caller.account_id, instance)?)
        })
    }

    /// `rocketmq:DeleteTopic`.
    pub fn delete_topic(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<(), ServiceError> {
        let need = Need::new(
            "rocketmq:DeleteTopic",
            Resource::Topic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.delete_topic(&caller.account_id, instance, topic)?)
        })
    }

    /// `rocketmq:CreateConsumerGroup`.
    pub fn create_consumer_group(
        &self,
        caller: &Caller,
        instance: &str,
        new: NewConsumerGroup,
    ) -> Result<ConsumerGroup, ServiceError> {
        let need = Need::new(
            "rocketmq:CreateConsumerGroup",
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: new.group_id.clone(),
            },
        );
        self.change(caller, &[need], |tx| {
            Ok(tx.create_consumer_group(&caller.account_id, instance, new)?)
        })
    }

    /// `rocketmq:ListConsumerGroups` of one instance.
    pub fn list_consumer_groups(
        &self,
        caller: &Caller,
        instance: &str,
    ) -> Result<Vec<ConsumerGroup>, ServiceError> {
        let need = Need::new(
            "rocketmq:ListConsumerGroups",
            Resource::Instance(instance.to_owned()),
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.list_consumer_groups(&caller.account_id, instance)?)
        })
    }
}
