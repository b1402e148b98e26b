//! Accounts are isolated tenants. Two accounts, created by the operator and set up through the
//! official Alibaba Cloud SDKs with the same names (tests/openapi/isolation.py), then attacked:
//! B's root and B's administrator try every management operation on A's users, keys, policies,
//! grants, resource groups, instances, topics, groups, messages, message query and lag; A's
//! policies name B's resources; then over gRPC with the official RocketMQ Python SDK's own
//! protocol stubs and signer (tests/clients/python/isolation.py) B tries every data-plane RPC on
//! A's instance, and A's message ids and receipt handles on B's own same-named topic. The
//! console shows B nothing of A, and A's audit log holds nothing of B's.
//!
//! Every attempt is counted; an attempt *leaks* when it succeeds on A's resource or answers
//! with any of A's identifiers. The test prints both counts and requires zero leaks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Server, petrel_bin};
use serde_json::{Value, json};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn python(venv: &str, setup: &str) -> PathBuf {
    let python = repo_root().join(".cache").join(venv).join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/{setup}",
        python.display()
    );
    python
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Creates an account through the operator API.
fn create_account(server: &Server, token: &str, alias: &str) -> Value {
    let url = server.url("/operator/accounts");
    let (status, body) = block_on(async {
        let resp = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token)
            .json(&json!({ "alias": alias }))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Runs a Python program and returns the JSON report on its last line of output.
fn run_report(python: &Path, program: &Path, args: &[String], home: &Path) -> Value {
    let out = Command::new(python)
        .arg(program)
        .args(args)
        .current_dir(program.parent().unwrap())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("HOME", home)
        .output()
        .expect("run the python program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed ({}):\n{stdout}\n{stderr}",
        program.display(),
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "{} printed no JSON report ({e}):\n{stdout}\n{stderr}",
            program.display()
        )
    })
}

