//! The broker's metrics: per-topic send counters and per-(group, topic) delivery counters,
//! held inside the per-topic and per-group structures the hot paths already look up (so
//! recording is a relaxed atomic add, with no map lookup or allocation of its own), and the
//! scrape-time rendering that adds lag and in-flight from [`Broker::group_topic_stats`].
//!
//! Names follow RocketMQ 5's broker metrics where one fits (`rocketmq_messages_in_total`,
//! `rocketmq_throughput_out_total`, `rocketmq_consumer_lag_messages`, …; RocketMQ's `topic`,
//! `consumer_group` and `message_type` labels), with `account` and `instance` labels for
//! Petrel's namespaces; the rest are `petrel_broker_*`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use petrel_metrics::{Counter, Exposition, Kind};
use petrel_model::MessageType;

use crate::broker::{Broker, Sub, TopicRt};
use crate::message::{Delivered, OutgoingMessage};
use crate::names::{GroupRef, TopicRef, TopicSpec};

/// Counters of one topic, plus the last spec seen for it (the catalogue owns specs; the
/// broker only learns one when the topic is used, and lag needs its queue count).
#[derive(Debug, Default)]
pub(crate) struct TopicMetrics {
    /// 0 while unknown.
    queue_count: AtomicU32,
    /// `MessageType` as 1..=4; 0 while unknown.
    message_type: AtomicU8,
    messages_in: Counter,
    bytes_in: Counter,
}

impl TopicMetrics {
    /// Remembers the topic's spec, for lag (queue count) and the `message_type` label.
    pub fn note_spec(&self, spec: TopicSpec) {
        self.queue_count.store(spec.queue_count, Ordering::Relaxed);
        let t = match spec.message_type {
            MessageType::Normal => 1,
            MessageType::Fifo => 2,
            MessageType::Delay => 3,
            MessageType::Transaction => 4,
        };
        self.message_type.store(t, Ordering::Relaxed);
    }

    /// Counts newly stored messages (retried sends that were already stored are not).
    pub fn stored<'a>(&self, messages: impl Iterator<Item = &'a OutgoingMessage>) {
        let (mut n, mut bytes) = (0u64, 0u64);
        for m in messages {
            n += 1;
            bytes += m.body.len() as u64;
        }
        self.messages_in.add(n);
        self.bytes_in.add(bytes);
    }

    fn spec(&self) -> Option<TopicSpec> {
        let message_type = match self.message_type.load(Ordering::Relaxed) {
            1 => MessageType::Normal,
            2 => MessageType::Fifo,
            3 => MessageType::Delay,
            4 => MessageType::Transaction,
            _ => return None,
        };
        let queue_count = self.queue_count.load(Ordering::Relaxed);
        (queue_count > 0).then_some(TopicSpec {
            message_type,
            queue_count,
        })
    }
}

/// Counters of one (group, topic).
#[derive(Debug, Default)]
pub(crate) struct GroupMetrics {
    messages_out: Counter,
    bytes_out: Counter,
    acks: Counter,
    dead_lettered: Counter,
}

impl GroupMetrics {
    /// Counts deliveries handed to a receiver (redeliveries included, as RocketMQ counts).
    pub fn delivered(&self, out: &[Delivered]) {
        self.messages_out.add(out.len() as u64);
        self.bytes_out
            .add(out.iter().map(|d| d.message.body.len() as u64).sum());
    }

    /// Counts acknowledged deliveries.
    pub fn acked(&self, n: u64) {
        self.acks.add(n);
    }

    /// Counts messages moved to the group's dead-letter queue.
    pub fn dead_lettered(&self, n: u64) {
        self.dead_lettered.add(n);
    }
}

/// Offsets scanned per queue, past finished and in-flight ones, looking for the first ready
/// message; a queue needing more makes its group's queueing latency unknown (left out).
const READY_SCAN_LIMIT: u64 = 4096;

/// When the first ready message of one queue became ready.
enum ReadySince {
    /// Nothing is ready in the queue.
    Nothing,
    /// At this time (ms): an expired delivery's deadline.
    At(i64),
    /// At the store time of the message at this offset.
    StoredAt(u64),
}

