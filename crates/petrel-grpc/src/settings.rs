//! The settings reply of Telemetry (spec §14): the client's own settings, echoed, with the
//! server's values overwritten — what decides whether Node starts at all, the body limit Python
//! and Node enforce locally, and the consumers' batch, long-poll and retry behaviour.

use std::time::Duration;

use petrel_broker::{Backoff, RetryPolicy};
use petrel_meta::{ConsumerGroup, DeliveryOrder, RetryBackoff};
use petrel_proto::v2;
use v2::retry_policy::Strategy;
use v2::settings::PubSub;

use crate::convert::proto_duration;

/// Most messages a consumer is told to ask for per receive.
pub const RECEIVE_BATCH_SIZE: i32 = 32;

/// Long-polling time consumers are told to use (and the most a receive waits).
pub const LONG_POLLING_TIMEOUT: Duration = Duration::from_secs(20);

/// What the consumer group contributes to a consumer's settings and receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    /// Orderly delivery.
    pub fifo: bool,
    /// The group's retry policy (attempts in all, and the backoff between them).
    pub retry: RetryPolicy,
}

impl Default for GroupFacts {
    /// A concurrent group with RocketMQ's default retry policy (17 attempts, backoff table).
    fn default() -> Self {
        GroupFacts {
            fifo: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// The broker's retry policy for a catalogue group: `max_retry_times` retries after the first
/// delivery; the default backoff is Apache's table (spec §14), a fixed interval is an
/// exponential backoff with multiplier 1.
pub fn retry_policy(g: &ConsumerGroup) -> RetryPolicy {
    RetryPolicy {
        max_attempts: g.retry_policy.max_retry_times.saturating_add(1),
        backoff: match g.retry_policy.backoff {
            RetryBackoff::Default => Backoff::default_table(),
            RetryBackoff::Fixed { interval_seconds } => {
                Backoff::fixed(Duration::from_secs(u64::from(interval_seconds)))
            }
        },
    }
}

impl From<&ConsumerGroup> for GroupFacts {
    fn from(g: &ConsumerGroup) -> Self {
        GroupFacts {
            fifo: g.delivery_order == DeliveryOrder::Orderly,
            retry: retry_policy(g),
        }
    }
}

fn secs(s: u64) -> prost_types::Duration {
    proto_duration(Duration::from_secs(s))
}

/// The producer retry policy (Node requires the exponential branch; spec §0.3).
fn producer_backoff() -> v2::RetryPolicy {
    v2::RetryPolicy {
        max_attempts: 3,
        strategy: Some(Strategy::ExponentialBackoff(v2::ExponentialBackoff {
            initial: Some(proto_duration(Duration::from_millis(10))),
            max: Some(secs(1)),
            multiplier: 2.0,
        })),
    }
}

fn exponential(initial: Duration, max: Duration, multiplier: f64) -> Strategy {
    Strategy::ExponentialBackoff(v2::ExponentialBackoff {
        initial: Some(proto_duration(initial)),
        max: Some(proto_duration(max)),
        // The wire type is a float; growth factors are small numbers.
        multiplier: multiplier as f32,
    })
}

/// The consumer retry policy of a group as the SDKs read it. The Node SDK understands only
/// the exponential branch (with a customized one it retries nothing and dead-letters a failed
/// FIFO message at once, spec §6.3), so a Node client gets a table as the exponential
/// backoff spanning it: same attempts, first and last waits.
fn consumer_backoff(group: &GroupFacts, language: i32) -> v2::RetryPolicy {
    let max_attempts = i32::try_from(group.retry.attempts()).unwrap_or(i32::MAX);
    let node = language == v2::Language::NodeJs as i32;
    let strategy = match &group.retry.backoff {
        Backoff::Customized(table) if node => {
            let first = table.first().copied().unwrap_or_default();
            let last = table.last().copied().unwrap_or_default();
            exponential(first, last, 2.0)
        }
        Backoff::Customized(table) => Strategy::CustomizedBackoff(v2::CustomizedBackoff {
            next: table.iter().map(|d| proto_duration(*d)).collect(),
        }),
        Backoff::Exponential {
            initial,
            max,
            multiplier,
        } => exponential(*initial, *max, *multiplier),
        Backoff::Immediate => exponential(Duration::ZERO, Duration::ZERO, 1.0),
    };
    v2::RetryPolicy {
        max_attempts,
        strategy: Some(strategy),
    }
}

/// The settings to answer to a client that sent `client`. `group` describes the consumer
/// group of a consumer (defaults when it could not be looked up); `max_body_size` is the
/// broker's body limit. `None` when the settings say neither publishing nor subscription
/// (Apache ends such a stream with INVALID_ARGUMENT).
pub fn reply(
    client: &v2::Settings,
    group: &GroupFacts,
    max_body_size: usize,
) -> Option<v2::Settings> {
    let mut out = client.clone();
    out.metric = Some(v2::Metric {
        on: false,
        endpoints: None,
    });
    match client.pub_sub.as_ref()? {
        PubSub::Publishing(p) => {
            out.backoff_policy = Some(producer_backoff());
            out.pub_sub = Some(PubSub::Publishing(v2::Publishing {
                topics: p.topics.clone(),
                max_body_size: i32::try_from(max_body_size).unwrap_or(i32::MAX).max(1),
                validate_message_type: true,
            }));
        }
        PubSub::Subscription(s) => {
            let language = client.user_agent.as_ref().map_or(0, |ua| ua.language);
            out.backoff_policy = Some(consumer_backoff(group, language));
            let mut s = s.clone();
            s.fifo = Some(group.fifo);
            s.receive_batch_size = Some(RECEIVE_BATCH_SIZE);
            s.long_polling_timeout = Some(proto_duration(LONG_POLLING_TIMEOUT));
            out.pub_sub = Some(PubSub::Subscription(s));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producer_reply_has_exponential_backoff_and_body_limit() {
        let client = v2::Settings {
            client_type: Some(v2::ClientType::Producer as i32),
            pub_sub: Some(PubSub::Publishing(v2::Publishing::default())),
            ..Default::default()
        };
        let out = reply(&client, &GroupFacts::default(), 4 << 20).unwrap();
        let Some(PubSub::Publishing(p)) = out.pub_sub else {
            panic!("publishing expected")
        };
        assert_eq!(p.max_body_size, 4 << 20);
        assert!(p.validate_message_type);
        let b = out.backoff_policy.unwrap();
        assert!(matches!(b.strategy, Some(Strategy::ExponentialBackoff(_))));
        assert_eq!(out.client_type, client.client_type);
    }

    #[test]
    fn consumer_reply_has_batch_poll_fifo_and_attempts() {
        let client = v2::Settings {
            pub_sub: Some(PubSub::Subscription(v2::Subscription::default())),
            ..Default::default()
        };
        let group = GroupFacts {
            fifo: true,
            retry: RetryPolicy {
                max_attempts: 5,
                backoff: Backoff::default_table(),
            },
        };
        let out = reply(&client, &group, 1).unwrap();
        let Some(PubSub::Subscription(s)) = out.pub_sub else {
            panic!("subscription expected")
        };
        assert_eq!(s.fifo, Some(true));
        assert_eq!(s.receive_batch_size, Some(32));
        assert_eq!(s.long_polling_timeout.unwrap().seconds, 20);
        let b = out.backoff_policy.unwrap();
        assert_eq!(b.max_attempts, 5);
        let Some(Strategy::CustomizedBackoff(c)) = b.strategy else {
            panic!("customized backoff expected")
        };
        assert_eq!(c.next.len(), 18);
        assert_eq!(c.next[0].seconds, 1);
        assert_eq!(c.next[17].seconds, 7200);
        assert!(reply(&v2::Settings::default(), &group, 1).is_none());
    }

    #[test]
    fn node_consumers_get_the_table_as_an_exponential_backoff() {
        let client = v2::Settings {
            pub_sub: Some(PubSub::Subscription(v2::Subscription::default())),
            user_agent: Some(v2::Ua {
                language: v2::Language::NodeJs as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        let out = reply(&client, &GroupFacts::default(), 1).unwrap();
        let b = out.backoff_policy.unwrap();
        assert_eq!(b.max_attempts, 17);
        let Some(Strategy::ExponentialBackoff(e)) = b.strategy else {
            panic!("exponential backoff expected")
        };
        assert_eq!(e.initial.unwrap().seconds, 1);
        assert_eq!(e.max.unwrap().seconds, 7200);
    }
}
