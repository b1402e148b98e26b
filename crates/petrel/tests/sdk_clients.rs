//! End to end with the official RocketMQ 5 SDKs (Python 5.1.2, Node.js 1.0.8, Rust 5.0.0,
//! installed by `scripts/setup-clients.sh`) against a real `petrel serve`: messages arrive
//! intact, unacked ones come back, RAM policies decide who may send and receive, and nothing
//! acknowledged is lost to SIGKILL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod common;
mod sdk;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sdk::{Code, Petrel, Run, Sdk};
use serde_json::Value;

/// Each SDK's own topic and group in one instance (the Rust SDK, which cannot name an
/// instance, is resolved by its topic).
fn names(sdk: Sdk) -> (String, String) {
    let s = format!("{sdk:?}").to_lowercase();
    (format!("t-{s}"), format!("GID_{s}"))
}

/// An activated account with instance `inst` holding `topics` and `groups`, server running.
fn activated(topics: &[&str], groups: &[&str]) -> Petrel {
    let p = Petrel::init();
    p.cli(&["activate"]);
    p.cli(&["instance", "create", "inst"]);
    for t in topics {
        p.cli(&["topic", "create", "--instance", "inst", t]);
    }
    for g in groups {
        p.cli(&["group", "create", "--instance", "inst", g]);
    }
    p
}

