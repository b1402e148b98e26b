//! One policy's page: its default document and risk, who holds it, and for a custom policy its
//! versions: list, create a new one (optionally as the default) in the JSON editor, make
//! another the default, or delete one that is not.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_meta::{AttachmentFilter, PolicyType, PolicyVersion, RotateStrategy};
use petrel_service::{PolicyInfo, PolicyKind, ServiceError};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::grants::{GrantRow, grant_rows};
use crate::mqshared::enc;
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/policies/{kind}/{name}", get(detail))
        .route("/policies/custom/{name}/versions", post(create_version))
        .route("/policies/custom/{name}/default", post(set_default))
        .route(
            "/policies/custom/{name}/versions/delete",
            post(delete_version),
        )
}

fn kind_of(v: &str) -> Result<PolicyKind, ConsoleError> {
    match v {
        "system" => Ok(PolicyKind::System),
        "custom" => Ok(PolicyKind::Custom),
        other => Err(ConsoleError::BadInput {
            field: "kind",
            reason: format!("`{other}` is neither system nor custom"),
        }),
    }
}

/// A version as the table shows it.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: String,
    pub is_default: bool,
    pub created: String,
    pub document: String,
}

fn version_row(v: PolicyVersion) -> VersionRow {
    VersionRow {
        id: v.version_id,
        is_default: v.is_default,
        created: v.created_at.date().to_string(),
        document: v.document,
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    chrome: Chrome,
    policy: PolicyInfo,
    custom: bool,
    versions: Vec<VersionRow>,
    grants: Vec<GrantRow>,
    /// The new-version editor's text and the server's refusal of it.
    draft: String,
    error: String,
}

async fn render(
    app: &Arc<App>,
    ctx: &Ctx,
    kind: PolicyKind,
    name: String,
    draft: Option<String>,
    error: String,
) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let (policy, versions, grants) = blocking(move || {
        let policy = svc.service.get_policy(&caller, kind, &name)?;
        let versions = match kind {
            PolicyKind::Custom => svc.service.list_policy_versions(&caller, &name)?,
            PolicyKind::System => Vec::new(),
        };
        let grants = svc.service.list_grants(
            &caller,
            &AttachmentFilter {
                policy_type: Some(match kind {
                    PolicyKind::System => PolicyType::System,
                    PolicyKind::Custom => PolicyType::Custom,
                }),
                policy_name: Some(name.clone()),
                ..AttachmentFilter::default()
            },
        )?;
        Ok((policy, versions, grants))
    })
    .await?;
    page(&PolicyPage {
        chrome: ctx.chrome(app, "policies"),
        custom: kind == PolicyKind::Custom,
        draft: draft.unwrap_or_else(|| policy.document.clone()),
        policy,
        versions: versions.into_iter().map(version_row).collect(),
        grants: grant_rows(grants),
        error,
    })
}

async fn detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((kind, name)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    render(&app, &ctx, kind_of(&kind)?, name, None, String::new()).await
}

fn back(name: &str) -> Response {
    Redirect::to(&format!("/console/policies/custom/{}", enc(name))).into_response()
}

async fn create_version(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let document = fields.raw("document").to_owned();
    let set_default = fields.checked("set_default");
    let rotate = if fields.checked("rotate") {
        RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded
    } else {
        RotateStrategy::None
    };
    let caller = ctx.caller();
    let (svc, n, doc) = (app.clone(), name.clone(), document.clone());
    let result = blocking(move || {
        Ok(svc
            .service
            .create_policy_version(&caller, &n, &doc, set_default, rotate))
    })
    .await?;
    match result {
        Ok(_) => Ok(back(&name)),
        Err(e @ ServiceError::Denied(_)) => Err(e.into()),
        Err(e) => {
            let shown = format!("{} ({})", e, e.code());
            let mut r = render(&app, &ctx, PolicyKind::Custom, name, Some(document), shown).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
    }
}

async fn set_default(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let version = fields.get("version").to_owned();
    let caller = ctx.caller();
    let n = name.clone();
    blocking(move || {
        Ok(app
            .service
            .set_default_policy_version(&caller, &n, &version)?)
    })
    .await?;
    Ok(back(&name))
}

async fn delete_version(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let version = fields.get("version").to_owned();
    let caller = ctx.caller();
    let n = name.clone();
    blocking(move || Ok(app.service.delete_policy_version(&caller, &n, &version)?)).await?;
    Ok(back(&name))
}
