//! Topics of an instance: message type (fixed at creation), queue count, remark.

use petrel_model::{MessageType, NameKind, validate_name};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::instances::{check_remark, instance_subject};
use crate::tables::{TOPICS, key, prefix};

/// Queues of a topic when none is given.
pub const DEFAULT_QUEUE_COUNT: u32 = 8;
/// Most queues a topic can have.
pub const MAX_QUEUE_COUNT: u32 = 256;

/// A topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// The instance it belongs to.
    pub instance_id: String,
    /// Topic name, unique in the instance.
    pub name: String,
    /// The only message type it accepts.
    pub message_type: MessageType,
    /// Number of queues.
    pub queue_count: u32,
    /// Free remark.
    #[serde(default)]
    pub remark: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Input of [`WriteTx::create_topic`].
#[derive(Debug, Clone)]
pub struct NewTopic {
    /// Topic name.
    pub name: String,
    /// Message type.
    pub message_type: MessageType,
    /// Queue count; [`DEFAULT_QUEUE_COUNT`] when `None`.
    pub queue_count: Option<u32>,
    /// Remark.
    pub remark: Option<String>,
}

/// Input of [`WriteTx::update_topic`]. The message type and queue count cannot change (the
/// message log is laid out by them).
#[derive(Debug, Clone, Default)]
pub struct TopicUpdate {
    /// New remark.
    pub remark: Option<String>,
}

fn topic_subject(instance: &str, name: &str) -> String {
    format!("topic {} of {}", Quoted(name), instance_subject(instance))
}

impl ReadTx<'_> {
    /// The topic; `EntityNotExist.Instance` / `EntityNotExist.Topic` when missing.
    pub fn get_topic(&self, account: &str, instance: &str, name: &str) -> Result<Topic, MetaError> {
        validate_name(NameKind::TopicName, name)?;
        self.get_instance(account, instance)?;
        self.kv
            .get(TOPICS, &key(&[account, instance, name]))?
            .ok_or_else(|| {
                MetaError::not_found(Entity::Topic, account, topic_subject(instance, name))
            })
    }

    /// The instance's topics, by name.
    pub fn list_topics(&self, account: &str, instance: &str) -> Result<Vec<Topic>, MetaError> {
        self.get_instance(account, instance)?;
        self.kv.values(TOPICS, &prefix(&[account, instance]))
    }
}

impl WriteTx<'_> {
    /// Creates a topic; `EntityAlreadyExists.Topic` when the name is taken in the instance.
    pub fn create_topic(
        &mut self,
        account: &str,
        instance: &str,
        new: NewTopic,
    ) -> Result<Topic, MetaError> {
        validate_name(NameKind::TopicName, &new.name)?;
        let queue_count = new.queue_count.unwrap_or(DEFAULT_QUEUE_COUNT);
        if queue_count == 0 || queue_count > MAX_QUEUE_COUNT {
            return Err(MetaError::invalid(
                "QueueCount",
                format!("queue count must be 1 to {MAX_QUEUE_COUNT}, got {queue_count}"),
            ));
        }
        let remark = new.remark.unwrap_or_default();
        check_remark(&remark)?;
        self.get_instance(account, instance)?;
        let k = key(&[account, instance, &new.name]);
        if self.kv.contains(TOPICS, &k)? {
            return Err(MetaError::exists(
                Entity::Topic,
                account,
                topic_subject(instance, &new.name),
            ));
        }
        let topic = Topic {
            instance_id: instance.to_owned(),
            name: new.name,
            message_type: new.message_type,
            queue_count,
            remark,
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(TOPICS, &k, &topic)?;
        Ok(topic)
    }

    /// Changes the remark.
    pub fn update_topic(
        &mut self,
        account: &str,
        instance: &str,
        name: &str,
        update: TopicUpdate,
    ) -> Result<Topic, MetaError> {
        let mut topic = self.get_topic(account, instance, name)?;
        if let Some(remark) = update.remark {
            check_remark(&remark)?;
            topic.remark = remark;
        }
        topic.updated_at = self.now;
        self.w
            .put(TOPICS, &key(&[account, instance, name]), &topic)?;
        Ok(topic)
    }

    /// Deletes a topic.
    pub fn delete_topic(
        &mut self,
        account: &str,
        instance: &str,
        name: &str,
    ) -> Result<(), MetaError> {
        self.get_topic(account, instance, name)?;
        self.w.del(TOPICS, &key(&[account, instance, name]))?;
        Ok(())
    }
}