fn bodies(run: &Run) -> BTreeSet<String> {
    run.received()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn each_sdk_sends_and_receives_bodies_tags_keys_and_properties_intact() {
    let mut topics = Vec::new();
    let mut groups = Vec::new();
    for sdk in Sdk::ALL {
        let (t, g) = names(sdk);
        topics.push(t);
        groups.push(g);
    }
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    let mut p = activated(&topics, &groups);
    p.start();

    let runs: Vec<(Sdk, Run, Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = Sdk::ALL
            .into_iter()
            .map(|sdk| {
                let p = p.target();
                s.spawn(move || {
                    let (topic, group) = names(sdk);
                    let sent = p
                        .produce(sdk, "inst", &topic, 5)
                        .arg("--tag", "TagA")
                        .arg("--keys", "order-2,order-1")
                        .arg("--property", "color=blue")
                        .arg("--property", "size=XL")
                        .arg("--body-prefix", format!("{sdk:?}-payload-"))
                        .run();
                    let got = p.consume(sdk, "inst", &topic, &group, 5).run();
                    (sdk, sent, got)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    for (sdk, sent, got) in runs {
        sent.assert_ok();
        got.assert_ok();
        let ids: BTreeSet<String> = sent.sent().into_iter().collect();
        assert_eq!(ids.len(), 5, "{}", sent.describe());
        let received = got.received();
        assert_eq!(received.len(), 5, "{}", got.describe());
        let got_ids: BTreeSet<String> = received
            .iter()
            .map(|m| m["message_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got_ids, ids, "{sdk:?}: the ids sent are the ids received");
        let expected: BTreeSet<String> = (0..5).map(|i| format!("{sdk:?}-payload-{i}")).collect();
        assert_eq!(bodies(&got), expected, "{sdk:?} bodies");
        for m in received {
            assert_eq!(m["topic"], names(sdk).0, "{sdk:?}: {m}");
            assert_eq!(m["tag"], "TagA", "{sdk:?}: {m}");
            assert_eq!(
                m["keys"],
                serde_json::json!(["order-1", "order-2"]),
                "{sdk:?}: {m}"
            );
            assert_eq!(m["properties"]["color"], "blue", "{sdk:?}: {m}");
            assert_eq!(m["properties"]["size"], "XL", "{sdk:?}: {m}");
            assert_eq!(m["delivery_attempt"], 1, "{sdk:?}: {m}");
        }
        assert_eq!(got.acked().len(), 5, "{}", got.describe());
    }
}

#[test]
fn messages_cross_between_sdks_and_each_group_gets_every_message_once() {
    let mut p = activated(&["t-mixed"], &["GID_py", "GID_node", "GID_rust"]);
    p.start();
    let py = p.produce(Sdk::Python, "inst", "t-mixed", 4).run();
    py.assert_ok();
    let node = p
        .produce(Sdk::Node, "inst", "t-mixed", 4)
        .arg("--body-prefix", "node-")
        .run();
    node.assert_ok();
    let all: BTreeSet<String> = py.sent().into_iter().chain(node.sent()).collect();
    assert_eq!(all.len(), 8);

    // Three groups, three SDKs: each group receives all eight, and nothing twice.
    for (sdk, group) in [
        (Sdk::Rust, "GID_rust"),
        (Sdk::Python, "GID_py"),
        (Sdk::Node, "GID_node"),
    ] {
        let got = p.consume(sdk, "inst", "t-mixed", group, 8).run();
        got.assert_ok();
        let ids: Vec<String> = got
            .received()
            .iter()
            .map(|m| m["message_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 8, "{}", got.describe());
        assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), all, "{sdk:?}");
    }
    // The group is drained: a second consumer of it finds nothing.
    let again = p
        .consume(Sdk::Python, "inst", "t-mixed", "GID_py", 1)
        .arg("--timeout-secs", 3)
        .run();
    assert_eq!(again.code, 3, "{}", again.describe());
    assert!(again.received().is_empty(), "{}", again.describe());
}

#[test]
fn python_and_node_push_consumers_receive_every_message() {
    let mut p = activated(&["t-push"], &["GID_push_py", "GID_push_node"]);
    p.start();
    let sent = p
        .produce(Sdk::Python, "inst", "t-push", 6)
        .arg("--tag", "push")
        .run();
    sent.assert_ok();
    let ids: BTreeSet<String> = sent.sent().into_iter().collect();
    for (sdk, group) in [(Sdk::Python, "GID_push_py"), (Sdk::Node, "GID_push_node")] {
        let got = p
            .consume(sdk, "inst", "t-push", group, 6)
            .arg("--mode", "push")
            .run();
        got.assert_ok();
        let got_ids: BTreeSet<String> = got
            .received()
            .iter()
            .map(|m| m["message_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got_ids, ids, "{sdk:?} push: {}", got.describe());
        assert!(got.received().iter().all(|m| m["tag"] == "push"));
    }
}

#[test]
fn a_message_received_and_not_acked_is_delivered_again_after_its_invisible_time() {
    let mut p = activated(&["t-redo"], &["GID_redo_py", "GID_redo_rust"]);
    p.start();
    p.produce(Sdk::Python, "inst", "t-redo", 1)
        .run()
        .assert_ok();

    for (sdk, group) in [(Sdk::Python, "GID_redo_py"), (Sdk::Rust, "GID_redo_rust")] {
        let first = p
            .consume(sdk, "inst", "t-redo", group, 1)
            .arg("--invisible-secs", 10)
            .flag("--no-ack")
            .run();
        first.assert_ok();
        let taken = Instant::now();
        assert_eq!(first.received()[0]["delivery_attempt"], 1);

        let second = p
            .consume(sdk, "inst", "t-redo", group, 1)
            .arg("--timeout-secs", 40)
            .run();
        let waited = taken.elapsed();
        second.assert_ok();
        let m = second.received()[0];
        assert_eq!(m["message_id"], first.received()[0]["message_id"]);
        assert_eq!(m["delivery_attempt"], 2, "{sdk:?}: {m}");
        // Not before the invisible time ran out (less a little for process start-up).
        assert!(
            waited >= Duration::from_secs(8),
            "{sdk:?}: redelivered after only {waited:?}"
        );
    }
}

#[test]
fn ram_users_may_send_and_receive_only_what_their_policies_allow() {
    let mut p = activated(&["t-open", "t-secret"], &["GID_ram"]);
    let publisher = p.user_with_key("publisher");
    let subscriber = p.user_with_key("subscriber");
    let nobody = p.user_with_key("nobody");
    let custom = p.user_with_key("custom");
    p.cli(&[
        "grant",
        "--user",
        "publisher",
        "--policy",
        "AliyunMQPubOnlyAccess",
    ]);
    p.cli(&[
        "grant",
        "--user",
        "subscriber",
        "--policy",
        "AliyunMQSubOnlyAccess",
    ]);
    let doc = p.data.parent().unwrap().join("no-secret-pub.json");
    std::fs::write(
        &doc,
        r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"mq:*","Resource":"*"},
            {"Effect":"Deny","Action":"mq:PUB","Resource":"acs:mq:*:*:inst%t-secret"}]}"#,
    )
    .unwrap();
    p.cli(&[
        "policy",
        "create",
        "NoSecretPub",
        "--document",
        doc.to_str().unwrap(),
    ]);
    // `mq:*` on `*` is high-risk: attaching it needs the confirmation.
    p.cli(&[
        "grant",
        "--user",
        "custom",
        "--policy",
        "custom:NoSecretPub",
        "--confirm-high-risk",
    ]);
    p.start();

    // PubOnly sends (with every SDK) and cannot receive.
    for sdk in Sdk::ALL {
        p.produce(sdk, "inst", "t-open", 1)
            .key(&publisher)
            .run()
            .assert_ok();
    }
    p.consume(Sdk::Python, "inst", "t-open", "GID_ram", 1)
        .key(&publisher)
        .run()
        .assert_refused(Code::Forbidden, &["implicit deny", "mq:SUB"]);
    p.consume(Sdk::Rust, "inst", "t-open", "GID_ram", 1)
        .key(&publisher)
        .run()
        .assert_refused(Code::Forbidden, &["mq:SUB"]);

    // SubOnly receives what the publisher sent and cannot send.
    let got = p
        .consume(Sdk::Node, "inst", "t-open", "GID_ram", 3)
        .key(&subscriber)
        .run();
    got.assert_ok();
    assert_eq!(got.received().len(), 3, "{}", got.describe());
    for sdk in [Sdk::Python, Sdk::Node, Sdk::Rust] {
        p.produce(sdk, "inst", "t-open", 1)
            .key(&subscriber)
            .run()
            .assert_refused(Code::Forbidden, &["mq:PUB"]);
    }

    // No grant: neither.
    p.produce(Sdk::Python, "inst", "t-open", 1)
        .key(&nobody)
        .run()
        .assert_refused(Code::Forbidden, &["implicit deny", "mq:PUB"]);
    p.consume(Sdk::Node, "inst", "t-open", "GID_ram", 1)
        .key(&nobody)
        .run()
        .assert_refused(Code::Forbidden, &[]);

    // mq:* minus PUB on one topic: that topic only, and the deny is named.
    p.produce(Sdk::Python, "inst", "t-open", 1)
        .key(&custom)
        .run()
        .assert_ok();
    p.produce(Sdk::Python, "inst", "t-secret", 1)
        .key(&custom)
        .run()
        .assert_refused(Code::Forbidden, &["explicit deny", "NoSecretPub"]);
    p.produce(Sdk::Node, "inst", "t-secret", 1)
        .key(&custom)
        .run()
        .assert_refused(Code::Forbidden, &["explicit deny"]);

    // Wrong secret, unknown key: unauthenticated, and the message says which.
    let wrong = sdk::Key {
        id: publisher.id.clone(),
        secret: "not-the-secret-at-all-000000000".to_owned(),
    };
    p.produce(Sdk::Python, "inst", "t-open", 1)
        .key(&wrong)
        .run()
        .assert_refused(Code::Unauthorized, &["signature"]);
    p.produce(Sdk::Rust, "inst", "t-open", 1)
        .key(&wrong)
        .run()
        .assert_refused(Code::Unauthorized, &[]);
    let unknown = sdk::Key {
        id: "LTAI0000000000000000none".to_owned(),
        secret: "whatever-secret".to_owned(),
    };
    p.produce(Sdk::Node, "inst", "t-open", 1)
        .key(&unknown)
        .run()
        .assert_refused(Code::Unauthorized, &["LTAI0000000000000000none"]);
}

#[test]
fn a_grant_scoped_to_one_resource_group_does_not_reach_an_instance_in_another() {
    let mut p = Petrel::init();
    p.cli(&["activate"]);
    let team_a = p.cli(&["rg", "create", "team-a"]);
    let team_b = p.cli(&["rg", "create", "team-b"]);
    let (rg_a, rg_b) = (
        team_a["id"].as_str().unwrap().to_owned(),
        team_b["id"].as_str().unwrap().to_owned(),
    );
    p.cli(&["instance", "create", "inst-a", "--resource-group", &rg_a]);
    p.cli(&["instance", "create", "inst-b", "--resource-group", &rg_b]);
    p.cli(&["topic", "create", "--instance", "inst-a", "t-a"]);
    p.cli(&["topic", "create", "--instance", "inst-b", "t-b"]);
    let carol = p.user_with_key("carol");
    p.cli(&[
        "grant",
        "--user",
        "carol",
        "--policy",
        "AliyunMQPubOnlyAccess",
        "--scope",
        &rg_a,
    ]);
    p.start();
    for sdk in [Sdk::Python, Sdk::Rust] {
        p.produce(sdk, "inst-a", "t-a", 1)
            .key(&carol)
            .run()
            .assert_ok();
    }
    p.produce(Sdk::Python, "inst-b", "t-b", 1)
        .key(&carol)
        .run()
        .assert_refused(Code::Forbidden, &["implicit deny", "resource group"]);
    p.produce(Sdk::Node, "inst-b", "t-b", 1)
        .key(&carol)
        .run()
        .assert_refused(Code::Forbidden, &[&rg_b]);

    // Moving the instance into the granted group extends the grant to it.
    p.server.take().unwrap().terminate();
    p.cli(&["rg", "move", "inst-b", "--to", &rg_a]);
    p.start();
    p.produce(Sdk::Python, "inst-b", "t-b", 1)
        .key(&carol)
        .run()
        .assert_ok();
}

#[test]
fn before_activation_every_sdk_is_refused_with_a_message_naming_activation() {
    let mut p = Petrel::init();
    p.start();
    for sdk in Sdk::ALL {
        let run = p.produce(sdk, "inst", "t-any", 1).run();
        run.assert_refused(Code::Forbidden, &["activat"]);
    }
    p.consume(Sdk::Python, "inst", "t-any", "GID_any", 1)
        .run()
        .assert_refused(Code::Forbidden, &["activat"]);
}

#[test]
fn every_send_acknowledged_before_a_sigkill_is_consumed_after_restart() {
    let mut p = activated(&["t-crash"], &["GID_crash"]);
    p.start();
    let producer = p
        .produce(Sdk::Python, "inst", "t-crash", 100_000)
        .arg("--body-prefix", "crash-")
        .arg("--deadline-secs", 60)
        .flag("--stop-on-error")
        .spawn();
    // Kill once the run is well under way, however slow the machine is.
    let seen = producer.wait_for_events("sent", 200, Duration::from_secs(60));
    assert!(
        seen >= 200,
        "the producer got only {seen} sends through in 60 s"
    );
    p.kill_hard();
    let produced = producer.wait();
    let acked = produced.sent();
    assert!(
        acked.len() >= 200 && acked.len() < 100_000,
        "the kill should land mid-run: {} acknowledged; {}",
        acked.len(),
        produced.describe()
    );
    assert_ne!(produced.code, 0, "{}", produced.describe());
    eprintln!("{} sends acknowledged before the SIGKILL", acked.len());

    p.start();
    // A send the server made durable but whose answer the kill cut off may come back too, so
    // consume until every acknowledged id is in, or a round brings nothing new.
    let mut received: BTreeMap<String, Value> = BTreeMap::new();
    let mut last = None;
    loop {
        let missing = acked
            .iter()
            .filter(|id| !received.contains_key(*id))
            .count();
        if missing == 0 {
            break;
        }
        let got = p
            .consume(Sdk::Rust, "inst", "t-crash", "GID_crash", missing)
            .arg("--timeout-secs", if last.is_none() { 60 } else { 10 })
            .run();
        let before = received.len();
        for m in got.received() {
            received.insert(m["message_id"].as_str().unwrap().to_owned(), m.clone());
        }
        let progressed = received.len() > before;
        last = Some(got);
        if !progressed {
            break;
        }
    }
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !received.contains_key(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged messages lost after SIGKILL, e.g. {:?}; last consumer: {}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)],
        last.map(|r| r.describe()).unwrap_or_default()
    );
    // Bodies came back as sent: message i carries `crash-i`.
    let indexed: BTreeMap<String, usize> = produced
        .events
        .iter()
        .filter(|e| e["event"] == "sent")
        .map(|e| {
            (
                e["message_id"].as_str().unwrap().to_owned(),
                usize::try_from(e["index"].as_u64().unwrap()).unwrap(),
            )
        })
        .collect();
    for (id, i) in indexed {
        assert_eq!(received[&id]["body"], format!("crash-{i}"));
    }
}
