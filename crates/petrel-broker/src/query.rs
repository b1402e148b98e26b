//! Message query for operators: one topic's messages by id, by key (bounded, newest first) or
//! by store-time range (paged, oldest first), each with where every asked-about consumer group
//! stands with it ([`DeliveryState`]).
//!
//! The store's id/key hash index and time scan do the finding; this module only keeps the
//! namespace (a query never leaves its topic's store topic) and reads the groups' progress.
//! Progress is read under each group's lock, one message at a time, so a state is exact for
//! that message at that moment but a page is not one consistent cut across messages.

use std::collections::HashSet;

use petrel_store::{QueryResult, StoredMessage, TimeCursor};

use crate::broker::{Inner, lock};
use crate::dlq;
use crate::error::{BrokerError, Result};
use crate::message::{MessageView, now_ms};
use crate::names::{GroupRef, TopicRef, same_namespace};

/// Most messages a key or time query returns at once.
pub const MAX_QUERY_MESSAGES: usize = 1000;
/// Newest dead letters of a group looked at to tell a dead-lettered message from an acked one.
const DLQ_SCAN: u64 = 10_000;

/// Where one consumer group stands with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Never delivered to the group (or held back behind an earlier message of its FIFO
    /// message group, or re-sent from the dead-letter queue and not delivered since).
    NotDelivered,
    /// Delivered and awaiting its ack; invisible to the group until `until_ms` (the end of
    /// its invisible time plus any retry wait).
    InFlight {
        /// Deliveries so far (1 for the first).
        attempt: u32,
        /// When it becomes ready again, ms since the epoch.
        until_ms: i64,
    },
    /// Delivered, not acked, and its invisible time is over: the next receive gets it again
    /// (or moves it to the dead-letter queue after the last attempt).
    AwaitingRedelivery {
        /// Deliveries so far.
        attempt: u32,
    },
    /// Finished by the group: acked, passed over by its filter, or skipped by an offset reset.
    Consumed,
    /// Moved to the group's dead-letter queue (and not re-sent since).
    DeadLettered,
    /// Finished by the group, either consumed or dead-lettered: its dead-letter queue is too
    /// long to look through (only the newest 10 000 letters are).
    Finished,
}

impl DeliveryState {
    /// A stable upper-case name (`NOT_DELIVERED`, `IN_FLIGHT`, `AWAITING_REDELIVERY`,
    /// `CONSUMED`, `DEAD_LETTERED`, `FINISHED`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::NotDelivered => "NOT_DELIVERED",
            DeliveryState::InFlight { .. } => "IN_FLIGHT",
            DeliveryState::AwaitingRedelivery { .. } => "AWAITING_REDELIVERY",
            DeliveryState::Consumed => "CONSUMED",
            DeliveryState::DeadLettered => "DEAD_LETTERED",
            DeliveryState::Finished => "FINISHED",
        }
    }

    /// The delivery attempt, when the message is delivered and unsettled.
    pub fn attempt(self) -> Option<u32> {
        match self {
            DeliveryState::InFlight { attempt, .. }
            | DeliveryState::AwaitingRedelivery { attempt } => Some(attempt),
            _ => None,
        }
    }
}

/// One group's state for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDelivery {
    /// The consumer group's name.
    pub group: String,
    /// Where it stands.
    pub state: DeliveryState,
}

/// A stored message and where each asked-about group stands with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueriedMessage {
    /// The message as stored (properties, tag, keys, times, type, message group, delivery time).
    pub message: MessageView,
    /// One entry per group asked about, in the order asked.
    pub deliveries: Vec<GroupDelivery>,
}

/// A page of a key or time query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// The messages (key queries: newest first; time queries: oldest first).
    pub messages: Vec<QueriedMessage>,
    /// More matches exist (or may exist) than were returned.
    pub truncated: bool,
    /// Time queries: where the next page starts (`None`: this was the last).
    pub next: Option<TimeCursor>,
}

fn check_groups(topic: &TopicRef, groups: &[GroupRef]) -> Result<()> {
    groups.iter().try_for_each(|g| same_namespace(g, topic))
}

fn check_limit(limit: usize) -> Result<usize> {
    if limit == 0 || limit > MAX_QUERY_MESSAGES {
        return Err(BrokerError::BadRequest(format!(
            "query limit {limit} is outside 1..={MAX_QUERY_MESSAGES}"
        )));
    }
    Ok(limit)
}

/// What a query learned of each group's dead letters, read once per query and group on the
/// first finished message that needs it.
type DeadLetters = Vec<Option<(HashSet<(u32, u64)>, bool)>>;

