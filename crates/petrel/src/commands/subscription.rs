//! `petrel subscription`: which consumer groups consume which topics, with which filter, and
//! which clients are online — as the groups' clients report it to the running server — and
//! deleting an offline subscription.

use clap::{ArgGroup, Args, Subcommand};
use petrel_client::SubscriptionInfo;

use super::Target;
use super::output::Table;

#[derive(Debug, Subcommand)]
pub enum SubscriptionCommand {
    /// List the subscriptions of a consumer group, or to a topic.
    List(ListArgs),
    /// Show the clients of a group's subscription to a topic.
    Get(OneArgs),
    /// Forget an offline subscription (refused while clients consume it).
    Delete(OneArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("of").required(true).args(["group", "topic"])))]
pub struct ListArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// The consumer group whose subscriptions to list.
    #[arg(long)]
    pub group: Option<String>,
    /// The topic whose subscribers to list (with --group: only that topic of the group).
    #[arg(long)]
    pub topic: Option<String>,
}

#[derive(Debug, Args)]
pub struct OneArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Consumer group id.
    #[arg(long)]
    pub group: String,
    /// Topic name.
    #[arg(long)]
    pub topic: String,
}

pub fn run(target: &Target, command: SubscriptionCommand) -> anyhow::Result<()> {
    match command {
        SubscriptionCommand::List(args) => list(target, &args),
        SubscriptionCommand::Get(args) => get(target, &args),
        SubscriptionCommand::Delete(args) => delete(target, &args),
    }
}

fn table(subs: &[SubscriptionInfo]) -> String {
    let mut t = Table::new(&["GROUP", "TOPIC", "STATUS", "FILTER", "CONSISTENT"]);
    for s in subs {
        t.row(vec![
            s.consumer_group_id.clone(),
            s.topic_name.clone(),
            s.subscription_status.clone(),
            format!("{} {}", s.filter_expression_type, s.filter_expression),
            if s.consistency { "yes" } else { "no" }.to_owned(),
        ]);
    }
    t.render()
}

fn list(target: &Target, args: &ListArgs) -> anyhow::Result<()> {
    let r = target.remote("subscription list")?;
    let subs = match &args.group {
        Some(group) => r.call(r.client.list_group_subscriptions(
            &args.instance,
            group,
            args.topic.as_deref(),
        ))?,
        None => r.call(
            r.client
                .list_topic_subscriptions(&args.instance, args.topic.as_deref().unwrap_or("")),
        )?,
    };
    r.print(&subs, || table(&subs))
}

fn get(target: &Target, args: &OneArgs) -> anyhow::Result<()> {
    let r = target.remote("subscription get")?;
    let clients = r.call(
        r.client
            .group_subscription(&args.instance, &args.group, &args.topic),
    )?;
    r.print(&clients, || {
        let mut t = Table::new(&["CLIENT ID", "HOST", "SDK", "STATUS", "FILTER"]);
        for c in &clients {
            t.row(vec![
                c.connection.client_id.clone(),
                c.connection.hostname.clone(),
                format!("{} {}", c.connection.language, c.connection.version),
                c.subscription.subscription_status.clone(),
                format!(
                    "{} {}",
                    c.subscription.filter_expression_type, c.subscription.filter_expression
                ),
            ]);
        }
        t.render()
    })
}

fn delete(target: &Target, args: &OneArgs) -> anyhow::Result<()> {
    let r = target.remote("subscription delete")?;
    r.call(
        r.client
            .delete_group_subscription(&args.instance, &args.group, &args.topic),
    )?;
    r.print(
        &serde_json::json!({"group": args.group, "topic": args.topic, "deleted": true}),
        || {
            format!(
                "deleted the subscription of group `{}` to topic `{}`",
                args.group, args.topic
            )
        },
    )
}
