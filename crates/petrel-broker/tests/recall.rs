//! Recall of delay messages: a recalled message is never delivered (also after a crash or a
//! restart), the others keep their time, and a handle that names no pending message of the
//! topic is refused with a clear code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use common::{Env, delay_msg, group, msg, now_ms, req, typed_topic};
use petrel_broker::{MessageType, TopicRef, code};

fn delay_topic(name: &str) -> TopicRef {
    typed_topic(name, MessageType::Delay, 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_delay_message_is_never_delivered_even_after_a_crash() {
    let env = Env::new();
    let (t, g) = (delay_topic("recall"), group("g"));
    let due = now_ms() + 1500;
    let receipts = env
        .broker
        .send(&t, vec![delay_msg("keep", due), delay_msg("gone", due)])
        .await
        .unwrap();
    let handle = receipts[1].recall_handle.clone().expect("a recall handle");
    assert!(receipts[0].recall_handle.is_some());
    assert_ne!(receipts[0].recall_handle, receipts[1].recall_handle);
    assert_eq!(env.broker.recall(&t, &handle).await.unwrap(), "gone");
    assert_eq!(env.broker.pending_delayed(), 1);

    // Durable: kill -9 right after the recall answered.
    let env = env.crash().await;
    assert_eq!(env.broker.pending_delayed(), 1);
    let got = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 5000))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message.message_id, "keep");
    assert!(now_ms() >= due);
    env.broker
        .ack(&g, &t, &got[0].receipt_handle)
        .await
        .unwrap();
    let env = env.restart().await;
    assert_eq!(env.broker.pending_delayed(), 0);
    let after = env
        .broker
        .receive(&g, &t, &req(32, 60_000, 1000))
        .await
        .unwrap();
    assert!(
        after.is_empty(),
        "recalled message delivered: {:?}",
        after[0].message.message_id
    );
    // Recalling it again, after the restart, names nothing pending.
    let e = env.broker.recall(&t, &handle).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::NOT_FOUND);
}

#[tokio::test]
async fn recalling_a_delivered_foreign_or_malformed_handle_is_refused() {
    let env = Env::new();
    let (t, other, g) = (delay_topic("r1"), delay_topic("r2"), group("g"));
    let soon = env
        .broker
        .send(&t, vec![delay_msg("soon", now_ms() + 300)])
        .await
        .unwrap();
    let handle = soon[0].recall_handle.clone().unwrap();
    // Another topic's handle is not this topic's message.
    let e = env.broker.recall(&other, &handle).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::NOT_FOUND);
    assert!(e.to_string().contains("r2"), "{e}");

    let got = env
        .broker
        .receive(&g, &t, &req(1, 60_000, 5000))
        .await
        .unwrap();
    assert_eq!(got[0].message.message_id, "soon");
    let e = env.broker.recall(&t, &handle).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::NOT_FOUND);
    assert!(e.to_string().contains("already delivered"), "{e}");

    for bad in ["", "nonsense", "r1zzzzzzzzzzzzzzzzsoon"] {
        let e = env.broker.recall(&t, bad).await.unwrap_err();
        assert_eq!(e.rocketmq_code(), code::BAD_REQUEST, "{bad}");
    }
    // A handle naming a real offset but another message id.
    let forged = handle.replace("soon", "else");
    let e = env.broker.recall(&t, &forged).await.unwrap_err();
    assert_eq!(e.rocketmq_code(), code::NOT_FOUND);

    // Only messages waiting in the timer have a handle.
    let plain = env
        .broker
        .send(
            &typed_topic("n", MessageType::Normal, 1),
            vec![msg("now", "x")],
        )
        .await
        .unwrap();
    assert_eq!(plain[0].recall_handle, None);
}
