//! The broker's error type and its mapping onto RocketMQ v2 `Code` numbers.
//!
//! Messages are lowercase and name the offending input (in backticks, shortened when long). They
//! never contain a receipt handle: a handle is a bearer token for ack and may end up in logs.
//! Every variant maps to a code the Rust 5.0.0 client knows (spec §0 fact 9, §2), so the gRPC
//! front end can put [`BrokerError::rocketmq_code`] into a `Status` unchanged.

use petrel_store::StoreError;

/// RocketMQ v2 `Code` values the broker produces (a subset of `apache.rocketmq.v2.Code`).
pub mod code {
    /// `BAD_REQUEST`.
    pub const BAD_REQUEST: i32 = 40000;
    /// `ILLEGAL_TOPIC`.
    pub const ILLEGAL_TOPIC: i32 = 40002;
    /// `ILLEGAL_CONSUMER_GROUP`.
    pub const ILLEGAL_CONSUMER_GROUP: i32 = 40003;
    /// `ILLEGAL_MESSAGE_TAG`.
    pub const ILLEGAL_MESSAGE_TAG: i32 = 40004;
    /// `ILLEGAL_MESSAGE_KEY`.
    pub const ILLEGAL_MESSAGE_KEY: i32 = 40005;
    /// `ILLEGAL_MESSAGE_GROUP`.
    pub const ILLEGAL_MESSAGE_GROUP: i32 = 40006;
    /// `ILLEGAL_MESSAGE_PROPERTY_KEY`.
    pub const ILLEGAL_MESSAGE_PROPERTY_KEY: i32 = 40007;
    /// `ILLEGAL_MESSAGE_ID`.
    pub const ILLEGAL_MESSAGE_ID: i32 = 40009;
    /// `ILLEGAL_FILTER_EXPRESSION`.
    pub const ILLEGAL_FILTER_EXPRESSION: i32 = 40010;
    /// `ILLEGAL_INVISIBLE_TIME`.
    pub const ILLEGAL_INVISIBLE_TIME: i32 = 40011;
    /// `ILLEGAL_DELIVERY_TIME`.
    pub const ILLEGAL_DELIVERY_TIME: i32 = 40012;
    /// `INVALID_RECEIPT_HANDLE`.
    pub const INVALID_RECEIPT_HANDLE: i32 = 40013;
    /// `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE`.
    pub const MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: i32 = 40014;
    /// `MESSAGE_BODY_TOO_LARGE`.
    pub const MESSAGE_BODY_TOO_LARGE: i32 = 41301;
    /// `MESSAGE_PROPERTIES_TOO_LARGE`.
    pub const MESSAGE_PROPERTIES_TOO_LARGE: i32 = 43101;
    /// `INVALID_TRANSACTION_ID`.
    pub const INVALID_TRANSACTION_ID: i32 = 40008;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: i32 = 40400;
    /// `PRECONDITION_FAILED`.
    pub const PRECONDITION_FAILED: i32 = 42800;
    /// `INTERNAL_ERROR`.
    pub const INTERNAL_ERROR: i32 = 50000;
    /// `UNSUPPORTED`.
    pub const UNSUPPORTED: i32 = 50500;
}

