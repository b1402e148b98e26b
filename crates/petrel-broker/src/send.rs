//! The send path: validation, deduplication of retried message ids, queue choice (a FIFO
//! message's queue follows its message group), one all-or-nothing store batch, and waking
//! long-polling receivers of the topic. A DELAY message whose delivery time is ahead goes to
//! the delay timer (see `timer`), a TRANSACTION message is stored as a half message (see
//! `txn`), in the same batch.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use petrel_model::MessageType;
use petrel_store::NewMessage;

use crate::broker::Inner;
use crate::dedup::{Claim, ClaimGuard, DedupKey};
use crate::error::{BrokerError, Result};
use crate::message::{OutgoingMessage, SendReceipt, now_ms, stored_properties};
use crate::names::TopicRef;
use crate::timer;
use crate::txn;
use crate::validate;

/// How each message of a batch is answered.
enum Slot {
    /// Stored earlier (a retry): the original receipt.
    Existing(SendReceipt),
    /// The same id appeared earlier in this batch.
    SameAs(usize),
    /// Stored by this call: index into the batch handed to the store.
    New(usize),
}

pub(crate) async fn send(
    inner: &Arc<Inner>,
    topic: &TopicRef,
    messages: Vec<OutgoingMessage>,
) -> Result<Vec<SendReceipt>> {
    inner.check_open()?;
    if messages.is_empty() {
        return Err(BrokerError::BadRequest(
            "a send needs at least one message".into(),
        ));
    }
    let now = now_ms();
    for m in &messages {
        validate::check_message(m, topic, &inner.cfg, now)?;
    }

    // Claim ids in id order (so that batches sharing ids never wait on each other).
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by(|&a, &b| messages[a].message_id.cmp(&messages[b].message_id));
    let mut slots: Vec<Option<Slot>> = (0..messages.len()).map(|_| None).collect();
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut guard = ClaimGuard::new(&inner.dedup);
    let mut to_store: Vec<usize> = Vec::new();
    for &i in &order {
        let id = messages[i].message_id.as_str();
        if let Some(&j) = first_of.get(id) {
            slots[i] = Some(Slot::SameAs(j));
            continue;
        }
        first_of.insert(id, i);
        let key: DedupKey = (Arc::clone(topic.key()), id.to_string());
        slots[i] = Some(loop {
            match inner.dedup.claim(&key) {
                Claim::Existing(r) => break Slot::Existing(r),
                Claim::Wait(notify) => {
                    let woken = notify.notified();
                    tokio::pin!(woken);
                    woken.as_mut().enable();
                    if inner.dedup.is_pending(&key) {
                        woken.await;
                    }
                }
                Claim::Claimed => {
                    if inner.dedup.in_restart_window()
                        && let Some(r) = stored_receipt(inner, topic, id)?
                    {
                        inner.dedup.finish(vec![(key, r.clone())]);
                        break Slot::Existing(r);
                    }
                    guard.push(key);
                    to_store.push(i);
                    break Slot::New(to_store.len() - 1);
                }
            }
        });
    }

    let mut stored: Vec<SendReceipt> = Vec::new();
    if !to_store.is_empty() {
        let rt = inner.topic_rt(topic.key());
        let count = topic.spec().queue_count;
        let mut batch = Vec::with_capacity(to_store.len());
        let mut placed: Vec<(String, u32, Placement)> = Vec::with_capacity(to_store.len());
        for &i in &to_store {
            let m = &messages[i];
            let queue_id = match (&m.message_group, m.message_type) {
                // One message group, one queue: the broker hashes, whatever the client chose.
                (Some(g), MessageType::Fifo) => crate::fifo::queue_for(g, count),
                _ => m
                    .queue_id
                    .filter(|&q| q < count)
                    .unwrap_or_else(|| rt.rr.fetch_add(1, Ordering::Relaxed) % count),
            };
            let msg = NewMessage {
                topic: topic.store_topic().to_string(),
                queue_id,
                msg_id: m.message_id.clone(),
                keys: m.keys.clone(),
                tag: m.tag.clone().filter(|t| !t.is_empty()),
                born_ms: m.born_timestamp_ms,
                properties: stored_properties(m),
                body: m.body.clone(),
            };
            let placement = if m.message_type == MessageType::Transaction {
                Placement::Half(txn::new_transaction_secret())
            } else {
                match m.delivery_timestamp_ms.filter(|&d| d > now) {
                    Some(due) => Placement::Timer(due),
                    None => Placement::Topic,
                }
            };
            batch.push(match &placement {
                Placement::Topic => msg,
                Placement::Timer(_) => timer::delayed(msg, topic.store_topic(), queue_id),
                Placement::Half(secret) => txn::half(msg, topic.store_topic(), queue_id, secret),
            });
            placed.push((m.message_id.clone(), queue_id, placement));
        }
        let immediate = placed.iter().any(|p| p.2 == Placement::Topic);
        let topic_key = Arc::clone(topic.key());
        let append = inner.store.submit(batch);
        // From here the outcome is recorded by a task, so a caller that goes away while the
        // batch is being fsynced cannot leave its ids claimed forever, and a retry arriving
        // meanwhile waits for the original instead of storing a copy.
        let keys = guard.disarm();
        let task_inner = Arc::clone(inner);
        let task = inner.runtime.spawn(async move {
            match append.await {
                Ok(appended) => {
                    let mut timed = Vec::new();
                    let mut halves = Vec::new();
                    let receipts: Vec<SendReceipt> = placed
                        .into_iter()
                        .zip(appended)
                        .map(|((message_id, queue_id, placement), a)| {
                            let mut recall_handle = None;
                            let transaction_id = match placement {
                                Placement::Topic => None,
                                Placement::Timer(due) => {
                                    timed.push((due, a.queue_offset));
                                    recall_handle =
                                        Some(timer::recall_handle(a.queue_offset, &message_id));
                                    None
                                }
                                Placement::Half(secret) => {
                                    let id = txn::transaction_id(a.queue_offset, &secret);
                                    halves.push((
                                        a.queue_offset,
                                        Arc::clone(&topic_key),
                                        message_id.clone(),
                                        id.clone(),
                                        a.store_ms,
                                    ));
                                    Some(id)
                                }
                            };
                            SendReceipt {
                                message_id,
                                queue_id,
                                queue_offset: a.queue_offset,
                                store_timestamp_ms: a.store_ms,
                                transaction_id,
                                recall_handle,
                                duplicate: false,
                            }
                        })
                        .collect();
                    task_inner.timer.schedule(&timed);
                    task_inner
                        .txn
                        .add(halves, task_inner.cfg.transaction_check_delay);
                    task_inner
                        .dedup
                        .finish(keys.into_iter().zip(receipts.iter().cloned()).collect());
                    Ok(receipts)
                }
                Err(e) => {
                    task_inner.dedup.release(&keys);
                    Err(BrokerError::Store(e))
                }
            }
        });
        stored = task
            .await
            .map_err(|e| BrokerError::Internal(format!("send completion task failed: {e}")))??;
        rt.metrics.note_spec(topic.spec());
        rt.metrics.stored(to_store.iter().map(|&i| &messages[i]));
        if immediate {
            rt.arrived.notify_waiters();
        }
    }

    let mut out: Vec<SendReceipt> = Vec::with_capacity(messages.len());
    for (i, slot) in slots.iter().enumerate() {
        let receipt = match slot {
            Some(Slot::Existing(r)) => duplicate(r),
            Some(Slot::New(k)) => stored.get(*k).cloned().ok_or_else(|| missing(i))?,
            Some(Slot::SameAs(j)) => match slots.get(*j) {
                Some(Some(Slot::Existing(r))) => duplicate(r),
                Some(Some(Slot::New(k))) => {
                    stored.get(*k).map(duplicate).ok_or_else(|| missing(i))?
                }
                _ => return Err(missing(i)),
            },
            None => return Err(missing(i)),
        };
        out.push(receipt);
    }
    Ok(out)
}