/// RocketMQ's queueing latency: how long, in ms, the message that has waited longest among
/// those `group` can receive now has been ready (0 when none is ready; `None` when unknown).
/// A message is ready since it was stored, or, after a failed delivery, since its invisible
/// time and retry wait ended. The progress lock is held only to find the candidates; the store
/// is read after.
fn queueing_latency_ms(broker: &Broker, sub: &Sub, topic: &TopicRef, now: i64) -> Option<u64> {
    let inner = broker.inner();
    let bounds: Vec<(u64, u64)> = (0..topic.spec().queue_count)
        .map(|q| inner.store.queue_offsets(topic.store_topic(), q))
        .collect();
    let mut candidates = Vec::with_capacity(bounds.len());
    {
        let st = crate::broker::lock(&sub.state);
        for (q, &(min, max)) in bounds.iter().enumerate() {
            let q = u32::try_from(q).ok()?;
            let Some(p) = st.queues.get(&q) else {
                // Never received from: everything retained is ready.
                candidates.push((
                    q,
                    if min < max {
                        ReadySince::StoredAt(min)
                    } else {
                        ReadySince::Nothing
                    },
                ));
                continue;
            };
            let mut x = p.consume.clamp(min, max);
            let mut scanned = 0;
            let found = loop {
                if x >= max {
                    break ReadySince::Nothing;
                }
                scanned += 1;
                if scanned > READY_SCAN_LIMIT {
                    return None;
                }
                if let Some(end) = p.done.end_of_range_containing(x) {
                    x = end;
                    continue;
                }
                match p.inflight.get(&x) {
                    Some(f) if f.deadline_ms > now => x += 1,
                    Some(f) if f.deadline_ms > 0 => break ReadySince::At(f.deadline_ms),
                    _ => break ReadySince::StoredAt(x),
                }
            };
            candidates.push((q, found));
        }
    }
    let mut oldest: Option<i64> = None;
    for (q, since) in candidates {
        let t = match since {
            ReadySince::Nothing => continue,
            ReadySince::At(t) => t,
            ReadySince::StoredAt(offset) => crate::offsets::store_time(inner, topic, q, offset)?,
        };
        oldest = Some(oldest.map_or(t, |o| o.min(t)));
    }
    Some(oldest.map_or(0, |t| u64::try_from(now.saturating_sub(t)).unwrap_or(0)))
}

/// `"{account}/{instance}/{name}"` split; `None` for the broker's own keys (no `/`).
fn split_key(key: &str) -> Option<(&str, &str, &str)> {
    let mut parts = key.splitn(3, '/');
    let account = parts.next()?;
    let instance = parts.next()?;
    let name = parts.next()?;
    Some((account, instance, name))
}

fn type_label(spec: Option<TopicSpec>) -> &'static str {
    match spec.map(|s| s.message_type) {
        Some(MessageType::Normal) => "normal",
        Some(MessageType::Fifo) => "fifo",
        Some(MessageType::Delay) => "delay",
        Some(MessageType::Transaction) => "transaction",
        None => "unknown",
    }
}

/// Reads one counter of a group.
type GroupCounter = fn(&GroupMetrics) -> u64;
/// Reads one lag figure at a time (ms since the epoch); `None` when unknown.
type LagGauge = fn(&crate::GroupTopicStats, i64) -> Option<u64>;

struct GroupRow<'a> {
    labels: [(&'static str, &'a str); 4],
    sub: Arc<Sub>,
    refs: Option<(GroupRef, TopicRef)>,
}

