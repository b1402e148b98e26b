//! The dashboard's recent history: a small in-memory ring per instance of samples taken every
//! 10 seconds (and when a dashboard is opened), each holding how many messages every topic has
//! stored so far and, per consumer group and topic, how many it has finished, how many wait
//! (ready and in flight) and how far behind it is.
//!
//! The broker's own lag statistics are the only source: rates are differences between samples.
//! The sampler reads the catalogue directly to learn what exists (it is Petrel's machinery, not
//! a front end); what a caller may see of it is decided by the service when the page asks.
//! History starts when the process starts and is not kept across restarts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use petrel_broker::{Broker, GroupTopicStats};
use petrel_meta::Topic;
use petrel_service::Service;

use crate::mqshared::{group_ref, now_ms, topic_ref};

/// How often the background task samples.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// Samples kept per instance (15 minutes at the interval).
const KEEP: usize = 90;
/// A sample younger than this is reused instead of taking another on page load.
const FRESH_MS: i64 = 1_000;
/// Most broker statistics one background round reads (one per topic and group); instances
/// past it are skipped that round (their charts show a gap), so a large catalogue cannot make
/// the sampler run without end.
const ROUND_BUDGET: usize = 5_000;
/// Group name used to read a topic's offsets when no consumer group exists (it never
/// receives, so it creates no consumer state).
const PROBE_GROUP: &str = "petrel-console-probe";

/// One group on one topic at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairSample {
    /// Messages the group has finished (acked, filtered out or skipped) among those retained.
    pub finished: u64,
    /// Ready plus in flight.
    pub pending: u64,
    /// Age of the oldest unfinished message; `None` when unknown.
    pub lag_ms: Option<u64>,
}

/// Everything measured of one instance at one moment.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Per topic: messages stored so far (the sum of its queues' end offsets).
    pub stored: BTreeMap<String, u64>,
    /// Per `(group, topic)`.
    pub pairs: BTreeMap<(String, String), PairSample>,
}

type Key = (String, String);

/// The rings of every instance.
#[derive(Debug, Default)]
pub struct Sampler {
    rings: Mutex<HashMap<Key, VecDeque<Sample>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn pair_sample(stats: &GroupTopicStats, now: i64) -> PairSample {
    let retained: u64 = stats
        .queues
        .iter()
        .map(|q| q.max_offset - q.min_offset)
        .sum();
    PairSample {
        finished: retained.saturating_sub(stats.pending()),
        pending: stats.pending(),
        lag_ms: stats.delivery_lag_ms(now),
    }
}

/// Measures one instance now. Topics or groups whose statistics cannot be read are left out of
/// the sample (a chart then shows a gap, never a zero).
fn measure(
    broker: &Broker,
    account: &str,
    instance: &str,
    topics: &[Topic],
    groups: &[String],
) -> Sample {
    let now = now_ms();
    let mut sample = Sample {
        at_ms: now,
        ..Sample::default()
    };
    for topic in topics {
        let Ok(tref) = topic_ref(account, instance, topic) else {
            continue;
        };
        let mut stored = None;
        for group in groups {
            let Ok(gref) = group_ref(account, instance, group) else {
                continue;
            };
            if let Ok(stats) = broker.group_topic_stats(&gref, &tref) {
                stored = Some(stats.queues.iter().map(|q| q.max_offset).sum::<u64>());
                sample.pairs.insert(
                    (group.clone(), topic.name.clone()),
                    pair_sample(&stats, now),
                );
            }
        }
        if stored.is_none()
            && let Ok(probe) = group_ref(account, instance, PROBE_GROUP)
            && let Ok(stats) = broker.group_topic_stats(&probe, &tref)
        {
            stored = Some(stats.queues.iter().map(|q| q.max_offset).sum());
        }
        if let Some(n) = stored {
            sample.stored.insert(topic.name.clone(), n);
        }
    }
    sample
}

impl Sampler {
    fn push(&self, key: Key, sample: Sample) {
        let mut rings = lock(&self.rings);
        let ring = rings.entry(key).or_default();
        ring.push_back(sample);
        while ring.len() > KEEP {
            ring.pop_front();
        }
    }

