//! The web console: server-rendered pages under `/console`, served by `petrel serve` from the
//! binary itself (askama templates compiled in, CSS and JS embedded with `include_str!`).
//!
//! The console is one more front end of `petrel-service`: it signs callers in through the
//! service's login, turns the session into a [`petrel_service::Caller`], and calls the same typed
//! operations as the OpenAPI. It never decides a permission itself; a refusal from the service is
//! shown with its reason.

mod audit;
mod auth;
mod chart;
mod ctx;
mod dashboard;
mod error;
mod form;
mod grants;
mod groups;
mod i18n;
mod lag;
mod messages;
mod mq;
mod mqshared;
mod policies;
mod policy_detail;
mod ram;
mod resource_groups;
mod sampler;
mod session;
pub mod signup;
mod usergroups;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use petrel_broker::Broker;
use petrel_service::Service;

pub use error::ConsoleError;
pub use session::{Sessions, Throttle};

/// Where the console is mounted.
pub const BASE: &str = "/console";

/// What every console handler shares.
#[derive(Debug)]
pub struct App {
    service: Arc<Service>,
    broker: Option<Arc<Broker>>,
    sessions: Sessions,
    throttle: Throttle,
    sampler: Arc<sampler::Sampler>,
    /// The RocketMQ gRPC listener, when the console runs inside `petrel serve`.
    grpc_addr: Option<std::net::SocketAddr>,
}

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The console's routes, all under `/console`, ready to merge into the HTTP app. Without a broker,
/// sending a test message answers that the broker is unavailable. With one, and inside a Tokio
/// runtime, a background task samples the dashboards' history until the router is dropped.
pub fn router(service: Arc<Service>, broker: Option<Arc<Broker>>) -> Router {
    router_with_grpc(service, broker, None)
}

/// As [`router`], naming the address of the server's RocketMQ gRPC listener, which instance
/// pages show as the endpoint clients connect to.
pub fn router_with_grpc(
    service: Arc<Service>,
    broker: Option<Arc<Broker>>,
    grpc_addr: Option<std::net::SocketAddr>,
) -> Router {
    let sampler = Arc::new(sampler::Sampler::default());
    if let Some(b) = &broker {
        sampler::spawn(
            Arc::downgrade(&sampler),
            Arc::downgrade(&service),
            Arc::downgrade(b),
        );
    }
    let app = Arc::new(App {
        service,
        broker,
        sessions: Sessions::default(),
        throttle: Throttle::default(),
        sampler,
        grpc_addr,
    });
    let routes = Router::new()
        .route("/", get(auth::home))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        .merge(auth::routes())
        .merge(ram::routes())
        .merge(mq::routes())
        .merge(messages::routes())
        .merge(dashboard::routes())
        .merge(groups::routes())
        .merge(policies::routes())
        .merge(audit::routes())
        .merge(policy_detail::routes())
        .merge(resource_groups::routes())
        .merge(usergroups::routes());
    // Nesting matches `/console` but not `/console/`, where sign-in lands.
    Router::new()
        .nest(BASE, routes)
        .route("/console/", get(auth::home))
        .with_state(app)
        .layer(axum::middleware::from_fn(error::localize))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        JS,
    )
}
