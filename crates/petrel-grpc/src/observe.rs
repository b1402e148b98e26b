//! Per-call observability of the gRPC front end, as a tower layer around the tonic service:
//! a request id (the caller's `x-request-id` if well formed, else a new one) that the call's
//! log span, its audit records and the `x-request-id` response header carry; the call's count
//! by result code and its latency (through petrel-service, which `/metrics` renders); and a
//! `warn` line for a call slower than the configured threshold, with its authentication time
//! and the rest (authorization and the operation).
//!
//! The result code lives in the response message, not in the HTTP/2 status, so handlers report
//! it through a task-local that this layer scopes around each call ([`note_failure`]).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use petrel_service::{RequestOutcome, Service, request_id_from};
use tonic::codegen::http::{HeaderValue, Request, Response};
use tracing::Instrument;

use crate::status::code;

/// What handlers report about the call in progress.
#[derive(Debug, Clone, Copy, Default)]
struct CallOutcome {
    /// The last failure code put into the response.
    failure: Option<i32>,
    /// Time spent authenticating the caller.
    authn: Option<Duration>,
}

tokio::task_local! {
    static OUTCOME: Cell<CallOutcome>;
}

/// Records that the response of the call in progress carries failure `code`.
pub(crate) fn note_failure(code: i32) {
    let _ = OUTCOME.try_with(|c| {
        let mut o = c.get();
        o.failure = Some(code);
        c.set(o);
    });
}

/// Records the time spent authenticating the caller of the call in progress.
pub(crate) fn note_authn(elapsed: Duration) {
    let _ = OUTCOME.try_with(|c| {
        let mut o = c.get();
        o.authn = Some(o.authn.unwrap_or_default() + elapsed);
        c.set(o);
    });
}

/// The request id of a call, put into the request's extensions by the layer.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub String);

/// The RocketMQ `Code` name of a failure code this front end sends.
fn code_name(c: i32) -> String {
    let name = match c {
        code::MULTIPLE_RESULTS => "MULTIPLE_RESULTS",
        code::BAD_REQUEST => "BAD_REQUEST",
        code::ILLEGAL_TOPIC => "ILLEGAL_TOPIC",
        code::ILLEGAL_CONSUMER_GROUP => "ILLEGAL_CONSUMER_GROUP",
        code::INVALID_TRANSACTION_ID => "INVALID_TRANSACTION_ID",
        code::ILLEGAL_INVISIBLE_TIME => "ILLEGAL_INVISIBLE_TIME",
        code::UNAUTHORIZED => "UNAUTHORIZED",
        code::FORBIDDEN => "FORBIDDEN",
        code::NOT_FOUND => "NOT_FOUND",
        code::MESSAGE_NOT_FOUND => "MESSAGE_NOT_FOUND",
        code::TOPIC_NOT_FOUND => "TOPIC_NOT_FOUND",
        code::CONSUMER_GROUP_NOT_FOUND => "CONSUMER_GROUP_NOT_FOUND",
        code::INTERNAL_ERROR => "INTERNAL_ERROR",
        code::NOT_IMPLEMENTED => "NOT_IMPLEMENTED",
        code::UNSUPPORTED => "UNSUPPORTED",
        other => return other.to_string(),
    };
    name.to_owned()
}

/// The method name of a gRPC path (`/apache.rocketmq.v2.MessagingService/SendMessage`).
fn operation_of(path: &str) -> String {
    let method = path.rsplit('/').next().unwrap_or_default();
    // Bounded label values: only names that look like a method (the router refuses others).
    if !method.is_empty() && method.len() <= 64 && method.bytes().all(|b| b.is_ascii_alphabetic()) {
        method.to_owned()
    } else {
        "unknown".to_owned()
    }
}

/// Calls that wait by design (long polling, a stream that lives as long as the client), so
/// their duration says nothing about slowness.
fn waits_by_design(operation: &str) -> bool {
    matches!(operation, "ReceiveMessage" | "Telemetry" | "PullMessage")
}

/// The layer; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct ObserveLayer {
    pub service: Arc<Service>,
    pub slow: Duration,
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service the layer wraps around tonic's router.
#[derive(Debug, Clone)]
pub(crate) struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<Request<B>> for Observe<S>
where
    S: tower::Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
    R: Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let started = Instant::now();
        let incoming = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok());
        let id = request_id_from(incoming);
        req.extensions_mut().insert(RequestId(id.clone()));
        let operation = operation_of(req.uri().path());
        // The ready service answers this call; the clone stays for the next poll_ready.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let span = tracing::info_span!("grpc", request_id = %id, operation = %operation);
        Box::pin(
            async move {
                let call = inner.call(req);
                let (result, outcome) = OUTCOME
                    .scope(Cell::new(CallOutcome::default()), async move {
                        let r = call.await;
                        (r, OUTCOME.with(Cell::get))
                    })
                    .await;
                let elapsed = started.elapsed();
                let failure = outcome.failure.map(code_name);
                layer.service.record_request(RequestOutcome {
                    front_end: "grpc",
                    operation: &operation,
                    error_code: failure.as_deref(),
                    elapsed,
                });
                if elapsed >= layer.slow && !waits_by_design(&operation) {
                    let authn = outcome.authn.unwrap_or_default();
                    tracing::warn!(
                        operation = %operation,
                        request_id = %id,
                        total_ms = elapsed.as_millis() as u64,
                        authn_ms = authn.as_millis() as u64,
                        authz_and_act_ms = elapsed.saturating_sub(authn).as_millis() as u64,
                        code = failure.as_deref().unwrap_or("OK"),
                        "slow request"
                    );
                }
                let mut response = result?;
                if let Ok(v) = HeaderValue::from_str(&id) {
                    response.headers_mut().insert("x-request-id", v);
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_is_the_method_name_of_the_path() {
        assert_eq!(
            operation_of("/apache.rocketmq.v2.MessagingService/SendMessage"),
            "SendMessage"
        );
        assert_eq!(operation_of("/x/Bad-Name"), "unknown");
    }

    #[test]
    fn known_codes_are_named_and_others_numbered() {
        assert_eq!(code_name(code::FORBIDDEN), "FORBIDDEN");
        assert_eq!(code_name(42900), "42900");
    }
}
