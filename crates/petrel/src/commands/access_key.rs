//! `petrel key …`: AccessKeys. A secret is shown once, at creation.

use clap::Subcommand;
use petrel_meta::AccessKeyStatus;

use super::Local;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an AccessKey for a user (or the root when `--user` is absent).
    Create {
        /// The user.
        #[arg(long)]
        user: Option<String>,
    },
    /// List AccessKeys (ids and status).
    List {
        /// The user.
        #[arg(long)]
        user: Option<String>,
    },
    /// Disable an AccessKey.
    Disable {
        /// The key id.
        id: String,
        /// The user.
        #[arg(long)]
        user: Option<String>,
    },
    /// Enable an AccessKey.
    Enable {
        /// The key id.
        id: String,
        /// The user.
        #[arg(long)]
        user: Option<String>,
    },
    /// Delete an AccessKey.
    Delete {
        /// The key id.
        id: String,
        /// The user.
        #[arg(long)]
        user: Option<String>,
    },
}

pub fn run(local: &Local, command: KeyCommand) -> anyhow::Result<()> {
    let s = local.open()?;
    match command {
        KeyCommand::Create { user } => {
            let key = s.service.create_access_key(&s.root, user.as_deref())?;
            let shown = serde_json::json!({
                "access_key_id": key.id,
                "access_key_secret": key.secret.expose(),
                "owner": key.access_key.owner,
            });
            s.print(&shown, || {
                format!(
                    "AccessKey id      {}\nAccessKey secret  {}\n(the secret is shown only now)",
                    key.id,
                    key.secret.expose()
                )
            })
        }
        KeyCommand::List { user } => {
            let keys = s.service.list_access_keys(&s.root, user.as_deref())?;
            s.print(&keys, || {
                keys.iter()
                    .map(|k| format!("{}\t{}", k.id, k.status.as_api_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        KeyCommand::Disable { id, user } => set_status(&s, user, &id, AccessKeyStatus::Inactive),
        KeyCommand::Enable { id, user } => set_status(&s, user, &id, AccessKeyStatus::Active),
        KeyCommand::Delete { id, user } => {
            s.service.delete_access_key(&s.root, user.as_deref(), &id)?;
            s.print(&serde_json::json!({ "deleted": id }), || {
                format!("deleted {id}")
            })
        }
    }
}

fn set_status(
    s: &super::Session,
    user: Option<String>,
    id: &str,
    status: AccessKeyStatus,
) -> anyhow::Result<()> {
    let key = s
        .service
        .set_access_key_status(&s.root, user.as_deref(), id, status)?;
    s.print(&key, || {
        format!("{} is {}", key.id, key.status.as_api_str())
    })
}
