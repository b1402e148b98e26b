//! The catalogue of stable error codes. A code, once published, is never reused for another
//! meaning: scripts and SDKs branch on these strings.
//!
//! Each code knows its Alibaba `Code` string, its HTTP status and the RocketMQ v2 gRPC `Code`
//! used when the same failure reaches a messaging client.

use std::borrow::Cow;

/// A stable error code. Library errors map themselves onto one of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `InvalidParameter.<Param>.<Problem>` or `InvalidParameter` — 400.
    InvalidParameter(Cow<'static, str>),
    /// `MissingParameter.<Param>` — 400.
    MissingParameter(Cow<'static, str>),
    /// `MalformedPolicyDocument` — 400.
    MalformedPolicyDocument,
    /// `EntityNotExist.<Entity>` (RAM spelling) — 404.
    EntityNotExist(Cow<'static, str>),
    /// `EntityNotExists.<Entity>` (ResourceManager spelling, with an `s`) — 404.
    EntityNotExists(Cow<'static, str>),
    /// `EntityAlreadyExists.<Entity>` — 409.
    EntityAlreadyExists(Cow<'static, str>),
    /// `DeleteConflict.<What>` — 409.
    DeleteConflict(Cow<'static, str>),
    /// `LimitExceeded.<What>` — 409.
    LimitExceeded(Cow<'static, str>),
    /// `NoPermission` — 403, the caller is authenticated but not allowed.
    NoPermission,
    /// `ServiceNotActivated` — 403, the account has not activated the messaging service.
    ServiceNotActivated,
    /// `OrderOpend` — 400, activation requested twice (the real service's spelling).
    OrderOpend,
    /// `InvalidAccessKeyId.NotFound` — 404 in Alibaba's catalogue, 401 semantics.
    InvalidAccessKeyIdNotFound,
    /// `InvalidAccessKeyId.Inactive` — 403.
    InvalidAccessKeyIdInactive,
    /// `SignatureDoesNotMatch` — 400.
    SignatureDoesNotMatch,
    /// `SignatureNonceUsed` — 400.
    SignatureNonceUsed,
    /// `InvalidTimeStamp.Expired` — 400.
    InvalidTimeStampExpired,
    /// `InvalidCredentials` — 401, wrong login name or password.
    InvalidCredentials,
    /// `Account.Disabled` — 403.
    AccountDisabled,
    /// `InternalError` — 500.
    InternalError,
}

impl ErrorCode {
    /// The Alibaba-style `Code` string.
    pub fn as_str(&self) -> Cow<'static, str> {
        fn join(prefix: &str, rest: &str) -> Cow<'static, str> {
            if rest.is_empty() {
                Cow::Owned(prefix.to_owned())
            } else {
                Cow::Owned(format!("{prefix}.{rest}"))
            }
        }
        match self {
            ErrorCode::InvalidParameter(p) => join("InvalidParameter", p),
            ErrorCode::MissingParameter(p) => join("MissingParameter", p),
            ErrorCode::MalformedPolicyDocument => Cow::Borrowed("MalformedPolicyDocument"),
            ErrorCode::EntityNotExist(e) => join("EntityNotExist", e),
            ErrorCode::EntityNotExists(e) => join("EntityNotExists", e),
            ErrorCode::EntityAlreadyExists(e) => join("EntityAlreadyExists", e),
            ErrorCode::DeleteConflict(e) => join("DeleteConflict", e),
            ErrorCode::LimitExceeded(e) => join("LimitExceeded", e),
            ErrorCode::NoPermission => Cow::Borrowed("NoPermission"),
            ErrorCode::ServiceNotActivated => Cow::Borrowed("ServiceNotActivated"),
            ErrorCode::OrderOpend => Cow::Borrowed("OrderOpend"),
            ErrorCode::InvalidAccessKeyIdNotFound => Cow::Borrowed("InvalidAccessKeyId.NotFound"),
            ErrorCode::InvalidAccessKeyIdInactive => Cow::Borrowed("InvalidAccessKeyId.Inactive"),
            ErrorCode::SignatureDoesNotMatch => Cow::Borrowed("SignatureDoesNotMatch"),
            ErrorCode::SignatureNonceUsed => Cow::Borrowed("SignatureNonceUsed"),
            ErrorCode::InvalidTimeStampExpired => Cow::Borrowed("InvalidTimeStamp.Expired"),
            ErrorCode::InvalidCredentials => Cow::Borrowed("InvalidCredentials"),
            ErrorCode::AccountDisabled => Cow::Borrowed("Account.Disabled"),
            ErrorCode::InternalError => Cow::Borrowed("InternalError"),
        }
    }

    /// The HTTP status the management API answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            ErrorCode::InvalidParameter(_)
            | ErrorCode::MissingParameter(_)
            | ErrorCode::MalformedPolicyDocument
            | ErrorCode::OrderOpend
            | ErrorCode::SignatureDoesNotMatch
            | ErrorCode::SignatureNonceUsed
            | ErrorCode::InvalidTimeStampExpired => 400,
            ErrorCode::InvalidAccessKeyIdNotFound | ErrorCode::InvalidCredentials => 401,
            ErrorCode::NoPermission
            | ErrorCode::ServiceNotActivated
            | ErrorCode::InvalidAccessKeyIdInactive
            | ErrorCode::AccountDisabled => 403,
            ErrorCode::EntityNotExist(_) | ErrorCode::EntityNotExists(_) => 404,
            ErrorCode::EntityAlreadyExists(_)
            | ErrorCode::DeleteConflict(_)
            | ErrorCode::LimitExceeded(_) => 409,
            ErrorCode::InternalError => 500,
        }
    }

    /// The RocketMQ v2 `Code` value for the same failure on the messaging wire. Only codes the
    /// Rust 5.0.0 client knows are ever returned.
    pub fn rocketmq_code(&self) -> i32 {
        match self {
            ErrorCode::InvalidParameter(_)
            | ErrorCode::MissingParameter(_)
            | ErrorCode::MalformedPolicyDocument
            | ErrorCode::OrderOpend
            | ErrorCode::EntityAlreadyExists(_)
            | ErrorCode::DeleteConflict(_)
            | ErrorCode::LimitExceeded(_) => 40000,
            ErrorCode::InvalidAccessKeyIdNotFound
            | ErrorCode::InvalidAccessKeyIdInactive
            | ErrorCode::SignatureDoesNotMatch
            | ErrorCode::SignatureNonceUsed
            | ErrorCode::InvalidTimeStampExpired
            | ErrorCode::InvalidCredentials
            | ErrorCode::AccountDisabled => 40100,
            ErrorCode::NoPermission | ErrorCode::ServiceNotActivated => 40300,
            ErrorCode::EntityNotExist(_) | ErrorCode::EntityNotExists(_) => 40400,
            ErrorCode::InternalError => 50000,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_render_with_ram_spelling_and_status() {
        let c = ErrorCode::EntityNotExist("User".into());
        assert_eq!(c.as_str(), "EntityNotExist.User");
        assert_eq!(c.http_status(), 404);
        let c = ErrorCode::LimitExceeded("User.AccessKey".into());
        assert_eq!(c.as_str(), "LimitExceeded.User.AccessKey");
        assert_eq!(c.http_status(), 409);
        assert_eq!(ErrorCode::NoPermission.rocketmq_code(), 40300);
        assert_eq!(
            ErrorCode::InvalidParameter("".into()).as_str(),
            "InvalidParameter"
        );
    }
}
