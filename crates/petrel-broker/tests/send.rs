//! Send: round trip of every field, batches, deduplication of retried ids, type checks, limits
//! and queue choice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use common::{Env, drain, group, ids, msg, req, send_n, topic};
use petrel_broker::{MessageType, OutgoingMessage, TopicRef, TopicSpec, code};

#[tokio::test]
async fn send_and_receive_round_trip_keeps_every_field() {
    let env = Env::new();
    let t = topic("rt");
    let mut m = OutgoingMessage::new(
        "01AABBCCDDEEFF00010000000000000001",
        Bytes::from_static(b"\x00\xffhello"),
    );
    m.tag = Some("TagA".into());
    m.keys = vec!["k1".into(), "k 2".into()];
    m.user_properties = vec![("z".into(), "last".into()), ("a".into(), "first".into())];
    m.born_timestamp_ms = 1_700_000_000_123;
    m.born_host = "producer-host".into();
    m.trace_context = Some("00-trace".into());
    let receipts = env.broker.send(&t, vec![m.clone()]).await.unwrap();
    assert_eq!(receipts.len(), 1);
    let r = &receipts[0];
    assert_eq!(r.message_id, m.message_id);
    assert!(!r.duplicate);
    assert_eq!(r.transaction_id, None);
    assert!(r.store_timestamp_ms > 0);

    let got = env
        .broker
        .receive(&group("g"), &t, &req(32, 500, 0))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    let d = &got[0];
    let v = &d.message;
    assert_eq!(v.topic, "rt");
    assert_eq!(v.message_id, m.message_id);
    assert_eq!(v.message_type, MessageType::Normal);
    assert_eq!(v.tag, m.tag);
    assert_eq!(v.keys, m.keys);
    assert_eq!(
        v.user_properties, m.user_properties,
        "order kept, no system properties"
    );
    assert_eq!(v.body, m.body);
    assert_eq!(v.born_timestamp_ms, m.born_timestamp_ms);
    assert_eq!(v.born_host, m.born_host);
    assert_eq!(v.trace_context, m.trace_context);
    assert_eq!(v.store_timestamp_ms, r.store_timestamp_ms);
    assert_eq!((v.queue_id, v.queue_offset), (r.queue_id, r.queue_offset));
    assert_eq!(d.delivery_attempt, 1);
    assert_eq!(d.invisible_duration, Duration::from_millis(500));
    assert!(!d.receipt_handle.is_empty());
    assert!(d.invisible_until_ms >= v.store_timestamp_ms + 500);
}

#[tokio::test]
async fn batch_send_returns_one_receipt_per_message_in_order() {
    let env = Env::new();
    let t = topic("batch");
    let batch: Vec<_> = (0..10).map(|i| msg(&format!("b-{i}"), "x")).collect();
    let receipts = env.broker.send(&t, batch).await.unwrap();
    let got: Vec<_> = receipts.iter().map(|r| r.message_id.clone()).collect();
    let want: Vec<_> = (0..10).map(|i| format!("b-{i}")).collect();
    assert_eq!(got, want);
    let places: HashSet<_> = receipts
        .iter()
        .map(|r| (r.queue_id, r.queue_offset))
        .collect();
    assert_eq!(places.len(), 10, "distinct positions");
    let queues: HashSet<_> = receipts.iter().map(|r| r.queue_id).collect();
    assert_eq!(queues.len(), 4, "round-robin over the 4 queues");
    let delivered = drain(&env.broker, &group("g"), &t, 1000).await;
    assert_eq!(ids(&delivered).len(), 10);
}

#[tokio::test]
async fn client_queue_is_honoured_when_it_exists() {
    let env = Env::new();
    let t = topic("q");
    let mut m = msg("q-1", "x");
    m.queue_id = Some(2);
    let mut bad = msg("q-2", "x");
    bad.queue_id = Some(99);
    let r = env.broker.send(&t, vec![m, bad]).await.unwrap();
    assert_eq!(r[0].queue_id, 2);
    assert!(r[1].queue_id < 4);
}

#[tokio::test]
async fn duplicate_message_id_is_stored_once() {
    let env = Env::new();
    let t = topic("dup");
    let first = env.broker.send(&t, vec![msg("same", "one")]).await.unwrap();
    let again = env.broker.send(&t, vec![msg("same", "two")]).await.unwrap();
    assert!(again[0].duplicate);
    assert_eq!(
        (again[0].queue_id, again[0].queue_offset),
        (first[0].queue_id, first[0].queue_offset)
    );
    // Within one batch, and mixed with a new id.
    let mixed = env
        .broker
        .send(&t, vec![msg("new", "n"), msg("same", "x"), msg("new", "n")])
        .await
        .unwrap();
    assert!(!mixed[0].duplicate);
    assert!(mixed[1].duplicate && mixed[2].duplicate);
    assert_eq!(mixed[0].queue_offset, mixed[2].queue_offset);
    // The same id in another topic is another message.
    let other = env
        .broker
        .send(&topic("dup2"), vec![msg("same", "o")])
        .await
        .unwrap();
    assert!(!other[0].duplicate);

    let delivered = drain(&env.broker, &group("g"), &t, 1000).await;
    assert_eq!(ids(&delivered), vec!["new", "same"]);
    assert_eq!(
        &delivered
            .iter()
            .find(|d| d.message.message_id == "same")
            .unwrap()
            .message
            .body[..],
        b"one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_id_store_it_once() {
    let env = Env::new();
    let t = topic("race");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (broker, t) = (env.broker.clone(), t.clone());
        set.spawn(async move {
            broker
                .send(&t, vec![msg("racy", "x"), msg("other", "y")])
                .await
                .unwrap()
        });
    }
    let results = set.join_all().await;
    assert_eq!(results.iter().filter(|r| !r[0].duplicate).count(), 1);
    assert_eq!(results.iter().filter(|r| !r[1].duplicate).count(), 1);
    let offsets: HashSet<_> = results
        .iter()
        .map(|r| (r[0].queue_id, r[0].queue_offset))
        .collect();
    assert_eq!(offsets.len(), 1);
    let delivered = drain(&env.broker, &group("g"), &t, 1000).await;
    assert_eq!(ids(&delivered), vec!["other", "racy"]);
}

