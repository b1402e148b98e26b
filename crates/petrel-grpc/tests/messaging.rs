//! The RocketMQ v2 API against a real in-process server: routes, telemetry settings, send →
//! receive → ack, redelivery, long polling and the response framing the SDKs rely on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use petrel_proto::v2;
use v2::settings::PubSub;
use v2::telemetry_command::Command;

const OK: i32 = 20000;

#[tokio::test]
async fn route_echoes_endpoints_and_lists_the_topic_type() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let asked = v2::Endpoints {
        scheme: v2::AddressScheme::DomainName as i32,
        addresses: vec![v2::Address {
            host: "mq.example.internal".to_owned(),
            port: 18081,
        }],
    };
    let r = client
        .query_route(req(
            v2::QueryRouteRequest {
                topic: resource(TOPIC),
                endpoints: Some(asked.clone()),
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.as_ref().unwrap().code, OK, "{:?}", r.status);
    assert_eq!(r.message_queues.len(), 4);
    for (i, q) in r.message_queues.iter().enumerate() {
        assert_eq!(q.id, i32::try_from(i).unwrap());
        assert_eq!(q.topic.as_ref().unwrap().name, TOPIC);
        assert_eq!(q.permission, v2::Permission::ReadWrite as i32);
        assert_eq!(q.accept_message_types, vec![v2::MessageType::Normal as i32]);
        let broker = q.broker.as_ref().unwrap();
        assert_eq!(broker.id, 0);
        assert!(!broker.name.is_empty());
        assert_eq!(broker.endpoints.as_ref(), Some(&asked));
    }

    // Without endpoints in the request: the address the client reached.
    let r = client
        .query_route(req(
            v2::QueryRouteRequest {
                topic: resource(TOPIC),
                endpoints: None,
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    let e = r.message_queues[0]
        .broker
        .clone()
        .unwrap()
        .endpoints
        .unwrap();
    assert_eq!(e.addresses[0].port, i32::from(env.addr.port()));

    // Unknown topic, with and without a namespace.
    for ns in ["", INSTANCE] {
        let r = client
            .query_route(req(
                v2::QueryRouteRequest {
                    topic: Some(v2::Resource {
                        resource_namespace: ns.to_owned(),
                        name: "missing".to_owned(),
                    }),
                    endpoints: Some(endpoints(env.addr)),
                },
                Some(&env.root_key),
            ))
            .await
            .unwrap()
            .into_inner();
        let s = r.status.unwrap();
        assert_eq!(s.code, 40402, "{s:?}");
        assert!(s.message.contains("missing"), "{s:?}");
    }
    env.stop().await;
}

#[tokio::test]
async fn telemetry_answers_settings_for_producers_and_consumers() {
    let env = Env::ready().await;
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

    let producer = v2::Settings {
        client_type: Some(v2::ClientType::Producer as i32),
        access_point: Some(endpoints(env.addr)),
        request_timeout: Some(prost_types::Duration {
            seconds: 3,
            nanos: 0,
        }),
        pub_sub: Some(PubSub::Publishing(v2::Publishing {
            topics: vec![resource(TOPIC).unwrap()],
            max_body_size: 0,
            validate_message_type: true,
        })),
        ..Default::default()
    };
    tx.send(v2::TelemetryCommand {
        status: None,
        command: Some(Command::Settings(producer)),
    })
    .await
    .unwrap();
    let reply = inbound.message().await.unwrap().unwrap();
    assert_eq!(reply.status.unwrap().code, OK);
    let Some(Command::Settings(s)) = reply.command else {
        panic!("settings expected")
    };
    assert_eq!(s.client_type, Some(v2::ClientType::Producer as i32));
    assert!(s.access_point.is_some());
    let Some(PubSub::Publishing(p)) = s.pub_sub else {
        panic!("publishing expected")
    };
    assert!(p.max_body_size > 0);
    assert!(p.validate_message_type);
    assert_eq!(p.topics[0].name, TOPIC);
    let backoff = s.backoff_policy.unwrap();
    assert!(backoff.max_attempts > 0);
    assert!(matches!(
        backoff.strategy,
        Some(v2::retry_policy::Strategy::ExponentialBackoff(_))
    ));

    // A push consumer on the same stream (clients re-send settings; each gets an answer).
    let consumer = v2::Settings {
        client_type: Some(v2::ClientType::PushConsumer as i32),
        pub_sub: Some(PubSub::Subscription(v2::Subscription {
            group: resource(GROUP),
            subscriptions: vec![v2::SubscriptionEntry {
                topic: resource(TOPIC),
                expression: Some(v2::FilterExpression {
                    r#type: v2::FilterType::Tag as i32,
                    expression: "*".to_owned(),
                }),
            }],
            ..Default::default()
        })),
        ..Default::default()
    };
    tx.send(v2::TelemetryCommand {
        status: None,
        command: Some(Command::Settings(consumer)),
    })
    .await
    .unwrap();
    let reply = inbound.message().await.unwrap().unwrap();
    assert_eq!(reply.status.unwrap().code, OK);
    let Some(Command::Settings(s)) = reply.command else {
        panic!("settings expected")
    };
    let Some(PubSub::Subscription(sub)) = s.pub_sub else {
        panic!("subscription expected")
    };
    assert_eq!(sub.receive_batch_size, Some(32));
    assert_eq!(sub.long_polling_timeout.unwrap().seconds, 20);
    assert_eq!(sub.fifo, Some(false));
    assert_eq!(sub.group.unwrap().name, GROUP);
    let backoff = s.backoff_policy.unwrap();
    assert_eq!(backoff.max_attempts, 17);
    assert!(backoff.strategy.is_some());

    // Closing our side ends the stream.
    drop(tx);
    assert!(inbound.message().await.unwrap().is_none());
    env.stop().await;
}

#[tokio::test]
async fn send_receive_ack_round_trip() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let body = b"hello petrel";
    let sent = send(
        &mut client,
        &env.root_key,
        vec![message(TOPIC, "01AABBCCDDEEFF0001", body)],
    )
    .await;
    assert_eq!(sent.status.unwrap().code, OK);
    assert_eq!(sent.entries.len(), 1);
    assert_eq!(sent.entries[0].message_id, "01AABBCCDDEEFF0001");
    assert_eq!(sent.entries[0].status.as_ref().unwrap().code, OK);

    let request = receive_request(
        TOPIC,
        GROUP,
        Duration::from_secs(15),
        Duration::from_secs(5),
    );
    let (status, messages) = receive(
        &mut client,
        &env.root_key,
        request.clone(),
        Duration::from_secs(8),
    )
    .await;
    assert_eq!(status.code, OK, "{status:?}");
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.topic.as_ref().unwrap().name, TOPIC);
    assert_eq!(&m.body[..], body);
    assert_eq!(m.user_properties.get("k").map(String::as_str), Some("v"));
    let sp = m.system_properties.as_ref().unwrap();
    assert_eq!(sp.message_id, "01AABBCCDDEEFF0001");
    assert_eq!(sp.message_type, v2::MessageType::Normal as i32);
    let digest = sp.body_digest.as_ref().unwrap();
    assert_eq!(digest.r#type, v2::DigestType::Md5 as i32);
    assert_eq!(digest.checksum, md5_upper(body));
    assert_eq!(digest.checksum, digest.checksum.to_uppercase());
    assert_eq!(sp.body_encoding, v2::Encoding::Identity as i32);
    assert_eq!(sp.delivery_attempt, Some(1));
    assert!(sp.receipt_handle.as_ref().is_some_and(|h| !h.is_empty()));
    assert_eq!(sp.tag.as_deref(), Some("tagA"));
    assert_eq!(sp.keys, vec!["key-1".to_owned()]);
    assert_eq!(sp.born_host, "producer-host");
    assert_eq!(sp.born_timestamp.unwrap().seconds, 1_767_225_600);
    assert!(sp.store_timestamp.is_some());
    assert!(sp.queue_offset.is_some());
    assert!((0..4).contains(&sp.queue_id));

    let handle = sp.receipt_handle.clone().unwrap();
    let acked = ack(
        &mut client,
        &env.root_key,
        TOPIC,
        GROUP,
        &[(&sp.message_id, &handle)],
    )
    .await;
    assert_eq!(acked.status.unwrap().code, OK);
    assert_eq!(acked.entries.len(), 1);
    assert_eq!(acked.entries[0].status.as_ref().unwrap().code, OK);

    // Acked: nothing left; a second ack of the same handle is refused per entry.
    let (status, messages) =
        receive(&mut client, &env.root_key, request, Duration::from_secs(2)).await;
    assert_eq!(status.code, 40401, "{status:?}");
    assert!(messages.is_empty());
    let again = ack(
        &mut client,
        &env.root_key,
        TOPIC,
        GROUP,
        &[(&sp.message_id, &handle)],
    )
    .await;
    assert_eq!(again.entries[0].status.as_ref().unwrap().code, 40013);
    env.stop().await;
}

fn md5_upper(body: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode_upper(md5::Md5::digest(body))
}

#[tokio::test]
async fn unacked_message_is_redelivered_with_the_next_attempt() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    send(
        &mut client,
        &env.root_key,
        vec![message(TOPIC, "01REDELIVER", b"x")],
    )
    .await;
    let request = receive_request(TOPIC, GROUP, Duration::from_secs(1), Duration::from_secs(5));
    let (_, first) = receive(
        &mut client,
        &env.root_key,
        request.clone(),
        Duration::from_secs(8),
    )
    .await;
    assert_eq!(first.len(), 1);
    let first_sp = first[0].system_properties.clone().unwrap();
    assert_eq!(first_sp.delivery_attempt, Some(1));

    // Not acked: the long poll wakes when the invisible time ends.
    let started = Instant::now();
    let (status, second) =
        receive(&mut client, &env.root_key, request, Duration::from_secs(8)).await;
    assert_eq!(status.code, OK, "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let sp = second[0].system_properties.clone().unwrap();
    assert_eq!(sp.message_id, "01REDELIVER");
    assert_eq!(sp.delivery_attempt, Some(2));
    assert_ne!(sp.receipt_handle, first_sp.receipt_handle);

    // The first handle is stale; change-invisible returns a new handle that acks.
    let changed = client
        .change_invisible_duration(req(
            v2::ChangeInvisibleDurationRequest {
                group: resource(GROUP),
                topic: resource(TOPIC),
                receipt_handle: sp.receipt_handle.clone().unwrap(),
                invisible_duration: Some(prost_types::Duration {
                    seconds: 30,
                    nanos: 0,
                }),
                message_id: sp.message_id.clone(),
                lite_topic: None,
                suspend: None,
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.status.unwrap().code, OK);
    assert!(!changed.receipt_handle.is_empty());
    let acked = ack(
        &mut client,
        &env.root_key,
        TOPIC,
        GROUP,
        &[
            (&sp.message_id, first_sp.receipt_handle.as_deref().unwrap()),
            (&sp.message_id, &changed.receipt_handle),
        ],
    )
    .await;
    assert_eq!(acked.entries.len(), 2);
    assert_eq!(acked.entries[0].status.as_ref().unwrap().code, 40013);
    assert_eq!(acked.entries[1].status.as_ref().unwrap().code, OK);
    assert_eq!(acked.status.unwrap().code, 30000);
    env.stop().await;
}

#[tokio::test]
async fn long_poll_answers_before_a_short_deadline() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    // The client asks for 40 s of polling but gives up after 2 s (the Rust SDK's shape).
    let request = receive_request(
        TOPIC,
        GROUP,
        Duration::from_secs(15),
        Duration::from_secs(40),
    );
    let started = Instant::now();
    let (status, messages) =
        receive(&mut client, &env.root_key, request, Duration::from_secs(2)).await;
    let took = started.elapsed();
    assert_eq!(status.code, 40401, "{status:?}");
    assert!(messages.is_empty());
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(took >= Duration::from_millis(1000), "{took:?}");

    // A message arriving during the poll is answered at once.
    let mut sender = env.client().await;
    let key = env.root_key.clone();
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        send(&mut sender, &key, vec![message(TOPIC, "01LATE", b"late")]).await
    });
    let request = receive_request(
        TOPIC,
        GROUP,
        Duration::from_secs(15),
        Duration::from_secs(20),
    );
    let started = Instant::now();
    let (status, messages) =
        receive(&mut client, &env.root_key, request, Duration::from_secs(23)).await;
    assert_eq!(status.code, OK);
    assert_eq!(messages.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(late.await.unwrap().status.unwrap().code, OK);
    env.stop().await;
}

#[tokio::test]
async fn push_consumer_shapes_assignment_heartbeat_and_termination() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let a = client
        .query_assignment(req(
            v2::QueryAssignmentRequest {
                topic: resource(TOPIC),
                group: resource(GROUP),
                endpoints: Some(endpoints(env.addr)),
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.status.unwrap().code, OK);
    assert_eq!(a.assignments.len(), 1);
    let q = a.assignments[0].message_queue.clone().unwrap();
    assert_eq!(q.id, -1);
    assert_eq!(q.permission, v2::Permission::ReadWrite as i32);

    // A push consumer's receive: queue −1, no invisible duration, auto renew.
    send(
        &mut client,
        &env.root_key,
        vec![message(TOPIC, "01PUSH", b"p")],
    )
    .await;
    let mut request = receive_request(
        TOPIC,
        GROUP,
        Duration::from_secs(1),
        Duration::from_secs(20),
    );
    request.message_queue = Some(q);
    request.invisible_duration = None;
    request.auto_renew = true;
    request.batch_size = 32;
    let (status, messages) =
        receive(&mut client, &env.root_key, request, Duration::from_secs(23)).await;
    assert_eq!(status.code, OK);
    let sp = messages[0].system_properties.clone().unwrap();
    assert_eq!(sp.invisible_duration.unwrap().seconds, 60);

    // Unknown group.
    let a = client
        .query_assignment(req(
            v2::QueryAssignmentRequest {
                topic: resource(TOPIC),
                group: resource("GID_missing"),
                endpoints: Some(endpoints(env.addr)),
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.status.unwrap().code, 40403);

    let hb = client
        .heartbeat(req(
            v2::HeartbeatRequest {
                group: resource(GROUP),
                client_type: v2::ClientType::PushConsumer as i32,
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hb.status.unwrap().code, OK);
    let bye = client
        .notify_client_termination(req(
            v2::NotifyClientTerminationRequest {
                group: resource(GROUP),
            },
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bye.status.unwrap().code, OK);

    // A forward naming nothing is a bad request, answered in the body.
    let dlq = client
        .forward_message_to_dead_letter_queue(req(
            v2::ForwardMessageToDeadLetterQueueRequest::default(),
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    let status = dlq.status.unwrap();
    assert_eq!(status.code, 40000, "{status:?}");
    assert!(status.message.contains("consumer group"), "{status:?}");
    env.stop().await;
}

#[tokio::test]
async fn batch_send_answers_one_entry_per_message() {
    let env = Env::ready().await;
    let mut client = env.client().await;
    let sent = send(
        &mut client,
        &env.root_key,
        vec![
            message(TOPIC, "01BATCH1", b"1"),
            message(TOPIC, "01BATCH2", b"2"),
            message("missing", "01BATCH3", b"3"),
        ],
    )
    .await;
    assert_eq!(sent.entries.len(), 3);
    let codes: Vec<i32> = sent
        .entries
        .iter()
        .map(|e| e.status.as_ref().unwrap().code)
        .collect();
    assert_eq!(codes, vec![OK, OK, 40402]);
    assert_eq!(sent.entries[2].message_id, "01BATCH3");
    assert_eq!(sent.status.unwrap().code, 30000);
    env.stop().await;
}