fn leaks_of(report: &Value) -> Vec<String> {
    report["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn no_account_reaches_another_accounts_resources() {
    let openapi_python = python("venv-openapi", "setup-openapi-sdks.sh");
    let rocketmq_python = python("venv", "setup-clients.sh");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_in(&data, &[]);

    let token = Command::new(petrel_bin())
        .args(["account", "token", "--json", "--data-dir"])
        .arg(&data)
        .env_remove("PETREL_ENDPOINT")
        .output()
        .unwrap();
    assert!(token.status.success(), "{token:?}");
    let token: Value = serde_json::from_slice(&token.stdout).unwrap();
    let token = token["operator_token"].as_str().unwrap();
    let a = create_account(&server, token, "tenant-a");
    let b = create_account(&server, token, "tenant-b");
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();

    // Management plane, through the Alibaba Cloud SDKs.
    let mgmt = run_report(
        &openapi_python,
        &repo_root().join("tests/openapi/isolation.py"),
        &[
            "--endpoint".into(),
            server.http_addr.clone(),
            "--a-account".into(),
            s(&a, "account_id"),
            "--a-key-id".into(),
            s(&a, "access_key_id"),
            "--a-secret".into(),
            s(&a, "access_key_secret"),
            "--b-account".into(),
            s(&b, "account_id"),
            "--b-key-id".into(),
            s(&b, "access_key_id"),
            "--b-secret".into(),
            s(&b, "access_key_secret"),
        ],
        &home,
    );
    assert_eq!(
        mgmt["same_names_in_both"], true,
        "both accounts hold alice, readers, prod, orders, t and g"
    );
    let mut attempts = mgmt["attempts"].as_u64().unwrap();
    let mut leaks = leaks_of(&mgmt);
    println!(
        "management api: {attempts} attempts, {} leaks; refusal codes {}",
        leaks.len(),
        mgmt["codes"]
    );

    // Data plane, over gRPC.
    let setup_file = tmp.path().join("setup.json");
    std::fs::write(&setup_file, mgmt["setup"].to_string()).unwrap();
    let grpc = run_report(
        &rocketmq_python,
        &repo_root().join("tests/clients/python/isolation.py"),
        &[
            "--endpoint".into(),
            server.grpc_addr.clone(),
            "--setup".into(),
            setup_file.display().to_string(),
        ],
        &home,
    );
    let grpc_attempts = grpc["attempts"].as_u64().unwrap();
    let grpc_leaks = leaks_of(&grpc);
    println!(
        "grpc data plane: {grpc_attempts} attempts, {} leaks; refusal codes {}",
        grpc_leaks.len(),
        grpc["codes"]
    );
    assert_eq!(
        grpc["a_acked_after"], true,
        "A's own receipt handle still works after B's attempts: {grpc}"
    );
    assert_eq!(
        grpc["a_transaction_checked"], true,
        "the server asked A's producer to check A's open transaction: {grpc}"
    );
    attempts += grpc_attempts;
    leaks.extend(grpc_leaks);

    // The console, signed in as B's root and as B's administrator.
    let setup = &mgmt["setup"];
    let a_setup = &setup["a"];
    let secrets: Vec<String> = [
        "account",
        "alice_id",
        "alice_key",
        "root_key",
        "prod",
        "default_rg",
        "instance",
        "message_id",
    ]
    .iter()
    .map(|k| s(a_setup, k))
    .chain(["a-private".to_owned()])
    .collect();
    let ai = s(a_setup, "instance");
    let am = s(a_setup, "message_id");
    let bi = s(&setup["b"], "instance");
    let pages = [
        "/console/users".to_owned(),
        "/console/users/alice".to_owned(),
        "/console/users/a-private-user".to_owned(),
        "/console/policies".to_owned(),
        "/console/resource-groups".to_owned(),
        "/console/grants".to_owned(),
        "/console/instances".to_owned(),
        format!("/console/instances/{ai}"),
        "/console/user-groups".to_owned(),
        "/console/audit".to_owned(),
        format!("/console/instances/{ai}/dashboard"),
        format!("/console/instances/{ai}/topics/t"),
        format!("/console/instances/{ai}/groups/g"),
        format!("/console/instances/{ai}/messages?by=id&topic=t&message_id={am}&run=1"),
        format!("/console/instances/{ai}/topics/t/messages/{am}"),
        // B's own instance, asked for A's message id.
        format!("/console/instances/{bi}/messages?by=id&topic=t&message_id={am}&run=1"),
        format!("/console/instances/{bi}/topics/t/messages/{am}"),
    ];
    let b_password = s(&b, "password");
    let b_admin_password = s(&setup["b"], "admin_password");
    let mut console_attempts = 0;
    for (login, password) in [
        ("root@tenant-b", b_password.as_str()),
        ("admin@tenant-b", b_admin_password.as_str()),
    ] {
        let cookie = console_login(&server, login, password);
        for page in &pages {
            console_attempts += 1;
            let (status, html) = console_get(&server, &cookie, page);
            // 200, or 404 for the pages of A's things: never a server error, and never the
            // redirect to the sign-in page (the session must be B's, signed in).
            assert!(
                status == 200 || status == 404,
                "{page} as {login}: {status}\n{html}"
            );
            for secret in secrets.iter().filter(|x| !page.contains(x.as_str())) {
                if html.contains(secret.as_str()) {
                    leaks.push(format!("console {login} {page}: shows `{secret}`"));
                }
            }
        }
    }
    println!("console: {console_attempts} page views");
    attempts += console_attempts;

    // The audit log: B's refused attempts are recorded in B's log, none in A's.
    drop(server);
    let catalog = petrel_meta::Catalog::open(&data, petrel_meta::CatalogOptions::default())
        .expect("open the catalog after the server stopped");
    let (a_log, b_log) = catalog
        .read(|tx| {
            let all = petrel_meta::AuditFilter::default();
            Ok((
                tx.list_audit(&s(&a, "account_id"), &all, 100_000)?,
                tx.list_audit(&s(&b, "account_id"), &all, 100_000)?,
            ))
        })
        .unwrap();
    let b_requests: std::collections::HashSet<&str> = mgmt["b_request_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(!b_requests.is_empty());
    attempts += 2;
    let in_a: Vec<_> = a_log
        .iter()
        .filter(|r| b_requests.contains(r.request_id.as_str()) || r.principal.display == "admin")
        .collect();
    if !in_a.is_empty() {
        leaks.push(format!("A's audit log records B's requests: {in_a:?}"));
    }
    let in_b = b_log
        .iter()
        .filter(|r| b_requests.contains(r.request_id.as_str()))
        .count();
    println!(
        "audit: {} of B's refused requests in B's log, 0 expected in A's log ({} found)",
        in_b,
        in_a.len()
    );
    if in_b == 0 {
        leaks.push("B's refused requests are not in B's own audit log".to_owned());
    }

    let total_leaks = leaks.len();
    println!("tenant isolation: {attempts} attempts, {total_leaks} leaks");
    assert!(attempts >= 150, "too few attempts to mean much: {attempts}");
    assert!(
        leaks.is_empty(),
        "cross-account leaks:\n{}",
        leaks.join("\n")
    );
}

/// Signs in to the console; returns the session cookie.
fn console_login(server: &Server, login: &str, password: &str) -> String {
    let url = server.url("/console/login");
    block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let resp = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "login_name={}&password={}",
                form_encode(login),
                form_encode(password)
            ))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let body = resp.text().await.unwrap();
        cookie.unwrap_or_else(|| panic!("console sign-in as {login} failed ({status}): {body}"))
    })
}

fn console_get(server: &Server, cookie: &str, path: &str) -> (u16, String) {
    let url = server.url(path);
    block_on(async {
        let resp = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&url)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
