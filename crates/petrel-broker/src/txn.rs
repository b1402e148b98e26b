//! Transactional messages: half messages, EndTransaction, and orphaned-transaction checks.
//!
//! A TRANSACTION send stores a *half message* in the internal store topic [`HALF_TOPIC`] and
//! answers a transaction id (`"t1"` + half offset + 128 random bits, checked on
//! EndTransaction). No consumer sees it. A commit appends the message to its topic together
//! with a progress record finishing the half message (the broker's own progress state
//! [`half_key`]) as one store batch, so a commit is applied exactly once across crashes; a
//! rollback only finishes it.
//!
//! A half message unresolved after [`crate::BrokerConfig::transaction_check_delay`] is
//! *checked*: the broker publishes a [`TransactionCheck`] (the gRPC front end sends it as
//! RecoverOrphanedTransactionCommand to a live producer of the topic, which answers with
//! EndTransaction) and checks again every `transaction_check_interval`. After
//! `transaction_max_checks` unanswered checks the transaction is rolled back. The check count
//! and next check time are recorded (as a lease with attempt = checks), so they survive a
//! restart.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use petrel_store::{NewMessage, ReadStatus, Store, StoredMessage};
use tokio::sync::{Notify, broadcast};

use crate::broker::{Inner, lock};
use crate::error::{BrokerError, Result, quote};
use crate::message::{MessageView, duration_ms, now_ms, system_property};
use crate::names::{TopicRef, topic_of_key};
use crate::progress::codec::StateKey;
use crate::progress::journal;
use crate::progress::state::{GroupTopicState, Op};
use crate::receipt::new_token;

/// Store topic of half messages (no `/`: never a user topic).
pub(crate) const HALF_TOPIC: &str = "%sys%half";
const QUEUE: u32 = 0;
const P_TARGET: &str = "__petrel.txn.target";
const P_TARGET_QUEUE: &str = "__petrel.txn.queue";
/// The random part of the transaction id of a half message (the rest is its offset).
const P_SECRET: &str = "__petrel.txn.secret";
/// The transaction id of a committed message, for deduplicating retried sends.
const P_TXN_ID: &str = "__petrel.txn.id";
const READ_BYTES: usize = 8 << 20;
/// Checks buffered for slow subscribers before the oldest are dropped (checks repeat).
const CHECKS_BUFFER: usize = 1024;
const RETRY: Duration = Duration::from_millis(500);

/// The progress key of the half messages' state.
pub(crate) fn half_key() -> StateKey {
    (Arc::from(HALF_TOPIC), Arc::from(HALF_TOPIC))
}

/// An unresolved transaction whose producer should be asked how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCheck {
    /// Account of the topic.
    pub account: String,
    /// Instance of the topic.
    pub instance: String,
    /// The half message (topic name as users see it).
    pub message: MessageView,
    /// The transaction id to answer with.
    pub transaction_id: String,
    /// 1 for the first check of this transaction.
    pub check: u32,
}

/// How a transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionResolution {
    /// The message is delivered.
    Commit,
    /// The message is discarded.
    Rollback,
}

#[derive(Debug, Clone)]
struct Half {
    target: Arc<str>,
    message_id: String,
    transaction_id: String,
    checks: u32,
    next_check_ms: i64,
}

#[derive(Debug, Default)]
struct Pending {
    halves: BTreeMap<u64, Half>,
    due: BTreeSet<(i64, u64)>,
}

impl Pending {
    fn insert(&mut self, offset: u64, h: Half) {
        self.due.insert((h.next_check_ms, offset));
        if let Some(old) = self.halves.insert(offset, h) {
            self.due.remove(&(old.next_check_ms, offset));
        }
    }

    fn remove(&mut self, offset: u64) -> Option<Half> {
        let h = self.halves.remove(&offset)?;
        self.due.remove(&(h.next_check_ms, offset));
        Some(h)
    }
}

/// The unresolved transactions and the publication of their checks.
#[derive(Debug)]
pub(crate) struct Transactions {
    pending: Mutex<Pending>,
    wake: Notify,
    checks: broadcast::Sender<TransactionCheck>,
}

