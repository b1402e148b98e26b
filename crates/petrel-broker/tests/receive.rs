//! Receive and settle: clustering semantics, invisibility and redelivery, receipt handles,
//! long polling, filters, lag statistics and request limits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Env, drain, group, ids, msg, req, send_n, topic};
use petrel_broker::{Filter, ReceiveRequest, code};

#[tokio::test]
async fn two_groups_each_get_every_message() {
    let env = Env::new();
    let t = topic("fanout");
    let sent = send_n(&env.broker, &t, "m", 20).await;
    let a = drain(&env.broker, &group("ga"), &t, 2000).await;
    let b = drain(&env.broker, &group("gb"), &t, 2000).await;
    assert_eq!(ids(&a), sent);
    assert_eq!(ids(&b), sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_receivers_of_one_group_never_share_an_invisible_message() {
    let env = Env::new();
    let t = topic("shared");
    let sent = send_n(&env.broker, &t, "m", 200).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (broker, t) = (env.broker.clone(), t.clone());
        set.spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = broker
                    .receive(&group("g"), &t, &req(7, 5000, 0))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|d| d.message.message_id));
            }
        });
    }
    let per_receiver = set.join_all().await;
    let all: Vec<String> = per_receiver.iter().flatten().cloned().collect();
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "a message went to two receivers");
    let mut all = all;
    all.sort();
    assert_eq!(all, sent);
}

#[tokio::test]
async fn unacked_message_is_redelivered_after_its_invisible_time_with_attempt_two() {
    let env = Env::new();
    let (t, g) = (topic("redeliver"), group("g"));
    send_n(&env.broker, &t, "m", 1).await;
    let first = env.broker.receive(&g, &t, &req(1, 300, 0)).await.unwrap();
    assert_eq!(first[0].delivery_attempt, 1);
    // Invisible meanwhile.
    assert!(
        env.broker
            .receive(&g, &t, &req(1, 300, 0))
            .await
            .unwrap()
            .is_empty()
    );
    // A long poll started now is answered when the invisible time ends.
    let started = Instant::now();
    let second = env
        .broker
        .receive(&g, &t, &req(1, 300, 5000))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(second.len(), 1);
    assert!(
        waited < Duration::from_secs(2),
        "redelivered after {waited:?}"
    );
    assert_eq!(second[0].message.message_id, first[0].message.message_id);
    assert_eq!(second[0].delivery_attempt, 2);
    assert_ne!(second[0].receipt_handle, first[0].receipt_handle);
    // The first handle died with the redelivery.
    let e = env
        .broker
        .ack(&g, &t, &first[0].receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    env.broker
        .ack(&g, &t, &second[0].receipt_handle)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        env.broker
            .receive(&g, &t, &req(1, 300, 0))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn change_invisible_duration_issues_a_new_handle_and_kills_the_old_one() {
    let env = Env::new();
    let (t, g) = (topic("extend"), group("g"));
    send_n(&env.broker, &t, "m", 1).await;
    let d = env
        .broker
        .receive(&g, &t, &req(1, 200, 0))
        .await
        .unwrap()
        .remove(0);
    let changed = env
        .broker
        .change_invisible_duration(&g, &t, &d.receipt_handle, Duration::from_millis(1500))
        .await
        .unwrap();
    assert_ne!(changed.receipt_handle, d.receipt_handle);
    assert!(changed.invisible_until_ms > d.invisible_until_ms);
    // Past the original invisible time the message is still invisible.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        env.broker
            .receive(&g, &t, &req(1, 200, 0))
            .await
            .unwrap()
            .is_empty()
    );
    for stale in [&d.receipt_handle] {
        let e = env.broker.ack(&g, &t, stale).await.unwrap_err();
        assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
        let e = env
            .broker
            .change_invisible_duration(&g, &t, stale, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    }
    env.broker
        .ack(&g, &t, &changed.receipt_handle)
        .await
        .unwrap();
    // Acked twice: the second is stale.
    let e = env
        .broker
        .ack(&g, &t, &changed.receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
}

#[tokio::test]
async fn zero_invisible_duration_redelivers_at_once_to_a_waiting_receiver() {
    let env = Env::new();
    let (t, g) = (topic("nack"), group("g"));
    send_n(&env.broker, &t, "m", 1).await;
    let d = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 0))
        .await
        .unwrap()
        .remove(0);
    let waiter = {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let got = broker.receive(&g, &t, &req(1, 60_000, 5000)).await.unwrap();
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    env.broker
        .change_invisible_duration(&g, &t, &d.receipt_handle, Duration::ZERO)
        .await
        .unwrap();
    let (got, waited) = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].delivery_attempt, 2);
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
}

