//! Authorization of a consumer group's dead-letter queue, which lives in the broker: listing
//! the dead letters (`rocketmq:ListDeadLetterMessages`) and re-sending one to its group
//! (`rocketmq:ResendDeadLetterMessage`). The service authorizes, audits and returns the
//! catalogue entries the broker call needs; the front end then calls the broker.

use petrel_meta::{ConsumerGroup, Topic};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;
use crate::resource::Resource;

fn group_resource(instance: &str, group: &str) -> Resource {
    Resource::ConsumerGroup {
        instance: instance.to_owned(),
        group: group.to_owned(),
    }
}

impl Service {
    /// `rocketmq:ListDeadLetterMessages` on the group, and the group's entry.
    pub fn dead_letters_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
    ) -> Result<ConsumerGroup, ServiceError> {
        let need = Need::new(
            "rocketmq:ListDeadLetterMessages",
            group_resource(instance, group),
        );
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_consumer_group(&caller.account_id, instance, group)?)
        })
    }

    /// `rocketmq:ResendDeadLetterMessage` on the group, and the entries of the group and of
    /// `topic`, the topic the dead letter came from. Audited as a change (durably, before the
    /// broker acts), since a re-send delivers the message to the group again.
    pub fn resend_dead_letter_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<(ConsumerGroup, Topic), ServiceError> {
        let need = Need::new(
            "rocketmq:ResendDeadLetterMessage",
            group_resource(instance, group),
        );
        self.change(caller, &[need], |tx| {
            let g = tx.get_consumer_group(&caller.account_id, instance, group)?;
            let t = tx.get_topic(&caller.account_id, instance, topic)?;
            Ok((g, t))
        })
    }
}
