//! Who is calling and from where: the authenticated principal plus the request context that
//! policy conditions and the audit log read.

use std::net::IpAddr;

use petrel_meta::{AuditPrincipal, AuditSource, PrincipalKind};

/// The authenticated identity inside its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The account root: may do anything within its own account.
    Root,
    /// A RAM user, by name.
    User(String),
}

/// Facts about the request that conditions and the audit log use.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Correlates log lines, audit records and the answer's `RequestId`.
    pub request_id: String,
    /// Which front end the request came through.
    pub source: AuditSource,
    /// The peer address, for `acs:SourceIp`.
    pub source_ip: Option<IpAddr>,
    /// Whether the request arrived over TLS, for `acs:SecureTransport`.
    pub secure_transport: bool,
    /// Whether the session signed in with MFA, for `acs:MFAPresent`.
    pub mfa_present: bool,
}

impl RequestContext {
    /// A context for `source` with a fresh request id and no network facts.
    pub fn new(source: AuditSource) -> Self {
        RequestContext {
            request_id: new_request_id(),
            source,
            source_ip: None,
            secure_transport: false,
            mfa_present: false,
        }
    }
}

/// An authenticated caller: an identity in one account, with the context of this request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's account; nothing outside it is ever reachable.
    pub account_id: String,
    /// Root or a RAM user.
    pub identity: Identity,
    /// Request facts.
    pub context: RequestContext,
}

impl Caller {
    /// The caller as the audit log records it.
    pub fn audit_principal(&self) -> AuditPrincipal {
        match &self.identity {
            Identity::Root => AuditPrincipal {
                kind: PrincipalKind::Root,
                display: "root".to_owned(),
            },
            Identity::User(name) => AuditPrincipal {
                kind: PrincipalKind::User,
                display: name.clone(),
            },
        }
    }
}

/// A request id in the Alibaba shape (uppercase UUID-like hex groups).
pub fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex = hex::encode_upper(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
