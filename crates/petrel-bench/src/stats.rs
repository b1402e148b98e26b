//! Counting: live counters the progress bar reads, per-task tallies (with latency histograms)
//! merged at the end, and every failed call or entry by call and code.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;
use petrel_proto::v2;
use serde::Serialize;

use crate::error::BenchError;

/// An empty latency histogram: 1 µs to one hour, three significant digits. Tallies copy its
/// shape with [`Histogram::new_from`].
pub fn histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .map_err(|e| BenchError::Task(format!("cannot create a latency histogram: {e:?}")))
}

/// Counters updated as calls complete, read by the progress bar.
#[derive(Debug, Default)]
pub struct Live {
    /// Messages acknowledged by SendMessage, warm-up included.
    pub sent_any: AtomicU64,
    /// Messages acknowledged by SendMessage in the measured phase.
    pub sent: AtomicU64,
    /// Messages whose send failed in the measured phase.
    pub failed: AtomicU64,
    /// Messages of this run's measured phase received (first delivery only).
    pub received: AtomicU64,
    /// Messages received of any kind.
    pub received_any: AtomicU64,
    /// Failures of any call.
    pub errors: AtomicU64,
}

impl Live {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// The RPCs a bench client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    QueryRoute,
    Heartbeat,
    SendMessage,
    ReceiveMessage,
    AckMessage,
    NotifyClientTermination,
}

impl Call {
    pub fn name(self) -> &'static str {
        match self {
            Call::QueryRoute => "QueryRoute",
            Call::Heartbeat => "Heartbeat",
            Call::SendMessage => "SendMessage",
            Call::ReceiveMessage => "ReceiveMessage",
            Call::AckMessage => "AckMessage",
            Call::NotifyClientTermination => "NotifyClientTermination",
        }
    }
}

/// Failures counted under one call and code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorCount {
    /// The RPC.
    pub call: &'static str,
    /// The RocketMQ code name (`UNAUTHORIZED`), `grpc:<code>` for a transport failure, or
    /// `PROTOCOL` for an answer that breaks the protocol.
    pub code: String,
    /// The RocketMQ code number, or the gRPC status number for transport failures.
    pub number: i32,
    /// How many: messages for SendMessage, entries for AckMessage, calls otherwise.
    pub count: u64,
    /// The first message the server gave.
    pub example: String,
}

/// Call, code name, code number.
type ErrorKey = (Call, String, i32);

/// Every failure of the run: count and first message per key.
#[derive(Debug, Default)]
pub struct Errors {
    map: Mutex<BTreeMap<ErrorKey, (u64, String)>>,
}

/// The name of a RocketMQ code.
pub fn code_name(code: i32) -> String {
    v2::Code::try_from(code).map_or_else(|_| format!("CODE_{code}"), |c| c.as_str_name().to_owned())
}

impl Errors {
    fn add(&self, live: &Live, call: Call, code: String, number: i32, n: u64, example: &str) {
        if n == 0 {
            return;
        }
        Live::add(&live.errors, n);
        // A poisoned map still holds valid counts.
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map
            .entry((call, code, number))
            .or_insert_with(|| (0, example.chars().take(300).collect()));
        entry.0 += n;
    }

    /// `n` failures answered with `status` in the response.
    pub fn status(&self, live: &Live, call: Call, status: &v2::Status, n: u64) {
        self.add(
            live,
            call,
            code_name(status.code),
            status.code,
            n,
            &status.message,
        );
    }

    /// `n` failures of the transport (the call itself failed).
    pub fn transport(&self, live: &Live, call: Call, status: &tonic::Status, n: u64) {
        let code = status.code();
        self.add(
            live,
            call,
            format!("grpc:{code:?}"),
            code as i32,
            n,
            status.message(),
        );
    }

    /// `n` answers that break the protocol (e.g. a missing status).
    pub fn protocol(&self, live: &Live, call: Call, what: &str, n: u64) {
        self.add(live, call, "PROTOCOL".to_owned(), 0, n, what);
    }

    /// The counts, most frequent first.
    pub fn snapshot(&self) -> Vec<ErrorCount> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<ErrorCount> = map
            .iter()
            .map(|((call, code, number), (count, example))| ErrorCount {
                call: call.name(),
                code: code.clone(),
                number: *number,
                count: *count,
                example: example.clone(),
            })
            .collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.count));
        out
    }
}

fn merge_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) -> Result<(), BenchError> {
    into.add(from)
        .map_err(|e| BenchError::Task(format!("cannot merge latency histograms: {e:?}")))
}

