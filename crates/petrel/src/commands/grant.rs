//! `petrel grant` / `petrel revoke`: attach or detach policies for several users or groups at
//! once, at account or resource-group scope. A high-risk policy needs `--confirm-high-risk`.

use clap::Args;
use petrel_meta::{PolicyRef, Principal, Scope};
use petrel_service::AttachRequest;

use super::Local;

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// A user to grant to (repeat for several).
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,
    /// A group to grant to (repeat for several).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
    /// A policy: a system policy name, or `custom:NAME` (repeat for several).
    #[arg(long = "policy", value_name = "POLICY", required = true)]
    pub policies: Vec<String>,
    /// `account`, or a resource group id (`rg-…`).
    #[arg(long, default_value = "account")]
    pub scope: String,
    /// Attach even a high-risk policy (AdministratorAccess, whole-service access, …).
    #[arg(long)]
    pub confirm_high_risk: bool,
}

impl GrantArgs {
    fn request(&self) -> AttachRequest {
        let principals = self
            .users
            .iter()
            .map(|u| Principal::User(u.clone()))
            .chain(self.groups.iter().map(|g| Principal::Group(g.clone())))
            .collect();
        let policies = self
            .policies
            .iter()
            .map(|p| match p.strip_prefix("custom:") {
                Some(name) => PolicyRef::custom(name),
                None => PolicyRef::system(p),
            })
            .collect();
        let scope = if self.scope.eq_ignore_ascii_case("account") {
            Scope::Account
        } else {
            Scope::ResourceGroup(self.scope.clone())
        };
        AttachRequest {
            principals,
            policies,
            scope,
            confirm_high_risk: self.confirm_high_risk,
        }
    }
}

pub fn grant(local: &Local, args: &GrantArgs) -> anyhow::Result<()> {
    let s = local.open()?;
    let grants = s.service.attach(&s.root, &args.request())?;
    s.print(&grants, || {
        grants
            .iter()
            .map(|g| {
                format!(
                    "granted `{}` to {} at {}",
                    g.policy.name, g.principal, g.scope
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

pub fn revoke(local: &Local, args: &GrantArgs) -> anyhow::Result<()> {
    let s = local.open()?;
    s.service.detach(&s.root, &args.request())?;
    s.print(&serde_json::json!({ "revoked": args.policies }), || {
        format!("revoked {}", args.policies.join(", "))
    })
}
