//! The suite: for each workload, round after round, every target in turn (the order rotates
//! each round so no system always runs first or last), each run on a freshly started server.
//! Every run is saved to `runs.json` as soon as it ends, so an interrupted suite keeps what it
//! measured; the report is written from that file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::PeerError;
use crate::driver::Driver;
use crate::load::{self, Figures};
use crate::procfs;
use crate::report;
use crate::server::{self, Installs};
use crate::system::{Durability, Kind, Target};
use crate::workload::{LoadSpec, Workload};

/// What the suite runs and where it writes.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    pub out: PathBuf,
    pub runs: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub kinds: Vec<Kind>,
    pub modes: Vec<Durability>,
    pub workloads: Vec<Workload>,
    pub server_cpus: Option<String>,
    pub setup_timeout: Duration,
    /// A target whose first run of a workload spent longer than this setting it up (or
    /// could not set it up) runs that workload once, not `runs` times.
    pub slow_setup: Duration,
    pub scratch: PathBuf,
    pub installs: Installs,
    pub command_line: String,
}

/// One run of one target on one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub target: Target,
    pub workload: Workload,
    pub round: usize,
    pub spec: LoadSpec,
    /// Seconds from starting the server to its ports answering.
    pub startup_secs: f64,
    /// Seconds to create the topics (and groups, queues, streams).
    pub setup_secs: Option<f64>,
    pub figures: Option<Figures>,
    /// Why the run produced no figures.
    pub error: Option<String>,
}

/// The machine and the software the suite ran on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cpus: usize,
    pub memory: String,
    pub kernel: String,
    pub disk: String,
    pub load_average_before: String,
    pub server_cpus: String,
    pub client_cpus: String,
    pub versions: Vec<(String, String)>,
}

/// Everything the report is written from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Runs {
    /// UTC, RFC 3339, when the suite started.
    pub started: String,
    pub finished: String,
    pub command: String,
    pub machine: Machine,
    pub runs: Vec<RunRecord>,
}

fn first_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

