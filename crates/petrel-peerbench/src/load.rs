//! The one load generator behind every system: producers keep `inflight` sends outstanding
//! each (or send on a fixed schedule), consumers receive everything, and the run measures a
//! window after a warm-up. Bodies carry their send time and whether they were sent inside the
//! window, so consumers measure end-to-end latency of exactly the measured messages, the same
//! way on every system. While the window is open the server's process tree is sampled for
//! CPU time and resident memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::driver::{Driver, Producer};
use crate::procfs;
use crate::workload::LoadSpec;

/// Bytes of the stamp at the start of every body: send time (µs since the epoch), a marker
/// byte with the measured flag, and the producer task's sequence number.
pub const STAMP_LEN: usize = 17;

/// The marker byte of a stamp (its low bit is the measured flag).
const MARK: u8 = 0xb0;

/// Pause after a failed send, so a refusing system is not hammered in a tight loop.
const ERROR_BACKOFF: Duration = Duration::from_millis(10);

/// How often resident memory is sampled inside the window.
const RSS_EVERY: Duration = Duration::from_millis(200);

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A body of `size` bytes (at least the stamp) stamped with the send time.
pub fn body(size: usize, sent_at_us: u64, measured: bool, seq: u64) -> Bytes {
    let mut b = BytesMut::with_capacity(size.max(STAMP_LEN));
    b.put_u64(sent_at_us);
    b.put_u8(MARK | u8::from(measured));
    b.put_u64(seq);
    b.resize(size.max(STAMP_LEN), b'x');
    b.freeze()
}

/// The send time and measured flag of a body this generator made.
pub fn read_stamp(body: &[u8]) -> Option<(u64, bool)> {
    let sent = u64::from_be_bytes(body.get(..8)?.try_into().ok()?);
    let mark = *body.get(8)?;
    (mark & !1 == MARK).then_some((sent, mark & 1 == 1))
}

/// The shape of every latency histogram: 1 µs to 10 min at 3 significant digits (a value
/// outside is clamped, never dropped). Copies are made with [`Histogram::new_from`].
fn shape() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .map_err(|e| format!("cannot create a latency histogram: {e:?}"))
}

/// What one consumer saw; each consumer owns one and returns it when it stops.
#[derive(Debug)]
pub struct Tally {
    /// Measured messages received (first deliveries and redeliveries alike).
    pub received: u64,
    /// Every message received, warm-up and foreign ones included.
    pub received_all: u64,
    /// Bodies that carry no stamp of this generator.
    pub foreign: u64,
    /// Send-to-receive latency of measured messages, µs.
    pub e2e: Histogram<u64>,
    /// Receive or ack failures by reason.
    pub errors: BTreeMap<String, u64>,
    shared_received: Arc<AtomicU64>,
}

impl Tally {
    fn new(shape: &Histogram<u64>, shared_received: Arc<AtomicU64>) -> Tally {
        Tally {
            received: 0,
            received_all: 0,
            foreign: 0,
            e2e: Histogram::new_from(shape),
            errors: BTreeMap::new(),
            shared_received,
        }
    }

    /// Counts one delivered body.
    pub fn record(&mut self, body: &[u8]) {
        self.received_all += 1;
        match read_stamp(body) {
            Some((sent, true)) => {
                self.received += 1;
                self.shared_received.fetch_add(1, Ordering::Relaxed);
                self.e2e
                    .saturating_record(now_us().saturating_sub(sent).max(1));
            }
            Some((_, false)) => {}
            None => self.foreign += 1,
        }
    }

    /// An empty tally of the same run, for a consumer's concurrent lane.
    pub fn split(&self) -> Tally {
        Tally {
            received: 0,
            received_all: 0,
            foreign: 0,
            e2e: Histogram::new_from(&self.e2e),
            errors: BTreeMap::new(),
            shared_received: self.shared_received.clone(),
        }
    }

