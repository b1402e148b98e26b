//! Transactional messages: half messages stay invisible until committed, rollbacks discard
//! them, unresolved ones are checked and finally rolled back, and all of it holds across
//! restarts and crashes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::time::Duration;

use common::{Env, group, msg, req, typed_topic};
use petrel_broker::{
    BrokerConfig, MessageType, OutgoingMessage, TopicRef, TransactionResolution, code,
};

fn txn_topic(name: &str) -> TopicRef {
    typed_topic(name, MessageType::Transaction, 2)
}

fn txn_msg(id: &str) -> OutgoingMessage {
    let mut m = msg(id, &format!("body of {id}"));
    m.message_type = MessageType::Transaction;
    m
}

fn checking(delay_ms: u64, interval_ms: u64, max: u32) -> BrokerConfig {
    BrokerConfig {
        transaction_check_delay: Duration::from_millis(delay_ms),
        transaction_check_interval: Duration::from_millis(interval_ms),
        transaction_max_checks: max,
        ..BrokerConfig::for_tests()
    }
}

#[tokio::test]
async fn a_half_message_is_invisible_until_committed() {
    let env = Env::new();
    let (t, g) = (txn_topic("commit"), group("g"));
    let r = env.broker.send(&t, vec![txn_msg("tx1")]).await.unwrap();
    let tid = r[0].transaction_id.clone().unwrap();
    assert!(!tid.is_empty());
    assert!(
        env.broker
            .receive(&g, &t, &req(32, 60_000, 200))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(env.broker.group_topic_stats(&g, &t).unwrap().ready, 0);
    assert_eq!(env.broker.pending_transactions(), 1);

    let waiter = {
        let (broker, t, g) = (env.broker.clone(), t.clone(), g.clone());
        tokio::spawn(async move {
            broker
                .receive(&g, &t, &req(32, 60_000, 5000))
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    env.broker
        .end_transaction(&t, "tx1", &tid, TransactionResolution::Commit)
        .await
        .unwrap();
    let got = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message.message_id, "tx1");
    assert_eq!(got[0].message.message_type, MessageType::Transaction);
    assert_eq!(&got[0].message.body[..], b"body of tx1");
    assert_eq!(env.broker.pending_transactions(), 0);
    // Ending it again is refused.
    let e = env
        .broker
        .end_transaction(&t, "tx1", &tid, TransactionResolution::Rollback)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_TRANSACTION_ID);
}

#[tokio::test]
async fn a_rolled_back_message_is_never_delivered() {
    let env = Env::new();
    let (t, g) = (txn_topic("rollback"), group("g"));
    let r = env
        .broker
        .send(&t, vec![txn_msg("keep"), txn_msg("drop")])
        .await
        .unwrap();
    let (keep, drop) = (
        r[0].transaction_id.clone().unwrap(),
        r[1].transaction_id.clone().unwrap(),
    );
    assert_ne!(keep, drop);
    env.broker
        .end_transaction(&t, "drop", &drop, TransactionResolution::Rollback)
        .await
        .unwrap();
    env.broker
        .end_transaction(&t, "keep", &keep, TransactionResolution::Commit)
        .await
        .unwrap();
    let got = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 300))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message.message_id, "keep");
}