/// The half copy of `m`, for `target`/`queue`, with the random part of its transaction id.
pub(crate) fn half(mut m: NewMessage, target: &str, queue: u32, secret: &str) -> NewMessage {
    m.properties.extend([
        (P_TARGET.to_string(), target.to_string()),
        (P_TARGET_QUEUE.to_string(), queue.to_string()),
        (P_SECRET.to_string(), secret.to_string()),
    ]);
    m.topic = HALF_TOPIC.to_string();
    m.queue_id = QUEUE;
    m
}

/// The random part of a new transaction id (its offset is known only once stored).
pub(crate) fn new_transaction_secret() -> String {
    format!("{:032x}", new_token())
}

/// The transaction id of a half message stored at `offset` with `secret`.
pub(crate) fn transaction_id(offset: u64, secret: &str) -> String {
    format!("t1{offset:016x}{secret}")
}

fn parse_transaction_id(id: &str) -> Option<u64> {
    if id.len() != 50 || !id.starts_with("t1") || !id.is_ascii() {
        return None;
    }
    u64::from_str_radix(id.get(2..18)?, 16).ok()
}

/// The transaction id of a stored message (half or committed).
pub(crate) fn transaction_id_of(m: &StoredMessage) -> Option<String> {
    if m.topic == HALF_TOPIC {
        return system_property(m, P_SECRET).map(|s| transaction_id(m.queue_offset, s));
    }
    system_property(m, P_TXN_ID).map(str::to_string)
}

/// Target topic and queue of a half message (for deduplicating retried sends).
pub(crate) fn target_of(m: &StoredMessage) -> Option<(&str, u32)> {
    if m.topic != HALF_TOPIC {
        return None;
    }
    let topic = system_property(m, P_TARGET)?;
    let queue = system_property(m, P_TARGET_QUEUE)?.parse().ok()?;
    Some((topic, queue))
}

fn read_half(store: &Store, offset: u64) -> Result<Option<StoredMessage>> {
    Ok(store
        .read(HALF_TOPIC, QUEUE, offset, 1, READ_BYTES)?
        .messages
        .into_iter()
        .find(|m| m.queue_offset == offset))
}

/// The message to append to its topic on commit.
fn committed(m: StoredMessage) -> Option<NewMessage> {
    let (topic, queue) = target_of(&m).map(|(t, q)| (t.to_string(), q))?;
    let id = transaction_id_of(&m)?;
    let mut properties: Vec<(String, String)> = m
        .properties
        .into_iter()
        .filter(|(k, _)| k != P_TARGET && k != P_TARGET_QUEUE && k != P_SECRET)
        .collect();
    properties.push((P_TXN_ID.to_string(), id));
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

fn half_of(m: &StoredMessage, checks: u32, next_check_ms: i64) -> Option<Half> {
    let (target, _) = target_of(m)?;
    Some(Half {
        target: Arc::from(target),
        message_id: m.msg_id.clone(),
        transaction_id: transaction_id_of(m)?,
        checks,
        next_check_ms,
    })
}

impl Transactions {
    /// Reads the unresolved half messages back (check counts from their leases).
    pub fn load(store: &Store, state: &mut GroupTopicState, first_check: Duration) -> Result<Self> {
        let (min, max) = store.queue_offsets(HALF_TOPIC, QUEUE);
        let q = state.queue_at(QUEUE, min, max).clone();
        let mut pending = Pending::default();
        let mut offset = q.consume;
        while offset < max {
            let batch = store.read(HALF_TOPIC, QUEUE, offset, 1024, READ_BYTES)?;
            match batch.status {
                ReadStatus::Found => {}
                ReadStatus::OffsetBelowMin => {
                    offset = batch.next_offset;
                    continue;
                }
                _ => break,
            }
            for m in &batch.messages {
                if q.done.contains(m.queue_offset) {
                    continue;
                }
                let (checks, next) = match q.inflight.get(&m.queue_offset) {
                    Some(f) => (f.attempt, f.deadline_ms),
                    None => (0, m.store_ms.saturating_add(duration_ms(first_check))),
                };
                if let Some(h) = half_of(m, checks, next) {
                    pending.insert(m.queue_offset, h);
                }
            }
            offset = batch.next_offset;
        }
        if !pending.halves.is_empty() {
            tracing::info!(
                pending = pending.halves.len(),
                "unresolved transactions loaded"
            );
        }
        Ok(Transactions {
            pending: Mutex::new(pending),
            wake: Notify::new(),
            checks: broadcast::channel(CHECKS_BUFFER).0,
        })
    }

    /// Registers stored half messages: (offset, target store topic, message id, transaction
    /// id, store time).
    pub fn add(&self, halves: Vec<(u64, Arc<str>, String, String, i64)>, first_check: Duration) {
        if halves.is_empty() {
            return;
        }
        let mut p = lock(&self.pending);
        for (offset, target, message_id, transaction_id, stored) in halves {
            p.insert(
                offset,
                Half {
                    target,
                    message_id,
                    transaction_id,
                    checks: 0,
                    next_check_ms: stored.saturating_add(duration_ms(first_check)),
                },
            );
        }
        drop(p);
        self.wake.notify_one();
    }

    /// Unresolved transactions.
    pub fn pending(&self) -> usize {
        lock(&self.pending).halves.len()
    }

    /// A receiver of the checks published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<TransactionCheck> {
        self.checks.subscribe()
    }
}