    /// Adds a lane's counts to this one.
    pub fn merge(&mut self, other: Tally) {
        self.received += other.received;
        self.received_all += other.received_all;
        self.foreign += other.foreign;
        // Both come from one shape, so adding cannot fail.
        let _ = self.e2e.add(&other.e2e);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_insert(0) += v;
        }
    }

    /// Counts one failure of a consumer call.
    pub fn error(&mut self, reason: impl Into<String>) {
        *self.errors.entry(reason.into()).or_insert(0) += 1;
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Option<Percentiles> {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        (!h.is_empty()).then(|| Percentiles {
            p50: ms(0.5),
            p99: ms(0.99),
            p999: ms(0.999),
        })
    }
}

/// The figures of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Sends acknowledged inside the window.
    pub sent: u64,
    /// Sends that failed inside the window.
    pub failed: u64,
    /// Measured messages consumers received (by the end of the drain).
    pub received: u64,
    /// The window's length in seconds.
    pub seconds: f64,
    pub msgs_per_sec: f64,
    pub mb_per_sec: f64,
    /// Send to acknowledgement.
    pub send: Option<Percentiles>,
    /// Send to receive.
    pub e2e: Option<Percentiles>,
    /// CPU seconds the server's process tree used inside the window.
    pub server_cpu_secs: f64,
    /// CPU seconds the load generator used inside the window.
    pub client_cpu_secs: f64,
    /// Server CPU seconds per million acknowledged messages.
    pub cpu_secs_per_million: Option<f64>,
    /// The largest resident memory of the server's tree sampled inside the window.
    pub peak_rss_bytes: u64,
    /// Failures by reason (sends and consumer calls).
    pub errors: BTreeMap<String, u64>,
}

/// What producers share.
struct Shared {
    spec: LoadSpec,
    shape: Histogram<u64>,
    tasks: usize,
    measure_start: Instant,
    measure_end: Instant,
    errors: Mutex<BTreeMap<String, u64>>,
}

/// One producer task's counts.
struct ProducerTally {
    sent: u64,
    failed: u64,
    latency: Histogram<u64>,
    /// When the last send started inside the window completed: a system that cannot keep a
    /// fixed rate finishes the window's sends late, and its rate counts that time.
    last_done: Option<Instant>,
}

async fn produce(shared: Arc<Shared>, producer: Producer, task: usize) -> ProducerTally {
    let spec = &shared.spec;
    let mut tally = ProducerTally {
        sent: 0,
        failed: 0,
        latency: Histogram::new_from(&shared.shape),
        last_done: None,
    };
    let period = spec
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(shared.tasks as f64 / r));
    // Tasks start spread over one period so a paced load is smooth, not bursty.
    let mut due = Instant::now()
        + period.map_or(Duration::ZERO, |p| {
            p.mul_f64(task as f64 / shared.tasks as f64)
        });
    let mut topic = task % spec.topics.max(1);
    let mut seq = 0u64;
    loop {
        let start = match period {
            Some(p) => {
                tokio::time::sleep_until(due.into()).await;
                let s = due;
                due += p;
                s
            }
            None => Instant::now(),
        };
        if start >= shared.measure_end {
            break;
        }
        let measured = start >= shared.measure_start;
        let payload = body(spec.message_size, now_us(), measured, seq);
        seq += 1;
        let result = producer.send(topic, payload).await;
        topic = (topic + shared.tasks) % spec.topics.max(1);
        let elapsed = start.elapsed();
        if measured {
            tally.last_done = Some(Instant::now());
        }
        match result {
            Ok(()) if measured => {
                tally.sent += 1;
                tally.latency.saturating_record(
                    u64::try_from(elapsed.as_micros())
                        .unwrap_or(u64::MAX)
                        .max(1),
                );
            }
            Ok(()) => {}
            Err(reason) => {
                if measured {
                    tally.failed += 1;
                }
                {
                    let mut errors = shared.errors.lock().unwrap_or_else(|p| p.into_inner());
                    *errors.entry(format!("send: {reason}")).or_insert(0) += 1;
                }
                tokio::time::sleep(ERROR_BACKOFF).await;
            }
        }
    }
    tally
}

/// Which topics consumer `index` of `consumers` takes (every topic has exactly one owner,
/// unless there are fewer topics than consumers, when consumers share them).
pub fn owned_topics(topics: usize, consumers: usize, index: usize) -> Vec<usize> {
    if topics <= consumers {
        return vec![index % topics.max(1)];
    }
    (0..topics).filter(|t| t % consumers == index).collect()
}

