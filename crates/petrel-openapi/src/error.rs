//! The one error type of the management API: an Alibaba `Code`, a message and an HTTP status,
//! plus the `AccessDeniedDetail` of a denial. Service errors map onto it with their stable codes;
//! the gateway adds the few codes of its own (unknown action or version, unreadable body).

use petrel_model::ErrorCode;
use petrel_service::ServiceError;
use serde_json::Value;

/// A refused request, as the envelope renders it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    /// HTTP status (400–599).
    pub status: u16,
    /// The Alibaba-style `Code`.
    pub code: String,
    /// Lowercase explanation naming the offending input.
    pub message: String,
    /// `AccessDeniedDetail` of a policy denial.
    pub access_denied_detail: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            access_denied_detail: None,
        }
    }

    /// A stable code of the catalogue, with its status.
    pub fn from_code(code: &ErrorCode, message: impl Into<String>) -> Self {
        ApiError::new(code.http_status(), code.as_str(), message)
    }

    /// `MissingParameter.<Param>` (400).
    pub fn missing(param: &str) -> Self {
        ApiError::from_code(
            &ErrorCode::MissingParameter(param.to_owned().into()),
            format!("parameter `{param}` is required for this action"),
        )
    }

    /// `InvalidParameter.<Param>` (400).
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        ApiError::from_code(
            &ErrorCode::InvalidParameter(param.to_owned().into()),
            message,
        )
    }

    /// `InternalError` (500); the detail goes to the log, not to the caller.
    pub fn internal(request_id: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(request_id, "management api internal error: {detail}");
        ApiError::from_code(
            &ErrorCode::InternalError,
            format!("internal error; quote request id `{request_id}` to the operator"),
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        // An internal error keeps its detail here; the dispatcher logs it and tells the caller
        // only the request id.
        let code = e.code();
        let mut error = ApiError::from_code(&code, e.to_string());
        if let Some(denial) = e.denial() {
            error.access_denied_detail = denial
                .decision
                .access_denied_detail()
                .and_then(|d| serde_json::to_value(d).ok());
        }
        error
    }
}

impl From<petrel_meta::MetaError> for ApiError {
    fn from(e: petrel_meta::MetaError) -> Self {
        ApiError::from(ServiceError::from(e))
    }
}
