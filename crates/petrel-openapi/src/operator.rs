//! The operator API of a running server, under `/operator/`: create, list, disable, enable and
//! delete accounts. It stands outside every account, so it is not signed with an AccessKey; it
//! takes the operator token (`authorization: Bearer …`), checked by `petrel-service` against
//! the hash in the data dir. Answers are JSON; errors are `{code, message}` with a status.
//!
//! | method | path | body / query | answer |
//! |---|---|---|---|
//! | GET | `/operator/accounts` | | `{accounts: [...]}` |
//! | POST | `/operator/accounts` | `{alias, password?}` | the credentials, shown once (the password only when generated) |
//! | POST | `/operator/accounts/{account}/disable` | | the account |
//! | POST | `/operator/accounts/{account}/enable` | | the account |
//! | DELETE | `/operator/accounts/{account}` | `?force=true` | `{deleted: {id, alias}}` |

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use petrel_meta::AuditSource;
use petrel_service::{OperatorAuthError, Service, ServiceError, check_operator_token};
use serde_json::{Value, json};

/// The routes, to nest under `/operator`.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(service: Arc<Service>) -> Router<S> {
    Router::new()
        .route("/accounts", get(list).post(create))
        .route("/accounts/{account}", axum::routing::delete(delete))
        .route("/accounts/{account}/disable", post(disable))
        .route("/accounts/{account}/enable", post(enable))
        .with_state(service)
}

fn failure(status: u16, code: &str, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

fn auth_failure(e: &OperatorAuthError) -> Response {
    match e {
        OperatorAuthError::NotConfigured => failure(403, "Operator.Disabled", e.to_string()),
        OperatorAuthError::Missing | OperatorAuthError::Invalid => {
            failure(401, "Operator.InvalidToken", e.to_string())
        }
        OperatorAuthError::Io { .. } => failure(500, "InternalError", e.to_string()),
    }
}

fn service_failure(e: &ServiceError) -> Response {
    let code = e.code();
    failure(code.http_status(), &code.as_str(), e.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// Checks the token, then runs `op` on the blocking pool (the catalogue is synchronous and
/// account creation hashes a password).
async fn run(
    service: Arc<Service>,
    headers: &HeaderMap,
    op: impl FnOnce(&Service) -> Result<Value, ServiceError> + Send + 'static,
) -> Response {
    let token = bearer(headers).map(str::to_owned);
    let joined = tokio::task::spawn_blocking(move || {
        check_operator_token(service.catalog().data_dir(), token.as_deref())
            .map_err(|e| Box::new(auth_failure(&e)))?;
        op(&service).map_err(|e| Box::new(service_failure(&e)))
    })
    .await;
    match joined {
        Ok(Ok(value)) => (StatusCode::OK, axum::Json(value)).into_response(),
        Ok(Err(response)) => *response,
        Err(e) => failure(
            500,
            "InternalError",
            format!("the operator task failed: {e}"),
        ),
    }
}

fn to_json(value: impl serde::Serialize) -> Result<Value, ServiceError> {
    serde_json::to_value(value).map_err(|e| ServiceError::InvalidParameter {
        param: "Response",
        reason: e.to_string(),
    })
}

async fn list(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    run(service, &headers, |s| {
        Ok(json!({"accounts": to_json(s.list_accounts()?)?}))
    })
    .await
}

async fn create(State(service): State<Arc<Service>>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => {
            return failure(
                400,
                "InvalidParameter.Body",
                "the body must be a json object with `alias` and an optional `password`",
            );
        }
    };
    let Some(alias) = parsed
        .get("alias")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return failure(400, "MissingAlias", "`alias` is required");
    };
    let password = parsed
        .get("password")
        .and_then(Value::as_str)
        .map(str::to_owned);
    run(service, &headers, move |s| {
        let creds = s.create_account(
            &alias,
            password.as_deref(),
            AuditSource::OpenApi,
            "operator api",
        )?;
        let mut answer = to_json(creds)?;
        // A password the operator chose is not sent back: only a generated one is news.
        if let (Some(_), Some(map)) = (&password, answer.as_object_mut()) {
            map.remove("password");
        }
        Ok(answer)
    })
    .await
}

async fn set_enabled(
    service: Arc<Service>,
    headers: HeaderMap,
    account: String,
    enabled: bool,
) -> Response {
    run(service, &headers, move |s| {
        to_json(s.set_account_enabled(&account, enabled, AuditSource::OpenApi)?)
    })
    .await
}

async fn disable(
    State(service): State<Arc<Service>>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> Response {
    set_enabled(service, headers, account, false).await
}

async fn enable(
    State(service): State<Arc<Service>>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> Response {
    set_enabled(service, headers, account, true).await
}

async fn delete(
    State(service): State<Arc<Service>>,
    Path(account): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let force = query
        .get("force")
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    run(service, &headers, move |s| {
        let gone = s.delete_account(&account, force)?;
        Ok(json!({"deleted": {"id": gone.id, "alias": gone.alias}}))
    })
    .await
}
