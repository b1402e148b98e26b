//! `petrel lag`: how far a consumer group is behind on a topic (`GetConsumerGroupLag`). It
//! needs the broker, so only a running server answers it.

use clap::Args;

use super::Target;
use super::output::{Table, fields};

#[derive(Debug, Args)]
pub struct LagArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Consumer group id.
    #[arg(long)]
    pub group: String,
    /// Topic the group consumes.
    #[arg(long)]
    pub topic: String,
}

pub fn run(target: &Target, args: &LagArgs) -> anyhow::Result<()> {
    let r = target.remote("lag")?;
    let lag = r.call(
        r.client
            .consumer_group_lag(&args.instance, &args.group, &args.topic),
    )?;
    r.print(&lag, || {
        let head = fields(&[
            ("instance", lag.instance_id.clone()),
            ("group", lag.consumer_group_id.clone()),
            ("ready", lag.total_lag.ready_count.to_string()),
            ("inflight", lag.total_lag.inflight_count.to_string()),
        ]);
        let mut t = Table::new(&["TOPIC", "READY", "INFLIGHT"]);
        for (topic, l) in &lag.topic_lag_map {
            t.row(vec![
                topic.clone(),
                l.ready_count.to_string(),
                l.inflight_count.to_string(),
            ]);
        }
        format!("{head}\n\n{}", t.render())
    })
}
