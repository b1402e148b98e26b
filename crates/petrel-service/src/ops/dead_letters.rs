//! Authorization of the dead-letter operations (ONS `OnsDLQMessage*`): listing and inspecting a
//! consumer group's dead letters (`mq:QueryDLQMessage`, which read-only policies grant through
//! `mq:Query*`) and re-sending one to the group (`mq:ResendDLQMessage`, a change, audited
//! before the broker acts). The service authorizes and returns the catalogue entries; the front
//! end then calls the broker.

use petrel_meta::{ConsumerGroup, Topic};

use crate::Service;
use crate::caller::Caller;
use crate::error::ServiceError;
use crate::pipeline::Need;

impl Service {
    /// `mq:QueryDLQMessage` on the group: its catalogue entry.
    pub fn dead_letters_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
    ) -> Result<ConsumerGroup, ServiceError> {
        let need = Need::on_group("mq:QueryDLQMessage", instance, group);
        self.observe(caller, &[need], |tx| {
            Ok(tx.get_consumer_group(&caller.account_id, instance, group)?)
        })
    }

    /// `mq:ResendDLQMessage` on the group: its entry and the instance's topics (a dead letter
    /// goes back to the topic it came from, which only the broker knows).
    pub fn resend_dead_letter_target(
        &self,
        caller: &Caller,
        instance: &str,
        group: &str,
    ) -> Result<(ConsumerGroup, Vec<Topic>), ServiceError> {
        let need = Need::on_group("mq:ResendDLQMessage", instance, group);
        self.change(caller, &[need], |tx| {
            let g = tx.get_consumer_group(&caller.account_id, instance, group)?;
            let topics = tx.list_topics(&caller.account_id, instance)?;
            Ok((g, topics))
        })
    }
}
