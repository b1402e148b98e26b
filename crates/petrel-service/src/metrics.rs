//! Refusals by the one authorizer, counted where it decides, by action, front end and reason
//! (`denied` by policy, `not_activated`, `account_disabled`), for `GET /metrics`.

use petrel_meta::AuditSource;
use petrel_metrics::{Exposition, Kind, LabeledCounters};

use crate::Service;
use crate::error::ServiceError;

/// The service layer's counters.
#[derive(Debug, Default)]
pub(crate) struct ServiceMetrics {
    denials: LabeledCounters,
}

/// The `front_end` label of a request source.
pub(crate) fn front_end(source: AuditSource) -> &'static str {
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
    /// Writes the service layer's metric families into `e`.
    pub fn write_metrics(&self, e: &mut Exposition) {
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
