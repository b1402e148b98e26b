//! Delay messages: never delivered before their delivery time, delivered promptly after it
//! (lateness measured), kept across restarts and crashes, and refused beyond the configured
//! maximum delay.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Env, delay_msg, group, now_ms, req, typed_topic};
use petrel_broker::{BrokerConfig, MessageType, TopicRef, code};

fn delay_topic(name: &str) -> TopicRef {
    typed_topic(name, MessageType::Delay, 4)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_messages_are_never_early_and_promptly_on_time() {
    let env = Env::new();
    let (t, g) = (delay_topic("lateness"), group("g"));
    let n = 200;
    let start = now_ms();
    let mut due: HashMap<String, i64> = HashMap::new();
    for chunk in 0..n / 10 {
        let batch: Vec<_> = (0..10)
            .map(|i| {
                let k = chunk * 10 + i;
                // Spread over 0.4 s .. 2.4 s ahead.
                let at = start + 400 + (k as i64 * 2_000) / n as i64;
                let id = format!("d{k:03}");
                due.insert(id.clone(), at);
                delay_msg(&id, at)
            })
            .collect();
        env.broker.send(&t, batch).await.unwrap();
    }
    assert_eq!(env.broker.pending_delayed(), n);
    // Nothing is visible, not even as lag, before its time.
    let stats = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!(stats.ready, 0);

    let mut lateness = Vec::new();
    while lateness.len() < n {
        let got = env
            .broker
            .receive(&g, &t, &req(32, 60_000, 5000))
            .await
            .unwrap();
        let at = now_ms();
        assert!(!got.is_empty(), "delivery stalled at {}", lateness.len());
        for d in got {
            let id = &d.message.message_id;
            let want = due[id];
            assert_eq!(d.message.delivery_timestamp_ms, Some(want));
            assert!(
                at >= want,
                "{id} delivered {} ms before its delivery time",
                want - at
            );
            assert!(d.message.store_timestamp_ms >= want, "stored before due");
            lateness.push(at - want);
            env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
        }
    }
    lateness.sort_unstable();
    let (p50, p99, max) = (
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.99),
        lateness[lateness.len() - 1],
    );
    eprintln!("delay lateness over {n} messages: p50 {p50} ms, p99 {p99} ms, max {max} ms");
    assert!(p50 <= 100, "p50 lateness {p50} ms");
    assert!(p99 <= 500, "p99 lateness {p99} ms");
    assert_eq!(env.broker.pending_delayed(), 0);
}

#[tokio::test]
async fn a_delivery_time_in_the_past_is_delivered_at_once() {
    let env = Env::new();
    let (t, g) = (delay_topic("past"), group("g"));
    env.broker
        .send(&t, vec![delay_msg("late", now_ms() - 5000)])
        .await
        .unwrap();
    assert_eq!(env.broker.pending_delayed(), 0);
    let got = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(got[0].message.message_id, "late");
}

#[tokio::test]
async fn delayed_messages_survive_a_crash_and_keep_their_time() {
    let env = Env::new();
    let (t, g) = (delay_topic("durable"), group("g"));
    let soon = now_ms() + 1200;
    let later = now_ms() + 3000;
    env.broker
        .send(&t, vec![delay_msg("soon", soon), delay_msg("later", later)])
        .await
        .unwrap();
    let env = env.crash().await;
    assert_eq!(env.broker.pending_delayed(), 2);
    let r = req(32, 60_000, 10_000);
    let first = env.broker.receive(&g, &t, &r).await.unwrap();
    let at = now_ms();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].message.message_id, "soon");
    assert!(
        at >= soon && at < soon + 500,
        "soon came {} ms late",
        at - soon
    );
    // A clean restart in between changes nothing either.
    let env = env.restart().await;
    let second = env.broker.receive(&g, &t, &r).await.unwrap();
    let at = now_ms();
    assert_eq!(second[0].message.message_id, "later");
    assert!(
        at >= later && at < later + 500,
        "later came {} ms late",
        at - later
    );
    // Released exactly once.
    let env = env.crash().await;
    assert_eq!(env.broker.pending_delayed(), 0);
    assert!(
        env.broker
            .receive(&g, &t, &req(32, 60_000, 300))
            .await
            .unwrap()
            .is_empty()
    );
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 2));
}

#[tokio::test]
async fn messages_due_while_the_broker_was_down_come_right_after_it_opens() {
    let env = Env::new();
    let (t, g) = (delay_topic("downtime"), group("g"));
    let due = now_ms() + 300;
    env.broker
        .send(
            &t,
            (0..20).map(|i| delay_msg(&format!("m{i}"), due)).collect(),
        )
        .await
        .unwrap();
    let env = env.crash_for(Duration::from_millis(800)).await;
    let opened = now_ms();
    let mut got = 0;
    while got < 20 {
        got += env
            .broker
            .receive(&g, &t, &req(32, 60_000, 2000))
            .await
            .unwrap()
            .len();
    }
    let took = now_ms() - opened;
    assert!(took < 500, "overdue messages took {took} ms after open");
}

#[tokio::test]
async fn delivery_times_beyond_the_maximum_are_refused() {
    let env = Env::with_config(BrokerConfig {
        max_delivery_delay: Duration::from_secs(10),
        ..BrokerConfig::for_tests()
    });
    let t = delay_topic("limit");
    let e = env
        .broker
        .send(&t, vec![delay_msg("far", now_ms() + 11_000)])
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::ILLEGAL_DELIVERY_TIME);
    assert!(e.to_string().contains("limit is 10 s"), "{e}");
    env.broker
        .send(&t, vec![delay_msg("near", now_ms() + 9_000)])
        .await
        .unwrap();

    // The default maximum is a day; milliseconds passed as seconds are caught with a hint.
    let env = Env::new();
    let e = env
        .broker
        .send(&t, vec![delay_msg("ms", now_ms() * 1000)])
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::ILLEGAL_DELIVERY_TIME);
    assert!(e.to_string().contains("milliseconds"), "{e}");
    let e = env
        .broker
        .send(
            &t,
            vec![delay_msg("day", now_ms() + 24 * 3600 * 1000 + 60_000)],
        )
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::ILLEGAL_DELIVERY_TIME);
}

#[tokio::test]
async fn a_retried_delay_send_is_stored_once_even_across_a_restart() {
    let env = Env::new();
    let (t, g) = (delay_topic("dedup"), group("g"));
    let at = now_ms() + 1000;
    let first = env
        .broker
        .send(&t, vec![delay_msg("once", at)])
        .await
        .unwrap();
    let again = env
        .broker
        .send(&t, vec![delay_msg("once", at)])
        .await
        .unwrap();
    assert!(again[0].duplicate);
    let env = env.crash().await;
    let retry = env
        .broker
        .send(&t, vec![delay_msg("once", at)])
        .await
        .unwrap();
    assert!(retry[0].duplicate);
    assert_eq!(retry[0].queue_id, first[0].queue_id);
    assert_eq!(env.broker.pending_delayed(), 1);
    let got = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 3000))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(
        env.broker
            .receive(&g, &t, &req(32, 60_000, 300))
            .await
            .unwrap()
            .is_empty()
    );
}
