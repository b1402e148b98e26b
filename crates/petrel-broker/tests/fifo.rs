//! FIFO delivery for Orderly groups: the messages of one message group come one at a time in
//! send order (the next once the previous is acked or dead-lettered), other message groups are
//! not held up, and the order holds across a crash.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Env, fifo_msg, group, req, typed_topic};
use petrel_broker::{Delivered, MessageType, ReceiveRequest, RetryPolicy, TopicRef};

fn fifo_topic(name: &str, queues: u32) -> TopicRef {
    typed_topic(name, MessageType::Fifo, queues)
}

fn orderly(batch: u32, invisible_ms: u64, poll_ms: u64) -> ReceiveRequest {
    ReceiveRequest {
        orderly: true,
        ..req(batch, invisible_ms, poll_ms)
    }
}

fn ids(got: &[Delivered]) -> Vec<&str> {
    got.iter().map(|d| d.message.message_id.as_str()).collect()
}

#[tokio::test]
async fn one_message_group_is_delivered_in_send_order_one_at_a_time() {
    let env = Env::new();
    let (t, g) = (fifo_topic("order", 4), group("g"));
    for i in 0..5 {
        env.broker
            .send(&t, vec![fifo_msg(&format!("a{i}"), "A")])
            .await
            .unwrap();
    }
    let r = orderly(32, 60_000, 0);
    for i in 0..5 {
        let got = env.broker.receive(&g, &t, &r).await.unwrap();
        assert_eq!(ids(&got), vec![format!("a{i}")], "one at a time, in order");
        assert_eq!(got[0].message.message_group.as_deref(), Some("A"));
        // Nothing more of the group until it is acked.
        assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
        env.broker
            .ack(&g, &t, &got[0].receipt_handle)
            .await
            .unwrap();
    }
    assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
}

#[tokio::test]
async fn message_groups_sharing_a_queue_proceed_independently() {
    let env = Env::new();
    // One queue: every group shares it.
    let (t, g) = (fifo_topic("shared", 1), group("g"));
    let batch = vec![
        fifo_msg("a0", "A"),
        fifo_msg("a1", "A"),
        fifo_msg("b0", "B"),
        fifo_msg("b1", "B"),
        fifo_msg("c0", "C"),
    ];
    env.broker.send(&t, batch).await.unwrap();
    let r = orderly(32, 60_000, 0);
    let heads = env.broker.receive(&g, &t, &r).await.unwrap();
    assert_eq!(ids(&heads), vec!["a0", "b0", "c0"]);
    // A stays blocked while B moves on.
    let b0 = &heads[1];
    env.broker.ack(&g, &t, &b0.receipt_handle).await.unwrap();
    let next = env.broker.receive(&g, &t, &r).await.unwrap();
    assert_eq!(ids(&next), vec!["b1"]);
}

