//! Namespaced references to topics and consumer groups, and how they become store keys.
//!
//! Every topic and group lives in a namespace `(account id, instance id)`. The store topic of a
//! user topic is `"{account}/{instance}/{topic}"` and the progress key of a group is
//! `"{account}/{instance}/{group}"`. None of the three parts may contain `/` (their naming rules
//! exclude it), so the encoding is unambiguous: two accounts that both have an instance `orders`
//! with a topic `t` use different store topics and never share data. Store topics without a
//! `/` are the broker's own (see `progress::journal`).

use std::sync::Arc;

use petrel_model::MessageType;
use petrel_model::names::{NameKind, validate_name};

use crate::error::{BrokerError, Result, quote};

/// What the broker needs to know about a topic; the catalogue owns the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicSpec {
    /// Sends of any other type are refused.
    pub message_type: MessageType,
    /// Number of queues (1..=1024); queues are numbered `0..queue_count`.
    pub queue_count: u32,
}

/// Largest number of queues a topic may have.
pub const MAX_QUEUES: u32 = 1024;

/// Longest store key the store accepts once percent-encoded into a directory name.
const MAX_ENCODED_KEY: usize = 255;

/// A topic of one account's instance, validated, with its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRef {
    account: Arc<str>,
    instance: Arc<str>,
    name: Arc<str>,
    spec: TopicSpec,
    key: Arc<str>,
}

/// A consumer group of one account's instance, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupRef {
    account: Arc<str>,
    instance: Arc<str>,
    name: Arc<str>,
    key: Arc<str>,
}

fn check_namespace(account: &str, instance: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if account.is_empty() || account.len() > 64 || !account.chars().all(ok) {
        return Err(BrokerError::BadRequest(format!(
            "invalid account id `{}`: must be 1 to 64 of letters, digits, `-` and `_`",
            quote(account)
        )));
    }
    validate_name(NameKind::InstanceId, instance)
        .map_err(|e| BrokerError::BadRequest(e.to_string()))
}

/// Length of `s` once the store percent-encodes it (it keeps `[A-Za-z0-9_-]`).
fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                1
            } else {
                3
            }
        })
        .sum()
}

impl TopicRef {
    /// Validates the names and the spec. Errors: [`BrokerError::BadRequest`] for the account,
    /// instance or queue count, [`BrokerError::IllegalTopic`] for the topic name.
    pub fn new(account: &str, instance: &str, topic: &str, spec: TopicSpec) -> Result<TopicRef> {
        check_namespace(account, instance)?;
        validate_name(NameKind::TopicName, topic).map_err(|e| BrokerError::IllegalTopic {
            topic: quote(topic),
            reason: e.to_string(),
        })?;
        if spec.queue_count == 0 || spec.queue_count > MAX_QUEUES {
            return Err(BrokerError::BadRequest(format!(
                "queue count {} of topic `{}` is out of range 1..={MAX_QUEUES}",
                spec.queue_count,
                quote(topic)
            )));
        }
        let key = format!("{account}/{instance}/{topic}");
        if encoded_len(&key) > MAX_ENCODED_KEY {
            return Err(BrokerError::IllegalTopic {
                topic: quote(topic),
                reason: "account, instance and topic together are too long".into(),
            });
        }
        Ok(TopicRef {
            account: account.into(),
            instance: instance.into(),
            name: topic.into(),
            spec,
            key: key.into(),
        })
    }

    /// Account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Instance id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Topic name as users see it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The spec given at construction.
    pub fn spec(&self) -> TopicSpec {
        self.spec
    }

    /// The store topic holding this topic's messages (`"{account}/{instance}/{topic}"`), for
    /// store-level queries such as `Store::query_by_key`.
    pub fn store_topic(&self) -> &str {
        &self.key
    }

    pub(crate) fn key(&self) -> &Arc<str> {
        &self.key
    }
}

impl GroupRef {
    /// Validates the names. Errors: [`BrokerError::BadRequest`] for the account or instance,
    /// [`BrokerError::IllegalConsumerGroup`] for the group name.
    pub fn new(account: &str, instance: &str, group: &str) -> Result<GroupRef> {
        check_namespace(account, instance)?;
        validate_name(NameKind::ConsumerGroupId, group).map_err(|e| {
            BrokerError::IllegalConsumerGroup {
                group: quote(group),
                reason: e.to_string(),
            }
        })?;
        Ok(GroupRef {
            account: account.into(),
            instance: instance.into(),
            name: group.into(),
            key: format!("{account}/{instance}/{group}").into(),
        })
    }

    /// Account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Instance id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Group name as users see it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn key(&self) -> &Arc<str> {
        &self.key
    }
}

/// Refuses a group and topic of different namespaces (a front-end bug, never a client's).
pub(crate) fn same_namespace(group: &GroupRef, topic: &TopicRef) -> Result<()> {
    if group.account == topic.account && group.instance == topic.instance {
        return Ok(());
    }
    Err(BrokerError::BadRequest(format!(
        "group `{}` of `{}/{}` cannot consume topic `{}` of `{}/{}`",
        group.name, group.account, group.instance, topic.name, topic.account, topic.instance
    )))
}

/// The user-visible topic name inside a store topic key.
pub(crate) fn topic_of_key(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: TopicSpec = TopicSpec {
        message_type: MessageType::Normal,
        queue_count: 4,
    };

    #[test]
    fn keys_encode_account_and_instance() {
        let a = TopicRef::new("1000000000000001", "orders", "t", SPEC).unwrap();
        let b = TopicRef::new("1000000000000002", "orders", "t", SPEC).unwrap();
        assert_ne!(a.store_topic(), b.store_topic());
        assert_eq!(a.store_topic(), "1000000000000001/orders/t");
        assert_eq!(topic_of_key(a.store_topic()), "t");
        let g = GroupRef::new("1000000000000001", "orders", "g").unwrap();
        assert!(same_namespace(&g, &a).is_ok());
        assert!(same_namespace(&g, &b).is_err());
    }

    #[test]
    fn bad_names_are_refused_with_their_codes() {
        let e = TopicRef::new("1", "inst", "a/b", SPEC).unwrap_err();
        assert_eq!(e.rocketmq_code(), 40002);
        let e = GroupRef::new("1", "inst", "").unwrap_err();
        assert_eq!(e.rocketmq_code(), 40003);
        let e = TopicRef::new("1/2", "inst", "t", SPEC).unwrap_err();
        assert_eq!(e.rocketmq_code(), 40000);
        let zero = TopicSpec {
            queue_count: 0,
            ..SPEC
        };
        assert!(TopicRef::new("1", "inst", "t", zero).is_err());
        let long = "%".repeat(64);
        let e = TopicRef::new(&"9".repeat(64), &"i".repeat(64), &long, SPEC).unwrap_err();
        assert_eq!(e.rocketmq_code(), 40002);
    }
}
