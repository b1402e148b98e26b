//! Authentication (MQv2-HMAC-SHA1 with each SDK's quirks) and authorization (petrel-service:
//! `mq:PUB` per message, `mq:SUB` on topic and group, activation) on the gRPC API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

mod common;

use std::time::Duration;

use common::*;
use petrel_meta::AccessKeyStatus;
use petrel_proto::v2;
use tonic::Request;
use v2::telemetry_command::Command;

const OK: i32 = 20000;

fn route_request(topic: &str) -> v2::QueryRouteRequest {
    v2::QueryRouteRequest {
        topic: resource(topic),
        endpoints: None,
    }
}

/// A route request with raw `authorization` and `x-mq-date-time` headers.
fn raw(authorization: Option<&str>, date: &str) -> Request<v2::QueryRouteRequest> {
    let mut r = Request::new(route_request(TOPIC));
    let md = r.metadata_mut();
    md.insert("x-mq-client-id", "raw@1#0".parse().unwrap());
    md.insert("x-mq-date-time", date.parse().unwrap());
    if let Some(a) = authorization {
        md.insert("authorization", a.parse().unwrap());
    }
    r
}

async fn route_status(client: &mut Client, r: Request<v2::QueryRouteRequest>) -> v2::Status {
    client
        .query_route(r)
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap()
}

#[tokio::test]
async fn bad_credentials_are_unauthorized_with_a_reason() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let key = &env.root_key;

    let s = route_status(&mut client, raw(None, DATE)).await;
    assert_eq!(s.code, 40100);
    assert!(s.message.contains("missing credentials"), "{s:?}");

    // Python without an AccessKey: `Credential=` empty, HMAC keyed by "".
    let anonymous = petrel_iam::signature::mqv2::sign("", "", DATE);
    let s = route_status(&mut client, raw(Some(&anonymous), DATE)).await;
    assert_eq!(s.code, 40100);
    assert!(s.message.contains("missing credentials"), "{s:?}");

    let unknown = petrel_iam::signature::mqv2::sign("LTAInope", &key.secret, DATE);
    let s = route_status(&mut client, raw(Some(&unknown), DATE)).await;
    assert_eq!(s.code, 40100);
    assert!(s.message.contains("does not exist"), "{s:?}");

    let wrong = petrel_iam::signature::mqv2::sign(&key.id, "not-the-secret", DATE);
    let s = route_status(&mut client, raw(Some(&wrong), DATE)).await;
    assert_eq!(s.code, 40100);
    assert!(s.message.contains("does not match"), "{s:?}");

    // Signed over another date than the one sent.
    let stale = petrel_iam::signature::mqv2::sign(&key.id, &key.secret, "20250101T000000Z");
    let s = route_status(&mut client, raw(Some(&stale), DATE)).await;
    assert_eq!(s.code, 40100);

    // Every RPC refuses, inside the response: send answers one entry per message.
    let mut r = req(
        v2::SendMessageRequest {
            messages: vec![message(TOPIC, "01A", b"a"), message(TOPIC, "01B", b"b")],
        },
        None,
    );
    r.metadata_mut().remove("authorization");
    let sent = client.send_message(r).await.unwrap().into_inner();
    assert_eq!(sent.status.unwrap().code, 40100);
    assert_eq!(sent.entries.len(), 2);
    assert!(
        sent.entries
            .iter()
            .all(|e| e.status.as_ref().unwrap().code == 40100)
    );
    let (status, _) = receive(
        &mut client,
        &Key {
            id: key.id.clone(),
            secret: "wrong".to_owned(),
        },
        receive_request(
            TOPIC,
            GROUP,
            Duration::from_secs(15),
            Duration::from_secs(5),
        ),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status.code, 40100);
    env.stop().await;
}

#[tokio::test]
async fn each_sdk_signature_shape_is_accepted() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let key = &env.root_key;
    // Python: basic date, lower-case hex.
    let lower = petrel_iam::signature::mqv2::sign(&key.id, &key.secret, DATE);
    assert_eq!(
        route_status(&mut client, raw(Some(&lower), DATE))
            .await
            .code,
        OK
    );
    // Node: upper-case hex.
    let (head, sig) = lower.rsplit_once("Signature=").unwrap();
    let upper = format!("{head}Signature={}", sig.to_uppercase());
    assert_eq!(
        route_status(&mut client, raw(Some(&upper), DATE))
            .await
            .code,
        OK
    );
    // Rust: RFC 3339 with nanoseconds.
    let rfc = "2026-11-29T01:54:33.070724018Z";
    let rust = petrel_iam::signature::mqv2::sign(&key.id, &key.secret, rfc);
    assert_eq!(
        route_status(&mut client, raw(Some(&rust), rfc)).await.code,
        OK
    );
    env.stop().await;
}

#[tokio::test]
async fn a_disabled_key_stops_working_at_once() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let key = env.user_with_key("app", &["AliyunMQPubOnlyAccess"]);
    let ok = client
        .query_route(req(route_request(TOPIC), Some(&key)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status.unwrap().code, OK);
    env.service
        .set_access_key_status(&env.root(), Some("app"), &key.id, AccessKeyStatus::Inactive)
        .unwrap();
    let refused = client
        .query_route(req(route_request(TOPIC), Some(&key)))
        .await
        .unwrap()
        .into_inner();
    let s = refused.status.unwrap();
    assert_eq!(s.code, 40100);
    assert!(s.message.contains("disabled"), "{s:?}");
    env.stop().await;
}

