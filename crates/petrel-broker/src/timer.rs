//! The durable delay timer: DELAY messages whose delivery time is ahead wait in the internal
//! store topic [`TIMER_TOPIC`] and are moved into their topic when it comes, so no consumer can
//! see them earlier and their store time (and queue order) is their release time.
//!
//! Durability: a delayed message is acknowledged once its timer copy is durable, like any
//! send. Releasing appends the message to its topic and a progress record marking the timer
//! copy finished (the broker's own progress state [`timer_key`], snapshotted with consumer
//! progress) as **one** store batch, so after a crash every timer copy is either released
//! exactly once or still pending; at open the pending ones are read back into memory and those
//! already due are released at once.
//!
//! In memory the timer is an ordered set of (due ms, timer offset); one task sleeps until the
//! earliest and releases everything due in batches.
//!
//! Recall: the receipt of a delayed message carries a handle naming its timer copy. Recalling
//! marks the copy finished without releasing it (one progress record), so it is never
//! delivered, also after a restart. Whoever takes the entry out of the in-memory set first —
//! the release task or a recall — decides the message's fate, so the two never both win.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use petrel_store::{NewMessage, ReadStatus, Store, StoredMessage};
use tokio::sync::Notify;

use crate::broker::{Inner, lock};
use crate::error::{BrokerError, Result};
use crate::message::{P_DELIVERY, now_ms, system_property};
use crate::names::TopicRef;
use crate::progress::codec::StateKey;
use crate::progress::journal;
use crate::progress::state::{GroupTopicState, Op};

/// Store topic of delayed messages (no `/`: never a user topic).
pub(crate) const TIMER_TOPIC: &str = "%sys%timer";
const QUEUE: u32 = 0;
/// The store topic a delayed message is for.
const P_TARGET: &str = "__petrel.timer.target";
/// Its queue there.
const P_TARGET_QUEUE: &str = "__petrel.timer.queue";
/// Most messages released per batch.
const RELEASE_BATCH: usize = 512;
const READ_BYTES: usize = 8 << 20;
/// Wait before retrying a release the store refused.
const RETRY: Duration = Duration::from_millis(200);

/// Version prefix of recall handles.
const HANDLE_PREFIX: &str = "r1";

/// The recall handle of the timer copy at `offset` of message `message_id`.
pub(crate) fn recall_handle(offset: u64, message_id: &str) -> String {
    format!("{HANDLE_PREFIX}{offset:016x}{message_id}")
}

/// Timer offset and message id of a recall handle.
fn parse_recall_handle(handle: &str) -> Option<(u64, &str)> {
    let rest = handle.strip_prefix(HANDLE_PREFIX)?;
    let hex = rest.get(..16)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = rest.get(16..)?;
    if id.is_empty() {
        return None;
    }
    Some((u64::from_str_radix(hex, 16).ok()?, id))
}

/// The progress key of the timer's own state.
pub(crate) fn timer_key() -> StateKey {
    (Arc::from(TIMER_TOPIC), Arc::from(TIMER_TOPIC))
}

/// The pending delayed messages.
#[derive(Debug, Default)]
pub(crate) struct Timer {
    wheel: Mutex<BTreeSet<(i64, u64)>>,
    wake: Notify,
}

/// The timer copy of a message `m` for `target`/`queue`, due at `due_ms` (the message carries
/// its delivery time among its properties already).
pub(crate) fn delayed(mut m: NewMessage, target: &str, queue: u32) -> NewMessage {
    m.properties
        .push((P_TARGET.to_string(), target.to_string()));
    m.properties
        .push((P_TARGET_QUEUE.to_string(), queue.to_string()));
    m.topic = TIMER_TOPIC.to_string();
    m.queue_id = QUEUE;
    m
}

/// The target store topic of a timer copy (for deduplicating retried sends).
pub(crate) fn target_of(m: &StoredMessage) -> Option<(&str, u32)> {
    if m.topic != TIMER_TOPIC {
        return None;
    }
    let topic = system_property(m, P_TARGET)?;
    let queue = system_property(m, P_TARGET_QUEUE)?.parse().ok()?;
    Some((topic, queue))
}

