//! The live progress bar on standard error: measured messages against the count (or elapsed
//! time against the duration) and the current send and receive rates. Hidden when standard
//! error is not a terminal or progress is turned off.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;

use crate::config::Limit;
use crate::run::Shared;
use crate::stats::Live;

/// How often the rates are recomputed.
const TICK: Duration = Duration::from_millis(500);

/// A running progress bar.
pub(crate) struct Progress {
    bar: ProgressBar,
    task: JoinHandle<()>,
}

impl Progress {
    /// Starts drawing for `shared` (a hidden bar when `visible` is false).
    pub fn start(shared: Arc<Shared>, visible: bool) -> Progress {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let (len, template) = match shared.config.limit {
            Limit::Count(n) => (
                n,
                "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} {msg}",
            ),
            Limit::Duration(d) => (
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                "{elapsed_precise} [{bar:30}] {msg}",
            ),
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        let task = tokio::spawn(tick(shared, bar.clone()));
        Progress { bar, task }
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

async fn tick(shared: Arc<Shared>, bar: ProgressBar) {
    let live = &shared.live;
    let mut last = (Instant::now(), 0u64, 0u64);
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let now = Instant::now();
        let (sent, received) = (Live::get(&live.sent_any), Live::get(&live.received_any));
        let secs = now.duration_since(last.0).as_secs_f64();
        let send_rate = crate::report::rate(sent.saturating_sub(last.1), secs);
        let recv_rate = crate::report::rate(received.saturating_sub(last.2), secs);
        last = (now, sent, received);
        let warming = now < shared.measure_start;
        match shared.config.limit {
            Limit::Count(_) => bar.set_position(Live::get(&live.sent) + Live::get(&live.failed)),
            Limit::Duration(_) => bar.set_position(
                u64::try_from(
                    now.saturating_duration_since(shared.measure_start)
                        .as_millis(),
                )
                .unwrap_or(u64::MAX),
            ),
        }
        let mut msg = format!(
            "{}send {send_rate:.0} msg/s",
            if warming { "warm-up " } else { "" }
        );
        if shared.config.consumers > 0 {
            msg.push_str(&format!(" | recv {recv_rate:.0} msg/s"));
        }
        let errors = Live::get(&live.errors);
        if errors > 0 {
            msg.push_str(&format!(" | {errors} errors"));
        }
        bar.set_message(msg);
    }
}