fn invalid(id: &str, reason: impl Into<String>) -> BrokerError {
    BrokerError::InvalidTransactionId {
        transaction_id: quote(id),
        reason: reason.into(),
    }
}

/// EndTransaction: commits or rolls back the half message of `transaction_id`.
pub(crate) async fn end(
    inner: &Inner,
    topic: &TopicRef,
    message_id: &str,
    transaction_id: &str,
    resolution: TransactionResolution,
) -> Result<()> {
    inner.check_open()?;
    let offset =
        parse_transaction_id(transaction_id).ok_or_else(|| invalid(transaction_id, "malformed"))?;
    let key = half_key();
    let sub = inner.sub(&key);
    let (record, half) = {
        let mut st = lock(&sub.state);
        let mut pending = lock(&inner.txn.pending);
        // Another account's transaction is answered exactly like an unknown one: the answer
        // must not tell a caller what another account has pending.
        let known = pending.halves.get(&offset).filter(|h| {
            crate::receipt::bytes_equal(h.transaction_id.as_bytes(), transaction_id.as_bytes())
                && h.target.split('/').next() == Some(topic.account())
        });
        let Some(h) = known else {
            return Err(invalid(
                transaction_id,
                "no unresolved transaction has it (unknown, or already committed or rolled back)",
            ));
        };
        if &*h.target != topic.store_topic() {
            return Err(invalid(
                transaction_id,
                format!(
                    "its message was sent to another topic than `{}`",
                    topic.name()
                ),
            ));
        }
        if !message_id.is_empty() && h.message_id != message_id {
            return Err(invalid(
                transaction_id,
                format!(
                    "it belongs to message `{}`, not `{}`",
                    h.message_id,
                    quote(message_id)
                ),
            ));
        }
        let messages = match resolution {
            TransactionResolution::Rollback => Vec::new(),
            TransactionResolution::Commit => match read_half(&inner.store, offset)? {
                Some(m) => committed(m).into_iter().collect(),
                None => {
                    return Err(BrokerError::PreconditionFailed(format!(
                        "the half message of transaction `{}` is no longer retained",
                        quote(transaction_id)
                    )));
                }
            },
        };
        let (min, max) = inner.store.queue_offsets(HALF_TOPIC, QUEUE);
        st.queue_at(QUEUE, min, max);
        let op = Op::Done {
            queue: QUEUE,
            start: offset,
            end: offset + 1,
        };
        st.apply(&op);
        let half = pending.remove(offset);
        let record = journal::append_change_with(&inner.store, &key, &[op], messages);
        inner.count_record();
        (record, half)
    };
    if let Err(e) = record.await {
        // Nothing was stored: the transaction is still open.
        if let Some(h) = half {
            lock(&inner.txn.pending).insert(offset, h);
        }
        return Err(e.into());
    }
    if resolution == TransactionResolution::Commit {
        inner.topic_rt(topic.key()).arrived.notify_waiters();
    }
    Ok(())
}

