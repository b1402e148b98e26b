//! In-memory consumer progress of one (group, topic): per queue the consume offset, the
//! delivery frontier, the finished offsets above the consume offset and the in-flight
//! deliveries; plus an index of in-flight deadlines.
//!
//! Invariant per queue: `consume <= frontier`, and every offset in `[consume, frontier)` is
//! either finished (acked or filtered out) or in flight (a token, an attempt count and a
//! wall-clock deadline; past the deadline it is ready to be delivered again). Offsets at or
//! above the frontier have never been delivered to the group.
//!
//! Every change is an [`Op`], applied by [`GroupTopicState::apply`] both live and when progress
//! records are replayed at open. Ops are idempotent and only the last op touching an offset
//! decides its state, which is what lets a snapshot be taken without stopping the world (see
//! `progress::journal`).

use std::collections::{BTreeMap, BTreeSet};

use crate::progress::ranges::RangeSet;

/// One change of consumer progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `offset` is in flight with `token` until `deadline_ms` (delivery `attempt`).
    Lease {
        queue: u32,
        offset: u64,
        token: u128,
        attempt: u32,
        deadline_ms: i64,
    },
    /// Offsets `[start, end)` are finished: acked, filtered out, dead-lettered or gone from
    /// the store.
    Done { queue: u32, start: u64, end: u64 },
    /// `offset`, delivered before, is to be delivered again as if never delivered (a dead
    /// letter re-sent to its group).
    Reopen { queue: u32, offset: u64 },
    /// The group's progress on `queue` restarts at `offset` (an offset reset): everything below
    /// counts as finished, nothing at or above it as delivered, in-flight handles go stale.
    /// Replaying it wipes whatever the ops before it did to the queue, so it is idempotent.
    Reset { queue: u32, offset: u64 },
}

/// A delivery awaiting its ack.
///
/// Token 0 (no receipt handle is valid) with attempt 0 marks an offset below the frontier
/// that was never delivered: a FIFO message held back behind an earlier message of its message
/// group, or a re-sent dead letter. Such entries are ready at once (deadline 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InFlight {
    pub token: u128,
    pub attempt: u32,
    /// When the message is ready again: the end of its invisible time plus the retry
    /// policy's wait.
    pub deadline_ms: i64,
}

impl InFlight {
    /// Held back or re-sent, never delivered since.
    pub const PENDING: InFlight = InFlight {
        token: 0,
        attempt: 0,
        deadline_ms: 0,
    };
}

/// Progress of one queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueueProgress {
    pub consume: u64,
    pub frontier: u64,
    pub done: RangeSet,
    pub inflight: BTreeMap<u64, InFlight>,
}

impl QueueProgress {
    pub fn starting_at(offset: u64) -> QueueProgress {
        QueueProgress {
            consume: offset,
            frontier: offset,
            ..QueueProgress::default()
        }
    }

    fn advance(&mut self) {
        while let Some(end) = self.done.take_run_at(self.consume) {
            self.consume = end;
        }
    }
}

/// Removes the in-flight entries of `q` in `range`, with their deadlines.
fn drop_inflight(
    expiries: &mut BTreeSet<(i64, u32, u64)>,
    queue: u32,
    q: &mut QueueProgress,
    range: std::ops::Range<u64>,
) {
    let gone: Vec<(u64, i64)> = q
        .inflight
        .range(range)
        .map(|(&o, f)| (o, f.deadline_ms))
        .collect();
    for (offset, deadline) in gone {
        q.inflight.remove(&offset);
        expiries.remove(&(deadline, queue, offset));
    }
}

/// Progress of one (group, topic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GroupTopicState {
    pub queues: BTreeMap<u32, QueueProgress>,
    expiries: BTreeSet<(i64, u32, u64)>,
    /// Queue a receive over all queues starts with (rotates for fairness).
    pub next_queue: u32,
    /// Message groups of in-flight offsets (FIFO consumption only; rebuilt from the store).
    pub fifo_groups: crate::fifo::GroupCache,
}

impl GroupTopicState {
    /// Applies one op. Ops about offsets already below the consume offset or already finished
    /// are ignored, so replaying an op a snapshot already reflects changes nothing.
    pub fn apply(&mut self, op: &Op) {
        match *op {
            Op::Lease {
                queue,
                offset,
                token,
                attempt,
                deadline_ms,
            } => {
                let q = self
                    .queues
                    .entry(queue)
                    .or_insert_with(|| QueueProgress::starting_at(offset));
                if offset < q.consume || q.done.contains(offset) {
                    return;
                }
                let entry = InFlight {
                    token,
                    attempt,
                    deadline_ms,
                };
                if let Some(old) = q.inflight.insert(offset, entry) {
                    self.expiries.remove(&(old.deadline_ms, queue, offset));
                }
                self.expiries.insert((deadline_ms, queue, offset));
                q.frontier = q.frontier.max(offset.saturating_add(1));
            }
            Op::Done { queue, start, end } => {
                let q = self
                    .queues
                    .entry(queue)
                    .or_insert_with(|| QueueProgress::starting_at(start));
                let start = start.max(q.consume);
                if start >= end {
                    return;
                }
                drop_inflight(&mut self.expiries, queue, q, start..end);
                q.done.insert(start, end);
                q.frontier = q.frontier.max(end);
                q.advance();
            }
            Op::Reopen { queue, offset } => {
                let Some(q) = self.queues.get_mut(&queue) else {
                    return;
                };
                if offset >= q.frontier {
                    // Never delivered to the group: it will be, nothing to reopen.
                    return;
                }
                if offset < q.consume {
                    // Everything between was finished; keep it so below the new consume offset.
                    q.done.insert(offset + 1, q.consume);
                    q.consume = offset;
                } else {
                    q.done.remove(offset);
                }
                self.set_pending(queue, offset);
            }
            Op::Reset { queue, offset } => {
                let q = self.queues.entry(queue).or_default();
                drop_inflight(&mut self.expiries, queue, q, 0..u64::MAX);
                *q = QueueProgress::starting_at(offset);
            }
        }
    }

