//! `petrel policy …`: system and custom policies and the versions of custom ones.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use petrel_client::{Policy, PolicyType, PolicyVersion};
use petrel_meta::RotateStrategy;
use petrel_service::PolicyKind;
use serde_json::json;

use super::output::{Table, fields, opt};
use super::{Mode, Remote, Session, Target};
use crate::exit::usage;

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
    List {
        /// Only `system` or only `custom` policies.
        #[arg(long = "type", value_name = "TYPE", value_parser = ["system", "custom"])]
        kind: Option<String>,
    },
    /// Show a policy and its default document.
    #[command(visible_alias = "get")]
    Show {
        /// Policy name; `custom:NAME` for a custom one.
        name: String,
    },
    /// Delete a custom policy; `--cascade` also detaches it everywhere.
    Delete {
        /// Custom policy name.
        name: String,
        /// Detach it and delete its versions first.
        #[arg(long)]
        cascade: bool,
    },
    /// Versions of a policy.
    #[command(subcommand)]
    Version(VersionCommand),
}

#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// List the versions of a policy.
    List {
        /// Policy name; `custom:NAME` for a custom one.
        name: String,
    },
    /// Show one version.
    Get {
        /// Policy name; `custom:NAME` for a custom one.
        name: String,
        /// Version id (`v2`).
        #[arg(value_name = "VERSION")]
        version_id: String,
    },
    /// Add a version to a custom policy.
    Create {
        /// Custom policy name.
        name: String,
        /// The policy document (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        document: PathBuf,
        /// Make it the default version.
        #[arg(long)]
        set_default: bool,
        /// Delete the oldest non-default version when the limit (5) is reached.
        #[arg(long)]
        rotate: bool,
    },
    /// Make a version the default one.
    SetDefault {
        /// Custom policy name.
        name: String,
        /// Version id (`v2`).
        #[arg(value_name = "VERSION")]
        version_id: String,
    },
    /// Delete a non-default version.
    Delete {
        /// Custom policy name.
        name: String,
        /// Version id (`v2`).
        #[arg(value_name = "VERSION")]
        version_id: String,
    },
}

/// `custom:NAME` → custom; anything else → system. A bare name of a custom policy is found by
/// the commands that only accept custom policies.
fn kind_and_name(name: &str) -> (PolicyType, String) {
    match name.strip_prefix("custom:") {
        Some(n) => (PolicyType::Custom, n.to_owned()),
        None => (PolicyType::System, name.to_owned()),
    }
}

fn custom_name(name: &str) -> String {
    name.strip_prefix("custom:").unwrap_or(name).to_owned()
}

fn read_document(path: &Path) -> anyhow::Result<String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| {
            usage(format!(
                "cannot read the policy document from standard input: {e}"
            ))
        })?
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read `{}`: {e}", path.display())))?
    };
    Ok(text)
}

fn service_kind(kind: PolicyType) -> PolicyKind {
    match kind {
        PolicyType::System => PolicyKind::System,
        PolicyType::Custom => PolicyKind::Custom,
    }
}

pub fn run(target: &Target, command: PolicyCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: PolicyCommand) -> anyhow::Result<()> {
    let (svc, root) = (&s.service, &s.root);
    match command {
        PolicyCommand::Create {
            name,
            document,
            description,
        } => {
            let text = read_document(&document)?;
            let policy = svc.create_policy(root, &name, &description, &text)?;
            s.print(&policy, || {
                format!(
                    "created policy `{}` ({})",
                    policy.name, policy.default_version
                )
            })
        }
        PolicyCommand::List { kind } => {
            let filter = kind.map(|k| {
                if k == "custom" {
                    PolicyKind::Custom
                } else {
                    PolicyKind::System
                }
            });
            let policies = svc.list_policies(root, filter)?;
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
            let (kind, name) = kind_and_name(&name);
            let info = svc.get_policy(root, service_kind(kind), &name)?;
            s.print(&info, || info.document.clone())
        }
        PolicyCommand::Delete { name, cascade } => {
            let name = custom_name(&name);
            svc.delete_policy(root, &name, cascade)?;
            s.print(&json!({ "deleted": name }), || {
                format!("deleted policy `{name}`")
            })
        }
        PolicyCommand::Version(v) => local_version(s, v),
    }
}

/// A stored version as JSON (the catalogue type is not serializable).
fn local_version_json(v: &petrel_meta::PolicyVersion) -> serde_json::Value {
    json!({
        "version_id": v.version_id,
        "is_default": v.is_default,
        "document": v.document,
        "created_at": v.created_at.to_string(),
    })
}