#[tokio::test]
async fn a_foreign_groups_or_topics_handle_is_refused() {
    let env = Env::new();
    let (t, other_t) = (topic("own"), topic("other"));
    send_n(&env.broker, &t, "m", 1).await;
    send_n(&env.broker, &other_t, "m", 1).await;
    let d = env
        .broker
        .receive(&group("ga"), &t, &req(1, 5000, 0))
        .await
        .unwrap()
        .remove(0);
    // Group gb has the same offset in flight, under another token.
    let mine = env
        .broker
        .receive(&group("gb"), &t, &req(1, 5000, 0))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(mine.message.queue_offset, d.message.queue_offset);
    let e = env
        .broker
        .ack(&group("gb"), &t, &d.receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    let e = env
        .broker
        .ack(&group("never"), &t, &d.receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    let e = env
        .broker
        .ack(&group("ga"), &other_t, &d.receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    let e = env
        .broker
        .ack(&group("ga"), &t, "not-a-handle")
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    assert!(!e.to_string().contains(&d.receipt_handle));
    // The rightful owners still can.
    env.broker
        .ack(&group("ga"), &t, &d.receipt_handle)
        .await
        .unwrap();
    env.broker
        .ack(&group("gb"), &t, &mine.receipt_handle)
        .await
        .unwrap();
}

#[tokio::test]
async fn ack_many_answers_each_handle() {
    let env = Env::new();
    let (t, g) = (topic("many"), group("g"));
    send_n(&env.broker, &t, "m", 3).await;
    let got = env.broker.receive(&g, &t, &req(3, 5000, 0)).await.unwrap();
    let handles: Vec<&str> = got.iter().map(|d| d.receipt_handle.as_str()).collect();
    let results = env
        .broker
        .ack_many(
            &g,
            &t,
            &[handles[0], "garbage", handles[1], handles[0], handles[2]],
        )
        .await;
    let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
    assert_eq!(ok, vec![true, false, true, false, true]);
    let stats = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((stats.ready, stats.inflight), (0, 0));
}

#[tokio::test]
async fn long_polling_returns_promptly_when_a_message_arrives() {
    let env = Env::new();
    let (t, g) = (topic("poll"), group("g"));
    let receiver = {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let got = broker.receive(&g, &t, &req(4, 5000, 10_000)).await.unwrap();
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    send_n(&env.broker, &t, "late", 1).await;
    let (got, waited) = receiver.await.unwrap();
    assert_eq!(ids(&got), vec!["late-0000"]);
    assert!(
        waited < Duration::from_secs(2),
        "waited {waited:?} of a 10 s poll"
    );
}

#[tokio::test]
async fn an_unbounded_long_poll_is_answered_by_a_send() {
    let env = Env::new();
    let (t, g) = (topic("forever"), group("g"));
    let receiver = {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        tokio::spawn(async move {
            let r = ReceiveRequest::new(1, Duration::from_secs(5), Duration::MAX);
            broker.receive(&g, &t, &r).await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    send_n(&env.broker, &t, "m", 1).await;
    assert_eq!(receiver.await.unwrap().len(), 1);
}

#[tokio::test]
async fn long_polling_returns_empty_at_the_timeout() {
    let env = Env::new();
    let (t, g) = (topic("quiet"), group("g"));
    // A message in another topic does not answer this poll.
    send_n(&env.broker, &topic("noise"), "n", 1).await;
    let started = Instant::now();
    let got = env
        .broker
        .receive(&g, &t, &req(4, 5000, 400))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(got.is_empty());
    assert!(
        waited >= Duration::from_millis(390),
        "answered early: {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(1500),
        "answered late: {waited:?}"
    );
}

#[tokio::test]
async fn long_polling_receivers_answer_empty_when_the_broker_closes() {
    let env = Env::new();
    let (t, g) = (topic("closing"), group("g"));
    let receiver = {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        tokio::spawn(async move { broker.receive(&g, &t, &req(4, 5000, 10_000)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    env.broker.close().await.unwrap();
    let got = receiver.await.unwrap().unwrap();
    assert!(got.is_empty());
    assert!(started.elapsed() < Duration::from_secs(2));
    let e = env
        .broker
        .receive(&g, &t, &req(4, 5000, 0))
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INTERNAL_ERROR);
}

#[tokio::test]
async fn tag_filter_delivers_matching_messages_and_skips_the_rest_for_the_group() {
    let env = Env::new();
    let t = topic("tags");
    for (i, tag) in ["a", "b", "c", "a", "c"].iter().enumerate() {
        let mut m = msg(&format!("m{i}"), "x");
        m.tag = Some(tag.to_string());
        env.broker.send(&t, vec![m]).await.unwrap();
    }
    env.broker
        .send(&t, vec![msg("untagged", "x")])
        .await
        .unwrap();
    let mut r = req(32, 5000, 0);
    r.filter = Filter::tag_expression("a || c").unwrap();
    let got = env.broker.receive(&group("g"), &t, &r).await.unwrap();
    assert_eq!(ids(&got), vec!["m0", "m2", "m3", "m4"]);
    // The others count as consumed by this group, not by another one.
    assert!(
        env.broker
            .receive(&group("g"), &t, &req(32, 5000, 0))
            .await
            .unwrap()
            .is_empty()
    );
    let stats = env.broker.group_topic_stats(&group("g"), &t).unwrap();
    assert_eq!((stats.ready, stats.inflight), (0, 4));
    assert_eq!(drain(&env.broker, &group("all"), &t, 5000).await.len(), 6);
}

#[tokio::test]
async fn stats_count_ready_and_in_flight_messages() {
    let env = Env::new();
    let (t, g) = (topic("lag"), group("g"));
    let fresh = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((fresh.ready, fresh.inflight, fresh.queues.len()), (0, 0, 4));
    send_n(&env.broker, &t, "m", 10).await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!(
        (s.ready, s.inflight),
        (10, 0),
        "a new group starts at the earliest offset"
    );
    let got = env.broker.receive(&g, &t, &req(4, 300, 0)).await.unwrap();
    assert_eq!(got.len(), 4);
    env.broker
        .ack(&g, &t, &got[0].receipt_handle)
        .await
        .unwrap();
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!((s.ready, s.inflight), (6, 3));
    assert_eq!(s.queues.iter().map(|q| q.max_offset).sum::<u64>(), 10);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let s = env.broker.group_topic_stats(&g, &t).unwrap();
    assert_eq!(
        (s.ready, s.inflight),
        (9, 0),
        "expired deliveries are ready again"
    );
}

#[tokio::test]
async fn receive_from_one_queue_only() {
    let env = Env::new();
    let t = topic("oneq");
    let receipts = env
        .broker
        .send(&t, (0..8).map(|i| msg(&format!("m{i}"), "x")).collect())
        .await
        .unwrap();
    let mut r = req(32, 5000, 0);
    r.queue_id = Some(1);
    let got = env.broker.receive(&group("g"), &t, &r).await.unwrap();
    let want = receipts.iter().filter(|r| r.queue_id == 1).count();
    assert_eq!(got.len(), want);
    assert!(got.iter().all(|d| d.message.queue_id == 1));
    r.queue_id = Some(4);
    let e = env.broker.receive(&group("g"), &t, &r).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::BAD_REQUEST);
}

#[tokio::test]
async fn receive_limits_are_refused_with_their_codes() {
    let env = Env::new();
    let (t, g) = (topic("rlimits"), group("g"));
    let bad: Vec<(ReceiveRequest, i32)> = vec![
        (req(0, 5000, 0), code::BAD_REQUEST),
        (req(33, 5000, 0), code::BAD_REQUEST),
        (req(1, 10, 0), code::ILLEGAL_INVISIBLE_TIME),
        (req(1, 13 * 3600 * 1000, 0), code::ILLEGAL_INVISIBLE_TIME),
    ];
    for (r, want) in bad {
        let e = env.broker.receive(&g, &t, &r).await.unwrap_err();
        assert_eq!(e.rocketmq_code(), want, "{e}");
    }
    send_n(&env.broker, &t, "m", 1).await;
    let d = env
        .broker
        .receive(&g, &t, &req(1, 5000, 0))
        .await
        .unwrap()
        .remove(0);
    let e = env
        .broker
        .change_invisible_duration(&g, &t, &d.receipt_handle, Duration::from_secs(13 * 3600))
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::ILLEGAL_INVISIBLE_TIME);
    let foreign =
        petrel_broker::GroupRef::new(common::OTHER_ACCOUNT, common::INSTANCE, "g").unwrap();
    let e = env
        .broker
        .receive(&foreign, &t, &req(1, 5000, 0))
        .await
        .unwrap_err();
    assert_eq!(
        e.rocketmq_code(),
        code::BAD_REQUEST,
        "group and topic of different accounts"
    );
}

/// Sends racing with receives: a receive that reads messages appended after it took the
/// queue's bounds must still hold its leases, so nothing is delivered twice and every ack
/// finds its delivery.
async fn deliver_each_once_while_sending(orderly: bool) {
    let env = Env::new();
    let t = if orderly {
        common::typed_topic("race", petrel_broker::MessageType::Fifo, 1)
    } else {
        common::typed_topic("race", petrel_broker::MessageType::Normal, 1)
    };
    let g = group("g");
    const SENDERS: usize = 8;
    const PER_SENDER: usize = 300;
    let mut senders = tokio::task::JoinSet::new();
    for s in 0..SENDERS {
        let (broker, t) = (env.broker.clone(), t.clone());
        senders.spawn(async move {
            for i in 0..PER_SENDER {
                let id = format!("s{s}-{i}");
                // One message group per message: FIFO then blocks nothing.
                let m = if orderly {
                    common::fifo_msg(&id, &id)
                } else {
                    msg(&id, "x")
                };
                broker.send(&t, vec![m]).await.unwrap();
                // Paced, so receivers wait at the head of the queue, where a read overtakes
                // the bounds the receive started with.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
    }
    let total = SENDERS * PER_SENDER;
    let mut receivers = tokio::task::JoinSet::new();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    for _ in 0..2 {
        let (broker, t, g, seen) = (env.broker.clone(), t.clone(), g.clone(), seen.clone());
        receivers.spawn(async move {
            let r = ReceiveRequest {
                orderly,
                ..req(4, 60_000, 100)
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while seen.lock().unwrap().len() < total && Instant::now() < deadline {
                let got = broker.receive(&g, &t, &r).await.unwrap();
                for d in &got {
                    seen.lock().unwrap().push(d.message.message_id.clone());
                    broker
                        .ack(&g, &t, &d.receipt_handle)
                        .await
                        .unwrap_or_else(|e| panic!("ack of {}: {e}", d.message.message_id));
                }
            }
        });
    }
    while let Some(r) = senders.join_next().await {
        r.unwrap();
    }
    while let Some(r) = receivers.join_next().await {
        r.unwrap();
    }
    let seen = seen.lock().unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), total, "every message delivered");
    assert_eq!(seen.len(), total, "no message delivered twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_sent_during_a_receive_are_delivered_once() {
    deliver_each_once_while_sending(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifo_messages_sent_during_an_orderly_receive_are_delivered_once() {
    deliver_each_once_while_sending(true).await;
}