    /// Marks `offset` of `queue` as held back (in memory only; see [`InFlight::PENDING`]).
    pub fn set_pending(&mut self, queue: u32, offset: u64) {
        let Some(q) = self.queues.get_mut(&queue) else {
            return;
        };
        if let Some(old) = q.inflight.insert(offset, InFlight::PENDING) {
            self.expiries.remove(&(old.deadline_ms, queue, offset));
        }
        self.expiries.insert((0, queue, offset));
        q.frontier = q.frontier.max(offset.saturating_add(1));
    }

    /// Marks every offset of `[consume, frontier)` that is neither finished nor in flight as
    /// held back. Held-back FIFO messages are not recorded (a receive would write a record per
    /// message it skips); after a restart they are exactly these gaps.
    pub fn fill_gaps(&mut self) {
        let mut gaps: Vec<(u32, u64)> = Vec::new();
        for (&id, q) in &self.queues {
            let mut x = q.consume;
            while x < q.frontier {
                if let Some(end) = q.done.end_of_range_containing(x) {
                    x = end;
                    continue;
                }
                if !q.inflight.contains_key(&x) {
                    gaps.push((id, x));
                }
                x += 1;
            }
        }
        for (queue, offset) in gaps {
            self.set_pending(queue, offset);
        }
    }

    /// The progress of `queue`, created at `min` (new groups start at the earliest available
    /// offset) and brought within the store's current `[min, max]`.
    pub fn queue_at(&mut self, queue: u32, min: u64, max: u64) -> &mut QueueProgress {
        let q = self
            .queues
            .entry(queue)
            .or_insert_with(|| QueueProgress::starting_at(min));
        if q.consume < min {
            // Retention removed messages the group had not finished.
            drop_inflight(&mut self.expiries, queue, q, 0..min);
            q.done.remove_below(min);
            q.consume = min;
            q.frontier = q.frontier.max(min);
            q.advance();
        }
        if q.frontier > max {
            // The store has fewer messages than the group saw: only possible if the log lost
            // data it had acknowledged. Forget the progress beyond it rather than skip new
            // messages that will reuse those offsets.
            tracing::warn!(
                queue,
                frontier = q.frontier,
                max,
                "consumer progress is ahead of the queue; truncating it"
            );
            drop_inflight(&mut self.expiries, queue, q, max..u64::MAX);
            q.done.remove_from(max);
            q.frontier = max;
            q.consume = q.consume.min(max);
        }
        q
    }

    /// The in-flight entry at `queue`/`offset`.
    pub fn inflight(&self, queue: u32, offset: u64) -> Option<&InFlight> {
        self.queues.get(&queue)?.inflight.get(&offset)
    }

    /// Earliest in-flight deadline.
    pub fn next_expiry(&self) -> Option<i64> {
        self.expiries.first().map(|e| e.0)
    }

    /// In-flight deliveries whose deadline has passed, earliest first, at most `limit`,
    /// restricted to `only_queue` when given.
    pub fn expired(&self, now_ms: i64, limit: usize, only_queue: Option<u32>) -> Vec<(u32, u64)> {
        self.expiries
            .iter()
            .take_while(|e| e.0 <= now_ms)
            .filter(|e| only_queue.is_none_or(|q| q == e.1))
            .take(limit)
            .map(|e| (e.1, e.2))
            .collect()
    }

