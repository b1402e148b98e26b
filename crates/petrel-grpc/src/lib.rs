//! `petrel-grpc`: the RocketMQ 5 gRPC front end (`apache.rocketmq.v2.MessagingService`) that
//! the unmodified official SDKs (Python 5.1.2, Node 1.0.8, Rust 5.0.0) talk to.
//!
//! Every call is authenticated with `MQv2-HMAC-SHA1` against the caller's AccessKey and
//! authorized by petrel-service (the only authorizer: `mq:PUB` on each sent message's topic,
//! `mq:SUB` on topic and group to consume, PUB or SUB for routes); the broker does the
//! messaging. Business errors travel in the response `status` with gRPC OK, using only codes
//! the Rust 5.0.0 client knows (`specs/rocketmq-grpc.md` §0, §2).
//!
//! Modules, one concern each: `auth` (call metadata, authentication), `session` (client
//! sessions and telemetry senders), `settings` (the §14 settings reply), `telemetry`, `route`
//! (QueryRoute, QueryAssignment), `send` (and RecallMessage), `receive`, `ack` (ack, change invisible, forward to
//! the dead-letter queue), `transaction` (EndTransaction, orphaned-transaction checks),
//! `convert` (proto ↔ broker), `status` (codes), `frontend` (the service trait).
//!
//! Message semantics (the broker's): retries with the consumer group's catalogue retry policy
//! and its dead-letter queue, FIFO order per message group for Orderly groups on FIFO topics
//! (the server maps message groups to queues), delay messages with a durable timer (too far
//! ahead: ILLEGAL_DELIVERY_TIME) that their producer can recall before they are due (a handle
//! naming no pending message: NOT_FOUND), transactions, TAG and SQL92 filters (malformed:
//! ILLEGAL_FILTER_EXPRESSION).
//!
//! Namespaces: a client's namespace is a Petrel instance id — the `x-mq-namespace` header if
//! non-empty, else the request's `resource_namespace`, else the only instance of the caller's
//! account that has the topic (the Rust SDK cannot send one).
//!
//! Not yet: pull and offset RPCs (answered in the response status
//! with NOT_IMPLEMENTED or UNSUPPORTED), server-side auto-renew of invisible time, idempotent
//! receive retries (`attempt_id`), TLS.

mod ack;
mod auth;
mod convert;
mod frontend;
mod observe;
mod receive;
mod route;
mod send;
mod session;
mod settings;
mod status;
mod subscribers;
mod telemetry;
mod transaction;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use petrel_broker::Broker;
use petrel_proto::v2::messaging_service_server::MessagingServiceServer;
use petrel_service::Service;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;

pub use frontend::Frontend;
pub use receive::{DEFAULT_INVISIBLE, poll_time};
pub use status::{code, known_to_rust_client};

/// Settings of the gRPC server.
#[derive(Debug, Clone)]
pub struct GrpcConfig {
    /// Largest gRPC message decoded or encoded (default 16 MiB: above the 4 MiB body limit plus
    /// properties; tonic's own default is 4 MiB).
    pub max_message_size: usize,
    /// After the shutdown signal, how long open calls may take before their connections are
    /// dropped (default 10 s). Telemetry streams and long polls end at once by themselves.
    pub shutdown_grace: Duration,
    /// A call taking at least this long is logged at `warn` with its timings (default
    /// 200 ms); long polls and Telemetry streams are not (they wait by design).
    pub slow_request: Duration,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            max_message_size: 16 << 20,
            shutdown_grace: Duration::from_secs(10),
            slow_request: Duration::from_millis(200),
        }
    }
}

/// The gRPC server failed.
#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    /// The transport (listener, HTTP/2) failed.
    #[error("grpc server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl Frontend {
    /// A front end over `service` (authentication, authorization, catalogue) and `broker`;
    /// `stopping` turns true at shutdown (Telemetry streams end, long polls answer empty).
    /// Inside a Tokio runtime it also starts forwarding the broker's orphaned-transaction
    /// checks to producers (until `stopping`).
    pub fn new(
        service: Arc<Service>,
        broker: Arc<Broker>,
        stopping: watch::Receiver<bool>,
    ) -> Frontend {
        let shared = Arc::new(frontend::Shared {
            service,
            broker,
            sessions: session::Sessions::default(),
            stopping,
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(transaction::forward_checks(shared.clone()));
        }
        Frontend { shared }
    }

    /// Number of client sessions (for diagnostics and tests).
    pub fn session_count(&self) -> usize {
        self.shared.sessions.len()
    }

    /// The tonic service with the message-size limits of `config` and no response compression.
    pub fn into_server(self, config: &GrpcConfig) -> MessagingServiceServer<Frontend> {
        MessagingServiceServer::new(self)
            .max_decoding_message_size(config.max_message_size)
            .max_encoding_message_size(config.max_message_size)
    }
}

/// Serves the RocketMQ gRPC API on `listener` until `shutdown` resolves, then stops: Telemetry
/// streams and long polls end, open calls get [`GrpcConfig::shutdown_grace`] to finish. When
/// this returns, the server no longer uses `broker` (close it next).
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    broker: Arc<Broker>,
    config: GrpcConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), GrpcError> {
    let (stop, stopping) = watch::channel(false);
    let observe = observe::ObserveLayer {
        service: Arc::clone(&service),
        slow: config.slow_request,
    };
    let frontend = Frontend::new(service, broker, stopping.clone());
    let shared = frontend.shared.clone();
    let signal = async move {
        shutdown.await;
        let _ = stop.send(true);
        shared.sessions.close_all();
    };
    let server = tonic::transport::Server::builder()
        .layer(observe)
        .add_service(frontend.into_server(&config))
        // Without TCP_NODELAY every answer larger than a segment waits ~40 ms for the
        // client's delayed ACK (Nagle): a batch send or a receive of a few KiB took 48 ms.
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), signal);
    tokio::pin!(server);
    let mut stopped = stopping.clone();
    tokio::select! {
        r = &mut server => return Ok(r?),
        () = frontend::stopped(&mut stopped) => {}
    }
    match tokio::time::timeout(config.shutdown_grace, server).await {
        Ok(r) => Ok(r?),
        Err(_) => {
            tracing::warn!(
                "grpc: calls still open {:?} after shutdown; closing their connections",
                config.shutdown_grace
            );
            Ok(())
        }
    }
}
