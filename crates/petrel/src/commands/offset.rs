//! `petrel offset reset`: moving a consumer group's progress on a topic to the latest message
//! or to a store time (`ResetConsumeOffset`). Progress lives in the broker, so only a running
//! server answers.

use clap::{ArgGroup, Args, Subcommand};
use petrel_client::ResetOffset;
use serde_json::json;

use super::Target;

#[derive(Debug, Subcommand)]
pub enum OffsetCommand {
    /// Move a consumer group's progress on a topic (skipping or re-delivering messages).
    Reset(ResetArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("to").required(true).args(["latest", "to_time"])))]
pub struct ResetArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Consumer group id.
    #[arg(long)]
    pub group: String,
    /// Topic the group consumes.
    #[arg(long)]
    pub topic: String,
    /// Skip every message stored so far.
    #[arg(long)]
    pub latest: bool,
    /// Re-deliver from the first message stored at or after this time: epoch milliseconds or
    /// `YYYY-MM-DD HH:mm:ss` (UTC).
    #[arg(long, value_name = "TIME")]
    pub to_time: Option<String>,
}

pub fn run(target: &Target, command: OffsetCommand) -> anyhow::Result<()> {
    match command {
        OffsetCommand::Reset(args) => reset(target, &args),
    }
}

fn reset(target: &Target, args: &ResetArgs) -> anyhow::Result<()> {
    let r = target.remote("offset reset")?;
    let to = match &args.to_time {
        Some(t) if !args.latest => ResetOffset::Time(t.clone()),
        _ => ResetOffset::Latest,
    };
    r.call(
        r.client
            .reset_consume_offset(&args.instance, &args.group, &args.topic, &to),
    )?;
    let (reset_type, reset_time) = match &to {
        ResetOffset::Latest => ("LATEST_OFFSET", None),
        ResetOffset::Time(t) => ("SPECIFIED_TIME", Some(t.as_str())),
    };
    let answer = json!({
        "instanceId": args.instance,
        "consumerGroupId": args.group,
        "topicName": args.topic,
        "resetType": reset_type,
        "resetTime": reset_time,
    });
    r.print(&answer, || match reset_time {
        None => format!(
            "reset group `{}` on topic `{}` to the latest offset",
            args.group, args.topic
        ),
        Some(t) => format!(
            "reset group `{}` on topic `{}` to time {t}",
            args.group, args.topic
        ),
    })
}
