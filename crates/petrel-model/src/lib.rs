//! Shared vocabulary of Petrel: validated names and ids, ARNs, message types and the catalogue of
//! stable error codes that every front end renders (Alibaba `Code` string, HTTP status, RocketMQ
//! gRPC `Code`).
//!
//! This crate does no I/O; everything here is pure data and validation.

pub mod arn;
pub mod code;
pub mod names;

pub use arn::{Arn, ArnError};
pub use code::ErrorCode;
pub use names::{NameError, NameKind, validate_name};

/// Message type of a topic; a send of another type is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MessageType {
    /// Ordinary messages.
    Normal,
    /// Ordered within a message group.
    Fifo,
    /// Delivered at or after a delivery timestamp.
    Delay,
    /// Two-phase (half message, then commit or rollback).
    Transaction,
}

impl MessageType {
    /// The name used by the RocketMQ 2022-08-01 API (`NORMAL`, `FIFO`, `DELAY`, `TRANSACTION`).
    pub fn as_api_str(self) -> &'static str {
        match self {
            MessageType::Normal => "NORMAL",
            MessageType::Fifo => "FIFO",
            MessageType::Delay => "DELAY",
            MessageType::Transaction => "TRANSACTION",
        }
    }
}

impl std::str::FromStr for MessageType {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "NORMAL" => Ok(MessageType::Normal),
            "FIFO" => Ok(MessageType::Fifo),
            "DELAY" => Ok(MessageType::Delay),
            "TRANSACTION" => Ok(MessageType::Transaction),
            _ => Err(NameError::new(
                NameKind::MessageType,
                s,
                "must be one of NORMAL, FIFO, DELAY, TRANSACTION",
            )),
        }
    }
}
