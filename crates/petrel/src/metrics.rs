//! `GET /metrics` on the HTTP port: the Prometheus text exposition of the service layer
//! (requests, errors by code, denials), the broker (per topic and group counts, bytes, lag,
//! in flight) and the store (fsync latency, group-commit sizes, segments, disk use).
//!
//! Metrics name every topic and group, so who may scrape is a setting ([`MetricsAccess`]): by
//! default only clients on the same host (loopback peers); `open` serves anyone who can reach
//! the port (put it behind a firewall or proxy); `off` answers 404.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use petrel_broker::Broker;
use petrel_metrics::{Exposition, Kind};
use petrel_service::Service;
use petrel_store::Store;
use serde::Deserialize;

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MetricsAccess {
    /// Loopback clients only (the default).
    Local,
    /// Anyone who can reach the HTTP port.
    Open,
    /// Not served.
    Off,
}

struct Sources {
    service: Arc<Service>,
    broker: Arc<Broker>,
    store: Arc<Store>,
    access: MetricsAccess,
    /// Seconds since the epoch when the server started (counters reset then).
    started: u64,
}

/// The `/metrics` route.
pub fn router(
    service: Arc<Service>,
    broker: Arc<Broker>,
    store: Arc<Store>,
    access: MetricsAccess,
) -> Router {
    let sources = Arc::new(Sources {
        service,
        broker,
        store,
        access,
        started: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    });
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(sources)
}

async fn scrape(State(sources): State<Arc<Sources>>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
    match sources.access {
        MetricsAccess::Off => return (StatusCode::NOT_FOUND, "metrics are off\n").into_response(),
        MetricsAccess::Local if !peer.is_some_and(|p| p.0.ip().is_loopback()) => {
            return (
                StatusCode::FORBIDDEN,
                "metrics are served to local clients only (set metrics_access = \"open\" to \
                 serve everyone)\n",
            )
                .into_response();
        }
        MetricsAccess::Local | MetricsAccess::Open => {}
    }
    // Lag reads the store and takes progress locks: off the runtime's threads.
    let rendered = tokio::task::spawn_blocking(move || {
        let mut e = Exposition::new();
        e.family(
            "petrel_build_info",
            "Always 1; the version of the running petrel.",
            Kind::Gauge,
        );
        e.sample(&[("version", env!("CARGO_PKG_VERSION"))], 1);
        e.family(
            "petrel_start_time_seconds",
            "When the server started, in seconds since the epoch (counters start at zero then).",
            Kind::Gauge,
        );
        e.sample(&[], sources.started);
        sources.service.write_metrics(&mut e);
        sources.broker.write_metrics(&mut e);
        sources.store.write_metrics(&mut e);
        e.finish()
    })
    .await;
    match rendered {
        Ok(text) => (
            StatusCode::OK,
            [("content-type", petrel_metrics::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("rendering metrics failed: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering metrics failed\n",
            )
                .into_response()
        }
    }
}
