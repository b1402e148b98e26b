//! `petrel instance …`: instances (RocketMQ namespaces). Locally the id is the one given;
//! remotely the server assigns it (`rmq-…`) and the argument is the instance's name.

use clap::Subcommand;
use petrel_client::{Instance, NewInstance as ApiNewInstance};
use petrel_meta::NewInstance;
use serde_json::json;

use super::output::{Table, fields, opt};
use super::{Mode, Remote, Session, Target};

#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// Create an instance: locally with this id; remotely with this name (the server assigns
    /// the id and prints it).
    Create {
        /// Instance id (local) or name (remote): 3–64 letters, digits, `-`, `_`.
        id: String,
        /// Resource group id; the default group when absent.
        #[arg(long)]
        resource_group: Option<String>,
        /// Remark.
        #[arg(long)]
        remark: Option<String>,
    },
    /// List instances.
    List {
        /// Only the instances of this resource group.
        #[arg(long)]
        resource_group: Option<String>,
    },
    /// Show an instance.
    Get {
        /// Instance id.
        id: String,
    },
    /// Delete an instance without topics or groups.
    Delete {
        /// Instance id.
        id: String,
    },
}

pub fn run(target: &Target, command: InstanceCommand) -> anyhow::Result<()> {
    match target.mode()? {
        Mode::Local(s) => local(&s, command),
        Mode::Remote(r) => remote(&r, command),
    }
}

fn local(s: &Session, command: InstanceCommand) -> anyhow::Result<()> {
    match command {
        InstanceCommand::Create {
            id,
            resource_group,
            remark,
        } => {
            let instance = s.service.create_instance(
                &s.root,
                NewInstance {
                    id: Some(id.clone()),
                    name: id,
                    resource_group_id: resource_group,
                    remark,
                },
            )?;
            s.print(&instance, || {
                format!(
                    "created instance `{}` in {}",
                    instance.id, instance.resource_group_id
                )
            })
        }
        InstanceCommand::List { resource_group } => {
            let instances = s
                .service
                .list_instances(&s.root, resource_group.as_deref())?;
            s.print(&instances, || {
                instances
                    .iter()
                    .map(|i| format!("{}\t{}", i.id, i.resource_group_id))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        InstanceCommand::Get { id } => {
            let i = s.service.get_instance(&s.root, &id)?;
            s.print(&i, || {
                fields(&[
                    ("id", i.id.clone()),
                    ("name", i.name.clone()),
                    ("resource group", i.resource_group_id.clone()),
                ])
            })
        }
        InstanceCommand::Delete { id } => {
            s.service.delete_instance(&s.root, &id, false)?;
            s.print(&json!({ "deleted": id }), || {
                format!("deleted instance `{id}`")
            })
        }
    }
}

fn instance_fields(i: &Instance) -> String {
    fields(&[
        ("instance id", i.instance_id.clone()),
        ("name", opt(&i.instance_name)),
        ("resource group", opt(&i.resource_group_id)),
        ("region", opt(&i.region_id)),
        ("status", opt(&i.status)),
        ("remark", opt(&i.remark)),
        ("created", opt(&i.create_time)),
    ])
}

fn remote(r: &Remote, command: InstanceCommand) -> anyhow::Result<()> {
    let c = &r.client;
    match command {
        InstanceCommand::Create {
            id,
            resource_group,
            remark,
        } => {
            let new = ApiNewInstance {
                name: id,
                resource_group_id: resource_group,
                remark,
            };
            let instance_id = r.call(c.create_instance(&new))?;
            // Only what the create answered: the caller may not be allowed `GetInstance`.
            r.print(
                &json!({
                    "instanceId": instance_id,
                    "instanceName": new.name,
                    "resourceGroupId": new.resource_group_id,
                }),
                || {
                    format!(
                        "created instance `{instance_id}` (name `{}`) in {}",
                        new.name,
                        new.resource_group_id
                            .as_deref()
                            .unwrap_or("the default resource group")
                    )
                },
            )
        }
        InstanceCommand::List { resource_group } => {
            let instances = r.call(c.list_instances(resource_group.as_deref()))?;
            r.print(&instances, || {
                let mut t =
                    Table::new(&["INSTANCE ID", "NAME", "RESOURCE GROUP", "STATUS", "CREATED"]);
                for i in &instances {
                    t.row(vec![
                        i.instance_id.clone(),
                        opt(&i.instance_name),
                        opt(&i.resource_group_id),
                        opt(&i.status),
                        opt(&i.create_time),
                    ]);
                }
                t.render()
            })
        }
        InstanceCommand::Get { id } => {
            let i = r.call(c.get_instance(&id))?;
            r.print(&i, || instance_fields(&i))
        }
        InstanceCommand::Delete { id } => {
            r.call(c.delete_instance(&id))?;
            r.print(&json!({ "deleted": id }), || {
                format!("deleted instance `{id}`")
            })
        }
    }
}
