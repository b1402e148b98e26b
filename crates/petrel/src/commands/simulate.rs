//! `petrel simulate` and `petrel who-can`: the policy simulator and its reverse question.
//! Remotely `simulate` is our `SimulatePrincipalPolicy`; `who-can` has no api operation and
//! stays local.

use clap::Args;
use petrel_service::{Identity, Resource};

use super::{Mode, Remote, Session, Target};

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

    /// The ARN `SimulatePrincipalPolicy` reads; the account and region are the caller's.
    fn arn(&self) -> String {
        let i = &self.instance;
        match (&self.topic, &self.group, self.management) {
            (Some(t), _, false) => format!("acs:mq:*:*:{i}%{t}"),
            (None, Some(g), false) => format!("acs:mq:*:*:{i}%{g}"),
            (Some(t), _, true) => format!("acs:rocketmq:*:*:instance/{i}/topic/{t}"),
            (None, Some(g), true) => format!("acs:rocketmq:*:*:instance/{i}/consumergroup/{g}"),
            (None, None, _) => format!("acs:rocketmq:*:*:instance/{i}"),
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

pub fn simulate(target: &Target, args: &SimulateArgs) -> anyhow::Result<()> {
    let allowed = match target.mode()? {
        Mode::Local(s) => local_simulate(&s, args)?,
        Mode::Remote(r) => remote_simulate(&r, args)?,
    };
    if !allowed {
        // Scripts branch on the exit status: 1 means "would be denied".
        std::process::exit(i32::from(crate::exit::REFUSED));
    }
    Ok(())
}

fn local_simulate(s: &Session, args: &SimulateArgs) -> anyhow::Result<bool> {
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
    Ok(sim.is_allowed())
}

fn remote_simulate(r: &Remote, args: &SimulateArgs) -> anyhow::Result<bool> {
    let sim = r.call(r.client.simulate_principal_policy(
        args.user.as_deref(),
        &args.action,
        &args.resource.arn(),
    ))?;
    r.print(&sim, || {
        let verdict = if sim.allowed { "allowed" } else { "denied" };
        let mut text = format!("{verdict} — {}", sim.explanation);
        if sim.blocked_by_activation {
            text.push_str("\n(the account has not activated the message queue service)");
        }
        text
    })?;
    Ok(sim.allowed)
}

pub fn who_can(target: &Target, args: &WhoCanArgs) -> anyhow::Result<()> {
    let s = target.local("who-can")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(topic: Option<&str>, group: Option<&str>, management: bool) -> ResourceArgs {
        ResourceArgs {
            instance: "rmq-1".into(),
            topic: topic.map(str::to_owned),
            group: group.map(str::to_owned),
            management,
        }
    }

    #[test]
    fn remote_simulation_names_the_resource_by_the_arn_the_api_reads() {
        assert_eq!(args(Some("t"), None, false).arn(), "acs:mq:*:*:rmq-1%t");
        assert_eq!(args(None, Some("g"), false).arn(), "acs:mq:*:*:rmq-1%g");
        assert_eq!(
            args(Some("t"), None, true).arn(),
            "acs:rocketmq:*:*:instance/rmq-1/topic/t"
        );
        assert_eq!(
            args(None, Some("g"), true).arn(),
            "acs:rocketmq:*:*:instance/rmq-1/consumergroup/g"
        );
        assert_eq!(
            args(None, None, false).arn(),
            "acs:rocketmq:*:*:instance/rmq-1"
        );
    }
}
