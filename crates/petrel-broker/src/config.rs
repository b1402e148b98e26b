//! Broker configuration: message limits (spec §12), receive limits, send deduplication, the
//! cadence of consumer-progress snapshots and of transaction checks.

use std::time::Duration;

/// Configuration of a [`crate::Broker`]. Defaults are the Apache RocketMQ 5 values of spec §12.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Largest body accepted (default 4 MiB). The store's `max_message_bytes` must leave room
    /// for the body plus headers and properties (about 20 KiB more).
    pub max_body_bytes: usize,
    /// Most user properties per message (default 128).
    pub max_user_properties: usize,
    /// Bytes of user property keys and values plus tag plus keys (default 16 KiB).
    pub max_properties_bytes: usize,
    /// A message group must be shorter than this many bytes (default 64).
    pub max_message_group_bytes: usize,
    /// Longest message id accepted (default 128 bytes; client ids are 34 characters).
    pub max_message_id_bytes: usize,
    /// Longest born host accepted (default 256 bytes).
    pub max_born_host_bytes: usize,
    /// How far ahead a delivery timestamp may be (default 1 day).
    pub max_delivery_delay: Duration,
    /// Largest receive batch (default 32).
    pub max_batch_size: u32,
    /// Smallest invisible duration a receive may ask for (default 10 s, as Apache).
    pub min_receive_invisible: Duration,
    /// Largest invisible duration for receive and change-invisible (default 12 h).
    pub max_invisible: Duration,
    /// How long a message id is remembered for deduplicating retried sends (default 2 min).
    /// For this long after open, a send whose id is not in memory is also looked up in the
    /// store's id index, so retries across a restart are deduplicated too.
    pub dedup_window: Duration,
    /// Most message ids remembered (default 100,000); the oldest are forgotten early beyond it.
    pub dedup_capacity: usize,
    /// Write a consumer-progress snapshot after this many progress records (default 10,000).
    pub snapshot_every_records: u64,
    /// Write a snapshot at least this often while progress changes (default 30 s).
    pub snapshot_interval: Duration,
    /// Write a snapshot at least this often even without changes (default 10 min), so the
    /// latest snapshot is never older than this and store retention cannot remove it.
    pub snapshot_max_age: Duration,
    /// Most messages a receive examines (filtered out or delivered) before answering; bounds the
    /// time a receive holds its group's progress lock (default 1,024).
    pub max_scan_per_receive: usize,
    /// How long after a transactional send its producer is first asked how the transaction
    /// ended, if it has not said (default 6 s, Apache's `transactionTimeOut`).
    pub transaction_check_delay: Duration,
    /// Between further checks (default 30 s).
    pub transaction_check_interval: Duration,
    /// Checks before an unresolved transaction is rolled back (default 15).
    pub transaction_max_checks: u32,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            max_body_bytes: 4 << 20,
            max_user_properties: 128,
            max_properties_bytes: 16 << 10,
            max_message_group_bytes: 64,
            max_message_id_bytes: 128,
            max_born_host_bytes: 256,
            max_delivery_delay: Duration::from_secs(24 * 3600),
            max_batch_size: 32,
            min_receive_invisible: Duration::from_secs(10),
            max_invisible: Duration::from_secs(12 * 3600),
            dedup_window: Duration::from_secs(120),
            dedup_capacity: 100_000,
            snapshot_every_records: 10_000,
            snapshot_interval: Duration::from_secs(30),
            snapshot_max_age: Duration::from_secs(600),
            max_scan_per_receive: 1024,
            transaction_check_delay: Duration::from_secs(6),
            transaction_check_interval: Duration::from_secs(30),
            transaction_max_checks: 15,
        }
    }
}

impl BrokerConfig {
    /// Defaults with limits that suit tests: 512 KiB bodies (fits
    /// `petrel_store::StoreConfig::for_tests`) and invisible durations from 50 ms.
    pub fn for_tests() -> Self {
        BrokerConfig {
            max_body_bytes: 512 << 10,
            min_receive_invisible: Duration::from_millis(50),
            ..BrokerConfig::default()
        }
    }
}
