//! `petrel serve` as a newcomer and a script see it: it starts with defaults, answers health
//! checks, stops cleanly on SIGTERM, and refuses bad configuration by name.

#![allow(clippy::unwrap_used, reason = "integration test")]

mod common;

use std::process::Command;

use common::{Server, petrel_bin};

#[tokio::test]
async fn serve_answers_healthz_and_stops_on_sigterm() {
    let server = Server::start();
    let resp = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let status = server.terminate();
    assert!(status.success(), "exit status after sigterm: {status}");
}

fn serve_output(args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(petrel_bin());
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env_remove("PETREL_CONFIG");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn bad_flag_value_is_refused_naming_the_flag() {
    let (code, text) = serve_output(&["--grpc-addr", "not-an-address"], &[]);
    assert_ne!(code, 0);
    assert!(text.contains("--grpc-addr"), "{text}");
    assert!(text.contains("not-an-address"), "{text}");
}

#[test]
fn bad_environment_value_is_refused() {
    let (code, text) = serve_output(&[], &[("PETREL_HTTP_ADDR", "nowhere:port")]);
    assert_ne!(code, 0);
    assert!(text.contains("nowhere:port"), "{text}");
}

#[test]
fn bad_config_file_value_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("petrel.toml");
    std::fs::write(
        &file,
        "http_addr = \"127.0.0.1:0\"\nregion = \"Not A Region\"\n",
    )
    .unwrap();
    let (code, text) = serve_output(&["--config", file.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(text.contains("region"), "{text}");

    std::fs::write(&file, "http_port = 8080\n").unwrap();
    let (code, text) = serve_output(&["--config", file.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(text.contains("http_port"), "{text}");
}

#[tokio::test]
async fn flags_override_environment_which_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("petrel.toml");
    let from_file = dir.path().join("from-file");
    let from_env = dir.path().join("from-env");
    std::fs::write(
        &file,
        format!(
            "data_dir = {:?}\nhttp_addr = \"127.0.0.1:0\"\ngrpc_addr = \"127.0.0.1:0\"\nsegment_bytes = 8388608\n",
            from_file.to_str().unwrap()
        ),
    )
    .unwrap();

    // File only: the data dir comes from the file.
    let mut cmd = Command::new(petrel_bin());
    cmd.args(["serve", "--config", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let server = Server::spawn(cmd, &from_file);
    assert!(from_file.is_dir());
    server.terminate();

    // Environment beats the file.
    let mut cmd = Command::new(petrel_bin());
    cmd.args(["serve", "--config", file.to_str().unwrap()])
        .env("PETREL_DATA_DIR", &from_env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let server = Server::spawn(cmd, &from_env);
    assert!(from_env.is_dir());
    server.terminate();

    // A flag beats the environment.
    let from_flag = dir.path().join("from-flag");
    let mut cmd = Command::new(petrel_bin());
    cmd.args(["serve", "--config", file.to_str().unwrap()])
        .arg("--data-dir")
        .arg(&from_flag)
        .env("PETREL_DATA_DIR", &from_env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let server = Server::spawn(cmd, &from_flag);
    assert!(from_flag.is_dir());
    let resp = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(resp.status(), 200);
    server.terminate();
}

#[test]
fn first_start_prints_credentials_once_and_restarts_never_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = Server::start_in(&dir, &[]);
    let creds_path = dir.join("initial-credentials.json");
    let creds: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&creds_path).unwrap()).unwrap();
    let secret = creds["access_key_secret"].as_str().unwrap().to_owned();
    let password = creds["password"].as_str().unwrap().to_owned();
    assert!(!secret.is_empty() && !password.is_empty());
    // Shown once, on standard output; never in the log.
    let with_secret: Vec<_> = server
        .startup
        .iter()
        .filter(|l| l.contains(&secret))
        .collect();
    assert_eq!(with_secret.len(), 1, "{:?}", server.startup);
    assert!(with_secret[0].starts_with("[out] "));
    assert!(server.startup.iter().any(|l| l.contains(&password)));
    assert!(server.terminate().success());

    let restarted = Server::start_in(&dir, &[]);
    // SIGTERM closed the message log cleanly: the restart has no recovery to do.
    assert!(
        restarted
            .startup
            .iter()
            .any(|l| l.contains("clean_shutdown=true")),
        "{:?}",
        restarted.startup
    );
    assert!(
        !restarted
            .startup
            .iter()
            .any(|l| l.contains(&secret) || l.contains(&password) || l.contains("AccessKey")),
        "a restart printed credentials: {:?}",
        restarted.startup
    );
    assert!(restarted.terminate().success());
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&creds_path).unwrap()).unwrap();
    assert_eq!(again, creds, "a restart rewrote the credentials file");
}
