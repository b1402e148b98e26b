//! The client's one error type. A refusal by the server keeps everything the server said —
//! `Code`, `Message`, `RequestId`, the HTTP status and the `AccessDeniedDetail` of a denial — so
//! that a caller can branch on the code and show the rest; the other variants say why no answer
//! could be read at all.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an Alibaba error body (HTTP 4xx/5xx, or a ROA body with
    /// `success: false`).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The server answered with an error status but no Alibaba error body (a proxy in between,
    /// or not a Petrel server).
    #[error("`{action}` failed with http {status} and no error body: {body}")]
    UnexpectedStatus {
        /// The action called.
        action: String,
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A success answer that does not have the shape the operation defines.
    #[error("`{action}` answered something unexpected: {reason}")]
    InvalidResponse {
        /// The action called.
        action: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// The request could not be sent or its answer not read (connection refused, timeout, …).
    #[error("cannot reach the management api at `{endpoint}`: {source}")]
    Transport {
        /// The endpoint called.
        endpoint: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// An endpoint that is not `[http://]host[:port]`.
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint {
        /// The offending value.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Input the client refuses before sending (a value no header can carry, an empty name).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// The input concerned.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The request could not be signed.
    #[error("cannot sign the request: {0}")]
    Sign(#[from] petrel_iam::signature::SignatureError),
}

impl ClientError {
    /// The HTTP status of a server refusal.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ClientError::Api(e) => Some(e.http_status),
            ClientError::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error `Code`, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api(e) => Some(&e.code),
            _ => None,
        }
    }

    /// The server's refusal, when this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// A refusal as the server reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// The action that was refused (`CreateTopic`).
    pub action: String,
    /// HTTP status (the body's `httpStatusCode` for a ROA refusal answered with 200).
    pub http_status: u16,
    /// Alibaba `Code` (`NoPermission`, `EntityNotExist.User`, …).
    pub code: String,
    /// The server's explanation.
    pub message: String,
    /// `RequestId` of the body, else the `x-acs-request-id` header.
    pub request_id: Option<String>,
    /// `AccessDeniedDetail` of a policy denial.
    pub access_denied_detail: Option<AccessDeniedDetail>,
    /// `x-acs-retry-after` in milliseconds, when the server throttled the call.
    pub retry_after_ms: Option<u64>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({}, http {}",
            self.code, self.message, self.action, self.http_status
        )?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        f.write_str(")")
    }
}

/// The `AccessDeniedDetail` of a denial: which kind of denial, at which policy level, for which
/// action and principal. Unknown fields are kept in `other`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccessDeniedDetail {
    /// `ImplicitDeny` (nothing allows) or `ExplicitDeny` (a statement denies).
    pub no_permission_type: Option<String>,
    /// The policy level: `AccountLevelIdentityBasedPolicy` or
    /// `ResourceGroupLevelIdentityBasedPolicy`.
    pub policy_type: Option<String>,
    /// The action refused (`rocketmq:CreateTopic`).
    pub auth_action: Option<String>,
    /// `SubUser` or `Account`.
    pub auth_principal_type: Option<String>,
    /// The user name (or account id).
    pub auth_principal_display_name: Option<String>,
    /// The principal's account id.
    pub auth_principal_owner_id: Option<String>,
    /// Anything else the server sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl AccessDeniedDetail {
    /// Reads the detail: an object, or (as some ROA answers carry it) a JSON string of one.
    pub(crate) fn from_value(value: &Value) -> Option<AccessDeniedDetail> {
        match value {
            Value::Object(_) => serde_json::from_value(value.clone()).ok(),
            Value::String(s) if !s.trim().is_empty() => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
                _ => {
                    let mut other = serde_json::Map::new();
                    other.insert("Detail".to_owned(), value.clone());
                    Some(AccessDeniedDetail {
                        other,
                        ..AccessDeniedDetail::default()
                    })
                }
            },
            _ => None,
        }
    }
}

/// Builds the error of a refused call from its status and body; `None` when the body is not
/// an Alibaba error body.
pub(crate) fn api_error(
    action: &str,
    status: u16,
    body: &Value,
    header_request_id: Option<String>,
    retry_after_ms: Option<u64>,
) -> Option<ApiError> {
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| body.get(*k))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
    };
    let code = text(&["Code", "code"])?;
    let http_status = match body.get("httpStatusCode").and_then(Value::as_u64) {
        Some(s) if status < 400 => u16::try_from(s).unwrap_or(status),
        _ => status,
    };
    Some(ApiError {
        action: action.to_owned(),
        http_status,
        code,
        message: text(&["Message", "message"]).unwrap_or_default(),
        request_id: text(&["RequestId", "requestId"]).or(header_request_id),
        access_denied_detail: ["AccessDeniedDetail", "accessDeniedDetail"]
            .iter()
            .find_map(|k| body.get(*k))
            .and_then(AccessDeniedDetail::from_value),
        retry_after_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rpc_error_body_keeps_code_message_request_id_and_denial_detail() {
        let body = json!({
            "RequestId": "R-1", "HostId": "petrel", "Code": "NoPermission",
            "Message": "implicit deny: no policy allows", "Recommend": "",
            "AccessDeniedDetail": {
                "NoPermissionType": "ImplicitDeny",
                "PolicyType": "ResourceGroupLevelIdentityBasedPolicy",
                "AuthAction": "rocketmq:CreateTopic",
                "AuthPrincipalType": "SubUser",
                "AuthPrincipalDisplayName": "dev",
                "AuthPrincipalOwnerId": "1234",
            }
        });
        let e = api_error("CreateTopic", 403, &body, Some("H-1".into()), None).unwrap();
        assert_eq!(e.code, "NoPermission");
        assert_eq!(e.http_status, 403);
        assert_eq!(e.request_id.as_deref(), Some("R-1"));
        let d = e.access_denied_detail.clone().unwrap();
        assert_eq!(
            d.policy_type.as_deref(),
            Some("ResourceGroupLevelIdentityBasedPolicy")
        );
        assert_eq!(d.no_permission_type.as_deref(), Some("ImplicitDeny"));
        assert_eq!(
            e.to_string(),
            "NoPermission: implicit deny: no policy allows (CreateTopic, http 403, request id R-1)"
        );
    }

    #[test]
    fn roa_error_body_in_camel_case_and_status_from_body_when_answered_200() {
        let body = json!({
            "requestId": "R-2", "success": false, "code": "Topic.NotFound",
            "message": "no topic", "httpStatusCode": 404,
            "accessDeniedDetail": "{\"PolicyType\":\"AccountLevelIdentityBasedPolicy\"}"
        });
        let e = api_error("GetTopic", 200, &body, None, Some(5)).unwrap();
        assert_eq!((e.code.as_str(), e.http_status), ("Topic.NotFound", 404));
        assert_eq!(e.request_id.as_deref(), Some("R-2"));
        assert_eq!(e.retry_after_ms, Some(5));
        assert_eq!(
            e.access_denied_detail.unwrap().policy_type.as_deref(),
            Some("AccountLevelIdentityBasedPolicy")
        );
    }

    #[test]
    fn a_body_without_code_is_not_an_api_error() {
        assert!(api_error("X", 502, &json!({"error": "bad gateway"}), None, None).is_none());
    }
}
