//! The report: medians per target and workload, `RESULTS.md` with one table per durability
//! comparison and workload (each figure beside its ratio to Petrel), the notes written by
//! hand in `notes.md` (kept across runs), and `chart.svg` — throughput against send p99.

mod chart;

use std::fmt::Write as _;
use std::path::Path;

use crate::PeerError;
use crate::suite::{RunRecord, Runs};
use crate::system::{Durability, Kind, Target};
use crate::workload::Workload;

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// The medians of one target on one workload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub runs: usize,
    pub ok: usize,
    pub msgs_per_sec: Option<f64>,
    pub mb_per_sec: Option<f64>,
    pub send_p50: Option<f64>,
    pub send_p99: Option<f64>,
    pub send_p999: Option<f64>,
    pub e2e_p50: Option<f64>,
    pub e2e_p99: Option<f64>,
    pub cpu_per_million: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    pub setup_secs: Option<f64>,
    /// Median share of measured messages that consumers received.
    pub received_share: Option<f64>,
    /// Failed calls over all runs.
    pub errors: u64,
    /// The fixed rate asked for (latency workload).
    pub rate: Option<f64>,
    /// Why runs failed, first reason.
    pub failure: Option<String>,
}

/// Medians of the runs of `target` on `workload`.
pub fn summarize(runs: &[RunRecord], target: Target, workload: Workload) -> Summary {
    let mine: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.target == target && r.workload == workload)
        .collect();
    let figs: Vec<&crate::load::Figures> = mine.iter().filter_map(|r| r.figures.as_ref()).collect();
    let m = |f: &dyn Fn(&crate::load::Figures) -> Option<f64>| {
        median(figs.iter().filter_map(|x| f(x)).collect())
    };
    Summary {
        runs: mine.len(),
        ok: figs.len(),
        msgs_per_sec: m(&|f| Some(f.msgs_per_sec)),
        mb_per_sec: m(&|f| Some(f.mb_per_sec)),
        send_p50: m(&|f| f.send.map(|p| p.p50)),
        send_p99: m(&|f| f.send.map(|p| p.p99)),
        send_p999: m(&|f| f.send.map(|p| p.p999)),
        e2e_p50: m(&|f| f.e2e.map(|p| p.p50)),
        e2e_p99: m(&|f| f.e2e.map(|p| p.p99)),
        cpu_per_million: m(&|f| f.cpu_secs_per_million),
        peak_rss_mib: m(&|f| Some(f.peak_rss_bytes as f64 / (1024.0 * 1024.0))),
        setup_secs: median(mine.iter().filter_map(|r| r.setup_secs).collect()),
        received_share: m(&|f| (f.sent > 0).then(|| f.received as f64 / f.sent as f64)),
        errors: figs.iter().map(|f| f.errors.values().sum::<u64>()).sum(),
        rate: median(mine.iter().filter_map(|r| r.spec.rate).collect()),
        failure: mine.iter().find_map(|r| r.error.clone()),
    }
}

/// The targets of one comparison, Petrel first: a system whose defaults already fsync
/// appears in both.
pub fn comparison(runs: &Runs, mode: Durability) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for kind in Kind::ALL {
        let wanted = Target {
            kind,
            durability: mode,
        };
        let shared = Target {
            kind,
            durability: Durability::Fsync,
        };
        let target = if runs.runs.iter().any(|r| r.target == wanted) {
            wanted
        } else if kind.defaults_fsync() && runs.runs.iter().any(|r| r.target == shared) {
            shared
        } else {
            continue;
        };
        out.push(target);
    }
    out
}

