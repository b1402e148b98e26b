//! Per-request observability of the management API: what a request turned out to be (its
//! action, its error `Code`, how long authentication took), reported once it is answered as a
//! count and latency (through petrel-service, which `/metrics` renders), an `x-request-id`
//! response header equal to the body's `RequestId`, and a `warn` line when it was slower than
//! the configured threshold.

use std::time::Duration;

use axum::http::HeaderValue;
use axum::response::Response;
use petrel_service::{RequestOutcome, Service};

use crate::OpenApiConfig;

/// Facts gathered while a request is served.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The `x-acs-action`, once resolved.
    pub operation: Option<&'static str>,
    /// The Alibaba `Code` of a refusal.
    pub error_code: Option<String>,
    /// Time spent checking the signature and finding the caller.
    pub authn: Duration,
}

impl Observed {
    /// Records the answered request and returns `response` with its `x-request-id`.
    pub fn finish(
        self,
        service: &Service,
        config: &OpenApiConfig,
        request_id: &str,
        span: &tracing::Span,
        elapsed: Duration,
        mut response: Response,
    ) -> Response {
        let operation = self.operation.unwrap_or("unknown");
        service.record_request(RequestOutcome {
            front_end: "openapi",
            operation,
            error_code: self.error_code.as_deref(),
            elapsed,
        });
        if elapsed >= config.slow_request {
            span.in_scope(|| {
                tracing::warn!(
                    operation,
                    request_id,
                    total_ms = elapsed.as_millis() as u64,
                    authn_ms = self.authn.as_millis() as u64,
                    authz_and_act_ms = elapsed.saturating_sub(self.authn).as_millis() as u64,
                    code = self.error_code.as_deref().unwrap_or("OK"),
                    "slow request"
                );
            });
        }
        if let Ok(v) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert("x-request-id", v);
        }
        response
    }
}
