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

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Env, env, root};
use petrel_broker::{OutgoingMessage, ReceiveRequest};
use petrel_meta::NewUser;

/// Sends one message and has a consumer forward it to the dead-letter queue; its id.
async fn dead_letter_one(env: &Env) -> String {
    let receipts = env
        .broker
        .send(
            &env.topic(),
            vec![OutgoingMessage::new(
                "01AABBCCDDEEFF00112233445566778899",
                "pay me",
            )],
        )
        .await
        .unwrap();
    let request = ReceiveRequest::new(1, Duration::from_secs(30), Duration::from_secs(1));
    let got = env
        .broker
        .receive(&env.group(), &env.topic(), &request)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    env.broker
        .forward_to_dead_letter_queue(&env.group(), &env.topic(), &got[0].receipt_handle)
        .await
        .unwrap();
    receipts[0].message_id.clone()
}

const GROUP_PAGE: &str = "/console/instances/shop/groups/GID_billing";
const RESEND: &str = "/console/instances/shop/groups/GID_billing/dead-letters/0/resend";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_listed_and_resent_from_the_group_page() {
    let env = env().await;
    let id = dead_letter_one(&env).await;
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
    dead_letter_one(&env).await;
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
        page.contains("mq:QueryDLQMessage"),
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
    assert!(page.contains("mq:ResendDLQMessage"), "{page}");
}
