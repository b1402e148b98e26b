//! Dead-letter queues: one per consumer group (Apache's `%DLQ%<group>`), holding the messages
//! the group failed to consume within its retry policy's attempts, or that a client forwarded
//! (ForwardMessageToDeadLetterQueue, which push consumers send for FIFO messages that failed
//! their local retries).
//!
//! A group's dead letters live in store topic `"%dlq/{account}/{instance}/{group}"` (three
//! `/`, so never a user topic's key): queue 0 holds a copy of each message with where it came
//! from, why and when; queue 1 records re-sends. Moving a message there is one store batch
//! with the progress change that finishes it for the group, so a crash neither loses nor
//! duplicates a dead letter.
//!
//! A forward of a handle already forwarded (a client retrying after a lost answer) is
//! answered OK again.
//!
//! Dead letters can be listed, inspected and re-sent. A re-send makes the original message
//! deliverable to that group again as if it had never been delivered (attempts start at 1);
//! other groups are not affected. It needs the original to be still in the store (retention)
//! and is allowed once per dead letter (a message that fails again gets a new dead letter).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use petrel_store::{NewMessage, ReadStatus, StoredMessage};

use crate::broker::{FORWARDED_MEMORY, Inner, lock};
use crate::error::{BrokerError, Result};
use crate::fifo::fnv1a64;
use crate::message::{MessageView, now_ms, system_property};
use crate::names::{GroupRef, TopicRef, same_namespace, topic_of_key};
use crate::progress::journal;
use crate::progress::state::Op;
use crate::receipt::{Handle, tokens_equal};

const P_SOURCE: &str = "__petrel.dlq.source";
const P_QUEUE: &str = "__petrel.dlq.queue";
const P_OFFSET: &str = "__petrel.dlq.offset";
const P_MESSAGE_ID: &str = "__petrel.dlq.message_id";
const P_ATTEMPTS: &str = "__petrel.dlq.attempts";
const P_REASON: &str = "__petrel.dlq.reason";
const P_AT: &str = "__petrel.dlq.at";

const LETTERS: u32 = 0;
const RESENDS: u32 = 1;
/// Longest store key the store accepts once percent-encoded.
const MAX_ENCODED_KEY: usize = 255;
const READ_BYTES: usize = 8 << 20;

/// Why a message became a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterReason {
    /// Its last attempt under the group's retry policy failed.
    MaxAttempts,
    /// A consumer forwarded it (ForwardMessageToDeadLetterQueue).
    Forwarded,
}

impl DeadLetterReason {
    /// `MAX_ATTEMPTS` or `FORWARDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterReason::MaxAttempts => "MAX_ATTEMPTS",
            DeadLetterReason::Forwarded => "FORWARDED",
        }
    }
}

/// One dead letter of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its position in the group's dead-letter queue: the id to inspect or re-send it by.
    pub dlq_offset: u64,
    /// The message as it was delivered: original topic, id, queue and offset.
    pub message: MessageView,
    /// Deliveries made before it became a dead letter.
    pub attempts: u32,
    /// Why.
    pub reason: DeadLetterReason,
    /// When, ms since the epoch.
    pub dead_lettered_at_ms: i64,
    /// When it was re-sent to the group, if it was.
    pub resent_at_ms: Option<i64>,
}

/// A page of a group's dead letters, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterPage {
    /// The dead letters of this page.
    pub items: Vec<DeadLetter>,
    /// Where the next page starts (`None`: this was the last).
    pub next: Option<u64>,
    /// Dead letters the group has in all (retained by the store).
    pub total: u64,
}

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

/// The store topic of a group's dead letters.
pub(crate) fn dlq_topic(group: &GroupRef) -> String {
    let plain = format!(
        "%dlq/{}/{}/{}",
        group.account(),
        group.instance(),
        group.name()
    );
    if encoded_len(&plain) <= MAX_ENCODED_KEY {
        return plain;
    }
    // Only names full of `%` get here; a hash keeps the key within the store's limit.
    format!(
        "%dlq/{}/{}/~{:016x}",
        group.account(),
        group.instance(),
        fnv1a64(group.name())
    )
}

