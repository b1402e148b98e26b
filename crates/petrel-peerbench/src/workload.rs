//! The workloads, in the style of the OpenMessaging Benchmark: how many topics, how big the
//! messages, how many producers and consumers, and whether the rate is fixed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A named workload of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// 1 topic, 1 KiB, as fast as the system acknowledges.
    #[value(name = "max-1k")]
    #[serde(rename = "max-1k")]
    Max1k,
    /// 1 topic, 1 KiB, at half of Petrel's maximum in the same durability mode.
    #[value(name = "latency-1k")]
    #[serde(rename = "latency-1k")]
    Latency1k,
    /// 1 topic, 64 KiB, as fast as possible.
    #[value(name = "max-64k")]
    #[serde(rename = "max-64k")]
    Max64k,
    /// 100 topics, 1 KiB, as fast as possible.
    #[value(name = "topics-100")]
    #[serde(rename = "topics-100")]
    Topics100,
    /// 10,000 topics, 1 KiB, as fast as possible.
    #[value(name = "topics-10k")]
    #[serde(rename = "topics-10k")]
    Topics10k,
}

/// What one run sends and consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSpec {
    /// Topics the producers spread messages over, round-robin.
    pub topics: usize,
    /// Body size in bytes (at least 16: the send time and a sequence number).
    pub message_size: usize,
    /// Producer clients, each with its own connection.
    pub producers: usize,
    /// Sends each producer keeps outstanding.
    pub inflight: usize,
    /// Consumer clients, each with its own connection, sharing the topics.
    pub consumers: usize,
    /// All producers together send at this many messages per second (latency counts from
    /// each send's scheduled start); as fast as acknowledged when absent.
    pub rate: Option<f64>,
    /// Sending before measuring.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// How long consumers may take after the window to receive what was sent in it.
    pub drain: Duration,
}

impl Workload {
    /// Every workload, in suite order (the latency workload needs Petrel's maximum first).
    pub const ALL: [Workload; 5] = [
        Workload::Max1k,
        Workload::Latency1k,
        Workload::Max64k,
        Workload::Topics100,
        Workload::Topics10k,
    ];

    /// The id in reports and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Workload::Max1k => "max-1k",
            Workload::Latency1k => "latency-1k",
            Workload::Max64k => "max-64k",
            Workload::Topics100 => "topics-100",
            Workload::Topics10k => "topics-10k",
        }
    }

    /// One line saying what the workload does.
    pub fn describe(self) -> &'static str {
        match self {
            Workload::Max1k => "1 topic, 1 KiB messages, maximum rate",
            Workload::Latency1k => {
                "1 topic, 1 KiB messages, fixed rate at half of Petrel's maximum (latency)"
            }
            Workload::Max64k => "1 topic, 64 KiB messages, maximum rate",
            Workload::Topics100 => "100 topics, 1 KiB messages, maximum rate",
            Workload::Topics10k => "10,000 topics, 1 KiB messages, maximum rate",
        }
    }

    /// The run's shape; `rate` is the fixed rate of the latency workload.
    pub fn spec(self, warmup: Duration, duration: Duration, rate: Option<f64>) -> LoadSpec {
        let base = LoadSpec {
            topics: 1,
            message_size: 1024,
            producers: 4,
            inflight: 16,
            consumers: 2,
            rate: None,
            warmup,
            duration,
            drain: Duration::from_secs(10),
        };
        match self {
            Workload::Max1k => base,
            Workload::Latency1k => LoadSpec { rate, ..base },
            Workload::Max64k => LoadSpec {
                message_size: 64 * 1024,
                inflight: 4,
                ..base
            },
            Workload::Topics100 => LoadSpec {
                topics: 100,
                ..base
            },
            Workload::Topics10k => LoadSpec {
                topics: 10_000,
                consumers: 4,
                ..base
            },
        }
    }
}

/// The topic (stream, queue) name of topic `index` on every system.
pub fn topic_name(index: usize) -> String {
    format!("bench-{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latency_workload_takes_its_rate_and_the_others_run_flat_out() {
        let s = Duration::from_secs;
        assert_eq!(
            Workload::Latency1k.spec(s(1), s(5), Some(9000.0)).rate,
            Some(9000.0)
        );
        for w in [
            Workload::Max1k,
            Workload::Max64k,
            Workload::Topics100,
            Workload::Topics10k,
        ] {
            assert_eq!(w.spec(s(1), s(5), Some(9000.0)).rate, None, "{}", w.id());
        }
        assert_eq!(Workload::Max64k.spec(s(1), s(5), None).message_size, 65536);
        assert_eq!(Workload::Topics10k.spec(s(1), s(5), None).topics, 10_000);
    }
}