impl Broker {
    /// Writes the broker's metric families into `e`. Lag and in-flight are computed now for
    /// every (group, topic) the broker has progress for and whose topic's queue count it knows
    /// (it learns it from the first send or receive after start); a lag that cannot be computed
    /// is left out, never shown as 0. Costs one progress copy and up to one store read per
    /// queue with messages left, per (group, topic).
    pub fn write_metrics(&self, e: &mut Exposition) {
        let inner = self.inner();
        let topics: Vec<(Arc<str>, Arc<TopicRt>)> = inner.topics_snapshot();
        let topic_rows: Vec<([(&str, &str); 4], &TopicRt)> = topics
            .iter()
            .filter_map(|(key, rt)| {
                let (account, instance, topic) = split_key(key)?;
                let labels = [
                    ("account", account),
                    ("instance", instance),
                    ("topic", topic),
                    ("message_type", type_label(rt.metrics.spec())),
                ];
                Some((labels, &**rt))
            })
            .collect();
        e.family(
            "rocketmq_messages_in_total",
            "Messages stored by sends (a retried send already stored is not counted again).",
            Kind::Counter,
        );
        for (labels, rt) in &topic_rows {
            e.sample(labels, rt.metrics.messages_in.get());
        }
        e.family(
            "rocketmq_throughput_in_total",
            "Body bytes of the messages stored by sends.",
            Kind::Counter,
        );
        for (labels, rt) in &topic_rows {
            e.sample(labels, rt.metrics.bytes_in.get());
        }

        let subs = inner.subs_snapshot();
        let specs: HashMap<&str, TopicSpec> = topics
            .iter()
            .filter_map(|(k, rt)| Some((&**k, rt.metrics.spec()?)))
            .collect();
        let spec_of = |topic_key: &str| specs.get(topic_key).copied();
        let rows: Vec<GroupRow<'_>> = subs
            .iter()
            .filter_map(|((group_key, topic_key), sub)| {
                let (account, instance, group) = split_key(group_key)?;
                let (_, _, topic) = split_key(topic_key)?;
                let refs = spec_of(topic_key).and_then(|spec| {
                    let g = GroupRef::new(account, instance, group).ok()?;
                    let t = TopicRef::new(account, instance, topic, spec).ok()?;
                    Some((g, t))
                });
                Some(GroupRow {
                    labels: [
                        ("account", account),
                        ("instance", instance),
                        ("topic", topic),
                        ("consumer_group", group),
                    ],
                    sub: Arc::clone(sub),
                    refs,
                })
            })
            .collect();
        let counters: [(&str, &str, GroupCounter); 4] = [
            (
                "rocketmq_messages_out_total",
                "Messages delivered to consumers of the group (redeliveries included).",
                |m| m.messages_out.get(),
            ),
            (
                "rocketmq_throughput_out_total",
                "Body bytes of the messages delivered to consumers of the group.",
                |m| m.bytes_out.get(),
            ),
            (
                "petrel_broker_acks_total",
                "Deliveries acknowledged by consumers of the group.",
                |m| m.acks.get(),
            ),
            (
                "rocketmq_send_to_dlq_messages_total",
                "Messages moved to the group's dead-letter queue.",
                |m| m.dead_lettered.get(),
            ),
        ];
        for (name, help, get) in counters {
            e.family(name, help, Kind::Counter);
            for row in &rows {
                e.sample(&row.labels, get(&row.sub.metrics));
            }
        }

        let now = crate::message::now_ms();
        let stats: Vec<(&GroupRow<'_>, crate::GroupTopicStats)> = rows
            .iter()
            .filter_map(|row| {
                let (g, t) = row.refs.as_ref()?;
                self.group_topic_stats(g, t).ok().map(|s| (row, s))
            })
            .collect();
        let gauges: [(&str, &str, LagGauge); 4] = [
            (
                "rocketmq_consumer_ready_messages",
                "Messages the group can receive now.",
                |s, _| Some(s.ready),
            ),
            (
                "rocketmq_consumer_inflight_messages",
                "Deliveries to the group awaiting their ack within their invisible time.",
                |s, _| Some(s.inflight),
            ),
            (
                "rocketmq_consumer_lag_messages",
                "Messages the group has not finished (ready and in flight).",
                |s, _| Some(s.pending()),
            ),
            (
                "rocketmq_consumer_lag_latency",
                "Age in milliseconds of the oldest message the group has not finished (0 when \
                 none is left; left out when unknown).",
                |s, now| s.delivery_lag_ms(now),
            ),
        ];
        for (name, help, get) in gauges {
            e.family(name, help, Kind::Gauge);
            for (row, s) in &stats {
                if let Some(v) = get(s, now) {
                    e.sample(&row.labels, v);
                }
            }
        }
        e.family(
            "rocketmq_consumer_queueing_latency",
            "How long in milliseconds the longest-waiting message the group can receive now has \
             been ready (0 when none is; left out when unknown).",
            Kind::Gauge,
        );
        for (row, _) in &stats {
            let Some((_, topic)) = row.refs.as_ref() else {
                continue;
            };
            if let Some(v) = queueing_latency_ms(self, &row.sub, topic, now) {
                e.sample(&row.labels, v);
            }
        }

        e.family(
            "petrel_broker_delayed_messages",
            "Delay messages waiting in the timer for their delivery time.",
            Kind::Gauge,
        );
        e.sample(&[], self.pending_delayed() as u64);
        e.family(
            "petrel_broker_open_transactions",
            "Transactions neither committed nor rolled back yet.",
            Kind::Gauge,
        );
        e.sample(&[], self.pending_transactions() as u64);
        e.family(
            "petrel_broker_consumer_progress_entries",
            "(group, topic) pairs the broker keeps consumer progress for (including its own).",
            Kind::Gauge,
        );
        e.sample(&[], subs.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_key_takes_account_instance_and_name_and_skips_internal_keys() {
        assert_eq!(split_key("1/rmq-a/t"), Some(("1", "rmq-a", "t")));
        assert_eq!(split_key("%sys%consumer-progress"), None);
        assert_eq!(split_key("a/b"), None);
    }
}
