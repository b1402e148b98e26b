//! `petrel user-group …`: RAM user groups and their members (`petrel group` is consumer groups).

use clap::Subcommand;
use petrel_client::Principal;
use serde_json::json;

use super::output::{Table, fields, opt};
use super::{Mode, Remote, Session, Target};

#[derive(Debug, Subcommand)]
pub enum UserGroupCommand {
    /// Create a user group.
    Create {
        /// Group name.
        name: String,
        /// Comments.
        #[arg(long)]
        comments: Option<String>,
    },
    /// List user groups.
    List,
    /// Show a group with its members and policies.
    Get {
        /// Group name.
        name: String,
    },
    /// Delete an empty group without policies.
    Delete {
        /// Group name.
        name: String,
    },
    /// Add users to a group.
    AddUser {
        /// Group name.
        group: String,
        /// Users to add.
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove users from a group.
    RemoveUser {
        /// Group name.
        group: String,
        /// Users to remove.
        #[arg(required = true)]
        users: Vec<String>,
    },
}

pub fn run(target: &Target, command: UserGroupCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: UserGroupCommand) -> anyhow::Result<()> {
    let (svc, root) = (&s.service, &s.root);
    match command {
        UserGroupCommand::Create { name, comments } => {
            let group = svc.create_group(root, &name, comments.as_deref())?;
            s.print(&group, || format!("created user group `{}`", group.name))
        }
        UserGroupCommand::List => {
            let groups = svc.list_groups(root)?;
            s.print(&groups, || {
                groups
                    .iter()
                    .map(|g| format!("{}\t{}", g.name, g.comments))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        UserGroupCommand::Get { name } => {
            let group = svc.get_group(root, &name)?;
            let members = svc.list_users_for_group(root, &name)?;
            let names: Vec<String> = members.iter().map(|m| m.user.name.clone()).collect();
            s.print(&json!({ "group": group, "members": names }), || {
                fields(&[("name", group.name.clone()), ("members", names.join(", "))])
            })
        }
        UserGroupCommand::Delete { name } => {
            svc.delete_group(root, &name, false)?;
            s.print(&json!({ "deleted": name }), || {
                format!("deleted user group `{name}`")
            })
        }
        UserGroupCommand::AddUser { group, users } => {
            for u in &users {
                svc.add_user_to_group(root, u, &group)?;
            }
            s.print(&json!({ "group": group, "added": users }), || {
                format!("added {} to `{group}`", users.join(", "))
            })
        }
        UserGroupCommand::RemoveUser { group, users } => {
            for u in &users {
                svc.remove_user_from_group(root, u, &group)?;
            }
            s.print(&json!({ "group": group, "removed": users }), || {
                format!("removed {} from `{group}`", users.join(", "))
            })
        }
    }
}

fn remote(r: &Remote, command: UserGroupCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        UserGroupCommand::Create { name, comments } => {
            let group = r.call(c.create_group(&name, comments.as_deref()))?;
            r.print(&group, || {
                format!(
                    "created user group `{}` ({})",
                    group.group_name, group.group_id
                )
            })
        }
        UserGroupCommand::List => {
            let groups = r.call(c.list_groups())?;
            r.print(&groups, || {
                let mut t = Table::new(&["NAME", "GROUP ID", "COMMENTS", "CREATED"]);
                for g in &groups {
                    t.row(vec![
                        g.group_name.clone(),
                        g.group_id.clone(),
                        opt(&g.comments),
                        opt(&g.create_date),
                    ]);
                }
                t.render()
            })
        }
        UserGroupCommand::Get { name } => {
            let group = r.call(c.get_group(&name))?;
            let members = r.call(c.list_users_for_group(&name))?;
            let policies = r.call(c.list_policies_for(&Principal::Group(name.clone())))?;
            r.print(
                &json!({ "Group": group, "Users": members, "Policies": policies }),
                || {
                    fields(&[
                        ("name", group.group_name.clone()),
                        ("group id", group.group_id.clone()),
                        ("comments", opt(&group.comments)),
                        (
                            "members",
                            members
                                .iter()
                                .map(|m| m.user_name.clone())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        (
                            "policies",
                            policies
                                .iter()
                                .map(|p| format!("{} ({})", p.policy_name, p.policy_type))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ])
                },
            )
        }
        UserGroupCommand::Delete { name } => {
            r.call(c.delete_group(&name))?;
            r.print(&json!({ "deleted": name }), || {
                format!("deleted user group `{name}`")
            })
        }
        UserGroupCommand::AddUser { group, users } => {
            for u in &users {
                r.call(c.add_user_to_group(u, &group))?;
            }
            r.print(&json!({ "group": group, "added": users }), || {
                format!("added {} to `{group}`", users.join(", "))
            })
        }
        UserGroupCommand::RemoveUser { group, users } => {
            for u in &users {
                r.call(c.remove_user_from_group(u, &group))?;
            }
            r.print(&json!({ "group": group, "removed": users }), || {
                format!("removed {} from `{group}`", users.join(", "))
            })
        }
    }
}
