//! Settling deliveries: ack and change-invisible-duration. Both check the receipt handle
//! against the caller's own (group, topic) progress, change it, and return only once the
//! change record is durable.

use std::sync::Arc;
use std::time::Duration;

use crate::broker::{Inner, lock};
use crate::error::{BrokerError, Result};
use crate::message::{InvisibleChanged, duration_ms, now_ms};
use crate::names::{GroupRef, TopicRef, same_namespace};
use crate::progress::journal;
use crate::progress::state::{GroupTopicState, Op};
use crate::receipt::{Handle, new_token, tokens_equal};

pub(crate) const STALE: BrokerError = BrokerError::InvalidReceiptHandle {
    reason: "no delivery of this group and topic holds it (already acked, replaced by a \
             change of invisible time or a new delivery, or issued to another group, topic or \
             account)",
};

/// The in-flight handle `h` if it is the current one of its delivery in `st`.
pub(crate) fn check(st: &GroupTopicState, h: &Handle) -> Result<()> {
    match st.inflight(h.queue, h.offset) {
        Some(f) if tokens_equal(f.token, h.token) => Ok(()),
        _ => Err(STALE),
    }
}

pub(crate) async fn ack_many(
    inner: &Arc<Inner>,
    group: &GroupRef,
    topic: &TopicRef,
    handles: &[&str],
) -> Vec<Result<()>> {
    let all = |e: BrokerError| handles.iter().map(|_| Err(e.clone())).collect();
    if let Err(e) = inner
        .check_open()
        .and_then(|()| same_namespace(group, topic))
    {
        return all(e);
    }
    let key = Inner::state_key(group, topic);
    // Never create progress for a handle: an unknown (group, topic) has nothing in flight.
    let Some(sub) = inner.existing_sub(&key) else {
        return all(STALE);
    };
    let mut results: Vec<Result<()>> = Vec::with_capacity(handles.len());
    let record = {
        let mut st = lock(&sub.state);
        let mut ops = Vec::new();
        for raw in handles {
            let r = Handle::parse(raw).and_then(|h| {
                check(&st, &h)?;
                let op = Op::Done {
                    queue: h.queue,
                    start: h.offset,
                    end: h.offset.saturating_add(1),
                };
                st.apply(&op);
                ops.push(op);
                Ok(())
            });
            results.push(r);
        }
        if ops.is_empty() {
            return results;
        }
        let record = journal::append_change(&inner.store, &key, &ops);
        inner.count_record();
        record
    };
    sub.settled();
    if let Err(e) = record.await {
        let e = BrokerError::Store(e);
        for r in results.iter_mut().filter(|r| r.is_ok()) {
            *r = Err(e.clone());
        }
    }
    sub.metrics
        .acked(results.iter().filter(|r| r.is_ok()).count() as u64);
    results
}

pub(crate) async fn change_invisible(
    inner: &Arc<Inner>,
    group: &GroupRef,
    topic: &TopicRef,
    handle: &str,
    invisible: Duration,
) -> Result<InvisibleChanged> {
    inner.check_open()?;
    same_namespace(group, topic)?;
    if invisible > inner.cfg.max_invisible {
        return Err(BrokerError::IllegalInvisibleTime {
            duration_ms: invisible.as_millis(),
            reason: format!(
                "a change of invisible time allows 0 ms to {} ms",
                inner.cfg.max_invisible.as_millis()
            ),
        });
    }
    let h = Handle::parse(handle)?;
    let key = Inner::state_key(group, topic);
    let sub = inner.existing_sub(&key).ok_or(STALE)?;
    let (record, changed) = {
        let mut st = lock(&sub.state);
        check(&st, &h)?;
        let attempt = st.inflight(h.queue, h.offset).map_or(1, |f| f.attempt);
        let token = new_token();
        let deadline_ms = now_ms().saturating_add(duration_ms(invisible));
        let op = Op::Lease {
            queue: h.queue,
            offset: h.offset,
            token,
            attempt,
            deadline_ms,
        };
        st.apply(&op);
        let record = journal::append_change(&inner.store, &key, &[op]);
        inner.count_record();
        let changed = InvisibleChanged {
            receipt_handle: Handle {
                queue: h.queue,
                offset: h.offset,
                token,
            }
            .encode(),
            invisible_until_ms: deadline_ms,
        };
        (record, changed)
    };
    // The deadline may now be earlier than what waiting receivers of the group sleep until.
    sub.changed.notify_waiters();
    record.await?;
    Ok(changed)
}
