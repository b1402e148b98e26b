//! `petrel grant` / `petrel revoke`: attach or detach policies for several users or groups at
//! once, at account or resource-group scope. A high-risk policy needs `--confirm-high-risk`.
//! Remotely a grant is one `GrantPermissions` call (all or nothing); a revoke detaches each
//! policy from each principal in turn.

use clap::Args;
use petrel_client::{GrantRequest, PolicyType, Principal as ApiPrincipal, Scope as ApiScope};
use petrel_meta::{PolicyRef, Principal, Scope};
use petrel_service::AttachRequest;
use serde_json::json;

use super::output::Table;
use super::{Mode, Remote, Session, Target};
use crate::exit::usage;

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// A user to grant to (repeat for several).
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,
    /// A RAM user group to grant to (repeat for several).
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
    fn is_account_scope(&self) -> bool {
        self.scope.eq_ignore_ascii_case("account")
    }

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
        let scope = if self.is_account_scope() {
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

    fn api_scope(&self) -> ApiScope {
        if self.is_account_scope() {
            ApiScope::Account
        } else {
            ApiScope::ResourceGroup(self.scope.clone())
        }
    }

    fn api_policies(&self) -> Vec<(PolicyType, String)> {
        self.policies
            .iter()
            .map(|p| match p.strip_prefix("custom:") {
                Some(name) => (PolicyType::Custom, name.to_owned()),
                None => (PolicyType::System, p.clone()),
            })
            .collect()
    }

    fn check_principals(&self) -> anyhow::Result<()> {
        if self.users.is_empty() && self.groups.is_empty() {
            return Err(usage("name at least one --user or --group"));
        }
        Ok(())
    }
}

pub fn grant(target: &Target, args: &GrantArgs) -> anyhow::Result<()> {
    args.check_principals()?;
    match target.mode()? {
        Mode::Local(s) => local_grant(&s, args),
        Mode::Remote(r) => remote_grant(&r, args),
    }
}

pub fn revoke(target: &Target, args: &GrantArgs) -> anyhow::Result<()> {
    args.check_principals()?;
    match target.mode()? {
        Mode::Local(s) => local_revoke(&s, args),
        Mode::Remote(r) => remote_revoke(&r, args),
    }
}

fn local_grant(s: &Session, args: &GrantArgs) -> anyhow::Result<()> {
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

fn local_revoke(s: &Session, args: &GrantArgs) -> anyhow::Result<()> {
    s.service.detach(&s.root, &args.request())?;
    s.print(&json!({ "revoked": args.policies }), || {
        format!("revoked {}", args.policies.join(", "))
    })
}

fn remote_grant(r: &Remote, args: &GrantArgs) -> anyhow::Result<()> {
    let policies = args.api_policies();
    // `GrantPermissions` names one policy type per call; mixing would make two calls, and a
    // grant is meant to be all or nothing.
    let kind = match policies.first() {
        Some((k, _)) if policies.iter().all(|(t, _)| t == k) => *k,
        _ => {
            return Err(usage(
                "grant system and custom (`custom:NAME`) policies in separate commands: one grant is all or nothing and names one policy type",
            ));
        }
    };
    let grants = r.call(r.client.grant_permissions(&GrantRequest {
        users: args.users.clone(),
        groups: args.groups.clone(),
        policy_type: kind,
        policies: policies.into_iter().map(|(_, n)| n).collect(),
        scope: args.api_scope(),
        confirm_high_risk: args.confirm_high_risk,
    }))?;
    r.print(&grants, || {
        let mut t = Table::new(&["PRINCIPAL", "POLICY", "TYPE", "SCOPE"]);
        for g in &grants {
            t.row(vec![
                format!("{} {}", g.principal_type.to_lowercase(), g.principal_name),
                g.policy_name.clone(),
                g.policy_type.clone(),
                g.resource_group_id
                    .clone()
                    .unwrap_or_else(|| "account".to_owned()),
            ]);
        }
        t.render()
    })
}

fn remote_revoke(r: &Remote, args: &GrantArgs) -> anyhow::Result<()> {
    let scope = args.api_scope();
    let scope_text = match &scope {
        ApiScope::Account => "account".to_owned(),
        ApiScope::ResourceGroup(id) => id.clone(),
    };
    let principals: Vec<ApiPrincipal> = args
        .users
        .iter()
        .map(|u| ApiPrincipal::User(u.clone()))
        .chain(args.groups.iter().map(|g| ApiPrincipal::Group(g.clone())))
        .collect();
    let mut revoked = Vec::new();
    let mut lines = Vec::new();
    for principal in &principals {
        let (kind_name, name) = match principal {
            ApiPrincipal::User(n) => ("User", n),
            ApiPrincipal::Group(n) => ("Group", n),
        };
        for (kind, policy) in args.api_policies() {
            r.call(r.client.detach_policy(principal, kind, &policy, &scope))?;
            lines.push(format!(
                "revoked `{policy}` from {} `{name}` at {scope_text}",
                kind_name.to_lowercase()
            ));
            revoked.push(json!({
                "PrincipalType": kind_name,
                "PrincipalName": name,
                "PolicyName": policy,
                "PolicyType": kind.as_str(),
                "Scope": scope_text,
            }));
        }
    }
    r.print(&revoked, || lines.join("\n"))
}
