//! Drives the official RocketMQ 5 SDK programs of `tests/clients/` (one command-line contract,
//! JSON events on stdout) against a real `petrel serve`, and prepares that server's data dir
//! with the `petrel` CLI.

#![allow(dead_code, reason = "each test binary uses part of the fixtures")]
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test fixtures: a failure here is a failed test"
)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Server, petrel_bin};

/// The repository root (clients and their caches live there).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// An official client SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    Python,
    Node,
    Rust,
}

impl Sdk {
    pub const ALL: [Sdk; 3] = [Sdk::Python, Sdk::Node, Sdk::Rust];

    /// The command that runs this SDK's client program. Missing clients fail the test: they
    /// are installed by `scripts/setup-clients.sh`, which the test command runs.
    fn command(self) -> Command {
        let root = repo_root();
        let missing = |what: &Path| {
            panic!(
                "{self:?} client missing: `{}` does not exist; run `bash scripts/setup-clients.sh`",
                what.display()
            )
        };
        match self {
            Sdk::Python => {
                let python = root.join(".cache/venv/bin/python");
                if !python.exists() {
                    missing(&python);
                }
                let mut cmd = Command::new(python);
                cmd.arg(root.join("tests/clients/python/client.py"));
                cmd
            }
            Sdk::Node => {
                let sdk = root.join("tests/clients/node/node_modules/rocketmq-client-nodejs");
                if !sdk.is_dir() {
                    missing(&sdk);
                }
                let mut cmd = Command::new("node");
                cmd.arg(root.join("tests/clients/node/client.mjs"));
                cmd
            }
            Sdk::Rust => {
                let bin = root.join(".cache/rust-client-target/release/rocketmq-e2e-client");
                if !bin.exists() {
                    missing(&bin);
                }
                Command::new(bin)
            }
        }
    }

    /// Whether this SDK can send a namespace (the Rust crate cannot; the server then resolves
    /// the instance from the topic).
    pub fn sends_namespace(self) -> bool {
        self != Sdk::Rust
    }
}

/// An AccessKey pair.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// One run of a client program, built up with options.
#[derive(Debug, Clone)]
pub struct Call {
    sdk: Sdk,
    args: Vec<String>,
    key: Option<Key>,
    home: PathBuf,
}

impl Call {
    pub fn arg(mut self, name: &str, value: impl ToString) -> Call {
        self.args.push(name.to_owned());
        self.args.push(value.to_string());
        self
    }

    pub fn flag(mut self, name: &str) -> Call {
        self.args.push(name.to_owned());
        self
    }

    /// Signs as `key` (the account root by default).
    pub fn key(mut self, key: &Key) -> Call {
        self.key = Some(key.clone());
        self
    }

    /// Sends no credentials at all.
    pub fn anonymous(mut self) -> Call {
        self.key = None;
        self
    }

    /// Starts the program; its output is collected by [`Running::wait`].
    pub fn spawn(mut self) -> Running {
        if let Some(key) = self.key.take() {
            self.args
                .extend(["--ak".to_owned(), key.id, "--sk".to_owned(), key.secret]);
        }
        let mut cmd = self.sdk.command();
        cmd.args(&self.args)
            // The Python SDK writes its log files under $HOME; Node's log goes to stderr.
            .env("HOME", &self.home)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start the {:?} client: {err}", self.sdk));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("client stdout");
        let reader = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    lines.lock().expect("lines").push(line);
                }
            })
        };
        Running {
            sdk: self.sdk,
            args: self.args,
            child,
            lines,
            stdout: Some(reader),
            started: Instant::now(),
        }
    }

    pub fn run(self) -> Run {
        self.spawn().wait()
    }
}

/// A client program still running.
pub struct Running {
    sdk: Sdk,
    args: Vec<String>,
    child: std::process::Child,
    /// stdout lines so far, read by a thread so a test can act while the client runs.
    lines: Arc<Mutex<Vec<String>>>,
    stdout: Option<std::thread::JoinHandle<()>>,
    pub started: Instant,
}

impl Running {
    /// Waits until the client has printed `n` events of `kind` (or `limit` passes); returns how
    /// many it printed.
    pub fn wait_for_events(&self, kind: &str, n: usize, limit: Duration) -> usize {
        let needle = format!("\"event\": \"{kind}\"");
        let compact = format!("\"event\":\"{kind}\"");
        let deadline = Instant::now() + limit;
        loop {
            let seen = self
                .lines
                .lock()
                .expect("lines")
                .iter()
                .filter(|l| l.contains(&needle) || l.contains(&compact))
                .count();
            if seen >= n || Instant::now() >= deadline {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait(mut self) -> Run {
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        let status = self.child.wait().expect("client exit status");
        if let Some(reader) = self.stdout.take() {
            reader.join().expect("stdout reader");
        }
        let lines = std::mem::take(&mut *self.lines.lock().expect("lines"));
        let events = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|err| {
                    panic!("{:?} client printed a non-JSON line `{l}`: {err}", self.sdk)
                })
            })
            .collect();
        Run {
            sdk: self.sdk,
            command: self.args.join(" "),
            code: status.code().unwrap_or(-1),
            events,
            stderr,
            elapsed: self.started.elapsed(),
        }
    }
}

