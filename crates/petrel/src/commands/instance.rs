//! `petrel activate`, `petrel instance …`, `petrel topic …`, `petrel group …`: the messaging
//! service of the account and its resources.

use clap::Subcommand;
use petrel_meta::{DeliveryOrder, NewConsumerGroup, NewInstance, NewTopic, RetryPolicy};
use petrel_model::MessageType;

use super::Local;

#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// Create an instance (a RocketMQ namespace).
    Create {
        /// Instance id (3–64 letters, digits, `-`, `_`).
        id: String,
        /// Resource group id; the default group when absent.
        #[arg(long)]
        resource_group: Option<String>,
    },
    /// List instances.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic.
    Create {
        /// Topic name.
        name: String,
        /// Instance id.
        #[arg(long)]
        instance: String,
        /// NORMAL, FIFO, DELAY or TRANSACTION.
        #[arg(long = "type", default_value = "NORMAL")]
        message_type: MessageType,
        /// Number of queues.
        #[arg(long)]
        queues: Option<u32>,
    },
    /// List the topics of an instance.
    List {
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
}

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
    },
    /// List the consumer groups of an instance.
    List {
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
}

pub fn activate(local: &Local) -> anyhow::Result<()> {
    let s = local.open()?;
    let outcome = s.service.activate(&s.root)?;
    let when = outcome.activation.activated_at;
    s.print(&outcome.activation, || {
        if outcome.already_activated {
            format!("the service was already activated ({when})")
        } else {
            format!(
                "activated the message queue service, terms version {}",
                outcome.activation.terms_version
            )
        }
    })
}

pub fn instance(local: &Local, command: InstanceCommand) -> anyhow::Result<()> {
    let s = local.open()?;
    match command {
        InstanceCommand::Create { id, resource_group } => {
            let instance = s.service.create_instance(
                &s.root,
                NewInstance {
                    id: Some(id.clone()),
                    name: id,
                    resource_group_id: resource_group,
                    remark: None,
                },
            )?;
            s.print(&instance, || {
                format!(
                    "created instance `{}` in {}",
                    instance.id, instance.resource_group_id
                )
            })
        }
        InstanceCommand::List => {
            let instances = s.service.list_instances(&s.root, None)?;
            s.print(&instances, || {
                instances
                    .iter()
                    .map(|i| format!("{}\t{}", i.id, i.resource_group_id))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

pub fn topic(local: &Local, command: TopicCommand) -> anyhow::Result<()> {
    let s = local.open()?;
    match command {
        TopicCommand::Create {
            name,
            instance,
            message_type,
            queues,
        } => {
            let topic = s.service.create_topic(
                &s.root,
                &instance,
                NewTopic {
                    name,
                    message_type,
                    queue_count: queues,
                    remark: None,
                },
            )?;
            s.print(&topic, || {
                format!(
                    "created {} topic `{}` in `{instance}`",
                    topic.message_type.as_api_str(),
                    topic.name
                )
            })
        }
        TopicCommand::List { instance } => {
            let topics = s.service.list_topics(&s.root, &instance)?;
            s.print(&topics, || {
                topics
                    .iter()
                    .map(|t| format!("{}\t{}", t.name, t.message_type.as_api_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

pub fn group(local: &Local, command: GroupCommand) -> anyhow::Result<()> {
    let s = local.open()?;
    match command {
        GroupCommand::Create {
            id,
            instance,
            orderly,
            max_retries,
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
                    remark: None,
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
    }
}
