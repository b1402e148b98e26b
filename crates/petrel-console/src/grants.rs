//! Permissions > Grants and the Grant Permission panel: resource scope (account or one resource
//! group), several principals, several system or custom policies at once, and the explicit
//! confirmation a high-risk policy needs. The service decides and enforces all of it; the panel
//! only collects the choice and shows the service's answer.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_meta::{AttachmentFilter, PolicyRef, PolicyType, Principal, Scope};
use petrel_service::{AttachRequest, Grant, PolicyInfo, PolicyKind, ServiceError};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/grants", get(list).post(attach))
        .route("/grants/new", get(panel))
        .route("/grants/revoke", post(revoke))
}

/// One grant as the tables show it, with the value its revoke checkbox sends.
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub principal: String,
    pub principal_kind: &'static str,
    pub policy: String,
    pub policy_type: &'static str,
    pub scope: String,
    pub attached_at: String,
    pub key: String,
}

fn principal_value(p: &Principal) -> String {
    match p {
        Principal::User(n) => format!("user:{n}"),
        Principal::Group(n) => format!("group:{n}"),
    }
}

fn parse_principal(v: &str) -> Result<Principal, ConsoleError> {
    match v.split_once(':') {
        Some(("user", n)) if !n.is_empty() => Ok(Principal::User(n.to_owned())),
        Some(("group", n)) if !n.is_empty() => Ok(Principal::Group(n.to_owned())),
        _ => Err(ConsoleError::BadInput {
            field: "principal",
            reason: format!("`{v}` is neither user:NAME nor group:NAME"),
        }),
    }
}

fn policy_value(p: &PolicyRef) -> String {
    format!("{}:{}", type_name(p.policy_type), p.name)
}

fn type_name(t: PolicyType) -> &'static str {
    match t {
        PolicyType::System => "System",
        PolicyType::Custom => "Custom",
    }
}

fn parse_policy(v: &str) -> Result<PolicyRef, ConsoleError> {
    let (t, name) = v.split_once(':').unwrap_or(("", v));
    let policy_type = match t {
        "System" => PolicyType::System,
        "Custom" => PolicyType::Custom,
        _ => {
            return Err(ConsoleError::BadInput {
                field: "policy",
                reason: format!("`{v}` is neither System:NAME nor Custom:NAME"),
            });
        }
    };
    Ok(PolicyRef {
        policy_type,
        name: name.to_owned(),
    })
}

fn scope_value(s: &Scope) -> String {
    match s {
        Scope::Account => "account".to_owned(),
        Scope::ResourceGroup(id) => id.clone(),
    }
}

fn parse_scope(kind: &str, group: &str) -> Result<Scope, ConsoleError> {
    match kind {
        "" | "account" => Ok(Scope::Account),
        "resource_group" if !group.is_empty() && group != "account" => {
            Ok(Scope::ResourceGroup(group.to_owned()))
        }
        "resource_group" => Err(ConsoleError::BadInput {
            field: "resource_group",
            reason: "choose the resource group the grant is scoped to".to_owned(),
        }),
        other => Err(ConsoleError::BadInput {
            field: "scope",
            reason: format!("`{other}` is neither account nor resource_group"),
        }),
    }
}

/// Table rows for grants.
pub fn grant_rows(grants: Vec<Grant>) -> Vec<GrantRow> {
    grants
        .into_iter()
        .map(|g| GrantRow {
            principal: g.principal.name().to_owned(),
            principal_kind: match g.principal {
                Principal::User(_) => "User",
                Principal::Group(_) => "Group",
            },
            policy: g.policy.name.clone(),
            policy_type: type_name(g.policy.policy_type),
            scope: match &g.scope {
                Scope::Account => "Account".to_owned(),
                Scope::ResourceGroup(id) => format!("Resource group {id}"),
            },
            attached_at: g
                .attached_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            key: format!(
                "{}|{}|{}",
                principal_value(&g.principal),
                policy_value(&g.policy),
                scope_value(&g.scope)
            ),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "grants.html")]
struct GrantsPage {
    chrome: Chrome,
    rows: Vec<GrantRow>,
}

async fn list(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let grants = blocking(move || {
        Ok(svc
            .service
            .list_grants(&caller, &AttachmentFilter::default())?)
    })
    .await?;
    page(&GrantsPage {
        chrome: ctx.chrome(&app, "grants"),
        rows: grant_rows(grants),
    })
}

async fn revoke(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let mut requests = Vec::new();
    for key in fields.all("grant") {
        let mut parts = key.splitn(3, '|');
        let (Some(p), Some(pol), Some(scope)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ConsoleError::BadInput {
                field: "grant",
                reason: format!("`{key}` is not a grant of this console"),
            });
        };
        requests.push(AttachRequest {
            principals: vec![parse_principal(p)?],
            policies: vec![parse_policy(pol)?],
            scope: if scope == "account" {
                Scope::Account
            } else {
                Scope::ResourceGroup(scope.to_owned())
            },
            confirm_high_risk: false,
        });
    }
    if requests.is_empty() {
        return Err(ConsoleError::BadInput {
            field: "grant",
            reason: "select at least one grant to revoke".to_owned(),
        });
    }
    let caller = ctx.caller();
    blocking(move || {
        for r in &requests {
            app.service.detach(&caller, r)?;
        }
        Ok(())
    })
    .await?;
    Ok(Redirect::to("/console/grants").into_response())
}