/// The dead-letter copy of `m` for `group`, after `attempts` deliveries.
pub(crate) fn dead_letter(
    group: &GroupRef,
    m: &StoredMessage,
    attempts: u32,
    reason: DeadLetterReason,
    now: i64,
) -> NewMessage {
    let mut properties = m.properties.clone();
    properties.extend([
        (P_SOURCE.to_string(), m.topic.clone()),
        (P_QUEUE.to_string(), m.queue_id.to_string()),
        (P_OFFSET.to_string(), m.queue_offset.to_string()),
        (P_MESSAGE_ID.to_string(), m.msg_id.clone()),
        (P_ATTEMPTS.to_string(), attempts.to_string()),
        (P_REASON.to_string(), reason.as_str().to_string()),
        (P_AT.to_string(), now.to_string()),
    ]);
    NewMessage {
        topic: dlq_topic(group),
        queue_id: LETTERS,
        // The original keeps its id in the id index; the copy is found through its queue.
        msg_id: String::new(),
        keys: m.keys.clone(),
        tag: m.tag.clone(),
        born_ms: m.born_ms,
        properties,
        body: m.body.clone(),
    }
}

/// Where a dead letter came from.
struct Source {
    topic: String,
    queue: u32,
    offset: u64,
}

fn decode(m: StoredMessage, resent: &HashMap<u64, i64>) -> Option<(DeadLetter, Source)> {
    let prop = |k: &str| system_property(&m, k).map(str::to_string);
    let source = Source {
        topic: prop(P_SOURCE)?,
        queue: prop(P_QUEUE)?.parse().ok()?,
        offset: prop(P_OFFSET)?.parse().ok()?,
    };
    let message_id = prop(P_MESSAGE_ID)?;
    let attempts = prop(P_ATTEMPTS)?.parse().ok()?;
    let reason = match prop(P_REASON)?.as_str() {
        "FORWARDED" => DeadLetterReason::Forwarded,
        _ => DeadLetterReason::MaxAttempts,
    };
    let at = prop(P_AT)?.parse().ok()?;
    let dlq_offset = m.queue_offset;
    let mut message = MessageView::from_stored(m);
    message.topic = topic_of_key(&source.topic).to_string();
    message.message_id = message_id;
    message.queue_id = source.queue;
    message.queue_offset = source.offset;
    let letter = DeadLetter {
        dlq_offset,
        message,
        attempts,
        reason,
        dead_lettered_at_ms: at,
        resent_at_ms: resent.get(&dlq_offset).copied(),
    };
    Some((letter, source))
}

/// The re-send records of a group: dead-letter offset → when.
fn resends(inner: &Inner, topic: &str) -> Result<HashMap<u64, i64>> {
    let (min, max) = inner.store.queue_offsets(topic, RESENDS);
    let mut out = HashMap::new();
    let mut offset = min;
    while offset < max {
        let batch = inner.store.read(topic, RESENDS, offset, 1024, READ_BYTES)?;
        if batch.status != ReadStatus::Found || batch.messages.is_empty() {
            break;
        }
        for m in &batch.messages {
            if let Some((o, at)) = decode_resend(&m.body) {
                out.insert(o, at);
            }
        }
        offset = batch.next_offset;
    }
    Ok(out)
}

fn decode_resend(b: &[u8]) -> Option<(u64, i64)> {
    let o = u64::from_le_bytes(b.get(0..8)?.try_into().ok()?);
    let at = i64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
    Some((o, at))
}

