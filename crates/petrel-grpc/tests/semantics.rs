//! Message semantics on the wire: retries with `delivery_attempt` and the dead-letter queue,
//! ForwardMessageToDeadLetterQueue, the group's real retry policy in the settings reply, delay
//! messages and ILLEGAL_DELIVERY_TIME, SQL filters and ILLEGAL_FILTER_EXPRESSION, and FIFO
//! order per message group.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use petrel_meta::{DeliveryOrder, RetryBackoff, RetryPolicy};
use petrel_model::MessageType;
use petrel_proto::v2;
use v2::retry_policy::Strategy;
use v2::settings::PubSub;
use v2::telemetry_command::Command;

const OK: i32 = 20000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn group_ref(env: &Env, group: &str) -> petrel_broker::GroupRef {
    petrel_broker::GroupRef::new(&env.account, INSTANCE, group).unwrap()
}

fn attempt(m: &v2::Message) -> i32 {
    m.system_properties
        .as_ref()
        .unwrap()
        .delivery_attempt
        .unwrap()
}

fn handle(m: &v2::Message) -> String {
    m.system_properties
        .as_ref()
        .unwrap()
        .receipt_handle
        .clone()
        .unwrap()
}

fn id(m: &v2::Message) -> String {
    m.system_properties.as_ref().unwrap().message_id.clone()
}

async fn change_invisible(
    client: &mut Client,
    key: &Key,
    topic: &str,
    group: &str,
    m: &v2::Message,
    d: Duration,
) -> v2::ChangeInvisibleDurationResponse {
    client
        .change_invisible_duration(req(
            v2::ChangeInvisibleDurationRequest {
                group: resource(group),
                topic: resource(topic),
                receipt_handle: handle(m),
                invisible_duration: Some(prost_types::Duration {
                    seconds: i64::try_from(d.as_secs()).unwrap(),
                    nanos: 0,
                }),
                message_id: id(m),
                lite_topic: None,
                suspend: None,
            },
            Some(key),
        ))
        .await
        .unwrap()
        .into_inner()
}

/// A push consumer's receive: no invisible duration, auto renew, queue `queue`.
fn push_request(topic: &str, group: &str, queue: i32) -> v2::ReceiveMessageRequest {
    let mut r = receive_request(topic, group, Duration::from_secs(1), Duration::from_secs(5));
    r.invisible_duration = None;
    r.auto_renew = true;
    if let Some(q) = r.message_queue.as_mut() {
        q.id = queue;
    }
    r
}

#[tokio::test]
async fn delivery_attempts_count_up_and_the_last_failure_goes_to_the_dead_letter_queue() {
    let env = Env::ready().await;
    env.create_group_with(
        INSTANCE,
        "GID_retry",
        DeliveryOrder::Concurrently,
        RetryPolicy {
            backoff: RetryBackoff::Fixed {
                interval_seconds: 1,
            },
            max_retry_times: 2,
            dead_letter_target_topic: None,
        },
    );
    let mut client = env.client().await;
    send(
        &mut client,
        &env.root_key,
        vec![message(TOPIC, "01POISON", b"x")],
    )
    .await;

    // A push consumer nacks (ChangeInvisibleDuration 0) each attempt: 3 attempts in all.
    for expected in 1..=3 {
        let (status, got) = receive(
            &mut client,
            &env.root_key,
            push_request(TOPIC, "GID_retry", -1),
            Duration::from_secs(8),
        )
        .await;
        assert_eq!(status.code, OK, "attempt {expected}: {status:?}");
        assert_eq!(got.len(), 1);
        assert_eq!(attempt(&got[0]), expected);
        let r = change_invisible(
            &mut client,
            &env.root_key,
            TOPIC,
            "GID_retry",
            &got[0],
            Duration::ZERO,
        )
        .await;
        assert_eq!(r.status.unwrap().code, OK);
    }
    let (status, got) = receive(
        &mut client,
        &env.root_key,
        push_request(TOPIC, "GID_retry", -1),
        Duration::from_millis(1500),
    )
    .await;
    assert_eq!(status.code, 40401, "no fourth delivery: {status:?}");
    assert!(got.is_empty());
    let page = env
        .broker
        .dead_letters(&group_ref(&env, "GID_retry"), None, 10)
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].message.message_id, "01POISON");
    assert_eq!(page.items[0].attempts, 3);
    env.stop().await;
}

