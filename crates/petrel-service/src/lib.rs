//! The service layer: every operation of every front end (gRPC, OpenAPI, console, CLI) is a method
//! here, and each runs the one pipeline — authenticate → authorize → act → audit.
//!
//! Front ends authenticate the caller through [`Service`] (AccessKey signatures, passwords), then
//! call typed operations with the resulting [`Caller`]. An operation authorizes inside the same
//! catalogue transaction that performs it, and appends the audit record there too, so "changed
//! but not audited" cannot happen; a refusal is audited as well. No front end decides a
//! permission itself.

mod authn_cache;
mod authorize;
mod bootstrap;
mod caller;
mod error;
mod metrics;
mod operator;
mod ops;
mod pipeline;
mod request_id;
mod resource;

pub use authorize::Denial;
pub use bootstrap::{INITIAL_CREDENTIALS_FILE, InitialCredentials};
pub use caller::{Caller, Identity, RequestContext, new_request_id};
pub use error::ServiceError;
pub use metrics::{RequestOutcome, front_end};
pub use operator::{
    OPERATOR_TOKEN_FILE, OperatorAuthError, check_operator_token, issue_operator_token,
};
pub use ops::audit::MAX_AUDIT_PAGE;
pub use ops::data_plane::DataTopic;
pub use ops::grants::{AttachRequest, Grant, PrincipalRef};
pub use ops::messages::MessageQueryTarget;
pub use ops::policies::{PolicyInfo, PolicyKind};
pub use ops::query::{Simulation, WhoCan};
pub use ops::ram_details::{CallerIdentity, LoginProfileChange};
pub use ops::tenants::AccountSummary;
pub use request_id::request_id_from;
pub use resource::{Resolved, Resource};

use petrel_meta::Catalog;

use authorize::PolicyCache;

/// The terms-of-service version accepted on activation.
pub const TERMS_VERSION: &str = "2026-01";

/// Settings of the service layer.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The region spelled in ARNs and endpoints.
    pub region: String,
}

/// The service layer over the catalogue.
#[derive(Debug)]
pub struct Service {
    catalog: Catalog,
    config: ServiceConfig,
    cache: PolicyCache,
    authn_cache: authn_cache::AuthnCache,
    /// Boxed: the counters' maps would otherwise make every `Service` holder large.
    metrics: Box<metrics::ServiceMetrics>,
}

impl Service {
    /// A service over `catalog`.
    pub fn new(catalog: Catalog, config: ServiceConfig) -> Self {
        Service {
            catalog,
            config,
            cache: PolicyCache::default(),
            authn_cache: authn_cache::AuthnCache::default(),
            metrics: Box::default(),
        }
    }

    /// The catalogue (for wiring and tests; operations go through the methods).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The configured region.
    pub fn region(&self) -> &str {
        &self.config.region
    }
}
