//! Namespaces: equal instance, topic and group names in two accounts (or two instances of one
//! account) never see each other's messages, progress or receipt handles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use common::{ACCOUNT, Env, INSTANCE, OTHER_ACCOUNT, drain, ids, msg, req, spec};
use petrel_broker::{GroupRef, TopicRef, code};

#[tokio::test]
async fn accounts_with_the_same_names_never_see_each_others_messages() {
    let env = Env::new();
    let ta = TopicRef::new(ACCOUNT, INSTANCE, "t", spec(2)).unwrap();
    let tb = TopicRef::new(OTHER_ACCOUNT, INSTANCE, "t", spec(2)).unwrap();
    let ga = GroupRef::new(ACCOUNT, INSTANCE, "g").unwrap();
    let gb = GroupRef::new(OTHER_ACCOUNT, INSTANCE, "g").unwrap();
    assert_ne!(ta.store_topic(), tb.store_topic());

    env.broker
        .send(&ta, vec![msg("a-1", "for a")])
        .await
        .unwrap();
    // The same message id in the other account is a different message, not a duplicate.
    let rb = env
        .broker
        .send(&tb, vec![msg("a-1", "for b")])
        .await
        .unwrap();
    assert!(!rb[0].duplicate);
    env.broker
        .send(&tb, vec![msg("b-2", "for b")])
        .await
        .unwrap();

    let got_a = env
        .broker
        .receive(&ga, &ta, &req(32, 5000, 0))
        .await
        .unwrap();
    assert_eq!(ids(&got_a), vec!["a-1"]);
    assert_eq!(&got_a[0].message.body[..], b"for a");
    let got_b = env
        .broker
        .receive(&gb, &tb, &req(32, 5000, 0))
        .await
        .unwrap();
    assert_eq!(ids(&got_b), vec!["a-1", "b-2"]);
    assert!(got_b.iter().all(|d| &d.message.body[..] == b"for b"));

    // Account B's group with the very same names cannot use account A's handle.
    let e = env
        .broker
        .ack(&gb, &tb, &got_a[0].receipt_handle)
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::INVALID_RECEIPT_HANDLE);
    env.broker
        .ack(&ga, &ta, &got_a[0].receipt_handle)
        .await
        .unwrap();
    let sa = env.broker.group_topic_stats(&ga, &ta).unwrap();
    let sb = env.broker.group_topic_stats(&gb, &tb).unwrap();
    assert_eq!((sa.ready, sa.inflight), (0, 0));
    assert_eq!((sb.ready, sb.inflight), (0, 2));
}

#[tokio::test]
async fn instances_of_one_account_are_isolated_too() {
    let env = Env::new();
    let t1 = TopicRef::new(ACCOUNT, "inst-1", "t", spec(1)).unwrap();
    let t2 = TopicRef::new(ACCOUNT, "inst-2", "t", spec(1)).unwrap();
    env.broker.send(&t1, vec![msg("m", "one")]).await.unwrap();
    let g2 = GroupRef::new(ACCOUNT, "inst-2", "g").unwrap();
    assert!(drain(&env.broker, &g2, &t2, 5000).await.is_empty());
    let g1 = GroupRef::new(ACCOUNT, "inst-1", "g").unwrap();
    assert_eq!(ids(&drain(&env.broker, &g1, &t1, 5000).await), vec!["m"]);
    // A group cannot consume a topic of another instance.
    let e = env
        .broker
        .receive(&g2, &t1, &req(1, 5000, 0))
        .await
        .unwrap_err();
    assert_eq!(e.rocketmq_code(), code::BAD_REQUEST);
}