    /// Rebuilds the deadline index (after a snapshot is loaded).
    pub fn reindex(&mut self) {
        self.expiries = self
            .queues
            .iter()
            .flat_map(|(&q, p)| p.inflight.iter().map(move |(&o, f)| (f.deadline_ms, q, o)))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(offset: u64, token: u128, deadline_ms: i64) -> Op {
        Op::Lease {
            queue: 0,
            offset,
            token,
            attempt: 1,
            deadline_ms,
        }
    }

    fn done(start: u64, end: u64) -> Op {
        Op::Done {
            queue: 0,
            start,
            end,
        }
    }

    #[test]
    fn acks_advance_the_consume_offset_over_finished_runs() {
        let mut s = GroupTopicState::default();
        s.queue_at(0, 0, 10);
        for o in 0..4 {
            s.apply(&lease(o, 10 + o as u128, 100));
        }
        s.apply(&done(1, 2));
        s.apply(&done(3, 4));
        assert_eq!(s.queues[&0].consume, 0);
        s.apply(&done(0, 1));
        assert_eq!(s.queues[&0].consume, 2);
        assert_eq!(s.queues[&0].frontier, 4);
        assert_eq!(s.expired(1000, 10, None), vec![(0, 2)]);
        s.apply(&done(2, 3));
        assert_eq!(s.queues[&0].consume, 4);
        assert_eq!(s.next_expiry(), None);
    }

    #[test]
    fn replaying_ops_twice_or_stale_ops_changes_nothing() {
        let ops = [
            lease(0, 1, 50),
            lease(1, 2, 60),
            done(0, 1),
            lease(1, 3, 90),
        ];
        let mut once = GroupTopicState::default();
        for op in &ops {
            once.apply(op);
        }
        let mut twice = once.clone();
        for op in &ops {
            twice.apply(op);
        }
        // Replaying the same history keeps the state (the last op per offset wins).
        assert_eq!(once.queues, twice.queues);
        assert_eq!(once.inflight(0, 1).map(|f| f.token), Some(3));
        assert_eq!(once.inflight(0, 0), None);
    }

    #[test]
    fn reopen_brings_a_finished_offset_back_as_never_delivered() {
        let mut s = GroupTopicState::default();
        s.queue_at(0, 0, 10);
        for o in 0..3 {
            s.apply(&lease(o, 10 + o as u128, 100));
        }
        s.apply(&done(0, 3));
        assert_eq!(s.queues[&0].consume, 3);
        s.apply(&Op::Reopen {
            queue: 0,
            offset: 1,
        });
        let q = &s.queues[&0];
        assert_eq!((q.consume, q.frontier), (1, 3));
        assert!(q.done.contains(2));
        assert_eq!(s.inflight(0, 1), Some(&InFlight::PENDING));
        assert_eq!(s.expired(0, 10, None), vec![(0, 1)]);
        // Beyond the frontier there is nothing to reopen.
        s.apply(&Op::Reopen {
            queue: 0,
            offset: 7,
        });
        assert_eq!(s.inflight(0, 7), None);
        s.apply(&done(1, 2));
        assert_eq!(s.queues[&0].consume, 3);
    }

    #[test]
    fn reset_restarts_a_queue_and_replays_idempotently() {
        let mut s = GroupTopicState::default();
        s.queue_at(0, 0, 10);
        s.apply(&lease(0, 1, 50));
        s.apply(&lease(1, 2, 60));
        s.apply(&done(0, 1));
        let reset = Op::Reset {
            queue: 0,
            offset: 7,
        };
        s.apply(&reset);
        let q = &s.queues[&0];
        assert_eq!((q.consume, q.frontier), (7, 7));
        assert!(q.inflight.is_empty());
        assert_eq!(s.next_expiry(), None);
        s.apply(&lease(7, 3, 70));
        // A snapshot that already holds the reset and the lease after it, replayed again.
        let mut replayed = s.clone();
        replayed.apply(&reset);
        replayed.apply(&lease(7, 3, 70));
        assert_eq!(replayed.queues, s.queues);
        // Stale ops from before the reset (acks of old handles) change nothing.
        s.apply(&done(1, 2));
        assert_eq!(s.queues[&0].consume, 7);
        // Rewinding works too.
        s.apply(&Op::Reset {
            queue: 0,
            offset: 2,
        });
        assert_eq!((s.queues[&0].consume, s.queues[&0].frontier), (2, 2));
    }

    #[test]
    fn gaps_below_the_frontier_become_pending() {
        let mut s = GroupTopicState::default();
        s.queue_at(0, 0, 10);
        s.apply(&lease(1, 5, 100));
        s.apply(&done(3, 4));
        s.apply(&lease(5, 6, 100));
        s.fill_gaps();
        let pending: Vec<u64> = s.queues[&0]
            .inflight
            .iter()
            .filter(|(_, f)| f.token == 0)
            .map(|(o, _)| *o)
            .collect();
        assert_eq!(pending, vec![0, 2, 4]);
    }

    #[test]
    fn retention_and_truncation_clamp_progress() {
        let mut s = GroupTopicState::default();
        s.queue_at(0, 0, 10);
        s.apply(&lease(0, 1, 5));
        s.apply(&lease(1, 2, 5));
        s.apply(&done(1, 2));
        let q = s.queue_at(0, 1, 10);
        assert_eq!((q.consume, q.frontier), (2, 2));
        assert_eq!(s.next_expiry(), None);
        s.apply(&lease(2, 3, 5));
        s.apply(&lease(3, 4, 5));
        let q = s.queue_at(0, 1, 3);
        assert_eq!((q.consume, q.frontier), (2, 3));
        assert_eq!(s.expired(10, 10, None), vec![(0, 2)]);
    }
}
