//! Deduplication of retried sends: the recent (store topic, message id) pairs and their
//! receipts, plus "pending" markers so that a retry arriving while the original is still being
//! written waits for it instead of storing the message twice.
//!
//! Entries live for `dedup_window` (and at most `dedup_capacity` of them). For `dedup_window`
//! after open, ids not found here are also looked up in the store (`send` does that), which is
//! what carries deduplication across a restart.
//!
//! Claims are taken in message-id order by every send, so two batches that share ids cannot
//! wait on each other.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::message::SendReceipt;

/// (store topic, message id).
pub(crate) type DedupKey = (Arc<str>, String);

enum Entry {
    Pending(Arc<Notify>),
    Done { receipt: SendReceipt, at: Instant },
}

#[derive(Default)]
struct Table {
    map: HashMap<DedupKey, Entry>,
    order: VecDeque<(Instant, DedupKey)>,
}

/// Outcome of [`Dedup::claim`].
pub(crate) enum Claim {
    /// Stored before: its receipt.
    Existing(SendReceipt),
    /// Another send is storing it: wait on this, then claim again.
    Wait(Arc<Notify>),
    /// The caller now owns the id and must [`Dedup::finish`] or [`Dedup::release`] it.
    Claimed,
}

pub(crate) struct Dedup {
    table: Mutex<Table>,
    window: Duration,
    capacity: usize,
    opened: Instant,
}

impl Dedup {
    pub fn new(window: Duration, capacity: usize) -> Dedup {
        Dedup {
            table: Mutex::new(Table::default()),
            window,
            capacity: capacity.max(1),
            opened: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True while ids not found in memory may still have been stored before this open.
    pub fn in_restart_window(&self) -> bool {
        self.opened.elapsed() < self.window
    }

    pub fn claim(&self, key: &DedupKey) -> Claim {
        let mut t = self.lock();
        match t.map.get(key) {
            Some(Entry::Done { receipt, at }) if at.elapsed() < self.window => {
                Claim::Existing(receipt.clone())
            }
            Some(Entry::Pending(n)) => Claim::Wait(Arc::clone(n)),
            _ => {
                t.map
                    .insert(key.clone(), Entry::Pending(Arc::new(Notify::new())));
                Claim::Claimed
            }
        }
    }

    /// Whether `key` is still being stored by someone (see [`Claim::Wait`]).
    pub fn is_pending(&self, key: &DedupKey) -> bool {
        matches!(self.lock().map.get(key), Some(Entry::Pending(_)))
    }

    /// Records the receipts of claimed ids and wakes their waiters.
    pub fn finish(&self, done: Vec<(DedupKey, SendReceipt)>) {
        let now = Instant::now();
        let mut wake = Vec::new();
        {
            let mut t = self.lock();
            for (key, receipt) in done {
                let old = t.map.insert(key.clone(), Entry::Done { receipt, at: now });
                if let Some(Entry::Pending(n)) = old {
                    wake.push(n);
                }
                t.order.push_back((now, key));
            }
            self.prune_locked(&mut t);
        }
        for n in wake {
            n.notify_waiters();
        }
    }

    /// Gives up claimed ids (the send failed) and wakes their waiters, which then claim them.
    pub fn release(&self, keys: &[DedupKey]) {
        let mut wake = Vec::new();
        {
            let mut t = self.lock();
            for key in keys {
                if let Some(Entry::Pending(_)) = t.map.get(key)
                    && let Some(Entry::Pending(n)) = t.map.remove(key)
                {
                    wake.push(n);
                }
            }
        }
        for n in wake {
            n.notify_waiters();
        }
    }

    /// Forgets entries past the window or beyond the capacity.
    pub fn prune(&self) {
        let mut t = self.lock();
        self.prune_locked(&mut t);
    }

    fn prune_locked(&self, t: &mut Table) {
        while let Some((at, _)) = t.order.front() {
            if at.elapsed() < self.window && t.order.len() <= self.capacity {
                break;
            }
            let Some((at, key)) = t.order.pop_front() else {
                break;
            };
            if matches!(t.map.get(&key), Some(Entry::Done { at: a, .. }) if *a == at) {
                t.map.remove(&key);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().map.len()
    }
}

/// Claimed ids not yet handed to the task that finishes them; released if dropped (the send
/// failed or its caller went away before storing anything).
pub(crate) struct ClaimGuard<'a> {
    dedup: &'a Dedup,
    keys: Vec<DedupKey>,
}

impl<'a> ClaimGuard<'a> {
    pub fn new(dedup: &'a Dedup) -> ClaimGuard<'a> {
        ClaimGuard {
            dedup,
            keys: Vec::new(),
        }
    }

    pub fn push(&mut self, key: DedupKey) {
        self.keys.push(key);
    }

    /// Hands the keys over; the caller now must finish or release them.
    pub fn disarm(mut self) -> Vec<DedupKey> {
        std::mem::take(&mut self.keys)
    }
}

impl Drop for ClaimGuard<'_> {
    fn drop(&mut self) {
        if !self.keys.is_empty() {
            self.dedup.release(&self.keys);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(id: &str) -> SendReceipt {
        SendReceipt {
            message_id: id.into(),
            queue_id: 0,
            queue_offset: 1,
            store_timestamp_ms: 2,
            transaction_id: None,
            recall_handle: None,
            duplicate: false,
        }
    }

    fn key(id: &str) -> DedupKey {
        ("a/i/t".into(), id.into())
    }

    #[test]
    fn claims_wait_finish_and_release() {
        let d = Dedup::new(Duration::from_secs(60), 10);
        assert!(matches!(d.claim(&key("x")), Claim::Claimed));
        assert!(matches!(d.claim(&key("x")), Claim::Wait(_)));
        assert!(d.is_pending(&key("x")));
        d.finish(vec![(key("x"), receipt("x"))]);
        assert!(matches!(d.claim(&key("x")), Claim::Existing(r) if r.queue_offset == 1));
        assert!(matches!(d.claim(&key("y")), Claim::Claimed));
        {
            let mut g = ClaimGuard::new(&d);
            g.push(key("y"));
        }
        assert!(!d.is_pending(&key("y")));
        assert!(matches!(d.claim(&key("y")), Claim::Claimed));
    }

    #[test]
    fn capacity_and_window_bound_the_table() {
        let d = Dedup::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            let id = format!("m{i}");
            assert!(matches!(d.claim(&key(&id)), Claim::Claimed));
            d.finish(vec![(key(&id), receipt(&id))]);
        }
        assert_eq!(d.len(), 3);
        let d = Dedup::new(Duration::ZERO, 3);
        assert!(!d.in_restart_window());
        assert!(matches!(d.claim(&key("z")), Claim::Claimed));
        d.finish(vec![(key("z"), receipt("z"))]);
        assert_eq!(d.len(), 0);
    }
}