/// A choice in one of the panel's pickers.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A policy in the panel's System or Custom tab.
#[derive(Debug, Clone)]
pub struct PolicyChoice {
    pub value: String,
    pub name: String,
    pub description: String,
    pub custom: bool,
    pub high_risk: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "grant_panel.html")]
struct PanelPage {
    chrome: Chrome,
    scope_group: bool,
    groups: Vec<Choice>,
    principals: Vec<Choice>,
    policies: Vec<PolicyChoice>,
    error: String,
    high_risk: String,
}

/// What the panel was last filled in with.
#[derive(Debug, Default)]
struct Selection {
    scope: String,
    group: String,
    principals: Vec<String>,
    policies: Vec<String>,
}

async fn render_panel(
    app: &Arc<App>,
    ctx: &Ctx,
    sel: Selection,
    error: String,
    high_risk: String,
) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let (users, groups, resource_groups, policies) = blocking(move || {
        let users = svc.service.list_users(&caller)?;
        let groups = svc.service.list_groups(&caller)?;
        let rgs = svc.service.list_resource_groups(&caller)?;
        let policies: Vec<PolicyInfo> = svc.service.list_policies(&caller, None)?;
        Ok((users, groups, rgs, policies))
    })
    .await?;
    let principals = users
        .into_iter()
        .map(|u| {
            let value = format!("user:{}", u.name);
            Choice {
                selected: sel.principals.contains(&value),
                label: if u.display_name.is_empty() || u.display_name == u.name {
                    format!("{} (user)", u.name)
                } else {
                    format!("{} — {} (user)", u.name, u.display_name)
                },
                value,
            }
        })
        .chain(groups.into_iter().map(|g| {
            let value = format!("group:{}", g.name);
            Choice {
                selected: sel.principals.contains(&value),
                label: format!("{} (group)", g.name),
                value,
            }
        }))
        .collect();
    let groups = resource_groups
        .into_iter()
        .map(|g| Choice {
            selected: sel.group == g.id,
            label: if g.display_name.is_empty() {
                format!("{} ({})", g.name, g.id)
            } else {
                format!("{} ({})", g.display_name, g.id)
            },
            value: g.id,
        })
        .collect();
    let policies = policies
        .into_iter()
        .map(|p| {
            let custom = p.kind == PolicyKind::Custom;
            let value = format!("{}:{}", if custom { "Custom" } else { "System" }, p.name);
            PolicyChoice {
                selected: sel.policies.contains(&value),
                high_risk: p.high_risk_reasons.join("; "),
                value,
                name: p.name,
                description: p.description,
                custom,
            }
        })
        .collect();
    page(&PanelPage {
        chrome: ctx.chrome(app, "grants"),
        scope_group: sel.scope == "resource_group",
        groups,
        principals,
        policies,
        error,
        high_risk,
    })
}

async fn panel(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let q = Fields::parse(raw.unwrap_or_default().as_bytes());
    let sel = Selection {
        scope: q.get("scope").to_owned(),
        group: q.get("resource_group").to_owned(),
        principals: q.all("principal"),
        policies: q.all("policy"),
    };
    render_panel(&app, &ctx, sel, String::new(), String::new()).await
}

async fn attach(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let sel = Selection {
        scope: fields.get("scope").to_owned(),
        group: fields.get("resource_group").to_owned(),
        principals: fields.all("principal"),
        policies: fields.all("policy"),
    };
    let parsed = (|| {
        let request = AttachRequest {
            principals: sel
                .principals
                .iter()
                .map(|p| parse_principal(p))
                .collect::<Result<_, _>>()?,
            policies: sel
                .policies
                .iter()
                .map(|p| parse_policy(p))
                .collect::<Result<_, _>>()?,
            scope: parse_scope(&sel.scope, &sel.group)?,
            confirm_high_risk: fields.checked("confirm_high_risk"),
        };
        Ok::<_, ConsoleError>(request)
    })();
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return render_panel(&app, &ctx, sel, e.to_string(), String::new()).await,
    };
    let caller = ctx.caller();
    let svc = app.clone();
    let result = blocking(move || Ok(svc.service.attach(&caller, &request))).await?;
    match result {
        Ok(_) => Ok(Redirect::to("/console/grants").into_response()),
        Err(e @ ServiceError::HighRiskNotConfirmed { .. }) => {
            render_panel(&app, &ctx, sel, String::new(), e.to_string()).await
        }
        Err(e @ ServiceError::Denied(_)) => Err(e.into()),
        Err(e) => {
            let shown = format!("{} ({})", e, e.code());
            render_panel(&app, &ctx, sel, shown, String::new()).await
        }
    }
}
