//! `petrel rg …`: resource groups, and moving instances between them.

use clap::Subcommand;
use serde_json::json;

use super::output::{Table, opt};
use super::{Mode, Remote, Session, Target};

#[derive(Debug, Subcommand)]
pub enum RgCommand {
    /// Create a resource group.
    Create {
        /// Name (3–50 letters, digits, `-`, starting with a letter).
        name: String,
        /// Display name (the name when absent).
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// List resource groups.
    List,
    /// Move an instance into a resource group.
    Move {
        /// Instance id.
        instance: String,
        /// Target resource group id.
        #[arg(long)]
        to: String,
    },
    /// Delete an empty resource group.
    Delete {
        /// Resource group id.
        id: String,
    },
}

pub fn run(target: &Target, command: RgCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: RgCommand) -> anyhow::Result<()> {
    match command {
        RgCommand::Create { name, display_name } => {
            let rg = s
                .service
                .create_resource_group(&s.root, &name, &display_name)?;
            s.print(&rg, || {
                format!("created resource group `{}` ({})", rg.name, rg.id)
            })
        }
        RgCommand::List => {
            let groups = s.service.list_resource_groups(&s.root)?;
            s.print(&groups, || {
                groups
                    .iter()
                    .map(|g| format!("{}\t{}\t{}", g.id, g.name, g.display_name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        RgCommand::Move { instance, to } => {
            let moved = s.service.move_instance(&s.root, &instance, &to)?;
            s.print(&moved, || format!("instance `{instance}` is now in `{to}`"))
        }
        RgCommand::Delete { id } => {
            s.service.delete_resource_group(&s.root, &id)?;
            s.print(&json!({ "deleted": id }), || format!("deleted {id}"))
        }
    }
}

fn remote(r: &Remote, command: RgCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        RgCommand::Create { name, display_name } => {
            let rg = r.call(c.create_resource_group(&name, Some(&display_name)))?;
            r.print(&rg, || {
                format!("created resource group `{}` ({})", rg.name, rg.id)
            })
        }
        RgCommand::List => {
            let groups = r.call(c.list_resource_groups())?;
            r.print(&groups, || {
                let mut t = Table::new(&["ID", "NAME", "DISPLAY NAME", "STATUS", "CREATED"]);
                for g in &groups {
                    t.row(vec![
                        g.id.clone(),
                        g.name.clone(),
                        opt(&g.display_name),
                        opt(&g.status),
                        opt(&g.create_date),
                    ]);
                }
                t.render()
            })
        }
        RgCommand::Move { instance, to } => {
            r.call(c.change_resource_group(&instance, &to, &r.region))?;
            r.print(
                &json!({ "instanceId": instance, "resourceGroupId": to }),
                || format!("instance `{instance}` is now in `{to}`"),
            )
        }
        RgCommand::Delete { id } => {
            r.call(c.delete_resource_group(&id))?;
            r.print(&json!({ "deleted": id }), || format!("deleted {id}"))
        }
    }
}
