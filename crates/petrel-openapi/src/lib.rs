//! The HTTP front end on the management port: health, and the Alibaba-Cloud-compatible
//! management API that the official SDKs call unmodified — RAM 2015-05-01, STS 2015-04-01,
//! ResourceManager 2020-03-31, ONS 2019-02-14 (activation) and RocketMQ 2022-08-01 — dispatched
//! on `x-acs-version` / `x-acs-action`.
//!
//! This crate translates wire formats only: it verifies the request signature, reads the
//! parameters, and calls `petrel-service`, which authorizes, acts and audits. Nothing here
//! decides a permission.

mod dispatch;
mod envelope;
mod error;
mod observe;
mod ons;
mod ons_dlq;
mod operator;
mod page;
mod ram;
mod request;
mod rm;
mod rocketmq;
mod sign;
mod sts;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use petrel_broker::Broker;
use petrel_service::{Service, request_id_from};
use serde_json::Map;
use tracing::Instrument;

use crate::dispatch::{Ctx, Product};
use crate::envelope::Style;
use crate::error::ApiError;
use crate::observe::Observed;
use crate::request::ApiRequest;

/// The largest request body read (policy documents are at most 6,144 characters; message
/// bodies sent through `VerifySendMessage` are the only large ones).
const MAX_BODY_BYTES: usize = 4 << 20;

/// Every product this server speaks, by API version.
pub(crate) static PRODUCTS: &[Product] = &[
    ram::PRODUCT,
    sts::PRODUCT,
    rm::PRODUCT,
    ons::PRODUCT,
    rocketmq::PRODUCT,
];

/// Settings of the management API.
#[derive(Debug, Clone)]
pub struct OpenApiConfig {
    /// How far a request's signed date may be from the server's clock; nonces are remembered
    /// for twice this long. Alibaba's documented window is 15 minutes.
    pub max_skew: Duration,
    /// A request taking at least this long is logged at `warn` with its timings (default
    /// 200 ms).
    pub slow_request: Duration,
}

impl Default for OpenApiConfig {
    fn default() -> Self {
        OpenApiConfig {
            max_skew: Duration::from_secs(15 * 60),
            slow_request: Duration::from_millis(200),
        }
    }
}

struct Api {
    service: Arc<Service>,
    broker: Option<Arc<Broker>>,
    config: OpenApiConfig,
    nonces: sign::NonceCache,
}

/// The router of the HTTP port with the default settings and no broker: the operations that
/// reach messages (`VerifySendMessage`, `GetConsumerGroupLag`) answer `ServiceUnavailable`.
pub fn router(service: Arc<Service>) -> Router {
    router_with(service, None, OpenApiConfig::default())
}

/// The router of the HTTP port, with the broker that message operations use.
pub fn router_with(
    service: Arc<Service>,
    broker: Option<Arc<Broker>>,
    config: OpenApiConfig,
) -> Router {
    let api = Arc::new(Api {
        service,
        broker,
        config,
        nonces: sign::NonceCache::default(),
    });
    let operator = operator::routes(api.service.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/operator", operator)
        .fallback(management)
        .with_state(api)
}

async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        r#"{"status":"ok"}"#,
    )
}

async fn management(State(api): State<Arc<Api>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let request_id = request_id_from(
        request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
    );
    let span = tracing::info_span!("openapi", request_id = %request_id);
    let mut observed = Observed::default();
    let response = answer(&api, request, &request_id, &span, &mut observed)
        .instrument(span.clone())
        .await;
    observed.finish(
        &api.service,
        &api.config,
        &request_id,
        &span,
        started.elapsed(),
        response,
    )
}

async fn answer(
    api: &Arc<Api>,
    request: Request,
    request_id: &str,
    span: &tracing::Span,
    observed: &mut Observed,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b.to_vec(),
        Err(e) => {
            let error = ApiError::new(
                413,
                "InvalidParameter.Body",
                format!("the request body could not be read (at most {MAX_BODY_BYTES} bytes): {e}"),
            );
            observed.error_code = Some(error.code.clone());
            return envelope::failure(Style::Rpc, request_id, &error);
        }
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let req = ApiRequest::new(
        parts.method.as_str().to_owned(),
        parts.uri.path().to_owned(),
        parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
        source_ip,
    );
    // The service works on the catalogue synchronously (and hashes passwords), so requests run
    // on the blocking pool, never on the runtime's threads.
    let (id, api, span) = (request_id.to_owned(), Arc::clone(api), span.clone());
    match tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut observed = Observed::default();
        let response = api.serve(&req, &id, &mut observed);
        (response, observed)
    })
    .await
    {
        Ok((response, inner)) => {
            *observed = inner;
            response
        }
        Err(e) => {
            let error = ApiError::internal(request_id, &e);
            observed.error_code = Some(error.code.clone());
            envelope::failure(Style::Rpc, request_id, &error)
        }
    }
}

impl Api {
    fn serve(&self, req: &ApiRequest, request_id: &str, observed: &mut Observed) -> Response {
        let resolved = match dispatch::resolve(req) {
            Ok(r) => r,
            Err((style, e)) => {
                observed.error_code = Some(e.code.clone());
                return envelope::failure(style, request_id, &e);
            }
        };
        observed.operation = Some(resolved.op.action);
        let style = resolved.style;
        let result = self.run(req, request_id, resolved, observed);
        match result {
            Ok(value) => envelope::success(style, request_id, value),
            Err(e) => {
                tracing::debug!(request_id, code = %e.code, "management request refused: {}", e.message);
                observed.error_code = Some(e.code.clone());
                envelope::failure(style, request_id, &e)
            }
        }
    }

    fn run(
        &self,
        req: &ApiRequest,
        request_id: &str,
        resolved: dispatch::Resolved,
        observed: &mut Observed,
    ) -> Result<serde_json::Value, ApiError> {
        let authn_started = std::time::Instant::now();
        let caller = sign::authenticate(
            &self.service,
            &self.nonces,
            self.config.max_skew,
            req,
            request_id,
            time::OffsetDateTime::now_utc(),
        );
        observed.authn = authn_started.elapsed();
        let caller = caller?;
        let body = match resolved.style {
            Style::Roa => req.json_body()?,
            Style::Rpc => Map::new(),
        };
        let ctx = Ctx {
            service: &self.service,
            broker: self.broker.as_ref(),
            caller: &caller,
            req,
            path: resolved.path,
            body,
        };
        (resolved.op.handler)(&ctx).map_err(|mut e| {
            if e.code == "InternalError" {
                e = ApiError::internal(request_id, &e.message);
            }
            e
        })
    }
}
