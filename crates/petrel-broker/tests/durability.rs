//! Consumer progress across restarts and crashes: acked messages stay acked, in-flight ones
//! keep their handles and are delivered again after their invisible time, and snapshots plus
//! replay rebuild the same progress.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Env, drain, group, ids, req, send_n, topic};
use petrel_broker::{BrokerConfig, code};

#[tokio::test]
async fn progress_survives_a_restart() {
    let env = Env::new();
    let (t, g) = (topic("restart"), group("g"));
    let sent = send_n(&env.broker, &t, "m", 10).await;
    let acked = env
        .broker
        .receive(&g, &t, &req(3, 60_000, 0))
        .await
        .unwrap();
    for d in &acked {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
    }
    let inflight = env.broker.receive(&g, &t, &req(3, 1500, 0)).await.unwrap();
    assert_eq!(inflight.len(), 3);

    let env = env.restart().await;
    // A handle issued before the restart still works.
    env.broker
        .ack(&g, &t, &inflight[0].receipt_handle)
        .await
        .unwrap();
    // The four never delivered come now; acked and in-flight ones do not.
    let fresh = drain(&env.broker, &g, &t, 60_000).await;
    assert_eq!(fresh.len(), 4);
    assert!(fresh.iter().all(|d| d.delivery_attempt == 1));
    // The other two in-flight ones come back once their invisible time ends.
    let again = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 3000))
        .await
        .unwrap();
    assert_eq!(ids(&again), ids(&inflight[1..]));
    assert!(again.iter().all(|d| d.delivery_attempt == 2));

    let mut seen: Vec<String> = ids(&acked);
    seen.extend(ids(&inflight[..1]));
    seen.extend(ids(&fresh));
    seen.extend(ids(&again));
    seen.sort();
    assert_eq!(seen, sent, "every message exactly once so far");
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 6));
}

#[tokio::test]
async fn acks_confirmed_before_a_crash_stay_acked() {
    let env = Env::new();
    let (t, g) = (topic("crash"), group("g"));
    let sent = send_n(&env.broker, &t, "m", 40).await;
    let got = drain(&env.broker, &g, &t, 300).await;
    assert_eq!(ids(&got), sent);
    let mut acked = HashSet::new();
    for d in got.iter().step_by(2) {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
        acked.insert(d.message.message_id.clone());
    }

    let env = env.crash().await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    let again = drain(&env.broker, &g, &t, 60_000).await;
    assert_eq!(again.len(), 20);
    for d in &again {
        assert!(
            !acked.contains(&d.message.message_id),
            "acked {} came back",
            d.message.message_id
        );
        assert_eq!(d.delivery_attempt, 2);
    }
    // Handles of the lost deliveries died with the redelivery.
    let e = env
        .broker
        .ack(&g, &t, &got[1].receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
}

#[tokio::test]
async fn deliveries_stay_invisible_across_a_crash() {
    let env = Env::new();
    let (t, g) = (topic("lease"), group("g"));
    send_n(&env.broker, &t, "m", 5).await;
    let got = env
        .broker
        .receive(&g, &t, &req(5, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(got.len(), 5);
    let env = env.crash().await;
    assert!(
        env.broker
            .receive(&g, &t, &req(5, 60_000, 0))
            .await
            .unwrap()
            .is_empty()
    );
    for d in &got {
        env.broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
    }
}

#[tokio::test]
async fn snapshots_and_replay_rebuild_the_same_progress() {
    // Snapshot every few records so that crashes land between snapshots and records.
    let config = BrokerConfig {
        snapshot_every_records: 7,
        snapshot_interval: Duration::from_millis(50),
        ..BrokerConfig::for_tests()
    };
    let mut env = Env::with_config(config);
    let t = topic("snap");
    let groups = [group("g1"), group("g2")];
    let sent = send_n(&env.broker, &t, "m", 60).await;
    let mut acked: Vec<HashSet<String>> = vec![HashSet::new(), HashSet::new()];
    for round in 0..4 {
        for (gi, g) in groups.iter().enumerate() {
            let got = env.broker.receive(g, &t, &req(8, 60_000, 0)).await.unwrap();
            for (i, d) in got.iter().enumerate() {
                if i % 4 != 3 {
                    env.broker.ack(g, &t, &d.receipt_handle).await.unwrap();
                    acked[gi].insert(d.message.message_id.clone());
                }
            }
        }
        if round == 1 {
            env.broker.checkpoint().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        let before: Vec<_> = groups
            .iter()
            .map(|g| env.broker.group_topic_stats(g, &t).unwrap())
            .collect();
        env = if round % 2 == 0 {
            env.crash().await
        } else {
            env.restart().await
        };
        let after: Vec<_> = groups
            .iter()
            .map(|g| env.broker.group_topic_stats(g, &t).unwrap())
            .collect();
        assert_eq!(before, after, "round {round}");
    }
    for (gi, g) in groups.iter().enumerate() {
        let rest = drain(&env.broker, g, &t, 60_000).await;
        let rest: HashSet<String> = rest.into_iter().map(|d| d.message.message_id).collect();
        assert!(rest.is_disjoint(&acked[gi]));
        let unacked_and_invisible = 4 * 2; // one in four of 4 rounds × 8 stays in flight
        assert_eq!(
            rest.len() + acked[gi].len() + unacked_and_invisible,
            sent.len()
        );
    }
}

#[tokio::test]
async fn a_snapshot_spanning_several_records_is_reloaded() {
    // ~7,000 in-flight deliveries make a snapshot of several 192 KiB chunks.
    let env = Env::new();
    let (t, g) = (topic("bigsnap"), group("g"));
    let n = 7000;
    for chunk in 0..n / 100 {
        let batch = (0..100)
            .map(|i| common::msg(&format!("m{}", chunk * 100 + i), "x"))
            .collect();
        env.broker.send(&t, batch).await.unwrap();
    }
    let got = drain(&env.broker, &g, &t, 60_000).await;
    assert_eq!(got.len(), n);
    env.broker.checkpoint().await.unwrap();
    let env = env.crash().await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, n as u64));
    env.broker
        .ack(&g, &t, &got[n - 1].receipt_handle)
        .await
        .unwrap();
}
