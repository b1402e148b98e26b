//! FIFO delivery: an Orderly group consuming a FIFO topic gets the messages of each message
//! group one at a time, in send order; the next one only once the previous was acked or went
//! to the dead-letter queue after its last attempt. Different message groups proceed
//! independently, also when they share a queue.
//!
//! The broker maps a message group to a queue itself ([`queue_for`], a stable hash), so one
//! message group's messages are in one queue in send order whatever queue the client chose —
//! the official SDKs hash groups three different ways (spec §6.1).
//!
//! Per queue, the in-flight entries (in offset order) are scanned first: the first entry of
//! each message group is that group's head. A head still invisible (or waiting for its retry)
//! blocks its group; a ready head is delivered again or dead-lettered. New messages are then
//! read from the frontier: one of a blocked group is held back (an in-memory pending entry,
//! see `progress::state::InFlight::PENDING`), any other is delivered and blocks its group.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use petrel_store::{ReadStatus, StoredMessage};

use crate::error::Result;
use crate::message::{P_GROUP, system_property};
use crate::progress::state::GroupTopicState;
use crate::receive::{FILTER_READ, Pass, READ_BYTES, queues, read_one};

/// FNV-1a, 64 bit: stable across versions and platforms (the std hasher is not), so a message
/// group keeps its queue across restarts and upgrades.
pub(crate) fn fnv1a64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The queue of a message group in a topic of `queue_count` queues. Changing a topic's queue
/// count moves groups to other queues: order across that change is not guaranteed.
pub fn queue_for(message_group: &str, queue_count: u32) -> u32 {
    let n = u64::from(queue_count.max(1));
    u32::try_from(fnv1a64(message_group) % n).unwrap_or(0)
}

/// Message groups of the in-flight offsets of each queue, read from the store once. A cache:
/// never persisted, equal to any other.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupCache(BTreeMap<u32, BTreeMap<u64, Option<Arc<str>>>>);

impl PartialEq for GroupCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for GroupCache {}

/// The message group of a stored message (`None`: it has none and is ordered with nothing).
fn group_of(m: &StoredMessage) -> Option<Arc<str>> {
    system_property(m, P_GROUP).map(Arc::from)
}

/// One FIFO pass over the queues of the request. Returns when something may become ready and
/// whether the pass stopped at its scan limit.
pub(crate) fn collect_orderly(
    pass: &mut Pass<'_>,
    st: &mut GroupTopicState,
) -> Result<(Option<i64>, bool)> {
    let store = &pass.inner.store;
    let store_topic = pass.topic.store_topic();
    let mut next_wake: Option<i64> = None;
    let mut wake_at = |t: i64| next_wake = Some(next_wake.map_or(t, |w| w.min(t)));
    let mut more = false;

    for q in queues(st, pass.topic, pass.req.queue_id) {
        let (min, mut max_offset) = store.queue_offsets(store_topic, q);
        let consume = st.queue_at(q, min, max_offset).consume;
        let mut cache = std::mem::take(st.fifo_groups.0.entry(q).or_default());
        cache = cache.split_off(&consume);
        let mut blocked: HashSet<Arc<str>> = HashSet::new();

        // 1. Heads among the in-flight entries.
        let entries: Vec<(u64, u32, i64)> = st
            .queues
            .get(&q)
            .map(|p| {
                p.inflight
                    .iter()
                    .map(|(&o, f)| (o, f.attempt, f.deadline_ms))
                    .collect()
            })
            .unwrap_or_default();
        for (offset, attempt, deadline) in entries {
            let mut read: Option<StoredMessage> = None;
            let group = match cache.get(&offset) {
                Some(g) => g.clone(),
                None => match read_one(pass.inner, pass.topic, q, offset)? {
                    Some(m) => {
                        let g = group_of(&m);
                        cache.insert(offset, g.clone());
                        read = Some(m);
                        g
                    }
                    None => {
                        // Removed by retention: nothing to order any more.
                        pass.done(st, q, offset, offset + 1);
                        continue;
                    }
                },
            };
            if group.as_ref().is_some_and(|g| blocked.contains(g)) {
                continue;
            }
            if deadline > pass.now || pass.full() {
                if deadline > pass.now {
                    wake_at(deadline);
                }
                if let Some(g) = group {
                    blocked.insert(g);
                }
                continue;
            }
            let m = match read {
                Some(m) => m,
                None => match read_one(pass.inner, pass.topic, q, offset)? {
                    Some(m) => m,
                    None => {
                        pass.done(st, q, offset, offset + 1);
                        continue;
                    }
                },
            };
            pass.scanned += 1;
            if pass.retry(st, m, attempt) {
                if let Some(g) = group {
                    blocked.insert(g);
                }
            } else {
                // Filtered out or dead-lettered: the group's next message may go now.
                cache.remove(&offset);
            }
        }

        // 2. Messages never looked at.
        let mut from = st.queue_at(q, min, max_offset).frontier;
        'scan: while !pass.full() && pass.scanned < pass.max_scan && from < max_offset {
            let want = (pass.max_scan - pass.scanned).min(FILTER_READ);
            let batch = store.read(store_topic, q, from, want, READ_BYTES)?;
            if batch.status == ReadStatus::OffsetBelowMin {
                from = st.queue_at(q, batch.min_offset, batch.max_offset).frontier;
                continue;
            }
            // The read sees messages appended since the bounds were taken; judging the
            // frontier against the older bound would truncate the leases just made.
            max_offset = max_offset.max(batch.max_offset);
            if batch.messages.is_empty() {
                break;
            }
            let mut skipped: Option<(u64, u64)> = None;
            for m in batch.messages {
                let offset = m.queue_offset;
                if !pass.req.filter.matches(&m) {
                    pass.scanned += 1;
                    skipped = Some(skipped.map_or((offset, offset + 1), |(s, _)| (s, offset + 1)));
                    continue;
                }
                if let Some((s, e)) = skipped.take() {
                    pass.done(st, q, s, e);
                }
                if pass.full() {
                    break 'scan;
                }
                pass.scanned += 1;
                let group = group_of(&m);
                cache.insert(offset, group.clone());
                match group {
                    Some(g) if blocked.contains(&g) => st.set_pending(q, offset),
                    Some(g) => {
                        blocked.insert(g);
                        pass.lease(st, m, 1);
                    }
                    None => pass.lease(st, m, 1),
                }
            }
            if let Some((s, e)) = skipped {
                pass.done(st, q, s, e);
            }
            from = st.queue_at(q, min, max_offset).frontier;
        }
        st.fifo_groups.0.insert(q, cache);
        if pass.scanned >= pass.max_scan && !pass.full() {
            more = true;
            break;
        }
        if pass.full() {
            break;
        }
    }
    Ok((next_wake, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_map_to_stable_queues() {
        // Fixed values: a change here reorders every FIFO topic after an upgrade.
        assert_eq!(fnv1a64(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(queue_for("order-1", 1), 0);
        let spread: HashSet<u32> = (0..64).map(|i| queue_for(&format!("g{i}"), 8)).collect();
        assert!(spread.len() >= 6, "{spread:?}");
        assert_eq!(queue_for("x", 0), 0);
    }
}
