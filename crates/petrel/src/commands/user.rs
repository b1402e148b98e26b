//! `petrel user …`: RAM users and their console passwords.

use clap::Subcommand;
use petrel_client::{NewUser as ApiNewUser, Principal, User};
use petrel_meta::NewUser;
use serde_json::json;

use super::output::{Table, fields, opt};
use super::{Mode, Remote, Session, Target};

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
        #[arg(long, env = "PETREL_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make the user change the password at the first console login.
        #[arg(long, requires = "password")]
        password_reset_required: bool,
    },
    /// List RAM users.
    List,
    /// Show a RAM user with its groups and policies.
    Get {
        /// User name.
        name: String,
    },
    /// Delete a RAM user; `--force` also removes its keys, password, memberships and grants.
    Delete {
        /// User name.
        name: String,
        /// Remove what still refers to the user.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(target: &Target, command: UserCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            name,
            display_name,
            password,
            password_reset_required,
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
                s.service.create_login_profile(
                    &s.root,
                    &name,
                    &password,
                    password_reset_required,
                )?;
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
        UserCommand::Get { name } => {
            let user = s.service.get_user(&s.root, &name)?;
            s.print(&user, || {
                fields(&[
                    ("name", user.name.clone()),
                    ("id", user.user_id.clone()),
                    ("display name", user.display_name.clone()),
                ])
            })
        }
        UserCommand::Delete { name, force } => {
            s.service.delete_user(&s.root, &name, force)?;
            s.print(&json!({ "deleted": name }), || {
                format!("deleted user `{name}`")
            })
        }
    }
}

fn user_table(users: &[User]) -> String {
    let mut t = Table::new(&["NAME", "USER ID", "DISPLAY NAME", "CREATED"]);
    for u in users {
        t.row(vec![
            u.user_name.clone(),
            u.user_id.clone(),
            opt(&u.display_name),
            opt(&u.create_date),
        ]);
    }
    t.render()
}

fn remote(r: &Remote, command: UserCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        UserCommand::Create {
            name,
            display_name,
            password,
            password_reset_required,
        } => {
            let user = r.call(c.create_user(&ApiNewUser {
                name: name.clone(),
                display_name,
                comments: None,
            }))?;
            let profile = match &password {
                None => None,
                Some(p) => {
                    match r.call(c.create_login_profile(&name, p, password_reset_required)) {
                        Ok(profile) => Some(profile),
                        Err(e) => {
                            // A user without the password asked for is not what was ordered: undo.
                            let undone = r.call(c.delete_user(&name)).is_ok();
                            let what = if undone {
                                "the user was not created"
                            } else {
                                "the user was created without a password"
                            };
                            return Err(
                                e.context(format!("cannot set the console password; {what}"))
                            );
                        }
                    }
                }
            };
            r.print(&json!({ "User": user, "LoginProfile": profile }), || {
                let mut text = format!("created user `{}` ({})", user.user_name, user.user_id);
                if profile.is_some() {
                    text.push_str("\nconsole password set");
                }
                text
            })
        }
        UserCommand::List => {
            let users = r.call(c.list_users())?;
            r.print(&users, || user_table(&users))
        }
        UserCommand::Get { name } => {
            let user = r.call(c.get_user(&name))?;
            let groups = r.call(c.list_groups_for_user(&name))?;
            let policies = r.call(c.list_policies_for(&Principal::User(name.clone())))?;
            r.print(
                &json!({ "User": user, "Groups": groups, "Policies": policies }),
                || {
                    let join = |v: Vec<String>| v.join(", ");
                    fields(&[
                        ("name", user.user_name.clone()),
                        ("user id", user.user_id.clone()),
                        ("display name", opt(&user.display_name)),
                        ("email", opt(&user.email)),
                        ("created", opt(&user.create_date)),
                        ("last login", opt(&user.last_login_date)),
                        (
                            "groups",
                            join(groups.iter().map(|g| g.group_name.clone()).collect()),
                        ),
                        (
                            "policies",
                            join(
                                policies
                                    .iter()
                                    .map(|p| format!("{} ({})", p.policy_name, p.policy_type))
                                    .collect(),
                            ),
                        ),
                    ])
                },
            )
        }
        UserCommand::Delete { name, force } => {
            let removed = if force {
                remove_references(r, &name)?
            } else {
                Vec::new()
            };
            r.call(c.delete_user(&name))?;
            r.print(&json!({ "deleted": name, "removed": removed }), || {
                let mut lines: Vec<String> =
                    removed.iter().map(|x| format!("removed {x}")).collect();
                lines.push(format!("deleted user `{name}`"));
                lines.join("\n")
            })
        }
    }
}

/// What `DeleteUser` refuses to delete around: keys, the console password, memberships and
/// attachments (at every scope). Returns what was removed.
fn remove_references(r: &Remote, name: &str) -> anyhow::Result<Vec<String>> {
    let c = &r.client;
    let mut removed = Vec::new();
    for key in r.call(c.list_access_keys(Some(name)))? {
        r.call(c.delete_access_key(Some(name), &key.access_key_id))?;
        removed.push(format!("access key {}", key.access_key_id));
    }
    match r.block_on(c.delete_login_profile(name)) {
        Ok(()) => removed.push("console password".to_owned()),
        Err(e) if e.http_status() == Some(404) => {}
        Err(e) => return Err(e.into()),
    }
    for group in r.call(c.list_groups_for_user(name))? {
        r.call(c.remove_user_from_group(name, &group.group_name))?;
        removed.push(format!("membership of group {}", group.group_name));
    }
    let principal = Principal::User(name.to_owned());
    for att in r.call(c.list_policy_attachments(&principal))? {
        r.call(c.detach_policy_attachment(&att))?;
        removed.push(format!(
            "policy {} at {}",
            att.policy_name, att.resource_group_id
        ));
    }
    Ok(removed)
}