fn resend_record(topic: &str, dlq_offset: u64, at: i64) -> NewMessage {
    let mut body = Vec::with_capacity(16);
    body.extend_from_slice(&dlq_offset.to_le_bytes());
    body.extend_from_slice(&at.to_le_bytes());
    NewMessage {
        topic: topic.to_string(),
        queue_id: RESENDS,
        msg_id: String::new(),
        keys: Vec::new(),
        tag: None,
        born_ms: at,
        properties: Vec::new(),
        body: Bytes::from(body),
    }
}

/// A page of `group`'s dead letters starting at `from` (`None`: the oldest retained).
pub(crate) fn list(
    inner: &Inner,
    group: &GroupRef,
    from: Option<u64>,
    limit: usize,
) -> Result<DeadLetterPage> {
    let topic = dlq_topic(group);
    let (min, max) = inner.store.queue_offsets(&topic, LETTERS);
    let resent = resends(inner, &topic)?;
    let limit = limit.clamp(1, 1000);
    let mut items = Vec::new();
    let mut offset = from.unwrap_or(min).max(min);
    while offset < max && items.len() < limit {
        let want = limit - items.len();
        let batch = inner
            .store
            .read(&topic, LETTERS, offset, want, READ_BYTES)?;
        match batch.status {
            ReadStatus::Found => {}
            ReadStatus::OffsetBelowMin => {
                offset = batch.next_offset;
                continue;
            }
            _ => break,
        }
        for m in batch.messages {
            if let Some((letter, _)) = decode(m, &resent) {
                items.push(letter);
            }
        }
        offset = batch.next_offset;
    }
    Ok(DeadLetterPage {
        items,
        next: (offset < max).then_some(offset),
        total: max - min,
    })
}

fn read_letter(
    inner: &Inner,
    group: &GroupRef,
    dlq_offset: u64,
) -> Result<Option<(DeadLetter, Source)>> {
    let topic = dlq_topic(group);
    let batch = inner
        .store
        .read(&topic, LETTERS, dlq_offset, 1, READ_BYTES)?;
    let Some(m) = batch
        .messages
        .into_iter()
        .next()
        .filter(|m| m.queue_offset == dlq_offset)
    else {
        return Ok(None);
    };
    let resent = resends(inner, &topic)?;
    Ok(decode(m, &resent))
}

fn not_found(group: &GroupRef, dlq_offset: u64) -> BrokerError {
    BrokerError::NotFound(format!(
        "consumer group `{}` has no dead letter {dlq_offset}",
        group.name()
    ))
}

/// One dead letter of `group`.
pub(crate) fn get(inner: &Inner, group: &GroupRef, dlq_offset: u64) -> Result<DeadLetter> {
    read_letter(inner, group, dlq_offset)?
        .map(|(l, _)| l)
        .ok_or_else(|| not_found(group, dlq_offset))
}

/// Makes a dead letter's original message deliverable to `group` again.
pub(crate) async fn resend(
    inner: &Arc<Inner>,
    group: &GroupRef,
    topic: &TopicRef,
    dlq_offset: u64,
) -> Result<()> {
    inner.check_open()?;
    same_namespace(group, topic)?;
    let key = Inner::state_key(group, topic);
    let sub = inner.sub(&key);
    let record = {
        // Under the group's lock, so two re-sends of one dead letter cannot both pass.
        let mut st = lock(&sub.state);
        let (letter, source) =
            read_letter(inner, group, dlq_offset)?.ok_or_else(|| not_found(group, dlq_offset))?;
        if source.topic != topic.store_topic() {
            return Err(BrokerError::BadRequest(format!(
                "dead letter {dlq_offset} of consumer group `{}` came from topic `{}`, not `{}`",
                group.name(),
                letter.message.topic,
                topic.name()
            )));
        }
        if let Some(at) = letter.resent_at_ms {
            return Err(BrokerError::PreconditionFailed(format!(
                "dead letter {dlq_offset} of consumer group `{}` was re-sent already (at {at} ms)",
                group.name()
            )));
        }
        let (min, _) = inner.store.queue_offsets(topic.store_topic(), source.queue);
        if source.offset < min {
            return Err(BrokerError::PreconditionFailed(format!(
                "message `{}` of dead letter {dlq_offset} is no longer retained in topic `{}`",
                letter.message.message_id,
                topic.name()
            )));
        }
        let op = Op::Reopen {
            queue: source.queue,
            offset: source.offset,
        };
        st.apply(&op);
        let marker = resend_record(&dlq_topic(group), dlq_offset, now_ms());
        let record = journal::append_change_with(&inner.store, &key, &[op], vec![marker]);
        inner.count_record();
        record
    };
    sub.changed.notify_waiters();
    record.await?;
    Ok(())
}