fn due_of(m: &StoredMessage) -> i64 {
    system_property(m, P_DELIVERY)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The message to append to its topic for a timer copy; `None` if the copy is unreadable
/// (then it is dropped with a warning rather than block the timer forever).
fn released(m: StoredMessage) -> Option<NewMessage> {
    let (topic, queue) = target_of(&m).map(|(t, q)| (t.to_string(), q))?;
    let properties = m
        .properties
        .into_iter()
        .filter(|(k, _)| k != P_TARGET && k != P_TARGET_QUEUE)
        .collect();
    Some(NewMessage {
        topic,
        queue_id: queue,
        msg_id: m.msg_id,
        keys: m.keys,
        tag: m.tag,
        born_ms: m.born_ms,
        properties,
        body: m.body,
    })
}

impl Timer {
    /// Reads the pending timer copies (those the timer state has not finished).
    pub fn load(store: &Store, state: &mut GroupTopicState) -> Result<Timer> {
        let (min, max) = store.queue_offsets(TIMER_TOPIC, QUEUE);
        let q = state.queue_at(QUEUE, min, max);
        let mut pending = BTreeSet::new();
        let mut offset = q.consume;
        while offset < max {
            let batch = store.read(TIMER_TOPIC, QUEUE, offset, 1024, READ_BYTES)?;
            match batch.status {
                ReadStatus::Found => {}
                ReadStatus::OffsetBelowMin => {
                    offset = batch.next_offset;
                    continue;
                }
                _ => break,
            }
            for m in &batch.messages {
                if !q.done.contains(m.queue_offset) {
                    pending.insert((due_of(m), m.queue_offset));
                }
            }
            offset = batch.next_offset;
        }
        if !pending.is_empty() {
            tracing::info!(pending = pending.len(), "delay timer loaded");
        }
        Ok(Timer {
            wheel: Mutex::new(pending),
            wake: Notify::new(),
        })
    }

    /// Adds stored timer copies.
    pub fn schedule(&self, entries: &[(i64, u64)]) {
        if entries.is_empty() {
            return;
        }
        let mut wheel = lock(&self.wheel);
        let before = wheel.first().map(|e| e.0);
        wheel.extend(entries.iter().copied());
        let after = wheel.first().map(|e| e.0);
        drop(wheel);
        if after != before {
            self.wake.notify_one();
        }
    }

    /// Delayed messages not yet released.
    pub fn pending(&self) -> usize {
        lock(&self.wheel).len()
    }

    fn next_due(&self) -> Option<i64> {
        lock(&self.wheel).first().map(|e| e.0)
    }

    fn take_due(&self, now: i64) -> Vec<(i64, u64)> {
        let mut wheel = lock(&self.wheel);
        let mut out = Vec::new();
        while out.len() < RELEASE_BATCH {
            match wheel.first() {
                Some(&e) if e.0 <= now => {
                    wheel.pop_first();
                    out.push(e);
                }
                _ => break,
            }
        }
        out
    }

    fn put_back(&self, entries: Vec<(i64, u64)>) {
        lock(&self.wheel).extend(entries);
    }
}

/// RecallMessage: finishes the pending timer copy of `handle` without releasing it.
pub(crate) async fn recall(inner: &Inner, topic: &TopicRef, handle: &str) -> Result<String> {
    inner.check_open()?;
    let shown: String = handle.chars().take(128).collect::<String>();
    let shown = shown.escape_debug();
    let (offset, message_id) = parse_recall_handle(handle)
        .ok_or_else(|| BrokerError::BadRequest(format!("malformed recall handle `{shown}`")))?;
    let gone = || {
        BrokerError::NotFound(format!(
            "no pending delay message of topic `{}` has recall handle `{shown}` (unknown, \
             already delivered or already recalled)",
            topic.name()
        ))
    };
    let copy = inner
        .store
        .read(TIMER_TOPIC, QUEUE, offset, 1, READ_BYTES)?
        .messages
        .into_iter()
        .find(|m| m.queue_offset == offset)
        .ok_or_else(gone)?;
    let ours = copy.msg_id == message_id
        && target_of(&copy).is_some_and(|(t, _)| t == topic.store_topic());
    if !ours {
        return Err(gone());
    }
    let entry = (due_of(&copy), offset);
    let key = timer_key();
    let sub = inner.sub(&key);
    let record = {
        let mut st = lock(&sub.state);
        if !lock(&inner.timer.wheel).remove(&entry) {
            return Err(gone());
        }
        let (min, max) = inner.store.queue_offsets(TIMER_TOPIC, QUEUE);
        st.queue_at(QUEUE, min, max);
        let op = Op::Done {
            queue: QUEUE,
            start: offset,
            end: offset + 1,
        };
        st.apply(&op);
        let record = journal::append_change(&inner.store, &key, &[op]);
        inner.count_record();
        record
    };
    if let Err(e) = record.await {
        // Nothing was stored: the message is still pending (the done op is idempotent).
        inner.timer.put_back(vec![entry]);
        inner.timer.wake.notify_one();
        return Err(e.into());
    }
    Ok(copy.msg_id)
}

/// The timer task: sleeps until the earliest due time, releases, repeats; ends at shutdown.
pub(crate) async fn run(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let woken = inner.timer.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let now = now_ms();
        match inner.timer.next_due() {
            Some(due) if due <= now => {
                if let Err(e) = release_due(&inner, now).await {
                    tracing::warn!(error = %e, "releasing delayed messages failed; will retry");
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                continue;
            }
            next => {
                // A wall-clock wait: re-checked on waking, so a message is never early.
                let wait = next.map_or(Duration::from_secs(3600), |due| {
                    Duration::from_millis(u64::try_from(due - now).unwrap_or(0))
                });
                tokio::select! {
                    _ = tokio::time::sleep(wait.min(Duration::from_secs(3600))) => {}
                    _ = &mut woken => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

/// Releases up to a batch of due messages into their topics.
async fn release_due(inner: &Inner, now: i64) -> Result<()> {
    let due = inner.timer.take_due(now);
    if due.is_empty() {
        return Ok(());
    }
    let mut messages = Vec::with_capacity(due.len());
    let mut offsets = Vec::with_capacity(due.len());
    let mut targets: Vec<String> = Vec::new();
    for &(_, offset) in &due {
        let read = inner
            .store
            .read(TIMER_TOPIC, QUEUE, offset, 1, READ_BYTES)
            .map(|b| b.messages.into_iter().find(|m| m.queue_offset == offset));
        let m = match read {
            Ok(m) => m,
            Err(e) => {
                inner.timer.put_back(due);
                return Err(e.into());
            }
        };
        offsets.push(offset);
        match m.and_then(released) {
            Some(msg) => {
                if !targets.contains(&msg.topic) {
                    targets.push(msg.topic.clone());
                }
                messages.push(msg);
            }
            None => tracing::warn!(
                offset,
                "delayed message unreadable or removed by retention; dropped"
            ),
        }
    }
    let key = timer_key();
    let sub = inner.sub(&key);
    let record = {
        let mut st = lock(&sub.state);
        let (min, max) = inner.store.queue_offsets(TIMER_TOPIC, QUEUE);
        st.queue_at(QUEUE, min, max);
        let ops: Vec<Op> = offsets
            .iter()
            .map(|&o| Op::Done {
                queue: QUEUE,
                start: o,
                end: o + 1,
            })
            .collect();
        for op in &ops {
            st.apply(op);
        }
        let record = journal::append_change_with(&inner.store, &key, &ops, messages);
        inner.count_record();
        record
    };
    if let Err(e) = record.await {
        // Nothing was stored: release them again (the done ops are idempotent).
        inner.timer.put_back(due);
        return Err(e.into());
    }
    for t in targets {
        inner
            .topic_rt(&Arc::from(t.as_str()))
            .arrived
            .notify_waiters();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_handles_round_trip_and_reject_garbage() {
        let h = recall_handle(77, "01ABC");
        assert_eq!(parse_recall_handle(&h), Some((77, "01ABC")));
        for bad in ["", "r1", &h[1..], &h[..18], "r1zzzzzzzzzzzzzzzzid", "r1é"] {
            assert_eq!(parse_recall_handle(bad), None, "{bad}");
        }
    }
}
