//! Subscriptions as the management API and CLI show them: a real consumer's topic, filter and
//! SDK are listed ONLINE while it runs, OFFLINE once it shut down, and only an offline
//! subscription can be deleted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;
mod sdk;

use std::time::Duration;

use sdk::{Petrel, Sdk};
use serde_json::Value;

fn prepared() -> Petrel {
    let p = Petrel::init();
    p.cli(&["activate"]);
    p.cli(&["instance", "create", "inst"]);
    p.cli(&["topic", "create", "--instance", "inst", "t-sub"]);
    p.cli(&["group", "create", "--instance", "inst", "GID_sub"]);
    p
}

/// Runs tests/openapi/subscriptions.py (the official RocketMQ 2022-08-01 SDK) as the root.
fn official_sdk_report(p: &Petrel) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".cache/venv-openapi/bin/python");
    assert!(
        python.exists(),
        "the Alibaba Cloud Python SDKs are not installed at {}: run scripts/setup-openapi-sdks.sh",
        python.display()
    );
    let out = std::process::Command::new(python)
        .arg("subscriptions.py")
        .args(["--endpoint", &p.http_addr()])
        .args(["--key-id", &p.root.id, "--secret", &p.root.secret])
        .args([
            "--instance",
            "inst",
            "--group",
            "GID_sub",
            "--topic",
            "t-sub",
        ])
        .current_dir(root.join("tests/openapi"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "subscriptions.py failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

fn group_subs(p: &Petrel) -> Vec<Value> {
    let v = p.remote(&[
        "subscription",
        "list",
        "--instance",
        "inst",
        "--group",
        "GID_sub",
    ]);
    v.as_array().unwrap().clone()
}

#[test]
fn a_running_consumer_is_listed_online_with_its_filter_and_offline_after_it_stops() {
    let mut p = prepared();
    p.start();
    p.produce(Sdk::Python, "inst", "t-sub", 1)
        .arg("--tag", "a")
        .run()
        .assert_ok();
    let consumer = p
        .consume(Sdk::Python, "inst", "t-sub", "GID_sub", 2)
        .arg("--filter", "a || b")
        .arg("--timeout-secs", 60)
        .spawn();
    assert_eq!(
        consumer.wait_for_events("received", 1, Duration::from_secs(60)),
        1,
        "the consumer never received"
    );

    let subs = group_subs(&p);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["topicName"], "t-sub");
    assert_eq!(subs[0]["subscriptionStatus"], "ONLINE");
    assert_eq!(subs[0]["filterExpressionType"], "TAG");
    assert_eq!(subs[0]["filterExpression"], "a || b");
    assert_eq!(subs[0]["consistency"], true);
    assert_eq!(subs[0]["topicCreated"], true);
    let by_topic = p.remote(&[
        "subscription",
        "list",
        "--instance",
        "inst",
        "--topic",
        "t-sub",
    ]);
    assert_eq!(by_topic[0]["consumerGroupId"], "GID_sub", "{by_topic}");
    let clients = p.remote(&[
        "subscription",
        "get",
        "--instance",
        "inst",
        "--group",
        "GID_sub",
        "--topic",
        "t-sub",
    ]);
    assert_eq!(clients.as_array().unwrap().len(), 1, "{clients}");
    assert_eq!(
        clients[0]["connectionDTO"]["language"], "PYTHON",
        "{clients}"
    );
    assert_eq!(
        clients[0]["subscriptionDTO"]["subscriptionStatus"],
        "ONLINE"
    );

    // The official Alibaba Cloud SDK reads the same, and gets the refusal as an exception.
    let r = official_sdk_report(&p);
    assert_eq!(r["group"][0]["subscriptionStatus"], "ONLINE", "{r}");
    assert_eq!(r["group"][0]["filterExpression"], "a || b", "{r}");
    assert_eq!(r["topic"][0]["consumerGroupId"], "GID_sub", "{r}");
    assert_eq!(r["clients"][0]["connection"]["language"], "PYTHON", "{r}");
    assert_eq!(
        r["delete_online"]["code"], "Conflict.SubscriptionOnline",
        "{r}"
    );
    assert_eq!(r["delete_online"]["status"], 409, "{r}");

    // Deleting what a live client consumes is refused with the reason.
    let refused = p.remote_fails(&[
        "subscription",
        "delete",
        "--instance",
        "inst",
        "--group",
        "GID_sub",
        "--topic",
        "t-sub",
    ]);
    assert!(refused.contains("Conflict.SubscriptionOnline"), "{refused}");
    assert!(refused.contains("online client"), "{refused}");

    // The second message lets the consumer finish; it says goodbye on shutdown.
    p.produce(Sdk::Python, "inst", "t-sub", 1)
        .arg("--tag", "b")
        .run()
        .assert_ok();
    consumer.wait().assert_ok();
    let subs = group_subs(&p);
    assert_eq!(subs[0]["subscriptionStatus"], "OFFLINE", "{subs:?}");
    assert_eq!(
        subs[0]["filterExpression"], "a || b",
        "the last filter is kept"
    );

    p.remote(&[
        "subscription",
        "delete",
        "--instance",
        "inst",
        "--group",
        "GID_sub",
        "--topic",
        "t-sub",
    ]);
    assert!(group_subs(&p).is_empty());
    let gone = p.remote_fails(&[
        "subscription",
        "get",
        "--instance",
        "inst",
        "--group",
        "GID_sub",
        "--topic",
        "t-sub",
    ]);
    assert!(gone.contains("ResourceNotFound.Subscription"), "{gone}");
}
