//! The audit log page: who did what, when, through which front end, allowed or denied and why,
//! newest first, filtered by principal, action or outcome and paged. Reading it is the
//! service's `actiontrail:LookupEvents`, so a user without that grant sees the refusal.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use petrel_meta::{AuditFilter, AuditRecord, AuditSource, Outcome};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::mqshared::enc;
use crate::view::{Chrome, page};

/// Records per page.
const PAGE: usize = 100;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/audit", get(list))
}

/// One record as the table shows it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: u64,
    pub time: String,
    pub who: String,
    pub action: String,
    pub resource: String,
    pub allowed: bool,
    pub reason: String,
    pub source: &'static str,
    pub request_id: String,
}

fn source_name(s: AuditSource) -> &'static str {
    match s {
        AuditSource::Grpc => "gRPC",
        AuditSource::OpenApi => "OpenAPI",
        AuditSource::Console => "Console",
        AuditSource::Cli => "CLI",
        AuditSource::Internal => "Petrel",
    }
}

fn row(r: AuditRecord) -> AuditRow {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    AuditRow {
        seq: r.seq,
        time: r.time.format(format).unwrap_or_else(|_| r.time.to_string()),
        who: r.principal.display,
        action: r.action,
        resource: r.resource,
        allowed: r.outcome == Outcome::Allowed,
        reason: r.reason,
        source: source_name(r.source),
        request_id: r.request_id,
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    who: String,
    action: String,
    outcome: String,
    rows: Vec<AuditRow>,
    next_href: String,
}

async fn list(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let q = Fields::parse(raw.unwrap_or_default().as_bytes());
    let (who, action, outcome) = (
        q.get("who").to_owned(),
        q.get("action").to_owned(),
        q.get("outcome").to_owned(),
    );
    let before_seq = match q.get("before") {
        "" => None,
        v => Some(v.parse::<u64>().map_err(|_| ConsoleError::BadInput {
            field: "before",
            reason: format!("`{v}` is not an audit sequence number"),
        })?),
    };
    let filter = AuditFilter {
        principal: (!who.is_empty()).then(|| who.clone()),
        action: (!action.is_empty()).then(|| action.clone()),
        outcome: match outcome.as_str() {
            "allowed" => Some(Outcome::Allowed),
            "denied" => Some(Outcome::Denied),
            _ => None,
        },
        before_seq,
        ..AuditFilter::default()
    };
    let caller = ctx.caller();
    let svc = app.clone();
    let records = blocking(move || Ok(svc.service.list_audit(&caller, &filter, PAGE)?)).await?;
    let next_href = match records.last() {
        Some(last) if records.len() == PAGE => format!(
            "/console/audit?who={}&action={}&outcome={}&before={}",
            enc(&who),
            enc(&action),
            enc(&outcome),
            last.seq
        ),
        _ => String::new(),
    };
    page(&AuditPage {
        chrome: ctx.chrome(&app, "audit"),
        who,
        action,
        outcome,
        rows: records.into_iter().map(row).collect(),
        next_href,
    })
}
