//! `petrel-peerbench`: the side-by-side benchmark of Petrel against peer brokers that run on
//! the same machine — NATS JetStream, Redis streams, RabbitMQ quorum queues and RabbitMQ
//! streams — in the style of the OpenMessaging Benchmark.
//!
//! One load generator ([`load`]) drives every system, each through its own well-kept Rust
//! client ([`driver`]: Petrel over the RocketMQ 5 gRPC protocol with `petrel-bench`'s signed
//! client, `async-nats`, `redis`, `lapin`, `rabbitmq-stream-client`), so the harness is never
//! the difference. [`server`] starts each system on 127.0.0.1 with a fresh data dir, pinned to
//! the server CPU set, and stops it by PID; [`procfs`] reads the server's CPU time and resident
//! memory. [`suite`] alternates systems run by run and takes the median of each figure;
//! [`report`] writes `RESULTS.md`, the raw runs as JSON and a throughput-against-p99 chart.
//!
//! Each system runs in two durability modes ([`system::Durability`]): fsync before the ack
//! (Petrel's default) and each system's own defaults (Petrel then in `async` flush mode).

pub mod driver;
mod error;
pub mod load;
pub mod procfs;
pub mod report;
pub mod server;
pub mod suite;
pub mod system;
pub mod workload;

pub use error::PeerError;
