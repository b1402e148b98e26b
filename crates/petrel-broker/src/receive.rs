//! The receive path (POP semantics): choosing messages for a group under its progress lock,
//! leasing them with fresh receipt handles, retrying and dead-lettering failed deliveries,
//! persisting the changes, and long polling.
//!
//! Invisible deadlines are evaluated lazily against the wall clock: an expired delivery is
//! simply ready again, so nothing has to move it. A long-polling receiver sleeps until the
//! earliest of its poll deadline and its group's earliest in-flight deadline, and is woken
//! early by sends to the topic and by changes that move that deadline earlier.
//!
//! Retries: a delivery leased at attempt `n` is ready again once its invisible time has ended
//! **and** the group's retry policy has waited `backoff(n)` after that (no wait after the last
//! attempt). A ready delivery whose attempt was the group's last goes to the dead-letter queue
//! instead of being delivered again, in the same store batch as the progress change (see
//! `dlq`). An Orderly group on a FIFO topic takes the path of the `fifo` module.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use petrel_store::{NewMessage, ReadStatus, StoredMessage};
use tokio::time::Instant;

use crate::broker::{Inner, Sub, lock};
use crate::dlq::{self, DeadLetterReason};
use crate::error::{BrokerError, Result};
use crate::filter::Filter;
use crate::message::{Delivered, MessageView, duration_ms, now_ms};
use crate::names::{GroupRef, TopicRef, same_namespace};
use crate::progress::codec::StateKey;
use crate::progress::journal;
use crate::progress::state::{GroupTopicState, Op};
use crate::receipt::{Handle, new_token};
use crate::retry::RetryPolicy;

/// Bytes read from the store per read call.
pub(crate) const READ_BYTES: usize = 8 << 20;
/// Messages read per call while filtering.
pub(crate) const FILTER_READ: usize = 256;

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
    /// The group's retry policy: how many deliveries before the dead-letter queue, and how
    /// long an unsettled delivery waits after its invisible time before the next one.
    pub retry: RetryPolicy,
    /// Deliver the messages of each message group one at a time, in send order (an Orderly
    /// group consuming a FIFO topic).
    pub orderly: bool,
}

impl ReceiveRequest {
    /// All messages, `batch_size` at most, with the given invisible duration and poll time,
    /// the default retry policy (17 attempts, Apache's backoff table) and no ordering.
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
            retry: RetryPolicy::default(),
            orderly: false,
        }
    }
}

