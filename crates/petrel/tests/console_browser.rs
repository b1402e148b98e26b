//! The web console end to end in headless Chromium: starts a real `petrel serve` and runs the
//! browser tests of tests/console/ (`node --test`, playwright-core driving /usr/bin/chromium)
//! against it. Missing Chromium or node_modules fail the test, naming the setup script.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;

fn console_tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/console")
}

fn require_setup(dir: &Path) {
    let setup = "scripts/setup-console-tests.sh";
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: run {setup}"
    );
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "{}/node_modules/playwright-core is missing: run {setup}",
        dir.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.map(|o| o.status.success()).unwrap_or(false),
        "node is missing: run {setup}"
    );
}

#[test]
fn console_works_end_to_end_in_headless_chromium() {
    let dir = console_tests_dir();
    require_setup(&dir);
    let server = Server::start();
    let creds: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            server
                .data_dir
                .join(petrel_service::INITIAL_CREDENTIALS_FILE),
        )
        .expect("initial-credentials.json in the data dir"),
    )
    .expect("credentials are json");
    let shots = dir.join("screenshots");
    let output = Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .current_dir(&dir)
        .env("PETREL_URL", format!("http://{}", server.http_addr))
        .env("PETREL_GRPC", &server.grpc_addr)
        .env("PETREL_ROOT_LOGIN", creds["login_name"].as_str().unwrap())
        .env("PETREL_ROOT_PASSWORD", creds["password"].as_str().unwrap())
        .env("PETREL_SCREENSHOTS", &shots)
        .output()
        .expect("run node --test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    if !output.status.success() {
        let log: Vec<String> = server.log.try_iter().collect();
        panic!(
            "the console browser tests failed (screenshots in {}):\n{stdout}\n{stderr}\nserver log:\n{}",
            shots.display(),
            log.join("\n")
        );
    }
    assert!(
        stdout.contains("ℹ pass ") && stdout.contains("ℹ fail 0") && !stdout.contains("ℹ pass 0"),
        "node --test reported no passing run:\n{stdout}"
    );
}
