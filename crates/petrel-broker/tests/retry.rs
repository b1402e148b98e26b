//! Retries and dead letters: the group's backoff decides when an unsettled delivery comes
//! back, its max attempts when the message goes to the group's dead-letter queue instead;
//! clients can forward a delivery there; dead letters can be listed, inspected and re-sent,
//! and all of it survives restarts and crashes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::time::{Duration, Instant};

use common::{Env, group, req, send_n, topic};
use petrel_broker::{
    Backoff, Broker, DeadLetterReason, Delivered, GroupRef, ReceiveRequest, RetryPolicy, TopicRef,
    code,
};

fn with_policy(invisible_ms: u64, poll_ms: u64, retry: RetryPolicy) -> ReceiveRequest {
    ReceiveRequest {
        retry,
        ..req(32, invisible_ms, poll_ms)
    }
}

async fn one(broker: &Broker, g: &GroupRef, t: &TopicRef, r: &ReceiveRequest) -> Delivered {
    let mut got = broker.receive(g, t, r).await.unwrap();
    assert_eq!(got.len(), 1, "expected one delivery");
    got.remove(0)
}

#[tokio::test]
async fn an_expired_delivery_waits_for_the_groups_backoff_before_coming_back() {
    let env = Env::new();
    let (t, g) = (topic("backoff"), group("g"));
    send_n(&env.broker, &t, "m", 1).await;
    let policy = RetryPolicy {
        max_attempts: 5,
        backoff: Backoff::Exponential {
            initial: Duration::from_millis(400),
            max: Duration::from_secs(10),
            multiplier: 2.0,
        },
    };
    let r = with_policy(200, 5000, policy);
    let mut last = Instant::now();
    let first = one(&env.broker, &g, &t, &r).await;
    assert_eq!(first.delivery_attempt, 1);
    // Attempt n comes back after the invisible time (200 ms) plus 400 ms × 2^(n−1).
    for (attempt, expected_ms) in [(2u32, 600u128), (3, 1000)] {
        let d = one(&env.broker, &g, &t, &r).await;
        let waited = last.elapsed().as_millis();
        last = Instant::now();
        assert_eq!(d.delivery_attempt, attempt);
        assert!(
            waited >= expected_ms - 20 && waited < expected_ms + 400,
            "attempt {attempt} came after {waited} ms, expected about {expected_ms}"
        );
    }
}

#[tokio::test]
async fn a_message_goes_to_the_dead_letter_queue_after_exactly_max_attempts() {
    let env = Env::new();
    let (t, g) = (topic("dlq"), group("g"));
    let mut m = common::msg("poison", "bad body");
    m.tag = Some("T".into());
    m.keys = vec!["k1".into()];
    m.user_properties = vec![("p".into(), "v".into())];
    env.broker.send(&t, vec![m]).await.unwrap();
    let r = with_policy(100, 2000, RetryPolicy::immediate(3));
    let mut handles = Vec::new();
    for attempt in 1..=3 {
        let d = one(&env.broker, &g, &t, &r).await;
        assert_eq!(d.delivery_attempt, attempt);
        handles.push(d.receipt_handle);
    }
    // The third attempt was the last: no fourth delivery, the message is a dead letter.
    let started = Instant::now();
    assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "long poll waited"
    );
    let page = env.broker.dead_letters(&g, None, 10).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.next, None);
    let dl = &page.items[0];
    assert_eq!(dl.attempts, 3);
    assert_eq!(dl.reason, DeadLetterReason::MaxAttempts);
    assert_eq!(dl.resent_at_ms, None);
    assert_eq!(dl.message.message_id, "poison");
    assert_eq!(dl.message.topic, "dlq");
    assert_eq!(dl.message.tag.as_deref(), Some("T"));
    assert_eq!(dl.message.keys, vec!["k1".to_string()]);
    assert_eq!(dl.message.user_properties, vec![("p".into(), "v".into())]);
    assert_eq!(&dl.message.body[..], b"bad body");
    assert_eq!(env.broker.dead_letter(&g, dl.dlq_offset).unwrap(), *dl);
    // The last handle died with the move; the message is finished for the group.
    let e = env.broker.ack(&g, &t, &handles[2]).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 0));
    // Other groups still get it, and have no dead letters.
    let other = group("other");
    assert_eq!(
        one(&env.broker, &other, &t, &r).await.message.message_id,
        "poison"
    );
    assert_eq!(env.broker.dead_letters(&other, None, 10).unwrap().total, 0);
}

#[tokio::test]
async fn negative_acks_count_as_failed_attempts() {
    let env = Env::new();
    let (t, g) = (topic("nacks"), group("g"));
    send_n(&env.broker, &t, "m", 1).await;
    let r = with_policy(60_000, 2000, RetryPolicy::immediate(2));
    for attempt in 1..=2 {
        let d = one(&env.broker, &g, &t, &r).await;
        assert_eq!(d.delivery_attempt, attempt);
        env.broker
            .change_invisible_duration(&g, &t, &d.receipt_handle, Duration::ZERO)
            .await
            .unwrap();
    }
    assert!(
        env.broker
            .receive(&g, &t, &with_policy(60_000, 300, RetryPolicy::immediate(2)))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        env.broker.dead_letters(&g, None, 10).unwrap().items[0].attempts,
        2
    );
}

