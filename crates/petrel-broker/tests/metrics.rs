#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The broker's metrics as a scrape sees them: send and delivery counts and bytes per topic
//! and group, acks, and lag / in-flight computed at scrape time.

mod common;

use common::*;
use petrel_broker::TopicRef;
use petrel_metrics::Exposition;

fn scrape(env: &Env) -> String {
    let mut e = Exposition::new();
    env.broker.write_metrics(&mut e);
    e.finish()
}

/// The value of the sample `name{labels}` (labels in the order the broker writes them).
fn value(text: &str, name: &str, labels: &str) -> Option<u64> {
    let prefix = format!("{name}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().unwrap())
}

#[tokio::test]
async fn sends_receives_and_acks_move_the_topic_and_group_counters() {
    let env = Env::new();
    let (t, g) = (topic("metered"), group("readers"));
    let tl = format!(
        "account=\"{ACCOUNT}\",instance=\"{INSTANCE}\",topic=\"metered\",message_type=\"normal\""
    );
    let gl = format!(
        "account=\"{ACCOUNT}\",instance=\"{INSTANCE}\",topic=\"metered\",consumer_group=\"readers\""
    );
    env.broker
        .send(&t, vec![msg("a", "12345"), msg("b", "1234567890")])
        .await
        .unwrap();
    // A retried send of a stored id is not counted again.
    env.broker.send(&t, vec![msg("a", "12345")]).await.unwrap();
    env.broker.send(&t, vec![msg("c", "xyz")]).await.unwrap();
    let text = scrape(&env);
    assert_eq!(value(&text, "rocketmq_messages_in_total", &tl), Some(3));
    assert_eq!(value(&text, "rocketmq_throughput_in_total", &tl), Some(18));
    // No receive yet: the group has no progress and no series.
    assert_eq!(value(&text, "rocketmq_messages_out_total", &gl), None);

    let got = env
        .broker
        .receive(&g, &t, &req(2, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    let out_bytes: usize = got.iter().map(|d| d.message.body.len()).sum();
    env.broker
        .ack(&g, &t, &got[0].receipt_handle)
        .await
        .unwrap();
    let text = scrape(&env);
    assert_eq!(value(&text, "rocketmq_messages_out_total", &gl), Some(2));
    assert_eq!(
        value(&text, "rocketmq_throughput_out_total", &gl),
        Some(out_bytes as u64)
    );
    assert_eq!(value(&text, "petrel_broker_acks_total", &gl), Some(1));
    assert_eq!(
        value(&text, "rocketmq_consumer_inflight_messages", &gl),
        Some(1)
    );
    assert_eq!(
        value(&text, "rocketmq_consumer_ready_messages", &gl),
        Some(1)
    );
    assert_eq!(value(&text, "rocketmq_consumer_lag_messages", &gl), Some(2));
    assert!(value(&text, "rocketmq_consumer_lag_latency", &gl).is_some());
    assert_eq!(
        value(&text, "rocketmq_send_to_dlq_messages_total", &gl),
        Some(0)
    );
}

#[tokio::test]
async fn lag_of_a_topic_whose_queue_count_is_unknown_is_left_out_not_zero() {
    let env = Env::new();
    let (t, g) = (topic("before-restart"), group("g"));
    send_n(&env.broker, &t, "m", 3).await;
    env.broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    let env = env.restart().await;
    let text = scrape(&env);
    let gl = format!(
        "account=\"{ACCOUNT}\",instance=\"{INSTANCE}\",topic=\"before-restart\",consumer_group=\"g\""
    );
    // After a restart the broker has the group's progress but not the topic's queue count.
    assert_eq!(value(&text, "rocketmq_messages_out_total", &gl), Some(0));
    assert_eq!(value(&text, "rocketmq_consumer_lag_messages", &gl), None);
    // Once the topic is used again its lag is back.
    env.broker.group_topic_stats(&g, &t).unwrap();
    let text = scrape(&env);
    assert_eq!(value(&text, "rocketmq_consumer_lag_messages", &gl), Some(3));
}

#[tokio::test]
async fn queueing_latency_is_the_wait_of_the_oldest_ready_message_and_zero_once_drained() {
    let env = Env::new();
    // One queue, so the order of delivery is the order of sending.
    let t = TopicRef::new(ACCOUNT, INSTANCE, "queued", spec(1)).unwrap();
    let g = group("waiters");
    let gl = format!(
        "account=\"{ACCOUNT}\",instance=\"{INSTANCE}\",topic=\"queued\",consumer_group=\"waiters\""
    );
    send_n(&env.broker, &t, "q", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    // The first is in flight; the second has been ready since it was stored.
    let got = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    let waited = value(&scrape(&env), "rocketmq_consumer_queueing_latency", &gl).unwrap();
    assert!((60..60_000).contains(&waited), "{waited}");

    let rest = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    for d in got.iter().chain(&rest) {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
    }
    assert_eq!(
        value(&scrape(&env), "rocketmq_consumer_queueing_latency", &gl),
        Some(0)
    );
}
