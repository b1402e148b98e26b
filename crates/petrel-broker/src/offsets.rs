//! Operator control of consumer progress: resetting a group's offset on a topic (to the end,
//! or to the first message stored at or after a time), and the store time of the oldest
//! message a group has not finished (for lag).
//!
//! A reset is one progress record of `Reset` ops (one per queue) written under the group's
//! progress lock like any other change, so it is durable when it returns and survives a
//! restart; deliveries in flight at the time become stale (their acks are refused).

use std::sync::Arc;

use petrel_store::ReadStatus;

use crate::broker::{Inner, lock};
use crate::error::Result;
use crate::names::{GroupRef, TopicRef, same_namespace};
use crate::progress::journal;
use crate::progress::state::Op;

/// Where a reset moves a group's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    /// After the newest message: only messages stored from now on are delivered.
    Latest,
    /// To the first message stored at or after this time (ms since the epoch); earlier ones
    /// count as consumed, later ones (also already acked ones) are delivered again.
    Timestamp(i64),
}

/// Where a reset put one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueReset {
    /// Queue id.
    pub queue_id: u32,
    /// The group's new consume offset in that queue.
    pub offset: u64,
}

pub(crate) async fn reset(
    inner: &Arc<Inner>,
    group: &GroupRef,
    topic: &TopicRef,
    target: ResetTarget,
) -> Result<Vec<QueueReset>> {
    inner.check_open()?;
    same_namespace(group, topic)?;
    let store_topic = topic.store_topic();
    let key = Inner::state_key(group, topic);
    let sub = inner.sub(&key);
    let (record, out) = {
        let mut st = lock(&sub.state);
        let mut ops = Vec::new();
        let mut out = Vec::new();
        for q in 0..topic.spec().queue_count {
            let (min, max) = inner.store.queue_offsets(store_topic, q);
            let offset = match target {
                ResetTarget::Latest => max,
                ResetTarget::Timestamp(ms) => inner
                    .store
                    .lookup_offset_by_time(store_topic, q, ms)?
                    .clamp(min, max),
            };
            ops.push(Op::Reset { queue: q, offset });
            out.push(QueueReset {
                queue_id: q,
                offset,
            });
        }
        for op in &ops {
            st.apply(op);
        }
        let record = journal::append_change(&inner.store, &key, &ops);
        inner.count_record();
        (record, out)
    };
    // Receivers waiting for a deadline may now have messages ready at once (a rewind).
    sub.changed.notify_waiters();
    inner.topic_rt(topic.key()).arrived.notify_waiters();
    record.await?;
    Ok(out)
}

/// The store time of the message at `offset` of `queue`; `None` if it cannot be read (gone,
/// or beyond the end).
pub(crate) fn store_time(inner: &Inner, topic: &TopicRef, queue: u32, offset: u64) -> Option<i64> {
    match inner.store.read(topic.store_topic(), queue, offset, 1, 1) {
        Ok(batch) if batch.status == ReadStatus::Found => batch
            .messages
            .first()
            .filter(|m| m.queue_offset == offset)
            .map(|m| m.store_ms),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, queue, offset, "reading a store time for lag failed");
            None
        }
    }
}