fn local_version(s: &Session, command: VersionCommand) -> anyhow::Result<()> {
    let (svc, root) = (&s.service, &s.root);
    match command {
        VersionCommand::List { name } => {
            let versions = svc.list_policy_versions(root, &custom_name(&name))?;
            let shown: Vec<_> = versions.iter().map(local_version_json).collect();
            s.print(&shown, || {
                versions
                    .iter()
                    .map(|v| {
                        format!(
                            "{}{}",
                            v.version_id,
                            if v.is_default { "\tdefault" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        VersionCommand::Get {
            name,
            version_id: version,
        } => {
            let v = svc.get_policy_version(root, &custom_name(&name), &version)?;
            s.print(&local_version_json(&v), || v.document.clone())
        }
        VersionCommand::Create {
            name,
            document,
            set_default,
            rotate,
        } => {
            let text = read_document(&document)?;
            let strategy = if rotate {
                RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded
            } else {
                RotateStrategy::None
            };
            let v =
                svc.create_policy_version(root, &custom_name(&name), &text, set_default, strategy)?;
            s.print(&local_version_json(&v), || {
                format!("created version {}", v.version_id)
            })
        }
        VersionCommand::SetDefault {
            name,
            version_id: version,
        } => {
            svc.set_default_policy_version(root, &custom_name(&name), &version)?;
            s.print(&json!({ "default": version }), || {
                format!("{version} is the default version")
            })
        }
        VersionCommand::Delete {
            name,
            version_id: version,
        } => {
            svc.delete_policy_version(root, &custom_name(&name), &version)?;
            s.print(&json!({ "deleted": version }), || {
                format!("deleted version {version}")
            })
        }
    }
}

fn policy_table(policies: &[Policy]) -> String {
    let mut t = Table::new(&["TYPE", "NAME", "VERSION", "ATTACHED", "RISK", "DESCRIPTION"]);
    for p in policies {
        t.row(vec![
            p.policy_type.clone(),
            p.policy_name.clone(),
            opt(&p.default_version),
            p.attachment_count
                .map(|n| n.to_string())
                .unwrap_or_default(),
            if p.high_risk == Some(true) {
                "HIGH-RISK".to_owned()
            } else {
                String::new()
            },
            opt(&p.description),
        ]);
    }
    t.render()
}

fn version_table(versions: &[PolicyVersion]) -> String {
    let mut t = Table::new(&["VERSION", "DEFAULT", "CREATED"]);
    for v in versions {
        t.row(vec![
            v.version_id.clone(),
            if v.is_default_version { "yes" } else { "" }.to_owned(),
            opt(&v.create_date),
        ]);
    }
    t.render()
}

fn remote(r: &Remote, command: PolicyCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        PolicyCommand::Create {
            name,
            document,
            description,
        } => {
            let text = read_document(&document)?;
            let policy = r.call(c.create_policy(&name, &text, Some(&description)))?;
            r.print(&policy, || {
                format!(
                    "created policy `{}` ({})",
                    policy.policy_name,
                    opt(&policy.default_version)
                )
            })
        }
        PolicyCommand::List { kind } => {
            let filter = kind.map(|k| {
                if k == "custom" {
                    PolicyType::Custom
                } else {
                    PolicyType::System
                }
            });
            let policies = r.call(c.list_policies(filter))?;
            r.print(&policies, || policy_table(&policies))
        }
        PolicyCommand::Show { name } => {
            let (kind, name) = kind_and_name(&name);
            let p = r.call(c.get_policy(kind, &name))?;
            r.print(&p, || {
                let reasons = p.high_risk_reasons.clone().unwrap_or_default().join("; ");
                let head = fields(&[
                    ("name", p.policy_name.clone()),
                    ("type", p.policy_type.clone()),
                    ("default version", opt(&p.default_version)),
                    ("description", opt(&p.description)),
                    ("high-risk", reasons),
                ]);
                format!("{head}\n\n{}", opt(&p.policy_document))
            })
        }
        PolicyCommand::Delete { name, cascade } => {
            let name = custom_name(&name);
            r.call(c.delete_policy(&name, cascade))?;
            r.print(&json!({ "deleted": name }), || {
                format!("deleted policy `{name}`")
            })
        }
        PolicyCommand::Version(v) => remote_version(r, v),
    }
}

fn remote_version(r: &Remote, command: VersionCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        VersionCommand::List { name } => {
            let (kind, name) = kind_and_name(&name);
            let versions = r.call(c.list_policy_versions(kind, &name))?;
            r.print(&versions, || version_table(&versions))
        }
        VersionCommand::Get {
            name,
            version_id: version,
        } => {
            let (kind, name) = kind_and_name(&name);
            let v = r.call(c.get_policy_version(kind, &name, &version))?;
            r.print(&v, || opt(&v.policy_document))
        }
        VersionCommand::Create {
            name,
            document,
            set_default,
            rotate,
        } => {
            let text = read_document(&document)?;
            let v =
                r.call(c.create_policy_version(&custom_name(&name), &text, set_default, rotate))?;
            r.print(&v, || format!("created version {}", v.version_id))
        }
        VersionCommand::SetDefault {
            name,
            version_id: version,
        } => {
            r.call(c.set_default_policy_version(&custom_name(&name), &version))?;
            r.print(&json!({ "default": version }), || {
                format!("{version} is the default version")
            })
        }
        VersionCommand::Delete {
            name,
            version_id: version,
        } => {
            r.call(c.delete_policy_version(&custom_name(&name), &version))?;
            r.print(&json!({ "deleted": version }), || {
                format!("deleted version {version}")
            })
        }
    }
}
