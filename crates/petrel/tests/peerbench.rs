//! The side-by-side benchmark's harness, run for real on a tiny scale: `petrel-peerbench`
//! starts this build's `petrel serve` and Debian's `redis-server` (installed by
//! `scripts/test.sh`), drives both through their own clients in both durability modes, and
//! writes the report. Figures are not asserted (timing depends on the machine); what a user of
//! the report relies on is: every run measured something, every measured message reached a
//! consumer, the latency workload ran at half of Petrel's maximum, and the report and chart
//! hold every system.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use petrel_peerbench::server::Installs;
use petrel_peerbench::suite::{self, Runs, SuiteConfig};
use petrel_peerbench::system::{Durability, Kind};
use petrel_peerbench::workload::Workload;

const REDIS: &str = "/usr/bin/redis-server";

fn config(out: &Path, scratch: PathBuf) -> SuiteConfig {
    assert!(
        Path::new(REDIS).exists(),
        "{REDIS} is missing: scripts/test.sh installs Debian's redis-server"
    );
    SuiteConfig {
        out: out.to_owned(),
        runs: 1,
        duration: Duration::from_millis(1500),
        warmup: Duration::from_millis(500),
        kinds: vec![Kind::Petrel, Kind::Redis],
        modes: vec![Durability::Fsync, Durability::Defaults],
        workloads: vec![Workload::Max1k, Workload::Latency1k, Workload::Topics100],
        server_cpus: None,
        setup_timeout: Duration::from_secs(60),
        slow_setup: Duration::from_secs(60),
        scratch,
        installs: Installs {
            petrel: PathBuf::from(env!("CARGO_BIN_EXE_petrel")),
            nats_server: PathBuf::from("/nonexistent/nats-server"),
            redis_server: PathBuf::from(REDIS),
            rabbitmq_server: PathBuf::from("/nonexistent/rabbitmq-server"),
            rabbitmqctl: PathBuf::from("/nonexistent/rabbitmqctl"),
        },
        command_line: "cargo test -p petrel --test peerbench".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_measures_petrel_and_redis_and_reports_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let config = config(&out, tmp.path().join("scratch"));
    suite::run(&config).await.expect("the suite runs");

    let runs: Runs =
        serde_json::from_str(&std::fs::read_to_string(out.join("runs.json")).unwrap()).unwrap();
    // 2 systems × 2 modes × 3 workloads, one run each.
    assert_eq!(runs.runs.len(), 12, "{:#?}", runs.runs);
    for r in &runs.runs {
        let what = format!("{} {}", r.target.id(), r.workload.id());
        assert_eq!(r.error, None, "{what}");
        let f = r
            .figures
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no figures"));
        assert!(f.sent > 0, "{what}: nothing acknowledged");
        assert_eq!(f.failed, 0, "{what}: {:?}", f.errors);
        assert_eq!(
            f.received, f.sent,
            "{what}: a measured message never arrived"
        );
        assert!(f.send.is_some() && f.e2e.is_some(), "{what}: no latency");
        assert!(f.server_cpu_secs > 0.0, "{what}: the server used no cpu");
        assert!(
            f.peak_rss_bytes > 1 << 20,
            "{what}: rss {}",
            f.peak_rss_bytes
        );
    }
    // The latency workload runs at half of Petrel's maximum in the same mode, and paced
    // producers never exceed it.
    for mode in ["fsync", "defaults"] {
        let find = |id: &str, w: Workload| {
            runs.runs
                .iter()
                .find(|r| r.target.id() == id && r.workload == w)
                .unwrap()
        };
        let max = find(&format!("petrel-{mode}"), Workload::Max1k);
        let max_rate = max.figures.as_ref().unwrap().msgs_per_sec;
        for kind in ["petrel", "redis"] {
            let lat = find(&format!("{kind}-{mode}"), Workload::Latency1k);
            let rate = lat.spec.rate.expect("a fixed rate");
            assert!(
                (rate - max_rate / 2.0).abs() < 1.0,
                "{kind}-{mode}: {rate} vs {max_rate}"
            );
            let got = lat.figures.as_ref().unwrap().msgs_per_sec;
            assert!(
                got <= rate * 1.1,
                "{kind}-{mode}: {got} msgs/s at a pace of {rate}"
            );
        }
    }
    // 100 topics: Redis got all of them, so each consumer read its share.
    assert!(runs.runs.iter().any(|r| r.workload == Workload::Topics100));

    let md = std::fs::read_to_string(out.join("RESULTS.md")).unwrap();
    for row in [
        "| Petrel (flush sync) |",
        "| Redis streams (appendfsync always) |",
        "| Petrel (flush async) |",
        "| Redis streams (defaults) |",
    ] {
        assert_eq!(
            md.matches(row).count(),
            3,
            "{row} in every workload table:\n{md}"
        );
    }
    assert!(md.contains("×)"), "ratios to Petrel:\n{md}");
    assert!(md.contains("cargo test -p petrel --test peerbench"));
    let svg = std::fs::read_to_string(out.join("chart.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    assert_eq!(
        svg.matches("<title>").count(),
        12,
        "a dot per system and panel:\n{svg}"
    );
    // Nothing the suite started is left running or on disk.
    assert!(!tmp.path().join("scratch").exists());
}
