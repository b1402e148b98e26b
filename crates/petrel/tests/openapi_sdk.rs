//! The management API as Alibaba Cloud SDK users meet it: a real `petrel serve`, driven by the
//! official Python SDKs (RAM, ResourceManager, RocketMQ 2022-08-01, ONS, STS), unmodified, through
//! the programs in tests/openapi/. Each program prints a JSON report of what the SDK returned or
//! raised; this file asserts on it.
//!
//! The SDKs live in `.cache/venv-openapi`, installed by `scripts/setup-openapi-sdks.sh`; without
//! it these tests fail (never skip) and say so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test"
)]

mod common;
mod sdk;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn sdk_python() -> PathBuf {
    let python = repo_root().join(".cache/venv-openapi/bin/python");
    assert!(
        python.exists(),
        "the Alibaba Cloud Python SDKs are not installed at {}: run scripts/setup-openapi-sdks.sh",
        python.display()
    );
    python
}

/// Starts a fresh server and runs `tests/openapi/<program>` against it as the root.
fn run_program(program: &str) -> Value {
    run_program_keeping_server(program).0
}

/// As [`run_program`], and the server, still running, with its temporary directory.
fn run_program_keeping_server(program: &str) -> (Value, Server, tempfile::TempDir) {
    let python = sdk_python();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_in(&data, &[]);
    let creds: Value = serde_json::from_slice(
        &std::fs::read(data.join(petrel_service::INITIAL_CREDENTIALS_FILE))
            .expect("initial credentials"),
    )
    .unwrap();
    let out = Command::new(&python)
        .arg(repo_root().join("tests/openapi").join(program))
        .args(["--endpoint", &server.http_addr])
        .args(["--key-id", creds["access_key_id"].as_str().unwrap()])
        .args(["--secret", creds["access_key_secret"].as_str().unwrap()])
        .args(["--account", creds["account_id"].as_str().unwrap()])
        .current_dir(repo_root().join("tests/openapi"))
        // Leave no bytecode caches in the work tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the sdk program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{program} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    let report: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{program} printed no JSON report ({e}):\n{stdout}\n{stderr}"));
    (report, server, tmp)
}

