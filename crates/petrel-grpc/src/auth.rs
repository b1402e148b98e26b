//! What a call carries besides its message — client id, namespace, credentials, peer, deadline
//! (spec §5) — and authentication of the caller with `MQv2-HMAC-SHA1` (spec §9) through
//! petrel-service.
//!
//! Every unary call is authenticated from its own headers (each carries a fresh date and
//! signature); a Telemetry stream once, when it opens. Nothing is cached, so a disabled or
//! deleted AccessKey stops working at its next call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use petrel_iam::signature::SignatureError;
use petrel_iam::signature::mqv2::MqV2Signature;
use petrel_meta::AuditSource;
use petrel_service::{Caller, RequestContext, Service, ServiceError};
use tokio::time::Instant;
use tonic::metadata::MetadataMap;

use crate::status::{Failure, code};

/// The metadata of one call, read before the request body is consumed.
#[derive(Debug, Clone)]
pub(crate) struct CallMeta {
    /// `x-mq-client-id` (empty when absent).
    pub client_id: String,
    /// `x-mq-namespace` when present and non-empty.
    pub namespace: Option<String>,
    authorization: Option<String>,
    date_time: Option<String>,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// The server address the client connected to.
    pub local: Option<SocketAddr>,
    /// When the client gives up (`grpc-timeout`), if it said.
    pub deadline: Option<Instant>,
    /// The call's request id (set by the observe layer; `None` outside a server).
    pub request_id: Option<String>,
}

fn header(map: &MetadataMap, name: &str) -> Option<String> {
    map.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
}

/// Reads a `grpc-timeout` value: up to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
pub(crate) fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let value = value.trim();
    let unit = value.chars().last()?;
    let digits = value.get(..value.len().checked_sub(1)?)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        'H' => Duration::from_secs(n.saturating_mul(3600)),
        'M' => Duration::from_secs(n.saturating_mul(60)),
        'S' => Duration::from_secs(n),
        'm' => Duration::from_millis(n),
        'u' => Duration::from_micros(n),
        'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

impl CallMeta {
    /// Reads the metadata of `req`.
    pub fn of<T>(req: &tonic::Request<T>) -> CallMeta {
        let map = req.metadata();
        let now = Instant::now();
        CallMeta {
            client_id: header(map, "x-mq-client-id").unwrap_or_default(),
            namespace: header(map, "x-mq-namespace").filter(|n| !n.is_empty()),
            authorization: header(map, "authorization"),
            date_time: header(map, petrel_iam::signature::mqv2::DATE_TIME_HEADER),
            peer: req.remote_addr(),
            local: req.local_addr(),
            deadline: header(map, "grpc-timeout")
                .and_then(|v| parse_grpc_timeout(&v))
                .and_then(|d| now.checked_add(d)),
            request_id: req
                .extensions()
                .get::<crate::observe::RequestId>()
                .map(|r| r.0.clone()),
        }
    }

    /// Time left before the client's deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The namespace (Petrel instance) the client means: the header, else the resource's own.
    pub fn namespace_or<'a>(&'a self, resource_namespace: &'a str) -> Option<&'a str> {
        self.namespace
            .as_deref()
            .or(Some(resource_namespace).filter(|n| !n.is_empty()))
    }
}

/// Why a request without usable credentials is refused.
fn signature_failure(e: &SignatureError) -> Failure {
    let message = match e {
        SignatureError::MissingAuthorization => {
            "missing credentials: the request has no `authorization` header; configure the client \
             with an AccessKey id and secret"
                .to_owned()
        }
        SignatureError::EmptyCredential => {
            "missing credentials: the `authorization` header names no AccessKey (anonymous \
             access is not allowed); configure the client with an AccessKey id and secret"
                .to_owned()
        }
        other => format!("invalid credentials: {other}"),
    };
    Failure::new(code::UNAUTHORIZED, message)
}

/// Runs a synchronous service call on the blocking pool.
/// Runs a short catalogue read (a redb read transaction and a policy evaluation: a few
/// microseconds) on the calling runtime thread. The hot data-plane checks use this rather than
/// [`blocking`]: handing them to the blocking pool cost more in thread wake-ups than the reads
/// themselves (a third of the server's CPU at 64 sends in flight).
pub(crate) fn inline<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    f()
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::internal(format!("a catalogue task failed: {e}")))?
}

/// Authenticates the caller of a call with metadata `meta`.
pub(crate) async fn authenticate(
    service: &Arc<Service>,
    meta: &CallMeta,
) -> Result<Caller, Failure> {
    let started = Instant::now();
    let signature = MqV2Signature::parse(meta.authorization.as_deref(), meta.date_time.as_deref())
        .map_err(|e| signature_failure(&e))?;
    let mut context = RequestContext::new(AuditSource::Grpc);
    context.source_ip = meta.peer.map(|p| p.ip());
    if let Some(id) = &meta.request_id {
        context.request_id.clone_from(id);
    }
    let result = inline(|| {
        let key = signature.access_key_id();
        service
            .authenticate_access_key(key, context, |secret| signature.verify(secret).is_ok())
            .map_err(|e| match e {
                ServiceError::Unauthenticated { .. } | ServiceError::AccountDisabled { .. } => {
                    Failure::new(code::UNAUTHORIZED, format!("authentication failed: {e}"))
                }
                other => Failure::from_service(other),
            })
    });
    crate::observe::note_authn(started.elapsed());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(parse_grpc_timeout("40S"), Some(Duration::from_secs(40)));
        assert_eq!(
            parse_grpc_timeout("2999m"),
            Some(Duration::from_millis(2999))
        );
        assert_eq!(
            parse_grpc_timeout("31536000S"),
            Some(Duration::from_secs(31_536_000))
        );
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout(""), None);
    }
}
