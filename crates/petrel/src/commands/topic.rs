//! `petrel topic …`: the topics of an instance.

use clap::Subcommand;
use petrel_client::Topic;
use petrel_meta::NewTopic;
use petrel_model::MessageType;
use serde_json::json;

use super::output::{Table, fields, opt};
use super::{Mode, Remote, Session, Target};
use crate::exit::usage;

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
        /// Number of queues (local mode only; the api picks it).
        #[arg(long)]
        queues: Option<u32>,
        /// Remark.
        #[arg(long)]
        remark: Option<String>,
    },
    /// List the topics of an instance.
    List {
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
    /// Show a topic.
    Get {
        /// Topic name.
        name: String,
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
    /// Delete a topic.
    Delete {
        /// Topic name.
        name: String,
        /// Instance id.
        #[arg(long)]
        instance: String,
    },
}

pub fn run(target: &Target, command: TopicCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: TopicCommand) -> anyhow::Result<()> {
    match command {
        TopicCommand::Create {
            name,
            instance,
            message_type,
            queues,
            remark,
        } => {
            let topic = s.service.create_topic(
                &s.root,
                &instance,
                NewTopic {
                    name,
                    message_type,
                    queue_count: queues,
                    remark,
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
        TopicCommand::Get { name, instance } => {
            let t = s.service.get_topic(&s.root, &instance, &name)?;
            s.print(&t, || {
                fields(&[
                    ("name", t.name.clone()),
                    ("instance", t.instance_id.clone()),
                    ("type", t.message_type.as_api_str().to_owned()),
                    ("queues", t.queue_count.to_string()),
                ])
            })
        }
        TopicCommand::Delete { name, instance } => {
            s.service.delete_topic(&s.root, &instance, &name)?;
            s.print(&json!({ "deleted": name }), || {
                format!("deleted topic `{name}` of `{instance}`")
            })
        }
    }
}

fn topic_table(topics: &[Topic]) -> String {
    let mut t = Table::new(&["TOPIC", "TYPE", "STATUS", "REMARK", "CREATED"]);
    for topic in topics {
        t.row(vec![
            topic.topic_name.clone(),
            topic.message_type.clone(),
            opt(&topic.status),
            opt(&topic.remark),
            opt(&topic.create_time),
        ]);
    }
    t.render()
}

fn remote(r: &Remote, command: TopicCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        TopicCommand::Create {
            name,
            instance,
            message_type,
            queues,
            remark,
        } => {
            if queues.is_some() {
                return Err(usage(
                    "--queues is for local mode: the management api chooses the number of queues",
                ));
            }
            r.call(c.create_topic(
                &instance,
                &name,
                message_type.as_api_str(),
                remark.as_deref(),
            ))?;
            let kind = message_type.as_api_str();
            r.print(
                &json!({ "instanceId": instance, "topicName": name, "messageType": kind }),
                || format!("created {kind} topic `{name}` in `{instance}`"),
            )
        }
        TopicCommand::List { instance } => {
            let topics = r.call(c.list_topics(&instance))?;
            r.print(&topics, || topic_table(&topics))
        }
        TopicCommand::Get { name, instance } => {
            let t = r.call(c.get_topic(&instance, &name))?;
            r.print(&t, || {
                fields(&[
                    ("topic", t.topic_name.clone()),
                    ("instance", t.instance_id.clone()),
                    ("type", t.message_type.clone()),
                    ("status", opt(&t.status)),
                    ("remark", opt(&t.remark)),
                    ("created", opt(&t.create_time)),
                ])
            })
        }
        TopicCommand::Delete { name, instance } => {
            r.call(c.delete_topic(&instance, &name))?;
            r.print(&json!({ "deleted": name }), || {
                format!("deleted topic `{name}` of `{instance}`")
            })
        }
    }
}
