//! The send path: validation, deduplication of retried message ids, queue choice, one
//! all-or-nothing store batch, and waking long-polling receivers of the topic.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use petrel_store::NewMessage;

use crate::broker::Inner;
use crate::dedup::{Claim, ClaimGuard, DedupKey};
use crate::error::{BrokerError, Result};
use crate::message::{OutgoingMessage, SendReceipt, now_ms, stored_properties};
use crate::names::TopicRef;
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
        for &i in &to_store {
            let m = &messages[i];
            let queue_id = m
                .queue_id
                .filter(|&q| q < count)
                .unwrap_or_else(|| rt.rr.fetch_add(1, Ordering::Relaxed) % count);
            batch.push(NewMessage {
                topic: topic.store_topic().to_string(),
                queue_id,
                msg_id: m.message_id.clone(),
                keys: m.keys.clone(),
                tag: m.tag.clone().filter(|t| !t.is_empty()),
                born_ms: m.born_timestamp_ms,
                properties: stored_properties(m),
                body: m.body.clone(),
            });
        }
        let ids: Vec<(String, u32)> = batch
            .iter()
            .map(|m| (m.msg_id.clone(), m.queue_id))
            .collect();
        let append = inner.store.submit(batch);
        // From here the outcome is recorded by a task, so a caller that goes away while the
        // batch is being fsynced cannot leave its ids claimed forever, and a retry arriving
        // meanwhile waits for the original instead of storing a copy.
        let keys = guard.disarm();
        let task_inner = Arc::clone(inner);
        let task = inner.runtime.spawn(async move {
            match append.await {
                Ok(appended) => {
                    let receipts: Vec<SendReceipt> = ids
                        .into_iter()
                        .zip(appended)
                        .map(|((message_id, queue_id), a)| SendReceipt {
                            message_id,
                            queue_id,
                            queue_offset: a.queue_offset,
                            store_timestamp_ms: a.store_ms,
                            transaction_id: None,
                            duplicate: false,
                        })
                        .collect();
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
        rt.arrived.notify_waiters();
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
    if m.topic != topic.store_topic() {
        return Ok(None);
    }
    Ok(Some(SendReceipt {
        message_id: m.msg_id,
        queue_id: m.queue_id,
        queue_offset: m.queue_offset,
        store_timestamp_ms: m.store_ms,
        transaction_id: None,
        duplicate: true,
    }))
}
