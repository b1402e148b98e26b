//! Durable consumer progress: change records and snapshots in an internal topic of the store,
//! and their replay at open.
//!
//! The internal store topic [`PROGRESS_TOPIC`] has two queues:
//! * queue 0: one change record per operation (receive, ack, change-invisible) of one (group,
//!   topic), holding its ops. Appended with the message log's group commit.
//! * queue 1: snapshots — the whole progress of every (group, topic), split into chunk records
//!   appended as one all-or-nothing batch. Each records the queue-0 offset replay starts from.
//!
//! At open the latest snapshot is loaded and queue 0 is replayed from its offset to the end.
//!
//! Why a snapshot needs no global lock: a snapshot first reads queue 0's max offset `X`, then
//! copies each (group, topic) under that state's lock. Live operations mutate a state and
//! submit its record while holding the same lock, so every record below `X` was submitted after
//! its mutation, which the copy therefore contains. Records at or above `X` may or may not be
//! in the copy; replaying them is harmless because ops are idempotent and the last op per offset
//! wins (see `progress::state`). Durability is a prefix of the log, so a snapshot that
//! survived a crash implies every record before it survived too.

use std::collections::HashMap;

use bytes::Bytes;
use petrel_store::{AppendFuture, NewMessage, ReadStatus, Store};

use crate::error::{BrokerError, Result};
use crate::progress::codec::{self, StateKey};
use crate::progress::state::{GroupTopicState, Op};

/// Store topic of consumer progress. It contains no `/`, so it never equals the store topic of
/// a user topic (`"{account}/{instance}/{topic}"`).
pub(crate) const PROGRESS_TOPIC: &str = "%sys%consumer-progress";
const CHANGES_QUEUE: u32 = 0;
const SNAPSHOT_QUEUE: u32 = 1;
/// Payload bytes per snapshot chunk: well below any sensible store `max_message_bytes`.
const CHUNK_BYTES: usize = 192 << 10;
const READ_BATCH: usize = 1024;
const READ_BYTES: usize = 8 << 20;

fn record(queue_id: u32, body: Vec<u8>) -> NewMessage {
    NewMessage {
        topic: PROGRESS_TOPIC.to_string(),
        queue_id,
        msg_id: String::new(),
        keys: Vec::new(),
        tag: None,
        born_ms: 0,
        properties: Vec::new(),
        body: Bytes::from(body),
    }
}

/// Submits a change record; the future resolves once it is durable.
pub(crate) fn append_change(store: &Store, key: &StateKey, ops: &[Op]) -> AppendFuture {
    append_change_with(store, key, ops, Vec::new())
}

/// Submits `messages` and a change record as one all-or-nothing batch: the messages a change
/// moves elsewhere (dead letters, released delay messages, committed transactions) are stored
/// exactly when the change is, so a crash never loses nor duplicates them.
pub(crate) fn append_change_with(
    store: &Store,
    key: &StateKey,
    ops: &[Op],
    mut messages: Vec<NewMessage>,
) -> AppendFuture {
    messages.push(record(
        CHANGES_QUEUE,
        codec::encode_change(&key.0, &key.1, ops),
    ));
    store.submit(messages)
}

/// The offset replay would start from if a snapshot were taken now.
pub(crate) fn snapshot_cut(store: &Store) -> u64 {
    store.queue_offsets(PROGRESS_TOPIC, CHANGES_QUEUE).1
}

/// Submits a snapshot of `states` taken after [`snapshot_cut`] returned `replay_from`.
pub(crate) fn append_snapshot(
    store: &Store,
    states: &[(StateKey, GroupTopicState)],
    replay_from: u64,
) -> AppendFuture {
    let payload = codec::encode_snapshot(states);
    let records = codec::encode_chunks(&payload, replay_from, CHUNK_BYTES)
        .into_iter()
        .map(|body| record(SNAPSHOT_QUEUE, body))
        .collect();
    store.submit(records)
}

/// What [`load`] rebuilt.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub states: HashMap<StateKey, GroupTopicState>,
    /// Change records replayed on top of the snapshot.
    pub replayed: u64,
}

fn corrupt(queue: u32, offset: u64, reason: String) -> BrokerError {
    BrokerError::CorruptProgress {
        what: format!("{PROGRESS_TOPIC}/{queue}@{offset}"),
        reason,
    }
}

/// Loads the latest snapshot and replays the change records after it.
pub(crate) fn load(store: &Store) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut replay_from = 0;
    if let Some((states, from)) = load_snapshot(store)? {
        loaded.states = states.into_iter().collect();
        replay_from = from;
    }
    let (min, max) = store.queue_offsets(PROGRESS_TOPIC, CHANGES_QUEUE);
    if replay_from < min {
        tracing::warn!(
            replay_from,
            min,
            "consumer progress records were removed by retention before a snapshot covered \
             them; some groups may see messages again or skip some"
        );
        replay_from = min;
    }
    let mut offset = replay_from;
    while offset < max {
        let batch = store.read(
            PROGRESS_TOPIC,
            CHANGES_QUEUE,
            offset,
            READ_BATCH,
            READ_BYTES,
        )?;
        match batch.status {
            ReadStatus::Found => {}
            ReadStatus::OffsetBelowMin => {
                offset = batch.next_offset;
                continue;
            }
            ReadStatus::NoNewMessages | ReadStatus::OffsetBeyondMax => break,
        }
        for m in &batch.messages {
            let (key, ops) = codec::decode_change(&m.body)
                .map_err(|e| corrupt(CHANGES_QUEUE, m.queue_offset, e))?;
            let state = loaded.states.entry(key).or_default();
            for op in &ops {
                state.apply(op);
            }
            loaded.replayed += 1;
        }
        offset = batch.next_offset;
    }
    for ((group, _), state) in &mut loaded.states {
        // Consumer groups only (their keys have a `/`); the broker's own states have no
        // deliveries.
        if group.contains('/') {
            state.fill_gaps();
        }
    }
    Ok(loaded)
}