/// Errors returned by the broker. `Clone` because one failed group commit fails several
/// operations (e.g. every entry of an ack batch).
#[derive(Debug, Clone, thiserror::Error)]
pub enum BrokerError {
    /// A request that is malformed in a way no more specific code describes (bad account or
    /// instance id, a group and topic of different namespaces, batch size out of range, empty
    /// send, empty body — RocketMQ's `MESSAGE_BODY_EMPTY` makes the Rust 5.0.0 client panic).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The topic name breaks the naming rules.
    #[error("illegal topic `{topic}`: {reason}")]
    IllegalTopic {
        /// The topic as given.
        topic: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// The consumer group name breaks the naming rules.
    #[error("illegal consumer group `{group}`: {reason}")]
    IllegalConsumerGroup {
        /// The group as given.
        group: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// The message tag is blank, contains `|` or a control character.
    #[error("illegal message tag `{tag}` of message `{message_id}`: {reason}")]
    IllegalTag {
        /// The message.
        message_id: String,
        /// The tag as given.
        tag: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A message key is blank or contains a control character.
    #[error("illegal message key `{key}` of message `{message_id}`: {reason}")]
    IllegalKey {
        /// The message.
        message_id: String,
        /// The key as given.
        key: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The message group is blank, too long or contains a control character.
    #[error("illegal message group `{group}` of message `{message_id}`: {reason}")]
    IllegalMessageGroup {
        /// The message.
        message_id: String,
        /// The message group as given.
        group: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A user property key is empty, reserved, or a key or value contains a control character.
    #[error("illegal property `{key}` of message `{message_id}`: {reason}")]
    IllegalPropertyKey {
        /// The message.
        message_id: String,
        /// The property key as given.
        key: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The message id is blank, too long or contains a control character.
    #[error("illegal message id `{message_id}`: {reason}")]
    IllegalMessageId {
        /// The id as given.
        message_id: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// The filter expression cannot be parsed or is of an unsupported kind.
    #[error("illegal filter expression `{expression}`: {reason}")]
    IllegalFilterExpression {
        /// The expression as given.
        expression: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An invisible duration outside the allowed range.
    #[error("illegal invisible duration {duration_ms} ms: {reason}")]
    IllegalInvisibleTime {
        /// The duration as given, in milliseconds.
        duration_ms: u128,
        /// The allowed range.
        reason: String,
    },
    /// A delivery timestamp too far in the future.
    #[error("illegal delivery time of message `{message_id}`: {reason}")]
    IllegalDeliveryTime {
        /// The message.
        message_id: String,
        /// How far ahead it is and what the limit is.
        reason: String,
    },
    /// The receipt handle is malformed, stale (acked, changed or delivered again) or belongs to
    /// another group, topic or account.
    #[error("invalid receipt handle: {reason}")]
    InvalidReceiptHandle {
        /// Why it was refused (never the handle itself).
        reason: &'static str,
    },
    /// The message's type (or a field only another type may carry) conflicts with the topic.
    #[error("message `{message_id}` conflicts with topic `{topic}`: {reason}")]
    MessageTypeConflict {
        /// The message.
        message_id: String,
        /// The topic (user-visible name).
        topic: String,
        /// The conflict.
        reason: String,
    },
    /// The body exceeds the configured limit.
    #[error("body of message `{message_id}` is {size} bytes, the limit is {limit}")]
    BodyTooLarge {
        /// The message.
        message_id: String,
        /// Body size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// Too many user properties, or properties plus tag and keys too large.
    #[error("properties of message `{message_id}` are too large: {reason}")]
    PropertiesTooLarge {
        /// The message.
        message_id: String,
        /// Which limit was exceeded.
        reason: String,
    },
    /// A transaction id that is malformed, unknown, of another message or topic, or whose
    /// transaction already ended.
    #[error("invalid transaction id `{transaction_id}`: {reason}")]
    InvalidTransactionId {
        /// The id as given.
        transaction_id: String,
        /// Why it was refused.
        reason: String,
    },
    /// Something named by the request does not exist (a dead letter).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is valid but the state does not allow it (a dead letter re-sent already).
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A feature the broker does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The message log failed.
    #[error("message store failed: {0}")]
    Store(#[from] StoreError),
    /// A consumer-progress record could not be decoded at open.
    #[error("consumer progress record `{what}` is unreadable: {reason}")]
    CorruptProgress {
        /// Which record (internal queue and offset).
        what: String,
        /// What was wrong.
        reason: String,
    },
    /// An internal failure (a background task died, no Tokio runtime at open).
    #[error("internal error: {0}")]
    Internal(String),
    /// The broker is closing or closed.
    #[error("broker is closed")]
    Closed,
}

impl BrokerError {
    /// The RocketMQ v2 `Code` for this error (only codes the Rust 5.0.0 client knows).
    pub fn rocketmq_code(&self) -> i32 {
        match self {
            BrokerError::BadRequest(_) => code::BAD_REQUEST,
            BrokerError::IllegalTopic { .. } => code::ILLEGAL_TOPIC,
            BrokerError::IllegalConsumerGroup { .. } => code::ILLEGAL_CONSUMER_GROUP,
            BrokerError::IllegalTag { .. } => code::ILLEGAL_MESSAGE_TAG,
            BrokerError::IllegalKey { .. } => code::ILLEGAL_MESSAGE_KEY,
            BrokerError::IllegalMessageGroup { .. } => code::ILLEGAL_MESSAGE_GROUP,
            BrokerError::IllegalPropertyKey { .. } => code::ILLEGAL_MESSAGE_PROPERTY_KEY,
            BrokerError::IllegalMessageId { .. } => code::ILLEGAL_MESSAGE_ID,
            BrokerError::IllegalFilterExpression { .. } => code::ILLEGAL_FILTER_EXPRESSION,
            BrokerError::IllegalInvisibleTime { .. } => code::ILLEGAL_INVISIBLE_TIME,
            BrokerError::IllegalDeliveryTime { .. } => code::ILLEGAL_DELIVERY_TIME,
            BrokerError::InvalidReceiptHandle { .. } => code::INVALID_RECEIPT_HANDLE,
            BrokerError::MessageTypeConflict { .. } => code::MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
            BrokerError::BodyTooLarge { .. } => code::MESSAGE_BODY_TOO_LARGE,
            BrokerError::PropertiesTooLarge { .. } => code::MESSAGE_PROPERTIES_TOO_LARGE,
            BrokerError::InvalidTransactionId { .. } => code::INVALID_TRANSACTION_ID,
            BrokerError::NotFound(_) => code::NOT_FOUND,
            BrokerError::PreconditionFailed(_) => code::PRECONDITION_FAILED,
            BrokerError::Unsupported(_) => code::UNSUPPORTED,
            BrokerError::Store(StoreError::InvalidMessage(_)) => code::BAD_REQUEST,
            BrokerError::Store(_)
            | BrokerError::CorruptProgress { .. }
            | BrokerError::Internal(_)
            | BrokerError::Closed => code::INTERNAL_ERROR,
        }
    }
}

/// Shortens user input quoted in an error message (keeps messages bounded) and escapes its
/// control characters (quotes stay as typed: a SQL filter quoted back must read as written).
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 80;
    let escape = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    if s.chars().count() <= MAX {
        return escape(s);
    }
    let head: String = s.chars().take(MAX).collect();
    format!("{}…", escape(&head))
}

/// Shorthand used throughout the crate.
pub type Result<T, E = BrokerError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ones_the_rust_client_knows() {
        let known = |c: i32| {
            matches!(c, 40000..=40018 | 40100 | 40200 | 40300 | 40400..=40403 | 40800 | 41300
                | 41301 | 42800 | 42900 | 43100 | 43101 | 50000..=50002 | 50100 | 50400..=50402
                | 50500..=50502)
        };
        let errs = [
            BrokerError::BadRequest("x".into()),
            BrokerError::InvalidReceiptHandle { reason: "x" },
            BrokerError::Unsupported("fifo".into()),
            BrokerError::NotFound("x".into()),
            BrokerError::PreconditionFailed("x".into()),
            BrokerError::InvalidTransactionId {
                transaction_id: "x".into(),
                reason: "x".into(),
            },
            BrokerError::Closed,
            BrokerError::Store(StoreError::Closed),
            BrokerError::Store(StoreError::InvalidMessage("x".into())),
        ];
        for e in errs {
            assert!(known(e.rocketmq_code()), "{e}");
        }
    }

    #[test]
    fn quoted_input_is_bounded_and_escaped() {
        assert_eq!(quote("a\nb"), "a\\nb");
        assert_eq!(quote("a = 'x'"), "a = 'x'");
        let long = "x".repeat(500);
        assert!(quote(&long).chars().count() <= 81);
    }
}
