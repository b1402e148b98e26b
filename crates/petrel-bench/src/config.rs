//! What a bench run does: where it connects, as whom, the load shape and when it stops; and
//! the checks that turn a bad combination into a clear error before anything connects.

use std::time::Duration;

use crate::body;
use crate::error::BenchError;
use crate::workload::Workload;

/// Longest delay of a DELAY run.
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

/// Largest body the broker accepts by default (4 MiB); larger sizes would only measure refusals.
pub const MAX_MESSAGE_SIZE: usize = 4 << 20;

/// Most messages in one SendMessage call (the broker takes any count; this bounds memory).
pub const MAX_BATCH_SIZE: usize = 1024;

/// Most concurrent SendMessage calls per producer.
pub const MAX_INFLIGHT: usize = 4096;

/// Most producers or consumers in one run (each holds its own connection).
pub const MAX_CLIENTS: usize = 1024;

/// When the measured phase ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Send for this long after the warm-up.
    Duration(Duration),
    /// Send this many messages after the warm-up (all producers together).
    Count(u64),
}

/// An AccessKey pair; the secret is never printed.
#[derive(Clone)]
pub struct Credentials {
    /// AccessKey id.
    pub access_key_id: String,
    /// AccessKey secret.
    pub access_key_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .finish()
    }
}

/// One bench run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// `HOST:PORT` of the gRPC port of `petrel serve`.
    pub endpoint: String,
    /// Every call is signed with this key (MQv2-HMAC-SHA1).
    pub credentials: Credentials,
    /// Instance id sent as `x-mq-namespace` and in every resource; the server finds the one
    /// instance holding the topic when absent.
    pub namespace: Option<String>,
    /// Topic sent to and consumed from.
    pub topic: String,
    /// Consumer group; needed when `consumers > 0`.
    pub group: Option<String>,
    /// Producer clients, each with its own connection.
    pub producers: usize,
    /// Simple-consumer clients, each with its own connection.
    pub consumers: usize,
    /// Body size in bytes (the first bytes carry the run id and the send time).
    pub message_size: usize,
    /// Messages per SendMessage call.
    pub batch_size: usize,
    /// Outstanding SendMessage calls per producer.
    pub inflight: usize,
    /// When sending stops.
    pub limit: Limit,
    /// Load before measuring; nothing sent in it is counted.
    pub warmup: Duration,
    /// Target send rate of all producers together, messages per second (`None`: as fast as
    /// the calls in flight allow). Each sending task then starts its calls on a fixed schedule
    /// and a call's latency counts from its scheduled start, so a server that falls behind
    /// shows it in the percentiles instead of slowing the load down.
    pub rate: Option<f64>,
    /// Draw a live progress bar on standard error (only when it is a terminal).
    pub progress: bool,
    /// After sending ends, how long consumers may go without a new message of this run before
    /// the missing ones are reported as such (a DELAY run adds its delay).
    pub drain_timeout: Duration,
    /// Send FIFO messages spread over this many message groups (the topic must be FIFO, the
    /// consumer group orderly); consumers check the order within each group.
    pub message_groups: Option<usize>,
    /// Send DELAY messages due this long after their send call started (the topic must be
    /// DELAY); consumers measure how late each arrives.
    pub delay: Option<Duration>,
}

impl BenchConfig {
    /// A run of `limit` against `endpoint` with one producer, no consumers, 1 KiB bodies,
    /// batch 1, one call in flight, no warm-up.
    pub fn new(
        endpoint: impl Into<String>,
        credentials: Credentials,
        topic: impl Into<String>,
        limit: Limit,
    ) -> BenchConfig {
        BenchConfig {
            endpoint: endpoint.into(),
            credentials,
            namespace: None,
            topic: topic.into(),
            group: None,
            producers: 1,
            consumers: 0,
            message_size: 1024,
            batch_size: 1,
            inflight: 1,
            limit,
            warmup: Duration::ZERO,
            rate: None,
            progress: false,
            drain_timeout: Duration::from_secs(10),
            message_groups: None,
            delay: None,
        }
    }

    /// What the run sends.
    pub fn workload(&self) -> Workload {
        match (self.message_groups, self.delay) {
            (Some(groups), _) => Workload::Fifo { groups },
            (None, Some(delay)) => Workload::Delay { delay },
            (None, None) => Workload::Normal,
        }
    }

