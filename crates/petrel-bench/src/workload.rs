//! The kind of message a run sends — NORMAL, FIFO spread over message groups, or DELAY — and
//! what each kind means on both ends: which message groups a sending task owns, the due time
//! of a delayed message, and the per-group order check consumers apply.

use std::collections::HashMap;
use std::time::Duration;

use petrel_proto::v2;

/// What a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// NORMAL messages on round-robin queues.
    Normal,
    /// FIFO messages spread over this many message groups.
    Fifo { groups: usize },
    /// DELAY messages due this long after their send call started.
    Delay { delay: Duration },
}

impl Workload {
    /// The message type every message of the run carries (and the topic must accept).
    pub fn message_type(self) -> v2::MessageType {
        match self {
            Workload::Normal => v2::MessageType::Normal,
            Workload::Fifo { .. } => v2::MessageType::Fifo,
            Workload::Delay { .. } => v2::MessageType::Delay,
        }
    }

    /// The type's name as the report and the console print it.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Normal => "NORMAL",
            Workload::Fifo { .. } => "FIFO",
            Workload::Delay { .. } => "DELAY",
        }
    }
}

/// The name of message group `index`.
pub fn group_name(index: u32) -> String {
    format!("bench-g{index}")
}

/// The message groups sending task `task` of `tasks` sends to. Each group belongs to exactly
/// one task, whose calls follow one another, so the order a group's messages were sent in is
/// the order of their sequence numbers.
pub fn owned_groups(groups: usize, task: usize, tasks: usize) -> Vec<u32> {
    (task..groups)
        .step_by(tasks.max(1))
        .filter_map(|g| u32::try_from(g).ok())
        .collect()
}

/// When a message whose send call started at `sent_at_us` is due: `delay` later, rounded up to
/// the millisecond (the precision `delivery_timestamp` is sent with), in µs since the epoch.
pub fn due_us(sent_at_us: u64, delay: Duration) -> u64 {
    let due = sent_at_us.saturating_add(u64::try_from(delay.as_micros()).unwrap_or(u64::MAX));
    due.div_ceil(1000).saturating_mul(1000)
}

/// A protobuf timestamp of `us` µs since the epoch.
pub fn timestamp(us: u64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: i64::try_from(us / 1_000_000).unwrap_or(i64::MAX),
        nanos: i32::try_from((us % 1_000_000) * 1000).unwrap_or(0),
    }
}

/// The highest sequence number received so far in each message group.
#[derive(Debug, Default)]
pub(crate) struct GroupOrder {
    last: HashMap<u32, u64>,
}

impl GroupOrder {
    /// Records the first delivery of message `seq` of `group`; whether it came out of order
    /// (after a later message of its group).
    pub fn out_of_order(&mut self, group: u32, seq: u64) -> bool {
        match self.last.get_mut(&group) {
            Some(last) if seq < *last => true,
            Some(last) => {
                *last = seq;
                false
            }
            None => {
                self.last.insert(group, seq);
                false
            }
        }
    }

    /// Message groups with at least one delivery.
    pub fn groups(&self) -> usize {
        self.last.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_belongs_to_exactly_one_task() {
        let tasks = 3;
        let mut all: Vec<u32> = (0..tasks)
            .flat_map(|t| owned_groups(10, t, tasks))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<u32>>());
        assert_eq!(owned_groups(10, 1, 3), vec![1, 4, 7]);
    }

    #[test]
    fn due_times_round_up_to_the_millisecond() {
        let d = Duration::from_millis(1000);
        assert_eq!(due_us(5_000_000, d), 6_000_000);
        assert_eq!(due_us(5_000_001, d), 6_001_000);
        let ts = timestamp(6_001_000);
        assert_eq!((ts.seconds, ts.nanos), (6, 1_000_000));
    }

    #[test]
    fn a_message_after_a_later_one_of_its_group_is_out_of_order() {
        let mut order = GroupOrder::default();
        assert!(!order.out_of_order(1, 0));
        assert!(!order.out_of_order(2, 5));
        assert!(!order.out_of_order(1, 1));
        assert!(!order.out_of_order(1, 3));
        assert!(order.out_of_order(1, 2));
        assert!(!order.out_of_order(1, 4));
        assert_eq!(order.groups(), 2);
    }
}
