//! The receive path (POP semantics): choosing messages for a group under its progress lock,
//! leasing them with fresh receipt handles, persisting the leases, and long polling.
//!
//! Invisible deadlines are evaluated lazily against the wall clock: an expired delivery is
//! simply ready again, so nothing has to move it. A long-polling receiver sleeps until the
//! earliest of its poll deadline and its group's earliest in-flight deadline, and is woken
//! early by sends to the topic and by changes that move that deadline earlier.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::broker::{Inner, Sub, lock};
use crate::error::{BrokerError, Result};
use crate::filter::Filter;
use crate::message::{Delivered, MessageView, duration_ms, now_ms};
use crate::names::{GroupRef, TopicRef, same_namespace};
use crate::progress::codec::StateKey;
use crate::progress::journal;
use crate::progress::state::{GroupTopicState, Op};
use crate::receipt::{Handle, new_token};
use petrel_store::{ReadStatus, StoredMessage};

/// Bytes read from the store per read call.
const READ_BYTES: usize = 8 << 20;
/// Messages read per call while filtering.
const FILTER_READ: usize = 256;

/// Parameters of one receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveRequest {
    /// Which messages the group wants; others count as consumed for the group.
    pub filter: Filter,
    /// Most messages to return (1..=`max_batch_size`).
    pub batch_size: u32,
    /// How long delivered messages stay invisible to the group
    /// (`min_receive_invisible..=max_invisible`).
    pub invisible_duration: Duration,
    /// How long to wait when nothing is ready (0: answer at once).
    pub long_polling_timeout: Duration,
    /// Receive from this queue only (`None`: all queues, the push consumer's queue −1).
    pub queue_id: Option<u32>,
}

impl ReceiveRequest {
    /// All messages, `batch_size` at most, with the given invisible duration and poll time.
    pub fn new(
        batch_size: u32,
        invisible_duration: Duration,
        long_polling_timeout: Duration,
    ) -> Self {
        ReceiveRequest {
            filter: Filter::All,
            batch_size,
            invisible_duration,
            long_polling_timeout,
            queue_id: None,
        }
    }
}

/// `now + d`, capped at a day ahead (a poll or an invisible deadline beyond that is treated as
/// a day; the caller re-evaluates when it wakes).
fn far(now: Instant, d: Duration) -> Instant {
    now + d.min(Duration::from_secs(24 * 3600))
}

/// Outcome of one pass over the group's progress.
struct Pass {
    delivered: Vec<Delivered>,
    record: Option<petrel_store::AppendFuture>,
    next_expiry: Option<i64>,
    more: bool,
}

fn check_request(inner: &Inner, req: &ReceiveRequest) -> Result<()> {
    let cfg = &inner.cfg;
    if req.batch_size == 0 || req.batch_size > cfg.max_batch_size {
        return Err(BrokerError::BadRequest(format!(
            "batch size {} is out of range 1..={}",
            req.batch_size, cfg.max_batch_size
        )));
    }
    let d = req.invisible_duration;
    if d < cfg.min_receive_invisible || d > cfg.max_invisible {
        return Err(BrokerError::IllegalInvisibleTime {
            duration_ms: d.as_millis(),
            reason: format!(
                "a receive needs {} ms to {} ms",
                cfg.min_receive_invisible.as_millis(),
                cfg.max_invisible.as_millis()
            ),
        });
    }
    Ok(())
}

