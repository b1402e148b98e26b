//! The harness of the remote-mode CLI tests: the `petrel` binary pointed at one running server
//! with a private HOME and a scrubbed environment, and the root's AccessKey.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{Server, petrel_bin};

/// Environment a test run must not inherit: it would change the mode, output or key.
pub const SCRUBBED: &[&str] = &[
    "PETREL_DATA_DIR",
    "PETREL_ACCOUNT",
    "PETREL_REGION",
    "PETREL_ENDPOINT",
    "PETREL_PROFILE",
    "PETREL_OUTPUT",
    "PETREL_CLI_CONFIG",
    "PETREL_ACCESS_KEY_ID",
    "PETREL_ACCESS_KEY_SECRET",
    "PETREL_USER_PASSWORD",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
];

/// An AccessKey.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// The CLI pointed at one server, with a private HOME.
pub struct Cli {
    pub endpoint: String,
    pub home: PathBuf,
}

impl Cli {
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(petrel_bin());
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        cmd.env("HOME", &self.home);
        cmd
    }

    /// Runs `petrel ARGS --endpoint …` signed with `key`.
    pub fn run(&self, key: &Key, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .args(["--endpoint", &self.endpoint])
            .env("PETREL_ACCESS_KEY_ID", &key.id)
            .env("PETREL_ACCESS_KEY_SECRET", &key.secret)
            .output()
            .unwrap()
    }

    /// Runs and requires success; returns standard output.
    pub fn ok(&self, key: &Key, args: &[&str]) -> String {
        let out = self.run(key, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "petrel {args:?} failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Runs with `--output json` and parses standard output.
    pub fn json(&self, key: &Key, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let text = self.ok(key, &all);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{args:?} printed no json ({e}): {text}"))
    }

    /// Runs, requires exit status `code`, returns standard error.
    pub fn fails(&self, key: &Key, args: &[&str], code: i32) -> String {
        let out = self.run(key, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "petrel {args:?}: stdout {} stderr {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }
}

pub fn root_key(data: &Path) -> Key {
    let creds: Value = serde_json::from_slice(
        &std::fs::read(data.join("initial-credentials.json")).expect("initial credentials"),
    )
    .unwrap();
    Key {
        id: creds["access_key_id"].as_str().unwrap().to_owned(),
        secret: creds["access_key_secret"].as_str().unwrap().to_owned(),
    }
}

pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
}

/// Sends a test message (`VerifySendMessage`) through the client library; its message id.
pub fn send_test_message(
    server: &Server,
    key: &Key,
    instance: &str,
    topic: &str,
    msg_key: &str,
) -> String {
    let client = petrel_client::Client::new(
        petrel_client::Endpoint::parse(&format!("http://{}", server.http_addr)).unwrap(),
        petrel_client::Credentials::new(key.id.clone(), key.secret.clone()),
    )
    .unwrap();
    let message = petrel_client::TestMessage {
        body: "paid 42".to_owned(),
        tag: Some("paid".to_owned()),
        key: Some(msg_key.to_owned()),
        message_group: Some("customer-7".to_owned()),
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client.verify_send_message(instance, topic, &message))
        .unwrap()
}
