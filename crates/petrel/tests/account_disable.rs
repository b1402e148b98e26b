//! A disabled account is refused everywhere — console sign-in and an open console session, the
//! management API (root and RAM user keys), gRPC with the official RocketMQ SDK — with
//! `Account.Disabled` naming the account; enabling it restores all of them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test"
)]

mod common;
mod sdk;

use std::process::Command;

use common::petrel_bin;
use sdk::{Code, Petrel, Sdk};
use serde_json::Value;

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in to the console: `(status, session cookie, body)`.
fn console_login(base: &str, login: &str, password: &str) -> (u16, Option<String>, String) {
    block_on(async {
        let resp = no_redirects()
            .post(format!("{base}/console/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("login_name={login}&password={password}"))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        (status, cookie, resp.text().await.unwrap())
    })
}

fn console_get(base: &str, cookie: &str, path: &str) -> (u16, String) {
    block_on(async {
        let resp = no_redirects()
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

/// `petrel account ACTION ALIAS` through the operator API.
fn operator(base: &str, token: &str, args: &[&str]) -> Value {
    let out = Command::new(petrel_bin())
        .arg("account")
        .args(args)
        .args(["--json", "--endpoint", base])
        .env("PETREL_OPERATOR_TOKEN", token)
        .env_remove("PETREL_DATA_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `petrel whoami` as `key`: `Ok(account id)` or `Err(error json)`.
fn whoami(base: &str, key: &sdk::Key) -> Result<String, Value> {
    let out = Command::new(petrel_bin())
        .args(["whoami", "--json", "--endpoint", base])
        .env("PETREL_ACCESS_KEY_ID", &key.id)
        .env("PETREL_ACCESS_KEY_SECRET", &key.secret)
        .env("HOME", std::env::temp_dir())
        .env_remove("PETREL_PROFILE")
        .output()
        .unwrap();
    if out.status.success() {
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        Ok(v["AccountId"].as_str().unwrap().to_owned())
    } else {
        let v: Value = serde_json::from_slice(&out.stderr).unwrap();
        Err(v["error"].clone())
    }
}

#[test]
fn a_disabled_account_is_refused_by_every_front_end_until_enabled() {
    let mut p = Petrel::init();
    p.cli(&["activate"]);
    p.cli(&["instance", "create", "inst"]);
    p.cli(&["topic", "create", "--instance", "inst", "t"]);
    let password = "Dev-passw0rd1";
    p.cli(&["user", "create", "dev", "--password", password]);
    let key = p.cli(&["key", "create", "--user", "dev"]);
    let dev = sdk::Key {
        id: key["access_key_id"].as_str().unwrap().to_owned(),
        secret: key["access_key_secret"].as_str().unwrap().to_owned(),
    };
    p.cli(&[
        "grant",
        "--user",
        "dev",
        "--policy",
        "AliyunMQFullAccess",
        "--confirm-high-risk",
    ]);
    let token = Command::new(petrel_bin())
        .args(["account", "token", "--json", "--data-dir"])
        .arg(&p.data)
        .output()
        .unwrap();
    let token: Value = serde_json::from_slice(&token.stdout).unwrap();
    let token = token["operator_token"].as_str().unwrap().to_owned();
    p.start();
    let base = p.server.as_ref().unwrap().url("");
    let account = p.account.clone();

    // Everything works while enabled; a console session is opened before the disable.
    assert_eq!(whoami(&base, &dev), Ok(account.clone()));
    let (status, cookie, body) = console_login(&base, "dev@petrel", password);
    let cookie = cookie.unwrap_or_else(|| panic!("sign-in failed ({status}): {body}"));
    assert_eq!(console_get(&base, &cookie, "/console/instances").0, 200);
    p.produce(Sdk::Python, "inst", "t", 1).run().assert_ok();

    assert_eq!(
        operator(&base, &token, &["disable", "petrel"])["enabled"],
        false
    );

    // Management API: the root's key and the RAM user's key.
    for key in [&p.root, &dev] {
        let err = whoami(&base, key).unwrap_err();
        assert_eq!(err["code"], "Account.Disabled", "{err}");
        assert!(err["message"].as_str().unwrap().contains(&account), "{err}");
    }
    // Console: a new sign-in, and the session opened before.
    let (status, cookie_after, body) = console_login(&base, "dev@petrel", password);
    assert_eq!((status, cookie_after), (401, None), "{body}");
    assert!(body.contains("Account.Disabled"), "{body}");
    let (status, body) = console_get(&base, &cookie, "/console/instances");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Account.Disabled"), "{body}");
    // gRPC, with the official SDK: root and user keys.
    p.produce(Sdk::Python, "inst", "t", 1)
        .run()
        .assert_refused(Code::Unauthorized, &["disabled", &account]);
    p.produce(Sdk::Python, "inst", "t", 1)
        .key(&dev)
        .run()
        .assert_refused(Code::Unauthorized, &["disabled", &account]);

    // Enabling restores all of them.
    assert_eq!(
        operator(&base, &token, &["enable", "petrel"])["enabled"],
        true
    );
    assert_eq!(whoami(&base, &dev), Ok(account.clone()));
    assert_eq!(console_get(&base, &cookie, "/console/instances").0, 200);
    p.produce(Sdk::Python, "inst", "t", 1)
        .key(&dev)
        .run()
        .assert_ok();
}
