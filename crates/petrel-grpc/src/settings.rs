//! The settings reply of Telemetry (spec §14): the client's own settings, echoed, with the
//! server's values overwritten — what decides whether Node starts at all, the body limit Python
//! and Node enforce locally, and the consumers' batch, long-poll and retry behaviour.

use std::time::Duration;

use petrel_meta::{ConsumerGroup, DeliveryOrder, RetryBackoff};
use petrel_proto::v2;
use v2::retry_policy::Strategy;
use v2::settings::PubSub;

use crate::convert::proto_duration;

/// Most messages a consumer is told to ask for per receive.
pub const RECEIVE_BATCH_SIZE: i32 = 32;

/// Long-polling time consumers are told to use (and the most a receive waits).
pub const LONG_POLLING_TIMEOUT: Duration = Duration::from_secs(20);

/// Apache's default consumer backoff table (`messageDelayLevel` from level 3).
const CUSTOMIZED_BACKOFF_SECS: [u64; 18] = [
    1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
];

/// What the consumer group contributes to a consumer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    /// Orderly delivery.
    pub fifo: bool,
    /// Retries before the dead-letter queue.
    pub max_retry_times: u32,
    /// Fixed interval between attempts, or `None` for the default backoff table.
    pub fixed_interval: Option<Duration>,
}

impl Default for GroupFacts {
    /// A concurrent group with RocketMQ's default retry policy (16 retries, backoff table).
    fn default() -> Self {
        GroupFacts {
            fifo: false,
            max_retry_times: 16,
            fixed_interval: None,
        }
    }
}

impl From<&ConsumerGroup> for GroupFacts {
    fn from(g: &ConsumerGroup) -> Self {
        GroupFacts {
            fifo: g.delivery_order == DeliveryOrder::Orderly,
            max_retry_times: g.retry_policy.max_retry_times,
            fixed_interval: match g.retry_policy.backoff {
                RetryBackoff::Default => None,
                RetryBackoff::Fixed { interval_seconds } => {
                    Some(Duration::from_secs(u64::from(interval_seconds)))
                }
            },
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

/// The consumer retry policy of a group: Apache's customized table by default (what Python
/// uses for nack delays), an exponential policy with multiplier 1 for a fixed interval.
fn consumer_backoff(group: &GroupFacts) -> v2::RetryPolicy {
    let max_attempts = i32::try_from(group.max_retry_times.saturating_add(1)).unwrap_or(i32::MAX);
    let strategy = match group.fixed_interval {
        None => Strategy::CustomizedBackoff(v2::CustomizedBackoff {
            next: CUSTOMIZED_BACKOFF_SECS.iter().map(|s| secs(*s)).collect(),
        }),
        Some(interval) => Strategy::ExponentialBackoff(v2::ExponentialBackoff {
            initial: Some(proto_duration(interval)),
            max: Some(proto_duration(interval)),
            multiplier: 1.0,
        }),
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
            out.backoff_policy = Some(consumer_backoff(group));
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
            max_retry_times: 4,
            fixed_interval: None,
        };
        let out = reply(&client, &group, 1).unwrap();
        let Some(PubSub::Subscription(s)) = out.pub_sub else {
            panic!("subscription expected")
        };
        assert_eq!(s.fifo, Some(true));
        assert_eq!(s.receive_batch_size, Some(32));
        assert_eq!(s.long_polling_timeout.unwrap().seconds, 20);
        assert_eq!(out.backoff_policy.unwrap().max_attempts, 5);
        assert!(reply(&v2::Settings::default(), &group, 1).is_none());
    }
}