/// What a client program printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub sdk: Sdk,
    pub command: String,
    pub code: i32,
    pub events: Vec<Value>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    fn of(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == kind).collect()
    }

    /// Message ids the server acknowledged, in send order.
    pub fn sent(&self) -> Vec<String> {
        self.of("sent")
            .iter()
            .map(|e| e["message_id"].as_str().expect("message_id").to_owned())
            .collect()
    }

    pub fn received(&self) -> Vec<&Value> {
        self.of("received")
    }

    pub fn acked(&self) -> Vec<&Value> {
        self.of("acked")
    }

    pub fn errors(&self) -> Vec<&Value> {
        self.of("error")
    }

    /// A readable account of the run for assertion messages.
    pub fn describe(&self) -> String {
        let tail: Vec<&str> = self.stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "{:?} client `{}` exited {} after {:.1?}\nevents: {}\nstderr tail:\n{}",
            self.sdk,
            self.command,
            self.code,
            self.elapsed,
            serde_json::to_string(&self.events).unwrap_or_default(),
            tail.join("\n")
        )
    }

    pub fn assert_ok(&self) -> &Run {
        assert_eq!(self.code, 0, "{}", self.describe());
        self
    }

    /// The run failed because the server refused it with `code`, and the server's message
    /// contains every one of `words`. The SDKs differ in where they put it: the error event
    /// itself (RocketMQ numeric code, or its name for Rust), the push consumer's `sdk_log`, or
    /// — when the Python SDK wraps a refused route lookup in a generic exception — the SDK's
    /// own error log line on stderr.
    pub fn assert_refused(&self, code: Code, words: &[&str]) -> &Run {
        assert_eq!(self.code, 2, "expected a refusal: {}", self.describe());
        let errors = self.errors();
        assert!(!errors.is_empty(), "no error event: {}", self.describe());
        let mut texts: Vec<String> = errors
            .iter()
            .filter(|e| code.is_code(&e["code"]))
            .map(|e| format!("{} {}", e["message"], e["sdk_log"]))
            .collect();
        texts.extend(
            errors
                .iter()
                .map(|e| format!("{} {}", e["message"], e["sdk_log"]))
                .chain(self.stderr.lines().map(str::to_owned))
                .filter(|t| code.is_named_in(t)),
        );
        let found = texts.iter().any(|t| words.iter().all(|w| t.contains(w)));
        assert!(
            found,
            "expected a {code:?} refusal mentioning {words:?}: {}",
            self.describe()
        );
        self
    }
}

/// A refusal code as the SDKs report it.
#[derive(Debug, Clone, Copy)]
pub enum Code {
    Unauthorized,
    Forbidden,
}

impl Code {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Code::Unauthorized => ("40100", "UNAUTHORIZED"),
            Code::Forbidden => ("40300", "FORBIDDEN"),
        }
    }

    fn is_code(self, code: &Value) -> bool {
        let (number, name) = self.names();
        let code = match code {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        code == number || code == name
    }

    fn is_named_in(self, text: &str) -> bool {
        let (number, name) = self.names();
        text.contains(number) || text.contains(name)
    }
}

/// A Petrel data dir prepared with the CLI, and the server running on it.
pub struct Petrel {
    tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub root: Key,
    pub account: String,
    pub server: Option<Server>,
}

impl Petrel {
    /// A fresh data dir whose first account exists (the first start created it) and has not
    /// activated the service. No server runs yet: the CLI works on a stopped data dir.
    pub fn init() -> Petrel {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let server = Server::start_in(&data, &[]);
        assert!(server.terminate().success(), "first start did not stop");
        let creds: Value = serde_json::from_slice(
            &std::fs::read(data.join("initial-credentials.json")).expect("initial credentials"),
        )
        .expect("credentials json");
        let text = |k: &str| creds[k].as_str().expect("credential field").to_owned();
        Petrel {
            root: Key {
                id: text("access_key_id"),
                secret: text("access_key_secret"),
            },
            account: text("account_id"),
            data,
            tmp,
            server: None,
        }
    }

    /// Runs `petrel ARGS --data-dir DATA --json` and returns its JSON answer (or its text).
    pub fn cli(&self, args: &[&str]) -> Value {
        assert!(self.server.is_none(), "the CLI needs the server stopped");
        let out = Command::new(petrel_bin())
            .args(args)
            .arg("--data-dir")
            .arg(&self.data)
            .arg("--json")
            .env_remove("PETREL_ACCOUNT")
            .output()
            .expect("run petrel");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "petrel {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or(Value::String(stdout))
    }