#[tokio::test]
async fn a_simple_consumers_unacked_message_is_dead_lettered_after_max_attempts() {
    let env = Env::ready().await;
    env.create_group_with(
        INSTANCE,
        "GID_simple",
        DeliveryOrder::Concurrently,
        RetryPolicy {
            backoff: RetryBackoff::Default,
            max_retry_times: 1,
            dead_letter_target_topic: None,
        },
    );
    let mut client = env.client().await;
    send(
        &mut client,
        &env.root_key,
        vec![message(TOPIC, "01SIMPLE", b"x")],
    )
    .await;
    // The invisible duration is a simple consumer's retry interval: no backoff on top.
    let r = receive_request(
        TOPIC,
        "GID_simple",
        Duration::from_millis(300),
        Duration::from_secs(5),
    );
    let started = std::time::Instant::now();
    for expected in 1..=2 {
        let (_, got) = receive(
            &mut client,
            &env.root_key,
            r.clone(),
            Duration::from_secs(8),
        )
        .await;
        assert_eq!(attempt(&got[0]), expected);
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    let (status, _) = receive(&mut client, &env.root_key, r, Duration::from_millis(1200)).await;
    assert_eq!(status.code, 40401);
    assert_eq!(
        env.broker
            .dead_letters(&group_ref(&env, "GID_simple"), None, 10)
            .unwrap()
            .total,
        1
    );
    env.stop().await;
}

#[tokio::test]
async fn forward_to_dead_letter_queue_moves_the_delivery_and_is_idempotent() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    send(
        &mut client,
        &env.root_key,
        vec![message(TOPIC, "01FWD", b"x")],
    )
    .await;
    let (_, got) = receive(
        &mut client,
        &env.root_key,
        push_request(TOPIC, GROUP, -1),
        Duration::from_secs(8),
    )
    .await;
    let forward = v2::ForwardMessageToDeadLetterQueueRequest {
        group: resource(GROUP),
        topic: resource(TOPIC),
        receipt_handle: handle(&got[0]),
        message_id: id(&got[0]),
        delivery_attempt: 1,
        max_delivery_attempts: 1,
        lite_topic: None,
    };
    for _ in 0..2 {
        let r = client
            .forward_message_to_dead_letter_queue(req(forward.clone(), Some(&env.root_key)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status.unwrap().code, OK);
    }
    let page = env
        .broker
        .dead_letters(&group_ref(&env, GROUP), None, 10)
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        page.items[0].reason,
        petrel_broker::DeadLetterReason::Forwarded
    );
    // The handle is spent; a made-up one is refused; unsigned calls are unauthorized.
    let acked = ack(
        &mut client,
        &env.root_key,
        TOPIC,
        GROUP,
        &[("01FWD", &handle(&got[0]))],
    )
    .await;
    assert_eq!(acked.entries[0].status.as_ref().unwrap().code, 40013);
    let mut bad = forward.clone();
    bad.receipt_handle = "nope".into();
    let r = client
        .forward_message_to_dead_letter_queue(req(bad, Some(&env.root_key)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 40013);
    let r = client
        .forward_message_to_dead_letter_queue(req(forward, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 40100);
    env.stop().await;
}

async fn consumer_settings(env: &Env, group: &str, language: v2::Language) -> v2::Settings {
    let mut client = env.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut inbound = client
        .telemetry(req(
            tokio_stream::wrappers::ReceiverStream::new(rx),
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    let settings = v2::Settings {
        client_type: Some(v2::ClientType::PushConsumer as i32),
        user_agent: Some(v2::Ua {
            language: language as i32,
            ..Default::default()
        }),
        pub_sub: Some(PubSub::Subscription(v2::Subscription {
            group: resource(group),
            subscriptions: vec![v2::SubscriptionEntry {
                topic: resource(TOPIC),
                expression: None,
            }],
            ..Default::default()
        })),
        ..Default::default()
    };
    tx.send(v2::TelemetryCommand {
        status: None,
        command: Some(Command::Settings(settings)),
    })
    .await
    .unwrap();
    let reply = inbound.message().await.unwrap().unwrap();
    let Some(Command::Settings(s)) = reply.command else {
        panic!("settings expected")
    };
    s
}

#[tokio::test]
async fn the_settings_reply_carries_the_groups_real_retry_policy() {
    let env = Env::ready().await;
    env.create_group_with(
        INSTANCE,
        "GID_fixed",
        DeliveryOrder::Orderly,
        RetryPolicy {
            backoff: RetryBackoff::Fixed {
                interval_seconds: 7,
            },
            max_retry_times: 4,
            dead_letter_target_topic: None,
        },
    );
    let s = consumer_settings(&env, "GID_fixed", v2::Language::Python).await;
    let b = s.backoff_policy.unwrap();
    assert_eq!(b.max_attempts, 5);
    let Some(Strategy::ExponentialBackoff(e)) = b.strategy else {
        panic!("a fixed interval is an exponential backoff with multiplier 1")
    };
    assert_eq!((e.initial.unwrap().seconds, e.max.unwrap().seconds), (7, 7));
    assert_eq!(e.multiplier, 1.0);
    let Some(PubSub::Subscription(sub)) = s.pub_sub else {
        panic!("subscription expected")
    };
    assert_eq!(sub.fifo, Some(true));

    // The default policy: Apache's table for Python, its exponential span for Node.
    let s = consumer_settings(&env, GROUP, v2::Language::Python).await;
    let b = s.backoff_policy.unwrap();
    assert_eq!(b.max_attempts, 17);
    assert!(matches!(b.strategy, Some(Strategy::CustomizedBackoff(c)) if c.next.len() == 18));
    let s = consumer_settings(&env, GROUP, v2::Language::NodeJs).await;
    let b = s.backoff_policy.unwrap();
    assert_eq!(b.max_attempts, 17);
    assert!(matches!(b.strategy, Some(Strategy::ExponentialBackoff(_))));
    env.stop().await;
}

fn delay_message(topic: &str, id: &str, at_ms: i64) -> v2::Message {
    let mut m = message(topic, id, b"later");
    let sp = m.system_properties.as_mut().unwrap();
    sp.message_type = v2::MessageType::Delay as i32;
    sp.delivery_timestamp = Some(prost_types::Timestamp {
        seconds: at_ms.div_euclid(1000),
        nanos: i32::try_from(at_ms.rem_euclid(1000) * 1_000_000).unwrap(),
    });
    m
}

#[tokio::test]
async fn delay_messages_arrive_at_their_time_and_too_far_is_illegal_delivery_time() {
    let env = Env::ready().await;
    env.create_typed_topic(INSTANCE, "t-delay", MessageType::Delay, 2);
    let mut client = env.client().await;
    let at = now_ms() + 1500;
    let r = send(
        &mut client,
        &env.root_key,
        vec![delay_message("t-delay", "01DELAY", at)],
    )
    .await;
    assert_eq!(r.status.unwrap().code, OK);
    let (status, got) = receive(
        &mut client,
        &env.root_key,
        receive_request(
            "t-delay",
            GROUP,
            Duration::from_secs(30),
            Duration::from_secs(10),
        ),
        Duration::from_secs(12),
    )
    .await;
    let received = now_ms();
    assert_eq!(status.code, OK);
    assert_eq!(id(&got[0]), "01DELAY");
    assert!(received >= at, "{} ms early", at - received);
    assert!(received < at + 1000, "{} ms late", received - at);
    let sp = got[0].system_properties.as_ref().unwrap();
    assert_eq!(sp.message_type, v2::MessageType::Delay as i32);
    let echoed = sp.delivery_timestamp.unwrap();
    assert_eq!(
        echoed.seconds * 1000 + i64::from(echoed.nanos / 1_000_000),
        at
    );

    // Python passes epoch seconds; a user passing milliseconds asks for year 50000.
    let mut far = delay_message("t-delay", "01FAR", 0);
    far.system_properties.as_mut().unwrap().delivery_timestamp = Some(prost_types::Timestamp {
        seconds: now_ms(),
        nanos: 0,
    });
    let r = send(&mut client, &env.root_key, vec![far]).await;
    let s = r.entries[0].status.clone().unwrap();
    assert_eq!(s.code, 40012, "{s:?}");
    assert!(s.message.contains("ahead"), "{s:?}");
    assert_eq!(r.status.unwrap().code, 40012);
    let r = send(
        &mut client,
        &env.root_key,
        vec![delay_message(
            "t-delay",
            "01DAY",
            now_ms() + 25 * 3600 * 1000,
        )],
    )
    .await;
    assert_eq!(r.entries[0].status.clone().unwrap().code, 40012);
    env.stop().await;
}

#[tokio::test]
async fn sql_filters_select_and_malformed_ones_are_illegal_filter_expression() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let mut a = message(TOPIC, "01SQLA", b"a");
    a.user_properties = [("region".to_owned(), "eu".to_owned())]
        .into_iter()
        .collect();
    let mut b = message(TOPIC, "01SQLB", b"b");
    b.user_properties = [("region".to_owned(), "us".to_owned())]
        .into_iter()
        .collect();
    send(&mut client, &env.root_key, vec![a, b]).await;
    let sql = |expr: &str| {
        let mut r = receive_request(
            TOPIC,
            GROUP,
            Duration::from_secs(30),
            Duration::from_secs(5),
        );
        r.filter_expression = Some(v2::FilterExpression {
            r#type: v2::FilterType::Sql as i32,
            expression: expr.to_owned(),
        });
        r
    };
    let (status, got) = receive(
        &mut client,
        &env.root_key,
        sql("region = 'eu' AND TAGS IS NOT NULL"),
        Duration::from_secs(8),
    )
    .await;
    assert_eq!(status.code, OK, "{status:?}");
    assert_eq!(got.len(), 1);
    assert_eq!(id(&got[0]), "01SQLA");
    let (status, got) = receive(
        &mut client,
        &env.root_key,
        sql("region = 'eu' AND"),
        Duration::from_secs(8),
    )
    .await;
    assert_eq!(status.code, 40010, "{status:?}");
    assert!(status.message.contains("region = 'eu' AND"), "{status:?}");
    assert!(status.message.contains("expected"), "{status:?}");
    assert!(got.is_empty());
    env.stop().await;
}

fn fifo_message(topic: &str, id: &str, group: &str, client_queue: i32) -> v2::Message {
    let mut m = message(topic, id, id.as_bytes());
    let sp = m.system_properties.as_mut().unwrap();
    sp.message_type = v2::MessageType::Fifo as i32;
    sp.message_group = Some(group.to_owned());
    // What each SDK picked by its own hash: the server ignores it.
    sp.queue_id = client_queue;
    m
}

#[tokio::test]
async fn fifo_messages_of_a_group_come_in_order_one_at_a_time() {
    let env = Env::ready().await;
    env.create_typed_topic(INSTANCE, "t-fifo", MessageType::Fifo, 4);
    env.create_group_with(
        INSTANCE,
        "GID_fifo",
        DeliveryOrder::Orderly,
        RetryPolicy::default(),
    );
    let mut client = env.client().await;
    // Two SDKs sending one message group to different queues.
    let batch: Vec<_> = (0..4)
        .flat_map(|i| {
            [
                fifo_message("t-fifo", &format!("A{i}"), "order-A", i % 4),
                fifo_message("t-fifo", &format!("B{i}"), "order-B", (i + 1) % 4),
            ]
        })
        .collect();
    for m in batch {
        let r = send(&mut client, &env.root_key, vec![m]).await;
        assert_eq!(r.status.unwrap().code, OK);
    }
    // Orderly push consumers are assigned every queue.
    let assignment = client
        .query_assignment(req(
            v2::QueryAssignmentRequest {
                topic: resource("t-fifo"),
                group: resource("GID_fifo"),
                endpoints: Some(endpoints(env.addr)),
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<i32> = assignment
        .assignments
        .iter()
        .map(|a| a.message_queue.as_ref().unwrap().id)
        .collect();
    assert_eq!(ids, vec![0, 1, 2, 3]);

    let simple = receive_request(
        "t-fifo",
        "GID_fifo",
        Duration::from_secs(30),
        Duration::from_secs(5),
    );
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    for _ in 0..4 {
        let (status, got) = receive(
            &mut client,
            &env.root_key,
            simple.clone(),
            Duration::from_secs(8),
        )
        .await;
        assert_eq!(status.code, OK, "{status:?}");
        // One head per message group, never two of the same group.
        assert_eq!(got.len(), 2, "{:?}", got.iter().map(id).collect::<Vec<_>>());
        let mut handles = Vec::new();
        for m in &got {
            let sp = m.system_properties.as_ref().unwrap();
            match sp.message_group.as_deref() {
                Some("order-A") => seen_a.push(id(m)),
                Some("order-B") => seen_b.push(id(m)),
                other => panic!("unexpected group {other:?}"),
            }
            handles.push((sp.message_id.clone(), handle(m)));
        }
        let refs: Vec<(&str, &str)> = handles
            .iter()
            .map(|(i, h)| (i.as_str(), h.as_str()))
            .collect();
        let acked = ack(&mut client, &env.root_key, "t-fifo", "GID_fifo", &refs).await;
        assert_eq!(acked.status.unwrap().code, OK);
    }
    assert_eq!(seen_a, vec!["A0", "A1", "A2", "A3"]);
    assert_eq!(seen_b, vec!["B0", "B1", "B2", "B3"]);
    env.stop().await;
}