type Snapshot = (Vec<(StateKey, GroupTopicState)>, u64);

fn load_snapshot(store: &Store) -> Result<Option<Snapshot>> {
    let (min, max) = store.queue_offsets(PROGRESS_TOPIC, SNAPSHOT_QUEUE);
    if max <= min {
        return Ok(None);
    }
    let last = store.read(PROGRESS_TOPIC, SNAPSHOT_QUEUE, max - 1, 1, READ_BYTES)?;
    let Some(m) = last.messages.first() else {
        return Ok(None);
    };
    let (head, _) =
        codec::decode_chunk(&m.body).map_err(|e| corrupt(SNAPSHOT_QUEUE, max - 1, e))?;
    let first = max - u64::from(head.count);
    if first < min {
        tracing::warn!(
            "the latest consumer progress snapshot was partly removed by retention; replaying \
             the change records that remain"
        );
        return Ok(None);
    }
    let mut payload = Vec::new();
    let mut offset = first;
    while offset < max {
        let batch = store.read(
            PROGRESS_TOPIC,
            SNAPSHOT_QUEUE,
            offset,
            READ_BATCH,
            READ_BYTES,
        )?;
        if batch.status != ReadStatus::Found {
            return Err(corrupt(
                SNAPSHOT_QUEUE,
                offset,
                format!("snapshot chunk unreadable ({:?})", batch.status),
            ));
        }
        for m in batch.messages.iter().take_while(|m| m.queue_offset < max) {
            let (h, part) = codec::decode_chunk(&m.body)
                .map_err(|e| corrupt(SNAPSHOT_QUEUE, m.queue_offset, e))?;
            let expected = m.queue_offset - first;
            if h.count != head.count
                || u64::from(h.index) != expected
                || h.replay_from != head.replay_from
            {
                return Err(corrupt(
                    SNAPSHOT_QUEUE,
                    m.queue_offset,
                    format!(
                        "chunk {} of {} does not belong to the latest snapshot",
                        h.index, h.count
                    ),
                ));
            }
            payload.extend_from_slice(part);
        }
        offset = batch.next_offset;
    }
    let states = codec::decode_snapshot(&payload).map_err(|e| corrupt(SNAPSHOT_QUEUE, first, e))?;
    Ok(Some((states, head.replay_from)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::codec::StateKey;
    use petrel_store::StoreConfig;

    fn key(g: &str) -> StateKey {
        (format!("1/i/{g}").into(), "1/i/t".into())
    }

    fn lease(offset: u64) -> Op {
        Op::Lease {
            queue: 0,
            offset,
            token: 7,
            attempt: 1,
            deadline_ms: 99,
        }
    }

    #[test]
    fn load_uses_the_latest_snapshot_and_replays_only_what_follows_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreConfig::for_tests()).unwrap();
        assert!(load(&store).unwrap().states.is_empty());
        for o in 0..3 {
            pollster(append_change(&store, &key("a"), &[lease(o)])).unwrap();
        }
        // A snapshot that disagrees with the records before its cut wins over them...
        let mut snap = GroupTopicState::default();
        snap.apply(&Op::Done {
            queue: 0,
            start: 0,
            end: 10,
        });
        let cut = snapshot_cut(&store);
        assert_eq!(cut, 3);
        pollster(append_snapshot(&store, &[(key("a"), snap.clone())], cut)).unwrap();
        // ...and records after the cut are applied on top of it.
        pollster(append_change(&store, &key("b"), &[lease(4)])).unwrap();
        let loaded = load(&store).unwrap();
        assert_eq!(loaded.replayed, 1);
        assert_eq!(loaded.states[&key("a")].queues, snap.queues);
        assert_eq!(
            loaded.states[&key("b")].inflight(0, 4).map(|f| f.token),
            Some(7)
        );
        // A later, smaller snapshot replaces it.
        let cut = snapshot_cut(&store);
        pollster(append_snapshot(&store, &[], cut)).unwrap();
        let loaded = load(&store).unwrap();
        assert!(loaded.states.is_empty());
        assert_eq!(loaded.replayed, 0);
    }

    #[test]
    fn an_unknown_record_format_fails_the_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreConfig::for_tests()).unwrap();
        let mut body = codec::encode_change("g", "t", &[lease(0)]);
        body[0] = 42;
        store.append(vec![record(CHANGES_QUEUE, body)]).unwrap();
        let e = load(&store).unwrap_err();
        assert!(e.to_string().contains("unknown format 42"), "{e}");
    }

    /// Waits for a store future on this thread (the store completes it from its own thread).
    fn pollster<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
