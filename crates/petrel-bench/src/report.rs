//! The final report: throughput, latency percentiles, consumption and every failure by code;
//! printed for people (`Display`) or as one JSON object (`Serialize`).

use std::fmt;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::config::{BenchConfig, Limit};
use crate::stats::ErrorCount;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

fn ms(us: u64) -> f64 {
    // Latencies are far below 2^53 µs, so the conversion is exact.
    #[allow(clippy::cast_precision_loss, reason = "µs values stay far below 2^53")]
    let v = us as f64;
    v / 1000.0
}

impl Latency {
    /// The percentiles of `h` (µs samples); `None` when it is empty.
    pub fn of(h: &Histogram<u64>) -> Option<Latency> {
        if h.is_empty() {
            return None;
        }
        Some(Latency {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        })
    }
}

/// The sending side, measured phase only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendReport {
    /// SendMessage calls.
    pub calls: u64,
    /// Messages acknowledged OK.
    pub sent: u64,
    /// Messages refused or lost with their call.
    pub failed: u64,
    /// `sent` per second of the measured phase.
    pub msgs_per_sec: f64,
    /// Body megabytes (10^6 bytes) acknowledged per second.
    pub mb_per_sec: f64,
    /// Duration of each SendMessage call.
    pub latency: Option<Latency>,
}

/// The order check of a FIFO run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FifoReport {
    /// Message groups the messages were spread over.
    pub message_groups: usize,
    /// Message groups of which at least one message arrived.
    pub groups_received: usize,
    /// First deliveries that came after a later message of their group (must be 0).
    pub order_violations: u64,
}

/// The timeliness of a DELAY run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DelayReport {
    /// Each message was due this long after its send call started.
    pub delay_ms: f64,
    /// Messages of this run delivered before their delivery time (must be 0).
    pub early: u64,
    /// Receive time − delivery time of the measured messages that were not early.
    pub lateness: Option<Latency>,
}

/// The consuming side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceiveReport {
    /// Messages sent in the measured phase and received (each counted once).
    pub received: u64,
    /// Measured messages acknowledged by SendMessage but never received.
    pub missing: u64,
    /// Whether every sent message arrived before the drain timeout.
    pub complete: bool,
    /// Deliveries acknowledged with AckMessage (of any kind below too).
    pub acked: u64,
    /// Messages of this run delivered more than once.
    pub duplicates: u64,
    /// Messages of this run's warm-up.
    pub warmup: u64,
    /// Messages not sent by this run (a backlog of the group, other producers).
    pub foreign: u64,
    /// ReceiveMessage calls.
    pub receive_calls: u64,
    /// From the start of the measured phase to the last received message (or the end of
    /// sending, whichever is later).
    pub elapsed_secs: f64,
    /// `received` per second of `elapsed_secs`.
    pub msgs_per_sec: f64,
    /// Body megabytes (10^6 bytes) received per second.
    pub mb_per_sec: f64,
    /// From the start of the SendMessage call to the arrival of the message.
    pub e2e_latency: Option<Latency>,
    /// Present in FIFO runs.
    pub fifo: Option<FifoReport>,
    /// Present in DELAY runs.
    pub delay: Option<DelayReport>,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub endpoint: String,
    pub namespace: Option<String>,
    pub topic: String,
    pub group: Option<String>,
    pub producers: usize,
    pub consumers: usize,
    pub message_size: usize,
    pub batch_size: usize,
    pub inflight: usize,
    /// `NORMAL`, `FIFO` or `DELAY`.
    pub message_type: &'static str,
    /// FIFO: the message groups messages were spread over.
    pub message_groups: Option<usize>,
    /// DELAY: how long after its send each message was due.
    pub delay_ms: Option<f64>,
    /// The requested measured duration, when the run was limited by time.
    pub duration_secs: Option<f64>,
    /// The requested message count, when the run was limited by count.
    pub count: Option<u64>,
    pub warmup_secs: f64,
    /// The target send rate (messages per second), when the load was paced.
    pub rate: Option<f64>,
    /// Length of the measured sending phase.
    pub elapsed_secs: f64,
    pub send: SendReport,
    /// Present when consumers ran.
    pub receive: Option<ReceiveReport>,
    /// Every failure, warm-up included, by call and code.
    pub errors: Vec<ErrorCount>,
    /// Sum of the error counts.
    pub error_total: u64,
    /// Why the run stopped before sending, if it did (a setup call failed).
    pub aborted: Option<String>,
    /// The run was interrupted (Ctrl-C) before its limit.
    pub interrupted: bool,
}

/// `n` per second of `secs` (0 for an empty window).
pub fn rate(n: u64, secs: f64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "a rate needs no 2^53 precision")]
    let n = n as f64;
    if secs > 0.0 { n / secs } else { 0.0 }
}

impl Report {
    /// A report of `config` with nothing measured yet.
    pub fn empty(config: &BenchConfig) -> Report {
        let (duration_secs, count) = match config.limit {
            Limit::Duration(d) => (Some(d.as_secs_f64()), None),
            Limit::Count(n) => (None, Some(n)),
        };
        Report {
            endpoint: config.endpoint.clone(),
            namespace: config.namespace.clone(),
            topic: config.topic.clone(),
            group: config.group.clone(),
            producers: config.producers,
            consumers: config.consumers,
            message_size: config.message_size,
            batch_size: config.batch_size,
            inflight: config.inflight,
            message_type: config.workload().name(),
            message_groups: config.message_groups,
            delay_ms: config.delay.map(|d| d.as_secs_f64() * 1000.0),
            duration_secs,
            count,
            warmup_secs: config.warmup.as_secs_f64(),
            rate: config.rate,
            elapsed_secs: 0.0,
            send: SendReport {
                calls: 0,
                sent: 0,
                failed: 0,
                msgs_per_sec: 0.0,
                mb_per_sec: 0.0,
                latency: None,
            },
            receive: None,
            errors: Vec::new(),
            error_total: 0,
            aborted: None,
            interrupted: false,
        }
    }

