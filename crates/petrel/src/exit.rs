//! Exit statuses scripts can rely on, and how a failure is shown on standard error.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | refused: the server (or, locally, the service) said no — a denial, invalid input, a conflict, a bad or unknown AccessKey (HTTP 4xx other than 404); also `simulate`'s "denied" |
//! | 2 | usage: a bad command line, no endpoint or credentials, an unreadable profile or input file |
//! | 3 | not found: the user, policy, instance, topic… does not exist (HTTP 404) |
//! | 4 | failure: the server failed (5xx), could not be reached or answered nonsense, or the data dir could not be used |

use petrel_client::ClientError;
use petrel_service::ServiceError;
use serde_json::{Value, json};

use crate::commands::output::OutputFormat;

pub const REFUSED: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const FAILED: u8 = 4;

/// The text of `--help` that documents the statuses.
pub const HELP: &str = "\
Exit status:
  0  success
  1  refused by the server: denied, invalid input, conflict, bad AccessKey (HTTP 4xx but 404);
     also `simulate` when the answer is \"denied\"
  2  usage: bad command line, no endpoint or credentials, unreadable profile or file
  3  not found (HTTP 404: no such user, policy, instance, topic, ...)
  4  the server failed (HTTP 5xx), could not be reached, or the data dir could not be used

Remote mode: with --endpoint URL (or PETREL_ENDPOINT, or a profile from `petrel configure`) the
commands call a running server's management API, signed with PETREL_ACCESS_KEY_ID /
PETREL_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the
profile's key). Otherwise they act on the data dir of a stopped server.";

/// A mistake in how the command was called.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A usage error.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

fn by_status(status: u16) -> u8 {
    match status {
        404 => NOT_FOUND,
        400..=499 => REFUSED,
        _ => FAILED,
    }
}

/// The exit status of a failure.
pub fn code_of(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<UsageError>() {
            return USAGE;
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return match e {
                ClientError::InvalidEndpoint { .. } | ClientError::InvalidInput { .. } => USAGE,
                _ => e.http_status().map_or(FAILED, by_status),
            };
        }
        if let Some(e) = cause.downcast_ref::<ServiceError>() {
            return by_status(e.code().http_status());
        }
        if let Some(e) = cause.downcast_ref::<petrel_meta::MetaError>() {
            return by_status(e.code().http_status());
        }
    }
    FAILED
}

/// The stable code of a failure, when it has one.
fn code_text(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .find_map(|cause| match cause.downcast_ref::<ClientError>() {
            Some(e) => e.code().map(str::to_owned),
            None => cause
                .downcast_ref::<ServiceError>()
                .map(|e| e.code().to_string()),
        })
}

/// Shows `err` on standard error: text with the server's code, message and request id (and
/// the denial's policy level and type), or with `--output json` one JSON object.
pub fn report(err: &anyhow::Error, format: OutputFormat) {
    let status = code_of(err);
    let api = err
        .chain()
        .find_map(|c| c.downcast_ref::<ClientError>())
        .and_then(ClientError::api);
    if format == OutputFormat::Json {
        let error = match api {
            Some(api) => serde_json::to_value(api).unwrap_or(Value::Null),
            None => json!({ "code": code_text(err), "message": format!("{err:#}") }),
        };
        eprintln!("{}", json!({ "error": error, "exitCode": status }));
        return;
    }
    eprintln!("error: {err:#}");
    if let Some(detail) = api.and_then(|a| a.access_denied_detail.as_ref()) {
        let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
        eprintln!(
            "  access denied: {} at the {} level (action {}, principal {} {})",
            or_unknown(&detail.no_permission_type),
            or_unknown(&detail.policy_type),
            or_unknown(&detail.auth_action),
            or_unknown(&detail.auth_principal_type),
            or_unknown(&detail.auth_principal_display_name),
        );
    }
    if code_text(err).as_deref() == Some("InvalidParameter.HighRiskPolicy.NotConfirmed") {
        eprintln!("  hint: add --confirm-high-risk to attach it anyway");
    }
}