/// Where `group` stands with the message at `queue`/`offset` of `topic`.
fn state_of(
    inner: &Inner,
    group: &GroupRef,
    topic: &TopicRef,
    (queue, offset): (u32, u64),
    now: i64,
    letters: &mut Option<(HashSet<(u32, u64)>, bool)>,
) -> Result<DeliveryState> {
    let key = Inner::state_key(group, topic);
    let Some(sub) = inner.existing_sub(&key) else {
        // A group that never received starts at the earliest retained offset.
        return Ok(DeliveryState::NotDelivered);
    };
    let finished = {
        let st = lock(&sub.state);
        let Some(q) = st.queues.get(&queue) else {
            return Ok(DeliveryState::NotDelivered);
        };
        if let Some(f) = q.inflight.get(&offset) {
            if f.token == 0 {
                return Ok(DeliveryState::NotDelivered);
            }
            if f.deadline_ms > now {
                return Ok(DeliveryState::InFlight {
                    attempt: f.attempt,
                    until_ms: f.deadline_ms,
                });
            }
            return Ok(DeliveryState::AwaitingRedelivery { attempt: f.attempt });
        }
        offset < q.consume || q.done.contains(offset)
    };
    if !finished {
        return Ok(DeliveryState::NotDelivered);
    }
    if letters.is_none() {
        *letters = Some(dlq::letters_from(
            inner,
            group,
            topic.store_topic(),
            DLQ_SCAN,
        )?);
    }
    Ok(match letters {
        Some((set, _)) if set.contains(&(queue, offset)) => DeliveryState::DeadLettered,
        Some((_, true)) => DeliveryState::Consumed,
        _ => DeliveryState::Finished,
    })
}

fn describe(
    inner: &Inner,
    topic: &TopicRef,
    groups: &[GroupRef],
    m: StoredMessage,
    now: i64,
    letters: &mut DeadLetters,
) -> Result<QueriedMessage> {
    letters.resize(groups.len(), None);
    let at = (m.queue_id, m.queue_offset);
    let deliveries = groups
        .iter()
        .zip(letters.iter_mut())
        .map(|(g, l)| {
            Ok(GroupDelivery {
                group: g.name().to_owned(),
                state: state_of(inner, g, topic, at, now, l)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(QueriedMessage {
        message: MessageView::from_stored(m),
        deliveries,
    })
}

fn page(
    inner: &Inner,
    topic: &TopicRef,
    groups: &[GroupRef],
    found: QueryResult,
) -> Result<MessagePage> {
    let now = now_ms();
    let mut letters = DeadLetters::new();
    let messages = found
        .messages
        .into_iter()
        .map(|m| describe(inner, topic, groups, m, now, &mut letters))
        .collect::<Result<Vec<_>>>()?;
    Ok(MessagePage {
        messages,
        truncated: found.truncated,
        next: found.next_cursor.filter(|_| found.truncated),
    })
}

/// The newest message of `topic` with id `message_id`.
pub(crate) fn by_id(
    inner: &Inner,
    topic: &TopicRef,
    message_id: &str,
    groups: &[GroupRef],
) -> Result<Option<QueriedMessage>> {
    check_groups(topic, groups)?;
    let found = inner
        .store
        .query_by_id(topic.store_topic(), message_id, 1)?;
    let now = now_ms();
    found
        .messages
        .into_iter()
        .next()
        .map(|m| describe(inner, topic, groups, m, now, &mut DeadLetters::new()))
        .transpose()
}

/// Messages of `topic` carrying `key`, newest first.
pub(crate) fn by_key(
    inner: &Inner,
    topic: &TopicRef,
    key: &str,
    limit: usize,
    groups: &[GroupRef],
) -> Result<MessagePage> {
    check_groups(topic, groups)?;
    let limit = check_limit(limit)?;
    let found = inner.store.query_by_key(topic.store_topic(), key, limit)?;
    let mut out = page(inner, topic, groups, found)?;
    out.next = None;
    Ok(out)
}

/// Messages of `topic` stored in `start_ms..=end_ms`, oldest first, after `after`.
pub(crate) fn by_time(
    inner: &Inner,
    topic: &TopicRef,
    start_ms: i64,
    end_ms: i64,
    limit: usize,
    after: Option<TimeCursor>,
    groups: &[GroupRef],
) -> Result<MessagePage> {
    check_groups(topic, groups)?;
    let limit = check_limit(limit)?;
    if start_ms > end_ms {
        return Err(BrokerError::BadRequest(format!(
            "time range start {start_ms} is after its end {end_ms}"
        )));
    }
    let found = inner
        .store
        .query_by_time(topic.store_topic(), start_ms, end_ms, limit, after)?;
    page(inner, topic, groups, found)
}