pub(crate) async fn receive(
    inner: &Arc<Inner>,
    group: &GroupRef,
    topic: &TopicRef,
    req: &ReceiveRequest,
) -> Result<Vec<Delivered>> {
    inner.check_open()?;
    same_namespace(group, topic)?;
    check_request(inner, req)?;
    if let Some(q) = req.queue_id
        && q >= topic.spec().queue_count
    {
        return Err(BrokerError::BadRequest(format!(
            "queue {q} does not exist in topic `{}` ({} queues)",
            topic.name(),
            topic.spec().queue_count
        )));
    }
    let deadline = far(Instant::now(), req.long_polling_timeout);
    let rt = inner.topic_rt(topic.key());
    let key = Inner::state_key(group, topic);
    let sub = inner.sub(&key);
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        // Register for wake-ups before looking, so nothing that happens after the look is
        // missed.
        let arrived = rt.arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        let changed = sub.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if *shutdown.borrow_and_update() {
            return Ok(Vec::new());
        }
        let pass = collect(inner, &key, &sub, topic, req)?;
        if let Some(record) = pass.record {
            record.await?;
        }
        if !pass.delivered.is_empty() {
            return Ok(pass.delivered);
        }
        if pass.more {
            tokio::task::yield_now().await;
            continue;
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Vec::new());
        }
        let mut wake = deadline;
        if let Some(at) = pass.next_expiry {
            let in_ms = u64::try_from(at.saturating_sub(now_ms()).max(0)).unwrap_or(0);
            wake = wake.min(far(now, Duration::from_millis(in_ms.saturating_add(1))));
        }
        tokio::select! {
            _ = &mut arrived => {}
            _ = &mut changed => {}
            _ = tokio::time::sleep_until(wake) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Chooses, leases and records messages for one pass, under the group's progress lock.
fn collect(
    inner: &Inner,
    key: &StateKey,
    sub: &Sub,
    topic: &TopicRef,
    req: &ReceiveRequest,
) -> Result<Pass> {
    let store = &inner.store;
    let store_topic = topic.store_topic();
    let max = req.batch_size as usize;
    let max_scan = inner.cfg.max_scan_per_receive.max(max);
    let invisible_ms = duration_ms(req.invisible_duration);
    let mut st = lock(&sub.state);
    let now = now_ms();
    let deadline_ms = now.saturating_add(invisible_ms);
    let earliest_before = st.next_expiry();
    let mut ops: Vec<Op> = Vec::new();
    let mut out: Vec<Delivered> = Vec::new();
    let mut scanned = 0usize;

    // 1. Deliveries whose invisible time ended, earliest deadline first.
    for (q, offset) in st.expired(now, max, req.queue_id) {
        let attempt = st
            .inflight(q, offset)
            .map_or(1, |f| f.attempt.saturating_add(1));
        let batch = store.read(store_topic, q, offset, 1, READ_BYTES)?;
        match batch.messages.into_iter().next() {
            Some(m) if m.queue_offset == offset => {
                scanned += 1;
                if req.filter.matches(m.tag.as_deref()) {
                    lease(&mut st, &mut ops, &mut out, m, attempt, deadline_ms, req);
                } else {
                    done(&mut st, &mut ops, q, offset, offset + 1);
                }
            }
            // Removed by retention meanwhile: nothing left to deliver.
            _ => done(&mut st, &mut ops, q, offset, offset + 1),
        }
    }

    // 2. Messages never delivered to the group, one queue after another.
    let count = topic.spec().queue_count;
    let queues: Vec<u32> = match req.queue_id {
        Some(q) => vec![q],
        None => {
            let start = st.next_queue % count;
            st.next_queue = (start + 1) % count;
            (0..count).map(|i| (start + i) % count).collect()
        }
    };
    for q in queues {
        let (min, max_offset) = store.queue_offsets(store_topic, q);
        let mut from = st.queue_at(q, min, max_offset).frontier;
        while out.len() < max && scanned < max_scan && from < max_offset {
            let want = match req.filter {
                Filter::All => max - out.len(),
                Filter::Tags(_) => (max_scan - scanned).min(FILTER_READ),
            };
            let batch = store.read(store_topic, q, from, want, READ_BYTES)?;
            if batch.status == ReadStatus::OffsetBelowMin {
                from = st.queue_at(q, batch.min_offset, batch.max_offset).frontier;
                continue;
            }
            if batch.messages.is_empty() {
                break;
            }
            let mut skipped: Option<(u64, u64)> = None;
            for m in batch.messages {
                scanned += 1;
                let offset = m.queue_offset;
                if req.filter.matches(m.tag.as_deref()) {
                    if let Some((s, e)) = skipped.take() {
                        done(&mut st, &mut ops, q, s, e);
                    }
                    lease(&mut st, &mut ops, &mut out, m, 1, deadline_ms, req);
                    if out.len() >= max {
                        break;
                    }
                } else {
                    skipped = Some(skipped.map_or((offset, offset + 1), |(s, _)| (s, offset + 1)));
                }
            }
            if let Some((s, e)) = skipped {
                done(&mut st, &mut ops, q, s, e);
            }
            from = st.queue_at(q, min, max_offset).frontier;
        }
        if out.len() >= max || scanned >= max_scan {
            break;
        }
    }

    let more = out.len() < max && scanned >= max_scan;
    let record = if ops.is_empty() {
        None
    } else {
        let record = journal::append_change(store, key, &ops);
        inner.count_record();
        Some(record)
    };
    let next_expiry = st.next_expiry();
    drop(st);
    // Other receivers of the group sleep until the earliest deadline they saw.
    if !out.is_empty() && earliest_before.is_none_or(|b| deadline_ms < b) {
        sub.changed.notify_waiters();
    }
    Ok(Pass {
        delivered: out,
        record,
        next_expiry,
        more,
    })
}

/// Leases `m` to the receiver with a fresh token.
fn lease(
    st: &mut GroupTopicState,
    ops: &mut Vec<Op>,
    out: &mut Vec<Delivered>,
    m: StoredMessage,
    attempt: u32,
    deadline_ms: i64,
    req: &ReceiveRequest,
) {
    let token = new_token();
    let op = Op::Lease {
        queue: m.queue_id,
        offset: m.queue_offset,
        token,
        attempt,
        deadline_ms,
    };
    st.apply(&op);
    ops.push(op);
    let handle = Handle {
        queue: m.queue_id,
        offset: m.queue_offset,
        token,
    };
    out.push(Delivered {
        message: MessageView::from_stored(m),
        receipt_handle: handle.encode(),
        delivery_attempt: attempt,
        invisible_until_ms: deadline_ms,
        invisible_duration: req.invisible_duration,
    });
}

fn done(st: &mut GroupTopicState, ops: &mut Vec<Op>, queue: u32, start: u64, end: u64) {
    let op = Op::Done { queue, start, end };
    st.apply(&op);
    ops.push(op);
}