/// `now + d`, capped at a day ahead (a poll or an invisible deadline beyond that is treated as
/// a day; the caller re-evaluates when it wakes).
fn far(now: Instant, d: Duration) -> Instant {
    now + d.min(Duration::from_secs(24 * 3600))
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
    rt.metrics.note_spec(topic.spec());
    let key = Inner::state_key(group, topic);
    let sub = inner.sub(&key);
    if req.orderly {
        sub.orderly.store(true, Ordering::Relaxed);
    }
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
        let pass = collect(inner, &key, &sub, group, topic, req)?;
        if let Some(record) = pass.record {
            record.await?;
            sub.metrics.dead_lettered(pass.dead_lettered);
        }
        if !pass.delivered.is_empty() {
            sub.metrics.delivered(&pass.delivered);
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
        if let Some(at) = pass.next_wake {
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

/// Outcome of one pass over the group's progress.
pub(crate) struct PassOutcome {
    delivered: Vec<Delivered>,
    record: Option<petrel_store::AppendFuture>,
    /// When something may become ready (ms since the epoch).
    next_wake: Option<i64>,
    /// The pass stopped at its scan limit: look again at once.
    more: bool,
    /// Messages the record moves to the dead-letter queue.
    dead_lettered: u64,
}

/// What one pass collects under the group's progress lock: deliveries, the ops recording
/// them, and the dead letters to store with those ops.
pub(crate) struct Pass<'a> {
    pub inner: &'a Inner,
    pub group: &'a GroupRef,
    pub topic: &'a TopicRef,
    pub req: &'a ReceiveRequest,
    pub now: i64,
    pub max: usize,
    pub max_scan: usize,
    pub scanned: usize,
    pub ops: Vec<Op>,
    pub moved: Vec<NewMessage>,
    pub out: Vec<Delivered>,
    /// Earliest lease deadline given out by this pass.
    pub earliest_lease: Option<i64>,
}

impl Pass<'_> {
    pub fn full(&self) -> bool {
        self.out.len() >= self.max
    }

    /// Leases `m` to the receiver at `attempt` with a fresh token. It is ready again after its
    /// invisible time plus the retry wait for this attempt.
    pub fn lease(&mut self, st: &mut GroupTopicState, m: StoredMessage, attempt: u32) {
        let token = new_token();
        let visible_at = self
            .now
            .saturating_add(duration_ms(self.req.invisible_duration));
        let deadline_ms =
            visible_at.saturating_add(duration_ms(self.req.retry.retry_delay(attempt)));
        let op = Op::Lease {
            queue: m.queue_id,
            offset: m.queue_offset,
            token,
            attempt,
            deadline_ms,
        };
        st.apply(&op);
        self.ops.push(op);
        self.earliest_lease = Some(
            self.earliest_lease
                .map_or(deadline_ms, |e| e.min(deadline_ms)),
        );
        let handle = Handle {
            queue: m.queue_id,
            offset: m.queue_offset,
            token,
        };
        self.out.push(Delivered {
            message: MessageView::from_stored(m),
            receipt_handle: handle.encode(),
            delivery_attempt: attempt,
            invisible_until_ms: visible_at,
            invisible_duration: self.req.invisible_duration,
        });
    }

    /// Marks `[start, end)` of `queue` finished.
    pub fn done(&mut self, st: &mut GroupTopicState, queue: u32, start: u64, end: u64) {
        let op = Op::Done { queue, start, end };
        st.apply(&op);
        self.ops.push(op);
    }

    /// Delivers a ready message again (`previous` attempts so far), or moves it to the
    /// dead-letter queue when its last attempt has failed. Returns whether it was delivered.
    pub fn retry(&mut self, st: &mut GroupTopicState, m: StoredMessage, previous: u32) -> bool {
        if !self.req.filter.matches(&m) {
            self.done(st, m.queue_id, m.queue_offset, m.queue_offset + 1);
            return false;
        }
        let attempt = previous.saturating_add(1);
        if attempt > self.req.retry.attempts() {
            let (q, o) = (m.queue_id, m.queue_offset);
            self.moved.push(dlq::dead_letter(
                self.group,
                &m,
                previous,
                DeadLetterReason::MaxAttempts,
                self.now,
            ));
            self.done(st, q, o, o + 1);
            tracing::debug!(
                group = self.group.name(),
                topic = self.topic.name(),
                message_id = %m.msg_id,
                attempts = previous,
                "message moved to the dead-letter queue"
            );
            return false;
        }
        self.lease(st, m, attempt);
        true
    }
}

/// The message at `queue`/`offset`, if the store still has it.
pub(crate) fn read_one(
    inner: &Inner,
    topic: &TopicRef,
    queue: u32,
    offset: u64,
) -> Result<Option<StoredMessage>> {
    let batch = inner
        .store
        .read(topic.store_topic(), queue, offset, 1, READ_BYTES)?;
    Ok(batch
        .messages
        .into_iter()
        .next()
        .filter(|m| m.queue_offset == offset))
}

/// The queues a receive reads, rotating the starting queue over calls for fairness.
pub(crate) fn queues(st: &mut GroupTopicState, topic: &TopicRef, only: Option<u32>) -> Vec<u32> {
    let count = topic.spec().queue_count;
    match only {
        Some(q) => vec![q],
        None => {
            let start = st.next_queue % count;
            st.next_queue = (start + 1) % count;
            (0..count).map(|i| (start + i) % count).collect()
        }
    }
}

/// Chooses, leases and records messages for one pass, under the group's progress lock.
fn collect(
    inner: &Inner,
    key: &StateKey,
    sub: &Sub,
    group: &GroupRef,
    topic: &TopicRef,
    req: &ReceiveRequest,
) -> Result<PassOutcome> {
    let max = req.batch_size as usize;
    let mut pass = Pass {
        inner,
        group,
        topic,
        req,
        now: now_ms(),
        max,
        max_scan: inner.cfg.max_scan_per_receive.max(max),
        scanned: 0,
        ops: Vec::new(),
        moved: Vec::new(),
        out: Vec::new(),
        earliest_lease: None,
    };
    let mut st = lock(&sub.state);
    let earliest_before = st.next_expiry();
    let (next_wake, more) = if req.orderly {
        crate::fifo::collect_orderly(&mut pass, &mut st)?
    } else {
        collect_concurrently(&mut pass, &mut st)?
    };
    let dead_lettered = pass.moved.len() as u64;
    let record = if pass.ops.is_empty() {
        None
    } else {
        let moved = std::mem::take(&mut pass.moved);
        let record = journal::append_change_with(&inner.store, key, &pass.ops, moved);
        inner.count_record();
        Some(record)
    };
    drop(st);
    // Other receivers of the group sleep until the earliest deadline they saw.
    if let Some(lease) = pass.earliest_lease
        && earliest_before.is_none_or(|b| lease < b)
    {
        sub.changed.notify_waiters();
    }
    Ok(PassOutcome {
        delivered: pass.out,
        record,
        next_wake,
        more,
        dead_lettered,
    })
}

/// The concurrent path: ready deliveries first (earliest deadline first), then messages never
/// delivered to the group, one queue after another.
fn collect_concurrently(
    pass: &mut Pass<'_>,
    st: &mut GroupTopicState,
) -> Result<(Option<i64>, bool)> {
    let store = &pass.inner.store;
    let store_topic = pass.topic.store_topic();
    let mut dead_lettered = false;

    // 1. Deliveries whose invisible time (and retry wait) ended.
    for (q, offset) in st.expired(pass.now, pass.max, pass.req.queue_id) {
        let previous = st.inflight(q, offset).map_or(0, |f| f.attempt);
        pass.scanned += 1;
        match read_one(pass.inner, pass.topic, q, offset)? {
            Some(m) => {
                if !pass.retry(st, m, previous) {
                    dead_lettered = true;
                }
            }
            // Removed by retention meanwhile: nothing left to deliver.
            None => pass.done(st, q, offset, offset + 1),
        }
    }

    // 2. Messages never delivered to the group.
    for q in queues(st, pass.topic, pass.req.queue_id) {
        let (min, mut max_offset) = store.queue_offsets(store_topic, q);
        let mut from = st.queue_at(q, min, max_offset).frontier;
        while !pass.full() && pass.scanned < pass.max_scan && from < max_offset {
            let want = match pass.req.filter {
                Filter::All => pass.max - pass.out.len(),
                _ => (pass.max_scan - pass.scanned).min(FILTER_READ),
            };
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
                pass.scanned += 1;
                let offset = m.queue_offset;
                if pass.req.filter.matches(&m) {
                    if let Some((s, e)) = skipped.take() {
                        pass.done(st, q, s, e);
                    }
                    pass.lease(st, m, 1);
                    if pass.full() {
                        break;
                    }
                } else {
                    skipped = Some(skipped.map_or((offset, offset + 1), |(s, _)| (s, offset + 1)));
                }
            }
            if let Some((s, e)) = skipped {
                pass.done(st, q, s, e);
            }
            from = st.queue_at(q, min, max_offset).frontier;
        }
        if pass.full() || pass.scanned >= pass.max_scan {
            break;
        }
    }

    let more = !pass.full() && (pass.scanned >= pass.max_scan || dead_lettered);
    Ok((st.next_expiry(), more))
}