/// What one sending task did in the measured phase.
#[derive(Debug, Clone)]
pub struct ProducerTally {
    /// SendMessage calls.
    pub calls: u64,
    /// Messages acknowledged.
    pub sent: u64,
    /// Messages refused or lost with their call.
    pub failed: u64,
    /// Body bytes acknowledged.
    pub bytes: u64,
    /// Duration of each SendMessage call, µs.
    pub latency: Histogram<u64>,
}

impl ProducerTally {
    /// Nothing yet, with histograms shaped like `shape`.
    pub fn new(shape: &Histogram<u64>) -> ProducerTally {
        ProducerTally {
            calls: 0,
            sent: 0,
            failed: 0,
            bytes: 0,
            latency: Histogram::new_from(shape),
        }
    }

    pub fn merge(&mut self, other: &ProducerTally) -> Result<(), BenchError> {
        self.calls += other.calls;
        self.sent += other.sent;
        self.failed += other.failed;
        self.bytes += other.bytes;
        merge_histogram(&mut self.latency, &other.latency)
    }
}

/// What one consumer did.
#[derive(Debug, Clone)]
pub struct ConsumerTally {
    /// ReceiveMessage calls.
    pub receive_calls: u64,
    /// Messages of this run's measured phase, first delivery.
    pub received: u64,
    /// Body bytes of those.
    pub bytes: u64,
    /// Messages of this run delivered again.
    pub duplicates: u64,
    /// Messages of this run's warm-up.
    pub warmup: u64,
    /// Messages not sent by this run (a backlog of the group, other producers).
    pub foreign: u64,
    /// Deliveries acknowledged with AckMessage.
    pub acked: u64,
    /// Send-to-receive time of `received` messages, µs.
    pub e2e: Histogram<u64>,
    /// When the last of `received` arrived.
    pub last_received: Option<Instant>,
    /// FIFO: first deliveries that came after a later message of their group.
    pub order_violations: u64,
    /// DELAY: first deliveries of this run that came before their delivery time.
    pub early: u64,
    /// DELAY: receive time − delivery time of `received` messages not early, µs.
    pub lateness: Histogram<u64>,
}

impl ConsumerTally {
    /// Nothing yet, with histograms shaped like `shape`.
    pub fn new(shape: &Histogram<u64>) -> ConsumerTally {
        ConsumerTally {
            receive_calls: 0,
            received: 0,
            bytes: 0,
            duplicates: 0,
            warmup: 0,
            foreign: 0,
            acked: 0,
            e2e: Histogram::new_from(shape),
            last_received: None,
            order_violations: 0,
            early: 0,
            lateness: Histogram::new_from(shape),
        }
    }

    pub fn merge(&mut self, other: &ConsumerTally) -> Result<(), BenchError> {
        self.receive_calls += other.receive_calls;
        self.received += other.received;
        self.bytes += other.bytes;
        self.duplicates += other.duplicates;
        self.warmup += other.warmup;
        self.foreign += other.foreign;
        self.acked += other.acked;
        self.last_received = self.last_received.max(other.last_received);
        self.order_violations += other.order_violations;
        self.early += other.early;
        merge_histogram(&mut self.lateness, &other.lateness)?;
        merge_histogram(&mut self.e2e, &other.e2e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_call_and_code() {
        let live = Live::default();
        let errors = Errors::default();
        let unauthorized = v2::Status {
            code: 40100,
            message: "authentication failed".into(),
        };
        errors.status(&live, Call::SendMessage, &unauthorized, 8);
        errors.status(&live, Call::SendMessage, &unauthorized, 2);
        errors.status(&live, Call::QueryRoute, &unauthorized, 1);
        errors.transport(
            &live,
            Call::AckMessage,
            &tonic::Status::unavailable("down"),
            1,
        );
        let snap = errors.snapshot();
        assert_eq!(snap[0].call, "SendMessage");
        assert_eq!(snap[0].code, "UNAUTHORIZED");
        assert_eq!(snap[0].count, 10);
        assert_eq!(snap[0].example, "authentication failed");
        assert!(snap.iter().any(|e| e.code == "grpc:Unavailable"));
        assert_eq!(Live::get(&live.errors), 12);
    }

    #[test]
    fn unknown_codes_keep_their_number() {
        assert_eq!(code_name(40100), "UNAUTHORIZED");
        assert_eq!(code_name(12345), "CODE_12345");
    }

    #[test]
    fn tallies_merge_counts_and_latencies() {
        let shape = histogram().unwrap();
        let mut a = ProducerTally::new(&shape);
        a.latency.record(100).unwrap();
        a.sent = 1;
        let mut b = ProducerTally::new(&shape);
        b.latency.record(300).unwrap();
        b.sent = 2;
        a.merge(&b).unwrap();
        assert_eq!(a.sent, 3);
        assert_eq!(a.latency.len(), 2);
        assert_eq!(a.latency.max(), 300);
    }
}
