//! The web console: server-rendered pages under `/console`, served by `petrel serve` from the
//! binary itself (askama templates compiled in, CSS and JS embedded with `include_str!`).
//!
//! The console is one more front end of `petrel-service`: it signs callers in through the
//! service's login, turns the session into a [`petrel_service::Caller`], and calls the same typed
//! operations as the OpenAPI. It never decides a permission itself; a refusal from the service is
//! shown with its reason.

mod auth;
mod ctx;
mod error;
mod form;
mod grants;
mod mq;
mod policies;
mod ram;
mod session;
pub mod signup;
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
}

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The console's routes, all under `/console`, ready to merge into the HTTP app. Without a broker,
/// sending a test message answers that the broker is unavailable.
pub fn router(service: Arc<Service>, broker: Option<Arc<Broker>>) -> Router {
    let app = Arc::new(App {
        service,
        broker,
        sessions: Sessions::default(),
        throttle: Throttle::default(),
    });
    let routes = Router::new()
        .route("/", get(auth::home))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        .merge(auth::routes())
        .merge(ram::routes())
        .merge(mq::routes())
        .merge(policies::routes());
    // Nesting matches `/console` but not `/console/`, where sign-in lands.
    Router::new()
        .nest(BASE, routes)
        .route("/console/", get(auth::home))
        .with_state(app)
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
