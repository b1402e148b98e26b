//! The consumer group page against a real in-process service and broker: a message a consumer
//! forwarded to the dead-letter queue is listed with its reason, re-sent from the page (CSRF
//! checked), and delivered to the group again; a RAM user without the dead-letter actions sees
//! the service's refusal instead of the list and cannot re-send.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use petrel_broker::{
    Broker, BrokerConfig, GroupRef, OutgoingMessage, ReceiveRequest, Store, StoreConfig, TopicRef,
    TopicSpec,
};
use petrel_meta::{
    AuditSource, Catalog, CatalogOptions, NewConsumerGroup, NewInstance, NewTopic, NewUser,
};
use petrel_model::MessageType;
use petrel_service::{Caller, Identity, RequestContext, Service, ServiceConfig};
use tower::ServiceExt;

struct Env {
    router: Router,
    service: Arc<Service>,
    broker: Arc<Broker>,
    account: String,
    alias: String,
    root_login: String,
    root_password: String,
    _dir: tempfile::TempDir,
}

fn root(account: &str) -> Caller {
    Caller {
        account_id: account.to_owned(),
        identity: Identity::Root,
        context: RequestContext::new(AuditSource::Internal),
    }
}

async fn env() -> Env {
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
struct Browser {
    cookie: String,
    csrf: String,
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

impl Env {
    fn topic(&self) -> TopicRef {
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

    fn group(&self) -> GroupRef {
        GroupRef::new(&self.account, "shop", "GID_billing").unwrap()
    }

    async fn sign_in(&self, login: &str, password: &str) -> Browser {
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

    async fn get(&self, b: &Browser, path: &str) -> (StatusCode, String) {
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

    async fn post(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
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

    /// Sends one message and has a consumer forward it to the dead-letter queue; its id.
    async fn dead_letter_one(&self) -> String {
        let receipts = self
            .broker
            .send(
                &self.topic(),
                vec![OutgoingMessage::new(
                    "01AABBCCDDEEFF00112233445566778899",
                    "pay me",
                )],
            )
            .await
            .unwrap();
        let request = ReceiveRequest::new(1, Duration::from_secs(30), Duration::from_secs(1));
        let got = self
            .broker
            .receive(&self.group(), &self.topic(), &request)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        self.broker
            .forward_to_dead_letter_queue(&self.group(), &self.topic(), &got[0].receipt_handle)
            .await
            .unwrap();
        receipts[0].message_id.clone()
    }
}

const GROUP_PAGE: &str = "/console/instances/shop/groups/GID_billing";
const RESEND: &str = "/console/instances/shop/groups/GID_billing/dead-letters/0/resend";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_listed_and_resent_from_the_group_page() {
    let env = env().await;
    let id = env.dead_letter_one().await;
    let root = env.sign_in(&env.root_login, &env.root_password).await;

    let (status, page) = env.get(&root, GROUP_PAGE).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!(r#"data-letter="{id}""#)), "{page}");
    assert!(page.contains("FORWARDED"), "{page}");
    assert!(page.contains(r#"data-testid="dlq-total">(1)"#), "{page}");
    assert!(page.contains(RESEND), "a re-send button: {page}");

    // Without the session's CSRF token nothing is re-sent.
    let (status, _) = env.post(&root, RESEND, &[("topic", "orders")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, page) = env
        .post(&root, RESEND, &[("csrf", &root.csrf), ("topic", "orders")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Dead letter 0 re-sent: GID_billing will receive it again"),
        "{page}"
    );
    assert!(page.contains("Re-sent"), "{page}");
    assert!(!page.contains(RESEND), "no second re-send: {page}");

    let request = ReceiveRequest::new(1, Duration::from_secs(30), Duration::from_secs(2));
    let again = env
        .broker
        .receive(&env.group(), &env.topic(), &request)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "the group receives the message again");
    assert_eq!(again[0].message.message_id, id);
    assert_eq!(again[0].delivery_attempt, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_the_dead_letter_actions_sees_the_refusal_and_cannot_resend() {
    let env = env().await;
    env.dead_letter_one().await;
    let r = root(&env.account);
    env.service
        .create_user(
            &r,
            NewUser {
                name: "viewer".to_owned(),
                ..NewUser::default()
            },
        )
        .unwrap();
    env.service
        .create_login_profile(&r, "viewer", "Viewer-Passw0rd!", false)
        .unwrap();
    env.service
        .create_policy(
            &r,
            "group-viewer",
            "",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["rocketmq:GetConsumerGroup","rocketmq:ListTopics","rocketmq:GetConsumerGroupLag","ram:ListUsers"],"Resource":"*"}]}"#,
        )
        .unwrap();
    env.service
        .attach(
            &r,
            &petrel_service::AttachRequest {
                principals: vec![petrel_meta::Principal::User("viewer".to_owned())],
                policies: vec![petrel_meta::PolicyRef::custom("group-viewer")],
                scope: petrel_meta::Scope::Account,
                confirm_high_risk: false,
            },
        )
        .unwrap();
    let viewer = env
        .sign_in(&format!("viewer@{}", env.alias), "Viewer-Passw0rd!")
        .await;

    let (status, page) = env.get(&viewer, GROUP_PAGE).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("rocketmq:ListDeadLetterMessages"),
        "the refusal is shown where the list would be: {page}"
    );
    assert!(!page.contains("data-letter="), "{page}");
    assert!(
        page.contains(r#"data-testid="ready">0<"#),
        "the dead-lettered message no longer waits: {page}"
    );

    let (status, page) = env
        .post(
            &viewer,
            RESEND,
            &[("csrf", &viewer.csrf), ("topic", "orders")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("rocketmq:ResendDeadLetterMessage"), "{page}");
}
