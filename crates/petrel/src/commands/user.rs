//! `petrel user …`: RAM users and their console passwords.

use clap::Subcommand;
use petrel_meta::NewUser;

use super::Local;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a RAM user (it can do nothing until granted).
    Create {
        /// User name (1–64 of letters, digits, `.`, `_`, `-`).
        name: String,
        /// Display name.
        #[arg(long)]
        display_name: Option<String>,
        /// Console password (at least 8 characters, letters and digits).
        #[arg(long, env = "PETREL_USER_PASSWORD")]
        password: Option<String>,
    },
    /// List RAM users.
    List,
    /// Delete a RAM user; `--force` also removes its keys, password, memberships and grants.
    Delete {
        /// User name.
        name: String,
        /// Remove what still refers to the user.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(local: &Local, command: UserCommand) -> anyhow::Result<()> {
    let s = local.open()?;
    match command {
        UserCommand::Create {
            name,
            display_name,
            password,
        } => {
            let user = s.service.create_user(
                &s.root,
                NewUser {
                    name: name.clone(),
                    display_name,
                    ..Default::default()
                },
            )?;
            if let Some(password) = password {
                s.service
                    .create_login_profile(&s.root, &name, &password, false)?;
            }
            s.print(&user, || {
                format!("created user `{}` ({})", user.name, user.user_id)
            })
        }
        UserCommand::List => {
            let users = s.service.list_users(&s.root)?;
            s.print(&users, || {
                users
                    .iter()
                    .map(|u| format!("{}\t{}\t{}", u.name, u.user_id, u.display_name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        UserCommand::Delete { name, force } => {
            s.service.delete_user(&s.root, &name, force)?;
            s.print(&serde_json::json!({ "deleted": name }), || {
                format!("deleted user `{name}`")
            })
        }
    }
}
