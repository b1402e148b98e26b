//! Authorization of the management operations that reach messages and consumer progress
//! through the broker: message query (`ListMessages`, `GetMessageDetail`) and offset reset
//! (`ResetConsumeOffset`). The service authorizes, audits and returns the catalogue entries
//! the broker call needs; the front end then calls the broker.

use petrel_meta::{ConsumerGroup, Topic};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

/// What a message query needs: the topic's entry and the instance's consumer groups (whose
/// delivery state each message is shown with).
#[derive(Debug, Clone)]
pub struct MessageQueryTarget {
    /// The topic queried.
    pub topic: Topic,
    /// The instance's consumer groups, by id.
    pub groups: Vec<ConsumerGroup>,
}

impl Service {
    fn message_query_target(
        &self,
        caller: &Caller,
        action: &'static str,
        instance: &str,
        topic: &str,
    ) -> Result<MessageQueryTarget, ServiceError> {
        let need = Need::new(
            action,
            Resource::Topic {
                instance: instance.to_owned(),
                topic: topic.to_owned(),
            },
        );
        self.observe(caller, &[need], |tx| {
            let t = tx.get_topic(&caller.account_id, instance, topic)?;
            let mut groups = tx.list_consumer_groups(&caller.account_id, instance)?;
            groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
            Ok(MessageQueryTarget { topic: t, groups })
        })
    }

    /// `rocketmq:ListMessages` on the topic.
    pub fn list_messages_target(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<MessageQueryTarget, ServiceError> {
        self.message_query_target(caller, "rocketmq:ListMessages", instance, topic)
    }

    /// `rocketmq:GetMessageDetail` on the topic.
    pub fn message_detail_target(
        &self,
        caller: &Caller,
        instance: &str,
        topic: &str,
    ) -> Result<MessageQueryTarget, ServiceError> {
        self.message_query_target(caller, "rocketmq:GetMessageDetail", instance, topic)
    }

    /// `rocketmq:ResetConsumeOffset` on the group, and the group's and the topic's entries.
    /// Audited as a change (durably, before the broker acts), since a reset changes what the
    /// group will receive.
    pub fn reset_consume_offset_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<(ConsumerGroup, Topic), ServiceError> {
        let need = Need::new(
            "rocketmq:ResetConsumeOffset",
            Resource::ConsumerGroup {
                instance: instance.to_owned(),
                group: group.to_owned(),
            },
        );
        self.change(caller, &[need], |tx| {
            let g = tx.get_consumer_group(&caller.account_id, instance, group)?;
            let t = tx.get_topic(&caller.account_id, instance, topic)?;
            Ok((g, t))
        })
    }
}