/// `(status, code)` of a recorded SDK exception.
fn refusal(report: &Value, key: &str) -> (u64, String) {
    let e = &report[key];
    assert!(e.is_object(), "`{key}` should have raised, got {e}");
    assert_eq!(e["exception"], "ClientException", "{key}: {e}");
    assert!(e["request_id"].is_string(), "{key} has no request id: {e}");
    (
        e["status"].as_u64().unwrap(),
        e["code"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn the_product_page_workflow_runs_through_the_official_sdks() {
    let (r, server, tmp) = run_program_keeping_server("workflow.py");

    let (status, code) = refusal(&r, "before_activation");
    assert_eq!((status, code.as_str()), (403, "ServiceNotActivated"));
    assert!(
        r["before_activation"]["message"]
            .as_str()
            .unwrap()
            .contains("activate")
    );
    assert!(r["order_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        refusal(&r, "activate_again"),
        (400, "OrderOpend".to_owned())
    );

    assert_eq!(r["user"]["name"], "dev");
    assert_eq!(r["user"]["display"], "Developer Ä");
    assert_eq!(r["key_status"], "Active");
    assert_eq!(r["login_profile"]["reset"], true);

    // Pub at account scope (the account id as ResourceManager scope), the custom policy at the
    // scope of team-a.
    let account = r["dev_attachments"][0][1].as_str().unwrap();
    assert_eq!(r["dev_attachments"][0][0], "AliyunMQPubOnlyAccess");
    assert!(account.chars().all(|c| c.is_ascii_digit()), "{account}");
    assert_eq!(r["dev_attachments"][1][0], "TopicManager");
    assert_eq!(r["dev_attachments"][1][1], r["team_a"]);
    assert_eq!(
        r["dev_policies"],
        serde_json::json!(["AliyunMQPubOnlyAccess", "TopicManager"])
    );
    assert_eq!(r["granted"], 3);
    assert_eq!(
        r["sub_holders"],
        serde_json::json!(["reader1", "reader2", "reader3"])
    );

    assert_eq!(r["instance_a"]["rg"], r["team_a"]);
    assert_eq!(r["instance_a"]["name"], "orders-a");
    assert_eq!(r["team_b_resources"], serde_json::json!([r["instance_b"]]));
    let sent = r["sent_message_id"].as_str().unwrap();
    assert!(sent.len() == 34 && sent.starts_with("01"), "{sent}");
    assert_eq!(
        r["lag"]["ready"], 1,
        "the test message waits for GID_root: {}",
        r["lag"]
    );
    assert_eq!(r["lag"]["inflight"], 0);
    assert_eq!(r["lag"]["topic_ready"], 1);
    assert_eq!(r["root_group"]["order"], "Concurrently");
    assert_eq!(r["root_group"]["retries"], 16);
    assert_eq!(r["policy"]["version"], "v1");

    // As dev: topics in team-a only, no consumer groups, no RAM.
    assert_eq!(r["dev_identity"]["type"], "RAMUser");
    assert!(
        r["dev_identity"]["arn"]
            .as_str()
            .unwrap()
            .ends_with(":user/dev")
    );
    assert_eq!(r["dev_topic_in_a"], true);
    assert_eq!(r["dev_topics_in_a"], serde_json::json!(["orders"]));
    for key in ["dev_topic_in_b", "dev_group_in_a", "dev_create_user"] {
        assert_eq!(refusal(&r, key), (403, "NoPermission".to_owned()), "{key}");
        let detail = &r[key]["access_denied_detail"];
        assert_eq!(detail["AuthPrincipalDisplayName"], "dev", "{key}: {detail}");
        assert_eq!(
            detail["NoPermissionType"], "ImplicitDeny",
            "{key}: {detail}"
        );
    }
    assert_eq!(
        r["dev_topic_in_b"]["access_denied_detail"]["AuthAction"],
        "rocketmq:CreateTopic"
    );
    assert!(
        r["dev_topic_in_b"]["message"]
            .as_str()
            .unwrap()
            .contains("scoped to another resource group"),
        "the refusal explains the scope: {}",
        r["dev_topic_in_b"]
    );
    assert_eq!(
        r["dev_group_in_a"]["access_denied_detail"]["AuthAction"],
        "rocketmq:CreateConsumerGroup"
    );

    assert_eq!(r["simulate_a"]["decision"], "Allow");
    assert_eq!(r["simulate_a"]["policy"], "TopicManager");
    assert_eq!(r["simulate_a"]["scope"], "ResourceGroup");
    assert_eq!(r["simulate_b"]["decision"], "ImplicitDeny");

    // The AccessKey made through the RAM SDK, used by the official RocketMQ Python client:
    // AliyunMQPubOnlyAccess lets it send and not receive.
    let dev = sdk::Key {
        id: r["dev_key"]["id"].as_str().unwrap().to_owned(),
        secret: r["dev_key"]["secret"].as_str().unwrap().to_owned(),
    };
    let home = tmp.path().join("client-home");
    std::fs::create_dir_all(&home).unwrap();
    let clients = sdk::Target::new(server.grpc_addr.clone(), dev.clone(), home);
    let instance = r["instance_b"].as_str().unwrap();
    let sent = clients
        .produce(sdk::Sdk::Python, instance, "root-topic", 1)
        .run();
    sent.assert_ok();
    assert_eq!(sent.sent().len(), 1, "{}", sent.describe());
    clients
        .consume(sdk::Sdk::Python, instance, "root-topic", "GID_root", 1)
        .arg("--timeout-secs", 10)
        .run()
        .assert_refused(sdk::Code::Forbidden, &["implicit deny", "mq:SUB"]);
    drop(server);
}

#[test]
fn bad_requests_raise_the_sdk_exception_with_the_right_code() {
    let r = run_program("errors.py");
    assert_eq!(r["ok_whoami"], "Account");
    let expect = [
        ("wrong_secret", 400, "SignatureDoesNotMatch"),
        ("unknown_key", 401, "InvalidAccessKeyId.NotFound"),
        ("tampered_query", 400, "SignatureDoesNotMatch"),
        ("mallory_absent", 404, "EntityNotExist.User"),
        ("stale_date", 400, "InvalidTimeStamp.Expired"),
        ("reused_nonce", 400, "SignatureNonceUsed"),
        ("unknown_action", 404, "InvalidAction.NotFound"),
        ("missing_parameter", 400, "MissingParameter.UserName"),
        (
            "malformed_parameter",
            400,
            "InvalidParameter.UserName.InvalidChars",
        ),
        ("malformed_policy", 400, "MalformedPolicyDocument"),
        ("no_such_user", 404, "EntityNotExist.User"),
        ("no_such_policy", 404, "EntityNotExist.Policy"),
        ("no_such_system_policy", 404, "EntityNotExist.Policy"),
        ("sixth_version", 409, "LimitExceeded.Policy.Version"),
        ("third_key", 409, "LimitExceeded.User.AccessKey"),
        ("inactive_key", 403, "InvalidAccessKeyId.Inactive"),
    ];
    for (key, status, code) in expect {
        assert_eq!(
            refusal(&r, key),
            (status, code.to_owned()),
            "{key}: {}",
            r[key]
        );
    }
    assert!(
        r["first_use_of_nonce"].is_null(),
        "{}",
        r["first_use_of_nonce"]
    );
    assert_eq!(
        r["versions"],
        serde_json::json!(["v1", "v2", "v3", "v4", "v5"])
    );
    assert_eq!(r["keys"], 2);
    assert_eq!(r["reactivated_key"], "RAMUser");
    // Legacy signatures verify: the RPC call succeeds, and the ROA call gets past
    // authentication to the activation gate of a fresh account.
    assert_eq!(r["legacy_rpc"], "keyholder");
    assert_eq!(
        refusal(&r, "legacy_roa_error"),
        (403, "ServiceNotActivated".to_owned())
    );
}
