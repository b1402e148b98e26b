//! `petrel account …` as an operator uses it: on the data dir of a stopped server, and on a
//! running server through the operator API with the operator token. A disabled account's keys
//! are refused with `Account.Disabled` until it is enabled again; deleting an account with
//! instances needs `--force`; the operator token is no account credential and vice versa.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test"
)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Server, petrel_bin};
use serde_json::Value;

fn petrel(home: &Path) -> Command {
    let mut cmd = Command::new(petrel_bin());
    for var in [
        "PETREL_DATA_DIR",
        "PETREL_ENDPOINT",
        "PETREL_OPERATOR_TOKEN",
        "PETREL_OUTPUT",
        "PETREL_ACCOUNT",
        "PETREL_PROFILE",
        "PETREL_ACCESS_KEY_ID",
        "PETREL_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home);
    cmd
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not json ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ok(out: Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

/// The JSON error a failed `--json` command printed on stderr, and its exit status.
fn refused(out: Output) -> (i32, Value) {
    assert!(
        !out.status.success(),
        "should have failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "stderr not json ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), err["error"].clone())
}

/// `petrel whoami` signed with an account's AccessKey.
fn whoami(home: &Path, server: &Server, creds: &Value) -> Output {
    petrel(home)
        .args(["whoami", "--json", "--endpoint", &server.url("")])
        .env(
            "PETREL_ACCESS_KEY_ID",
            creds["access_key_id"].as_str().unwrap(),
        )
        .env(
            "PETREL_ACCESS_KEY_SECRET",
            creds["access_key_secret"].as_str().unwrap(),
        )
        .output()
        .unwrap()
}

#[test]
fn operator_commands_manage_accounts_locally_and_through_the_operator_api() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let data = tmp.path().join("data");
    let data_s = data.to_str().unwrap();

    // First start creates the first account; then the server is stopped.
    let server = Server::start_in(&data, &[]);
    assert!(server.terminate().success());

    // Offline: create an account with a chosen password read from stdin.
    let mut child = petrel(&home)
        .args(["account", "create", "acme", "--password-stdin", "--json"])
        .args(["--data-dir", data_s])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Acme-passw0rd\n")
        .unwrap();
    let acme = ok(child.wait_with_output().unwrap());
    assert_eq!(acme["login_name"], "root@acme");
    assert!(
        acme.get("password").is_none(),
        "a chosen password is not echoed: {acme}"
    );
    assert!(acme["access_key_id"].as_str().unwrap().starts_with("LTAI"));

    // A weak password is refused with the policy's code.
    let mut child = petrel(&home)
        .args(["account", "create", "weak", "--password-stdin", "--json"])
        .args(["--data-dir", data_s])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let (status, err) = refused(child.wait_with_output().unwrap());
    assert_eq!(status, 1);
    assert!(err["code"].as_str().unwrap().contains("Password"), "{err}");

    // The same alias twice is refused.
    let (_, err) = refused(
        petrel(&home)
            .args(["account", "create", "acme", "--json", "--data-dir", data_s])
            .output()
            .unwrap(),
    );
    assert!(err["message"].as_str().unwrap().contains("acme"), "{err}");

    let token = ok(petrel(&home)
        .args(["account", "token", "--json", "--data-dir", data_s])
        .output()
        .unwrap())["operator_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Online: the operator API with the token.
    let server = Server::start_in(&data, &[]);
    let endpoint = server.url("");
    let remote = |args: &[&str], token: &str| {
        petrel(&home)
            .args(["account"])
            .args(args)
            .args(["--json", "--endpoint", &endpoint])
            .env("PETREL_OPERATOR_TOKEN", token)
            .output()
            .unwrap()
    };
    let listed = ok(remote(&["list"], &token));
    let aliases: Vec<&str> = listed["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alias"].as_str().unwrap())
        .collect();
    assert_eq!(aliases.len(), 2, "{listed}");
    assert!(aliases.contains(&"petrel") && aliases.contains(&"acme"));

    // A wrong token, or an account's AccessKey secret used as one, is refused.
    let (status, err) = refused(remote(&["list"], "petrel-op-wrong"));
    assert_eq!(
        (status, err["code"].as_str()),
        (1, Some("Operator.InvalidToken"))
    );
    let (_, err) = refused(remote(
        &["list"],
        acme["access_key_secret"].as_str().unwrap(),
    ));
    assert_eq!(err["code"], "Operator.InvalidToken");

    let beta = ok(remote(&["create", "beta"], &token));
    assert_eq!(beta["login_name"], "root@beta");
    assert!(
        beta["password"].as_str().is_some_and(|p| p.len() >= 8),
        "a generated password is shown once: {beta}"
    );
    assert_eq!(
        ok(whoami(&home, &server, &beta))["AccountId"],
        beta["account_id"]
    );

    // Disable: the key is refused with a clear code naming the account; enable restores it.
    let disabled = ok(remote(&["disable", "beta"], &token));
    assert_eq!(disabled["enabled"], false);
    let (status, err) = refused(whoami(&home, &server, &beta));
    assert_eq!(status, 1);
    assert_eq!(err["code"], "Account.Disabled", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains(beta["account_id"].as_str().unwrap()),
        "{err}"
    );
    ok(remote(
        &["enable", beta["account_id"].as_str().unwrap()],
        &token,
    ));
    assert_eq!(
        ok(whoami(&home, &server, &beta))["AccountId"],
        beta["account_id"]
    );

    // An account with an instance is deleted only with --force.
    let as_beta = |args: &[&str]| {
        petrel(&home)
            .args(args)
            .args(["--json", "--endpoint", &endpoint])
            .env(
                "PETREL_ACCESS_KEY_ID",
                beta["access_key_id"].as_str().unwrap(),
            )
            .env(
                "PETREL_ACCESS_KEY_SECRET",
                beta["access_key_secret"].as_str().unwrap(),
            )
            .output()
            .unwrap()
    };
    ok(as_beta(&["activate"]));
    ok(as_beta(&["instance", "create", "orders"]));
    let (status, err) = refused(remote(&["delete", "beta"], &token));
    assert_eq!(status, 1);
    assert_eq!(err["code"], "DeleteConflict.Account.Instance", "{err}");
    assert_eq!(
        ok(remote(&["delete", "beta", "--force"], &token))["deleted"]["alias"],
        "beta"
    );
    let (_, err) = refused(whoami(&home, &server, &beta));
    assert_eq!(err["code"], "InvalidAccessKeyId.NotFound", "{err}");
    let listed = ok(remote(&["list"], &token));
    assert_eq!(listed["accounts"].as_array().unwrap().len(), 2);

    // Minting a new token revokes the old one, even while the server runs.
    let fresh = ok(petrel(&home)
        .args(["account", "token", "--json", "--data-dir", data_s])
        .output()
        .unwrap())["operator_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, err) = refused(remote(&["list"], &token));
    assert_eq!(err["code"], "Operator.InvalidToken");
    ok(remote(&["list"], &fresh));
}

#[test]
fn the_operator_api_is_off_until_a_token_is_minted() {
    let server = Server::start();
    let resp = reqwest::blocking_get_status(&server.url("/operator/accounts"));
    assert_eq!(resp.0, 403, "{}", resp.1);
    assert!(resp.1.contains("Operator.Disabled"), "{}", resp.1);
}

mod reqwest {
    /// A GET with no credentials: (status, body).
    pub fn blocking_get_status(url: &str) -> (u16, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let resp = ::reqwest::get(url).await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    }
}