    /// With a target rate, how often each of the `producers × inflight` sending tasks starts a
    /// call.
    pub fn pace(&self) -> Option<Duration> {
        let tasks = self.producers.saturating_mul(self.inflight);
        #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
        let per_call = (self.batch_size as f64) * (tasks as f64);
        self.rate
            .and_then(|rate| Duration::try_from_secs_f64(per_call / rate).ok())
    }

    /// Checks every setting; the error names the offending option and value.
    pub fn validate(&self) -> Result<(), BenchError> {
        let invalid = |option: &'static str, reason: String| {
            Err(BenchError::InvalidOption { option, reason })
        };
        if self.endpoint.trim().is_empty() || !self.endpoint.contains(':') {
            return invalid("endpoint", format!("`{}` is not HOST:PORT", self.endpoint));
        }
        if self.credentials.access_key_id.trim().is_empty() {
            return invalid(
                "ak",
                "no AccessKey id: pass --ak or set PETREL_ACCESS_KEY_ID".to_owned(),
            );
        }
        if self.credentials.access_key_secret.is_empty() {
            return invalid(
                "sk",
                "no AccessKey secret: pass --sk or set PETREL_ACCESS_KEY_SECRET".to_owned(),
            );
        }
        if self.topic.trim().is_empty() {
            return invalid("topic", "the topic name is empty".to_owned());
        }
        if self.producers == 0 && self.consumers == 0 {
            return invalid(
                "producers",
                "nothing to do: both --producers and --consumers are 0".to_owned(),
            );
        }
        if self.producers > MAX_CLIENTS || self.consumers > MAX_CLIENTS {
            return invalid(
                "producers",
                format!(
                    "{} producers and {} consumers: at most {MAX_CLIENTS} each",
                    self.producers, self.consumers
                ),
            );
        }
        if self.consumers > 0 && self.group.as_deref().is_none_or(|g| g.trim().is_empty()) {
            return invalid(
                "group",
                format!("{} consumers need a consumer group", self.consumers),
            );
        }
        if self.producers == 0 && matches!(self.limit, Limit::Count(_)) {
            return invalid(
                "count",
                "--count counts sent messages, but --producers is 0".to_owned(),
            );
        }
        if self.message_size < body::HEADER_LEN || self.message_size > MAX_MESSAGE_SIZE {
            return invalid(
                "message-size",
                format!(
                    "{} bytes: must be {} to {MAX_MESSAGE_SIZE} (the body carries a {}-byte \
                     header with the send time)",
                    self.message_size,
                    body::HEADER_LEN,
                    body::HEADER_LEN
                ),
            );
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return invalid(
                "batch-size",
                format!("{}: must be 1 to {MAX_BATCH_SIZE}", self.batch_size),
            );
        }
        if self.inflight == 0 || self.inflight > MAX_INFLIGHT {
            return invalid(
                "inflight",
                format!("{}: must be 1 to {MAX_INFLIGHT}", self.inflight),
            );
        }
        if let Some(rate) = self.rate
            && !(rate.is_finite() && rate > 0.0 && rate <= 1e9)
        {
            return invalid(
                "rate",
                format!("{rate} messages per second: must be more than 0"),
            );
        }
        if let (Some(_), Some(_)) = (self.message_groups, self.delay) {
            return invalid(
                "message-groups",
                "--message-groups (FIFO) and --delay-ms (DELAY) exclude each other".to_owned(),
            );
        }
        let tasks = self.producers.saturating_mul(self.inflight);
        if let Some(groups) = self.message_groups
            && (groups == 0 || groups < tasks || u32::try_from(groups).is_err())
        {
            return invalid(
                "message-groups",
                format!(
                    "{groups}: must be at least producers × inflight ({tasks}), so each message \
                     group is sent by one task in order"
                ),
            );
        }
        if let Some(delay) = self.delay
            && (delay.is_zero() || delay > MAX_DELAY)
        {
            return invalid(
                "delay-ms",
                format!(
                    "{} ms: must be 1 to {} ms",
                    delay.as_millis(),
                    MAX_DELAY.as_millis()
                ),
            );
        }
        match self.limit {
            Limit::Duration(d) if d.is_zero() => {
                return invalid("duration", "must be more than 0 seconds".to_owned());
            }
            Limit::Count(0) => return invalid("count", "must be at least 1".to_owned()),
            _ => {}
        }
        Ok(())
    }
}
