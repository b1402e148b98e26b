//! `petrel-bench`: a load generator that speaks the RocketMQ 5 gRPC protocol
//! (`apache.rocketmq.v2.MessagingService`) to a running `petrel serve`, the way the official
//! SDKs do, and reports throughput, latency percentiles and every failure by code. The
//! `petrel bench` subcommand is a thin front to [`run_until`].
//!
//! What a run does: every producer and consumer opens its own connection and starts like an
//! SDK client (QueryRoute, Heartbeat); every call is signed with `MQv2-HMAC-SHA1` and carries
//! the SDK headers. Producers keep `inflight` SendMessage calls of `batch_size` messages
//! outstanding (back to back, or on a fixed schedule when a target rate is set, latency then
//! counting from each call's scheduled start); consumers long-poll ReceiveMessage (batch 32) and
//! ack each batch with one AckMessage. Bodies carry the send time, so consumers measure end-to-end latency and tell
//! this run's messages from a backlog. Business errors arrive in the response `status` with
//! gRPC OK: each is counted by call and code, never dropped.
//!
//! Modules: `config` (options and their checks), `client` (connection, signed metadata,
//! message ids), `body` (the stamped body), `producer`, `consumer`, `run` (timeline, setup,
//! drain, assembly), `stats` (counters, histograms, errors), `report`, `progress` (the bar),
//! `workload` (NORMAL/FIFO/DELAY: group ownership, due times, the order check).
//!
//! FIFO runs (`message_groups`) spread messages over message groups, each group sent by one
//! task in sequence, and consumers count deliveries that arrive after a later message of their
//! group; DELAY runs (`delay`) set `delivery_timestamp` and consumers measure lateness (receive
//! time − delivery time) and count early deliveries.
//!
//! Not done: Telemetry (the SDKs' settings stream; Petrel does not need it to send or
//! receive), TRANSACTION messages, TLS.

mod body;
pub mod client;
mod config;
mod consumer;
mod error;
mod producer;
mod progress;
mod report;
mod run;
mod stats;
mod workload;

pub use config::{BenchConfig, Credentials, Limit};
pub use error::BenchError;
pub use report::{DelayReport, FifoReport, Latency, ReceiveReport, Report, SendReport};
pub use run::{run, run_until};
pub use stats::ErrorCount;