    /// Whether the run went through without a single failure.
    pub fn is_clean(&self) -> bool {
        self.error_total == 0
            && self.aborted.is_none()
            && self.receive.as_ref().is_none_or(|r| {
                r.complete
                    && r.fifo.as_ref().is_none_or(|f| f.order_violations == 0)
                    && r.delay.as_ref().is_none_or(|d| d.early == 0)
            })
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn latency_line(l: &Latency) -> String {
    format!(
        "p50 {:.3} ms   p99 {:.3} ms   p99.9 {:.3} ms   max {:.3} ms   (mean {:.3} ms, {} samples)",
        l.p50_ms,
        l.p99_ms,
        l.p999_ms,
        l.max_ms,
        l.mean_ms,
        thousands(l.count)
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "petrel bench → {} {} topic `{}`{}: {} producer(s) × {} in flight, batch {}, {} B bodies, {} consumer(s){}{}",
            self.endpoint,
            self.message_type,
            self.topic,
            self.namespace
                .as_deref()
                .map(|n| format!(" (namespace `{n}`)"))
                .unwrap_or_default(),
            self.producers,
            self.inflight,
            self.batch_size,
            self.message_size,
            self.consumers,
            self.rate
                .map(|r| format!(", paced at {r:.0} msgs/s"))
                .unwrap_or_default(),
            match (self.message_groups, self.delay_ms) {
                (Some(g), _) => format!(", {g} message groups"),
                (None, Some(d)) => format!(", delay {d:.0} ms"),
                (None, None) => String::new(),
            }
        )?;
        if let Some(reason) = &self.aborted {
            writeln!(f, "  aborted        {reason}")?;
        } else {
            writeln!(
                f,
                "  measured       {:.2} s{}{}",
                self.elapsed_secs,
                if self.warmup_secs > 0.0 {
                    format!(" after {:.1} s of warm-up", self.warmup_secs)
                } else {
                    String::new()
                },
                if self.interrupted {
                    " (interrupted)"
                } else {
                    ""
                }
            )?;
            let s = &self.send;
            writeln!(
                f,
                "  sent           {} msgs in {} calls ({} failed)   {:.0} msgs/s   {:.2} MB/s",
                thousands(s.sent),
                thousands(s.calls),
                thousands(s.failed),
                s.msgs_per_sec,
                s.mb_per_sec
            )?;
            if let Some(l) = &s.latency {
                writeln!(f, "  send latency   {}", latency_line(l))?;
            }
            if let Some(r) = &self.receive {
                writeln!(
                    f,
                    "  received       {} msgs over {:.2} s   {:.0} msgs/s   {:.2} MB/s   (acked {}, missing {}{}, redelivered {}, warm-up {}, foreign {})",
                    thousands(r.received),
                    r.elapsed_secs,
                    r.msgs_per_sec,
                    r.mb_per_sec,
                    thousands(r.acked),
                    thousands(r.missing),
                    if r.complete {
                        ""
                    } else {
                        " after the drain timeout"
                    },
                    thousands(r.duplicates),
                    thousands(r.warmup),
                    thousands(r.foreign)
                )?;
                if let Some(l) = &r.e2e_latency {
                    writeln!(f, "  e2e latency    {}", latency_line(l))?;
                }
                if let Some(o) = &r.fifo {
                    writeln!(
                        f,
                        "  order          {} violations in {} of {} message groups",
                        thousands(o.order_violations),
                        thousands(u64::try_from(o.groups_received).unwrap_or(u64::MAX)),
                        thousands(u64::try_from(o.message_groups).unwrap_or(u64::MAX))
                    )?;
                }
                if let Some(d) = &r.delay {
                    writeln!(
                        f,
                        "  delivered early {} (delay {:.0} ms)",
                        thousands(d.early),
                        d.delay_ms
                    )?;
                    if let Some(l) = &d.lateness {
                        writeln!(f, "  lateness       {}", latency_line(l))?;
                    }
                }
            }
        }
        if self.errors.is_empty() {
            write!(f, "  errors         none")
        } else {
            write!(
                f,
                "  errors         {} in total",
                thousands(self.error_total)
            )?;
            for e in &self.errors {
                write!(
                    f,
                    "\n    {:>10} × {} {} ({}): {}",
                    thousands(e.count),
                    e.call,
                    e.code,
                    e.number,
                    e.example
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let mut h = crate::stats::histogram().unwrap();
        for us in 1..=1000 {
            h.record(us).unwrap();
        }
        let l = Latency::of(&h).unwrap();
        assert_eq!(l.count, 1000);
        assert!((l.p50_ms - 0.5).abs() < 0.01, "{l:?}");
        assert!((l.p99_ms - 0.99).abs() < 0.01, "{l:?}");
        assert!((l.max_ms - 1.0).abs() < 0.01, "{l:?}");
        assert!(Latency::of(&crate::stats::histogram().unwrap()).is_none());
    }
}
