#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Message query: by id, by key (bounded, newest first) and by time (paged), with each group's
//! delivery state, also after a restart.

mod common;

use common::*;
use petrel_broker::{DeliveryState, GroupRef, MessageType, OutgoingMessage, TopicRef};

fn keyed(id: &str, key: &str, tag: &str) -> OutgoingMessage {
    let mut m = msg(id, &format!("body of {id}"));
    m.keys = vec![key.to_owned()];
    m.tag = Some(tag.to_owned());
    m.user_properties = vec![("color".to_owned(), "red".to_owned())];
    m.born_timestamp_ms = 1_700_000_000_000;
    m
}

fn state_of(
    broker: &petrel_broker::Broker,
    t: &TopicRef,
    id: &str,
    groups: &[GroupRef],
) -> Vec<DeliveryState> {
    broker
        .message_by_id(t, id, groups)
        .unwrap()
        .unwrap_or_else(|| panic!("message {id} not found"))
        .deliveries
        .iter()
        .map(|d| d.state)
        .collect()
}

#[tokio::test]
async fn a_message_is_found_by_id_with_its_fields_and_each_groups_state() {
    let env = Env::new();
    let t = topic("q-id");
    let (acker, holder, fresh, dlq) = (
        group("acker"),
        group("holder"),
        group("fresh"),
        group("dlq"),
    );
    let groups = [acker.clone(), holder.clone(), fresh.clone(), dlq.clone()];
    env.broker
        .send(&t, vec![keyed("id-1", "order-1", "paid")])
        .await
        .unwrap();

    let found = env
        .broker
        .message_by_id(&t, "id-1", &groups)
        .unwrap()
        .unwrap();
    let m = &found.message;
    assert_eq!(m.topic, "q-id");
    assert_eq!(m.message_id, "id-1");
    assert_eq!(m.keys, vec!["order-1".to_owned()]);
    assert_eq!(m.tag.as_deref(), Some("paid"));
    assert_eq!(
        m.user_properties,
        vec![("color".to_owned(), "red".to_owned())]
    );
    assert_eq!(m.born_timestamp_ms, 1_700_000_000_000);
    assert!(m.store_timestamp_ms >= now_ms() - 60_000);
    assert_eq!(m.message_type, MessageType::Normal);
    assert_eq!(&m.body[..], b"body of id-1");
    assert!(
        found
            .deliveries
            .iter()
            .all(|d| d.state == DeliveryState::NotDelivered)
    );

    let a = env
        .broker
        .receive(&acker, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    env.broker
        .ack(&acker, &t, &a[0].receipt_handle)
        .await
        .unwrap();
    let h = env
        .broker
        .receive(&holder, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(h.len(), 1);
    let d = env
        .broker
        .receive(&dlq, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    env.broker
        .forward_to_dead_letter_queue(&dlq, &t, &d[0].receipt_handle)
        .await
        .unwrap();

    let states = state_of(&env.broker, &t, "id-1", &groups);
    assert_eq!(states[0], DeliveryState::Consumed);
    let in_flight = matches!(
        states[1],
        DeliveryState::InFlight { attempt: 1, until_ms } if until_ms > now_ms()
    );
    assert!(in_flight, "{:?}", states[1]);
    assert_eq!(states[2], DeliveryState::NotDelivered);
    assert_eq!(states[3], DeliveryState::DeadLettered);

    // The states are durable progress: the same after a restart.
    let env = env.restart().await;
    assert_eq!(state_of(&env.broker, &t, "id-1", &groups), states);
    assert!(
        env.broker
            .message_by_id(&t, "no-such-id", &groups)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_expired_delivery_reads_as_awaiting_redelivery_with_its_attempt() {
    let env = Env::new();
    let (t, g) = (topic("q-exp"), group("g"));
    env.broker.send(&t, vec![msg("e-1", "x")]).await.unwrap();
    env.broker.receive(&g, &t, &req(1, 50, 0)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    assert_eq!(
        state_of(&env.broker, &t, "e-1", std::slice::from_ref(&g)),
        vec![DeliveryState::AwaitingRedelivery { attempt: 1 }]
    );
    let again = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(again[0].delivery_attempt, 2);
    assert_eq!(
        state_of(&env.broker, &t, "e-1", std::slice::from_ref(&g))[0].attempt(),
        Some(2)
    );
}

#[tokio::test]
async fn queries_never_cross_topics_or_accounts() {
    let env = Env::new();
    let (mine, other_topic) = (topic("q-mine"), topic("q-other"));
    let foreign = TopicRef::new(OTHER_ACCOUNT, INSTANCE, "q-mine", spec(4)).unwrap();
    env.broker
        .send(&other_topic, vec![keyed("shared-id", "k", "t")])
        .await
        .unwrap();
    env.broker
        .send(&foreign, vec![keyed("shared-id", "k", "t")])
        .await
        .unwrap();
    assert!(
        env.broker
            .message_by_id(&mine, "shared-id", &[])
            .unwrap()
            .is_none()
    );
    assert!(
        env.broker
            .messages_by_key(&mine, "k", 10, &[])
            .unwrap()
            .messages
            .is_empty()
    );
    let page = env
        .broker
        .messages_by_time(&mine, 0, i64::MAX, 10, None, &[])
        .unwrap();
    assert!(page.messages.is_empty());
    // A group of another account cannot be asked about.
    let stranger = GroupRef::new(OTHER_ACCOUNT, INSTANCE, "g").unwrap();
    assert!(env.broker.message_by_id(&mine, "x", &[stranger]).is_err());
}

#[tokio::test]
async fn a_key_query_is_newest_first_bounded_and_says_when_truncated() {
    let env = Env::new();
    let t = topic("q-key");
    for i in 0..5 {
        env.broker
            .send(&t, vec![keyed(&format!("k-{i}"), "order-7", "x")])
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    env.broker
        .send(&t, vec![keyed("other", "order-8", "x")])
        .await
        .unwrap();
    let page = env.broker.messages_by_key(&t, "order-7", 3, &[]).unwrap();
    let ids: Vec<&str> = page
        .messages
        .iter()
        .map(|m| m.message.message_id.as_str())
        .collect();
    assert_eq!(ids, ["k-4", "k-3", "k-2"]);
    assert!(page.truncated);
    let all = env.broker.messages_by_key(&t, "order-7", 100, &[]).unwrap();
    assert_eq!(all.messages.len(), 5);
    assert!(!all.truncated);
    assert!(env.broker.messages_by_key(&t, "order-7", 0, &[]).is_err());
    assert!(
        env.broker
            .messages_by_key(&t, "order-7", 100_000, &[])
            .is_err()
    );
}

#[tokio::test]
async fn a_time_query_pages_oldest_first_and_survives_a_restart() {
    let env = Env::new();
    let t = topic("q-time");
    let before = now_ms();
    let sent = send_n(&env.broker, &t, "tm", 7).await;
    let after = now_ms();
    let env = env.restart().await;
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = env
            .broker
            .messages_by_time(&t, before, after, 3, cursor, &[])
            .unwrap();
        pages += 1;
        let times: Vec<i64> = page
            .messages
            .iter()
            .map(|m| m.message.store_timestamp_ms)
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "oldest first: {times:?}"
        );
        seen.extend(page.messages.into_iter().map(|m| m.message.message_id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, sent);
    assert!(
        env.broker
            .messages_by_time(&t, after + 60_000, after + 120_000, 10, None, &[])
            .unwrap()
            .messages
            .is_empty()
    );
    assert!(
        env.broker
            .messages_by_time(&t, after, before - 1, 10, None, &[])
            .is_err()
    );
}

#[tokio::test]
async fn a_resent_dead_letter_reads_as_not_delivered_again() {
    let env = Env::new();
    let (t, g) = (topic("q-resend"), group("g"));
    env.broker.send(&t, vec![msg("r-1", "x")]).await.unwrap();
    let d = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    env.broker
        .forward_to_dead_letter_queue(&g, &t, &d[0].receipt_handle)
        .await
        .unwrap();
    let only = std::slice::from_ref(&g);
    assert_eq!(
        state_of(&env.broker, &t, "r-1", only),
        vec![DeliveryState::DeadLettered]
    );
    let letter = env.broker.dead_letters(&g, None, 10).unwrap().items[0].dlq_offset;
    env.broker.resend_dead_letter(&g, &t, letter).await.unwrap();
    assert_eq!(
        state_of(&env.broker, &t, "r-1", only),
        vec![DeliveryState::NotDelivered]
    );
    let again = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    env.broker
        .ack(&g, &t, &again[0].receipt_handle)
        .await
        .unwrap();
    assert_eq!(
        state_of(&env.broker, &t, "r-1", only),
        vec![DeliveryState::Consumed],
        "acked after the re-send: consumed, not dead-lettered"
    );
}