/// ForwardMessageToDeadLetterQueue: moves the delivery holding `receipt_handle` to the group's
/// dead-letter queue now.
pub(crate) async fn forward(
    inner: &Arc<Inner>,
    group: &GroupRef,
    topic: &TopicRef,
    receipt_handle: &str,
) -> Result<()> {
    inner.check_open()?;
    same_namespace(group, topic)?;
    let h = Handle::parse(receipt_handle)?;
    let key = Inner::state_key(group, topic);
    let sub = inner.existing_sub(&key).ok_or(crate::settle::STALE)?;
    let record = {
        let mut st = lock(&sub.state);
        if let Err(e) = crate::settle::check(&st, &h) {
            let again = lock(&sub.forwarded)
                .iter()
                .any(|&(q, o, t)| q == h.queue && o == h.offset && tokens_equal(t, h.token));
            return if again { Ok(()) } else { Err(e) };
        }
        {
            let mut forwarded = lock(&sub.forwarded);
            if forwarded.len() >= FORWARDED_MEMORY {
                forwarded.pop_front();
            }
            forwarded.push_back((h.queue, h.offset, h.token));
        }
        let attempts = st.inflight(h.queue, h.offset).map_or(1, |f| f.attempt);
        let moved = match crate::receive::read_one(inner, topic, h.queue, h.offset)? {
            Some(m) => vec![dead_letter(
                group,
                &m,
                attempts,
                DeadLetterReason::Forwarded,
                now_ms(),
            )],
            None => Vec::new(),
        };
        let op = Op::Done {
            queue: h.queue,
            start: h.offset,
            end: h.offset.saturating_add(1),
        };
        st.apply(&op);
        let moved_count = moved.len() as u64;
        let record = journal::append_change_with(&inner.store, &key, &[op], moved);
        inner.count_record();
        (record, moved_count)
    };
    let (record, moved_count) = record;
    sub.settled();
    record.await?;
    sub.metrics.dead_lettered(moved_count);
    Ok(())
}

/// The (queue, offset) of `store_topic`'s messages among the newest `scan` letters of
/// `group`'s dead-letter queue, not re-sent since; and whether that was the whole queue.
pub(crate) fn letters_from(
    inner: &Inner,
    group: &GroupRef,
    store_topic: &str,
    scan: u64,
) -> Result<(HashSet<(u32, u64)>, bool)> {
    let topic = dlq_topic(group);
    let (min, max) = inner.store.queue_offsets(&topic, LETTERS);
    let mut out = HashSet::new();
    if min >= max {
        return Ok((out, true));
    }
    let start = max.saturating_sub(scan).max(min);
    let resent = resends(inner, &topic)?;
    let mut at = start;
    while at < max {
        let batch = inner.store.read(&topic, LETTERS, at, 1024, READ_BYTES)?;
        match batch.status {
            ReadStatus::Found => {}
            ReadStatus::OffsetBelowMin => {
                at = batch.next_offset;
                continue;
            }
            _ => break,
        }
        if batch.messages.is_empty() {
            break;
        }
        for m in batch.messages {
            if let Some((letter, source)) = decode(m, &resent)
                && source.topic == store_topic
                && letter.resent_at_ms.is_none()
            {
                out.insert((source.queue, source.offset));
            }
        }
        at = batch.next_offset;
    }
    Ok((out, start == min))
}
