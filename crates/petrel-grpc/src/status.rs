//! Response status codes: building `Status` values and mapping service and broker errors onto
//! RocketMQ v2 `Code` numbers.
//!
//! Business errors travel inside the response (`status` field, gRPC OK; spec §0.10). Every code
//! produced here is one the Rust 5.0.0 client knows (spec §2): it panics on any other.

use petrel_broker::BrokerError;
use petrel_meta::{Entity, MetaError};
use petrel_proto::v2;
use petrel_service::ServiceError;

/// RocketMQ v2 `Code` values this front end sends.
pub mod code {
    /// `OK`.
    pub const OK: i32 = 20000;
    /// `MULTIPLE_RESULTS`.
    pub const MULTIPLE_RESULTS: i32 = 30000;
    /// `BAD_REQUEST`.
    pub const BAD_REQUEST: i32 = 40000;
    /// `ILLEGAL_TOPIC`.
    pub const ILLEGAL_TOPIC: i32 = 40002;
    /// `ILLEGAL_CONSUMER_GROUP`.
    pub const ILLEGAL_CONSUMER_GROUP: i32 = 40003;
    /// `INVALID_TRANSACTION_ID`.
    pub const INVALID_TRANSACTION_ID: i32 = 40008;
    /// `ILLEGAL_INVISIBLE_TIME`.
    pub const ILLEGAL_INVISIBLE_TIME: i32 = 40011;
    /// `UNAUTHORIZED`.
    pub const UNAUTHORIZED: i32 = 40100;
    /// `FORBIDDEN`.
    pub const FORBIDDEN: i32 = 40300;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: i32 = 40400;
    /// `MESSAGE_NOT_FOUND`.
    pub const MESSAGE_NOT_FOUND: i32 = 40401;
    /// `TOPIC_NOT_FOUND`.
    pub const TOPIC_NOT_FOUND: i32 = 40402;
    /// `CONSUMER_GROUP_NOT_FOUND`.
    pub const CONSUMER_GROUP_NOT_FOUND: i32 = 40403;
    /// `INTERNAL_ERROR`.
    pub const INTERNAL_ERROR: i32 = 50000;
    /// `NOT_IMPLEMENTED`.
    pub const NOT_IMPLEMENTED: i32 = 50100;
    /// `UNSUPPORTED`.
    pub const UNSUPPORTED: i32 = 50500;
}

/// Whether the Rust 5.0.0 client knows `c` (spec §2).
pub fn known_to_rust_client(c: i32) -> bool {
    matches!(c, 0 | 20000 | 30000 | 40000..=40018 | 40100 | 40200 | 40300 | 40400..=40403
        | 40800 | 41300 | 41301 | 42800 | 42900 | 43100 | 43101 | 50000..=50002 | 50100
        | 50400..=50402 | 50500..=50502 | 60000)
}

/// A refused or failed request: the code and readable reason that go into `Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// RocketMQ v2 code (known to every client).
    pub code: i32,
    /// Human-readable reason.
    pub message: String,
}

impl Failure {
    /// A failure with `code` (mapped to a known code if it is not one) and `message`.
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        let code = if known_to_rust_client(code) {
            code
        } else {
            self::code::BAD_REQUEST
        };
        Failure {
            code,
            message: message.into(),
        }
    }

    /// `BAD_REQUEST` with a reason.
    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(code::BAD_REQUEST, message)
    }

    /// `INTERNAL_ERROR` with a reason.
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure::new(code::INTERNAL_ERROR, message)
    }

    /// The `Status` for this failure (noted as the call's result code for metrics).
    pub fn status(&self) -> v2::Status {
        crate::observe::note_failure(self.code);
        v2::Status {
            code: self.code,
            message: self.message.clone(),
        }
    }

    /// Maps a service error met while handling a *topic* (route, send): a missing topic or
    /// instance is `TOPIC_NOT_FOUND`.
    pub fn from_service(e: ServiceError) -> Failure {
        match &e {
            ServiceError::Meta(MetaError::NotFound { entity, .. }) => match entity {
                Entity::Topic | Entity::Instance => {
                    Failure::new(code::TOPIC_NOT_FOUND, e.to_string())
                }
                Entity::ConsumerGroup => {
                    Failure::new(code::CONSUMER_GROUP_NOT_FOUND, e.to_string())
                }
                _ => Failure::new(code::NOT_FOUND, e.to_string()),
            },
            // `resolve_instance` found the topic in no instance of the account.
            ServiceError::InvalidParameter { param: "Topic", .. } => {
                Failure::new(code::TOPIC_NOT_FOUND, e.to_string())
            }
            ServiceError::Unauthenticated { .. } | ServiceError::AccountDisabled { .. } => {
                Failure::new(code::UNAUTHORIZED, e.to_string())
            }
            ServiceError::Denied(_) | ServiceError::NotActivated { .. } => {
                Failure::new(code::FORBIDDEN, e.to_string())
            }
            ServiceError::Meta(_) | ServiceError::Io { .. } => {
                tracing::error!(error = %e, "catalogue failure on the grpc data plane");
                Failure::internal(e.to_string())
            }
            _ => Failure::new(e.code().rocketmq_code(), e.to_string()),
        }
    }

    /// Maps a broker error (its codes are all known to the clients).
    pub fn from_broker(e: &BrokerError) -> Failure {
        let code = e.rocketmq_code();
        if code == self::code::INTERNAL_ERROR {
            tracing::error!(error = %e, "broker failure");
        }
        Failure::new(code, e.to_string())
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Failure {
        Failure::from_service(e)
    }
}

impl From<BrokerError> for Failure {
    fn from(e: BrokerError) -> Failure {
        Failure::from_broker(&e)
    }
}

/// `Status{OK, "OK"}`.
pub fn ok() -> v2::Status {
    v2::Status {
        code: code::OK,
        message: "OK".to_owned(),
    }
}

/// The top-level status of a multi-entry response (Send, Ack): the common code if all entries
/// agree (with the first entry's message), else `MULTIPLE_RESULTS` (spec §10.3).
pub fn common(entries: &[&v2::Status]) -> v2::Status {
    let Some(first) = entries.first() else {
        return Failure::bad_request("the request has no entries").status();
    };
    if entries.iter().all(|s| s.code == first.code) {
        (*first).clone()
    } else {
        v2::Status {
            code: code::MULTIPLE_RESULTS,
            message: "MULTIPLE_RESULTS".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_become_bad_request() {
        assert_eq!(Failure::new(40404, "x").code, code::BAD_REQUEST);
        assert_eq!(Failure::new(41302, "x").code, code::BAD_REQUEST);
        assert_eq!(Failure::new(40403, "x").code, 40403);
    }

    #[test]
    fn common_status_is_multiple_results_when_entries_differ() {
        let a = ok();
        let b = Failure::bad_request("no").status();
        assert_eq!(common(&[&a, &a]).code, code::OK);
        assert_eq!(common(&[&a, &b]).code, code::MULTIPLE_RESULTS);
        assert_eq!(common(&[&b]).message, "no");
    }
}