#[tokio::test]
async fn a_waiting_receiver_gets_the_next_message_when_the_previous_is_acked() {
    let env = Env::new();
    let (t, g) = (fifo_topic("wake", 2), group("g"));
    env.broker
        .send(&t, vec![fifo_msg("x0", "X"), fifo_msg("x1", "X")])
        .await
        .unwrap();
    let first = env
        .broker
        .receive(&g, &t, &orderly(32, 60_000, 0))
        .await
        .unwrap();
    let waiter = {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let got = broker
                .receive(&g, &t, &orderly(32, 60_000, 5000))
                .await
                .unwrap();
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    env.broker
        .ack(&g, &t, &first[0].receipt_handle)
        .await
        .unwrap();
    let (got, waited) = waiter.await.unwrap();
    assert_eq!(ids(&got), vec!["x1"]);
    assert!(waited < Duration::from_secs(1), "waited {waited:?}");
}

#[tokio::test]
async fn a_failing_head_is_retried_before_its_successors_then_dead_lettered() {
    let env = Env::new();
    let (t, g) = (fifo_topic("retry", 2), group("g"));
    env.broker
        .send(&t, vec![fifo_msg("p0", "P"), fifo_msg("p1", "P")])
        .await
        .unwrap();
    let r = ReceiveRequest {
        retry: RetryPolicy::immediate(3),
        ..orderly(32, 100, 2000)
    };
    for attempt in 1..=3 {
        let got = env.broker.receive(&g, &t, &r).await.unwrap();
        assert_eq!(ids(&got), vec!["p0"]);
        assert_eq!(got[0].delivery_attempt, attempt);
    }
    // The head's attempts are spent: it becomes a dead letter and the next one follows.
    let got = env.broker.receive(&g, &t, &r).await.unwrap();
    assert_eq!(ids(&got), vec!["p1"]);
    assert_eq!(got[0].delivery_attempt, 1);
    let dl = env.broker.dead_letters(&g, None, 10).unwrap();
    assert_eq!(dl.items[0].message.message_id, "p0");
    assert_eq!(dl.items[0].attempts, 3);
}

#[tokio::test]
async fn a_forwarded_head_unblocks_its_group() {
    let env = Env::new();
    let (t, g) = (fifo_topic("forward", 2), group("g"));
    env.broker
        .send(&t, vec![fifo_msg("f0", "F"), fifo_msg("f1", "F")])
        .await
        .unwrap();
    let r = orderly(32, 60_000, 0);
    let head = env.broker.receive(&g, &t, &r).await.unwrap();
    env.broker
        .forward_to_dead_letter_queue(&g, &t, &head[0].receipt_handle)
        .await
        .unwrap();
    assert_eq!(
        ids(&env.broker.receive(&g, &t, &r).await.unwrap()),
        vec!["f1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_consumers_see_every_group_in_order() {
    let env = Env::new();
    let (t, g) = (fifo_topic("many", 4), group("g"));
    let groups = 8;
    let per_group = 25;
    for i in 0..per_group {
        let batch = (0..groups)
            .map(|k| fifo_msg(&format!("g{k}-{i:03}"), &format!("g{k}")))
            .collect();
        env.broker.send(&t, batch).await.unwrap();
    }
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        set.spawn(async move {
            let mut seen = Vec::new();
            loop {
                let got = broker
                    .receive(&g, &t, &orderly(4, 60_000, 300))
                    .await
                    .unwrap();
                if got.is_empty() {
                    return seen;
                }
                for d in got {
                    // Record before acking: the next of the group can only come after.
                    seen.push((std::time::Instant::now(), d.message.message_id.clone()));
                    broker.ack(&g, &t, &d.receipt_handle).await.unwrap();
                }
            }
        });
    }
    let mut all: Vec<(std::time::Instant, String)> = set.join_all().await.concat();
    all.sort();
    let mut per: HashMap<String, Vec<String>> = HashMap::new();
    for (_, id) in all {
        let (grp, _) = id.split_once('-').unwrap();
        per.entry(grp.to_string()).or_default().push(id);
    }
    assert_eq!(per.len(), groups);
    for (grp, got) in per {
        let want: Vec<String> = (0..per_group).map(|i| format!("{grp}-{i:03}")).collect();
        assert_eq!(got, want, "group {grp} out of order or incomplete");
    }
}

#[tokio::test]
async fn order_and_held_back_messages_survive_a_crash() {
    let env = Env::new();
    let (t, g) = (fifo_topic("crash", 1), group("g"));
    env.broker
        .send(
            &t,
            vec![
                fifo_msg("a0", "A"),
                fifo_msg("a1", "A"),
                fifo_msg("b0", "B"),
                fifo_msg("a2", "A"),
            ],
        )
        .await
        .unwrap();
    let r = orderly(32, 60_000, 0);
    let heads = env.broker.receive(&g, &t, &r).await.unwrap();
    assert_eq!(ids(&heads), vec!["a0", "b0"]);
    env.broker
        .ack(&g, &t, &heads[1].receipt_handle)
        .await
        .unwrap();

    // a1 and a2 were held back in memory only; a0 is still in flight after the crash.
    let env = env.crash().await;
    assert!(env.broker.receive(&g, &t, &r).await.unwrap().is_empty());
    env.broker
        .ack(&g, &t, &heads[0].receipt_handle)
        .await
        .unwrap();
    assert_eq!(
        ids(&env.broker.receive(&g, &t, &r).await.unwrap()),
        vec!["a1"]
    );
    // A group switched to concurrent delivery still gets the held-back one.
    let env = env.restart().await;
    let rest = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 0))
        .await
        .unwrap();
    assert_eq!(ids(&rest), vec!["a2"]);
}