    fn remote_output(&self, args: &[&str]) -> std::process::Output {
        let server = self.server.as_ref().expect("a running server");
        Command::new(petrel_bin())
            .args(args)
            .args(["--endpoint", &server.url(""), "--output", "json"])
            .env("PETREL_ACCESS_KEY_ID", &self.root.id)
            .env("PETREL_ACCESS_KEY_SECRET", &self.root.secret)
            .env("HOME", self.home())
            .env_remove("PETREL_PROFILE")
            .output()
            .expect("run petrel")
    }

    /// Runs `petrel ARGS` like [`Petrel::remote`] and requires it to fail; returns what it
    /// printed.
    pub fn remote_fails(&self, args: &[&str]) -> String {
        let out = self.remote_output(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "petrel {args:?} succeeded: {text}");
        text
    }

    /// Runs `petrel ARGS --endpoint <api> --output json` against the running server, signed
    /// with the root's AccessKey, and returns its JSON answer.
    pub fn remote(&self, args: &[&str]) -> Value {
        let out = self.remote_output(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "petrel {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{args:?}: no json ({e}): {stdout}"))
    }

    /// Creates a RAM user with an AccessKey.
    pub fn user_with_key(&self, name: &str) -> Key {
        self.cli(&["user", "create", name]);
        let key = self.cli(&["key", "create", "--user", name]);
        Key {
            id: key["access_key_id"].as_str().expect("key id").to_owned(),
            secret: key["access_key_secret"]
                .as_str()
                .expect("key secret")
                .to_owned(),
        }
    }

    pub fn start(&mut self) {
        assert!(self.server.is_none(), "already running");
        self.server = Some(Server::start_in(&self.data, &[]));
    }

    pub fn kill_hard(&mut self) {
        self.server.take().expect("a running server").kill_hard();
    }

    /// host:port of the running server's HTTP port (management API).
    pub fn http_addr(&self) -> String {
        self.server
            .as_ref()
            .expect("a running server")
            .http_addr
            .clone()
    }

    pub fn endpoint(&self) -> String {
        self.server
            .as_ref()
            .expect("a running server")
            .grpc_addr
            .clone()
    }

    /// A folder for the clients' `$HOME`.
    pub fn home(&self) -> PathBuf {
        let home = self.tmp.path().join("home");
        std::fs::create_dir_all(&home).expect("client home");
        home
    }

    /// Where and as whom clients connect; shareable across threads.
    pub fn target(&self) -> Target {
        Target {
            endpoint: self.endpoint(),
            root: self.root.clone(),
            home: self.home(),
        }
    }

    /// A produce run as the account root (override with [`Call::key`]).
    pub fn produce(&self, sdk: Sdk, instance: &str, topic: &str, count: usize) -> Call {
        self.target().produce(sdk, instance, topic, count)
    }

    /// A simple-consumer run as the account root (override with [`Call::key`]).
    pub fn consume(
        &self,
        sdk: Sdk,
        instance: &str,
        topic: &str,
        group: &str,
        count: usize,
    ) -> Call {
        self.target().consume(sdk, instance, topic, group, count)
    }
}

/// A running server's client endpoint and the root's key.
#[derive(Debug, Clone)]
pub struct Target {
    pub endpoint: String,
    pub root: Key,
    home: PathBuf,
}

impl Target {
    /// Clients of the gRPC `endpoint` signing as `root` by default, with `$HOME` in `home`.
    pub fn new(endpoint: String, root: Key, home: PathBuf) -> Target {
        Target {
            endpoint,
            root,
            home,
        }
    }

    fn call(&self, sdk: Sdk, verb: &str, instance: &str, topic: &str, count: usize) -> Call {
        let mut call = Call {
            sdk,
            args: vec![verb.to_owned()],
            key: None,
            home: self.home.clone(),
        }
        .arg("--endpoint", &self.endpoint)
        .arg("--topic", topic)
        .arg("--count", count);
        if sdk.sends_namespace() {
            call = call.arg("--namespace", instance);
        }
        call
    }

    /// A produce run as the account root (override with [`Call::key`]).
    pub fn produce(&self, sdk: Sdk, instance: &str, topic: &str, count: usize) -> Call {
        self.call(sdk, "produce", instance, topic, count)
            .key(&self.root)
    }

    /// A simple-consumer run as the account root (override with [`Call::key`]).
    pub fn consume(
        &self,
        sdk: Sdk,
        instance: &str,
        topic: &str,
        group: &str,
        count: usize,
    ) -> Call {
        self.call(sdk, "consume", instance, topic, count)
            .arg("--group", group)
            .arg("--timeout-secs", 30)
            .key(&self.root)
    }
}

impl Drop for Petrel {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            // Leave the data dir consistent for a post-mortem; the tempdir goes anyway.
            let _ = server.terminate();
        }
    }
}
