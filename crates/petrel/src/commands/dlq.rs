//! `petrel dlq`: a consumer group's dead letters — the messages it failed to consume within its
//! retry policy, or that a client forwarded — listed by time, shown one at a time, and re-sent
//! to the group (ONS `OnsDLQMessage*`). Dead letters live in the broker, so only a running
//! server answers.

use clap::{Args, Subcommand};
use petrel_client::DeadLetter;

use super::Target;
use super::output::{Table, fields};

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List a group's dead letters, oldest first.
    List(ListArgs),
    /// Show one dead letter by the original message id (the newest, if it died more than once).
    Get(OneArgs),
    /// Re-send a dead letter to its group: it is delivered again from attempt 1.
    Resend(OneArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Consumer group id.
    #[arg(long)]
    pub group: String,
    /// Only dead letters from this time on (epoch milliseconds).
    #[arg(long, value_name = "MS")]
    pub from: Option<i64>,
    /// Only dead letters up to this time (epoch milliseconds, inclusive).
    #[arg(long, value_name = "MS")]
    pub to: Option<i64>,
    /// Page number, from 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page: Option<u32>,
    /// Dead letters per page (1–1000) [server default: 20].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: Option<u32>,
}

#[derive(Debug, Args)]
pub struct OneArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Consumer group id.
    #[arg(long)]
    pub group: String,
    /// The original message id.
    pub id: String,
}

pub fn run(target: &Target, command: DlqCommand) -> anyhow::Result<()> {
    match command {
        DlqCommand::List(args) => list(target, &args),
        DlqCommand::Get(args) => get(target, &args),
        DlqCommand::Resend(args) => resend(target, &args),
    }
}

fn prop(l: &DeadLetter, name: &str) -> String {
    l.property(name).unwrap_or_default().to_owned()
}

fn list(target: &Target, args: &ListArgs) -> anyhow::Result<()> {
    let r = target.remote("dlq list")?;
    let page = r.call(r.client.list_dead_letters(
        &args.instance,
        &args.group,
        (args.from, args.to),
        args.page,
        args.page_size,
    ))?;
    r.print(&page, || {
        let mut t = Table::new(&[
            "MESSAGE ID",
            "TOPIC",
            "ATTEMPTS",
            "REASON",
            "DEAD SINCE (MS)",
            "RESENT AT (MS)",
        ]);
        for l in &page.found.ons_rest_message_do {
            t.row(vec![
                l.msg_id.clone(),
                l.topic.clone(),
                l.reconsume_times.to_string(),
                prop(l, "DLQ_REASON"),
                l.store_timestamp.to_string(),
                prop(l, "DLQ_RESENT_AT"),
            ]);
        }
        format!(
            "{}\n\npage {} of {}",
            t.render(),
            page.current_page,
            page.max_page_count
        )
    })
}

fn get(target: &Target, args: &OneArgs) -> anyhow::Result<()> {
    let r = target.remote("dlq get")?;
    let l = r.call(
        r.client
            .get_dead_letter(&args.instance, &args.group, &args.id),
    )?;
    r.print(&l, || {
        let head = fields(&[
            ("message id", l.msg_id.clone()),
            ("topic", l.topic.clone()),
            ("attempts", l.reconsume_times.to_string()),
            ("dead since (ms)", l.store_timestamp.to_string()),
            ("born (ms)", format!("{} {}", l.born_timestamp, l.born_host)),
            ("body size", l.store_size.to_string()),
            ("body", l.body.clone()),
        ]);
        let mut props = Table::new(&["PROPERTY", "VALUE"]);
        for p in &l.property_list.message_property {
            props.row(vec![p.name.clone(), p.value.clone()]);
        }
        format!("{head}\n\n{}", props.render())
    })
}

fn resend(target: &Target, args: &OneArgs) -> anyhow::Result<()> {
    let r = target.remote("dlq resend")?;
    let id = r.call(
        r.client
            .resend_dead_letter(&args.instance, &args.group, &args.id),
    )?;
    r.print(&serde_json::json!({ "msgId": id }), || {
        format!(
            "re-sent message `{id}` to group `{}`: it is delivered again from attempt 1",
            args.group
        )
    })
}