/// The topics producer `index` sends to: task `t` belongs to producer `t % producers` and
/// sends to topics `t`, `t + tasks`, `t + 2·tasks`, … (mod `topics`).
pub fn producer_topics(topics: usize, producers: usize, tasks: usize, index: usize) -> Vec<usize> {
    let topics = topics.max(1);
    let mut used = vec![false; topics];
    for task in (index..tasks).step_by(producers.max(1)) {
        let mut t = task % topics;
        // The walk t, t + tasks, … comes back to its start within `topics` steps.
        for _ in 0..topics {
            if used[t] {
                break;
            }
            used[t] = true;
            t = (t + tasks) % topics;
        }
    }
    (0..topics).filter(|&t| used[t]).collect()
}

/// Consumers subscribed and producers connected, ready to send.
pub struct Prepared {
    shape: Histogram<u64>,
    received: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    consumers: JoinSet<Tally>,
    producers: Vec<Producer>,
}

/// Subscribes `spec`'s consumers (before anything is sent, so they see every measured
/// message) and connects its producers, on a driver whose topics are set up.
pub async fn prepare(driver: &Driver, spec: &LoadSpec) -> Result<Prepared, String> {
    let shape = shape()?;
    let received = Arc::new(AtomicU64::new(0));
    let (stop, stop_rx) = watch::channel(false);
    // Dropping the set (a prepare cut short) aborts the consumers already started.
    let mut consumers = JoinSet::new();
    for index in 0..spec.consumers {
        let topics = owned_topics(spec.topics, spec.consumers, index);
        let consumer = driver.consumer(index, topics).await?;
        consumers.spawn(consumer.run(stop_rx.clone(), Tally::new(&shape, received.clone())));
    }
    let tasks = spec.producers * spec.inflight.max(1);
    let mut producers = Vec::with_capacity(spec.producers);
    for index in 0..spec.producers {
        let uses = producer_topics(spec.topics, spec.producers, tasks, index);
        producers.push(driver.producer(index, spec.topics, &uses).await?);
    }
    Ok(Prepared {
        shape,
        received,
        stop,
        consumers,
        producers,
    })
}