#[tokio::test]
async fn duplicate_message_id_is_stored_once_after_restart() {
    let env = Env::new();
    let t = topic("dup-restart");
    let first = env
        .broker
        .send(&t, vec![msg("keep-once", "one")])
        .await
        .unwrap();
    let env = env.restart().await;
    let again = env
        .broker
        .send(&t, vec![msg("keep-once", "two")])
        .await
        .unwrap();
    assert!(again[0].duplicate);
    assert_eq!(again[0].queue_offset, first[0].queue_offset);
    assert_eq!(again[0].queue_id, first[0].queue_id);
    let env = env.crash().await;
    let third = env
        .broker
        .send(&t, vec![msg("keep-once", "three")])
        .await
        .unwrap();
    assert!(third[0].duplicate);
    let delivered = drain(&env.broker, &group("g"), &t, 1000).await;
    assert_eq!(ids(&delivered), vec!["keep-once"]);
}

#[tokio::test]
async fn type_mismatch_is_refused() {
    let env = Env::new();
    let fifo = TopicRef::new(
        common::ACCOUNT,
        common::INSTANCE,
        "fifo-topic",
        TopicSpec {
            message_type: MessageType::Fifo,
            queue_count: 2,
        },
    )
    .unwrap();
    let e = env
        .broker
        .send(&fifo, vec![msg("n1", "x")])
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::MESSAGE_PROPERTY_CONFLICT_WITH_TYPE);
    assert!(
        e.to_string()
            .contains("NORMAL message cannot be sent to a FIFO topic"),
        "{e}"
    );

    let mut grouped = msg("n2", "x");
    grouped.message_group = Some("g".into());
    let e = env
        .broker
        .send(&topic("normal"), vec![grouped])
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::MESSAGE_PROPERTY_CONFLICT_WITH_TYPE);

    // A matching FIFO send is stored in the queue of its message group, whatever the client
    // chose.
    let mut f = msg("f1", "x");
    f.message_type = MessageType::Fifo;
    f.message_group = Some("g".into());
    f.queue_id = Some(1 - petrel_broker::fifo_queue_for("g", 2));
    let r = env.broker.send(&fifo, vec![f]).await.unwrap();
    assert_eq!(r[0].queue_id, petrel_broker::fifo_queue_for("g", 2));
    // A refused message in a batch refuses the whole batch.
    let e = env
        .broker
        .send(&topic("normal"), vec![msg("ok", "x"), msg(" ", "x")])
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::ILLEGAL_MESSAGE_ID);
    assert!(
        drain(&env.broker, &group("g"), &topic("normal"), 1000)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn limits_are_refused_with_their_codes() {
    let env = Env::new();
    let t = topic("limits");
    let limit = env.config.max_body_bytes;
    let cases: Vec<(OutgoingMessage, i32)> = vec![
        (
            msg("big", &"x".repeat(limit + 1)),
            code::MESSAGE_BODY_TOO_LARGE,
        ),
        (msg("empty", ""), code::BAD_REQUEST),
        (
            {
                let mut m = msg("tag", "x");
                m.tag = Some("a||b".into());
                m
            },
            code::ILLEGAL_MESSAGE_TAG,
        ),
        (
            {
                let mut m = msg("key", "x");
                m.keys = vec!["  ".into()];
                m
            },
            code::ILLEGAL_MESSAGE_KEY,
        ),
        (
            {
                let mut m = msg("prop", "x");
                m.user_properties = vec![("TAGS".into(), "x".into())];
                m
            },
            code::ILLEGAL_MESSAGE_PROPERTY_KEY,
        ),
        (
            {
                let mut m = msg("props", "x");
                m.user_properties = (0..200).map(|i| (format!("k{i}"), "v".into())).collect();
                m
            },
            code::MESSAGE_PROPERTIES_TOO_LARGE,
        ),
    ];
    for (m, want) in cases {
        let id = m.message_id.clone();
        let e = env.broker.send(&t, vec![m]).await.unwrap_err();
        assert_eq!(e.rocketmq_code(), want, "{id}: {e}");
        assert!(
            e.to_string().contains(&id),
            "the message names the input: {e}"
        );
    }
    let ok = env
        .broker
        .send(&t, vec![msg("max", &"x".repeat(limit))])
        .await
        .unwrap();
    assert_eq!(ok.len(), 1);
    let e = env.broker.send(&t, vec![]).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::BAD_REQUEST);
}

#[tokio::test]
async fn sends_after_close_are_refused() {
    let env = Env::new();
    let t = topic("closed");
    send_n(&env.broker, &t, "c", 1).await;
    env.broker.close().await.unwrap();
    let e = env
        .broker
        .send(&t, vec![msg("late", "x")])
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INTERNAL_ERROR);
}