    /// Samples every instance of every account once.
    fn sample_all(&self, service: &Service, broker: &Broker) {
        let catalogue = service.catalog().read(|tx| {
            let mut out = Vec::new();
            for account in tx.list_accounts()? {
                for instance in tx.list_instances(&account.id, None)? {
                    let topics = tx.list_topics(&account.id, &instance.id)?;
                    let groups = tx
                        .list_consumer_groups(&account.id, &instance.id)?
                        .into_iter()
                        .map(|g| g.group_id)
                        .collect::<Vec<_>>();
                    out.push((account.id.clone(), instance.id, topics, groups));
                }
            }
            Ok(out)
        });
        let Ok(catalogue) = catalogue else {
            return;
        };
        let live: Vec<Key> = catalogue
            .iter()
            .map(|(a, i, _, _)| (a.clone(), i.clone()))
            .collect();
        let mut spent = 0usize;
        let mut skipped = 0usize;
        for (account, instance, topics, groups) in catalogue {
            let cost = topics.len() * groups.len().max(1);
            if spent + cost > ROUND_BUDGET {
                skipped += 1;
                continue;
            }
            spent += cost;
            let sample = measure(broker, &account, &instance, &topics, &groups);
            self.push((account, instance), sample);
        }
        if skipped > 0 {
            tracing::debug!(
                skipped,
                "dashboard sampling: round budget spent, instances skipped"
            );
        }
        // Deleted instances take their history with them.
        lock(&self.rings).retain(|k, _| live.contains(k));
    }

    /// Samples one instance now (unless a sample is fresh) and returns its history, oldest
    /// first. `topics` and `groups` are what the caller was allowed to list.
    pub fn history(
        &self,
        broker: &Broker,
        account: &str,
        instance: &str,
        topics: &[Topic],
        groups: &[String],
    ) -> Vec<Sample> {
        let key = (account.to_owned(), instance.to_owned());
        let fresh = lock(&self.rings)
            .get(&key)
            .and_then(|r| r.back())
            .is_some_and(|s| now_ms() - s.at_ms < FRESH_MS);
        if !fresh {
            self.push(
                key.clone(),
                measure(broker, account, instance, topics, groups),
            );
        }
        lock(&self.rings)
            .get(&key)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Samples every [`INTERVAL`] until the console is dropped (the task holds it weakly).
pub fn spawn(sampler: Weak<Sampler>, service: Weak<Service>, broker: Weak<Broker>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (Some(sampler), Some(service), Some(broker)) =
                (sampler.upgrade(), service.upgrade(), broker.upgrade())
            else {
                break;
            };
            let done = tokio::task::spawn_blocking(move || {
                sampler.sample_all(&service, &broker);
            })
            .await;
            if done.is_err() {
                break;
            }
        }
    });
}

/// Per-second rate of `value` between consecutive samples; `None` where either is missing or
/// the counter went backwards (a reset offset or a restart is not a negative rate).
pub fn rates(
    samples: &[Sample],
    value: impl Fn(&Sample) -> Option<u64>,
) -> Vec<(i64, Option<f64>)> {
    samples
        .windows(2)
        .map(|w| {
            let dt = (w[1].at_ms - w[0].at_ms) as f64 / 1000.0;
            let rate = match (value(&w[0]), value(&w[1])) {
                (Some(a), Some(b)) if b >= a && dt > 0.0 => Some((b - a) as f64 / dt),
                _ => None,
            };
            (w[1].at_ms, rate)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64, stored: u64) -> Sample {
        Sample {
            at_ms: ms,
            stored: [("t".to_owned(), stored)].into_iter().collect(),
            ..Sample::default()
        }
    }

    #[test]
    fn rates_are_differences_per_second_and_never_negative() {
        let samples = [at(0, 10), at(10_000, 60), at(20_000, 5), at(30_000, 5)];
        let r = rates(&samples, |s| s.stored.get("t").copied());
        assert_eq!(
            r,
            vec![(10_000, Some(5.0)), (20_000, None), (30_000, Some(0.0))]
        );
        let missing = rates(&samples, |s| s.stored.get("other").copied());
        assert!(missing.iter().all(|(_, v)| v.is_none()));
    }
}
