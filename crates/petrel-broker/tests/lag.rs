#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Consumer lag (ready, in flight, oldest unfinished message) and offset resets (to the latest
//! offset or to a time), which are durable like the rest of consumer progress.

mod common;

use std::time::Duration;

use common::*;
use petrel_broker::ResetTarget;

#[tokio::test]
async fn lag_reports_the_oldest_unconsumed_store_time_and_none_when_caught_up() {
    let env = Env::new();
    let (t, g) = (topic("lag-oldest"), group("g"));
    let empty = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!(empty.pending(), 0);
    assert_eq!(empty.oldest_unconsumed_ms, None);
    assert_eq!(empty.delivery_lag_ms(now_ms()), Some(0));

    send_n(&env.broker, &t, "o", 6).await;
    let first_stored = env
        .broker
        .messages_by_time(&t, 0, i64::MAX, 1, None, &[])
        .unwrap()
        .messages[0]
        .message
        .store_timestamp_ms;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (6, 0));
    assert_eq!(s.oldest_unconsumed_ms, Some(first_stored));
    assert!(s.delivery_lag_ms(now_ms()).unwrap() >= 20);

    let got = drain(&env.broker, &g, &t, 60_000).await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 6));
    assert_eq!(
        s.oldest_unconsumed_ms,
        Some(first_stored),
        "in-flight messages are not consumed yet"
    );
    for d in &got {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
    }
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight, s.oldest_unconsumed_ms), (0, 0, None));
    assert_eq!(s.delivery_lag_ms(now_ms()), Some(0));
}

#[tokio::test]
async fn reset_to_latest_skips_the_backlog_and_survives_a_restart() {
    let env = Env::new();
    let (t, g) = (topic("reset-latest"), group("g"));
    send_n(&env.broker, &t, "old", 8).await;
    let inflight = env
        .broker
        .receive(&g, &t, &req(2, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(inflight.len(), 2);

    let queues = env
        .broker
        .reset_offset(&g, &t, ResetTarget::Latest)
        .await
        .unwrap();
    assert_eq!(queues.iter().map(|q| q.offset).sum::<u64>(), 8);
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 0));
    // Handles issued before the reset are stale.
    assert!(
        env.broker
            .ack(&g, &t, &inflight[0].receipt_handle)
            .await
            .is_err()
    );

    let env = env.crash().await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 0), "the reset is durable");
    assert!(drain(&env.broker, &g, &t, 60_000).await.is_empty());
    let new = send_n(&env.broker, &t, "new", 3).await;
    assert_eq!(ids(&drain(&env.broker, &g, &t, 60_000).await), new);
    // Other groups keep their own progress.
    assert_eq!(
        drain(&env.broker, &group("other"), &t, 60_000).await.len(),
        11
    );
}

#[tokio::test]
async fn reset_to_a_time_rewinds_acked_messages_and_skips_older_ones() {
    let env = Env::new();
    let (t, g) = (topic("reset-time"), group("g"));
    let early = send_n(&env.broker, &t, "a-early", 4).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let cut = now_ms();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let late = send_n(&env.broker, &t, "b-late", 5).await;
    for d in drain(&env.broker, &g, &t, 60_000).await {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
    }
    assert_eq!(env.broker.group_topic_stats(&g, &t).unwrap().pending(), 0);

    env.broker
        .reset_offset(&g, &t, ResetTarget::Timestamp(cut))
        .await
        .unwrap();
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!(s.ready, 5);
    assert!(s.oldest_unconsumed_ms.unwrap() >= cut);

    let env = env.restart().await;
    assert_eq!(env.broker.group_topic_stats(&g, &t).unwrap().ready, 5);
    assert_eq!(ids(&drain(&env.broker, &g, &t, 60_000).await), late);

    // Rewinding to before everything brings back the early ones too; a group that never
    // received is placed too.
    let fresh = group("fresh");
    env.broker
        .reset_offset(&fresh, &t, ResetTarget::Latest)
        .await
        .unwrap();
    env.broker
        .reset_offset(&fresh, &t, ResetTarget::Timestamp(0))
        .await
        .unwrap();
    let mut all = early.clone();
    all.extend(late.iter().cloned());
    all.sort();
    assert_eq!(ids(&drain(&env.broker, &fresh, &t, 60_000).await), all);
}

#[tokio::test]
async fn a_reset_after_a_snapshot_is_replayed_correctly() {
    let env = Env::new();
    let (t, g) = (topic("reset-snap"), group("g"));
    send_n(&env.broker, &t, "s", 5).await;
    let got = drain(&env.broker, &g, &t, 60_000).await;
    env.broker
        .ack(&g, &t, &got[0].receipt_handle)
        .await
        .unwrap();
    env.broker.checkpoint().await.unwrap();
    env.broker
        .reset_offset(&g, &t, ResetTarget::Latest)
        .await
        .unwrap();
    send_n(&env.broker, &t, "after", 2).await;
    let one = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let env = env.crash().await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (1, 1));
}
