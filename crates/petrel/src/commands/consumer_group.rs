//! `petrel group …`: the consumer groups of an instance (`petrel user-group` is RAM groups).

use clap::Subcommand;
use petrel_client::{ConsumerGroup, NewConsumerGroup as ApiNewGroup};
use petrel_meta::{DeliveryOrder, NewConsumerGroup, RetryPolicy};
use serde_json::json;

use super::output::{Table, fields, opt};
use super::{Mode, Remote, Session, Target};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a consumer group.
    Create {
        /// Group id.
        id: String,
        /// Instance id.
        #[arg(long)]
        instance: String,
        /// Deliver in order within a message group.
        #[arg(long)]
        orderly: bool,
        /// Retries before a message goes to the dead-letter queue.
        #[arg(long, default_value_t = 16)]
        max_retries: u32,
        /// Remark.
        #[arg(long)]
        remark: Option<String>,
    },
    /// List the consumer groups of an instance.
    List {
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
    /// Show a consumer group.
    Get {
        /// Group id.
        id: String,
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
    /// Delete a consumer group.
    Delete {
        /// Group id.
        id: String,
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
}

pub fn run(target: &Target, command: GroupCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: GroupCommand) -> anyhow::Result<()> {
    match command {
        GroupCommand::Create {
            id,
            instance,
            orderly,
            max_retries,
            remark,
        } => {
            let group = s.service.create_consumer_group(
                &s.root,
                &instance,
                NewConsumerGroup {
                    group_id: id,
                    delivery_order: if orderly {
                        DeliveryOrder::Orderly
                    } else {
                        DeliveryOrder::Concurrently
                    },
                    retry_policy: RetryPolicy {
                        max_retry_times: max_retries,
                        ..RetryPolicy::default()
                    },
                    remark,
                },
            )?;
            s.print(&group, || {
                format!(
                    "created consumer group `{}` in `{instance}`",
                    group.group_id
                )
            })
        }
        GroupCommand::List { instance } => {
            let groups = s.service.list_consumer_groups(&s.root, &instance)?;
            s.print(&groups, || {
                groups
                    .iter()
                    .map(|g| g.group_id.clone())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        GroupCommand::Get { id, instance } => {
            let g = s.service.get_consumer_group(&s.root, &instance, &id)?;
            s.print(&g, || {
                fields(&[
                    ("group", g.group_id.clone()),
                    ("instance", g.instance_id.clone()),
                    ("delivery", g.delivery_order.as_api_str().to_owned()),
                    ("max retries", g.retry_policy.max_retry_times.to_string()),
                ])
            })
        }
        GroupCommand::Delete { id, instance } => {
            s.service.delete_consumer_group(&s.root, &instance, &id)?;
            s.print(&json!({ "deleted": id }), || {
                format!("deleted consumer group `{id}` of `{instance}`")
            })
        }
    }
}

fn max_retries(g: &ConsumerGroup) -> String {
    g.consume_retry_policy
        .as_ref()
        .and_then(|p| p.max_retry_times)
        .map(|n| n.to_string())
        .unwrap_or_default()
}

fn remote(r: &Remote, command: GroupCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        GroupCommand::Create {
            id,
            instance,
            orderly,
            max_retries,
            remark,
        } => {
            r.call(c.create_consumer_group(
                &instance,
                &ApiNewGroup {
                    id: id.clone(),
                    orderly,
                    max_retry_times: max_retries,
                    remark,
                },
            ))?;
            r.print(
                &json!({
                    "instanceId": instance,
                    "consumerGroupId": id,
                    "deliveryOrderType": if orderly { "Orderly" } else { "Concurrently" },
                    "maxRetryTimes": max_retries,
                }),
                || format!("created consumer group `{id}` in `{instance}`"),
            )
        }
        GroupCommand::List { instance } => {
            let groups = r.call(c.list_consumer_groups(&instance))?;
            r.print(&groups, || {
                let mut t = Table::new(&["GROUP", "DELIVERY", "MAX RETRIES", "STATUS", "CREATED"]);
                for g in &groups {
                    t.row(vec![
                        g.consumer_group_id.clone(),
                        opt(&g.delivery_order_type),
                        max_retries(g),
                        opt(&g.status),
                        opt(&g.create_time),
                    ]);
                }
                t.render()
            })
        }
        GroupCommand::Get { id, instance } => {
            let g = r.call(c.get_consumer_group(&instance, &id))?;
            r.print(&g, || {
                fields(&[
                    ("group", g.consumer_group_id.clone()),
                    ("instance", g.instance_id.clone()),
                    ("delivery", opt(&g.delivery_order_type)),
                    (
                        "retry policy",
                        g.consume_retry_policy
                            .as_ref()
                            .map(|p| opt(&p.retry_policy))
                            .unwrap_or_default(),
                    ),
                    ("max retries", max_retries(&g)),
                    ("status", opt(&g.status)),
                    ("remark", opt(&g.remark)),
                    ("created", opt(&g.create_time)),
                ])
            })
        }
        GroupCommand::Delete { id, instance } => {
            r.call(c.delete_consumer_group(&instance, &id))?;
            r.print(&json!({ "deleted": id }), || {
                format!("deleted consumer group `{id}` of `{instance}`")
            })
        }
    }
}
