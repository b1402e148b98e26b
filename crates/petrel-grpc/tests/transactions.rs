//! Transactions on the wire: a TRANSACTION send answers a transaction id and stays invisible,
//! EndTransaction commits or rolls back, and an unresolved one is checked by sending
//! RecoverOrphanedTransactionCommand to a live producer of the topic over Telemetry, whose
//! EndTransaction answer (SOURCE_SERVER_CHECK) ends it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

mod common;

use std::time::Duration;

use common::*;
use petrel_broker::BrokerConfig;
use petrel_model::MessageType;
use petrel_proto::v2;
use v2::settings::PubSub;
use v2::telemetry_command::Command;

const OK: i32 = 20000;
const TOPIC_TXN: &str = "t-txn";

fn txn_message(id: &str) -> v2::Message {
    let mut m = message(TOPIC_TXN, id, id.as_bytes());
    m.system_properties.as_mut().unwrap().message_type = v2::MessageType::Transaction as i32;
    m
}

fn end(id: &str, tid: &str, resolution: v2::TransactionResolution) -> v2::EndTransactionRequest {
    v2::EndTransactionRequest {
        topic: resource(TOPIC_TXN),
        message_id: id.to_owned(),
        transaction_id: tid.to_owned(),
        resolution: resolution as i32,
        source: v2::TransactionSource::SourceClient as i32,
        trace_context: String::new(),
    }
}

async fn receive_ids(client: &mut Client, key: &Key, poll: Duration) -> (i32, Vec<String>) {
    let (status, got) = receive(
        client,
        key,
        receive_request(TOPIC_TXN, GROUP, Duration::from_secs(30), poll),
        poll + Duration::from_secs(3),
    )
    .await;
    let ids = got
        .iter()
        .map(|m| m.system_properties.as_ref().unwrap().message_id.clone())
        .collect();
    (status.code, ids)
}

#[tokio::test]
async fn end_transaction_commits_or_rolls_back_half_messages() {
    let env = Env::ready().await;
    env.create_typed_topic(INSTANCE, TOPIC_TXN, MessageType::Transaction, 2);
    let mut client = env.client().await;
    let r = send(
        &mut client,
        &env.root_key,
        vec![txn_message("01COMMIT"), txn_message("01ROLLBACK")],
    )
    .await;
    assert_eq!(r.status.unwrap().code, OK);
    let tids: Vec<String> = r.entries.iter().map(|e| e.transaction_id.clone()).collect();
    assert!(tids.iter().all(|t| !t.is_empty()), "{tids:?}");
    let (code, ids) = receive_ids(&mut client, &env.root_key, Duration::from_secs(5)).await;
    assert_eq!((code, ids.len()), (40401, 0), "half messages are invisible");

    for (id, tid, resolution) in [
        ("01COMMIT", &tids[0], v2::TransactionResolution::Commit),
        ("01ROLLBACK", &tids[1], v2::TransactionResolution::Rollback),
    ] {
        let r = client
            .end_transaction(req(end(id, tid, resolution), Some(&env.root_key)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status.unwrap().code, OK);
    }
    let (code, ids) = receive_ids(&mut client, &env.root_key, Duration::from_secs(5)).await;
    assert_eq!((code, ids), (OK, vec!["01COMMIT".to_string()]));

    // Ended already, malformed, empty: INVALID_TRANSACTION_ID; unsigned: UNAUTHORIZED.
    for (tid, want) in [(tids[0].as_str(), 40008), ("nonsense", 40008), ("", 40008)] {
        let r = client
            .end_transaction(req(
                end("01COMMIT", tid, v2::TransactionResolution::Commit),
                Some(&env.root_key),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status.unwrap().code, want, "{tid}");
    }
    let r = client
        .end_transaction(req(
            end("01COMMIT", &tids[0], v2::TransactionResolution::Commit),
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 40100);
    env.stop().await;
}

#[tokio::test]
async fn an_orphaned_transaction_is_checked_with_a_live_producer_over_telemetry() {
    let env = Env::ready_with(BrokerConfig {
        transaction_check_delay: Duration::from_millis(300),
        transaction_check_interval: Duration::from_millis(500),
        ..BrokerConfig::for_tests()
    })
    .await;
    env.create_typed_topic(INSTANCE, TOPIC_TXN, MessageType::Transaction, 2);
    let mut client = env.client().await;

    // The producer's Telemetry stream, with settings naming the topic.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut inbound = client
        .telemetry(req(
            tokio_stream::wrappers::ReceiverStream::new(rx),
            Some(&env.root_key),
        ))
        .await
        .unwrap()
        .into_inner();
    tx.send(v2::TelemetryCommand {
        status: None,
        command: Some(Command::Settings(v2::Settings {
            client_type: Some(v2::ClientType::Producer as i32),
            pub_sub: Some(PubSub::Publishing(v2::Publishing {
                topics: vec![resource(TOPIC_TXN).unwrap()],
                max_body_size: 0,
                validate_message_type: true,
            })),
            ..Default::default()
        })),
    })
    .await
    .unwrap();
    let settings = inbound.message().await.unwrap().unwrap();
    assert!(matches!(settings.command, Some(Command::Settings(_))));

    let r = send(&mut client, &env.root_key, vec![txn_message("01ORPHAN")]).await;
    let tid = r.entries[0].transaction_id.clone();

    // "Unknown" answers keep it open: the producer is asked again.
    let mut asked = 0;
    let check = loop {
        let cmd = tokio::time::timeout(Duration::from_secs(5), inbound.message())
            .await
            .expect("a check arrives")
            .unwrap()
            .unwrap();
        let Some(Command::RecoverOrphanedTransactionCommand(check)) = cmd.command else {
            panic!("unexpected command {cmd:?}")
        };
        asked += 1;
        if asked == 2 {
            break check;
        }
        let r = client
            .end_transaction(req(
                end(
                    "01ORPHAN",
                    &check.transaction_id,
                    v2::TransactionResolution::Unspecified,
                ),
                Some(&env.root_key),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status.unwrap().code, OK);
    };
    assert_eq!(check.transaction_id, tid);
    // The message satisfies spec §7 (Node builds a MessageView from it).
    let m = check.message.unwrap();
    assert_eq!(m.topic.as_ref().unwrap().name, TOPIC_TXN);
    let sp = m.system_properties.unwrap();
    assert_eq!(sp.message_id, "01ORPHAN");
    assert_eq!(sp.message_type, v2::MessageType::Transaction as i32);
    assert_eq!(sp.body_encoding, v2::Encoding::Identity as i32);
    assert_eq!(sp.body_digest.unwrap().r#type, v2::DigestType::Md5 as i32);
    assert_eq!(&m.body[..], b"01ORPHAN");

    let mut answer = end("01ORPHAN", &tid, v2::TransactionResolution::Commit);
    answer.source = v2::TransactionSource::SourceServerCheck as i32;
    let r = client
        .end_transaction(req(answer, Some(&env.root_key)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, OK);
    let (code, ids) = receive_ids(&mut client, &env.root_key, Duration::from_secs(5)).await;
    assert_eq!((code, ids), (OK, vec!["01ORPHAN".to_string()]));
    drop(tx);
    env.stop().await;
}