fn machine(config: &SuiteConfig) -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let meminfo = read("/proc/meminfo");
    let installs = &config.installs;
    let path = |p: &Path| p.display().to_string();
    Machine {
        cpu_model: cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_default(),
        cpus: std::thread::available_parallelism()
            .map_or(0, usize::from)
            .max(
                cpuinfo
                    .lines()
                    .filter(|l| l.starts_with("processor"))
                    .count(),
            ),
        memory: meminfo
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("MemTotal:")
            .trim()
            .to_owned(),
        kernel: first_line("uname", &["-sr"]),
        disk: first_line("sh", &["-c", "df -hT / | tail -1"]),
        load_average_before: read("/proc/loadavg").trim().to_owned(),
        server_cpus: config
            .server_cpus
            .clone()
            .unwrap_or_else(|| "not pinned".to_owned()),
        client_cpus: procfs::allowed_cpus(),
        versions: vec![
            (
                "petrel".to_owned(),
                first_line(&path(&installs.petrel), &["--version"]),
            ),
            (
                "nats-server".to_owned(),
                first_line(&path(&installs.nats_server), &["--version"]),
            ),
            (
                "redis-server".to_owned(),
                first_line(&path(&installs.redis_server), &["--version"]),
            ),
            (
                "rabbitmq-server".to_owned(),
                first_line("dpkg-query", &["-W", "-f=${Version}", "rabbitmq-server"]),
            ),
            (
                "erlang".to_owned(),
                first_line("dpkg-query", &["-W", "-f=${Version}", "erlang-base"]),
            ),
        ],
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn save(out: &Path, runs: &Runs) -> Result<(), PeerError> {
    let path = out.join("runs.json");
    let text = serde_json::to_string_pretty(runs).map_err(|e| PeerError::io(&path, e.into()))?;
    std::fs::write(&path, text).map_err(|e| PeerError::io(&path, e))
}

/// The fixed rate of the latency workload for `target`: half of Petrel's median maximum
/// (1 topic, 1 KiB) in the comparison `target` belongs to.
fn latency_rate(runs: &[RunRecord], target: Target) -> Option<f64> {
    let petrel = Target {
        kind: Kind::Petrel,
        durability: target.durability,
    };
    let rates: Vec<f64> = runs
        .iter()
        .filter(|r| r.target == petrel && r.workload == Workload::Max1k)
        .filter_map(|r| r.figures.as_ref().map(|f| f.msgs_per_sec))
        .collect();
    report::median(rates).map(|m| (m / 2.0).max(1.0))
}

/// Runs the whole suite and writes the report.
pub async fn run(config: &SuiteConfig) -> Result<(), PeerError> {
    if config.runs == 0 {
        return Err(PeerError::InvalidOption {
            option: "--runs",
            value: "0".to_owned(),
            reason: "each figure is a median of at least one run".to_owned(),
        });
    }
    std::fs::create_dir_all(&config.out).map_err(|e| PeerError::io(&config.out, e))?;
    std::fs::create_dir_all(&config.scratch).map_err(|e| PeerError::io(&config.scratch, e))?;
    let targets = Target::plan(&config.kinds, &config.modes);
    // Listening from the start: once a handler exists, Ctrl-C no longer kills the process,
    // so the suite must notice it everywhere, and stop the server it started.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        interrupted().await;
        let _ = stop_tx.send(true);
    });
    let mut runs = Runs {
        started: now_rfc3339(),
        command: config.command_line.clone(),
        machine: machine(config),
        ..Runs::default()
    };
    for &workload in &config.workloads {
        for round in 0..config.runs {
            let n = targets.len().max(1);
            for i in 0..targets.len() {
                let target = targets[(i + round) % n];
                let rate = match workload {
                    Workload::Latency1k => latency_rate(&runs.runs, target),
                    _ => None,
                };
                if round > 0
                    && let Some(first) = runs
                        .runs
                        .iter()
                        .find(|r| r.target == target && r.workload == workload && r.round == 0)
                    && (first
                        .setup_secs
                        .is_none_or(|s| s > config.slow_setup.as_secs_f64()))
                {
                    continue;
                }
                let record = if workload == Workload::Latency1k && rate.is_none() {
                    RunRecord {
                        target,
                        workload,
                        round,
                        spec: workload.spec(config.warmup, config.duration, None),
                        startup_secs: 0.0,
                        setup_secs: None,
                        figures: None,
                        error: Some(
                            "no maximum of Petrel in this durability mode to take half of (run max-1k first)"
                                .to_owned(),
                        ),
                    }
                } else {
                    run_one(config, target, workload, round, rate, stop.clone()).await
                };
                eprintln!("{}", progress_line(&record));
                let interrupted = record.error.as_deref() == Some(INTERRUPTED);
                if !interrupted {
                    runs.runs.push(record);
                }
                runs.finished = now_rfc3339();
                save(&config.out, &runs)?;
                if interrupted {
                    let _ = std::fs::remove_dir_all(&config.scratch);
                    return Err(PeerError::Interrupted {
                        saved: config.out.join("runs.json"),
                    });
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&config.scratch);
    report::write(&config.out, &runs)
}

/// Writes the report again from `out/runs.json`.
pub fn rewrite_report(out: &Path) -> Result<(), PeerError> {
    let path = out.join("runs.json");
    let text = std::fs::read_to_string(&path).map_err(|e| PeerError::io(&path, e))?;
    let runs: Runs = serde_json::from_str(&text).map_err(|e| PeerError::io(&path, e.into()))?;
    report::write(out, &runs)
}

fn progress_line(r: &RunRecord) -> String {
    match (&r.figures, &r.error) {
        (Some(f), _) => format!(
            "{:<16} {:<40} round {}: {:>9.0} msgs/s  send p99 {:>8.2} ms  e2e p99 {:>9.2} ms  received {}/{}  errors {}",
            r.workload.id(),
            r.target.label(),
            r.round + 1,
            f.msgs_per_sec,
            f.send.map_or(f64::NAN, |p| p.p99),
            f.e2e.map_or(f64::NAN, |p| p.p99),
            f.received,
            f.sent,
            f.errors.values().sum::<u64>(),
        ),
        (None, e) => format!(
            "{:<16} {:<40} round {}: failed: {}",
            r.workload.id(),
            r.target.label(),
            r.round + 1,
            e.as_deref().unwrap_or("unknown")
        ),
    }
}

/// The error of a run cut short by Ctrl-C or SIGTERM (it is not saved).
const INTERRUPTED: &str = "interrupted";

/// Resolves on Ctrl-C or SIGTERM (never, if neither can be listened for).
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut i), Ok(mut t)) => {
            tokio::select! {
                _ = i.recv() => {}
                _ = t.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

async fn run_one(
    config: &SuiteConfig,
    target: Target,
    workload: Workload,
    round: usize,
    rate: Option<f64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> RunRecord {
    let spec = workload.spec(config.warmup, config.duration, rate);
    let mut record = RunRecord {
        target,
        workload,
        round,
        spec: spec.clone(),
        startup_secs: 0.0,
        setup_secs: None,
        figures: None,
        error: None,
    };
    if *stop.borrow() {
        record.error = Some(INTERRUPTED.to_owned());
        return record;
    }
    let installs = config.installs.clone();
    let cpus = config.server_cpus.clone();
    let scratch = config.scratch.clone();
    let started = tokio::task::spawn_blocking(move || {
        server::start(target, &installs, cpus.as_deref(), &scratch)
    })
    .await;
    let server = match started {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            record.error = Some(e.to_string());
            return record;
        }
        Err(e) => {
            record.error = Some(format!("the start task failed: {e}"));
            return record;
        }
    };
    record.startup_secs = server.startup.as_secs_f64();
    let bound =
        config.setup_timeout + spec.warmup + spec.duration + spec.drain + Duration::from_secs(60);
    let work = tokio::time::timeout(bound, async {
        let mut driver = Driver::connect(&server.endpoint).await?;
        let t = Instant::now();
        // Setting up covers creating the topics and subscribing the consumers to them.
        let prepared = tokio::time::timeout(config.setup_timeout, async {
            driver.setup(spec.topics).await?;
            load::prepare(&driver, &spec)
                .await
                .map_err(|reason| PeerError::Setup {
                    system: target.label().to_owned(),
                    what: "the producers and consumers".to_owned(),
                    reason,
                })
        })
        .await
        .map_err(|_| PeerError::SetupTimeout {
            system: target.label().to_owned(),
            topics: spec.topics,
            secs: config.setup_timeout.as_secs(),
        })??;
        let setup = t.elapsed().as_secs_f64();
        let figures = load::run(prepared, &spec, server.pid)
            .await
            .map_err(|reason| PeerError::Setup {
                system: target.label().to_owned(),
                what: "the run".to_owned(),
                reason,
            })?;
        Ok::<_, PeerError>((setup, figures))
    });
    // The server is stopped however the run ends, Ctrl-C included.
    let outcome = tokio::select! {
        o = work => Some(o),
        _ = stop.wait_for(|s| *s) => None,
    };
    let Some(outcome) = outcome else {
        record.error = Some(INTERRUPTED.to_owned());
        let installs = config.installs.clone();
        let _ = tokio::task::spawn_blocking(move || server.stop(&installs)).await;
        return record;
    };
    match outcome {
        Ok(Ok((setup, figures))) => {
            record.setup_secs = Some(setup);
            record.figures = Some(figures);
        }
        Ok(Err(e)) => record.error = Some(e.to_string()),
        Err(_) => record.error = Some(format!("the run took longer than {} s", bound.as_secs())),
    }
    if record.error.is_some() {
        let log = std::fs::read_to_string(server.log()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        if !tail.is_empty()
            && let Some(e) = record.error.as_mut()
        {
            e.push_str(&format!(" (server log: {})", tail.join(" | ")));
        }
    }
    let installs = config.installs.clone();
    let _ = tokio::task::spawn_blocking(move || server.stop(&installs)).await;
    record
}