#[tokio::test]
async fn foreign_malformed_and_mismatched_transaction_ids_are_refused() {
    let env = Env::new();
    let t = txn_topic("ids");
    let r = env.broker.send(&t, vec![txn_msg("m1")]).await.unwrap();
    let tid = r[0].transaction_id.clone().unwrap();
    let commit = TransactionResolution::Commit;
    for (topic, id, tid) in [
        (t.clone(), "m1", "garbage".to_string()),
        (t.clone(), "other", tid.clone()),
        (txn_topic("elsewhere"), "m1", tid.clone()),
        // Right shape and offset, wrong secret.
        (t.clone(), "m1", format!("{}{}", &tid[..18], "0".repeat(32))),
    ] {
        let e = env
            .broker
            .end_transaction(&topic, id, &tid, commit)
            .await
            .unwrap_err();
        assert_eq!(e.rocketmq_code(), code::INVALID_TRANSACTION_ID, "{e}");
    }
    env.broker
        .end_transaction(&t, "m1", &tid, commit)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unresolved_transaction_is_checked_then_rolled_back() {
    let env = Env::with_config(checking(200, 200, 3));
    let (t, g) = (txn_topic("orphan"), group("g"));
    let mut checks = env.broker.transaction_checks();
    let r = env.broker.send(&t, vec![txn_msg("orphan")]).await.unwrap();
    let tid = r[0].transaction_id.clone().unwrap();
    for n in 1..=3 {
        let c = tokio::time::timeout(Duration::from_secs(3), checks.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.check, n);
        assert_eq!(c.transaction_id, tid);
        assert_eq!(c.message.message_id, "orphan");
        assert_eq!(c.message.topic, "orphan");
        assert_eq!(c.account, common::ACCOUNT);
        assert_eq!(c.instance, common::INSTANCE);
    }
    // After the last check it is rolled back, and nothing more is asked.
    assert!(
        tokio::time::timeout(Duration::from_millis(800), checks.recv())
            .await
            .is_err()
    );
    assert_eq!(env.broker.pending_transactions(), 0);
    let e = env
        .broker
        .end_transaction(&t, "orphan", &tid, TransactionResolution::Commit)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_TRANSACTION_ID);
    assert!(
        env.broker
            .receive(&g, &t, &req(32, 60_000, 200))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn answering_a_check_ends_the_checks() {
    let env = Env::with_config(checking(100, 100, 10));
    let (t, g) = (txn_topic("answer"), group("g"));
    let mut checks = env.broker.transaction_checks();
    env.broker.send(&t, vec![txn_msg("late")]).await.unwrap();
    let c = tokio::time::timeout(Duration::from_secs(3), checks.recv())
        .await
        .unwrap()
        .unwrap();
    env.broker
        .end_transaction(&t, "late", &c.transaction_id, TransactionResolution::Commit)
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(400), checks.recv())
            .await
            .is_err()
    );
    assert_eq!(
        env.broker
            .receive(&g, &t, &req(32, 60_000, 0))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn transactions_are_consistent_across_crashes() {
    let env = Env::with_config(checking(60_000, 60_000, 15));
    let (t, g) = (txn_topic("crash"), group("g"));
    let r = env
        .broker
        .send(&t, vec![txn_msg("a"), txn_msg("b"), txn_msg("c")])
        .await
        .unwrap();
    let tids: Vec<String> = r
        .iter()
        .map(|x| x.transaction_id.clone().unwrap())
        .collect();
    // A retried send (same id) gets the same transaction id, also after a crash.
    let again = env.broker.send(&t, vec![txn_msg("a")]).await.unwrap();
    assert_eq!(again[0].transaction_id.as_ref(), Some(&tids[0]));
    env.broker
        .end_transaction(&t, "a", &tids[0], TransactionResolution::Commit)
        .await
        .unwrap();
    env.broker
        .end_transaction(&t, "b", &tids[1], TransactionResolution::Rollback)
        .await
        .unwrap();

    let env = env.crash().await;
    assert_eq!(env.broker.pending_transactions(), 1);
    let again = env.broker.send(&t, vec![txn_msg("c")]).await.unwrap();
    assert_eq!(again[0].transaction_id.as_ref(), Some(&tids[2]));
    for (id, tid) in [("a", &tids[0]), ("b", &tids[1])] {
        let e = env
            .broker
            .end_transaction(&t, id, tid, TransactionResolution::Commit)
            .await
            .unwrap_err();
        assert_eq!(e.rocketmq_code(), code::INVALID_TRANSACTION_ID);
    }
    env.broker
        .end_transaction(&t, "c", &tids[2], TransactionResolution::Commit)
        .await
        .unwrap();
    let env = env.crash().await;
    let got = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 300))
        .await
        .unwrap();
    let mut ids: Vec<_> = got.iter().map(|d| d.message.message_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, vec!["a", "c"], "each commit delivered exactly once");
    assert_eq!(env.broker.pending_transactions(), 0);
}

#[tokio::test]
async fn the_check_count_survives_a_restart() {
    let env = Env::with_config(checking(100, 300, 2));
    let t = txn_topic("count");
    let mut checks = env.broker.transaction_checks();
    env.broker.send(&t, vec![txn_msg("x")]).await.unwrap();
    let c = tokio::time::timeout(Duration::from_secs(3), checks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.check, 1);
    let env = env.crash().await;
    let mut checks = env.broker.transaction_checks();
    let c = tokio::time::timeout(Duration::from_secs(3), checks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.check, 2, "the first check was remembered");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(env.broker.pending_transactions(), 0);
}