fn duplicate(r: &SendReceipt) -> SendReceipt {
    SendReceipt {
        duplicate: true,
        ..r.clone()
    }
}

fn missing(i: usize) -> BrokerError {
    BrokerError::Internal(format!("no receipt for message {i} of the batch"))
}

/// The receipt of `id` if the store already holds it in `topic` (a retry across a restart).
fn stored_receipt(inner: &Inner, topic: &TopicRef, id: &str) -> Result<Option<SendReceipt>> {
    let Some(m) = inner.store.get_by_id(id)? else {
        return Ok(None);
    };
    // Still waiting in the delay timer or as a half message, or already in the topic.
    let queue_id = match timer::target_of(&m).or_else(|| txn::target_of(&m)) {
        Some((target, queue)) if target == topic.store_topic() => queue,
        Some(_) => return Ok(None),
        None if m.topic == topic.store_topic() => m.queue_id,
        None => return Ok(None),
    };
    let transaction_id = txn::transaction_id_of(&m);
    let recall_handle =
        timer::target_of(&m).map(|_| timer::recall_handle(m.queue_offset, &m.msg_id));
    Ok(Some(SendReceipt {
        message_id: m.msg_id,
        queue_id,
        queue_offset: m.queue_offset,
        store_timestamp_ms: m.store_ms,
        transaction_id,
        recall_handle,
        duplicate: true,
    }))
}

/// Where a sent message is stored.
#[derive(Debug, PartialEq, Eq)]
enum Placement {
    /// In its topic: deliverable now.
    Topic,
    /// In the delay timer until this time (ms).
    Timer(i64),
    /// As a half message, with the random part of its transaction id.
    Half(String),
}
