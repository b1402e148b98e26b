//! RecallMessage on the wire: the send of a pending delay message answers a recall handle, the
//! recall (authorized as `mq:PUB` on the topic) answers the message id and the message is
//! never delivered; a handle naming nothing pending is NOT_FOUND, a caller without publish
//! rights is FORBIDDEN.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use petrel_model::MessageType;
use petrel_proto::v2;

const OK: i32 = 20000;
const NOT_FOUND: i32 = 40400;
const FORBIDDEN: i32 = 40300;
const TOPIC_DELAY: &str = "t-recall";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn delay_message(id: &str, at_ms: i64) -> v2::Message {
    let mut m = message(TOPIC_DELAY, id, id.as_bytes());
    let sp = m.system_properties.as_mut().unwrap();
    sp.message_type = v2::MessageType::Delay as i32;
    sp.delivery_timestamp = Some(prost_types::Timestamp {
        seconds: at_ms.div_euclid(1000),
        nanos: i32::try_from(at_ms.rem_euclid(1000) * 1_000_000).unwrap(),
    });
    m
}

async fn recall(client: &mut Client, key: &Key, handle: &str) -> v2::RecallMessageResponse {
    client
        .recall_message(req(
            v2::RecallMessageRequest {
                topic: resource(TOPIC_DELAY),
                recall_handle: handle.to_owned(),
            },
            Some(key),
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_recalled_delay_message_is_never_delivered_and_a_second_recall_is_not_found() {
    let env = Env::ready().await;
    env.create_typed_topic(INSTANCE, TOPIC_DELAY, MessageType::Delay, 2);
    let mut client = env.client().await;
    let at = now_ms() + 1500;
    let r = send(
        &mut client,
        &env.root_key,
        vec![delay_message("01KEEP", at), delay_message("01GONE", at)],
    )
    .await;
    assert_eq!(r.status.unwrap().code, OK);
    let handle = r.entries[1].recall_handle.clone();
    assert!(!handle.is_empty(), "a pending delay message has a handle");

    // Publish rights are needed: a subscriber cannot recall.
    let reader = env.user_with_key("reader", &["AliyunMQSubOnlyAccess"]);
    let refused = recall(&mut client, &reader, &handle).await;
    assert_eq!(refused.status.unwrap().code, FORBIDDEN);

    let ok = recall(&mut client, &env.root_key, &handle).await;
    assert_eq!(ok.status.unwrap().code, OK);
    assert_eq!(ok.message_id, "01GONE");
    let again = recall(&mut client, &env.root_key, &handle).await;
    let s = again.status.unwrap();
    assert_eq!(s.code, NOT_FOUND, "{s:?}");
    assert!(s.message.contains("recall handle"), "{s:?}");

    let (status, got) = receive(
        &mut client,
        &env.root_key,
        receive_request(
            TOPIC_DELAY,
            GROUP,
            Duration::from_secs(30),
            Duration::from_secs(4),
        ),
        Duration::from_secs(6),
    )
    .await;
    assert_eq!(status.code, OK);
    let ids: Vec<&str> = got
        .iter()
        .map(|m| m.system_properties.as_ref().unwrap().message_id.as_str())
        .collect();
    assert_eq!(ids, ["01KEEP"]);
    // Delivered already: nothing to recall.
    let late = recall(&mut client, &env.root_key, &r.entries[0].recall_handle).await;
    assert_eq!(late.status.unwrap().code, NOT_FOUND);
    env.stop().await;
}
