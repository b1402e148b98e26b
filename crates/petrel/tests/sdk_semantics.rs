//! Message semantics with the official SDKs against a real `petrel serve`: FIFO order per
//! message group, delay without early delivery, transactions (commit, rollback, resolved by the
//! server's check), recall of pending delay messages, retries into the dead-letter queue, tag
//! and SQL filters — and the same states carried across a SIGKILL of the server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod common;
mod sdk;

use sdk::{Petrel, Run, Sdk};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An activated account with instance `inst`, the given `(topic, type)` pairs and groups
/// (`(id, extra flags)`); the server is not started.
fn prepared(topics: &[(&str, &str)], groups: &[(&str, &[&str])]) -> Petrel {
    let p = Petrel::init();
    p.cli(&["activate"]);
    p.cli(&["instance", "create", "inst"]);
    for (t, kind) in topics {
        p.cli(&["topic", "create", "--instance", "inst", t, "--type", kind]);
    }
    for (g, flags) in groups {
        let mut args = vec!["group", "create", "--instance", "inst", g];
        args.extend_from_slice(flags);
        p.cli(&args);
    }
    p
}

fn bodies(run: &Run) -> BTreeSet<String> {
    run.received()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

fn ms(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a timestamp: {v}"))
}

/// Checks that, per message group, each producer's messages (body `PREFIX<i>`) arrived in
/// increasing `i`; returns how many messages each group delivered.
fn assert_fifo_per_group(run: &Run) -> BTreeMap<String, usize> {
    let mut last: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut per_group: BTreeMap<String, usize> = BTreeMap::new();
    for m in run.received() {
        let group = m["message_group"].as_str().unwrap().to_owned();
        let body = m["body"].as_str().unwrap();
        let split = body.rfind('-').unwrap();
        let (producer, index) = (body[..split].to_owned(), body[split + 1..].parse().unwrap());
        if let Some(prev) = last.insert((group.clone(), producer.clone()), index) {
            assert!(
                index > prev,
                "group {group}: {producer} message {index} delivered after {prev}: {}",
                run.describe()
            );
        }
        *per_group.entry(group).or_default() += 1;
    }
    per_group
}

#[test]
fn fifo_messages_of_each_group_arrive_in_send_order_across_concurrent_producers() {
    let mut p = prepared(
        &[("t-fifo", "FIFO")],
        &[
            ("GID_fifo", &["--orderly"]),
            ("GID_fifo_node", &["--orderly"]),
        ],
    );
    p.start();
    let target = p.target();
    // Two SDKs produce at once, each spreading 30 messages over the same three groups.
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = [(Sdk::Python, "py"), (Sdk::Node, "node")]
            .into_iter()
            .map(|(sdk, prefix)| {
                let t = target.clone();
                s.spawn(move || {
                    t.produce(sdk, "inst", "t-fifo", 30)
                        .arg("--message-group", "order")
                        .arg("--message-groups", 3)
                        .arg("--body-prefix", format!("{prefix}-"))
                        .run()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        run.assert_ok();
    }
    for (sdk, group) in [(Sdk::Python, "GID_fifo"), (Sdk::Node, "GID_fifo_node")] {
        let got = p.consume(sdk, "inst", "t-fifo", group, 60).run();
        got.assert_ok();
        assert_eq!(got.received().len(), 60, "{}", got.describe());
        let per_group = assert_fifo_per_group(&got);
        assert_eq!(
            per_group,
            BTreeMap::from([
                ("order-0".to_owned(), 20),
                ("order-1".to_owned(), 20),
                ("order-2".to_owned(), 20)
            ])
        );
    }
}

#[test]
fn fifo_holds_a_group_back_until_its_previous_message_is_acked() {
    let mut p = prepared(&[("t-hold", "FIFO")], &[("GID_hold", &["--orderly"])]);
    p.start();
    p.produce(Sdk::Node, "inst", "t-hold", 4)
        .arg("--message-group", "only")
        .run()
        .assert_ok();
    // Unacked, the first message blocks its group: a second receive gets nothing of it.
    let first = p
        .consume(Sdk::Python, "inst", "t-hold", "GID_hold", 4)
        .arg("--timeout-secs", 4)
        .arg("--invisible-secs", 30)
        .flag("--no-ack")
        .run();
    let got: Vec<String> = first
        .received()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, vec!["msg-0".to_owned()], "{}", first.describe());
}

#[test]
fn delay_messages_are_never_delivered_early_and_arrive_promptly_after() {
    // A topic per SDK: a group receives every message of its topic, and an earlier SDK's
    // messages would arrive late only because their consumer started late.
    let mut p = prepared(
        &[
            ("t-delay-Node", "DELAY"),
            ("t-delay-Python", "DELAY"),
            ("t-delay-Rust", "DELAY"),
        ],
        &[("GID_delay", &[])],
    );
    p.start();
    for sdk in [Sdk::Node, Sdk::Python, Sdk::Rust] {
        let topic = format!("t-delay-{sdk:?}");
        let sent = p
            .produce(sdk, "inst", &topic, 3)
            .arg("--delay-secs", 4)
            .arg("--body-prefix", format!("{sdk:?}-"))
            .run();
        sent.assert_ok();
        let got = p
            .consume(sdk, "inst", &topic, "GID_delay", 3)
            .arg("--timeout-secs", 30)
            .run();
        got.assert_ok();
        for m in got.received() {
            let due = ms(&m["delivery_timestamp"]);
            let at = ms(&m["received_at_ms"]);
            let lateness = at - due;
            assert!(
                lateness >= 0,
                "{sdk:?}: delivered {}ms early: {m}",
                -lateness
            );
            assert!(lateness < 1500, "{sdk:?}: delivered {lateness}ms late: {m}");
        }
    }
}

#[test]
fn transactions_commit_roll_back_and_are_resolved_by_the_servers_check() {
    let mut p = prepared(&[("t-tx", "TRANSACTION")], &[("GID_tx", &[])]);
    p.start();
    let modes = [
        (Sdk::Python, "commit", true),
        (Sdk::Node, "rollback", false),
        (Sdk::Python, "check-commit", true),
        (Sdk::Rust, "check-rollback", false),
    ];
    let mut expected = BTreeSet::new();
    let mut rolled_back = BTreeSet::new();
    for (sdk, mode, visible) in modes {
        let run = p
            .produce(sdk, "inst", "t-tx", 1)
            .arg("--transaction", mode)
            .arg("--body-prefix", format!("{mode}-"))
            .arg("--linger-secs", 40)
            .run();
        run.assert_ok();
        if mode.starts_with("check") {
            assert!(
                run.events.iter().any(|e| e["event"] == "checked"),
                "the server never asked the checker: {}",
                run.describe()
            );
        }
        if visible {
            expected.insert(format!("{mode}-0"));
        } else {
            rolled_back.insert(format!("{mode}-0"));
        }
    }
    let got = p.consume(Sdk::Python, "inst", "t-tx", "GID_tx", 2).run();
    got.assert_ok();
    assert_eq!(bodies(&got), expected, "{}", got.describe());
    // Nothing rolled back ever shows up.
    let more = p
        .consume(Sdk::Node, "inst", "t-tx", "GID_tx", 1)
        .arg("--timeout-secs", 4)
        .run();
    assert_eq!(more.code, 3, "{}", more.describe());
    assert!(bodies(&more).is_disjoint(&rolled_back));
}

#[test]
fn a_message_nacked_every_time_is_delivered_exactly_max_attempts_times() {
    let mut p = prepared(
        &[("t-dlq", "NORMAL")],
        &[("GID_dlq", &["--max-retries", "2"])],
    );
    p.start();
    let sent = p.produce(Sdk::Python, "inst", "t-dlq", 1).run();
    sent.assert_ok();
    // The push consumer nacks (FAILURE) each delivery; after 1 + 2 retries the message is a
    // dead letter and is never delivered again.
    let got = p
        .consume(Sdk::Python, "inst", "t-dlq", "GID_dlq", 4)
        .arg("--mode", "push")
        .arg("--timeout-secs", 25)
        .flag("--no-ack")
        .run();
    assert_eq!(got.code, 3, "{}", got.describe());
    let attempts: Vec<i64> = got
        .received()
        .iter()
        .map(|m| m["delivery_attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, vec![1, 2, 3], "{}", got.describe());

    // The dead letter is listed and shown with its attempts, then re-sent: the group gets the
    // message again from attempt 1, and the dead letter records the re-send.
    let id = sent.sent()[0].clone();
    let page = p.remote(&["dlq", "list", "--instance", "inst", "--group", "GID_dlq"]);
    let letters = page["MsgFoundList"]["OnsRestMessageDo"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{page}");
    assert_eq!(letters[0]["MsgId"], id.as_str());
    assert_eq!(letters[0]["Topic"], "t-dlq");
    assert_eq!(letters[0]["ReconsumeTimes"], 3);
    let letter = p.remote(&[
        "dlq",
        "get",
        "--instance",
        "inst",
        "--group",
        "GID_dlq",
        &id,
    ]);
    let reason = letter["PropertyList"]["MessageProperty"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Name"] == "DLQ_REASON")
        .map(|p| p["Value"].clone());
    assert_eq!(reason, Some("MAX_ATTEMPTS".into()), "{letter}");
    p.remote(&[
        "dlq",
        "resend",
        "--instance",
        "inst",
        "--group",
        "GID_dlq",
        &id,
    ]);
    let again = p.consume(Sdk::Node, "inst", "t-dlq", "GID_dlq", 1).run();
    again.assert_ok();
    assert_eq!(again.received()[0]["message_id"], id.as_str());
    assert_eq!(again.received()[0]["delivery_attempt"], 1);
    let letter = p.remote(&[
        "dlq",
        "get",
        "--instance",
        "inst",
        "--group",
        "GID_dlq",
        &id,
    ]);
    assert!(
        letter["PropertyList"]["MessageProperty"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["Name"] == "DLQ_RESENT_AT"),
        "{letter}"
    );
}

#[test]
fn tag_and_sql_filters_are_evaluated_on_the_server() {
    let mut p = prepared(
        &[("t-filter", "NORMAL")],
        &[("GID_tags", &[]), ("GID_sql", &[]), ("GID_badsql", &[])],
    );
    p.start();
    for (tag, color, n) in [("a", "blue", 2), ("b", "red", 2), ("c", "blue", 2)] {
        p.produce(Sdk::Python, "inst", "t-filter", n)
            .arg("--tag", tag)
            .arg("--property", format!("color={color}"))
            .arg("--property", format!("n={n}"))
            .arg("--body-prefix", format!("{tag}-{color}-"))
            .run()
            .assert_ok();
    }
    let tags = p
        .consume(Sdk::Node, "inst", "t-filter", "GID_tags", 4)
        .arg("--filter", "a || b")
        .run();
    tags.assert_ok();
    assert_eq!(
        bodies(&tags),
        ["a-blue-0", "a-blue-1", "b-red-0", "b-red-1"]
            .map(str::to_owned)
            .into()
    );
    let sql = p
        .consume(Sdk::Python, "inst", "t-filter", "GID_sql", 4)
        .arg("--sql", "color = 'blue' AND n > 1")
        .run();
    sql.assert_ok();
    assert_eq!(
        bodies(&sql),
        ["a-blue-0", "a-blue-1", "c-blue-0", "c-blue-1"]
            .map(str::to_owned)
            .into()
    );
    let bad = p
        .consume(Sdk::Python, "inst", "t-filter", "GID_badsql", 1)
        .arg("--sql", "color = = 'blue'")
        .run();
    assert_eq!(bad.code, 2, "{}", bad.describe());
    assert!(
        bad.errors()
            .iter()
            .any(|e| e["message"].to_string().contains("40010")
                || e["code"] == 40010
                || e["message"]
                    .to_string()
                    .contains("ILLEGAL_FILTER_EXPRESSION")),
        "{}",
        bad.describe()
    );
}

#[test]
fn a_recalled_delay_message_is_never_delivered() {
    let mut p = prepared(
        &[("t-recall-Python", "DELAY"), ("t-recall-Node", "DELAY")],
        &[("GID_recall", &[])],
    );
    p.start();
    for sdk in [Sdk::Python, Sdk::Node] {
        let topic = format!("t-recall-{sdk:?}");
        let recalled = p
            .produce(sdk, "inst", &topic, 1)
            .arg("--delay-secs", 3)
            .flag("--recall")
            .arg("--body-prefix", "recalled-")
            .run();
        recalled.assert_ok();
        let events: Vec<&Value> = recalled
            .events
            .iter()
            .filter(|e| e["event"] == "recalled")
            .collect();
        assert_eq!(events.len(), 1, "{sdk:?}: {}", recalled.describe());
        assert_eq!(
            events[0]["message_id"].as_str(),
            Some(recalled.sent()[0].as_str()),
            "{sdk:?}: the server answers the recalled message's id: {}",
            recalled.describe()
        );
        p.produce(sdk, "inst", &topic, 1)
            .arg("--delay-secs", 3)
            .arg("--body-prefix", "kept-")
            .run()
            .assert_ok();
    }
    // The recall is durable: a SIGKILL before the messages are due changes nothing.
    p.kill_hard();
    p.start();
    for sdk in [Sdk::Python, Sdk::Node] {
        let topic = format!("t-recall-{sdk:?}");
        // Ask for both: the consumer waits out its timeout, since only one ever arrives.
        let got = p
            .consume(sdk, "inst", &topic, "GID_recall", 2)
            .arg("--timeout-secs", 8)
            .run();
        assert_eq!(got.code, 3, "{sdk:?}: {}", got.describe());
        assert_eq!(
            bodies(&got),
            ["kept-0"].map(str::to_owned).into(),
            "{sdk:?}: {}",
            got.describe()
        );
    }
    // The Rust crate has no RecallMessage: it says so instead of pretending.
    let rust = p
        .produce(Sdk::Rust, "inst", "t-recall-Node", 1)
        .arg("--delay-secs", 3)
        .flag("--recall")
        .run();
    assert_eq!(rust.code, 64, "{}", rust.describe());
}

#[test]
fn pending_delay_half_and_in_flight_messages_survive_a_sigkill() {
    let mut p = prepared(
        &[
            ("t-k-delay", "DELAY"),
            ("t-k-tx", "TRANSACTION"),
            ("t-k-normal", "NORMAL"),
        ],
        &[("GID_k", &[])],
    );
    p.start();
    // A delay message due in 6 s; a half message nobody ends; a message received, not acked.
    let delayed = p
        .produce(Sdk::Node, "inst", "t-k-delay", 1)
        .arg("--delay-secs", 6)
        .arg("--body-prefix", "late-")
        .run();
    delayed.assert_ok();
    let due = ms(&delayed.events[0]["delivery_timestamp"]);
    p.produce(Sdk::Python, "inst", "t-k-normal", 1)
        .arg("--body-prefix", "inflight-")
        .run()
        .assert_ok();
    p.consume(Sdk::Python, "inst", "t-k-normal", "GID_k", 1)
        .arg("--invisible-secs", 10)
        .flag("--no-ack")
        .run()
        .assert_ok();
    let half = p
        .produce(Sdk::Python, "inst", "t-k-tx", 1)
        .arg("--transaction", "check-commit")
        .arg("--body-prefix", "half-")
        .arg("--linger-secs", 0.5)
        .run();
    assert!(!half.sent().is_empty(), "{}", half.describe());

    p.kill_hard();
    p.start();

    // The half message is resolved by a producer of the topic that is alive after the restart.
    let checker = p
        .produce(Sdk::Python, "inst", "t-k-tx", 1)
        .arg("--transaction", "check-commit")
        .arg("--body-prefix", "second-")
        .arg("--linger-secs", 60)
        .spawn();
    let delay_got = p.consume(Sdk::Node, "inst", "t-k-delay", "GID_k", 1).run();
    delay_got.assert_ok();
    let m = delay_got.received()[0];
    assert_eq!(m["body"], "late-0");
    assert!(ms(&m["received_at_ms"]) >= due, "delivered early: {m}");
    let redelivered = p.consume(Sdk::Rust, "inst", "t-k-normal", "GID_k", 1).run();
    redelivered.assert_ok();
    assert_eq!(redelivered.received()[0]["body"], "inflight-0");
    assert_eq!(redelivered.received()[0]["delivery_attempt"], 2);
    let checker = checker.wait();
    checker.assert_ok();
    let committed = p
        .consume(Sdk::Python, "inst", "t-k-tx", "GID_k", 2)
        .arg("--timeout-secs", 20)
        .run();
    committed.assert_ok();
    assert_eq!(
        bodies(&committed),
        ["half-0", "second-0"].map(str::to_owned).into()
    );
}

#[test]
fn fifo_order_and_delivery_attempts_survive_a_sigkill() {
    let mut p = prepared(
        &[("t-k-fifo", "FIFO"), ("t-k-dlq", "NORMAL")],
        &[
            ("GID_kf", &["--orderly"]),
            ("GID_kd", &["--max-retries", "2"]),
        ],
    );
    p.start();
    // Nine messages over three message groups; each group's head is received and left
    // unacknowledged, so the server dies with every group blocked behind an in-flight message.
    p.produce(Sdk::Python, "inst", "t-k-fifo", 9)
        .arg("--message-group", "order")
        .arg("--message-groups", 3)
        .arg("--body-prefix", "py-")
        .run()
        .assert_ok();
    let heads = p
        .consume(Sdk::Python, "inst", "t-k-fifo", "GID_kf", 3)
        .arg("--invisible-secs", 10)
        .flag("--no-ack")
        .run();
    heads.assert_ok();
    assert_eq!(
        bodies(&heads),
        ["py-0", "py-1", "py-2"].map(str::to_owned).into(),
        "{}",
        heads.describe()
    );
    // A message nacked twice (attempts 1 and 2 of its 3).
    p.produce(Sdk::Python, "inst", "t-k-dlq", 1)
        .run()
        .assert_ok();
    let nacked = p
        .consume(Sdk::Python, "inst", "t-k-dlq", "GID_kd", 2)
        .arg("--mode", "push")
        .arg("--timeout-secs", 25)
        .flag("--no-ack")
        .run();
    nacked.assert_ok();

    p.kill_hard();
    p.start();

    // Every group resumes with its head (a second attempt) and keeps its order.
    let after = p
        .consume(Sdk::Node, "inst", "t-k-fifo", "GID_kf", 9)
        .arg("--timeout-secs", 60)
        .run();
    after.assert_ok();
    let per_group = assert_fifo_per_group(&after);
    assert_eq!(per_group.values().sum::<usize>(), 9, "{}", after.describe());
    for m in after.received() {
        let head = ["py-0", "py-1", "py-2"].contains(&m["body"].as_str().unwrap());
        assert_eq!(m["delivery_attempt"], if head { 2 } else { 1 }, "{m}");
    }
    // The nacked message has exactly one attempt left, then it is a dead letter.
    let last = p
        .consume(Sdk::Python, "inst", "t-k-dlq", "GID_kd", 2)
        .arg("--mode", "push")
        .arg("--timeout-secs", 25)
        .flag("--no-ack")
        .run();
    assert_eq!(last.code, 3, "{}", last.describe());
    let attempts: Vec<i64> = last
        .received()
        .iter()
        .map(|m| m["delivery_attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, vec![3], "{}", last.describe());
    let page = p.remote(&["dlq", "list", "--instance", "inst", "--group", "GID_kd"]);
    assert_eq!(
        page["MsgFoundList"]["OnsRestMessageDo"][0]["ReconsumeTimes"], 3,
        "{page}"
    );
}
