//! The local operator commands, driven as a newcomer would: create a data dir with `serve`,
//! stop it, then set up users, grants and resources and ask the simulator about them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "integration test")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Server, petrel_bin};

fn petrel(dir: &Path, args: &[&str]) -> Output {
    Command::new(petrel_bin())
        .args(args)
        .env("PETREL_DATA_DIR", dir)
        .env_remove("PETREL_ACCOUNT")
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = petrel(dir, args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "petrel {args:?} failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn operator_sets_up_users_grants_and_resources_and_the_simulator_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = Server::start_in(&dir, &[]);

    // While the server runs, the catalogue is busy and the command says so.
    let busy = petrel(&dir, &["user", "list"]);
    assert!(!busy.status.success());
    assert!(String::from_utf8_lossy(&busy.stderr).contains("stop it first"));
    assert!(server.terminate().success());

    // Before activation, messaging resources cannot be created.
    let early = petrel(&dir, &["instance", "create", "orders"]);
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("activate"));

    ok(&dir, &["activate"]);
    ok(
        &dir,
        &["user", "create", "alice", "--password", "Passw0rd123"],
    );
    let key: serde_json::Value =
        serde_json::from_str(&ok(&dir, &["key", "create", "--user", "alice", "--json"])).unwrap();
    assert!(key["access_key_secret"].as_str().unwrap().len() >= 30);
    let rg: serde_json::Value =
        serde_json::from_str(&ok(&dir, &["rg", "create", "prod", "--json"])).unwrap();
    let rg = rg["id"].as_str().unwrap();
    ok(
        &dir,
        &["instance", "create", "orders", "--resource-group", rg],
    );
    ok(
        &dir,
        &[
            "topic",
            "create",
            "t",
            "--instance",
            "orders",
            "--type",
            "FIFO",
        ],
    );
    ok(
        &dir,
        &["group", "create", "GID_app", "--instance", "orders"],
    );
    ok(
        &dir,
        &[
            "grant",
            "--user",
            "alice",
            "--policy",
            "AliyunMQPubOnlyAccess",
            "--scope",
            rg,
        ],
    );

    let allowed = ok(
        &dir,
        &[
            "simulate",
            "--user",
            "alice",
            "--action",
            "mq:PUB",
            "--instance",
            "orders",
            "--topic",
            "t",
        ],
    );
    assert!(allowed.contains("AliyunMQPubOnlyAccess"), "{allowed}");
    let denied = petrel(
        &dir,
        &[
            "simulate",
            "--user",
            "alice",
            "--action",
            "mq:SUB",
            "--instance",
            "orders",
            "--topic",
            "t",
        ],
    );
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stdout).contains("implicit deny"));

    let who: Vec<String> = serde_json::from_str(&ok(
        &dir,
        &[
            "who-can",
            "--action",
            "mq:PUB",
            "--instance",
            "orders",
            "--topic",
            "t",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(who, ["root", "alice"]);

    // A high-risk policy is refused without confirmation, attached with it.
    let risky = petrel(
        &dir,
        &[
            "grant",
            "--user",
            "alice",
            "--policy",
            "AdministratorAccess",
        ],
    );
    assert!(!risky.status.success());
    assert!(String::from_utf8_lossy(&risky.stderr).contains("high-risk"));
    ok(
        &dir,
        &[
            "grant",
            "--user",
            "alice",
            "--policy",
            "AdministratorAccess",
            "--confirm-high-risk",
        ],
    );

    // The server starts again on the same data dir with everything in place.
    let again = Server::start_in(&dir, &[]);
    assert!(again.terminate().success());
    let topics = ok(&dir, &["topic", "list", "--instance", "orders"]);
    assert!(topics.contains("t\tFIFO"), "{topics}");
}