/// The checker task: publishes checks when due and rolls back transactions checked too often.
pub(crate) async fn run(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let woken = inner.txn.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let now = now_ms();
        let next = lock(&inner.txn.pending).due.first().map(|e| e.0);
        match next {
            Some(due) if due <= now => {
                if let Err(e) = check_due(&inner, now).await {
                    tracing::warn!(error = %e, "transaction checks failed; will retry");
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
            next => {
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

async fn check_due(inner: &Inner, now: i64) -> Result<()> {
    let cfg = &inner.cfg;
    let key = half_key();
    let sub = inner.sub(&key);
    let mut checks = Vec::new();
    let record = {
        let mut st = lock(&sub.state);
        let mut pending = lock(&inner.txn.pending);
        let due: Vec<u64> = pending
            .due
            .iter()
            .take_while(|e| e.0 <= now)
            .take(256)
            .map(|e| e.1)
            .collect();
        let (min, max) = inner.store.queue_offsets(HALF_TOPIC, QUEUE);
        st.queue_at(QUEUE, min, max);
        let mut ops = Vec::new();
        let mut failed = None;
        for offset in due {
            let m = match read_half(&inner.store, offset) {
                Ok(m) => m,
                Err(e) => {
                    // Keep it pending; what was decided so far is still recorded below.
                    failed = Some(e);
                    break;
                }
            };
            let Some(mut h) = pending.remove(offset) else {
                continue;
            };
            let Some(m) = m.filter(|_| h.checks < cfg.transaction_max_checks) else {
                tracing::warn!(
                    message_id = %h.message_id,
                    checks = h.checks,
                    "transaction never resolved; rolled back"
                );
                ops.push(Op::Done {
                    queue: QUEUE,
                    start: offset,
                    end: offset + 1,
                });
                continue;
            };
            h.checks += 1;
            h.next_check_ms = now.saturating_add(duration_ms(cfg.transaction_check_interval));
            ops.push(Op::Lease {
                queue: QUEUE,
                offset,
                token: 0,
                attempt: h.checks,
                deadline_ms: h.next_check_ms,
            });
            let mut parts = h.target.splitn(3, '/');
            let (account, instance) = (parts.next(), parts.next());
            let mut message = MessageView::from_stored(m);
            message.topic = topic_of_key(&h.target).to_string();
            checks.push(TransactionCheck {
                account: account.unwrap_or_default().to_string(),
                instance: instance.unwrap_or_default().to_string(),
                message,
                transaction_id: h.transaction_id.clone(),
                check: h.checks,
            });
            pending.insert(offset, h);
        }
        for op in &ops {
            st.apply(op);
        }
        let record = if ops.is_empty() {
            None
        } else {
            let record = journal::append_change(&inner.store, &key, &ops);
            inner.count_record();
            Some(record)
        };
        (record, failed)
    };
    let (record, failed) = record;
    if let Some(record) = record {
        record.await?;
    }
    if let Some(e) = failed {
        return Err(e);
    }
    for c in checks {
        // No subscriber (no front end): the check still counts, as when no producer answers.
        let _ = inner.txn.checks.send(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_round_trip_and_reject_garbage() {
        let id = transaction_id(77, &new_transaction_secret());
        assert_eq!(id.len(), 50);
        assert_eq!(parse_transaction_id(&id), Some(77));
        for bad in [
            "",
            "t1",
            &id[1..],
            &id.replace("t1", "x1"),
            &format!("{}é", &id[..48]),
        ] {
            assert_eq!(parse_transaction_id(bad), None, "{bad}");
        }
    }
}
