//! Counters every front end shares, for `GET /metrics`: refusals by the one authorizer,
//! counted where it decides, by action, front end and reason (`denied` by policy,
//! `not_activated`, `account_disabled`); and requests by front end, operation and result code
//! with their latency, which each front end reports once per request.

use std::time::Duration;

use petrel_meta::AuditSource;
use petrel_metrics::{Exposition, Kind, LabeledCounters, LabeledHistograms};

use crate::Service;
use crate::error::ServiceError;

/// The service layer's counters.
#[derive(Debug)]
pub(crate) struct ServiceMetrics {
    denials: LabeledCounters,
    /// front end, operation, code.
    requests: LabeledCounters,
    /// front end, code (failures only).
    errors: LabeledCounters,
    /// front end, operation; microseconds.
    latency: LabeledHistograms,
}

/// Upper bounds of the request latency histogram, in microseconds (100 µs to 30 s).
static LATENCY_MICROS: &[u64] = &[
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000,
];

impl Default for ServiceMetrics {
    fn default() -> Self {
        ServiceMetrics {
            denials: LabeledCounters::new(),
            requests: LabeledCounters::new(),
            errors: LabeledCounters::new(),
            latency: LabeledHistograms::new(LATENCY_MICROS),
        }
    }
}

/// How one request ended, as its front end reports it.
#[derive(Debug, Clone, Copy)]
pub struct RequestOutcome<'a> {
    /// `grpc`, `openapi`, `console` (see [`front_end`]).
    pub front_end: &'static str,
    /// The operation (gRPC method, OpenAPI action).
    pub operation: &'a str,
    /// The result code in the front end's own catalogue (RocketMQ `Code` name, Alibaba
    /// `Code`), `None` when it succeeded.
    pub error_code: Option<&'a str>,
    /// Time from arrival to answer.
    pub elapsed: Duration,
}

/// The `front_end` label of a request source.
pub fn front_end(source: AuditSource) -> &'static str {
    match source {
        AuditSource::Grpc => "grpc",
        AuditSource::OpenApi => "openapi",
        AuditSource::Console => "console",
        AuditSource::Cli => "cli",
        AuditSource::Internal => "internal",
    }
}

impl ServiceMetrics {
    /// Counts one refusal of `action` (a refusal that is not one of the authorizer's own kinds
    /// is not a denial and is not counted).
    pub(crate) fn refused(&self, action: &str, source: AuditSource, refusal: &ServiceError) {
        let reason = match refusal {
            ServiceError::Denied(_) => "denied",
            ServiceError::NotActivated { .. } => "not_activated",
            ServiceError::AccountDisabled { .. } => "account_disabled",
            _ => return,
        };
        self.denials.inc(&[action, front_end(source), reason]);
    }
}

impl Service {
    /// Records one finished request of a front end (count by code, latency).
    pub fn record_request(&self, outcome: RequestOutcome<'_>) {
        let m = &self.metrics;
        let code = outcome.error_code.unwrap_or("OK");
        m.requests
            .inc(&[outcome.front_end, outcome.operation, code]);
        if let Some(code) = outcome.error_code {
            m.errors.inc(&[outcome.front_end, code]);
        }
        let micros = u64::try_from(outcome.elapsed.as_micros()).unwrap_or(u64::MAX);
        m.latency
            .observe(&[outcome.front_end, outcome.operation], micros);
    }

    /// Writes the service layer's metric families into `e`.
    pub fn write_metrics(&self, e: &mut Exposition) {
        let m = &self.metrics;
        e.family(
            "petrel_requests_total",
            "Requests answered, by front end, operation and result code (OK on success).",
            Kind::Counter,
        );
        for (labels, n) in m.requests.snapshot() {
            if let [front_end, operation, code] = labels.as_slice() {
                e.sample(
                    &[
                        ("front_end", front_end),
                        ("operation", operation),
                        ("code", code),
                    ],
                    n,
                );
            }
        }
        e.family(
            "petrel_request_errors_total",
            "Requests answered with an error, by front end and error code (RocketMQ Code on \
             grpc, Alibaba Code on openapi).",
            Kind::Counter,
        );
        for (labels, n) in m.errors.snapshot() {
            if let [front_end, code] = labels.as_slice() {
                e.sample(&[("front_end", front_end), ("code", code)], n);
            }
        }
        e.family(
            "petrel_request_duration_seconds",
            "Time from a request's arrival to its answer, by front end and operation.",
            Kind::Histogram,
        );
        for (labels, h) in m.latency.snapshot() {
            if let [front_end, operation] = labels.as_slice() {
                e.histogram(
                    &[("front_end", front_end), ("operation", operation)],
                    &h,
                    1_000_000,
                );
            }
        }
        e.family(
            "petrel_authorization_denials_total",
            "Requests the authorizer refused, by action, front end and reason.",
            Kind::Counter,
        );
        for (labels, n) in self.metrics.denials.snapshot() {
            if let [action, front_end, reason] = labels.as_slice() {
                e.sample(
                    &[
                        ("action", action),
                        ("front_end", front_end),
                        ("reason", reason),
                    ],
                    n,
                );
            }
        }
    }
}
