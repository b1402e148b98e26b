//! Fixtures: the console router over a real in-process service and broker, an activated
//! account with instance `shop`, topic `orders` (one queue) and group `GID_billing`, and a
//! browser that signs in and keeps its session cookie and CSRF token.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test fixtures; each test binary uses part of them"
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use petrel_broker::{Broker, BrokerConfig, GroupRef, Store, StoreConfig, TopicRef, TopicSpec};
use petrel_meta::{AuditSource, Catalog, CatalogOptions, NewConsumerGroup, NewInstance, NewTopic};
use petrel_model::MessageType;
use petrel_service::{Caller, Identity, RequestContext, Service, ServiceConfig};
use tower::ServiceExt;

pub struct Env {
    pub router: Router,
    pub service: Arc<Service>,
    pub broker: Arc<Broker>,
    pub account: String,
    pub alias: String,
    pub root_login: String,
    pub root_password: String,
    _dir: tempfile::TempDir,
}

pub fn root(account: &str) -> Caller {
    Caller {
        account_id: account.to_owned(),
        identity: Identity::Root,
        context: RequestContext::new(AuditSource::Internal),
    }
}

pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("meta"), CatalogOptions::for_tests()).unwrap();
    let service = Arc::new(Service::new(
        catalog,
        ServiceConfig {
            region: "cn-hangzhou".to_owned(),
        },
    ));
    let creds = service.bootstrap().unwrap().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("store"), StoreConfig::for_tests()).unwrap());
    let broker = Arc::new(Broker::open(store, BrokerConfig::for_tests()).unwrap());
    let router = petrel_console::router(service.clone(), Some(broker.clone()));
    let account = creds.account_id.clone();
    let r = root(&account);
    service.activate(&r).unwrap();
    service
        .create_instance(
            &r,
            NewInstance {
                id: Some("shop".to_owned()),
                name: "shop".to_owned(),
                resource_group_id: None,
                remark: None,
            },
        )
        .unwrap();
    service
        .create_topic(
            &r,
            "shop",
            NewTopic {
                name: "orders".to_owned(),
                message_type: MessageType::Normal,
                queue_count: Some(1),
                remark: None,
            },
        )
        .unwrap();
    service
        .create_consumer_group(
            &r,
            "shop",
            NewConsumerGroup {
                group_id: "GID_billing".to_owned(),
                ..NewConsumerGroup::default()
            },
        )
        .unwrap();
    Env {
        router,
        service,
        broker,
        alias: creds.login_name.split('@').nth(1).unwrap().to_owned(),
        account,
        root_login: creds.login_name,
        root_password: creds.password,
        _dir: dir,
    }
}

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

impl Env {
    pub fn topic(&self) -> TopicRef {
        TopicRef::new(
            &self.account,
            "shop",
            "orders",
            TopicSpec {
                message_type: MessageType::Normal,
                queue_count: 1,
            },
        )
        .unwrap()
    }

    pub fn group(&self) -> GroupRef {
        GroupRef::new(&self.account, "shop", "GID_billing").unwrap()
    }

    pub async fn sign_in(&self, login: &str, password: &str) -> Browser {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("login_name", login)
            .append_pair("password", password)
            .finish();
        let response = self
            .router
            .clone()
            .oneshot(
                Request::post("/console/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{login} signs in");
        let cookie = response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut browser = Browser {
            cookie,
            csrf: String::new(),
        };
        let (_, page) = self.get(&browser, "/console/users/new").await;
        let marker = r#"name="csrf" value=""#;
        let at = page.find(marker).expect("a form with the csrf token") + marker.len();
        browser.csrf = page[at..].split('"').next().unwrap().to_owned();
        browser
    }

    pub async fn get(&self, b: &Browser, path: &str) -> (StatusCode, String) {
        let response = self
            .router
            .clone()
            .oneshot(
                Request::get(path)
                    .header(header::COOKIE, &b.cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        (response.status(), body_text(response).await)
    }

    pub async fn post(
        &self,
        b: &Browser,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        let response = self
            .router
            .clone()
            .oneshot(
                Request::post(path)
                    .header(header::COOKIE, &b.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form.finish()))
                    .unwrap(),
            )
            .await
            .unwrap();
        (response.status(), body_text(response).await)
    }
}