fn num(v: Option<f64>) -> String {
    match v {
        None => "–".to_owned(),
        Some(v) if v >= 100.0 => group_thousands(v.round()),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) if v >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

fn group_thousands(v: f64) -> String {
    let digits = format!("{v:.0}");
    let (sign, digits) = digits
        .strip_prefix('-')
        .map_or(("", digits.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// `value (ratio×)`, the ratio being value / Petrel's.
fn with_ratio(v: Option<f64>, petrel: Option<f64>, is_petrel: bool) -> String {
    match (v, petrel) {
        (Some(v), Some(p)) if !is_petrel && p > 0.0 => format!("{} ({:.2}×)", num(Some(v)), v / p),
        _ => num(v),
    }
}

fn table(out: &mut String, runs: &Runs, mode: Durability, workload: Workload) {
    let targets = comparison(runs, mode);
    let petrel = targets
        .iter()
        .find(|t| t.kind == Kind::Petrel)
        .map(|t| summarize(&runs.runs, *t, workload))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "| System | msgs/s | MB/s | send p50 ms | send p99 ms | send p99.9 ms | e2e p50 ms | e2e p99 ms | CPU s / M msgs | peak RSS MiB | setup s | runs | notes |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for t in targets {
        let s = summarize(&runs.runs, t, workload);
        let me = t.kind == Kind::Petrel;
        let r = |v: Option<f64>, p: Option<f64>| with_ratio(v, p, me);
        let mut notes = Vec::new();
        if let Some(share) = s.received_share.filter(|x| *x < 0.999) {
            notes.push(format!(
                "consumers got {:.1}% by the end of the drain",
                share * 100.0
            ));
        }
        if s.errors > 0 {
            notes.push(format!("{} failed calls", s.errors));
        }
        if let (Some(rate), Some(got)) = (s.rate, s.msgs_per_sec)
            && got < rate * 0.97
        {
            notes.push(format!("below the asked {} msgs/s", num(Some(rate))));
        }
        if s.ok < s.runs
            && let Some(f) = &s.failure
        {
            notes.push(format!(
                "{} of {} runs failed: {}",
                s.runs - s.ok,
                s.runs,
                f.replace('|', "/")
            ));
        }
        if t.durability != mode {
            notes.push("its defaults fsync: the same runs as in the fsync table".to_owned());
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} | {} |",
            t.label(),
            r(s.msgs_per_sec, petrel.msgs_per_sec),
            num(s.mb_per_sec),
            r(s.send_p50, petrel.send_p50),
            r(s.send_p99, petrel.send_p99),
            r(s.send_p999, petrel.send_p999),
            r(s.e2e_p50, petrel.e2e_p50),
            r(s.e2e_p99, petrel.e2e_p99),
            r(s.cpu_per_million, petrel.cpu_per_million),
            r(s.peak_rss_mib, petrel.peak_rss_mib),
            num(s.setup_secs),
            s.ok,
            s.runs,
            notes.join("; "),
        );
    }
}

/// Where Petrel is behind a peer at equal durability, as lines for the report.
pub fn behind(runs: &Runs) -> Vec<String> {
    let mut out = Vec::new();
    for mode in [Durability::Fsync, Durability::Defaults] {
        let targets = comparison(runs, mode);
        let Some(p) = targets.iter().find(|t| t.kind == Kind::Petrel) else {
            continue;
        };
        for w in Workload::ALL {
            let ps = summarize(&runs.runs, *p, w);
            for t in targets.iter().filter(|t| t.kind != Kind::Petrel) {
                let s = summarize(&runs.runs, *t, w);
                let rate_fixed = w == Workload::Latency1k;
                if !rate_fixed
                    && let (Some(a), Some(b)) = (s.msgs_per_sec, ps.msgs_per_sec)
                    && a > b
                {
                    out.push(format!(
                        "{} / {}: {} sends {:.2}× Petrel's msgs/s",
                        mode_name(mode),
                        w.id(),
                        t.label(),
                        a / b
                    ));
                }
                if let (Some(a), Some(b)) = (s.send_p99, ps.send_p99)
                    && a < b
                {
                    out.push(format!(
                        "{} / {}: {} has a lower send p99 ({} vs {} ms)",
                        mode_name(mode),
                        w.id(),
                        t.label(),
                        num(Some(a)),
                        num(Some(b))
                    ));
                }
            }
        }
    }
    out
}

fn mode_name(mode: Durability) -> &'static str {
    match mode {
        Durability::Fsync => "fsync before ack",
        Durability::Defaults => "each system's defaults",
    }
}

/// The whole `RESULTS.md`.
pub fn markdown(runs: &Runs, notes: Option<&str>) -> String {
    let mut out = String::new();
    let m = &runs.machine;
    let _ = writeln!(
        out,
        "# Petrel beside NATS JetStream, Redis streams and RabbitMQ\n"
    );
    let _ = writeln!(
        out,
        "Written by `petrel-peerbench` from `runs.json` (every run, with all its figures). \
         Started {}, finished {}.\n",
        runs.started, runs.finished
    );
    let _ = writeln!(out, "## How it was run\n");
    let _ = writeln!(out, "```sh\n{}\n```\n", runs.command);
    let _ = writeln!(
        out,
        "- Machine: {} × {}, {} RAM, {}; disk: `{}`",
        m.cpus, m.cpu_model, m.memory, m.kernel, m.disk
    );
    let _ = writeln!(
        out,
        "- Load average before the suite: {}",
        m.load_average_before
    );
    let _ = writeln!(
        out,
        "- Servers pinned to CPUs {}; the load generator to CPUs {}",
        m.server_cpus, m.client_cpus
    );
    for (name, version) in &m.versions {
        let _ = writeln!(
            out,
            "- {name}: {}",
            if version.is_empty() {
                "unknown"
            } else {
                version
            }
        );
    }
    let _ = writeln!(
        out,
        "\nOne Rust load generator drives every system through that system's own Rust client \
         (Petrel: RocketMQ 5 gRPC, signed like the SDKs; NATS: `async-nats`; Redis: `redis`; \
         RabbitMQ: `lapin` for quorum queues, `rabbitmq-stream-client` for streams). Each run \
         starts the server afresh on 127.0.0.1 with an empty data dir; producers send one \
         message per call and wait for the system's acknowledgement; consumers receive and \
         acknowledge everything; the run measures a window after a warm-up, then gives consumers \
         up to 10 s to drain. Systems alternate run by run, the order rotating each round; \
         every figure is the median over the runs. Send latency counts from the send (from its \
         scheduled time at a fixed rate) to the acknowledgement; end-to-end from the send to \
         the consumer's receipt. CPU is the server's whole process tree inside the window; \
         peak RSS the largest sample (every 200 ms) of the tree's resident memory. Ratios in \
         parentheses are to Petrel in the same table (for latency, CPU and memory lower is \
         better).\n"
    );
    let _ = writeln!(out, "![throughput against send p99 latency](chart.svg)\n");
    if let Some(n) = notes {
        let _ = writeln!(out, "## Notes\n\n{}\n", n.trim());
    }
    let behind = behind(runs);
    let _ = writeln!(out, "## Where Petrel is not ahead\n");
    if behind.is_empty() {
        let _ = writeln!(out, "Nowhere in these runs.\n");
    } else {
        for b in behind {
            let _ = writeln!(out, "- {b}");
        }
        out.push('\n');
    }
    for mode in [Durability::Fsync, Durability::Defaults] {
        if comparison(runs, mode).is_empty() {
            continue;
        }
        let title = match mode {
            Durability::Fsync => "Fsync before the acknowledgement (Petrel's default)",
            Durability::Defaults => "Each system's defaults (Petrel with `flush_mode = \"async\"`)",
        };
        let _ = writeln!(out, "## {title}\n");
        for w in Workload::ALL {
            if !runs.runs.iter().any(|r| r.workload == w) {
                continue;
            }
            let _ = writeln!(out, "### {} — {}\n", w.id(), w.describe());
            if let Some(spec) = runs.runs.iter().find(|r| r.workload == w).map(|r| &r.spec) {
                let _ = writeln!(
                    out,
                    "{} producers × {} in flight, {} consumers, {} s measured after {} s warm-up.\n",
                    spec.producers,
                    spec.inflight,
                    spec.consumers,
                    spec.duration.as_secs_f64(),
                    spec.warmup.as_secs_f64()
                );
            }
            table(&mut out, runs, mode, w);
            out.push('\n');
        }
    }
    for mode in [Durability::Fsync, Durability::Defaults] {
        for t in Kind::ALL.map(|kind| Target {
            kind,
            durability: mode,
        }) {
            if let Some(why) = t.kind.unsupported(mode) {
                let _ = writeln!(out, "- Not in the {} table: {why}.", mode_name(mode));
            }
        }
    }
    out
}

/// Writes `RESULTS.md` and `chart.svg` into `out` (reading `notes.md` there if present).
pub fn write(out: &Path, runs: &Runs) -> Result<(), PeerError> {
    let notes_path = out.join("notes.md");
    let notes = std::fs::read_to_string(&notes_path).ok();
    let md = markdown(runs, notes.as_deref());
    let path = out.join("RESULTS.md");
    std::fs::write(&path, md).map_err(|e| PeerError::io(&path, e))?;
    let svg = chart::svg(runs);
    let path = out.join("chart.svg");
    std::fs::write(&path, svg).map_err(|e| PeerError::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(num(Some(23_456.7)), "23,457");
        assert_eq!(num(Some(12.34)), "12.3");
        assert_eq!(num(Some(0.4567)), "0.457");
        assert_eq!(num(None), "–");
        assert_eq!(with_ratio(Some(50.0), Some(100.0), false), "50.0 (0.50×)");
        assert_eq!(with_ratio(Some(100.0), Some(100.0), true), "100");
    }
}
