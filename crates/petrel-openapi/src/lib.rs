//! The HTTP front end on the management port: health, and (as it grows) the Alibaba-compatible
//! OpenAPI dispatched on `x-acs-action` / `x-acs-version`.
//!
//! This crate translates wire formats only; every decision is made by `petrel-service`.

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

/// The router of the HTTP port.
pub fn router() -> Router {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        r#"{"status":"ok"}"#,
    )
}