#[tokio::test]
async fn a_pub_only_user_sends_but_cannot_consume() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let key = env.user_with_key("producer", &["AliyunMQPubOnlyAccess"]);
    let r = client
        .query_route(req(route_request(TOPIC), Some(&key)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, OK);
    let sent = send(&mut client, &key, vec![message(TOPIC, "01PUB", b"p")]).await;
    assert_eq!(sent.status.unwrap().code, OK);

    let (status, messages) = receive(
        &mut client,
        &key,
        receive_request(
            TOPIC,
            GROUP,
            Duration::from_secs(15),
            Duration::from_secs(5),
        ),
        Duration::from_secs(8),
    )
    .await;
    assert_eq!(status.code, 40300, "{status:?}");
    assert!(status.message.contains("mq:SUB"), "{status:?}");
    assert!(messages.is_empty());
    let acked = ack(&mut client, &key, TOPIC, GROUP, &[("01PUB", "handle")]).await;
    assert_eq!(acked.entries[0].status.as_ref().unwrap().code, 40300);
    let a = client
        .query_assignment(req(
            v2::QueryAssignmentRequest {
                topic: resource(TOPIC),
                group: resource(GROUP),
                endpoints: Some(endpoints(env.addr)),
            },
            Some(&key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.status.unwrap().code, 40300);

    // A user with no grant at all cannot even look the route up.
    let nobody = env.user_with_key("nobody", &[]);
    let r = client
        .query_route(req(route_request(TOPIC), Some(&nobody)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 40300);
    env.stop().await;
}

#[tokio::test]
async fn every_message_of_a_batch_is_authorized() {
    let env = Env::ready().await;
    env.create_topic(INSTANCE, "t-other");
    let doc = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"mq:PUB","Resource":"acs:mq:*:*:{INSTANCE}%{TOPIC}"}}]}}"#
    );
    env.service
        .create_policy(&env.root(), "PubOrdersOnly", "", &doc)
        .unwrap();
    let key = env.user_with_key("narrow", &["custom:PubOrdersOnly"]);
    let mut client = env.client().await;
    let sent = send(
        &mut client,
        &key,
        vec![
            message(TOPIC, "01ALLOWED", b"a"),
            message("t-other", "01SMUGGLED", b"b"),
        ],
    )
    .await;
    assert_eq!(sent.entries.len(), 2);
    assert_eq!(sent.entries[0].status.as_ref().unwrap().code, OK);
    let denied = sent.entries[1].status.as_ref().unwrap();
    assert_eq!(denied.code, 40300, "{denied:?}");
    assert!(denied.message.contains("t-other"), "{denied:?}");
    assert_eq!(sent.status.unwrap().code, 30000);
    // Nothing reached the forbidden topic.
    let (status, _) = receive(
        &mut client,
        &env.root_key,
        receive_request(
            "t-other",
            GROUP,
            Duration::from_secs(15),
            Duration::from_secs(5),
        ),
        Duration::from_millis(800),
    )
    .await;
    assert_eq!(status.code, 40401);
    env.stop().await;
}

#[tokio::test]
async fn an_account_without_activation_is_told_to_activate() {
    let env = Env::start().await;
    let mut client = env.client().await;
    // Rust SDK shape: no namespace.
    let r = client
        .query_route(req(route_request(TOPIC), Some(&env.root_key)))
        .await
        .unwrap()
        .into_inner();
    let s = r.status.unwrap();
    assert_eq!(s.code, 40300, "{s:?}");
    assert!(s.message.contains("activate"), "{s:?}");
    // With a namespace header (Python, Node).
    let mut r = req(
        v2::SendMessageRequest {
            messages: vec![message(TOPIC, "01NA", b"x")],
        },
        Some(&env.root_key),
    );
    r.metadata_mut()
        .insert("x-mq-namespace", INSTANCE.parse().unwrap());
    let sent = client.send_message(r).await.unwrap().into_inner();
    let s = sent.entries[0].status.clone().unwrap();
    assert_eq!(s.code, 40300, "{s:?}");
    assert!(s.message.contains("activate"), "{s:?}");
    env.stop().await;
}

#[tokio::test]
async fn telemetry_with_bad_credentials_answers_unauthorized() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let bad = Key {
        id: env.root_key.id.clone(),
        secret: "wrong".to_owned(),
    };
    let mut inbound = client
        .telemetry(req(
            tokio_stream::wrappers::ReceiverStream::new(rx),
            Some(&bad),
        ))
        .await
        .unwrap()
        .into_inner();
    tx.send(v2::TelemetryCommand {
        status: None,
        command: Some(Command::Settings(v2::Settings {
            pub_sub: Some(v2::settings::PubSub::Publishing(v2::Publishing::default())),
            ..Default::default()
        })),
    })
    .await
    .unwrap();
    let reply = inbound.message().await.unwrap().unwrap();
    assert_eq!(reply.status.unwrap().code, 40100);
    assert!(reply.command.is_none());
    drop(tx);
    env.stop().await;
}
