//! `petrel key …`: AccessKeys. A secret is shown once, at creation.

use clap::Subcommand;
use petrel_client::AccessKeyStatus as ApiStatus;
use petrel_meta::AccessKeyStatus;
use serde_json::json;

use super::output::{Table, opt};
use super::{Mode, Remote, Session, Target};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an AccessKey for a user (or the caller when `--user` is absent).
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

pub fn run(target: &Target, command: KeyCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create { user } => {
            let key = s.service.create_access_key(&s.root, user.as_deref())?;
            let shown = json!({
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
        KeyCommand::Disable { id, user } => set_status(s, user, &id, AccessKeyStatus::Inactive),
        KeyCommand::Enable { id, user } => set_status(s, user, &id, AccessKeyStatus::Active),
        KeyCommand::Delete { id, user } => {
            s.service.delete_access_key(&s.root, user.as_deref(), &id)?;
            s.print(&json!({ "deleted": id }), || format!("deleted {id}"))
        }
    }
}

fn set_status(
    s: &Session,
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

fn remote(r: &Remote, command: KeyCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        KeyCommand::Create { user } => {
            let key = r.call(c.create_access_key(user.as_deref()))?;
            r.print(&key, || {
                format!(
                    "AccessKey id      {}\nAccessKey secret  {}\n(the secret is shown only now)",
                    key.access_key_id,
                    opt(&key.access_key_secret)
                )
            })
        }
        KeyCommand::List { user } => {
            let keys = r.call(c.list_access_keys(user.as_deref()))?;
            r.print(&keys, || {
                let mut t = Table::new(&["ACCESS KEY ID", "STATUS", "CREATED"]);
                for k in &keys {
                    t.row(vec![
                        k.access_key_id.clone(),
                        k.status.clone(),
                        opt(&k.create_date),
                    ]);
                }
                t.render()
            })
        }
        KeyCommand::Disable { id, user } => remote_status(r, user, &id, ApiStatus::Inactive),
        KeyCommand::Enable { id, user } => remote_status(r, user, &id, ApiStatus::Active),
        KeyCommand::Delete { id, user } => {
            r.call(c.delete_access_key(user.as_deref(), &id))?;
            r.print(&json!({ "deleted": id }), || format!("deleted {id}"))
        }
    }
}

fn remote_status(
    r: &Remote,
    user: Option<String>,
    id: &str,
    status: ApiStatus,
) -> anyhow::Result<()> {
    r.call(r.client.set_access_key_status(user.as_deref(), id, status))?;
    r.print(
        &json!({ "AccessKeyId": id, "Status": status.as_str() }),
        || format!("{id} is {}", status.as_str()),
    )
}