#[tokio::test]
async fn a_forwarded_delivery_becomes_a_dead_letter_at_once() {
    let env = Env::new();
    let (t, g) = (topic("forward"), group("g"));
    send_n(&env.broker, &t, "m", 2).await;
    let r = req(1, 60_000, 0);
    let d = one(&env.broker, &g, &t, &r).await;
    env.broker
        .forward_to_dead_letter_queue(&g, &t, &d.receipt_handle)
        .await
        .unwrap();
    let page = env.broker.dead_letters(&g, None, 10).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].reason, DeadLetterReason::Forwarded);
    assert_eq!(page.items[0].attempts, 1);
    assert_eq!(page.items[0].message.message_id, d.message.message_id);
    // The handle is spent: acking it is refused; forwarding it again (a client retrying
    // after a lost answer) is answered OK without a second dead letter.
    let e = env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    env.broker
        .forward_to_dead_letter_queue(&g, &t, &d.receipt_handle)
        .await
        .unwrap();
    assert_eq!(env.broker.dead_letters(&g, None, 10).unwrap().total, 1);
    let e = env
        .broker
        .forward_to_dead_letter_queue(&g, &t, "garbage")
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    // The other message is unaffected.
    assert_ne!(
        one(&env.broker, &g, &t, &r).await.message.message_id,
        d.message.message_id
    );
}

#[tokio::test]
async fn a_resent_dead_letter_comes_back_to_its_group_only_and_only_once() {
    let env = Env::new();
    let (t, g) = (topic("resend"), group("g"));
    send_n(&env.broker, &t, "m", 3).await;
    let r = req(32, 60_000, 0);
    let got = env.broker.receive(&g, &t, &r).await.unwrap();
    assert_eq!(got.len(), 3);
    // The middle one is dead-lettered, the others acked: the consume offset passes it.
    env.broker
        .forward_to_dead_letter_queue(&g, &t, &got[1].receipt_handle)
        .await
        .unwrap();
    for d in [&got[0], &got[2]] {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
    }
    let other = group("other");
    assert_eq!(env.broker.receive(&other, &t, &r).await.unwrap().len(), 3);

    let dl = env
        .broker
        .dead_letters(&g, None, 10)
        .unwrap()
        .items
        .remove(0);
    env.broker
        .resend_dead_letter(&g, &t, dl.dlq_offset)
        .await
        .unwrap();
    let again = one(&env.broker, &g, &t, &r).await;
    assert_eq!(again.message.message_id, got[1].message.message_id);
    assert_eq!(again.delivery_attempt, 1);
    assert!(env.broker.receive(&other, &t, &r).await.unwrap().is_empty());
    assert!(
        env.broker
            .dead_letter(&g, dl.dlq_offset)
            .unwrap()
            .resent_at_ms
            .is_some()
    );
    // Once only; from its own topic only; unknown ones are not found.
    let e = env
        .broker
        .resend_dead_letter(&g, &t, dl.dlq_offset)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::PRECONDITION_FAILED);
    let e = env
        .broker
        .resend_dead_letter(&g, &topic("elsewhere"), dl.dlq_offset)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::BAD_REQUEST);
    assert!(e.to_string().contains("came from topic `resend`"), "{e}");
    let e = env.broker.dead_letter(&g, 99).unwrap_err();
    assert_eq!(e.rocketmq_code(), code::NOT_FOUND);
    env.broker.ack(&g, &t, &again.receipt_handle).await.unwrap();
    assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
}

#[tokio::test]
async fn dead_letters_page_in_order() {
    let env = Env::new();
    let (t, g) = (topic("pages"), group("g"));
    send_n(&env.broker, &t, "m", 5).await;
    let got = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 0))
        .await
        .unwrap();
    for d in &got {
        env.broker
            .forward_to_dead_letter_queue(&g, &t, &d.receipt_handle)
            .await
            .unwrap();
    }
    let first = env.broker.dead_letters(&g, None, 2).unwrap();
    assert_eq!((first.items.len(), first.total), (2, 5));
    let second = env.broker.dead_letters(&g, first.next, 10).unwrap();
    assert_eq!(second.items.len(), 3);
    assert_eq!(second.next, None);
    let ids: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|d| d.message.message_id.clone())
        .collect();
    let sent: Vec<_> = got.iter().map(|d| d.message.message_id.clone()).collect();
    assert_eq!(ids, sent);
}

#[tokio::test]
async fn dead_letters_and_resends_survive_a_crash() {
    let env = Env::new();
    let (t, g) = (topic("dlqcrash"), group("g"));
    send_n(&env.broker, &t, "m", 2).await;
    let r = with_policy(100, 1000, RetryPolicy::immediate(1));
    let got = env.broker.receive(&g, &t, &r).await.unwrap();
    assert_eq!(got.len(), 2);
    // Both expire; their only attempt is spent: the next receive dead-letters them.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
    assert_eq!(env.broker.dead_letters(&g, None, 10).unwrap().total, 2);

    let env = env.crash().await;
    assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
    let page = env.broker.dead_letters(&g, None, 10).unwrap();
    assert_eq!(page.total, 2, "each dead letter stored exactly once");
    env.broker
        .resend_dead_letter(&g, &t, page.items[0].dlq_offset)
        .await
        .unwrap();

    let env = env.crash().await;
    let back = one(&env.broker, &g, &t, &req(32, 60_000, 1000)).await;
    assert_eq!(back.message.message_id, page.items[0].message.message_id);
    assert_eq!(back.delivery_attempt, 1);
    assert!(
        env.broker
            .dead_letter(&g, page.items[0].dlq_offset)
            .unwrap()
            .resent_at_ms
            .is_some()
    );
    env.broker.ack(&g, &t, &back.receipt_handle).await.unwrap();
    let env = env.restart().await;
    assert!(
        env.broker
            .receive(&g, &t, &req(32, 60_000, 300))
            .await
            .unwrap()
            .is_empty()
    );
}
