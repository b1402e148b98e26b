//! `petrel bench`: load-test a running `petrel serve` over the RocketMQ 5 gRPC protocol. The
//! work is petrel-bench's; this maps the flags, runs it until its limit or Ctrl-C, and prints
//! the report (text, or one JSON object). It exits non-zero when any call failed, the run was
//! aborted, sent messages never arrived, FIFO messages arrived out of order, or DELAY messages
//! arrived early.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use petrel_bench::{BenchConfig, Credentials, Limit};

/// Flags of `petrel bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// gRPC address of the server.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8081")]
    pub endpoint: String,
    /// AccessKey id that signs every call.
    #[arg(long, value_name = "ID", env = "PETREL_ACCESS_KEY_ID")]
    pub ak: String,
    /// AccessKey secret.
    #[arg(
        long,
        value_name = "SECRET",
        env = "PETREL_ACCESS_KEY_SECRET",
        hide_env_values = true
    )]
    pub sk: String,
    /// Instance id (RocketMQ namespace); the server finds the one instance with the topic when
    /// absent.
    #[arg(long, value_name = "INSTANCE")]
    pub namespace: Option<String>,
    /// Topic to send to and consume from (NORMAL; FIFO with --message-groups; DELAY with
    /// --delay-ms or --delay-secs).
    #[arg(long)]
    pub topic: String,
    /// Consumer group (needed with --consumers).
    #[arg(long)]
    pub group: Option<String>,
    /// Producer clients, each with its own connection.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub producers: usize,
    /// Simple-consumer clients (ReceiveMessage batch 32, AckMessage per batch).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub consumers: usize,
    /// Body size in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1024)]
    pub message_size: usize,
    /// Messages per SendMessage call.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub batch_size: usize,
    /// Outstanding SendMessage calls per producer.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub inflight: usize,
    /// Measure for this long (default 10 s when --count is absent).
    #[arg(long, value_name = "SECS", value_parser = seconds, conflicts_with = "count")]
    pub duration: Option<Duration>,
    /// Measure until this many messages were sent.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Pace all producers together at this many messages per second (latency then counts from
    /// each call's scheduled start); as fast as --inflight allows when absent.
    #[arg(long, value_name = "MSGS_PER_SEC")]
    pub rate: Option<f64>,
    /// Send this long before measuring.
    #[arg(long, value_name = "SECS", value_parser = seconds, default_value = "0")]
    pub warmup: Duration,
    /// Send FIFO messages spread over N message groups (a FIFO topic; consume with an orderly
    /// group). Consumers count messages that arrive after a later one of their group.
    #[arg(long, value_name = "N", conflicts_with_all = ["delay_ms", "delay_secs"])]
    pub message_groups: Option<usize>,
    /// Send DELAY messages due this many milliseconds after sending (a DELAY topic).
    /// Consumers report lateness (receive time − delivery time) and early deliveries.
    #[arg(long, value_name = "MS", conflicts_with = "delay_secs")]
    pub delay_ms: Option<u64>,
    /// As --delay-ms, in seconds.
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub delay_secs: Option<Duration>,
    /// Print the final report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Do not draw the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

fn seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` is not a duration"))
}

impl BenchArgs {
    fn config(self) -> BenchConfig {
        let limit = match (self.count, self.duration) {
            (Some(n), _) => Limit::Count(n),
            (None, Some(d)) => Limit::Duration(d),
            (None, None) => Limit::Duration(Duration::from_secs(10)),
        };
        let credentials = Credentials {
            access_key_id: self.ak,
            access_key_secret: self.sk,
        };
        let mut config = BenchConfig::new(self.endpoint, credentials, self.topic, limit);
        config.namespace = self.namespace;
        config.group = self.group;
        config.producers = self.producers;
        config.consumers = self.consumers;
        config.message_size = self.message_size;
        config.batch_size = self.batch_size;
        config.inflight = self.inflight;
        config.warmup = self.warmup;
        config.rate = self.rate;
        config.progress = !self.no_progress;
        config.message_groups = self.message_groups;
        config.delay = self.delay_ms.map(Duration::from_millis).or(self.delay_secs);
        config
    }
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let json = args.json;
    let config = args.config();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("petrel-bench")
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(petrel_bench::run_until(config, async {
        // Without a handler Ctrl-C would kill the run before it reports; if none can be
        // installed the run simply goes to its limit.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }))?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    if let Some(reason) = &report.aborted {
        bail!("the run was aborted: {reason}");
    }
    if report.error_total > 0 {
        bail!(
            "{} calls or messages failed (see errors)",
            report.error_total
        );
    }
    if let Some(r) = report.receive.as_ref() {
        if !r.complete {
            bail!("{} sent messages were not received in time", r.missing);
        }
        if let Some(f) = r.fifo.as_ref().filter(|f| f.order_violations > 0) {
            bail!(
                "{} messages arrived after a later message of their group",
                f.order_violations
            );
        }
        if let Some(d) = r.delay.as_ref().filter(|d| d.early > 0) {
            bail!(
                "{} messages were delivered before their delivery time",
                d.early
            );
        }
    }
    Ok(())
}
