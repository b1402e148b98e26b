//! Consumer groups of an instance: delivery order and retry policy.
//!
//! Alibaba pairs `DefaultRetryPolicy` with concurrent and `FixedRetryPolicy` with orderly
//! delivery; that pairing is left to the service layer, the catalogue stores what it is given.

use petrel_model::{NameKind, validate_name};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::catalog::{ReadTx, WriteTx};
use crate::error::{Entity, MetaError, Quoted};
use crate::instances::{check_remark, instance_subject};
use crate::tables::{CONSUMER_GROUPS, key, prefix};

/// Most delivery attempts a retry policy can ask for.
pub const MAX_RETRY_TIMES: u32 = 1_000;

/// How messages are handed to consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum DeliveryOrder {
    /// In parallel, no order.
    #[default]
    Concurrently,
    /// In order within a message group.
    Orderly,
}

impl DeliveryOrder {
    /// `Concurrently` or `Orderly`, as the 2022-08-01 API spells it.
    pub fn as_api_str(self) -> &'static str {
        match self {
            DeliveryOrder::Concurrently => "Concurrently",
            DeliveryOrder::Orderly => "Orderly",
        }
    }
}

/// When a failed message is delivered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RetryBackoff {
    /// `DefaultRetryPolicy`: growing intervals (the RocketMQ backoff table).
    #[default]
    Default,
    /// `FixedRetryPolicy`: the same interval every time.
    Fixed {
        /// Seconds between attempts.
        interval_seconds: u32,
    },
}

/// The retry policy of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Timing of retries.
    pub backoff: RetryBackoff,
    /// Retries before the message goes to the dead-letter queue.
    pub max_retry_times: u32,
    /// Topic receiving dead letters, if any.
    #[serde(default)]
    pub dead_letter_target_topic: Option<String>,
}

impl Default for RetryPolicy {
    /// Backoff retries, 16 times (RocketMQ's default), no dead-letter topic.
    fn default() -> Self {
        RetryPolicy {
            backoff: RetryBackoff::Default,
            max_retry_times: 16,
            dead_letter_target_topic: None,
        }
    }
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerGroup {
    /// The instance it belongs to.
    pub instance_id: String,
    /// Group id, unique in the instance.
    pub group_id: String,
    /// Delivery order.
    pub delivery_order: DeliveryOrder,
    /// Retry policy.
    pub retry_policy: RetryPolicy,
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

/// Input of [`WriteTx::create_consumer_group`].
#[derive(Debug, Clone, Default)]
pub struct NewConsumerGroup {
    /// Group id.
    pub group_id: String,
    /// Delivery order.
    pub delivery_order: DeliveryOrder,
    /// Retry policy.
    pub retry_policy: RetryPolicy,
    /// Remark.
    pub remark: Option<String>,
}

/// Input of [`WriteTx::update_consumer_group`]; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct ConsumerGroupUpdate {
    /// New delivery order.
    pub delivery_order: Option<DeliveryOrder>,
    /// New retry policy.
    pub retry_policy: Option<RetryPolicy>,
    /// New remark.
    pub remark: Option<String>,
}

fn group_subject(instance: &str, id: &str) -> String {
    format!(
        "consumer group {} of {}",
        Quoted(id),
        instance_subject(instance)
    )
}

fn check_retry_policy(p: &RetryPolicy) -> Result<(), MetaError> {
    if p.max_retry_times > MAX_RETRY_TIMES {
        return Err(MetaError::invalid(
            "MaxRetryTimes",
            format!(
                "max retry times must be at most {MAX_RETRY_TIMES}, got {}",
                p.max_retry_times
            ),
        ));
    }
    if let RetryBackoff::Fixed { interval_seconds } = p.backoff
        && (interval_seconds == 0 || interval_seconds > 7_200)
    {
        return Err(MetaError::invalid(
            "FixedIntervalRetryTime",
            format!("fixed retry interval must be 1 to 7200 seconds, got {interval_seconds}"),
        ));
    }
    if let Some(t) = &p.dead_letter_target_topic {
        validate_name(NameKind::TopicName, t)?;
    }
    Ok(())
}

impl ReadTx<'_> {
    /// The consumer group; `EntityNotExist.Instance` / `EntityNotExist.ConsumerGroup` when
    /// missing.
    pub fn get_consumer_group(
        &self,
        account: &str,
        instance: &str,
        group_id: &str,
    ) -> Result<ConsumerGroup, MetaError> {
        validate_name(NameKind::ConsumerGroupId, group_id)?;
        self.get_instance(account, instance)?;
        self.kv
            .get(CONSUMER_GROUPS, &key(&[account, instance, group_id]))?
            .ok_or_else(|| {
                MetaError::not_found(
                    Entity::ConsumerGroup,
                    account,
                    group_subject(instance, group_id),
                )
            })
    }

    /// The instance's consumer groups, by id.
    pub fn list_consumer_groups(
        &self,
        account: &str,
        instance: &str,
    ) -> Result<Vec<ConsumerGroup>, MetaError> {
        self.get_instance(account, instance)?;
        self.kv
            .values(CONSUMER_GROUPS, &prefix(&[account, instance]))
    }
}

impl WriteTx<'_> {
    /// Creates a consumer group; `EntityAlreadyExists.ConsumerGroup` when the id is taken.
    pub fn create_consumer_group(
        &mut self,
        account: &str,
        instance: &str,
        new: NewConsumerGroup,
    ) -> Result<ConsumerGroup, MetaError> {
        validate_name(NameKind::ConsumerGroupId, &new.group_id)?;
        check_retry_policy(&new.retry_policy)?;
        let remark = new.remark.unwrap_or_default();
        check_remark(&remark)?;
        self.get_instance(account, instance)?;
        let k = key(&[account, instance, &new.group_id]);
        if self.kv.contains(CONSUMER_GROUPS, &k)? {
            return Err(MetaError::exists(
                Entity::ConsumerGroup,
                account,
                group_subject(instance, &new.group_id),
            ));
        }
        let group = ConsumerGroup {
            instance_id: instance.to_owned(),
            group_id: new.group_id,
            delivery_order: new.delivery_order,
            retry_policy: new.retry_policy,
            remark,
            created_at: self.now,
            updated_at: self.now,
        };
        self.w.put(CONSUMER_GROUPS, &k, &group)?;
        Ok(group)
    }

    /// Changes delivery order, retry policy and/or remark.
    pub fn update_consumer_group(
        &mut self,
        account: &str,
        instance: &str,
        group_id: &str,
        update: ConsumerGroupUpdate,
    ) -> Result<ConsumerGroup, MetaError> {
        let mut group = self.get_consumer_group(account, instance, group_id)?;
        if let Some(order) = update.delivery_order {
            group.delivery_order = order;
        }
        if let Some(policy) = update.retry_policy {
            check_retry_policy(&policy)?;
            group.retry_policy = policy;
        }
        if let Some(remark) = update.remark {
            check_remark(&remark)?;
            group.remark = remark;
        }
        group.updated_at = self.now;
        self.w.put(
            CONSUMER_GROUPS,
            &key(&[account, instance, group_id]),
            &group,
        )?;
        Ok(group)
    }

    /// Deletes a consumer group.
    pub fn delete_consumer_group(
        &mut self,
        account: &str,
        instance: &str,
        group_id: &str,
    ) -> Result<(), MetaError> {
        self.get_consumer_group(account, instance, group_id)?;
        self.w
            .del(CONSUMER_GROUPS, &key(&[account, instance, group_id]))?;
        Ok(())
    }
}
