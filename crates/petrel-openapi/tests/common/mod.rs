//! Fixtures: the management router over a fresh catalogue with one account, and a signer that
//! builds requests the way the Alibaba Cloud SDKs do (ACS3-HMAC-SHA256 by default).

#![allow(dead_code, reason = "each test binary uses part of the fixtures")]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use petrel_iam::signature::{HttpRequest, acs3};
use petrel_meta::{Catalog, CatalogOptions, NewAccount};
use petrel_service::{Service, ServiceConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;
use tower::ServiceExt;

pub const HOST: &str = "127.0.0.1:18080";

pub struct Fixture {
    pub router: Router,
    pub service: Arc<Service>,
    pub account: String,
    pub key_id: String,
    pub secret: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path(), CatalogOptions::for_tests()).unwrap();
        let hash = catalog.hash_password("Passw0rd-root").unwrap();
        let (account, key) = catalog
            .write(|tx| {
                tx.create_account(NewAccount {
                    alias: "acme".to_owned(),
                    root_password: hash,
                })
            })
            .unwrap();
        let service = Arc::new(Service::new(
            catalog,
            ServiceConfig {
                region: "cn-hangzhou".to_owned(),
            },
        ));
        Fixture {
            router: petrel_openapi::router(service.clone()),
            service,
            account: account.id,
            key_id: key.id,
            secret: key.secret.expose().to_owned(),
            _dir: dir,
        }
    }

    /// A request signed with the root key.
    pub fn call(&self) -> Call {
        Call::new(&self.key_id, &self.secret)
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let header_request_id = response
            .headers()
            .get("x-acs-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {bytes:?}"));
        Answer {
            status,
            body,
            header_request_id,
        }
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub header_request_id: Option<String>,
}

impl Answer {
    /// `Code` (RPC) or `code` (ROA).
    pub fn code(&self) -> &str {
        self.body["Code"]
            .as_str()
            .or(self.body["code"].as_str())
            .unwrap_or_default()
    }
}

/// An SDK-style request under construction.
#[derive(Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// The wire query (form-encoded, as `requests` sends it).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub key_id: String,
    pub secret: String,
    pub date: OffsetDateTime,
    pub nonce: String,
}

pub fn acs_date(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap()
}

impl Call {
    pub fn new(key_id: &str, secret: &str) -> Call {
        Call {
            method: "POST".to_owned(),
            path: "/".to_owned(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            key_id: key_id.to_owned(),
            secret: secret.to_owned(),
            date: OffsetDateTime::now_utc(),
            nonce: hex::encode(rand_bytes()),
        }
    }

    /// An RPC action (`POST /`, parameters in the query).
    pub fn rpc(mut self, version: &str, action: &str, query: &str) -> Call {
        self.headers.push(("x-acs-version".into(), version.into()));
        self.headers.push(("x-acs-action".into(), action.into()));
        self.query = query.to_owned();
        self
    }

    /// A ROA action with an optional JSON body.
    pub fn roa(mut self, action: &str, method: &str, path: &str, body: Option<&str>) -> Call {
        self.headers
            .push(("x-acs-version".into(), "2022-08-01".into()));
        self.headers.push(("x-acs-action".into(), action.into()));
        self.method = method.to_owned();
        self.path = path.to_owned();
        if let Some(b) = body {
            self.body = b.as_bytes().to_vec();
            self.headers.push((
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            ));
        }
        self
    }

    fn all_headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            ("host".to_owned(), HOST.to_owned()),
            (
                "user-agent".to_owned(),
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2".to_owned(),
            ),
            ("x-acs-date".to_owned(), acs_date(self.date)),
            ("x-acs-signature-nonce".to_owned(), self.nonce.clone()),
            ("accept".to_owned(), "application/json".to_owned()),
            (
                "x-acs-content-sha256".to_owned(),
                hex::encode(Sha256::digest(&self.body)),
            ),
            (
                "x-acs-credentials-provider".to_owned(),
                "static_ak".to_owned(),
            ),
        ];
        h.extend(self.headers.iter().cloned());
        h
    }

    /// The signed request, every header signed as the SDK does.
    pub fn signed(&self) -> Request<Body> {
        let headers = self.all_headers();
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let authorization = self.authorization(&headers, &names);
        self.build(&headers, Some(&authorization))
    }

    pub fn authorization(&self, headers: &[(String, String)], signed: &[&str]) -> String {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        acs3::sign(
            &HttpRequest {
                method: &self.method,
                path: &self.path,
                query: &self.query,
                headers: &pairs,
                body: &self.body,
            },
            &self.key_id,
            &self.secret,
            signed,
        )
        .unwrap()
    }

    pub fn build(
        &self,
        headers: &[(String, String)],
        authorization: Option<&str>,
    ) -> Request<Body> {
        let uri = if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut b = Request::builder().method(self.method.as_str()).uri(uri);
        for (k, v) in headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(a) = authorization {
            b = b.header("authorization", a);
        }
        b.body(Body::from(self.body.clone())).unwrap()
    }

    /// The headers the signature covers, for tests that alter one after signing.
    pub fn headers_for_signing(&self) -> Vec<(String, String)> {
        self.all_headers()
    }
}

fn rand_bytes() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let digest = Sha256::digest(format!("{t}-{n}-{}", std::process::id()));
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}
