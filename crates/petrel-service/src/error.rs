//! The errors of service operations, each with its stable code.

use petrel_model::ErrorCode;

use crate::authorize::Denial;

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller could not be authenticated; the message says which check failed.
    #[error("{message}")]
    Unauthenticated {
        /// The stable code (`InvalidAccessKeyId.NotFound`, `SignatureDoesNotMatch`, …).
        code: ErrorCode,
        /// What failed, naming the input (never a secret).
        message: String,
    },
    /// The account has not activated the messaging service.
    #[error(
        "account `{account}` has not activated the message queue service: activate it (accepting the terms of service) before using `{action}`"
    )]
    NotActivated {
        /// The account.
        account: String,
        /// The refused action.
        action: String,
    },
    /// The caller's account is disabled.
    #[error(
        "account `{account}` is disabled: its root, RAM users and AccessKeys are refused until an operator enables it again"
    )]
    AccountDisabled {
        /// The account.
        account: String,
    },
    /// The authorizer refused; the denial explains itself.
    #[error("{0}")]
    Denied(Box<Denial>),
    /// A policy document was refused by the parser.
    #[error("{0}")]
    MalformedPolicy(#[from] petrel_iam::PolicyError),
    /// A request the policy engine cannot evaluate (an action or resource that is not concrete).
    #[error("{0}")]
    InvalidRequest(#[from] petrel_iam::RequestError),
    /// A system policy name that does not exist.
    #[error("system policy `{0}` does not exist")]
    NoSuchSystemPolicy(String),
    /// A high-risk policy attached without confirmation.
    #[error("policy `{policy}` is high-risk ({reasons}): confirm explicitly to attach it")]
    HighRiskNotConfirmed {
        /// The policy.
        policy: String,
        /// Why it is high-risk.
        reasons: String,
    },
    /// Input that no operation accepts.
    #[error("invalid `{param}`: {reason}")]
    InvalidParameter {
        /// The parameter, as the API names it.
        param: &'static str,
        /// What is wrong, naming the value.
        reason: String,
    },
    /// The catalogue refused or failed.
    #[error(transparent)]
    Meta(#[from] petrel_meta::MetaError),
    /// A file of the data dir could not be written.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl ServiceError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Unauthenticated { code, .. } => code.clone(),
            ServiceError::NotActivated { .. } => ErrorCode::ServiceNotActivated,
            ServiceError::AccountDisabled { .. } => ErrorCode::AccountDisabled,
            ServiceError::Denied(_) => ErrorCode::NoPermission,
            ServiceError::MalformedPolicy(_) => ErrorCode::MalformedPolicyDocument,
            ServiceError::InvalidRequest(e) => e.code(),
            ServiceError::NoSuchSystemPolicy(_) => ErrorCode::EntityNotExist("Policy".into()),
            ServiceError::HighRiskNotConfirmed { .. } => {
                ErrorCode::InvalidParameter("HighRiskPolicy.NotConfirmed".into())
            }
            ServiceError::InvalidParameter { param, .. } => {
                ErrorCode::InvalidParameter((*param).into())
            }
            ServiceError::Meta(e) => e.code(),
            ServiceError::Io { .. } => ErrorCode::InternalError,
        }
    }

    /// The denial behind a `NoPermission`, for front ends that render its details.
    pub fn denial(&self) -> Option<&Denial> {
        match self {
            ServiceError::Denied(d) => Some(d),
            _ => None,
        }
    }
}