/// Runs `spec` on prepared clients; `server_pid` is the root of the server's process tree,
/// sampled for CPU and memory.
pub async fn run(prepared: Prepared, spec: &LoadSpec, server_pid: u32) -> Result<Figures, String> {
    let Prepared {
        shape,
        received,
        stop: stop_tx,
        mut consumers,
        producers,
    } = prepared;
    let tasks = spec.producers * spec.inflight.max(1);
    let start = Instant::now();
    let shared = Arc::new(Shared {
        spec: spec.clone(),
        shape: shape.clone(),
        tasks,
        measure_start: start + spec.warmup,
        measure_end: start + spec.warmup + spec.duration,
        errors: Mutex::new(BTreeMap::new()),
    });
    let mut sends = JoinSet::new();
    for task in 0..tasks {
        let producer = producers[task % producers.len().max(1)].clone();
        sends.spawn(produce(shared.clone(), producer, task));
    }

    // The window: CPU at both ends, memory all along.
    tokio::time::sleep_until(shared.measure_start.into()).await;
    let ticks = procfs::clock_ticks() as f64;
    let server_before = procfs::sample_tree(server_pid);
    let client_before = procfs::cpu_ticks(std::process::id());
    let window_open = Instant::now();
    let mut peak_rss = server_before.rss_bytes;
    while Instant::now() < shared.measure_end {
        let next = (Instant::now() + RSS_EVERY).min(shared.measure_end);
        tokio::time::sleep_until(next.into()).await;
        peak_rss = peak_rss.max(procfs::sample_tree(server_pid).rss_bytes);
    }
    let server_after = procfs::sample_tree(server_pid);
    let client_after = procfs::cpu_ticks(std::process::id());
    let mut seconds = window_open
        .elapsed()
        .as_secs_f64()
        .max(spec.duration.as_secs_f64());
    peak_rss = peak_rss.max(server_after.rss_bytes);

    let mut sent = 0;
    let mut failed = 0;
    let mut latency = Histogram::new_from(&shape);
    while let Some(t) = sends.join_next().await {
        let t = t.map_err(|e| format!("a producer task failed: {e}"))?;
        sent += t.sent;
        failed += t.failed;
        latency.add(&t.latency).map_err(|e| e.to_string())?;
        if let Some(done) = t.last_done {
            seconds = seconds.max(done.saturating_duration_since(window_open).as_secs_f64());
        }
    }
    // Drain: give consumers time to receive what the window sent.
    let drain_end = Instant::now() + spec.drain;
    while received.load(Ordering::Relaxed) < sent && Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    let mut e2e = Histogram::new_from(&shape);
    let mut errors = std::mem::take(&mut *shared.errors.lock().unwrap_or_else(|p| p.into_inner()));
    let mut got = 0;
    while let Some(t) = consumers.join_next().await {
        let t = t.map_err(|e| format!("a consumer task failed: {e}"))?;
        got += t.received;
        e2e.add(&t.e2e).map_err(|e| e.to_string())?;
        for (k, v) in t.errors {
            *errors.entry(format!("consume: {k}")).or_insert(0) += v;
        }
    }
    for p in producers {
        p.close().await;
    }

    let server_cpu = server_after
        .cpu_ticks
        .saturating_sub(server_before.cpu_ticks) as f64
        / ticks;
    let client_cpu = client_after.saturating_sub(client_before) as f64 / ticks;
    let rate = sent as f64 / seconds;
    Ok(Figures {
        sent,
        failed,
        received: got,
        seconds,
        msgs_per_sec: rate,
        mb_per_sec: rate * spec.message_size as f64 / 1e6,
        send: Percentiles::of(&latency),
        e2e: Percentiles::of(&e2e),
        server_cpu_secs: server_cpu,
        client_cpu_secs: client_cpu,
        cpu_secs_per_million: (sent > 0).then(|| server_cpu / sent as f64 * 1e6),
        peak_rss_bytes: peak_rss,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_carries_its_send_time_and_measured_flag_at_every_size() {
        let b = body(1024, 1_700_000_000_000_000, true, 7);
        assert_eq!(b.len(), 1024);
        assert_eq!(read_stamp(&b), Some((1_700_000_000_000_000, true)));
        let small = body(3, 5, false, 0);
        assert_eq!(small.len(), STAMP_LEN);
        assert_eq!(read_stamp(&small), Some((5, false)));
        assert_eq!(read_stamp(b"short"), None);
    }

    #[test]
    fn only_measured_bodies_count_and_feed_the_latency() {
        let shared = Arc::new(AtomicU64::new(0));
        let mut t = Tally::new(&shape().unwrap(), shared.clone());
        t.record(&body(64, now_us() - 5_000, true, 0));
        t.record(&body(64, now_us(), false, 1));
        t.record(b"not ours at all, long enough though");
        assert_eq!((t.received, t.received_all, t.foreign), (1, 3, 1));
        assert_eq!(shared.load(Ordering::Relaxed), 1);
        assert!(t.e2e.value_at_quantile(0.5) >= 5_000);
    }

    #[test]
    fn every_topic_has_one_consumer_and_one_topic_is_shared() {
        let mut all: Vec<usize> = (0..3).flat_map(|i| owned_topics(100, 3, i)).collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(owned_topics(1, 2, 0), vec![0]);
        assert_eq!(owned_topics(1, 2, 1), vec![0]);
    }

    #[test]
    fn producers_know_every_topic_their_tasks_will_send_to() {
        // 64 tasks over 100 topics: task t sends to t, t+64, t+128, … mod 100.
        let mut all: Vec<usize> = (0..4)
            .flat_map(|p| producer_topics(100, 4, 64, p))
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 100);
        assert_eq!(producer_topics(1, 4, 64, 3), vec![0]);
        let p0 = producer_topics(100, 4, 64, 0);
        assert!(p0.iter().all(|t| t % 4 == 0), "{p0:?}");
    }
}
