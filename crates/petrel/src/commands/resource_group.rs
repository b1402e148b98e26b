//! `petrel rg …`: resource groups.

use clap::Subcommand;

use super::Local;

#[derive(Debug, Subcommand)]
pub enum RgCommand {
    /// Create a resource group.
    Create {
        /// Name (3–50 letters, digits, `-`, starting with a letter).
        name: String,
        /// Display name.
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

pub fn run(local: &Local, command: RgCommand) -> anyhow::Result<()> {
    let s = local.open()?;
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
            s.print(&serde_json::json!({ "deleted": id }), || {
                format!("deleted {id}")
            })
        }
    }
}
