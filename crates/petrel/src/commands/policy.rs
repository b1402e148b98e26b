//! `petrel policy …`: system and custom policies.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use petrel_service::PolicyKind;

use super::Local;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create a custom policy from a JSON document file (`-` for standard input).
    Create {
        /// Policy name (letters, digits, `-`).
        name: String,
        /// The policy document.
        #[arg(long, value_name = "FILE")]
        document: PathBuf,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List system and custom policies, with the high-risk flag.
    List,
    /// Show a policy's default document.
    Show {
        /// Policy name; `custom:NAME` for a custom one.
        name: String,
    },
}

pub fn run(local: &Local, command: PolicyCommand) -> anyhow::Result<()> {
    let s = local.open()?;
    match command {
        PolicyCommand::Create {
            name,
            document,
            description,
        } => {
            let text = if document.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
            } else {
                std::fs::read_to_string(&document)
                    .with_context(|| format!("cannot read `{}`", document.display()))?
            };
            let policy = s
                .service
                .create_policy(&s.root, &name, &description, &text)?;
            s.print(&policy, || {
                format!(
                    "created policy `{}` ({})",
                    policy.name, policy.default_version
                )
            })
        }
        PolicyCommand::List => {
            let policies = s.service.list_policies(&s.root, None)?;
            s.print(&policies, || {
                policies
                    .iter()
                    .map(|p| {
                        format!(
                            "{:?}\t{}\t{}{}",
                            p.kind,
                            p.name,
                            p.default_version,
                            if p.is_high_risk() { "\tHIGH-RISK" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        PolicyCommand::Show { name } => {
            let (kind, name) = match name.strip_prefix("custom:") {
                Some(n) => (PolicyKind::Custom, n.to_owned()),
                None => (PolicyKind::System, name),
            };
            let info = s.service.get_policy(&s.root, kind, &name)?;
            s.print(&info, || info.document.clone())
        }
    }
}
