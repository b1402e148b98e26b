//! `petrel simulate` and `petrel who-can`: the policy simulator and its reverse question.

use clap::Args;
use petrel_service::{Identity, Resource};

use super::Local;

/// The resource of a question, named the way operators think of it.
#[derive(Debug, Args)]
pub struct ResourceArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Topic name (data plane `mq:PUB`/`mq:SUB`, or management with `--management`).
    #[arg(long, conflicts_with = "group")]
    pub topic: Option<String>,
    /// Consumer group id.
    #[arg(long)]
    pub group: Option<String>,
    /// Name the management resource (`acs:rocketmq:…`) instead of the data-plane one.
    #[arg(long)]
    pub management: bool,
}

impl ResourceArgs {
    fn resource(&self) -> Resource {
        let instance = self.instance.clone();
        match (&self.topic, &self.group, self.management) {
            (Some(topic), _, false) => Resource::MqTopic {
                instance,
                topic: topic.clone(),
            },
            (Some(topic), _, true) => Resource::Topic {
                instance,
                topic: topic.clone(),
            },
            (None, Some(group), false) => Resource::MqGroup {
                instance,
                group: group.clone(),
            },
            (None, Some(group), true) => Resource::ConsumerGroup {
                instance,
                group: group.clone(),
            },
            (None, None, _) => Resource::Instance(instance),
        }
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The user whose permissions are simulated; the root when absent.
    #[arg(long)]
    pub user: Option<String>,
    /// The action, e.g. `mq:PUB` or `rocketmq:CreateTopic`.
    #[arg(long)]
    pub action: String,
    #[command(flatten)]
    pub resource: ResourceArgs,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// The action, e.g. `mq:SUB`.
    #[arg(long)]
    pub action: String,
    #[command(flatten)]
    pub resource: ResourceArgs,
}

pub fn simulate(local: &Local, args: &SimulateArgs) -> anyhow::Result<()> {
    let s = local.open()?;
    let subject = args.user.clone().map_or(Identity::Root, Identity::User);
    let sim = s
        .service
        .simulate(&s.root, subject, &args.action, args.resource.resource())?;
    let verdict = if sim.is_allowed() {
        "allowed"
    } else {
        "denied"
    };
    let detail = serde_json::json!({
        "allowed": sim.is_allowed(),
        "blocked_by_activation": sim.blocked_by_activation,
        "explanation": sim.decision.explain(),
    });
    s.print(&detail, || {
        let mut text = format!("{verdict} — {}", sim.decision.explain());
        if sim.blocked_by_activation {
            text.push_str("\n(the account has not activated the message queue service)");
        }
        text
    })?;
    let allowed = sim.is_allowed();
    drop(s);
    if !allowed {
        // Scripts branch on the exit status: 1 means "would be denied".
        std::process::exit(1);
    }
    Ok(())
}

pub fn who_can(local: &Local, args: &WhoCanArgs) -> anyhow::Result<()> {
    let s = local.open()?;
    let who = s
        .service
        .who_can(&s.root, &args.action, args.resource.resource())?;
    let names: Vec<String> = who
        .allowed
        .iter()
        .map(|(identity, _)| match identity {
            Identity::Root => "root".to_owned(),
            Identity::User(name) => name.clone(),
        })
        .collect();
    s.print(&names, || {
        who.allowed
            .iter()
            .zip(&names)
            .map(|((_, decision), name)| format!("{name}\t{}", decision.explain()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}
